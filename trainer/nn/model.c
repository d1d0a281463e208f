/*
 * model.c - the LSTM language model's fast path: one GEMM per layer for the
 * input projection of the whole window, one small GEMM per step for the
 * recurrence (gemm_small.h, on Wh packed once per layer and window),
 * fused elementwise kernels for the cell (vectorized exp,
 * sigmoid, tanh: vmath.h), and the output projection in blocks of rows:
 * GEMM, fused softmax + cross-entropy + gradient, and that block's part of
 * backward while its logits are in cache (the T*B x V logits never exist
 * whole when they are large).
 *
 * When the vocabulary is small next to the window (2V <= T*B: character
 * models), layer 0's input term of every token id is computed once per
 * window as a V x 4H table, emb * Wx + b, and the T*B rows are copies of
 * its rows; backward sums dgate by token id into the same table and gets
 * g_Wx and g_emb from two V-row GEMMs.  An embedding row times Wx is the
 * same product for every occurrence of a token, so this is exact, and it
 * removes layer 0's T*B-row input GEMMs (7.6% of char-rnn's FLOPs).  Not
 * with dropout on the embedding: the mask differs per occurrence.  The
 * table has memory of its own, V x 4H floats, at most the size of dh
 * (tab_fits): about 0.5 MiB for char-rnn.  (It once shared dh's memory,
 * which was correct only for as long as every use of dh kept out of the
 * table's lifetime.)
 *
 * Every activation of a window is stored time-major (row t*B + b), so the
 * T*B rows of a layer are one matrix and the weight gradients of a whole
 * window are one GEMM each.
 */
#include "trainer/nn/model.h"
#include "trainer/nn/adaptive.h"
#include "trainer/nn/gemm_small.h"
#include "trainer/nn/rowops.h"
#include "trainer/nn/softmax.h"
#include "trainer/nn/vmath.h"

#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#define WORK_ALIGN 64	/* bytes: a cache line, and enough for AVX-512 */

enum { WORK_EMPTY, WORK_EVAL, WORK_TRAIN };

struct model_work {
	model_cfg_t cfg;
	int T, B;		/* the window: T steps (at most Tmax) of B streams */
	int Tmax;		/* what the area was laid out for */
	int mode;		/* what the last forward was: WORK_* */
	int dropped;		/* the last forward used dropout */
	int regs;		/* it used the regularizers of AWD-LSTM */
	int tabbed;		/* the last forward used tab for layer 0 */
	int32_t *in;		/* T*B input ids */
	float *x0;		/* T*B x E: embedding rows after dropout */
	/* Per layer l: */
	float *gate[MODEL_MAX_LAYERS];	/* T*B x 4H: i f g o after sig/tanh */
	float *hs[MODEL_MAX_LAYERS];	/* (T+1)*B x H: h_{-1} .. h_{T-1} */
	float *cs[MODEL_MAX_LAYERS];	/* (T+1)*B x H: C_{-1} .. C_{T-1} */
	float *tc[MODEL_MAX_LAYERS];	/* T*B x H: tanh(C_t) */
	/* Only when cfg.dropout > 0: */
	float *mask[MODEL_MAX_LAYERS + 1];	/* per site, see model.h */
	/* When site l + 1 has dropout of either kind: */
	float *drop[MODEL_MAX_LAYERS];	/* T*B x H: layer output * masks */
	/* AWD-LSTM's regularizers, each only when it is on (model.h): */
	float *lmask[MODEL_MAX_LAYERS + 1];	/* per site, B x width */
	float *emask;		/* V: one value per word type */
	float *wmask[MODEL_MAX_LAYERS];	/* per layer, H x 4H */
	float *whm;		/* H x 4H: Wh * wmask, of the layer at hand */
	double reg;		/* the AR + TAR sum of the last forward */
	int32_t *tgt;		/* T*B targets, time-major */
	int rows;		/* full softmax: rows of T*B per output block */
	float *logits;		/* one output block's logits, then its
				 * softmax gradient (train): rows x V, or
				 * ad_buf_floats with the adaptive softmax */
	ad_work_t ad;		/* adaptive softmax: its routing and rows */
	/* Backward scratch: */
	float *dgate;		/* T*B x 4H: d loss / d gate preactivations */
	float *dh;		/* T*B x max(E, H): dh from above, then dX */
	float *dh_rec;		/* B x H: dh_{t-1} through Wh */
	float *dc;		/* B x H: dC carried to the step before */
	/* One layer's Wh packed for the per-step GEMMs (gemm_small.h), once
	 * per layer and window: Wh (H x 4H) in forward, Wh^T (4H x H) in
	 * backward; gs_packed_floats of the larger of the two. */
	float *wpack;
	/* Only when tab_fits (see the top): V x 4H, layer 0's input term
	 * per token id, emb * Wx + b, in forward; d loss / d that term summed
	 * by token id in backward. */
	float *tab;
};

/* ---- configuration and parameter layout ---- */

/*
 * The adaptive softmax's settings, named as the flags of engram train name
 * them: PyTorch's rules (cutoffs strictly increasing in 1 .. V-1), plus
 * what would make a cluster useless: a projection of width 0, or a cluster
 * of one word (its log softmax is always 0, its weights never learn).
 */
static int adaptive_check(const model_cfg_t *c, err_t *e)
{
	char cut[16 * MODEL_MAX_CLUSTERS];
	int K = c->nclusters;

	if (c->tie)
		return err_set(e, "--tie cannot be used with --softmax adaptive (the head holds only the %d most frequent words)",
			       K > 0 ? c->cutoffs[0] : 0);
	if (K < 1 || K > MODEL_MAX_CLUSTERS)
		return err_set(e, "--cutoffs: the adaptive softmax needs 1 to %d cutoffs (got %d)",
			       MODEL_MAX_CLUSTERS, K);
	model_cutoffs_str(c, cut, sizeof(cut));
	for (int k = 0; k < K; k++) {
		int prev = k ? c->cutoffs[k - 1] : 0;

		if (c->cutoffs[k] <= prev || c->cutoffs[k] >= c->vocab)
			return err_set(e, "--cutoffs %s: expected strictly increasing values in 1 .. %d (the vocabulary has %d words)",
				       cut, c->vocab - 1, c->vocab);
	}
	if (!(c->div_value > 1.0) || !isfinite(c->div_value))
		return err_set(e, "--div-value must be a finite number > 1 (got %g)", c->div_value);
	for (int i = 1; i <= K; i++) {
		int lo, hi;

		model_cluster(c, i, &lo, &hi);
		if (hi - lo < 2)
			return err_set(e, "--cutoffs %s: tail cluster %d holds 1 word (id %d); each cluster needs at least 2",
				       cut, i, lo);
		if (model_cluster_dim(c, i) < 1)
			return err_set(e, "--div-value %g: tail cluster %d would have width 0 (floor(%d / %g^%d)); give fewer cutoffs, a smaller --div-value or a larger --hidden",
				       c->div_value, i, model_top(c), c->div_value, i);
	}
	return 0;
}

