/*
 * test_model.c - the model's numerics, checked in two steps:
 *
 *   1. the double precision reference (lstm_ref.c) against central finite
 *      differences of its own loss, for every parameter of tiny models;
 *   2. the fast path (model.c) against the reference: loss, every
 *      gradient and the carried state, with and without dropout (the fast
 *      path's masks replayed into the reference), tied and untied.
 *
 * The fast path's output layer runs in row blocks when the window's logits
 * are large; cases with V 40000 and a few hundred rows cover that.  Layer
 * 0 runs by a per-token table when 2V <= T*B; cases with V 7 or 50 and
 * enough rows cover that, with dropout (the table in eval only) and
 * without, tied and untied.
 * Plus forward_eval against forward_train, the logits, the grad-ready hook,
 * the configuration checks and the work area's size message, and the
 * recurrence's packed small-M GEMM (gemm_small.h) against a naive loop.
 *
 * Build: gcc -std=c11 -O2 -I. -I/usr/include/x86_64-linux-gnu/openblas-pthread
 *        tests/test_model.c trainer/nn/model.c tests/lstm_ref.c io/err.c
 *        -lopenblas -lm
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trainer/nn/gemm_small.h"
#include "tests/lstm_ref.h"
#include "trainer/nn/model.h"

/* The out-of-memory test asks for terabytes; under ASan that must come back
 * as NULL like it does from glibc, not abort the run. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "allocator_may_return_null=1";
}

static int npass, nfail;

static void check(int ok, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void check(int ok, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		npass++;
		return;
	}
	nfail++;
	printf("FAIL: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p) {
		fprintf(stderr, "test_model: out of memory\n");
		exit(2);
	}
	return p;
}

static model_cfg_t cfg_of(int V, int E, int H, int L, int tie, float p)
{
	model_cfg_t c = { .vocab = V, .embed = E, .hidden = H, .layers = L,
			  .tie = tie, .dropout = p };

	return c;
}

/* An adaptive softmax over cfg_of's model: K cutoffs, div_value D. */
static model_cfg_t cfg_ad(int V, int E, int H, int L, float p, double D,
			  int head_bias, int K, const int *cut)
{
	model_cfg_t c = cfg_of(V, E, H, L, 0, p);

	c.softmax = MODEL_SOFTMAX_ADAPTIVE;
	c.div_value = D;
	c.head_bias = head_bias;
	c.nclusters = K;
	for (int k = 0; k < K; k++)
		c.cutoffs[k] = cut[k];
	return c;
}

static void cfg_name(char *buf, size_t len, const model_cfg_t *c, int T,
		     int B)
{
	char cut[48];
	int n = snprintf(buf, len, "V%d E%d H%d L%d T%d B%d%s p%.2f", c->vocab,
			 c->embed, c->hidden, c->layers, T, B,
			 c->tie ? " tied" : "", (double)c->dropout);

	if (c->softmax != MODEL_SOFTMAX_ADAPTIVE || n < 0 || (size_t)n >= len)
		return;
	model_cutoffs_str(c, cut, sizeof(cut));
	snprintf(buf + n, len - (size_t)n, " ad %.40s/%g%s", cut, c->div_value,
		 c->head_bias ? "+b" : "");
}

static void model_or_die(model_t *m, const model_cfg_t *c, uint64_t seed,
			 float init_scale)
{
	err_t e;

	if (model_init(m, c, &e)) {
		fprintf(stderr, "test_model: model_init: %s\n", e.msg);
		exit(2);
	}
	model_init_params(m, init_scale, 1.0f, seed);
}

/*
 * Which ids a window's tokens take, for the adaptive softmax's routing:
 * any id; only the short list (no tail cluster gets a target); one of
 * every cluster among the first targets; or none of tail cluster 1.
 */
enum { TOK_ANY, TOK_HEAD, TOK_EVERY, TOK_GAP };

static int32_t draw_id(rng_t *r, const model_cfg_t *c, int pol)
{
	int V = c->vocab, lo = 0, hi = 0;
	int32_t id;

	if (pol == TOK_HEAD)
		V = c->cutoffs[0];
	if (pol == TOK_GAP)
		model_cluster(c, 1, &lo, &hi);
	do
		id = (int32_t)(rng_u64(r) % (uint64_t)V);
	while (id >= lo && id < hi);
	return id;
}

static int32_t *tokens_pol(rng_t *r, const model_cfg_t *c, int T, int B,
			   int pol)
{
	int32_t *tok = xcalloc((size_t)B * (T + 1), sizeof(*tok));

	for (int i = 0; i < B * (T + 1); i++)
		tok[i] = draw_id(r, c, pol);
	/* targets are tok[b*(T+1) + t + 1]: put cluster k's first id at the
	 * k-th target of stream 0 (T > K) or of the k-th stream */
	for (int k = 0; pol == TOK_EVERY && k <= c->nclusters; k++) {
		int lo, hi, at = T > c->nclusters ? k + 1 : k * (T + 1) + 1;

		model_cluster(c, k, &lo, &hi);
		tok[at] = lo;
	}
	return tok;
}

static int32_t *tokens(rng_t *r, int V, int T, int B)
{
	model_cfg_t c = { .vocab = V };

	return tokens_pol(r, &c, T, B, TOK_ANY);
}

static double *to_double(const float *x, size_t n)
{
	double *d = xcalloc(n, sizeof(*d));

	for (size_t i = 0; i < n; i++)
		d[i] = x[i];
	return d;
}

/* Which tensor holds parameter i, for messages. */
static const char *tensor_of(const model_t *m, size_t i)
{
	for (int k = m->ntensors - 1; k >= 0; k--)
		if (i >= m->tensor[k].off)
			return m->tensor[k].name;
	return "?";
}

/* ---- configuration, layout, init ---- */

static void test_cfg_check(void)
{
	static const struct {
		model_cfg_t c;
		const char *word;
	} bad[] = {
		{ { 1, 8, 8, 1, 0, 0.0f }, "vocab" },
		{ { 10, 0, 8, 1, 0, 0.0f }, "embed" },
		{ { 10, 8, 0, 1, 0, 0.0f }, "hidden" },
		{ { 10, 8, 8, 0, 0, 0.0f }, "layers" },
		{ { 10, 8, 8, MODEL_MAX_LAYERS + 1, 0, 0.0f }, "layers" },
		{ { 10, 8, 16, 2, 1, 0.0f }, "tie" },
		{ { 10, 8, 8, 1, 0, 1.0f }, "dropout" },
		{ { 10, 8, 8, 1, 0, -0.1f }, "dropout" },
		{ { 10, 8, 8, 1, 0, NAN }, "dropout" },
	};
	model_cfg_t good = cfg_of(10, 8, 8, 2, 1, 0.5f);
	model_t m;
	err_t e;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e.msg[0] = 0;
		int rc = model_cfg_check(&bad[i].c, &e);

		check(rc == -1 && strstr(e.msg, bad[i].word),
		      "cfg_check bad case %zu: rc %d, message \"%s\" should name %s",
		      i, rc, e.msg, bad[i].word);
		e.msg[0] = 0;
		rc = model_init(&m, &bad[i].c, &e);
		check(rc == -1 && e.msg[0] && !m.params,
		      "model_init bad case %zu: rc %d", i, rc);
	}
	check(model_cfg_check(&good, &e) == 0, "cfg_check rejects a good config: %s",
	      e.msg);
	e.msg[0] = 0;
	model_cfg_check(&bad[5].c, &e);
	check(!strcmp(e.msg, "model: tie needs embed == the top layer's width (got embed 8, hidden 16)"),
	      "tie message: \"%s\"", e.msg);
}

