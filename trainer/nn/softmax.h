/*
 * softmax.h - a linear map followed by softmax cross-entropy over rows,
 * fused with its backward and run in blocks of rows: the engine of the
 * full output layer, of the adaptive softmax's head and of each of its
 * tail clusters (model.h).
 *
 * A block's Z = X W^T (+ b) is computed, its loss (and, training, its
 * gradient in place) taken while it is in cache, and its part of backward
 * done at once, so rows x N logits never exist whole when they are large.
 */
#ifndef ENGRAM_SOFTMAX_H
#define ENGRAM_SOFTMAX_H

#include <stddef.h>
#include <stdint.h>

/* One linear map: N outputs of `in` inputs, W (N x in, rows = outputs),
 * b (N) or NULL; gW, gb where training adds its gradients. */
typedef struct {
	const float *W, *b;
	int N, in;
	float *gW, *gb;
	/* when set, each row's -log p(y_r) too: nll[r] = it, or with nll_at,
	 * nll[nll_at[r]] += it (a cluster's rows back in their places) */
	double *nll;
	const int32_t *nll_at;
} sm_linear_t;

/*
 * Blocks hold at most MODEL_OUT_BLOCK_BYTES of logits (model.h), but the
 * cap on a block's rows is never below SM_BLOCK_MIN_ROWS (the K of the gW
 * GEMM); the rows are then cut into equal blocks under the cap (the last
 * may be shorter), so 129 rows under a cap of 128 are two blocks of 65.  sm_block_rows is the rows of a block for `rows` rows;
 * sm_block_floats the buffer that any call of at most max_rows rows needs.
 */
#define SM_BLOCK_MIN_ROWS 128
int sm_block_rows(size_t rows, size_t N);
size_t sm_block_floats(size_t max_rows, size_t N);

/*
 * Sum over the R rows of X (R x in) of -log softmax(X W^T + b)[y_r], in
 * double.  buf holds sm_block_floats(R, N) floats and ends holding the last
 * block's logits, or with dX, their gradient.  With dX (training):
 *   dZ = scale * (softmax(Z) - onehot(y)),
 *   dX = dZ W (R x in, overwritten), gW += dZ^T X, gb += column sums of dZ.
 */
double sm_xent(const sm_linear_t *l, const float *X, int R, const int32_t *y,
	       float scale, float *buf, float *dX);

/* out[0 .. n) = log softmax(z); out may be z. */
void sm_log_softmax(const float *z, int n, float *out);

#endif
