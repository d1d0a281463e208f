/*
 * test_regularize.c - AWD-LSTM's regularizers in the model (model.h):
 * locked dropout at the three sites, embedding dropout, weight drop on Wh,
 * AR and TAR.
 *
 *  1. The double reference (lstm_ref.c) with every mask and both penalties
 *     against central finite differences of its own objective, CE + AR +
 *     TAR, for every parameter of tiny models (tied, untied, adaptive).
 *  2. The fast path against the reference over two windows from a carried
 *     state, each regularizer alone and all at once: the masks the forward
 *     drew are read back (model_locked_mask, _embed_mask, _wdrop_mask),
 *     expanded to the reference's per-row form, and the cross-entropy, the
 *     penalty, the carried state and every gradient must agree.
 *  3. What users rely on beyond the sums: masks have the promised shape and
 *     values (a locked mask is one row per stream, a dropped word type has
 *     no gradient from the lookup), nothing is drawn and nothing changes
 *     when every regularizer is off, and evaluation never uses them.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/check.h"
#include "tests/lstm_ref.h"
#include "trainer/nn/model.h"

static void *zalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p) {
		fprintf(stderr, "test_regularize: out of memory\n");
		exit(2);
	}
	return p;
}

/* The regularizers to switch on, as one set. */
typedef struct {
	float in, hid, out, emb, wdrop, ar, tar, dropout;
} regs_t;

static model_cfg_t cfg_make(int V, int E, int H, int L, int tie, regs_t g)
{
	model_cfg_t c = { .vocab = V, .embed = E, .hidden = H, .layers = L, .tie = tie,
			  .dropout = g.dropout, .drop_in = g.in, .drop_hid = g.hid,
			  .drop_out = g.out, .drop_emb = g.emb, .weight_drop = g.wdrop,
			  .ar = g.ar, .tar = g.tar };

	return c;
}

static model_cfg_t cfg_adaptive(int V, int H, int L, regs_t g)
{
	model_cfg_t c = cfg_make(V, H, H, L, 0, g);

	c.softmax = MODEL_SOFTMAX_ADAPTIVE;
	c.nclusters = 2;
	c.cutoffs[0] = V / 3;
	c.cutoffs[1] = 2 * V / 3;
	c.div_value = 2.0;
	return c;
}

/* c with its last layer top units wide (awd-lstm-lm's shape) */
static model_cfg_t with_top(model_cfg_t c, int top)
{
	c.top_hidden = top;
	return c;
}

static void name_of(char *buf, size_t n, const model_cfg_t *c, int T, int B)
{
	snprintf(buf, n, "V%d E%d H%d/%d L%d T%d B%d%s%s | p %.2g in %.2g hid %.2g out %.2g emb %.2g wd %.2g ar %.2g tar %.2g",
		 c->vocab, c->embed, c->hidden, model_top(c), c->layers, T, B, c->tie ? " tied" : "",
		 c->softmax == MODEL_SOFTMAX_ADAPTIVE ? " adaptive" : "", (double)c->dropout,
		 (double)c->drop_in, (double)c->drop_hid, (double)c->drop_out,
		 (double)c->drop_emb, (double)c->weight_drop, (double)c->ar, (double)c->tar);
}

static void model_make(model_t *m, const model_cfg_t *c, uint64_t seed)
{
	err_t e;

	if (model_init(m, c, &e)) {
		fprintf(stderr, "test_regularize: %s\n", e.msg);
		exit(2);
	}
	model_init_params(m, 0.5f, 1.0f, seed);
}

static int32_t *random_tokens(rng_t *r, int V, int T, int B)
{
	int32_t *tok = zalloc((size_t)B * (T + 1), sizeof(*tok));

	for (int i = 0; i < B * (T + 1); i++)
		tok[i] = (int32_t)(rng_u64(r) % (uint64_t)V);
	return tok;
}

