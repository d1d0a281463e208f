/*
 * adaptive.h - the adaptive softmax output layer of model.h over the rows
 * of one window: the rows routed by their target's cluster, the head over
 * every row, and each tail cluster over its own rows only, gathered into
 * one projection GEMM and one blocked softmax (softmax.h) per cluster.
 * Private to the model (model.c owns the buffers).
 */
#ifndef ENGRAM_ADAPTIVE_H
#define ENGRAM_ADAPTIVE_H

#include <stddef.h>
#include <stdint.h>

#include "trainer/nn/model.h"

/* Scratch for R rows (model.c carves it in the work area). */
typedef struct {
	int32_t *hy;	/* R: each row's target in the head */
	int32_t *perm;	/* R: the rows ordered by cluster, stable */
	int32_t *ry;	/* R: in perm order, the target within its cluster */
	int start[MODEL_MAX_CLUSTERS + 2];	/* cluster c: perm[start[c] ..
						 * start[c + 1]) */
	float *xg;	/* R x H: a cluster's rows gathered, then their dX */
	float *pj;	/* R x d_1: the rows projected */
	float *dpj;	/* R x d_1: the gradient of the projection */
	double *nll;	/* when set, each row's -log p(y_r), R (ad_xent) */
} ad_work_t;

/* Floats of the logits block buffer a call of at most R rows needs. */
size_t ad_buf_floats(const model_cfg_t *c, size_t R);

/*
 * Sum over the R rows of X (R x H) of -log p(y_r), in double, through buf
 * (ad_buf_floats).  With dX (training): dX = scale * d(loss)/dX (R x H,
 * overwritten), and scale * the gradients ADDED into m->g_ad.
 */
double ad_xent(model_t *m, ad_work_t *a, const float *X, int R,
	       const int32_t *y, float scale, float *buf, float *dX);

/* out (V) = log p(v | x) for every id v of the row x (H); uses buf
 * (ad_buf_floats of 1 row) and a->pj. */
void ad_log_probs(const model_t *m, ad_work_t *a, const float *x, float *buf,
		  float *out);

#endif