/* The regularizers' ranges, named as engram train's flags name them. */
static int regs_check(const model_cfg_t *c, err_t *e)
{
	const struct { const char *flag; float v; } p[] = {
		{ "--dropout-input", c->drop_in }, { "--dropout-hidden", c->drop_hid },
		{ "--dropout-output", c->drop_out }, { "--dropout-embed", c->drop_emb },
		{ "--weight-drop", c->weight_drop },
	};

	for (size_t k = 0; k < sizeof(p) / sizeof(p[0]); k++)
		if (!(p[k].v >= 0.0f && p[k].v < 1.0f))
			return err_set(e, "model: %s must be in [0, 1) (got %g)", p[k].flag,
				       (double)p[k].v);
	if (!(c->ar >= 0.0f && isfinite(c->ar)))
		return err_set(e, "model: --ar must be a finite number >= 0 (got %g)", (double)c->ar);
	if (!(c->tar >= 0.0f && isfinite(c->tar)))
		return err_set(e, "model: --tar must be a finite number >= 0 (got %g)", (double)c->tar);
	return 0;
}

int model_cfg_check(const model_cfg_t *c, err_t *e)
{
	if (c->vocab < 2)
		return err_set(e, "model: vocab must be >= 2 (got %d)",
			       c->vocab);
	if (c->embed < 1)
		return err_set(e, "model: embed must be >= 1 (got %d)",
			       c->embed);
	if (c->hidden < 1)
		return err_set(e, "model: hidden must be >= 1 (got %d)",
			       c->hidden);
	if (c->layers < 1 || c->layers > MODEL_MAX_LAYERS)
		return err_set(e, "model: layers must be in 1..%d (got %d)",
			       MODEL_MAX_LAYERS, c->layers);
	if (c->top_hidden < 0)
		return err_set(e, "model: top_hidden must be >= 0 (got %d)", c->top_hidden);
	if (c->tie && c->embed != model_top(c))
		return err_set(e, "model: tie needs embed == the top layer's width (got embed %d, %s %d)",
			       c->embed, c->top_hidden ? "top hidden" : "hidden", model_top(c));
	if (!(c->dropout >= 0.0f && c->dropout < 1.0f))
		return err_set(e, "model: dropout must be in [0, 1) (got %g)",
			       (double)c->dropout);
	if (regs_check(c, e))
		return -1;
	/* 4H columns and T*B*V logits are counted in ints by BLAS. */
	if ((int64_t)c->hidden * 4 > INT32_MAX || (int64_t)c->top_hidden * 4 > INT32_MAX)
		return err_set(e, "model: hidden %d is too large (4*hidden must fit an int)",
			       c->hidden > c->top_hidden ? c->hidden : c->top_hidden);
	if (c->softmax == MODEL_SOFTMAX_ADAPTIVE)
		return adaptive_check(c, e);
	if (c->softmax != MODEL_SOFTMAX_FULL)
		return err_set(e, "model: softmax must be full or adaptive (got kind %d)",
			       c->softmax);
	return 0;
}

int model_cfg_regularized(const model_cfg_t *c)
{
	return c->drop_in > 0.0f || c->drop_hid > 0.0f || c->drop_out > 0.0f ||
	       c->drop_emb > 0.0f || c->weight_drop > 0.0f || c->ar > 0.0f || c->tar > 0.0f;
}

void model_cluster(const model_cfg_t *c, int i, int *lo, int *hi)
{
	*lo = i ? c->cutoffs[i - 1] : 0;
	*hi = i < c->nclusters ? c->cutoffs[i] : c->vocab;
}

/*
 * PyTorch's int(in_features // div_value ** i): Python's float floor
 * division, which is not floor(H / D) when H / D rounds up to a whole
 * number (11 // 1.1 is 9.0, floor(11 / 1.1) is 10).  CPython computes it
 * from the remainder, as here for positive operands.
 */
int model_cluster_dim(const model_cfg_t *c, int i)
{
	double H = model_top(c), b = pow(c->div_value, i), mod = fmod(H, b);
	double div = (H - mod) / b, d = floor(div);

	if (div - d > 0.5)
		d += 1.0;
	return d >= 1.0 ? (int)d : 0;
}

void model_cutoffs_str(const model_cfg_t *c, char *buf, size_t n)
{
	size_t len = 0;

	buf[0] = '\0';
	for (int k = 0; k < c->nclusters && len < n; k++)
		len += (size_t)snprintf(buf + len, n - len, "%s%d", k ? "," : "",
					c->cutoffs[k]);
}

int model_cfg_same_shape(const model_cfg_t *a, const model_cfg_t *b)
{
	if (a->vocab != b->vocab || a->embed != b->embed || a->hidden != b->hidden ||
	    a->layers != b->layers || a->tie != b->tie || a->softmax != b->softmax ||
	    model_top(a) != model_top(b))
		return 0;
	if (a->softmax != MODEL_SOFTMAX_ADAPTIVE)
		return 1;
	if (a->nclusters != b->nclusters || a->div_value != b->div_value ||
	    a->head_bias != b->head_bias)
		return 0;
	for (int k = 0; k < a->nclusters; k++)
		if (a->cutoffs[k] != b->cutoffs[k])
			return 0;
	return 1;
}

static size_t add_tensor(model_t *m, const char *name, int rows, int cols,
			 size_t off)
{
	model_tensor_t *t = &m->tensor[m->ntensors++];

	snprintf(t->name, sizeof(t->name), "%s", name);
	t->off = off;
	t->rows = rows;
	t->cols = cols;
	return off + (size_t)rows * cols;
}

/* out.head.W, out.head.b, out.tail.<i>.proj and .W (model.h) */
static size_t layout_adaptive(model_t *m, size_t off)
{
	const model_cfg_t *c = &m->cfg;
	int N = c->cutoffs[0] + c->nclusters, H = model_top(c);
	char name[32];

	off = add_tensor(m, "out.head.W", N, H, off);
	if (c->head_bias)
		off = add_tensor(m, "out.head.b", 1, N, off);
	for (int i = 1; i <= c->nclusters; i++) {
		int d = model_cluster_dim(c, i), lo, hi;

		model_cluster(c, i, &lo, &hi);
		snprintf(name, sizeof(name), "out.tail.%d.proj", i);
		off = add_tensor(m, name, d, H, off);
		snprintf(name, sizeof(name), "out.tail.%d.W", i);
		off = add_tensor(m, name, hi - lo, d, off);
	}
	return off;
}