static double *doubles(const float *x, size_t n)
{
	double *d = zalloc(n, sizeof(*d));

	for (size_t i = 0; i < n; i++)
		d[i] = x[i];
	return d;
}

static float draw(rng_t *r, float p)
{
	return rng_float(r) < p ? 0.0f : 1.0f / (1.0f - p);
}

/*
 * The reference's per-row site masks (T*B x width, row t*B + b) from the
 * parts: a per-step mask (step, may be NULL), a locked one (lock, B x
 * width, may be NULL) and at site 0 the embedding's (emask, V, may be
 * NULL) picked by each row's input token.  NULL when no part is given.
 */
static float *expand(int T, int B, int width, const float *step, const float *lock,
		     const float *emask, const int32_t *tok)
{
	float *mk;

	if (!step && !lock && !emask)
		return NULL;
	mk = zalloc((size_t)T * B * width, sizeof(float));
	for (int t = 0; t < T; t++)
		for (int b = 0; b < B; b++)
			for (int k = 0; k < width; k++) {
				size_t i = ((size_t)t * B + b) * width + k;
				float v = step ? step[i] : 1.0f;

				if (lock)
					v *= lock[(size_t)b * width + k];
				if (emask)
					v *= emask[tok[(size_t)b * (T + 1) + t]];
				mk[i] = v;
			}
	return mk;
}

/* The masks of one window as the reference takes them. */
typedef struct {
	float *site[MODEL_MAX_LAYERS + 1];	/* NULL where the site has none */
	float *wm[MODEL_MAX_LAYERS];
	int any_site, any_wm;
} masks_t;

static void masks_free(masks_t *k)
{
	for (int s = 0; s <= MODEL_MAX_LAYERS; s++)
		free(k->site[s]);
	for (int l = 0; l < MODEL_MAX_LAYERS; l++)
		free(k->wm[l]);
	memset(k, 0, sizeof(*k));
}

/* The reference takes all sites' masks or none: a site without any gets
 * ones. */
static void masks_fill(masks_t *k, const model_cfg_t *c, int T, int B)
{
	for (int s = 0; k->any_site && s <= c->layers; s++) {
		size_t n = (size_t)T * B * (s ? model_width(c, s - 1) : c->embed);

		if (k->site[s])
			continue;
		k->site[s] = zalloc(n, sizeof(float));
		for (size_t i = 0; i < n; i++)
			k->site[s][i] = 1.0f;
	}
}

static ref_opts_t opts_of(const masks_t *k, const model_cfg_t *c, double *reg)
{
	ref_opts_t o = { .ar = c->ar, .tar = c->tar, .reg = reg };

	o.masks = k->any_site ? (const float *const *)k->site : NULL;
	o.wmask = k->any_wm ? (const float *const *)k->wm : NULL;
	return o;
}

/* ---- 1. the reference against finite differences ---- */

/* Random masks of every kind cfg switches on. */
static void masks_random(masks_t *k, const model_cfg_t *c, int T, int B,
			 const int32_t *tok, rng_t *r)
{
	float *emask = NULL;

	memset(k, 0, sizeof(*k));
	if (c->drop_emb > 0) {
		emask = zalloc((size_t)c->vocab, sizeof(float));
		for (int v = 0; v < c->vocab; v++)
			emask[v] = draw(r, 0.5f);
	}
	for (int s = 0; s <= c->layers; s++) {
		int width = s ? model_width(c, s - 1) : c->embed;
		float p = s == 0 ? c->drop_in : s == c->layers ? c->drop_out : c->drop_hid;
		float *lock = NULL;

		if (p > 0) {
			lock = zalloc((size_t)B * width, sizeof(float));
			for (int i = 0; i < B * width; i++)
				lock[i] = draw(r, 0.3f);
		}
		k->site[s] = expand(T, B, width, NULL, lock, s ? NULL : emask, tok);
		k->any_site |= k->site[s] != NULL;
		free(lock);
	}
	masks_fill(k, c, T, B);
	for (int l = 0; c->weight_drop > 0 && l < c->layers; l++) {
		size_t n = (size_t)model_width(c, l) * 4 * model_width(c, l);

		k->wm[l] = zalloc(n, sizeof(float));
		for (size_t i = 0; i < n; i++)
			k->wm[l][i] = draw(r, 0.3f);
		k->any_wm = 1;
	}
	free(emask);
}