static void test_layout(int tie)
{
	model_cfg_t c = cfg_of(11, tie ? 6 : 5, 6, 3, tie, 0.0f);
	size_t off = 0;
	int L = c.layers, H = c.hidden, k = 0, ok = 1;
	char want[32];
	model_t m;

	model_or_die(&m, &c, 7, 0.5f);
	if (!tie)
		ok &= !strcmp(m.tensor[k++].name, "out.W");
	ok &= !strcmp(m.tensor[k++].name, "out.b");
	for (int l = L - 1; l >= 0; l--) {
		snprintf(want, sizeof(want), "lstm.%d.Wx", l);
		ok &= !strcmp(m.tensor[k].name, want) &&
		      m.tensor[k].rows == (l ? H : c.embed) &&
		      m.tensor[k].cols == 4 * H;
		k++;
		snprintf(want, sizeof(want), "lstm.%d.Wh", l);
		ok &= !strcmp(m.tensor[k++].name, want);
		snprintf(want, sizeof(want), "lstm.%d.b", l);
		ok &= !strcmp(m.tensor[k].name, want) && m.tensor[k].rows == 1;
		k++;
		ok &= m.ready_lstm[l] == m.tensor[k - 1].off + 4 * H;
		ok &= m.lstm[l].b == m.params + m.tensor[k - 1].off &&
		      m.g_lstm[l].Wx == m.grads + m.tensor[k - 3].off;
	}
	ok &= !strcmp(m.tensor[k++].name, "emb");
	ok &= k == m.ntensors;
	for (int i = 0; i < m.ntensors; i++) {
		ok &= m.tensor[i].off == off;
		off += (size_t)m.tensor[i].rows * m.tensor[i].cols;
	}
	ok &= off == m.n;
	ok &= m.ready_out == (size_t)(tie ? 0 : c.vocab * H) + c.vocab;
	ok &= tie ? m.out_W == m.emb && m.g_out_W == m.g_emb
		  : m.out_W == m.params && m.g_out_W == m.grads;
	ok &= m.emb == m.params + m.n - (size_t)c.vocab * c.embed;
	check(ok, "tensor table / views / ready offsets (tie %d)", tie);

	/* Uniform in +-0.5 everywhere but the forget bias blocks (1.0). */
	int in_range = 1, forget = 1;
	double mean = 0.0;

	for (size_t i = 0; i < m.n; i++)
		mean += m.params[i];
	mean /= (double)m.n;
	for (int l = 0; l < L; l++)
		for (int j = 0; j < 4 * H; j++) {
			float v = m.lstm[l].b[j];

			if (j >= H && j < 2 * H)
				forget &= v == 1.0f;
			else
				in_range &= v >= -0.5f && v <= 0.5f;
		}
	for (size_t i = 0; i < m.n; i++)
		if (m.params[i] != 1.0f)
			in_range &= m.params[i] >= -0.5f && m.params[i] <= 0.5f;
	check(in_range && forget && fabs(mean) < 0.2,
	      "init_params: range %d forget bias %d mean %g", in_range, forget,
	      mean);
	model_free(&m);
}

static void test_work_alloc(void)
{
	model_cfg_t c = cfg_of(10000, 64, 64, 2, 0, 0.0f);
	model_cfg_t cd = cfg_of(10000, 64, 64, 2, 0, 0.5f);
	size_t n = model_work_bytes(&c, 35, 64);
	model_work_t *w;
	err_t e;

	/* The activations of the T*B rows, but only a block of the T*B x V
	 * logits, at most MODEL_OUT_BLOCK_BYTES (the output layer runs in
	 * blocks of rows): per row 2 ids, 2E, 9LH, 4H, 2 max(E, H) floats. */
	size_t act = (size_t)35 * 64 * (2 + 2 * 64 + 9 * 2 * 64 + 4 * 64 + 2 * 64) * 4;

	check(n > (size_t)35 * 64 * (2 * 64 + 9 * 2 * 64) * 4 &&
	      n < act + MODEL_OUT_BLOCK_BYTES + (1u << 20) &&
	      n < (size_t)35 * 64 * 10000 * 4 / 1.5 &&
	      model_work_bytes(&cd, 35, 64) > n,
	      "model_work_bytes %zu: too small, or the whole logits", n);
	check(model_work_bytes(&c, 0, 64) == SIZE_MAX,
	      "model_work_bytes accepts T = 0");
	e.msg[0] = 0;
	w = model_work_new(&c, 40000, 40000, &e);
	check(!w && strstr(e.msg, "cannot allocate the window's activations") &&
	      strstr(e.msg, "40000*40000"),
	      "huge work area: %p \"%s\"", (void *)w, e.msg);
	printf("  huge work area: %s\n", e.msg);
	model_work_free(w);
	e.msg[0] = 0;
	w = model_work_new(&c, 0, 4, &e);
	check(!w && e.msg[0], "work with T = 0: \"%s\"", e.msg);
}

/* ---- 1. the reference against finite differences ---- */

static float **make_masks(rng_t *r, const model_cfg_t *c, int T, int B,
			  float p)
{
	float **mk = xcalloc(c->layers + 1, sizeof(*mk));

	for (int s = 0; s <= c->layers; s++) {
		size_t n = (size_t)T * B * (s ? c->hidden : c->embed);

		mk[s] = xcalloc(n, sizeof(float));
		for (size_t i = 0; i < n; i++)
			mk[s][i] = rng_float(r) < p ? 0.0f : 1.0f / (1.0f - p);
	}
	return mk;
}

static void free_masks(float **mk, int L)
{
	if (!mk)
		return;
	for (int s = 0; s <= L; s++)
		free(mk[s]);
	free(mk);
}

