/*
 * softmax.c - the row-blocked linear + softmax cross-entropy of softmax.h:
 * per block one GEMM for the logits, a fused pass per row (max, the
 * exponentials written in place, their sum, the loss, and training's
 * gradient scale * (softmax - onehot) over the same memory), then the
 * block's two backward GEMMs while its rows are in cache.
 */
#include "trainer/nn/softmax.h"
#include "trainer/nn/model.h"
#include "trainer/nn/rowops.h"
#include "trainer/nn/vmath.h"

#include <assert.h>
#include <math.h>

int sm_block_rows(size_t rows, size_t N)
{
	size_t cap = MODEL_OUT_BLOCK_BYTES / (N * sizeof(float)), nblk;

	if (cap < SM_BLOCK_MIN_ROWS)
		cap = SM_BLOCK_MIN_ROWS;
	if (rows <= cap)
		return (int)rows;
	nblk = (rows + cap - 1) / cap;
	return (int)((rows + nblk - 1) / nblk);
}

/* A call of r <= max_rows rows uses blocks of at most min(r, cap) rows. */
size_t sm_block_floats(size_t max_rows, size_t N)
{
	size_t cap = MODEL_OUT_BLOCK_BYTES / (N * sizeof(float));

	if (cap < SM_BLOCK_MIN_ROWS)
		cap = SM_BLOCK_MIN_ROWS;
	return (max_rows < cap ? max_rows : cap) * N;
}

#define LANES 16	/* independent partial results, for ILP and accuracy */

static float row_max(const float *z, int n)
{
	float m[LANES], mx;
	int k = 0;

	for (int j = 0; j < LANES; j++)
		m[j] = z[0];
	for (; k + LANES <= n; k += LANES)
		for (int j = 0; j < LANES; j++)
			m[j] = z[k + j] > m[j] ? z[k + j] : m[j];
	for (; k < n; k++)
		m[0] = z[k] > m[0] ? z[k] : m[0];
	mx = m[0];
	for (int j = 1; j < LANES; j++)
		mx = m[j] > mx ? m[j] : mx;
	return mx;
}

/*
 * sum of e^(z - mx) over a row; e (may be z itself, or NULL) gets the
 * terms.  LANES partial sums, each of at most n / LANES terms, added up
 * in double at the end.
 */
static double row_exp_sum(float *e, const float *z, int n, float mx)
{
	double sum = 0.0;
	int k = 0;

#ifdef VMATH_AVX2
	__m256 m = _mm256_set1_ps(mx), a0 = _mm256_setzero_ps(), a1 = a0;
	float acc[16];

	for (; k + 16 <= n; k += 16) {
		__m256 v0 = vm_exp8(_mm256_sub_ps(_mm256_loadu_ps(z + k), m));
		__m256 v1 = vm_exp8(_mm256_sub_ps(_mm256_loadu_ps(z + k + 8), m));

		if (e) {
			_mm256_storeu_ps(e + k, v0);
			_mm256_storeu_ps(e + k + 8, v1);
		}
		a0 = _mm256_add_ps(a0, v0);
		a1 = _mm256_add_ps(a1, v1);
	}
	_mm256_storeu_ps(acc, a0);
	_mm256_storeu_ps(acc + 8, a1);
	for (int j = 0; j < 16; j++)
		sum += acc[j];
#else
	float acc[LANES] = { 0 }, tmp[LANES];

	for (; k + LANES <= n; k += LANES) {
		float *d = e ? e + k : tmp;

		for (int j = 0; j < LANES; j++)
			d[j] = vm_exp1(z[k + j] - mx);
		for (int j = 0; j < LANES; j++)
			acc[j] += d[j];
	}
	for (int j = 0; j < LANES; j++)
		sum += acc[j];
#endif
	for (; k < n; k++) {
		float v = vm_exp1(z[k] - mx);

		if (e)
			e[k] = v;
		sum += v;
	}
	return sum;
}

/*
 * -log softmax(z)[y] of one row, max-subtracted.  With grad, z becomes
 * scale * (softmax(z) - onehot(y)): the exponentials are written in place
 * on the way, so each is computed once, and no one-hot is ever built.
 */
static double row_xent(float *z, int V, int y, int grad, float scale)
{
	float mx = row_max(z, V), zy = z[y], a;
	double sum = row_exp_sum(grad ? z : NULL, z, V, mx);

	if (grad) {
		a = (float)(scale / sum);
		for (int k = 0; k < V; k++)
			z[k] *= a;
		z[y] -= scale;
	}
	return ((double)mx - zy) + log(sum);
}

double sm_xent(const sm_linear_t *l, const float *X, int R, const int32_t *y,
	       float scale, float *buf, float *dX)
{
	int N = l->N, in = l->in, rows = sm_block_rows((size_t)R, (size_t)N);
	double loss = 0.0;

	for (int r0 = 0; r0 < R; r0 += rows) {
		int n = R - r0 < rows ? R - r0 : rows;
		const float *xb = X + (size_t)r0 * in;

		/* Z = X W^T + b */
		if (l->b)
			ro_fill_rows(buf, l->b, n, N);
		ro_gemm(0, 1, n, N, in, xb, l->W, l->b ? 1.0f : 0.0f, buf);
		for (int k = 0; k < n; k++) {
			double lr;

			assert(y[r0 + k] >= 0 && y[r0 + k] < N);
			lr = row_xent(buf + (size_t)k * N, N, y[r0 + k], dX != NULL, scale);
			loss += lr;
			if (l->nll && l->nll_at)
				l->nll[l->nll_at[r0 + k]] += lr;
			else if (l->nll)
				l->nll[r0 + k] = lr;
		}
		if (!dX)
			continue;
		ro_gemm(0, 0, n, in, N, buf, l->W, 0.0f, dX + (size_t)r0 * in);
		ro_gemm(1, 0, N, in, n, buf, xb, 1.0f, l->gW);
		if (l->gb)
			ro_add_col_sums(l->gb, buf, n, N);
	}
	return loss;
}

void sm_log_softmax(const float *z, int n, float *out)
{
	float mx = row_max(z, n);
	double lse = (double)mx + log(row_exp_sum(NULL, z, n, mx));

	for (int k = 0; k < n; k++)
		out[k] = (float)((double)z[k] - lse);
}