/* The table in buffer order (model.h): the order backward finishes them. */
static void layout(model_t *m)
{
	const model_cfg_t *c = &m->cfg;
	char name[32];
	size_t off = 0;

	m->ntensors = 0;
	if (c->softmax == MODEL_SOFTMAX_ADAPTIVE) {
		off = layout_adaptive(m, off);
	} else {
		if (!c->tie)
			off = add_tensor(m, "out.W", c->vocab, model_top(c), off);
		off = add_tensor(m, "out.b", 1, c->vocab, off);
	}
	m->ready_out = off;
	for (int l = c->layers - 1; l >= 0; l--) {
		int H = model_width(c, l), G = 4 * H;

		snprintf(name, sizeof(name), "lstm.%d.Wx", l);
		off = add_tensor(m, name, l ? model_width(c, l - 1) : c->embed, G, off);
		snprintf(name, sizeof(name), "lstm.%d.Wh", l);
		off = add_tensor(m, name, H, G, off);
		snprintf(name, sizeof(name), "lstm.%d.b", l);
		off = add_tensor(m, name, 1, G, off);
		m->ready_lstm[l] = off;
	}
	off = add_tensor(m, "emb", c->vocab, c->embed, off);
	m->n = off;
}

/* Point the named views at buffer p, in the order layout() laid down. */
static void set_views(const model_t *m, float *p, float **out_W,
		      float **out_b, model_adapt_t *ad, model_lstm_t *lstm,
		      float **emb)
{
	int k = 0;

	if (m->cfg.softmax == MODEL_SOFTMAX_ADAPTIVE) {
		ad->head_W = p + m->tensor[k++].off;
		ad->head_b = m->cfg.head_bias ? p + m->tensor[k++].off : NULL;
		for (int i = 1; i <= m->cfg.nclusters; i++) {
			ad->proj[i] = p + m->tensor[k++].off;
			ad->W[i] = p + m->tensor[k++].off;
		}
	} else {
		*out_W = m->cfg.tie ? NULL : p + m->tensor[k++].off;
		*out_b = p + m->tensor[k++].off;
	}
	for (int l = m->cfg.layers - 1; l >= 0; l--) {
		lstm[l].Wx = p + m->tensor[k++].off;
		lstm[l].Wh = p + m->tensor[k++].off;
		lstm[l].b = p + m->tensor[k++].off;
	}
	*emb = p + m->tensor[k].off;
	if (m->cfg.tie)
		*out_W = *emb;
}

int model_layout(model_t *m, const model_cfg_t *cfg, err_t *e)
{
	memset(m, 0, sizeof(*m));
	if (model_cfg_check(cfg, e))
		return -1;
	m->cfg = *cfg;
	layout(m);
	return 0;
}

int model_init(model_t *m, const model_cfg_t *cfg, err_t *e)
{
	if (model_layout(m, cfg, e))
		return -1;
	m->params = err_calloc(m->n, sizeof(float), "model parameters", e);
	m->grads = err_calloc(m->n, sizeof(float), "model gradients", e);
	if (!m->params || !m->grads) {
		model_free(m);
		return -1;
	}
	set_views(m, m->params, &m->out_W, &m->out_b, &m->ad, m->lstm, &m->emb);
	set_views(m, m->grads, &m->g_out_W, &m->g_out_b, &m->g_ad, m->g_lstm,
		  &m->g_emb);
	return 0;
}

void model_free(model_t *m)
{
	free(m->params);
	free(m->grads);
	memset(m, 0, sizeof(*m));
}

void model_init_params(model_t *m, float init_scale, float forget_bias,
		       uint64_t seed)
{
	rng_t r;

	rng_seed(&r, seed, 0);
	for (size_t i = 0; i < m->n; i++)
		m->params[i] = (2.0f * rng_float(&r) - 1.0f) * init_scale;
	if (forget_bias == 0.0f)
		return;
	for (int l = 0; l < m->cfg.layers; l++)
		for (int j = model_width(&m->cfg, l); j < 2 * model_width(&m->cfg, l); j++)
			m->lstm[l].b[j] = forget_bias;
}

/* ---- carried state ---- */

int model_state_init(model_state_t *s, const model_cfg_t *cfg, int batch,
		     err_t *e)
{
	size_t n;

	memset(s, 0, sizeof(*s));
	if (model_cfg_check(cfg, e))
		return -1;
	if (batch < 1)
		return err_set(e, "model state: batch must be >= 1 (got %d)",
			       batch);
	n = model_state_floats(cfg, batch);
	for (int l = 0; l < cfg->layers; l++)
		s->off[l] = l ? s->off[l - 1] + (size_t)batch * model_width(cfg, l - 1) : 0;
	s->h = err_calloc(n, sizeof(float), "the carried h state", e);
	s->c = err_calloc(n, sizeof(float), "the carried C state", e);
	if (!s->h || !s->c) {
		model_state_free(s);
		return -1;
	}
	s->layers = cfg->layers;
	s->batch = batch;
	s->n = n;
	return 0;
}

size_t model_state_floats(const model_cfg_t *cfg, int batch)
{
	size_t n = 0;

	for (int l = 0; l < cfg->layers; l++)
		n += (size_t)batch * model_width(cfg, l);
	return n;
}

void model_state_zero(model_state_t *s)
{
	memset(s->h, 0, s->n * sizeof(float));
	memset(s->c, 0, s->n * sizeof(float));
}

void model_state_free(model_state_t *s)
{
	free(s->h);
	free(s->c);
	memset(s, 0, sizeof(*s));
}

/* ---- the work area ---- */

/* The widest layer: what the buffers shared by the layers hold. */
static int max_width(const model_cfg_t *c)
{
	return c->top_hidden > c->hidden ? c->top_hidden : c->hidden;
}

/* The width of site s: E at the embedding, else layer s-1's. */
static int site_width(const model_cfg_t *c, int s)
{
	return s ? model_width(c, s - 1) : c->embed;
}

/* The locked dropout probability of a site (model.h). */
static float lock_p(const model_cfg_t *c, int site)
{
	if (site == 0)
		return c->drop_in;
	return site == c->layers ? c->drop_out : c->drop_hid;
}

/* Site s has a dropped copy of its values (either kind of dropout). */
static int site_has_drop(const model_cfg_t *c, int s)
{
	return c->dropout > 0.0f || lock_p(c, s) > 0.0f;
}