static void gradcheck_pol(model_cfg_t c, int T, int B, int dropout, int pol)
{
	const double eps = 1e-5, rtol = 1e-6, floor = 1e-2;
	size_t SZ = model_state_floats(&c, B);
	double worst = 0.0, loss;
	size_t worst_i = 0;
	char name[96];
	model_t m;
	rng_t r;

	cfg_name(name, sizeof(name), &c, T, B);
	/* Large enough that the gates are far from linear. */
	model_or_die(&m, &c, 11, 0.5f);
	rng_seed(&r, 12, 0);
	int32_t *tok0 = tokens_pol(&r, &c, T, B, pol);
	int32_t *tok1 = tokens_pol(&r, &c, T, B, pol);
	float **mk = dropout ? make_masks(&r, &c, T, B, 0.3f) : NULL;
	const float *const *masks = (const float *const *)mk;
	double *p = to_double(m.params, m.n);
	double *g = xcalloc(m.n, sizeof(double));
	double *h0 = xcalloc(SZ, sizeof(double)), *c0 = xcalloc(SZ, sizeof(double));
	double *h = xcalloc(SZ, sizeof(double)), *cc = xcalloc(SZ, sizeof(double));

	/* A previous window leaves a nonzero carried state. */
	ref_window(&m, p, T, B, tok0, h0, c0, NULL, NULL);
	memcpy(h, h0, SZ * sizeof(double));
	memcpy(cc, c0, SZ * sizeof(double));
	loss = ref_window(&m, p, T, B, tok1, h, cc, masks, g);
	for (size_t i = 0; i < m.n; i++) {
		double keep = p[i], lp, lm, num, err;

		p[i] = keep + eps;
		memcpy(h, h0, SZ * sizeof(double));
		memcpy(cc, c0, SZ * sizeof(double));
		lp = ref_window(&m, p, T, B, tok1, h, cc, masks, NULL);
		p[i] = keep - eps;
		memcpy(h, h0, SZ * sizeof(double));
		memcpy(cc, c0, SZ * sizeof(double));
		lm = ref_window(&m, p, T, B, tok1, h, cc, masks, NULL);
		p[i] = keep;
		num = (lp - lm) / (2 * eps);
		err = fabs(num - g[i]) / fmax(fmax(fabs(num), fabs(g[i])), floor);
		if (err > worst || isnan(err)) {
			worst = isnan(err) ? INFINITY : err;
			worst_i = i;
		}
	}
	check(isfinite(loss) && worst < rtol,
	      "reference gradient vs finite differences [%s%s]: worst relative error %.3g at %zu (%s)",
	      name, dropout ? " masks" : "", worst, worst_i,
	      tensor_of(&m, worst_i));
	printf("  gradcheck %-36s%s %zu params, worst rel err %.2g\n", name,
	       dropout ? " masks" : "      ", m.n, worst);
	free(tok0), free(tok1), free(p), free(g), free(h0), free(c0), free(h),
		free(cc);
	free_masks(mk, c.layers);
	model_free(&m);
}

static void gradcheck(model_cfg_t c, int T, int B, int dropout)
{
	gradcheck_pol(c, T, B, dropout, TOK_ANY);
}

/* ---- 2. the fast path against the reference ---- */

/* |a - b|, and infinity when either is NaN (fmax would drop a NaN). */
static double absdiff(double a, double b)
{
	return isnan(a) || isnan(b) ? INFINITY : fabs(a - b);
}

static double state_err(const model_state_t *s, const double *h,
			const double *c)
{
	size_t n = s->n;
	double worst = 0.0;

	for (size_t i = 0; i < n; i++) {
		worst = fmax(worst, absdiff(s->h[i], h[i]) / (1.0 + fabs(h[i])));
		worst = fmax(worst, absdiff(s->c[i], c[i]) / (1.0 + fabs(c[i])));
	}
	return worst;
}

static float **copy_masks(const model_work_t *w, const model_cfg_t *c,
			  int T, int B, int *ok)
{
	float **mk = xcalloc(c->layers + 1, sizeof(*mk));
	float keep = 1.0f / (1.0f - c->dropout);

	for (int s = 0; s <= c->layers; s++) {
		size_t n = (size_t)T * B * (s ? c->hidden : c->embed), zeros = 0;
		const float *src = model_dropout_mask(w, s);

		mk[s] = xcalloc(n, sizeof(float));
		if (!src) {
			*ok = 0;
			continue;
		}
		memcpy(mk[s], src, n * sizeof(float));
		for (size_t i = 0; i < n; i++) {
			zeros += mk[s][i] == 0.0f;
			*ok &= mk[s][i] == 0.0f || mk[s][i] == keep;
		}
		/* p = 0.3 over dozens of units: some, not all, dropped. */
		*ok &= zeros > 0 && zeros < n;
	}
	*ok &= model_dropout_mask(w, c->layers + 1) == NULL &&
	       model_dropout_mask(w, -1) == NULL;
	return mk;
}

/*
 * Two consecutive windows through the fast path (forward_train + backward
 * each, the grads accumulating) and through the reference, from a nonzero
 * carried state.
 */
/*
 * Push a model to the extremes, keeping it well conditioned: gate biases
 * of +-30 (saturated sigmoids, tanh at +-1) and output biases of 100 on
 * every other word or head entry (e^100 overflows a float: the softmax
 * must subtract the max).
 */
static void extreme(model_t *m)
{
	for (int l = 0; l < m->cfg.layers; l++)
		for (int j = 0; j < 4 * m->cfg.hidden; j++)
			m->lstm[l].b[j] += j % 3 == 0 ? 30.0f : j % 3 == 1 ? -30.0f : 0.0f;
	for (int v = 0; m->out_b && v < m->cfg.vocab; v += 2)
		m->out_b[v] += 100.0f;
	for (int v = 0; m->ad.head_b && v < m->cfg.cutoffs[0] + m->cfg.nclusters; v += 2)
		m->ad.head_b[v] += 100.0f;
	/* tail logits of a few hundred: first weight of every other word */
	for (int i = 1; m->cfg.softmax == MODEL_SOFTMAX_ADAPTIVE && i <= m->cfg.nclusters; i++) {
		int lo, hi, d = model_cluster_dim(&m->cfg, i);

		model_cluster(&m->cfg, i, &lo, &hi);
		for (int w = 0; w < hi - lo; w += 2)
			m->ad.W[i][(size_t)w * d] += 300.0f;
	}
}

/* When model.c should run layer 0 by table (forward without dropout). */
static int by_table(const model_cfg_t *c, int T, int B)
{
	long TB = (long)T * B, rowf = c->embed > c->hidden ? c->embed : c->hidden;

	return 2L * c->vocab <= TB && 4L * c->vocab * c->hidden <= TB * rowf;
}