/* CE + AR + TAR of the reference from (h0, c0). */
static double objective(const model_t *m, const double *p, int T, int B, const int32_t *tok,
			const double *h0, const double *c0, double *h, double *cc,
			const masks_t *k, double *grads)
{
	size_t SZ = model_state_floats(&m->cfg, B);
	double reg = 0.0, ce;
	ref_opts_t o = opts_of(k, &m->cfg, &reg);

	memcpy(h, h0, SZ * sizeof(double));
	memcpy(cc, c0, SZ * sizeof(double));
	ce = ref_window_opts(m, p, T, B, tok, h, cc, &o, grads);
	return ce + reg;
}

static void gradcheck(model_cfg_t c, int T, int B)
{
	const double eps = 1e-5, rtol = 1e-6, floor = 1e-2;
	size_t SZ = model_state_floats(&c, B), worst_i = 0;
	double worst = 0.0, loss;
	char name[256];
	masks_t k;
	model_t m;
	rng_t r;

	name_of(name, sizeof(name), &c, T, B);
	model_make(&m, &c, 31);
	rng_seed(&r, 32, 0);
	int32_t *tok0 = random_tokens(&r, c.vocab, T, B);
	int32_t *tok1 = random_tokens(&r, c.vocab, T, B);
	double *p = doubles(m.params, m.n), *g = zalloc(m.n, sizeof(double));
	double *h0 = zalloc(SZ, sizeof(double)), *c0 = zalloc(SZ, sizeof(double));
	double *h = zalloc(SZ, sizeof(double)), *cc = zalloc(SZ, sizeof(double));

	masks_random(&k, &c, T, B, tok1, &r);
	ref_window(&m, p, T, B, tok0, h0, c0, NULL, NULL);	/* a carried state */
	loss = objective(&m, p, T, B, tok1, h0, c0, h, cc, &k, g);
	for (size_t i = 0; i < m.n; i++) {
		double keep = p[i], lp, lm, num, err;

		p[i] = keep + eps;
		lp = objective(&m, p, T, B, tok1, h0, c0, h, cc, &k, NULL);
		p[i] = keep - eps;
		lm = objective(&m, p, T, B, tok1, h0, c0, h, cc, &k, NULL);
		p[i] = keep;
		num = (lp - lm) / (2 * eps);
		err = fabs(num - g[i]) / fmax(fmax(fabs(num), fabs(g[i])), floor);
		if (err > worst || isnan(err)) {
			worst = isnan(err) ? INFINITY : err;
			worst_i = i;
		}
	}
	CHECK(isfinite(loss) && worst < rtol,
	      "reference vs finite differences [%s]: worst relative error %.3g at %zu", name,
	      worst, worst_i);
	printf("  gradcheck %s: %zu params, worst rel err %.2g\n", name, m.n, worst);
	masks_free(&k);
	free(tok0), free(tok1), free(p), free(g), free(h0), free(c0), free(h), free(cc);
	model_free(&m);
}

/* ---- 2. the fast path against the reference ---- */

static double absdiff(double a, double b)
{
	return isnan(a) || isnan(b) ? INFINITY : fabs(a - b);
}

/* 1 when every value of x (n) is 0 or keep, and, where each is expected
 * 10 times or more (so that missing it has odds below e^-10), some of
 * each are there. */
