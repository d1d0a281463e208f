/*
 * optim.h - first-order optimizers over one flat parameter buffer, and the
 * gradient helpers (norm, clipping, finiteness) that run before a step.
 *
 * The updates are PyTorch's torch.optim.SGD / Adam / AdamW (no nesterov, no
 * dampening, no amsgrad), so that a run here can be compared with a PyTorch
 * run step by step.  With g = grads[i], p = params[i], t = steps taken so far
 * including this one:
 *
 *   SGD:    g = g + weight_decay * p                    (L2, if wd != 0)
 *           m = momentum * m + g                         (if momentum != 0;
 *           g = m                                        m starts at 0)
 *           p = p - lr * g
 *
 *   Adam:   g = g + weight_decay * p                    (L2, if wd != 0)
 *   AdamW:  p = p - lr * weight_decay * p               (decoupled)
 *   both:   m = beta1 * m + (1 - beta1) * g
 *           v = beta2 * v + (1 - beta2) * g * g
 *           step_size = lr / (1 - beta1^t)
 *           denom = sqrt(v) / sqrt(1 - beta2^t) + eps
 *           p = p - step_size * m / denom
 *
 *   NT-ASGD (Merity et al. 2017, PyTorch's ASGD with t0 = 0, lambd = 0):
 *           SGD's update (no momentum), and once averaging has begun
 *           (optim_average_start), after each step, with n the steps
 *           since then including this one:
 *           ax = p                      (n = 1)
 *           ax = ax + (p - ax) / n      (n > 1)
 *           so ax is the mean of the iterates since the switch.  When to
 *           switch is the trainer's (non-monotone: validation worse than
 *           the best of the epochs before the last --nonmono).
 *
 * m and v are the whole optimizer state together with t (and ax, n); a
 * checkpoint saves and restores them as they are.
 */
#ifndef ENGRAM_OPTIM_H
#define ENGRAM_OPTIM_H

#include <stddef.h>
#include <stdint.h>

#include "io/err.h"
#include "trainer/flags.h"

typedef enum { OPT_SGD, OPT_ADAM, OPT_ADAMW, OPT_NTASGD } optim_kind_t;

typedef struct {
	optim_kind_t kind;
	float momentum;		/* SGD only, 0 = plain SGD */
	float beta1, beta2, eps;	/* Adam and AdamW */
	float weight_decay;	/* SGD/Adam: L2 on the gradient; AdamW: decoupled */
} optim_cfg_t;

typedef struct {
	optim_cfg_t cfg;
	size_t n;	/* number of parameters */
	float *m;	/* momentum / first moment; NULL for plain SGD */
	float *v;	/* second moment; NULL for SGD */
	int64_t t;	/* steps taken */
	float *ax;	/* NT-ASGD: the average, allocated at init; else NULL */
	int64_t avg_n;	/* NT-ASGD: steps averaged; 0 before the switch */
	int averaging;	/* NT-ASGD: the switch has happened */
} optim_t;

/*
 * PyTorch's defaults: SGD momentum 0, wd 0; Adam betas (0.9, 0.999),
 * eps 1e-8, wd 0; AdamW the same with wd 0.01.
 */
void optim_cfg_default(optim_cfg_t *c, optim_kind_t kind);

/* Checks cfg, allocates zeroed m (and v) as the kind needs, sets t = 0. */
int optim_init(optim_t *o, const optim_cfg_t *cfg, size_t n, err_t *e);
void optim_free(optim_t *o);

/* NT-ASGD: averaging starts with the next step; until it, the average is
 * params itself (a checkpoint or an evaluation at the switch uses the
 * iterate, not an empty average). */
void optim_average_start(optim_t *o, const float *params);

/* One update of params[0 .. o->n) with grads at learning rate lr. */
void optim_step(optim_t *o, float *params, const float *grads, float lr);

/*
 * optim_step with every gradient read as grads[i] * gscale (in float):
 * gradient clipping fused into the update, one pass over the buffers
 * instead of two.  Bit for bit what grad_clip then optim_step give;
 * grads itself is left as it was.
 */
void optim_step_scaled(optim_t *o, float *params, const float *grads,
		       float gscale, float lr);

/*
 * A gradient buffer of n floats that may end in a row-sparse tail:
 * g[dense ..] is rows of width floats of which only those listed in rows
 * (ascending, nrows of them) can be nonzero, the others being exactly zero
 * (an embedding's gradient: its backward writes only the rows of the
 * tokens read).  nrows < 0: no such knowledge, any element may be nonzero.
 * One exception, harmless: layer 0 by table (model.c) adds emb's gradient
 * as a product over all V rows, so once its weights are infinite the rows
 * not read hold 0 * inf = NaN, which these calls never look at; the rows
 * read are then NaN too, and the step stops or is skipped on them.
 */
typedef struct {
	size_t n, dense, width;
	const int32_t *rows;
	int nrows;
} grad_rows_t;

/* Zeroes the elements that can be nonzero (so the whole buffer is zero). */
void grad_rows_zero(float *g, const grad_rows_t *r);

/* grad_norm of the whole buffer, reading only what can be nonzero: the
 * same value to the bit. */
double grad_rows_norm(const float *g, const grad_rows_t *r);

/*
 * optim_rows_stay: 1 when a zero gradient leaves a parameter exactly where
 * it is (plain SGD: no momentum, no weight decay).  optim_step_rows then
 * updates only what can have a gradient, bit for bit what
 * optim_step_scaled does to the whole buffer; otherwise (and with nrows
 * < 0) it is optim_step_scaled.
 */
int optim_rows_stay(const optim_t *o);
void optim_step_rows(optim_t *o, float *params, const float *grads,
		     float gscale, float lr, const grad_rows_t *r);

/* The names of the kinds, as --optimizer takes them. */
extern const flag_choice_t optim_kinds[];

/* "sgd", "adam", "adamw" -> *k; 0, or -1 when s names none of them. */
int optim_kind_parse(const char *s, optim_kind_t *k);
const char *optim_kind_name(optim_kind_t k);

/*
 * Global L2 norm sqrt(sum g[i]^2), summed in double: 16 partial sums
 * (element i into sum i mod 16), then those in order.  Not finite exactly
 * when some g[i] is not (a float's square cannot overflow a double).
 */
double grad_norm(const float *g, size_t n);


/*
 * torch.nn.utils.clip_grad_norm_: with norm = grad_norm(g, n) and
 * coef = max_norm / (norm + 1e-6), scales g by coef when coef < 1.  Returns
 * norm (before clipping).  max_norm <= 0 turns clipping off; a non-finite
 * norm leaves g alone (the caller sees it and skips the step).
 */
double grad_clip(float *g, size_t n, double max_norm);

/* grad_clip's coef for a norm: 1 when it would leave g alone. */
float grad_clip_coef(double norm, double max_norm);

/* 1 when every g[i] is finite, 0 on any NaN or infinity. */
int grad_finite(const float *g, size_t n);

#endif