static void fast_vs_ref_pol(model_cfg_t c, int T, int B, int dropout,
			    float scale, int extremes, int pol)
{
	const double gtol = 2e-5, ltol = 1e-5, stol = 2e-6;
	size_t SZ = model_state_floats(&c, B);
	char name[96];
	model_state_t s;
	model_work_t *w;
	rng_t r, dr;
	model_t m;
	err_t e;

	cfg_name(name, sizeof(name), &c, T, B);
	if (extremes)
		strcat(name, " extreme");
	model_or_die(&m, &c, 21, 0.5f);
	if (extremes)
		extreme(&m);
	if (model_state_init(&s, &c, B, &e) || !(w = model_work_new(&c, T, B, &e))) {
		fprintf(stderr, "test_model: %s\n", e.msg);
		exit(2);
	}
	rng_seed(&r, 22, 0);
	rng_seed(&dr, 23, 0);
	int32_t *tok[3];

	for (int i = 0; i < 3; i++)
		tok[i] = tokens_pol(&r, &c, T, B, pol);
	model_forward_eval(&m, w, &s, tok[0]);
	double *p = to_double(m.params, m.n), *g = xcalloc(m.n, sizeof(double));
	double *h = to_double(s.h, SZ), *cc = to_double(s.c, SZ);
	double lerr = 0.0, serr = 0.0, gerr;
	int masks_ok = 1, worst_t = 0;
	int path_ok = model_layer0_by_table(w) == by_table(&c, T, B);

	memset(m.grads, 0, m.n * sizeof(float));
	for (int k = 1; k <= 2; k++) {
		double lf, lr;
		float **mk = NULL;

		lf = model_forward_train(&m, w, &s, tok[k], dropout ? &dr : NULL,
					 scale);
		path_ok &= model_layer0_by_table(w) ==
			   (by_table(&c, T, B) && !(dropout && c.dropout > 0.0f));
		if (dropout)
			mk = copy_masks(w, &c, T, B, &masks_ok);
		else
			masks_ok &= model_dropout_mask(w, 0) == NULL;
		model_backward(&m, w, NULL, NULL);
		lr = ref_window(&m, p, T, B, tok[k], h, cc,
				(const float *const *)mk, g);
		lerr = fmax(lerr, absdiff(lf, lr) / fabs(lr));
		serr = fmax(serr, state_err(&s, h, cc));
		free_masks(mk, c.layers);
	}
	gerr = ref_grad_err(&m, g, scale, &worst_t);
	check(lerr < ltol, "fast loss vs reference [%s]: relative error %.3g",
	      name, lerr);
	check(serr < stol, "fast carried state vs reference [%s]: error %.3g",
	      name, serr);
	check(gerr < gtol,
	      "fast grads vs reference [%s scale %g]: error %.3g in %s", name,
	      (double)scale, gerr, m.tensor[worst_t].name);
	check(masks_ok, "dropout masks [%s]: wrong presence or values", name);
	check(path_ok, "layer 0 path [%s]: table expected %d", name,
	      by_table(&c, T, B));
	printf("  fast/ref  %-44s scale %.2f: loss %.2g state %.2g grads %.2g (%s)%s\n",
	       name, (double)scale, lerr, serr, gerr,
	       m.tensor[worst_t].name, by_table(&c, T, B) ? " table" : "");
	for (int i = 0; i < 3; i++)
		free(tok[i]);
	free(p), free(g), free(h), free(cc);
	model_work_free(w);
	model_state_free(&s);
	model_free(&m);
}

static void fast_vs_ref(model_cfg_t c, int T, int B, int dropout, float scale,
			int extremes)
{
	fast_vs_ref_pol(c, T, B, dropout, scale, extremes, TOK_ANY);
}

/* ---- the packed small-M GEMM (gemm_small.h) ---- */

typedef void (*gs_fn)(int, int, int, const float *, int, const float *,
		      float, float *, int);

/*
 * C = beta C + A op(W) with A M x K (leading dimension K + 3), op(W) K x N
 * given as W (K x N, ld N + 1) or as W^T (N x K, ld K + 2), C M x N (ld N +
 * 5): against a double triple loop, error relative to sum |a||w| + |beta
 * c|.  beta 0 starts C at NaN (it must not be read); the columns past N in
 * each row of C must keep their guard value.
 */
static double gs_case(gs_fn fn, int M, int N, int K, int trans, float beta,
		      rng_t *r, int *guard_ok)
{
	int lda = K + 3, ldw = trans ? K + 2 : N + 1, ldc = N + 5;
	size_t wrows = trans ? (size_t)N : (size_t)K;
	float *A = xcalloc((size_t)M * lda, sizeof(float));
	float *W = xcalloc(wrows * ldw, sizeof(float));
	float *C = xcalloc((size_t)M * ldc, sizeof(float));
	double *C0 = xcalloc((size_t)M * ldc, sizeof(double));
	size_t np = gs_packed_floats(K, N);
	float *Bp = aligned_alloc(64, (np * sizeof(float) + 63) / 64 * 64 + 64);
	double worst = 0.0;

	if (!Bp) {
		fprintf(stderr, "test_model: out of memory\n");
		exit(2);
	}
	for (size_t i = 0; i < (size_t)M * lda; i++)
		A[i] = 2.0f * rng_float(r) - 1.0f;
	for (size_t i = 0; i < wrows * ldw; i++)
		W[i] = 2.0f * rng_float(r) - 1.0f;
	for (size_t i = 0; i < (size_t)M * ldc; i++) {
		C[i] = (int)(i % ldc) >= N ? 777.0f :
		       beta == 0.0f ? NAN : 2.0f * rng_float(r) - 1.0f;
		C0[i] = C[i];
	}
	for (size_t i = 0; i < np; i++)
		Bp[i] = NAN;	/* every float of the packed form is written */
	if (trans)
		gs_pack_t(Bp, W, K, N, ldw);
	else
		gs_pack(Bp, W, K, N, ldw);
	fn(M, N, K, A, lda, Bp, beta, C, ldc);
	for (int i = 0; i < M; i++) {
		for (int j = 0; j < N; j++) {
			double acc = 0.0, mag = 0.0, c0 = C0[(size_t)i * ldc + j];

			for (int k = 0; k < K; k++) {
				double w = trans ? W[(size_t)j * ldw + k] :
						   W[(size_t)k * ldw + j];

				acc += A[(size_t)i * lda + k] * w;
				mag += fabs(A[(size_t)i * lda + k] * w);
			}
			if (beta != 0.0f) {
				acc += beta * c0;
				mag += fabs(beta * c0);
			}
			double err = fabs(C[(size_t)i * ldc + j] - acc) /
				     (mag + 1e-30);

			if (!(err <= worst))
				worst = isnan(err) ? INFINITY : err;
		}
		for (int j = N; j < ldc; j++)
			*guard_ok &= C[(size_t)i * ldc + j] == 777.0f;
	}
	free(A), free(W), free(C), free(C0), free(Bp);
	return worst;
}