static int mask_ok(const float *x, size_t n, float p)
{
	float keep = 1.0f / (1.0f - p);
	size_t zeros = 0;

	for (size_t i = 0; i < n; i++) {
		if (x[i] != 0.0f && x[i] != keep)
			return 0;
		zeros += x[i] == 0.0f;
	}
	if ((double)n * fmin(p, 1.0 - p) < 10.0)
		return 1;
	return zeros > 0 && zeros < n;
}

/* The masks the last forward drew, in the reference's form; *ok &= their
 * presence and values are what cfg asks for. */
static void masks_read(masks_t *k, const model_work_t *w, const model_cfg_t *c, int T, int B,
		       const int32_t *tok, int *ok)
{
	const float *emask = model_embed_mask(w);
	size_t TB = (size_t)T * B;

	memset(k, 0, sizeof(*k));
	*ok &= (emask != NULL) == (c->drop_emb > 0);
	if (emask)
		*ok &= mask_ok(emask, (size_t)c->vocab, c->drop_emb);
	for (int s = 0; s <= c->layers; s++) {
		int width = s ? model_width(c, s - 1) : c->embed;
		float p = s == 0 ? c->drop_in : s == c->layers ? c->drop_out : c->drop_hid;
		const float *step = model_dropout_mask(w, s), *lock = model_locked_mask(w, s);

		*ok &= (lock != NULL) == (p > 0) && (step != NULL) == (c->dropout > 0);
		if (lock)
			*ok &= mask_ok(lock, (size_t)B * width, p);
		if (step)
			*ok &= mask_ok(step, TB * width, c->dropout);
		k->site[s] = expand(T, B, width, step, lock, s ? NULL : emask, tok);
		k->any_site |= k->site[s] != NULL;
	}
	masks_fill(k, c, T, B);
	for (int l = 0; l < c->layers; l++) {
		const float *wm = model_wdrop_mask(w, l);
		size_t n = (size_t)model_width(c, l) * 4 * model_width(c, l);

		*ok &= (wm != NULL) == (c->weight_drop > 0);
		if (!wm)
			continue;
		*ok &= mask_ok(wm, n, c->weight_drop);
		k->wm[l] = zalloc(n, sizeof(float));
		memcpy(k->wm[l], wm, n * sizeof(float));
		k->any_wm = 1;
	}
	*ok &= model_locked_mask(w, c->layers + 1) == NULL && model_wdrop_mask(w, c->layers) == NULL;
}

/* tmax > T: the work area is made for windows of tmax steps and set to T
 * (variable-length BPTT, model_work_set_len) */
