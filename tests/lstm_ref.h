/*
 * lstm_ref.h - the slow, obvious reference of one window of the model, in
 * double precision with plain loops (no BLAS), for tests only.
 *
 * It follows the formulas of model.h step by step and unit by unit and does
 * backpropagation through time explicitly (time outer, layers inner), so it
 * shares no structure with the fast path it checks.
 */
#ifndef ENGRAM_LSTM_REF_H
#define ENGRAM_LSTM_REF_H

#include <stdint.h>

#include "trainer/nn/model.h"

/*
 * One window of T steps for B streams.  m gives only the configuration and
 * the tensor table (offsets); params holds m->n doubles in the same layout.
 * tok is laid out as for model_forward_train.  h and c (model_state_floats
 * each, laid out as model_state_t's: layer after layer, B x H_l) carry the
 * state in and get the final state.
 * masks is NULL (no dropout) or L+1 per-site masks as model_dropout_mask
 * gives them.  grads is NULL (loss only) or m->n doubles to which
 * d(loss sum)/d(param) is ADDED; the incoming state is a constant.
 * Returns the loss sum over the T*B tokens, or NAN when out of memory.
 */
double ref_window(const model_t *m, const double *params, int T, int B,
		  const int32_t *tok, double *h, double *c,
		  const float *const *masks, double *grads);

/*
 * The regularizers of AWD-LSTM (model.h), for ref_window_opts:
 * masks as above, but each site's mask may be any product (locked masks
 * repeated over the steps, times the embedding's mask of each row's token
 * at site 0); wmask NULL or L per-layer masks of Wh (H x 4H), used in the
 * forward and the backward alike; ar and tar the coefficients.  reg, when
 * not NULL, gets the AR + TAR sum, whose gradient grads includes; logits
 * as for ref_window_logits.
 */
typedef struct {
	const float *const *masks;
	const float *const *wmask;
	double ar, tar;
	double *reg;
	double *logits;
} ref_opts_t;

/* ref_window with o (which may be NULL: no masks, no regularizer);
 * returns the cross-entropy sum alone. */
double ref_window_opts(const model_t *m, const double *params, int T, int B,
		       const int32_t *tok, double *h, double *c,
		       const ref_opts_t *o, double *grads);

/* The same, also writing the logits ((T*B) x V, row t*B + b) when logits
 * is not NULL; with the adaptive softmax, which has no logits of the
 * whole vocabulary, the log-probabilities log p(v) in their place. */
double ref_window_logits(const model_t *m, const double *params, int T,
			 int B, const int32_t *tok, double *h, double *c,
			 const float *const *masks, double *grads,
			 double *logits);

/*
 * The fast path's gradients (m->grads) against scale * ref: per tensor,
 * max |fast - scale*ref| over max |scale*ref| (at least 1e-6), the worst
 * tensor's figure, its index in *worst_tensor; a NaN counts as infinite.
 */
double ref_grad_err(const model_t *m, const double *ref, double scale,
		    int *worst_tensor);

#endif