static void test_gemm_small(void)
{
	static const int Ns[] = { 1, 5, 8, 15, 16, 17, 24, 31, 32, 33, 50 };
	static const int Ks[] = { 0, 1, 2, 3, 4, 5, 7, 8, 9, 33, 100 };
	static const float betas[] = { 0.0f, 1.0f, 0.5f };
	static const struct {
		const char *name;
		gs_fn fn;
	} impl[] = {
		{ "gs_gemm", gs_gemm },
		{ "gs_gemm_generic", gs_gemm_generic },
	};
	rng_t r;

	rng_seed(&r, 41, 0);
	for (size_t f = 0; f < sizeof(impl) / sizeof(impl[0]); f++) {
		double worst = 0.0;
		int guard_ok = 1, cases = 0, wM = 0, wN = 0, wK = 0;

		for (int M = 1; M <= 13; M++)
			for (size_t n = 0; n < sizeof(Ns) / sizeof(Ns[0]); n++)
				for (size_t k = 0; k < sizeof(Ks) / sizeof(Ks[0]); k++)
					for (int tr = 0; tr <= 1; tr++) {
						float beta = betas[(M + n + k + tr) % 3];
						double e = gs_case(impl[f].fn, M, Ns[n], Ks[k],
								   tr, beta, &r, &guard_ok);

						cases++;
						if (!(e <= worst)) {
							worst = e;
							wM = M, wN = Ns[n], wK = Ks[k];
						}
					}
		/* Larger shapes, as the presets' steps: B rows against H x 4H. */
		for (int tr = 0; tr <= 1; tr++) {
			double e1 = gs_case(impl[f].fn, 20, tr ? 40 : 160, tr ? 160 : 40,
					    tr, tr ? 0.0f : 1.0f, &r, &guard_ok);
			double e2 = gs_case(impl[f].fn, 50, tr ? 130 : 520, tr ? 520 : 130,
					    tr, tr ? 0.0f : 1.0f, &r, &guard_ok);

			worst = fmax(worst, fmax(e1, e2));
			cases += 2;
		}
		check(worst < 1e-5,
		      "%s vs naive: relative error %.3g (M %d N %d K %d)",
		      impl[f].name, worst, wM, wN, wK);
		check(guard_ok, "%s wrote past N columns of C", impl[f].name);
		printf("  gemm_small %-16s %d cases: error %.2g%s\n",
		       impl[f].name, cases, worst,
#ifdef GS_AVX2
		       f == 0 ? " (AVX2+FMA)" : ""
#else
		       ""
#endif
		       );
	}
	/* Packing: padding columns are zeros, element (k, j) where the
	 * layout says. */
	{
		int K = 3, N = 19;
		float W[3 * 19], Bp[3 * 32];
		int ok = 1;

		for (int i = 0; i < K * N; i++)
			W[i] = (float)(i + 1);
		gs_pack(Bp, W, K, N, N);
		ok &= gs_packed_floats(K, N) == 96;
		for (int k = 0; k < K; k++)
			for (int j = 0; j < 32; j++)
				ok &= Bp[(j / 16) * K * 16 + k * 16 + j % 16] ==
				      (j < N ? W[k * N + j] : 0.0f);
		check(ok, "gs_pack layout");
	}
}

/* ---- eval against train, the logits ---- */

static void test_eval(model_cfg_t c, int T, int B)
{
	size_t SZ = model_state_floats(&c, B);
	size_t NL = (size_t)T * B * c.vocab;
	model_state_t s1, s2;
	model_work_t *w1, *w2;
	model_t m;
	rng_t r;
	err_t e;

	model_or_die(&m, &c, 31, 0.5f);
	if (model_state_init(&s1, &c, B, &e) || model_state_init(&s2, &c, B, &e) ||
	    !(w1 = model_work_new(&c, T, B, &e)) ||
	    !(w2 = model_work_new(&c, T, B, &e))) {
		fprintf(stderr, "test_model: %s\n", e.msg);
		exit(2);
	}
	rng_seed(&r, 32, 0);
	int32_t *tok0 = tokens(&r, c.vocab, T, B), *tok1 = tokens(&r, c.vocab, T, B);

	model_forward_eval(&m, w1, &s1, tok0);
	memcpy(s2.h, s1.h, SZ * sizeof(float));
	memcpy(s2.c, s1.c, SZ * sizeof(float));
	double *p = to_double(m.params, m.n);
	double *h = to_double(s1.h, SZ), *cc = to_double(s1.c, SZ);
	double *ref_logits = xcalloc(NL, sizeof(double));
	double le = model_forward_eval(&m, w1, &s1, tok1);
	/* Dropout is configured but no rng: train runs without it. */
	double lt = model_forward_train(&m, w2, &s2, tok1, NULL, 1.0f);
	double lr = ref_window_logits(&m, p, T, B, tok1, h, cc, NULL, NULL,
				      ref_logits);
	const float *zl = model_logits(w1), *dz = model_logits(w2);
	double zerr = 0.0, derr = 0.0;
	/* Several output blocks (large T*B*V): no whole logits to look at. */
	int blocked = (size_t)T * B * c.vocab * 4 > MODEL_OUT_BLOCK_BYTES && T * B > 128;

	check(fabs(le - lt) <= 1e-12 * fabs(le) &&
	      !memcmp(s1.h, s2.h, SZ * sizeof(float)) &&
	      !memcmp(s1.c, s2.c, SZ * sizeof(float)),
	      "forward_eval vs forward_train: loss %.17g vs %.17g, or states differ",
	      le, lt);
	check(fabs(le - lr) < 1e-5 * lr, "forward_eval loss %.9g vs reference %.9g",
	      le, lr);
	check(blocked ? !zl && !dz : zl && dz,
	      "model_logits: %s expected (T*B %d, V %d)",
	      blocked ? "NULL" : "the logits", T * B, c.vocab);
	/* Eval leaves the logits; train leaves softmax - onehot over them. */
	for (int row = 0; zl && dz && row < T * B; row++) {
		const double *z = ref_logits + (size_t)row * c.vocab;
		int t = row / B, b = row % B;
		int y = tok1[b * (T + 1) + t + 1];
		double mx = -INFINITY, sum = 0.0;

		for (int v = 0; v < c.vocab; v++) {
			zerr = fmax(zerr, absdiff(zl[(size_t)row * c.vocab + v], z[v]) /
						  (1.0 + fabs(z[v])));
			mx = fmax(mx, z[v]);
		}
		for (int v = 0; v < c.vocab; v++)
			sum += exp(z[v] - mx);
		for (int v = 0; v < c.vocab; v++) {
			double want = exp(z[v] - mx) / sum - (v == y);

			derr = fmax(derr, absdiff(dz[(size_t)row * c.vocab + v], want));
		}
	}
	check(zerr < 1e-5, "logits after forward_eval vs reference: error %.3g",
	      zerr);
	check(derr < 1e-6, "softmax gradient after forward_train: error %.3g",
	      derr);
	printf("  eval      V%d T%d B%d%s: loss %.2g, logits %.2g, dlogits %.2g\n",
	       c.vocab, T, B, blocked ? " (blocked)" : "", fabs(le - lr) / lr,
	       zerr, derr);
	free(tok0), free(tok1), free(p), free(h), free(cc), free(ref_logits);
	model_work_free(w1);
	model_work_free(w2);
	model_state_free(&s1);
	model_state_free(&s2);
	model_free(&m);
}