static void fast_vs_ref_len(model_cfg_t c, int tmax, int T, int B, float scale)
{
	const double gtol = 2e-5, ltol = 1e-5, stol = 2e-6;
	size_t SZ = model_state_floats(&c, B);
	double lerr = 0.0, rerr = 0.0, serr = 0.0, gerr;
	int ok = 1, worst_t = 0;
	char name[256];
	model_state_t s;
	model_work_t *w;
	model_t m;
	rng_t r, dr;
	err_t e;

	name_of(name, sizeof(name), &c, T, B);
	model_make(&m, &c, 41);
	if (model_state_init(&s, &c, B, &e) || !(w = model_work_new(&c, tmax, B, &e))) {
		fprintf(stderr, "test_regularize: %s\n", e.msg);
		exit(2);
	}
	if (tmax != T) {
		CHECK(model_work_set_len(w, tmax + 1) && model_work_set_len(w, 0),
		      "a window longer than the work area, or empty, was accepted");
		CHECK(!model_work_set_len(w, T), "set_len %d of %d refused", T, tmax);
		snprintf(name + strlen(name), sizeof(name) - strlen(name), " (area of %d)", tmax);
	}
	rng_seed(&r, 42, 0);
	rng_seed(&dr, 43, 0);
	int32_t *tok[3];

	for (int i = 0; i < 3; i++)
		tok[i] = random_tokens(&r, c.vocab, T, B);
	model_forward_eval(&m, w, &s, tok[0]);	/* a carried state */
	double *p = doubles(m.params, m.n), *g = zalloc(m.n, sizeof(double));
	double *h = doubles(s.h, SZ), *cc = doubles(s.c, SZ);

	memset(m.grads, 0, m.n * sizeof(float));
	for (int k = 1; k <= 2; k++) {
		double lf, lr, reg = 0.0;
		masks_t mk;
		ref_opts_t o;

		lf = model_forward_train(&m, w, &s, tok[k], &dr, scale);
		masks_read(&mk, w, &c, T, B, tok[k], &ok);
		model_backward(&m, w, NULL, NULL);
		o = opts_of(&mk, &c, &reg);
		lr = ref_window_opts(&m, p, T, B, tok[k], h, cc, &o, g);
		lerr = fmax(lerr, absdiff(lf, lr) / fabs(lr));
		rerr = fmax(rerr, absdiff(model_reg_loss(w), reg) / fmax(fabs(reg), 1e-3));
		for (size_t i = 0; i < SZ; i++) {
			serr = fmax(serr, absdiff(s.h[i], h[i]) / (1.0 + fabs(h[i])));
			serr = fmax(serr, absdiff(s.c[i], cc[i]) / (1.0 + fabs(cc[i])));
		}
		masks_free(&mk);
	}
	gerr = ref_grad_err(&m, g, scale, &worst_t);
	CHECK(lerr < ltol, "cross-entropy, fast vs reference [%s]: %.3g", name, lerr);
	CHECK(rerr < ltol, "AR + TAR, fast vs reference [%s]: %.3g", name, rerr);
	CHECK(serr < stol, "carried state, fast vs reference [%s]: %.3g", name, serr);
	CHECK(gerr < gtol, "gradients, fast vs reference [%s]: %.3g in %s", name, gerr,
	      m.tensor[worst_t].name);
	CHECK(ok, "masks [%s]: wrong presence, shape or values", name);
	printf("  fast/ref  %s: loss %.2g reg %.2g state %.2g grads %.2g (%s)\n", name, lerr,
	       rerr, serr, gerr, m.tensor[worst_t].name);
	for (int i = 0; i < 3; i++)
		free(tok[i]);
	free(p), free(g), free(h), free(cc);
	model_work_free(w);
	model_state_free(&s);
	model_free(&m);
}

static void fast_vs_ref(model_cfg_t c, int T, int B, float scale)
{
	fast_vs_ref_len(c, T, T, B, scale);
}

/* ---- 3. the promises around the sums ---- */

/* A dropped word type gets no gradient from the lookup (untied: the
 * lookup is emb's only gradient), a kept one that was read does. */
static void test_dropped_rows(void)
{
	regs_t g = { .emb = 0.5f };
	model_cfg_t c = cfg_make(40, 6, 5, 1, 0, g);
	int T = 8, B = 4, zero_ok = 1, kept_ok = 1, ndropped = 0;
	model_state_t s;
	model_work_t *w;
	model_t m;
	rng_t r;
	err_t e;

	model_make(&m, &c, 51);
	if (model_state_init(&s, &c, B, &e) || !(w = model_work_new(&c, T, B, &e)))
		exit(2);
	rng_seed(&r, 52, 0);
	int32_t *tok = random_tokens(&r, c.vocab, T, B);

	memset(m.grads, 0, m.n * sizeof(float));
	model_forward_train(&m, w, &s, tok, &r, 1.0f);
	model_backward(&m, w, NULL, NULL);
	const float *em = model_embed_mask(w);

	for (int b = 0; em && b < B; b++)
		for (int t = 0; t < T; t++) {
			int id = tok[(size_t)b * (T + 1) + t];
			float nz = 0.0f;

			for (int k = 0; k < c.embed; k++)
				nz += fabsf(m.g_emb[(size_t)id * c.embed + k]);
			if (em[id] == 0.0f) {
				zero_ok &= nz == 0.0f;
				ndropped++;
			} else {
				kept_ok &= nz > 0.0f;
			}
		}
	CHECK(em && ndropped > 0, "some word read in the window was dropped (%d)", ndropped);
	CHECK(zero_ok, "a dropped word type's embedding row has a gradient");
	CHECK(kept_ok, "a kept word type that was read has no gradient");
	free(tok);
	model_work_free(w);
	model_state_free(&s);
	model_free(&m);
}