/* The packed Wh of the recurrent GEMMs: forward H x 4H, backward 4H x H. */
static size_t wpack_floats(const model_cfg_t *c)
{
	size_t fw = gs_packed_floats(max_width(c), 4 * max_width(c));
	size_t bw = gs_packed_floats(4 * max_width(c), max_width(c));

	return fw > bw ? fw : bw;
}

/*
 * Layer 0 by table (see the top) when the table has at most half the rows
 * of the window (so its GEMMs are at most half of the ones it replaces)
 * and fits in dh (T*B x max(E, H)).
 */
static int tab_fits(const model_cfg_t *c, double TB)
{
	double V = c->vocab, rowf = c->embed > max_width(c) ? c->embed : max_width(c);

	return 2 * V <= TB && V * 4 * model_width(c, 0) <= TB * rowf;
}

static size_t tab_bytes(const model_cfg_t *c)
{
	return (size_t)c->vocab * 4 * model_width(c, 0) * sizeof(float);
}

size_t model_table_bytes(const model_cfg_t *cfg, int T, int B)
{
	if (model_cfg_check(cfg, NULL) || T < 1 || B < 1)
		return 0;
	return tab_fits(cfg, (double)T * B) ? tab_bytes(cfg) : 0;
}

/* Reserve bytes at *off; a pointer into base, or NULL when only counting. */
static void *carve(char *base, size_t *off, size_t bytes)
{
	void *p = base ? base + *off : NULL;

	*off += (bytes + WORK_ALIGN - 1) / WORK_ALIGN * WORK_ALIGN;
	return p;
}

/*
 * Lay the work area out from base (NULL: count only) and return its size.
 * One function for both, so model_work_bytes is exactly what is allocated.
 */
static size_t work_layout(struct model_work *w, const model_cfg_t *c, int T,
			  int B, char *base)
{
	size_t TB = (size_t)T * B, f = sizeof(float);
	size_t H = max_width(c), E = c->embed, V = c->vocab;	/* H: the widest */
	size_t off = 0;
	int L = c->layers;

	carve(base, &off, sizeof(*w));	/* the struct itself heads the block */
	w->in = carve(base, &off, TB * sizeof(int32_t));
	w->x0 = carve(base, &off, TB * E * f);
	for (int l = 0; l < L; l++) {
		size_t Hl = model_width(c, l);

		w->gate[l] = carve(base, &off, TB * 4 * Hl * f);
		w->hs[l] = carve(base, &off, (TB + B) * Hl * f);
		w->cs[l] = carve(base, &off, (TB + B) * Hl * f);
		w->tc[l] = carve(base, &off, TB * Hl * f);
	}
	if (c->dropout > 0.0f) {
		w->mask[0] = carve(base, &off, TB * E * f);
		for (int l = 0; l < L; l++)
			w->mask[l + 1] = carve(base, &off, TB * model_width(c, l) * f);
	}
	for (int l = 0; l < L; l++)
		if (site_has_drop(c, l + 1))
			w->drop[l] = carve(base, &off, TB * model_width(c, l) * f);
	for (int s = 0; s <= L; s++)
		if (lock_p(c, s) > 0.0f)
			w->lmask[s] = carve(base, &off, (size_t)B * site_width(c, s) * f);
	if (c->drop_emb > 0.0f)
		w->emask = carve(base, &off, V * f);
	if (c->weight_drop > 0.0f) {
		for (int l = 0; l < L; l++)
			w->wmask[l] = carve(base, &off,
					    (size_t)model_width(c, l) * 4 * model_width(c, l) * f);
		w->whm = carve(base, &off, H * 4 * H * f);
	}
	w->tgt = carve(base, &off, TB * sizeof(int32_t));
	if (c->softmax == MODEL_SOFTMAX_ADAPTIVE) {
		size_t d1 = (size_t)model_cluster_dim(c, 1);

		w->ad.hy = carve(base, &off, TB * sizeof(int32_t));
		w->ad.perm = carve(base, &off, TB * sizeof(int32_t));
		w->ad.ry = carve(base, &off, TB * sizeof(int32_t));
		w->ad.xg = carve(base, &off, TB * model_top(c) * f);
		w->ad.pj = carve(base, &off, TB * d1 * f);
		w->ad.dpj = carve(base, &off, TB * d1 * f);
		w->rows = 0;	/* no whole logits matrix, ever */
		w->logits = carve(base, &off, ad_buf_floats(c, TB) * f);
	} else {
		/* blocks of any window up to T steps: model_work_set_len */
		w->rows = sm_block_rows(TB, V);
		w->logits = carve(base, &off, sm_block_floats(TB, V) * f);
	}
	w->dgate = carve(base, &off, TB * 4 * H * f);
	w->dh = carve(base, &off, TB * (E > H ? E : H) * f);
	w->dh_rec = carve(base, &off, (size_t)B * H * f);
	w->dc = carve(base, &off, (size_t)B * H * f);
	w->wpack = carve(base, &off, wpack_floats(c) * f);
	w->tab = tab_fits(c, (double)TB) ? carve(base, &off, tab_bytes(c)) : NULL;
	return off;
}

/*
 * An upper bound of what work_layout counts, in double so that absurd
 * shapes cannot wrap size_t around before they are refused.
 */
static double work_bytes_bound(const model_cfg_t *c, int T, int B)
{
	double TB = (double)T * B, H = max_width(c), E = c->embed, L = c->layers;
	/* dh, and layer 0's table (at most dh's size: tab_fits) */
	double per_row = 2 + 2 * E + 9 * L * H + 4 * H + 2 * (E > H ? E : H);
	/* any output width N <= V needs at most min(TB, cap(N)) * N floats,
	 * which is at most the full softmax's figure */
	double cap = MODEL_OUT_BLOCK_BYTES / (4.0 * c->vocab) + SM_BLOCK_MIN_ROWS;
	double floats, adaptive = c->softmax == MODEL_SOFTMAX_ADAPTIVE;

	per_row += adaptive * (3 + 3 * H);	/* hy perm ry, xg, pj dpj <= H */
	floats = TB * per_row + (TB < cap ? TB : cap) * c->vocab +
		 2 * (L + 1) * B * H + 4 * H * (H + GS_NR);
	/* the regularizers' masks: locked, embedding, weight drop and Wh * wmask */
	floats += (L + 1) * B * (E > H ? E : H) + c->vocab + (L + 1) * 4 * H * H;
	return floats * sizeof(float) + (double)sizeof(struct model_work) +
	       WORK_ALIGN * (8 * L + 21);	/* one round-up per carve */
}