/* ---- the grad-ready hook ---- */

#define MAX_CALLS 512

typedef struct {
	const model_t *m;
	int ncalls;
	size_t ready[MAX_CALLS];
	float *snap[MAX_CALLS];
} hook_log_t;

static void hook(void *ctx, size_t ready)
{
	hook_log_t *log = ctx;

	if (log->ncalls == MAX_CALLS)
		return;
	log->ready[log->ncalls] = ready;
	log->snap[log->ncalls] = xcalloc(ready, sizeof(float));
	memcpy(log->snap[log->ncalls], log->m->grads, ready * sizeof(float));
	log->ncalls++;
}

static void test_hook(model_cfg_t c, int T, int B)
{
	hook_log_t *log = xcalloc(1, sizeof(*log));
	int L = c.layers, monotone = 1, final = 1, seen = 1;
	model_state_t s;
	model_work_t *w;
	model_t m;
	rng_t r;
	err_t e;

	model_or_die(&m, &c, 41, 0.5f);
	if (model_state_init(&s, &c, B, &e) || !(w = model_work_new(&c, T, B, &e))) {
		fprintf(stderr, "test_model: %s\n", e.msg);
		exit(2);
	}
	rng_seed(&r, 42, 0);
	int32_t *tok = tokens(&r, c.vocab, T, B);

	/* Grads from an earlier micro-batch: the hook must see the sums. */
	for (size_t i = 0; i < m.n; i++)
		m.grads[i] = rng_float(&r) - 0.5f;
	model_forward_train(&m, w, &s, tok, &r, 0.5f);
	log->m = &m;
	model_backward(&m, w, hook, log);
	for (int i = 0; i < log->ncalls; i++) {
		monotone &= !i || log->ready[i] >= log->ready[i - 1];
		final &= !memcmp(log->snap[i], m.grads,
				 log->ready[i] * sizeof(float));
	}
	seen &= log->ncalls > 0 && log->ready[0] == m.ready_out;
	for (int l = 0; l < L; l++) {
		int found = 0;

		for (int i = 0; i < log->ncalls; i++)
			found |= log->ready[i] == m.ready_lstm[l];
		seen &= found;
	}
	check(monotone && log->ncalls > 0 && log->ready[log->ncalls - 1] == m.n,
	      "hook values not non-decreasing or not ending at n = %zu", m.n);
	check(seen, "hook did not report ready_out and every ready_lstm");
	check(log->ncalls >= 2 + L + L * (T - 1),
	      "hook called %d times, expected at least one per step", log->ncalls);
	check(final, "grads reported ready by the hook changed afterwards");
	printf("  hook      %d calls, prefixes final: %s\n", log->ncalls,
	       final ? "yes" : "no");
	for (int i = 0; i < log->ncalls; i++)
		free(log->snap[i]);
	free(log);
	free(tok);
	model_work_free(w);
	model_state_free(&s);
	model_free(&m);
}

/* ---- the adaptive softmax: checks, layout, whole distribution ---- */

static void test_cfg_check_adaptive(void)
{
	static const struct {
		int V, H, K, cut[3];
		double D;
		int tie;
		const char *word;
	} bad[] = {
		{ 100, 16, 2, { 20, 10 }, 4.0, 0, "strictly increasing" },
		{ 100, 16, 2, { 20, 20 }, 4.0, 0, "strictly increasing" },
		{ 100, 16, 1, { 0 }, 4.0, 0, "--cutoffs 0" },
		{ 100, 16, 1, { 100 }, 4.0, 0, "1 .. 99" },
		{ 100, 16, 2, { 20, 150 }, 4.0, 0, "--cutoffs 20,150" },
		{ 100, 16, 1, { 20 }, 1.0, 0, "--div-value" },
		{ 100, 16, 1, { 20 }, 0.5, 0, "--div-value" },
		{ 100, 16, 1, { 20 }, NAN, 0, "--div-value" },
		{ 100, 16, 1, { 20 }, INFINITY, 0, "--div-value" },
		{ 100, 16, 3, { 20, 40, 60 }, 4.0, 0, "width 0" },
		{ 100, 16, 1, { 99 }, 4.0, 0, "1 word" },
		{ 100, 16, 2, { 20, 21 }, 4.0, 0, "1 word" },
		{ 2, 16, 1, { 1 }, 4.0, 0, "1 word" },
		{ 100, 16, 0, { 0 }, 4.0, 0, "1 to" },
		{ 100, 16, 1, { 20 }, 4.0, 1, "--tie" },
	};
	err_t e;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		model_cfg_t c = cfg_ad(bad[i].V, 16, bad[i].H, 1, 0.0f, bad[i].D, 0,
				       bad[i].K, bad[i].cut);
		int rc;

		c.tie = bad[i].tie;
		e.msg[0] = 0;
		rc = model_cfg_check(&c, &e);
		check(rc == -1 && strstr(e.msg, bad[i].word),
		      "adaptive cfg_check bad case %zu: rc %d, \"%s\" should hold \"%s\"",
		      i, rc, e.msg, bad[i].word);
	}
	/* 16 / 4^2 = 1: the narrowest legal cluster; PyTorch's floor. */
	model_cfg_t c = cfg_ad(100, 16, 16, 1, 0.0f, 4.0, 0, 2, (int[]){ 20, 40 });

	check(model_cfg_check(&c, &e) == 0 && model_cluster_dim(&c, 1) == 4 &&
	      model_cluster_dim(&c, 2) == 1,
	      "adaptive cfg_check rejects a good config, or widths wrong: %s", e.msg);
	c.div_value = 2.5;	/* floor(16 / 2.5) = 6, floor(16 / 6.25) = 2 */
	check(model_cluster_dim(&c, 1) == 6 && model_cluster_dim(&c, 2) == 2,
	      "cluster widths at div 2.5: %d %d", model_cluster_dim(&c, 1),
	      model_cluster_dim(&c, 2));
	c.hidden = 11;	/* Python: 11 // 1.1 == 9.0, though 11 / 1.1 rounds to 10 */
	c.div_value = 1.1;
	check(model_cluster_dim(&c, 1) == 9, "11 // 1.1: %d, PyTorch has 9",
	      model_cluster_dim(&c, 1));
}