/* Every regularizer off: the rng is not touched (the presets' runs stay
 * bit for bit what they were) and no mask exists; switched on, evaluation
 * still uses none of them: its loss is the unregularized model's. */
static void test_off_and_eval(void)
{
	regs_t none = { 0 }, all = { .in = 0.4f, .hid = 0.25f, .out = 0.4f, .emb = 0.1f,
				     .wdrop = 0.5f, .ar = 2.0f, .tar = 1.0f };
	model_cfg_t c0 = cfg_make(30, 8, 8, 2, 1, none), c1 = cfg_make(30, 8, 8, 2, 1, all);
	int T = 6, B = 3, untouched;
	model_state_t s0, s1;
	model_work_t *w0, *w1;
	model_t m0, m1;
	rng_t r, before;
	double l0, l1;
	err_t e;

	model_make(&m0, &c0, 61);
	model_make(&m1, &c1, 61);
	if (model_state_init(&s0, &c0, B, &e) || model_state_init(&s1, &c1, B, &e) ||
	    !(w0 = model_work_new(&c0, T, B, &e)) || !(w1 = model_work_new(&c1, T, B, &e)))
		exit(2);
	rng_seed(&r, 62, 0);
	int32_t *tok = random_tokens(&r, c0.vocab, T, B);

	before = r;
	memset(m0.grads, 0, m0.n * sizeof(float));
	model_forward_train(&m0, w0, &s0, tok, &r, 1.0f);
	untouched = !memcmp(&before, &r, sizeof(r));
	CHECK(untouched, "with every regularizer off the forward drew random numbers");
	CHECK(!model_locked_mask(w0, 0) && !model_embed_mask(w0) && !model_wdrop_mask(w0, 0) &&
	      model_reg_loss(w0) == 0.0, "masks or a penalty with every regularizer off");
	model_state_zero(&s0);
	l0 = model_forward_eval(&m0, w0, &s0, tok);
	l1 = model_forward_eval(&m1, w1, &s1, tok);
	CHECK(l0 == l1, "evaluation with the regularizers on: %.9g, off: %.9g", l1, l0);
	CHECK(!model_locked_mask(w1, 0) && !model_embed_mask(w1) && !model_wdrop_mask(w1, 1) &&
	      model_reg_loss(w1) == 0.0, "evaluation left masks or a penalty");
	CHECK(!memcmp(s0.h, s1.h, s0.n * sizeof(float)),
	      "evaluation's carried state depends on the regularizers");
	free(tok);
	model_work_free(w0);
	model_work_free(w1);
	model_state_free(&s0);
	model_state_free(&s1);
	model_free(&m0);
	model_free(&m1);
}

