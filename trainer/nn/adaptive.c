/*
 * adaptive.c - the adaptive softmax (adaptive.h; the formulas in model.h).
 *
 * log p(y) for y in cluster i is the head's log softmax at the cluster's
 * entry plus the cluster's own log softmax at y, so the loss of a row is
 * the head's cross-entropy (target: y itself in the short list, else its
 * cluster's entry) plus, for a tail target, the cluster's cross-entropy
 * over its projected row.  Both are the blocked softmax of softmax.h; only
 * the clusters that hold some row's target are computed.
 */
#include "trainer/nn/adaptive.h"
#include "trainer/nn/rowops.h"
#include "trainer/nn/softmax.h"

#include <assert.h>

size_t ad_buf_floats(const model_cfg_t *c, size_t R)
{
	int C1 = c->cutoffs[0], K = c->nclusters;
	size_t need = (size_t)sm_block_rows(R, (size_t)(C1 + K)) * (C1 + K);

	for (int i = 1; i <= K; i++) {
		int lo, hi;
		size_t f;

		model_cluster(c, i, &lo, &hi);
		f = sm_block_floats(R, (size_t)(hi - lo));
		need = f > need ? f : need;
	}
	return need;
}

static sm_linear_t head(model_t *m)
{
	const model_cfg_t *c = &m->cfg;

	return (sm_linear_t){ m->ad.head_W, m->ad.head_b,
			      c->cutoffs[0] + c->nclusters, model_top(c),
			      m->g_ad.head_W, m->g_ad.head_b };
}

/* Cluster of id y: 0 for the short list, else 1 .. K. */
static int cluster_of(const model_cfg_t *c, int32_t y)
{
	int k = 0;

	while (k < c->nclusters && y >= c->cutoffs[k])
		k++;
	return k;
}

/* hy, and perm / ry / start: a counting sort of the rows by cluster. */
static void route(const model_cfg_t *c, ad_work_t *a, const int32_t *y, int R)
{
	int K = c->nclusters, C1 = c->cutoffs[0], next[MODEL_MAX_CLUSTERS + 1];

	for (int k = 0; k <= K + 1; k++)
		a->start[k] = 0;
	for (int r = 0; r < R; r++)
		a->start[cluster_of(c, y[r]) + 1]++;
	for (int k = 0; k <= K; k++) {
		a->start[k + 1] += a->start[k];
		next[k] = a->start[k];
	}
	for (int r = 0; r < R; r++) {
		int k = cluster_of(c, y[r]), lo = k ? c->cutoffs[k - 1] : 0;

		a->hy[r] = k ? C1 + k - 1 : y[r];
		a->perm[next[k]] = r;
		a->ry[next[k]++] = y[r] - lo;
	}
}

/* Tail cluster i over its n rows: projection, softmax, backward. */
static double tail_xent(model_t *m, ad_work_t *a, int i, const float *X,
			float scale, float *buf, float *dX)
{
	int H = model_top(&m->cfg), d = model_cluster_dim(&m->cfg, i), lo, hi;
	int n = a->start[i + 1] - a->start[i];
	const int32_t *rows = a->perm + a->start[i];
	double loss;

	model_cluster(&m->cfg, i, &lo, &hi);
	sm_linear_t t = { m->ad.W[i], NULL, hi - lo, d, m->g_ad.W[i], NULL, a->nll, rows };

	for (int k = 0; k < n; k++)
		memcpy(a->xg + (size_t)k * H, X + (size_t)rows[k] * H,
		       (size_t)H * sizeof(float));
	/* P = Xg proj^T */
	ro_gemm(0, 1, n, d, H, a->xg, m->ad.proj[i], 0.0f, a->pj);
	loss = sm_xent(&t, a->pj, n, a->ry + a->start[i], scale, buf,
		       dX ? a->dpj : NULL);
	if (!dX)
		return loss;
	/* g_proj += dP^T Xg; then dXg = dP proj over Xg, added to its rows */
	ro_gemm(1, 0, d, H, n, a->dpj, a->xg, 1.0f, m->g_ad.proj[i]);
	ro_gemm(0, 0, n, H, d, a->dpj, m->ad.proj[i], 0.0f, a->xg);
	ro_add_rows_by_id(dX, rows, a->xg, (size_t)n, H);
	return loss;
}

double ad_xent(model_t *m, ad_work_t *a, const float *X, int R,
	       const int32_t *y, float scale, float *buf, float *dX)
{
	sm_linear_t h = head(m);
	double loss;

	route(&m->cfg, a, y, R);
	h.nll = a->nll;		/* the head's term first, then each tail's added */
	loss = sm_xent(&h, X, R, a->hy, scale, buf, dX);	/* dX written */
	for (int i = 1; i <= m->cfg.nclusters; i++)
		if (a->start[i + 1] > a->start[i])
			loss += tail_xent(m, a, i, X, scale, buf, dX);
	return loss;
}

/* y (n) = A (n x k, row-major) x */
static void gemv(const float *A, int n, int k, const float *x, float *y)
{
	cblas_sgemv(CblasRowMajor, CblasNoTrans, n, k, 1.0f, A, k, x, 1, 0.0f,
		    y, 1);
}

void ad_log_probs(const model_t *m, ad_work_t *a, const float *x, float *buf,
		  float *out)
{
	const model_cfg_t *c = &m->cfg;
	int H = model_top(c), C1 = c->cutoffs[0], N = C1 + c->nclusters;

	gemv(m->ad.head_W, N, H, x, buf);
	if (m->ad.head_b)
		for (int k = 0; k < N; k++)
			buf[k] += m->ad.head_b[k];
	sm_log_softmax(buf, N, buf);
	memcpy(out, buf, (size_t)C1 * sizeof(float));
	for (int i = 1; i <= c->nclusters; i++) {
		int d = model_cluster_dim(c, i), lo, hi;
		float lh = buf[C1 + i - 1];

		model_cluster(c, i, &lo, &hi);
		gemv(m->ad.proj[i], d, H, x, a->pj);
		gemv(m->ad.W[i], hi - lo, d, a->pj, out + lo);
		sm_log_softmax(out + lo, hi - lo, out + lo);
		for (int k = lo; k < hi; k++)
			out[k] += lh;
	}
	assert(c->softmax == MODEL_SOFTMAX_ADAPTIVE);
}