static void test_layout_adaptive(int head_bias)
{
	const int cut[] = { 6, 11, 15 };
	model_cfg_t c = cfg_ad(20, 5, 9, 2, 0.0f, 2.0, head_bias, 3, cut);
	static const char *const names[] = {
		"out.head.W", "out.head.b", "out.tail.1.proj", "out.tail.1.W",
		"out.tail.2.proj", "out.tail.2.W", "out.tail.3.proj", "out.tail.3.W",
	};
	/* head 6 + 3 rows; widths floor(9/2) = 4, floor(9/4) = 2, 1; cluster
	 * sizes 5, 4, 5 */
	static const int rows[] = { 9, 1, 4, 5, 2, 4, 1, 5 };
	static const int cols[] = { 9, 9, 9, 4, 9, 2, 9, 1 };
	int k = 0, ok = 1;
	model_t m;

	model_or_die(&m, &c, 7, 0.5f);
	for (int i = 0; i < 8; i++) {
		if (i == 1 && !head_bias)
			continue;
		ok &= !strcmp(m.tensor[k].name, names[i]) && m.tensor[k].rows == rows[i] &&
		      m.tensor[k].cols == cols[i];
		k++;
	}
	ok &= m.ready_out == m.tensor[k - 1].off + 5 && m.out_W == NULL &&
	      m.out_b == NULL;
	ok &= m.ad.head_W == m.params && m.g_ad.head_W == m.grads &&
	      (head_bias ? m.ad.head_b == m.params + 81 : m.ad.head_b == NULL);
	ok &= m.ad.W[3] == m.params + m.tensor[k - 1].off &&
	      m.g_ad.proj[2] == m.grads + m.tensor[k - 4].off;
	ok &= !strcmp(m.tensor[k].name, "lstm.1.Wx") &&
	      !strcmp(m.tensor[m.ntensors - 1].name, "emb");
	check(ok, "adaptive tensor table / views / ready_out (head_bias %d)", head_bias);
	model_free(&m);
}

/*
 * model_log_probs against the reference's distribution (for the full
 * softmax, the log softmax of its logits), each row normalized, and the
 * window's eval loss equal to -sum of log p(target): what engram eval
 * and engram sample rely on.
 */
static void test_log_probs(model_cfg_t c, int T, int B)
{
	size_t SZ = model_state_floats(&c, B), V = (size_t)c.vocab;
	model_state_t s;
	model_work_t *w;
	model_t m;
	rng_t r;
	err_t e;

	model_or_die(&m, &c, 51, 0.5f);
	extreme(&m);
	if (model_state_init(&s, &c, B, &e) || !(w = model_work_new(&c, T, B, &e))) {
		fprintf(stderr, "test_model: %s\n", e.msg);
		exit(2);
	}
	rng_seed(&r, 52, 0);
	int32_t *tok = tokens_pol(&r, &c, T, B, TOK_EVERY);
	double *p = to_double(m.params, m.n);
	double *h = xcalloc(SZ, sizeof(double)), *cc = xcalloc(SZ, sizeof(double));
	double *ref = xcalloc((size_t)T * B * V, sizeof(double));
	float *lp = xcalloc(V, sizeof(float));
	double le = model_forward_eval(&m, w, &s, tok), sum_lp = 0.0;
	double lerr = 0.0, nerr = 0.0, *want = xcalloc((size_t)T * B, sizeof(double));

	ref_window_logits(&m, p, T, B, tok, h, cc, NULL, NULL, ref);
	for (int row = 0; row < T * B; row++) {
		double *z = ref + (size_t)row * V, tot = 0.0;
		int y = tok[(row % B) * (T + 1) + row / B + 1];

		if (c.softmax != MODEL_SOFTMAX_ADAPTIVE) {	/* logits: normalize */
			double mx = -INFINITY, lse = 0.0;

			for (size_t v = 0; v < V; v++)
				mx = fmax(mx, z[v]);
			for (size_t v = 0; v < V; v++)
				lse += exp(z[v] - mx);
			for (size_t v = 0; v < V; v++)
				z[v] -= mx + log(lse);
		}
		model_log_probs(&m, w, row, lp);
		for (size_t v = 0; v < V; v++) {
			lerr = fmax(lerr, absdiff(lp[v], z[v]) / (1.0 + fabs(z[v])));
			tot += exp((double)lp[v]);
		}
		nerr = fmax(nerr, fabs(tot - 1.0));
		sum_lp += lp[y];
		want[row] = -z[y];
	}
	/* engram score's per-token figures: the same window from the same
	 * state, each row's -log p(target) against the reference's */
	double *nll = xcalloc((size_t)T * B, sizeof(double)), serr = 0.0, ssum = 0.0;

	model_state_zero(&s);
	double ls = model_forward_score(&m, w, &s, tok, nll);
	for (int row = 0; row < T * B; row++) {
		serr = fmax(serr, fabs(nll[row] - want[row]) / (1.0 + fabs(want[row])));
		ssum += nll[row];
	}
	char name[96];

	cfg_name(name, sizeof(name), &c, T, B);
	check(lerr < 1e-5, "model_log_probs vs reference [%s]: error %.3g", name, lerr);
	check(nerr < 1e-5, "model_log_probs not normalized [%s]: |sum p - 1| %.3g", name, nerr);
	check(fabs(le + sum_lp) < 1e-5 * fabs(le),
	      "eval loss %.9g vs -sum log p(target) %.9g [%s]", le, -sum_lp, name);
	check(serr < 1e-5 && ls == le && fabs(ssum - ls) < 1e-9 * fabs(ls),
	      "model_forward_score [%s]: per-token error %.3g, loss %.17g vs eval %.17g, sum %.17g",
	      name, serr, ls, le, ssum);
	check(c.softmax != MODEL_SOFTMAX_ADAPTIVE || !model_logits(w),
	      "model_logits with the adaptive softmax: expected NULL");
	printf("  logprobs  %-44s: vs ref %.2g, sum p - 1 %.2g, loss vs -sum %.2g\n",
	       name, lerr, nerr, fabs(le + sum_lp) / fabs(le));
	free(tok), free(p), free(h), free(cc), free(ref), free(lp), free(want), free(nll);
	model_work_free(w);
	model_state_free(&s);
	model_free(&m);
}