/* The ranges: what engram train refuses, the model refuses too. */
static void test_cfg_check(void)
{
	const struct { regs_t g; const char *flag; } bad[] = {
		{ { .in = 1.0f }, "--dropout-input" }, { { .hid = -0.1f }, "--dropout-hidden" },
		{ { .out = NAN }, "--dropout-output" }, { { .emb = 1.0f }, "--dropout-embed" },
		{ { .wdrop = 1.5f }, "--weight-drop" }, { { .ar = -1.0f }, "--ar" },
		{ { .tar = INFINITY }, "--tar" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		model_cfg_t c = cfg_make(10, 4, 4, 1, 0, bad[i].g);
		err_t e = { 0 };

		CHECK(model_cfg_check(&c, &e) && strstr(e.msg, bad[i].flag),
		      "a bad %s passed the check: \"%s\"", bad[i].flag, e.msg);
	}
}

int main(void)
{
	regs_t lock = { .in = 0.3f, .hid = 0.25f, .out = 0.4f };
	regs_t emb = { .emb = 0.3f }, wd = { .wdrop = 0.4f }, artar = { .ar = 2.0f, .tar = 1.5f };
	regs_t all = { .in = 0.3f, .hid = 0.25f, .out = 0.4f, .emb = 0.2f, .wdrop = 0.4f,
		       .ar = 2.0f, .tar = 1.0f };
	regs_t both = all;

	both.dropout = 0.2f;	/* with Zaremba's per-step dropout on top */
	test_cfg_check();
	test_off_and_eval();
	test_dropped_rows();

	gradcheck(cfg_make(7, 5, 4, 2, 0, all), 3, 2);
	gradcheck(cfg_make(7, 4, 4, 2, 1, all), 4, 2);
	gradcheck(cfg_make(7, 4, 4, 3, 0, artar), 3, 2);
	gradcheck(cfg_adaptive(9, 4, 2, all), 3, 2);
	/* layers of different widths: a last layer narrower (tied to E, as
	 * awd-lstm-lm) or wider than the others */
	gradcheck(with_top(cfg_make(7, 3, 5, 3, 1, all), 3), 3, 2);
	gradcheck(with_top(cfg_make(7, 4, 3, 2, 0, both), 5), 3, 2);
	gradcheck(with_top(cfg_adaptive(9, 5, 2, all), 4), 3, 2);

	const regs_t each[] = { lock, emb, wd, artar, all, both };

	for (size_t i = 0; i < sizeof(each) / sizeof(each[0]); i++) {
		fast_vs_ref(cfg_make(7, 5, 4, 2, 0, each[i]), 3, 2, 1.0f);
		fast_vs_ref(cfg_make(50, 24, 24, 3, 1, each[i]), 5, 3, 0.25f);
	}
	fast_vs_ref(cfg_make(50, 16, 24, 1, 0, all), 1, 4, 0.5f);	/* T = 1: no TAR pair */
	fast_vs_ref(cfg_adaptive(60, 24, 2, all), 5, 3, 1.0f);
	fast_vs_ref(with_top(cfg_make(50, 16, 24, 3, 1, all), 16), 5, 3, 0.5f);
	fast_vs_ref(with_top(cfg_make(50, 16, 24, 2, 0, both), 32), 5, 3, 1.0f);
	fast_vs_ref(with_top(cfg_adaptive(60, 24, 2, all), 20), 5, 3, 1.0f);
	fast_vs_ref(with_top(cfg_make(7, 4, 8, 2, 0, wd), 6), 8, 3, 1.0f);	/* by table */
	/* layer 0 by table is off with site-0 dropout; a char-like shape */
	fast_vs_ref(cfg_make(7, 4, 8, 2, 0, wd), 8, 3, 1.0f);
	fast_vs_ref(cfg_make(7, 4, 8, 2, 0, artar), 8, 3, 1.0f);
	/* shorter windows in an area made for longer ones; a 40000-word
	 * output layer runs in blocks of at most 209 rows, so a window of 11
	 * x 20 rows takes two blocks of 110 and one of 10 x 20 a single block
	 * of 200, larger than the area's own */
	fast_vs_ref_len(cfg_make(50, 24, 24, 2, 1, all), 9, 4, 3, 1.0f);
	fast_vs_ref_len(cfg_adaptive(60, 24, 2, all), 7, 2, 3, 1.0f);
	fast_vs_ref_len(cfg_make(40000, 8, 12, 1, 0, wd), 11, 10, 20, 1.0f);
	return check_done("test_regularize");
}