size_t model_work_bytes(const model_cfg_t *cfg, int T, int B)
{
	struct model_work tmp;

	if (model_cfg_check(cfg, NULL) || T < 1 || B < 1 ||
	    work_bytes_bound(cfg, T, B) > (double)(SIZE_MAX / 2))
		return SIZE_MAX;
	memset(&tmp, 0, sizeof(tmp));
	return work_layout(&tmp, cfg, T, B, NULL);
}

/* "85 MiB", "1.23 GiB": two decimals below 10 units, none above. */
static void human(char *buf, size_t len, double bytes)
{
	static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB", "PiB" };
	int u = -1;

	while (bytes >= 1024.0 && u < 4) {
		bytes /= 1024.0;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%.0f bytes", bytes);
	else
		snprintf(buf, len, "%.*f %s", bytes < 10.0 ? 2 : 0, bytes,
			 unit[u]);
}

model_work_t *model_work_new(const model_cfg_t *cfg, int T, int B, err_t *e)
{
	struct model_work tmp, *w;
	char total[32], row[32];
	double bound;
	size_t n;

	if (model_cfg_check(cfg, e))
		return NULL;
	if (T < 1 || B < 1) {
		err_set(e, "model work: window %d x batch %d, both must be >= 1",
			T, B);
		return NULL;
	}
	/* BLAS counts the T*B rows of a window in an int. */
	if ((int64_t)T * B > INT32_MAX) {
		err_set(e, "model work: window %d x batch %d = %lld rows, more than an int holds",
			T, B, (long long)T * B);
		return NULL;
	}
	bound = work_bytes_bound(cfg, T, B);
	n = bound > (double)(SIZE_MAX / 2) ? 0 : model_work_bytes(cfg, T, B);
	w = n ? aligned_alloc(WORK_ALIGN, n) : NULL;
	if (!w) {
		human(total, sizeof(total), n ? (double)n : bound);
		human(row, sizeof(row), bound / ((double)T * B));
		err_set(e, "cannot allocate the window's activations: %s (T*B = %d*%d rows of about %s each)",
			total, T, B, row);
		return NULL;
	}
	memset(&tmp, 0, sizeof(tmp));
	work_layout(&tmp, cfg, T, B, (char *)w);
	*w = tmp;
	w->cfg = *cfg;
	w->T = w->Tmax = T;
	w->B = B;
	w->mode = WORK_EMPTY;
	return w;
}

int model_work_set_len(model_work_t *w, int T)
{
	if (T < 1 || T > w->Tmax)
		return -1;
	w->T = T;
	if (w->cfg.softmax != MODEL_SOFTMAX_ADAPTIVE)
		w->rows = sm_block_rows((size_t)T * w->B, (size_t)w->cfg.vocab);
	w->mode = WORK_EMPTY;
	return 0;
}

void model_work_free(model_work_t *w)
{
	free(w);
}

const float *model_logits(const model_work_t *w)
{
	return w->rows == w->T * w->B ? w->logits : NULL;
}

int model_layer0_by_table(const model_work_t *w)
{
	return w->tabbed;
}

const float *model_dropout_mask(const model_work_t *w, int site)
{
	if (!w->dropped || site < 0 || site > w->cfg.layers)
		return NULL;
	return w->mask[site];
}

const float *model_locked_mask(const model_work_t *w, int site)
{
	if (!w->regs || site < 0 || site > w->cfg.layers)
		return NULL;
	return w->lmask[site];
}

const float *model_embed_mask(const model_work_t *w)
{
	return w->regs ? w->emask : NULL;
}

const float *model_wdrop_mask(const model_work_t *w, int l)
{
	if (!w->regs || l < 0 || l >= w->cfg.layers)
		return NULL;
	return w->wmask[l];
}

double model_reg_loss(const model_work_t *w)
{
	return w->mode == WORK_TRAIN ? w->reg : 0.0;
}

/* ---- small kernels ---- */

/* Inverted dropout masks: 0 with probability p, else 1/(1-p). */
static void draw_mask(float *mask, size_t n, float p, rng_t *r)
{
	float keep = 1.0f / (1.0f - p);

	for (size_t i = 0; i < n; i++)
		mask[i] = rng_float(r) < p ? 0.0f : keep;
}

static void mul(float *y, const float *x, const float *mask, size_t n)
{
	for (size_t i = 0; i < n; i++)
		y[i] = x[i] * mask[i];
}

/* The last forward dropped units at site s (dropout or locked dropout). */
static int site_dropped(const model_work_t *w, int s)
{
	return w->dropped || (w->regs && w->lmask[s]);
}

/*
 * x (T*B rows of n) times the masks of site s: dropout's per-step mask,
 * then the locked mask of each row's stream.  Forward and backward alike:
 * the masks are diagonal.
 */
static void site_mul(const model_work_t *w, int s, float *x, int n)
{
	size_t TB = (size_t)w->T * w->B;

	if (w->dropped)
		mul(x, x, w->mask[s], TB * n);
	if (!w->regs || !w->lmask[s])
		return;
	for (size_t r = 0; r < TB; r++)
		mul(x + r * n, x + r * n, w->lmask[s] + (r % w->B) * n, n);
}

/* Draw site s's masks for this window: per step, then locked. */
static void site_draw(model_work_t *w, int s, rng_t *r)
{
	size_t width = site_width(&w->cfg, s);

	if (w->dropped)
		draw_mask(w->mask[s], (size_t)w->T * w->B * width, w->cfg.dropout, r);
	if (w->regs && w->lmask[s])
		draw_mask(w->lmask[s], (size_t)w->B * width, lock_p(&w->cfg, s), r);
}

/*
 * The per-step GEMMs of the recurrence have only B rows against the whole
 * H x 4H Wh; cblas_sgemm would pack Wh again at every step.  They use
 * gemm_small.h instead, on w->wpack packed once per layer and window, on
 * one thread (OpenBLAS's thread hand-off cost more than it brought at
 * these sizes; the whole-window GEMMs around the step loop keep every
 * thread).
 */

/* ---- forward ---- */

/* The input of layer l (T*B x in): embedding rows, or the layer below. */
static const float *layer_in(const model_work_t *w, int l)
{
	if (!l)
		return w->x0;
	if (site_dropped(w, l))
		return w->drop[l - 1];
	return w->hs[l - 1] + (size_t)w->B * model_width(&w->cfg, l - 1);	/* h_0 on */
}

static const float *top_out(const model_work_t *w)
{
	int L = w->cfg.layers;

	if (site_dropped(w, L))
		return w->drop[L - 1];
	return w->hs[L - 1] + (size_t)w->B * model_top(&w->cfg);
}

static void embed_fwd(const model_t *m, model_work_t *w, const int32_t *tok,
		      rng_t *r)
{
	int T = w->T, B = w->B, E = m->cfg.embed;
	const float *em = w->regs ? w->emask : NULL;

	if (em)
		draw_mask(w->emask, (size_t)m->cfg.vocab, m->cfg.drop_emb, r);
	for (int t = 0; t < T; t++)
		for (int b = 0; b < B; b++) {
			int32_t id = tok[(size_t)b * (T + 1) + t];
			size_t row = (size_t)t * B + b;
			float *x = w->x0 + row * E;

			assert(id >= 0 && id < m->cfg.vocab);
			w->in[row] = id;
			if (w->tabbed)
				continue;
			memcpy(x, m->emb + (size_t)id * E, E * sizeof(float));
			for (int k = 0; em && k < E; k++)
				x[k] *= em[id];
		}
	if (site_dropped(w, 0)) {
		site_draw(w, 0, r);
		site_mul(w, 0, w->x0, E);
	}
}

/*
 * One step of the cell for B rows.  g holds the preactivations
 * x*Wx + h_{t-1}*Wh + b and gets the activations i f g o in their place;
 * cp is C_{t-1}; c, tc, h get C_t, tanh(C_t), h_t.
 */
static void cell_fwd(int B, int H, float *g, const float *cp, float *c,
		     float *tc, float *h)
{
	for (int b = 0; b < B; b++) {
		float *gi = g + (size_t)b * 4 * H, *gf = gi + H, *gg = gf + H,
		      *go = gg + H;
		size_t r = (size_t)b * H;
		int j = 0;

#ifdef VMATH_AVX2
		for (; j + 8 <= H; j += 8) {
			__m256 i = vm_sigm8(_mm256_loadu_ps(gi + j));
			__m256 f = vm_sigm8(_mm256_loadu_ps(gf + j));
			__m256 gc = vm_tanh8(_mm256_loadu_ps(gg + j));
			__m256 o = vm_sigm8(_mm256_loadu_ps(go + j));
			__m256 ct = _mm256_fmadd_ps(f, _mm256_loadu_ps(cp + r + j),
						    _mm256_mul_ps(i, gc));
			__m256 tct = vm_tanh8(ct);

			_mm256_storeu_ps(gi + j, i);
			_mm256_storeu_ps(gf + j, f);
			_mm256_storeu_ps(gg + j, gc);
			_mm256_storeu_ps(go + j, o);
			_mm256_storeu_ps(c + r + j, ct);
			_mm256_storeu_ps(tc + r + j, tct);
			_mm256_storeu_ps(h + r + j, _mm256_mul_ps(o, tct));
		}
#endif
		for (; j < H; j++) {
			float i = vm_sigm1(gi[j]), f = vm_sigm1(gf[j]);
			float gc = vm_tanh1(gg[j]), o = vm_sigm1(go[j]);
			float ct = __builtin_fmaf(f, cp[r + j], i * gc);
			float tct = vm_tanh1(ct);

			gi[j] = i;
			gf[j] = f;
			gg[j] = gc;
			go[j] = o;
			c[r + j] = ct;
			tc[r + j] = tct;
			h[r + j] = o * tct;
		}
	}
}

/* gate = b + X * Wx for all T*B rows of layer l; layer 0 maybe by table. */
static void input_fwd(const model_t *m, model_work_t *w, int l)
{
	int V = m->cfg.vocab, G = 4 * model_width(&m->cfg, l);
	int in = site_width(&m->cfg, l);
	size_t TB = (size_t)w->T * w->B;
	const model_lstm_t *p = &m->lstm[l];

	if (l || !w->tabbed) {
		ro_fill_rows(w->gate[l], p->b, TB, G);
		ro_gemm(0, 0, (int)TB, G, in, layer_in(w, l), p->Wx, 1.0f,
		     w->gate[l]);
		return;
	}
	/* tab = b + emb * Wx, then each row's token id picks its row */
	ro_fill_rows(w->tab, p->b, V, G);
	ro_gemm(0, 0, V, G, in, m->emb, p->Wx, 1.0f, w->tab);
	for (size_t r = 0; r < TB; r++)
		memcpy(w->gate[0] + r * G, w->tab + (size_t)w->in[r] * G,
		       G * sizeof(float));
}

static void lstm_fwd(const model_t *m, model_work_t *w, int l,
		     model_state_t *s, rng_t *r)
{
	int T = w->T, B = w->B, H = model_width(&m->cfg, l), G = 4 * H;
	size_t TB = (size_t)T * B, BH = (size_t)B * H;
	const model_lstm_t *p = &m->lstm[l];
	float *gate = w->gate[l], *hs = w->hs[l], *cs = w->cs[l];

	/* Block 0 of hs and cs is the carried state: h_{-1} and C_{-1}. */
	memcpy(hs, s->h + s->off[l], BH * sizeof(float));
	memcpy(cs, s->c + s->off[l], BH * sizeof(float));
	input_fwd(m, w, l);	/* all T*B input rows at once */
	if (w->regs && w->wmask[l]) {	/* weight drop: the window's Wh */
		draw_mask(w->wmask[l], (size_t)H * G, m->cfg.weight_drop, r);
		mul(w->whm, p->Wh, w->wmask[l], (size_t)H * G);
		gs_pack(w->wpack, w->whm, H, G, G);
	} else {
		gs_pack(w->wpack, p->Wh, H, G, G);
	}
	for (int t = 0; t < T; t++) {
		float *gt = gate + (size_t)t * B * G;

		/* gate[t] += h_{t-1} * Wh: the only serial part. */
		gs_gemm(B, G, H, hs + t * BH, H, w->wpack, 1.0f, gt, G);
		cell_fwd(B, H, gt, cs + t * BH, cs + (t + 1) * BH,
			 w->tc[l] + t * BH, hs + (t + 1) * BH);
	}
	memcpy(s->h + s->off[l], hs + T * BH, BH * sizeof(float));
	memcpy(s->c + s->off[l], cs + T * BH, BH * sizeof(float));
	if (site_dropped(w, l + 1)) {
		site_draw(w, l + 1, r);
		memcpy(w->drop[l], hs + BH, TB * H * sizeof(float));
		site_mul(w, l + 1, w->drop[l], H);
	}
}

/*
 * AR and TAR (model.h) on the top layer, after the output layer's backward
 * left dtop = scale * d CE / d x_top in dh: returns their sum and turns dh
 * into scale * d (CE + AR + TAR) / d h_top, the gradient of the top
 * layer's undropped h, which is what the layer's backward takes.
 *   AR  = ar / H * sum (x_top^2)             d/dx_top = 2 ar / H * x_top
 *   TAR = tar * T / ((T-1) H) * sum_{t>=1} (h_t - h_{t-1})^2
 */
static double reg_fwd_bwd(const model_t *m, model_work_t *w, float *dh,
			  float scale)
{
	int T = w->T, B = w->B, H = model_top(&m->cfg), L = m->cfg.layers;
	size_t TB = (size_t)T * B, BH = (size_t)B * H;
	const float *x = top_out(w), *h = w->hs[L - 1] + BH;	/* h_0 on */
	double ar = m->cfg.ar / H, tar = T > 1 ? m->cfg.tar * T / ((T - 1.0) * H) : 0.0;
	double sum_ar = 0.0, sum_tar = 0.0;

	if (dh && ar > 0.0)
		for (size_t i = 0; i < TB * H; i++)
			dh[i] += (float)(scale * 2.0 * ar) * x[i];
	for (size_t i = 0; ar > 0.0 && i < TB * H; i++)
		sum_ar += (double)x[i] * x[i];
	if (dh && site_dropped(w, L))
		site_mul(w, L, dh, H);
	if (tar > 0.0)
		for (size_t i = BH; i < TB * H; i++) {
			float d = h[i] - h[i - BH];

			sum_tar += (double)d * d;
			if (!dh)
				continue;
			dh[i] += (float)(scale * 2.0 * tar) * d;
			dh[i - BH] -= (float)(scale * 2.0 * tar) * d;
		}
	return ar * sum_ar + tar * sum_tar;
}

/*
 * The output layer over the window's T*B rows (softmax.h: blocked, each
 * block's backward done while it is in cache): training writes dh = d
 * loss / d top (times the top dropout mask) and adds the output layer's
 * weight gradients; with tying out.W's land in g_emb.
 */
static double output_fwd(model_t *m, model_work_t *w, const int32_t *tok,
			 int grad, float scale, double *nll)
{
	int T = w->T, B = w->B, TB = T * B, H = model_top(&m->cfg);
	const float *top = top_out(w);
	float *dh = grad ? w->dh : NULL;
	double loss;

	for (int t = 0; t < T; t++)
		for (int b = 0; b < B; b++)
			w->tgt[t * B + b] = tok[(size_t)b * (T + 1) + t + 1];
	if (m->cfg.softmax == MODEL_SOFTMAX_ADAPTIVE) {
		w->ad.nll = nll;
		loss = ad_xent(m, &w->ad, top, TB, w->tgt, scale, w->logits, dh);
		w->ad.nll = NULL;
	} else {
		sm_linear_t out = { m->out_W, m->out_b, m->cfg.vocab, H,
				    m->g_out_W, m->g_out_b, nll, NULL };

		loss = sm_xent(&out, top, TB, w->tgt, scale, w->logits, dh);
	}
	w->reg = 0.0;
	if (w->regs && (m->cfg.ar > 0.0f || m->cfg.tar > 0.0f))
		w->reg = reg_fwd_bwd(m, w, dh, scale);
	else if (dh && site_dropped(w, m->cfg.layers))
		site_mul(w, m->cfg.layers, dh, H);
	return loss;
}

void model_log_probs(const model_t *m, model_work_t *w, int row, float *out)
{
	const float *x = top_out(w) + (size_t)row * model_top(&m->cfg);
	int V = m->cfg.vocab;

	assert(row >= 0 && row < w->T * w->B && w->mode != WORK_EMPTY);
	if (m->cfg.softmax == MODEL_SOFTMAX_ADAPTIVE) {
		ad_log_probs(m, &w->ad, x, w->logits, out);
		return;
	}
	/* out = out_W x + out_b, then its log softmax */
	memcpy(out, m->out_b, (size_t)V * sizeof(float));
	cblas_sgemv(CblasRowMajor, CblasNoTrans, V, model_top(&m->cfg), 1.0f,
		    m->out_W, model_top(&m->cfg), x, 1, 1.0f, out, 1);
	sm_log_softmax(out, V, out);
}

static inline int same_regs(const model_cfg_t *a, const model_cfg_t *b)
{
	return a->drop_in == b->drop_in && a->drop_hid == b->drop_hid &&
	       a->drop_out == b->drop_out && a->drop_emb == b->drop_emb &&
	       a->weight_drop == b->weight_drop && a->ar == b->ar && a->tar == b->tar;
}

static double forward(model_t *m, model_work_t *w, model_state_t *s,
		      const int32_t *tok, rng_t *r, int train, float scale,
		      double *nll)
{
	assert(s->batch == w->B && s->layers == m->cfg.layers &&
	       s->n == model_state_floats(&m->cfg, w->B));
	/* the work area's masks were laid out for its own settings */
	assert(model_cfg_same_shape(&w->cfg, &m->cfg) &&
	       w->cfg.dropout == m->cfg.dropout && same_regs(&w->cfg, &m->cfg));
	w->dropped = train && r && m->cfg.dropout > 0.0f;
	w->regs = train && r;
	w->tabbed = w->tab && !site_dropped(w, 0) && !(w->regs && w->emask);
	w->mode = train ? WORK_TRAIN : WORK_EVAL;
	embed_fwd(m, w, tok, r);
	for (int l = 0; l < m->cfg.layers; l++)
		lstm_fwd(m, w, l, s, r);
	return output_fwd(m, w, tok, train, scale, nll);
}

double model_forward_train(model_t *m, model_work_t *w, model_state_t *s,
			   const int32_t *tok, rng_t *dropout_rng,
			   float grad_scale)
{
	return forward(m, w, s, tok, dropout_rng, 1, grad_scale, NULL);
}

double model_forward_eval(model_t *m, model_work_t *w, model_state_t *s,
			  const int32_t *tok)
{
	return forward(m, w, s, tok, NULL, 0, 1.0f, NULL);
}

double model_forward_score(model_t *m, model_work_t *w, model_state_t *s,
			   const int32_t *tok, double *nll)
{
	return forward(m, w, s, tok, NULL, 0, 1.0f, nll);
}

/* ---- backward ---- */

/*
 * One step of the cell backward for B rows.  dh = dh from above + dh_rec;
 * dc is dC from step t+1 in, and dC for step t-1 (that is dC * f) out.
 *   dC = dc + dh * o * (1 - tc^2)
 *   d(gate i) = dC * gc * i(1-i)      d(gate f) = dC * cp * f(1-f)
 *   d(gate g) = dC * i * (1-gc^2)      d(gate o) = dh * tc * o(1-o)
 */
static void cell_bwd(int B, int H, const float *g, const float *cp,
		     const float *tc, const float *dh_up, const float *dh_rec,
		     float *dc, float *dg)
{
	for (int b = 0; b < B; b++) {
		const float *gi = g + (size_t)b * 4 * H, *gf = gi + H,
			    *gg = gf + H, *go = gg + H;
		float *di = dg + (size_t)b * 4 * H, *df = di + H, *dgg = df + H,
		      *dout = dgg + H;
		size_t r = (size_t)b * H;

		for (int j = 0; j < H; j++) {
			float i = gi[j], f = gf[j], gc = gg[j], o = go[j];
			float t = tc[r + j];
			float dh = dh_up[r + j] + dh_rec[r + j];
			float dC = dc[r + j] + dh * o * (1.0f - t * t);

			di[j] = dC * gc * i * (1.0f - i);
			df[j] = dC * cp[r + j] * f * (1.0f - f);
			dgg[j] = dC * i * (1.0f - gc * gc);
			dout[j] = dh * t * o * (1.0f - o);
			dc[r + j] = dC * f;
		}
	}
}

static void hook_call(model_grad_hook_t hook, void *ctx, size_t ready)
{
	if (hook)
		hook(ctx, ready);
}

/*
 * Layer 0's input side by table (see the top): dtab[v] = sum of dgate over
 * the rows with token v, then g_Wx += emb^T * dtab and g_emb += dtab *
 * Wx^T, the sums over rows of X^T dgate and dgate Wx^T grouped by token.
 */
static void input_bwd_tab(model_t *m, model_work_t *w)
{
	int V = m->cfg.vocab, E = m->cfg.embed, G = 4 * model_width(&m->cfg, 0);
	size_t TB = (size_t)w->T * w->B;

	memset(w->tab, 0, (size_t)V * G * sizeof(float));
	ro_add_rows_by_id(w->tab, w->in, w->dgate, TB, G);
	ro_gemm(1, 0, E, G, V, m->emb, w->tab, 1.0f, m->g_lstm[0].Wx);
	ro_gemm(0, 1, V, E, G, w->tab, m->lstm[0].Wx, 1.0f, m->g_emb);
}

/*
 * Layer l, given dh from above in w->dh (T*B x H): the weight gradients,
 * and in w->dh the gradient of the layer's input X (T*B x in) in its place.
 */
static void lstm_bwd(model_t *m, model_work_t *w, int l, size_t ready,
		     model_grad_hook_t hook, void *ctx)
{
	int T = w->T, B = w->B, H = model_width(&m->cfg, l), G = 4 * H;
	int in = site_width(&m->cfg, l), TB = T * B;
	size_t BH = (size_t)B * H;
	const model_lstm_t *p = &m->lstm[l];
	model_lstm_t *gp = &m->g_lstm[l];

	const float *wh = p->Wh;

	memset(w->dh_rec, 0, BH * sizeof(float));
	memset(w->dc, 0, BH * sizeof(float));
	if (w->regs && w->wmask[l]) {	/* the Wh forward used, again */
		mul(w->whm, p->Wh, w->wmask[l], (size_t)H * G);
		wh = w->whm;
	}
	if (T > 1)	/* op(B) = Wh^T: K = 4H, N = H */
		gs_pack_t(w->wpack, wh, G, H, G);
	for (int t = T - 1; t >= 0; t--) {
		float *dgt = w->dgate + (size_t)t * B * G;

		cell_bwd(B, H, w->gate[l] + (size_t)t * B * G,
			 w->cs[l] + t * BH, w->tc[l] + t * BH,
			 w->dh + t * BH, w->dh_rec, w->dc, dgt);
		if (!t)
			break;	/* no gradient into the carried state */
		/* dh_rec = dgate[t] * Wh^T: dh_{t-1} through the recurrence */
		gs_gemm(B, H, G, dgt, G, w->wpack, 0.0f, w->dh_rec, H);
		hook_call(hook, ctx, ready);
	}
	/* hs rows 0 .. T*B-1 are h_{-1} .. h_{T-2}: each step's h_{t-1}.
	 * With weight drop the gradient reaches only the kept weights:
	 * g_Wh += (h^T dgate) * wmask, the product formed in whm. */
	if (wh == w->whm) {
		ro_gemm(1, 0, H, G, TB, w->hs[l], w->dgate, 0.0f, w->whm);
		for (size_t i = 0; i < (size_t)H * G; i++)
			gp->Wh[i] += w->whm[i] * w->wmask[l][i];
	} else {
		ro_gemm(1, 0, H, G, TB, w->hs[l], w->dgate, 1.0f, gp->Wh);
	}
	ro_add_col_sums(gp->b, w->dgate, TB, G);
	if (!l && w->tabbed) {
		input_bwd_tab(m, w);
		return;
	}
	ro_gemm(1, 0, in, G, TB, layer_in(w, l), w->dgate, 1.0f, gp->Wx);
	/* dX = dgate * Wx^T, over dh (which is spent). */
	ro_gemm(0, 1, TB, in, G, w->dgate, p->Wx, 0.0f, w->dh);
	if (site_dropped(w, l))
		site_mul(w, l, w->dh, in);
}

/* g_emb[id] += dX rows, each times its word's embedding mask if any: a
 * dropped word type gets no gradient from the lookup. */
static void embed_bwd(model_t *m, model_work_t *w)
{
	size_t TB = (size_t)w->T * w->B;
	int E = m->cfg.embed;

	if (!w->regs || !w->emask) {
		ro_add_rows_by_id(m->g_emb, w->in, w->dh, TB, E);
		return;
	}
	for (size_t r = 0; r < TB; r++) {
		float k = w->emask[w->in[r]], *d = m->g_emb + (size_t)w->in[r] * E;
		const float *src = w->dh + r * E;

		for (int j = 0; k != 0.0f && j < E; j++)
			d[j] += k * src[j];
	}
}

void model_backward(model_t *m, model_work_t *w, model_grad_hook_t hook,
		    void *ctx)
{
	size_t ready;

	assert(w->mode == WORK_TRAIN);
	/* The output layer's backward ran block by block in forward_train. */
	ready = m->ready_out;
	hook_call(hook, ctx, ready);
	for (int l = m->cfg.layers - 1; l >= 0; l--) {
		lstm_bwd(m, w, l, ready, hook, ctx);
		ready = m->ready_lstm[l];
		hook_call(hook, ctx, ready);
	}
	if (!w->tabbed)	/* else layer 0's backward did g_emb */
		embed_bwd(m, w);
	hook_call(hook, ctx, m->n);
}