static void test_adaptive(void)
{
	const int c1[] = { 3 }, c3[] = { 3, 7, 10 }, c2[] = { 4, 9 };
	const int big[] = { 40000, 40050 }, wide[] = { 100 };

	test_cfg_check_adaptive();
	test_layout_adaptive(0);
	test_layout_adaptive(1);

	/* The reference against finite differences: one and three clusters,
	 * targets in every cluster, in none (short list only), with one
	 * cluster empty; a head bias; dropout masks. */
	gradcheck_pol(cfg_ad(7, 5, 4, 1, 0.0f, 2.0, 0, 1, c1), 3, 2, 0, TOK_EVERY);
	gradcheck_pol(cfg_ad(13, 5, 8, 2, 0.0f, 2.0, 1, 3, c3), 5, 2, 0, TOK_EVERY);
	gradcheck_pol(cfg_ad(13, 5, 8, 1, 0.0f, 2.0, 0, 3, c3), 3, 2, 0, TOK_HEAD);
	gradcheck_pol(cfg_ad(13, 5, 8, 1, 0.0f, 2.0, 1, 3, c3), 4, 2, 0, TOK_GAP);
	gradcheck_pol(cfg_ad(13, 5, 8, 2, 0.0f, 1.5, 0, 2, c2), 4, 3, 1, TOK_EVERY);

	for (int drop = 0; drop <= 1; drop++) {
		float p = drop ? 0.3f : 0.0f;

		fast_vs_ref_pol(cfg_ad(13, 5, 8, 2, p, 2.0, 0, 3, c3), 5, 2, drop, 1.0f, 0, TOK_EVERY);
		fast_vs_ref_pol(cfg_ad(13, 5, 8, 1, p, 2.0, 1, 3, c3), 4, 3, drop, 0.37f, 0, TOK_HEAD);
		fast_vs_ref_pol(cfg_ad(13, 5, 8, 2, p, 2.0, 1, 3, c3), 4, 3, drop, 2.5f, 0, TOK_GAP);
		fast_vs_ref_pol(cfg_ad(300, 16, 24, 2, p, 3.0, 0, 2, (int[]){ 20, 120 }), 6, 5, drop, 1.0f, 0, TOK_EVERY);
		/* layer 0 by table with a small vocabulary */
		fast_vs_ref_pol(cfg_ad(13, 5, 8, 2, p, 2.0, 0, 3, c3), 16, 4, drop, 1.0f, 0, TOK_EVERY);
	}
	fast_vs_ref_pol(cfg_ad(300, 16, 24, 2, 0.3f, 3.0, 1, 2, (int[]){ 20, 120 }), 6, 5, 1, 1.0f, 1, TOK_EVERY);
	/* Row blocks: the head (40002 wide, 350 rows: 2 blocks of 175) and a
	 * tail cluster of 59900 words over some 150 rows (blocks of <= 140). */
	fast_vs_ref_pol(cfg_ad(40100, 8, 12, 1, 0.0f, 2.0, 0, 2, big), 7, 50, 0, 1.0f, 0, TOK_EVERY);
	fast_vs_ref_pol(cfg_ad(60000, 8, 12, 1, 0.3f, 4.0, 1, 1, wide), 5, 30, 1, 0.5f, 0, TOK_ANY);

	test_log_probs(cfg_of(50, 16, 24, 2, 0, 0.3f), 5, 3);
	test_log_probs(cfg_of(50, 24, 24, 2, 1, 0.0f), 4, 2);
	test_log_probs(cfg_ad(13, 5, 8, 2, 0.3f, 2.0, 1, 3, c3), 5, 3);
	test_log_probs(cfg_ad(300, 16, 24, 2, 0.0f, 3.0, 0, 2, (int[]){ 20, 120 }), 4, 2);
	test_hook(cfg_ad(300, 16, 24, 2, 0.3f, 3.0, 0, 2, (int[]){ 20, 120 }), 5, 3);
}

int main(void)
{
	test_cfg_check();
	test_layout(0);
	test_layout(1);
	test_work_alloc();
	test_gemm_small();

	/* Every parameter of tiny models; E != H untied, E == H tied. */
	gradcheck(cfg_of(7, 5, 4, 1, 0, 0.0f), 3, 2, 0);
	gradcheck(cfg_of(7, 5, 4, 2, 0, 0.0f), 3, 2, 0);
	gradcheck(cfg_of(7, 5, 4, 2, 0, 0.0f), 4, 3, 1);
	gradcheck(cfg_of(7, 4, 4, 1, 1, 0.0f), 3, 2, 0);
	gradcheck(cfg_of(7, 4, 4, 2, 1, 0.0f), 3, 2, 0);
	gradcheck(cfg_of(7, 4, 4, 2, 1, 0.0f), 4, 2, 1);

	for (int drop = 0; drop <= 1; drop++) {
		float p = drop ? 0.3f : 0.0f;

		fast_vs_ref(cfg_of(7, 5, 4, 1, 0, p), 3, 2, drop, 1.0f, 0);
		fast_vs_ref(cfg_of(7, 5, 4, 2, 0, p), 4, 2, drop, 0.37f, 0);
		fast_vs_ref(cfg_of(7, 4, 4, 1, 1, p), 3, 2, drop, 1.0f, 0);
		fast_vs_ref(cfg_of(7, 4, 4, 2, 1, p), 3, 3, drop, 2.5f, 0);
		fast_vs_ref(cfg_of(50, 16, 24, 2, 0, p), 5, 3, drop, 1.0f, 0);
		fast_vs_ref(cfg_of(50, 24, 24, 3, 1, p), 5, 3, drop, 0.25f, 0);
	}

	/* Layer 0 by table: 2V <= T*B and V*4H <= T*B*max(E, H) (fast_vs_ref
	 * checks which path ran). */
	for (int drop = 0; drop <= 1; drop++) {
		float p = drop ? 0.3f : 0.0f;

		fast_vs_ref(cfg_of(7, 5, 4, 1, 0, p), 8, 3, drop, 1.0f, 0);
		fast_vs_ref(cfg_of(7, 4, 4, 2, 1, p), 7, 4, drop, 0.37f, 0);
		fast_vs_ref(cfg_of(50, 16, 24, 2, 0, p), 10, 20, drop, 1.0f, 0);
	}
	test_eval(cfg_of(50, 16, 24, 2, 0, 0.3f), 10, 20);
	test_eval(cfg_of(7, 4, 4, 2, 1, 0.0f), 7, 4);
	test_hook(cfg_of(7, 5, 4, 2, 0, 0.0f), 6, 4);

	fast_vs_ref(cfg_of(50, 24, 24, 2, 1, 0.0f), 5, 3, 0, 1.0f, 1);
	fast_vs_ref(cfg_of(50, 16, 24, 2, 0, 0.3f), 5, 3, 1, 1.0f, 1);

	/* The output layer in several row blocks: T*B*V*4 > 32 MiB and T*B >
	 * 128 (V 40000: blocks of at most 209 rows; 350 rows = 2 x 175, 410 =
	 * 2 x 205, and an uneven last block with 3 x 137 + ...). */
	fast_vs_ref(cfg_of(40000, 8, 12, 2, 0, 0.0f), 7, 50, 0, 1.0f, 0);
	fast_vs_ref(cfg_of(40000, 12, 12, 2, 1, 0.3f), 10, 41, 1, 0.5f, 0);
	fast_vs_ref(cfg_of(40000, 8, 12, 1, 0, 0.3f), 9, 47, 1, 1.0f, 1);
	test_eval(cfg_of(40000, 8, 12, 2, 0, 0.3f), 7, 50);

	test_eval(cfg_of(50, 16, 24, 2, 0, 0.3f), 5, 3);
	test_eval(cfg_of(50, 24, 24, 2, 1, 0.0f), 4, 2);
	test_hook(cfg_of(50, 16, 24, 2, 0, 0.3f), 5, 3);
	test_hook(cfg_of(7, 4, 4, 3, 1, 0.0f), 4, 2);

	test_adaptive();

	printf("test_model: %d passed, %d failed\n", npass, nfail);
	return nfail ? 1 : 0;
}
