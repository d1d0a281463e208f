/*
 * test_optim.c - optimizers, gradient helpers and lr schedules against
 * numbers worked out by hand.
 *
 * The expected optimizer steps are written in closed form with the
 * constants multiplied out (beta1 * (1 - beta1) = 0.09, 1 - beta1^2 = 0.19,
 * ...), not by repeating optim.c's recurrences, so a wrong recurrence and a
 * wrong expectation cannot agree by construction.
 *
 * Each test returns its number of failed checks; every failed check prints.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trainer/optim.h"
#include "trainer/sched.h"

#define N 3
/* float state against double expectations; a wrong formula is off by >1e-3 */
#define TOL_F 1e-6
#define TOL_D 1e-9

static const double P0[N] = { 1.0, -2.0, 0.5 };
static const double G1[N] = { 0.1, 0.2, -0.3 };
static const double G2[N] = { -0.4, 0.5, 0.6 };

static int check(int ok, const char *what)
{
	if (!ok)
		printf("FAIL %s\n", what);
	return !ok;
}

static int near(const char *what, int i, double got, double want, double tol)
{
	if (fabs(got - want) <= tol)
		return 0;
	printf("FAIL %s[%d]: got %.9g, want %.9g (tol %g)\n", what, i, got, want, tol);
	return 1;
}

static void to_float(float *dst, const double *src)
{
	int i;

	for (i = 0; i < N; i++)
		dst[i] = (float)src[i];
}

/*
 * Runs cfg over the steps G1, G2 (and G1 again when p3 is given) at lr
 * 0.1 and compares params after each step with p1, p2, p3.
 */
static int run_steps(const char *what, const optim_cfg_t *cfg,
		     const double *p1, const double *p2, const double *p3)
{
	const double *want[3] = { p1, p2, p3 };
	const double *gs[3] = { G1, G2, G1 };
	float p[N], g[N];
	optim_t o;
	err_t e;
	int s, i, bad = 0;
	char label[64];

	if (optim_init(&o, cfg, N, &e)) {
		printf("FAIL %s: optim_init: %s\n", what, e.msg);
		return 1;
	}
	to_float(p, P0);
	for (s = 0; s < 3 && want[s]; s++) {
		to_float(g, gs[s]);
		optim_step(&o, p, g, 0.1f);
		snprintf(label, sizeof(label), "%s step %d", what, s + 1);
		for (i = 0; i < N; i++)
			bad += near(label, i, p[i], want[s][i], TOL_F);
	}
	bad += check(o.t == s, "optimizer step counter");
	optim_free(&o);
	return bad;
}

static int test_sgd(void)
{
	/* momentum 0.9: m1 = g1, m2 = 0.9 g1 + g2, m3 = 0.9 m2 + g1 */
	static const double mom1[N] = { 0.99, -2.02, 0.53 };	/* p0 - 0.1 g1 */
	static const double mom2[N] = { 1.021, -2.088, 0.497 };	/* - 0.1 (-0.31, 0.68, 0.33) */
	static const double mom3[N] = { 1.0389, -2.1692, 0.4973 };	/* - 0.1 (-0.179, 0.812, -0.003) */
	/* plain, L2 wd 0.1: d1 = g1 + 0.1 p0 = (0.2, 0, -0.25) */
	static const double wd1[N] = { 0.98, -2.0, 0.525 };
	/* d2 = g2 + 0.1 p1 = (-0.302, 0.3, 0.6525) */
	static const double wd2[N] = { 1.0102, -2.03, 0.45975 };
	optim_cfg_t c;
	int bad = 0;

	optim_cfg_default(&c, OPT_SGD);
	c.momentum = 0.9f;
	bad += run_steps("sgd momentum", &c, mom1, mom2, mom3);
	optim_cfg_default(&c, OPT_SGD);
	c.weight_decay = 0.1f;
	bad += run_steps("sgd l2", &c, wd1, wd2, NULL);
	return bad;
}

/*
 * Adam with default betas at lr 0.1 on gradients d1, d2, from params a
 * (step 1) and b (step 2, AdamW: already decayed).  Step 1: m = 0.1 d1,
 * v = 0.001 d1^2, step_size = 0.1 / 0.1, so the step is
 * 0.1 d1 / (|d1| + eps).  Step 2: m = 0.09 d1 + 0.1 d2,
 * v = 0.000999 d1^2 + 0.001 d2^2, bias corrections 0.19 and 0.001999.
 */
static double adam1(double a, double d1)
{
	return a - 0.1 * d1 / (fabs(d1) + 1e-8);
}

static double adam2(double b, double d1, double d2)
{
	double m = 0.09 * d1 + 0.1 * d2;
	double v = 0.000999 * d1 * d1 + 0.001 * d2 * d2;

	return b - (0.1 / 0.19) * m / (sqrt(v / 0.001999) + 1e-8);
}

static int test_adam(void)
{
	double p1[N], p2[N];
	optim_cfg_t c;
	int i;

	for (i = 0; i < N; i++) {
		p1[i] = adam1(P0[i], G1[i]);
		p2[i] = adam2(p1[i], G1[i], G2[i]);
	}
	optim_cfg_default(&c, OPT_ADAM);
	return run_steps("adam", &c, p1, p2, NULL);
}

static int test_adam_l2(void)
{
	double p1[N], p2[N], d1, d2;
	optim_cfg_t c;
	int i;

	/* wd 0.2 is added to the gradient: d = g + 0.2 p */
	for (i = 0; i < N; i++) {
		d1 = G1[i] + 0.2 * P0[i];
		p1[i] = adam1(P0[i], d1);
		d2 = G2[i] + 0.2 * p1[i];
		p2[i] = adam2(p1[i], d1, d2);
	}
	optim_cfg_default(&c, OPT_ADAM);
	c.weight_decay = 0.2f;
	return run_steps("adam l2", &c, p1, p2, NULL);
}

static int test_adamw(void)
{
	double p1[N], p2[N];
	optim_cfg_t c;
	int i;

	/* wd 0.1 decoupled: p *= 1 - 0.1 * 0.1 before the Adam step on raw g */
	for (i = 0; i < N; i++) {
		p1[i] = adam1(0.99 * P0[i], G1[i]);
		p2[i] = adam2(0.99 * p1[i], G1[i], G2[i]);
	}
	optim_cfg_default(&c, OPT_ADAMW);
	c.weight_decay = 0.1f;
	return run_steps("adamw", &c, p1, p2, NULL);
}

static int zeroed(const float *a, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (a[i] != 0.0f)
			return 0;
	return 1;
}

/* Every default and a few edge cases init; m, v exist as needed, zeroed. */
static int test_init_valid(void)
{
	static const optim_kind_t kinds[] = { OPT_SGD, OPT_ADAM, OPT_ADAMW };
	optim_cfg_t c;
	optim_t o;
	err_t e;
	int k, bad = 0;

	optim_cfg_default(&c, OPT_ADAMW);
	bad += check(c.beta1 == 0.9f && c.beta2 == 0.999f && c.eps == 1e-8f &&
		     c.weight_decay == 0.01f, "adamw defaults");
	optim_cfg_default(&c, OPT_ADAM);
	bad += check(c.weight_decay == 0.0f, "adam default wd 0");
	for (k = 0; k < 3; k++) {
		optim_cfg_default(&c, kinds[k]);
		if (check(!optim_init(&o, &c, 1000, &e), "optim_init default"))
			return bad + 1;
		bad += check(o.t == 0 && o.n == 1000, "t 0, n set");
		bad += check(kinds[k] == OPT_SGD ? !o.m : o.m && zeroed(o.m, 1000),
			     "m allocated iff needed, zeroed");
		bad += check(kinds[k] == OPT_SGD ? !o.v : o.v && zeroed(o.v, 1000),
			     "v allocated iff needed, zeroed");
		optim_free(&o);
	}
	optim_cfg_default(&c, OPT_SGD);
	c.momentum = 0.99f;
	bad += check(!optim_init(&o, &c, 7, &e) && o.m && zeroed(o.m, 7) && !o.v,
		     "sgd momentum has zeroed m only");
	optim_free(&o);
	optim_cfg_default(&c, OPT_ADAM);
	c.beta1 = 0.0f;
	c.eps = 0.0f;
	bad += check(!optim_init(&o, &c, 0, &e), "n 0, beta1 0, eps 0 valid");
	optim_free(&o);
	return bad;
}

static int rejects(optim_cfg_t *c, const char *what)
{
	optim_t o;
	err_t e;

	e.msg[0] = '\0';
	if (!optim_init(&o, c, 4, &e)) {
		optim_free(&o);
		return check(0, what);
	}
	return check(e.msg[0] && !o.m && !o.v, what);
}

static int test_init_invalid(void)
{
	optim_cfg_t c;
	int bad = 0;

	optim_cfg_default(&c, OPT_ADAM);
	c.beta1 = 1.0f;
	bad += rejects(&c, "rejects beta1 1");
	optim_cfg_default(&c, OPT_ADAMW);
	c.beta2 = -0.1f;
	bad += rejects(&c, "rejects beta2 < 0");
	optim_cfg_default(&c, OPT_ADAM);
	c.eps = -1e-8f;
	bad += rejects(&c, "rejects eps < 0");
	optim_cfg_default(&c, OPT_ADAMW);
	c.weight_decay = -0.01f;
	bad += rejects(&c, "rejects wd < 0");
	optim_cfg_default(&c, OPT_SGD);
	c.momentum = NAN;
	bad += rejects(&c, "rejects momentum NaN");
	optim_cfg_default(&c, OPT_SGD);
	c.kind = (optim_kind_t)7;
	bad += rejects(&c, "rejects unknown kind");
	return bad;
}

static int test_clip(void)
{
	float g[N] = { 3.0f, 4.0f, 0.0f }, h[2] = { 0.3f, 0.4f };
	const float g12[N] = { 3.0f, 4.0f, 12.0f };
	int i, bad = 0;

	bad += near("grad_norm", 0, grad_norm(g12, N), 13.0, 0.0);
	bad += near("clip off returns norm", 0, grad_clip(g, N, 0.0), 5.0, 0.0);
	bad += check(g[0] == 3.0f && g[1] == 4.0f, "clip off leaves g");
	bad += near("clip returns norm before", 0, grad_clip(g, N, 1.0), 5.0, 0.0);
	for (i = 0; i < N; i++)
		bad += near("clipped g", i, g[i], (i == 0 ? 3.0 : i == 1 ? 4.0 : 0.0) /
			    (5.0 + 1e-6), 1e-7);
	bad += near("norm after clip", 0, grad_norm(g, N), 1.0, 1e-6);
	bad += near("clip below returns norm", 0, grad_clip(h, 2, 1.0), 0.5, 1e-7);
	bad += check(h[0] == 0.3f && h[1] == 0.4f, "clip below leaves g");
	return bad;
}

/*
 * grad_norm over a long vector (its partial sums and its tail) against one
 * running sum in long double; a NaN or infinity anywhere, the tail
 * included, makes it non-finite.
 */
static int test_norm_long(void)
{
	enum { LEN = 1000 + 7 };
	static float g[LEN];
	long double want = 0.0L;
	int i, bad = 0;

	for (i = 0; i < LEN; i++) {
		g[i] = (float)((i % 13) - 6) * 0.37f + (float)i * 1e-3f;
		want += (long double)g[i] * g[i];
	}
	bad += near("long norm", 0, grad_norm(g, LEN) / sqrt((double)want), 1.0, 1e-12);
	want = 0.0L;
	for (i = 0; i < 5; i++)
		want += (long double)g[i] * g[i];
	bad += near("short norm", 0, grad_norm(g, 5), sqrt((double)want), 1e-12);
	g[LEN - 1] = NAN;
	bad += check(isnan(grad_norm(g, LEN)), "NaN in the tail makes the norm NaN");
	g[LEN - 1] = 0.0f;
	g[17] = INFINITY;
	bad += check(isinf(grad_norm(g, LEN)), "infinity makes the norm infinite");
	g[17] = 3e38f;	/* finite: its square is still finite in double */
	bad += check(isfinite(grad_norm(g, LEN)), "the largest floats stay finite");
	bad += near("coef off", 0, grad_clip_coef(5.0, 0.0), 1.0, 0.0);
	bad += near("coef below", 0, grad_clip_coef(0.5, 1.0), 1.0, 0.0);
	bad += near("coef above", 0, grad_clip_coef(5.0, 1.0), (float)(1.0 / (5.0 + 1e-6)), 0.0);
	bad += near("coef nan", 0, grad_clip_coef(NAN, 1.0), 1.0, 0.0);
	return bad;
}

/*
 * optim_step_scaled(g, coef) is grad_clip's in-place scaling followed by
 * optim_step, bit for bit, for every kind, and leaves g as it was.
 */
static int scaled_same(const char *what, const optim_cfg_t *cfg)
{
	enum { LEN = 37 };
	float pa[LEN], pb[LEN], ga[LEN], gb[LEN], keep[LEN];
	optim_t a, b;
	err_t e;
	int i, s, bad = 0;

	if (optim_init(&a, cfg, LEN, &e) || optim_init(&b, cfg, LEN, &e)) {
		printf("FAIL %s: optim_init: %s\n", what, e.msg);
		return 1;
	}
	for (i = 0; i < LEN; i++)
		pa[i] = pb[i] = 0.1f * (float)(i % 7) - 0.3f;
	for (s = 0; s < 3; s++) {
		float coef;

		for (i = 0; i < LEN; i++)
			ga[i] = gb[i] = keep[i] = (float)((i * (s + 3)) % 11) - 5.0f;
		grad_clip(ga, LEN, s == 1 ? 1e3 : 2.0);	/* step 2: no clip */
		optim_step(&a, pa, ga, 0.05f);
		coef = grad_clip_coef(grad_norm(gb, LEN), s == 1 ? 1e3 : 2.0);
		optim_step_scaled(&b, pb, gb, coef, 0.05f);
		bad += check(!memcmp(gb, keep, sizeof(gb)), "scaled step leaves g");
		bad += check(!memcmp(pa, pb, sizeof(pa)), what);
		if (a.m)
			bad += check(!memcmp(a.m, b.m, LEN * sizeof(float)), what);
		if (a.v)
			bad += check(!memcmp(a.v, b.v, LEN * sizeof(float)), what);
	}
	optim_free(&a);
	optim_free(&b);
	return bad;
}

static int test_scaled(void)
{
	optim_cfg_t c;
	int bad = 0;

	optim_cfg_default(&c, OPT_SGD);
	bad += scaled_same("scaled sgd", &c);
	c.momentum = 0.9f;
	c.weight_decay = 0.01f;
	bad += scaled_same("scaled sgd momentum wd", &c);
	optim_cfg_default(&c, OPT_ADAM);
	c.weight_decay = 0.01f;
	bad += scaled_same("scaled adam l2", &c);
	optim_cfg_default(&c, OPT_ADAMW);
	bad += scaled_same("scaled adamw", &c);
	return bad;
}

/*
 * A buffer whose tail is rows of W floats, only some rows nonzero: the
 * row-sparse norm and step (optim.h) against the dense ones, bit for bit,
 * over three steps with other rows each time; for optimizers that move
 * untouched parameters (momentum, decay, Adam) the step is the dense one.
 * Dense parts and widths that are not multiples of the norm's 16 lanes.
 */
static int rows_same(const char *what, const optim_cfg_t *cfg, size_t dense, size_t W)
{
	enum { ROWS = 23 };
	size_t n = dense + ROWS * W;
	float *pa = calloc(n, sizeof(float)), *pb = calloc(n, sizeof(float));
	float *g = calloc(n, sizeof(float));
	int32_t rows[ROWS];
	optim_t a, b;
	err_t e;
	int bad = 0;

	if (!pa || !pb || !g || optim_init(&a, cfg, n, &e) || optim_init(&b, cfg, n, &e)) {
		printf("FAIL %s: setup\n", what);
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		pa[i] = pb[i] = 0.01f * (float)(i % 17) - 0.08f;
	for (int s = 0; s < 3; s++) {
		size_t nr = 0;

		memset(g, 0, n * sizeof(float));
		for (size_t i = 0; i < dense; i++)
			g[i] = (float)((i * (s + 5)) % 13) * 0.1f - 0.6f;
		for (int r = s % 2; r < ROWS; r += 2 + s) {	/* ascending */
			rows[nr++] = r;
			for (size_t k = 0; k < W; k++)
				g[dense + r * W + k] = (float)((r + k + s) % 7) * 0.3f - 0.9f;
		}
		grad_rows_t gr = { n, dense, W, rows, (int)nr };
		double na = grad_norm(g, n), nb = grad_rows_norm(g, &gr);
		float coef = grad_clip_coef(na, 1.0);

		bad += check(!memcmp(&na, &nb, sizeof(na)), what);
		optim_step_scaled(&a, pa, g, coef, 0.1f);
		optim_step_rows(&b, pb, g, coef, 0.1f, &gr);
		bad += check(!memcmp(pa, pb, n * sizeof(float)) && a.t == b.t, what);
		if (a.m)
			bad += check(!memcmp(a.m, b.m, n * sizeof(float)), what);
		grad_rows_zero(g, &gr);
		bad += check(zeroed(g, n), "grad_rows_zero leaves a nonzero");
	}
	optim_free(&a);
	optim_free(&b);
	free(pa), free(pb), free(g);
	return bad;
}

static int test_rows(void)
{
	optim_cfg_t c;
	int bad = 0;

	optim_cfg_default(&c, OPT_SGD);
	bad += check(optim_rows_stay(&(optim_t){ .cfg = c }), "plain SGD leaves zero-gradient rows");
	bad += rows_same("rows sgd", &c, 37, 5);
	bad += rows_same("rows sgd, 16-aligned", &c, 64, 32);
	bad += rows_same("rows sgd, no dense part", &c, 0, 19);
	c.momentum = 0.9f;
	bad += rows_same("rows sgd momentum (dense)", &c, 21, 7);
	c.momentum = 0.0f;
	c.weight_decay = 0.01f;
	bad += rows_same("rows sgd decay (dense)", &c, 21, 7);
	optim_cfg_default(&c, OPT_ADAM);
	bad += rows_same("rows adam (dense)", &c, 21, 7);
	return bad;
}

static int test_finite(void)
{
	float g[4] = { 1.0f, -2.0f, 0.0f, 1e30f };
	int bad = 0;

	bad += check(grad_finite(g, 4), "finite vector");
	bad += check(grad_finite(g, 0), "empty vector finite");
	g[2] = NAN;
	bad += check(!grad_finite(g, 4), "NaN found");
	g[2] = 0.0f;
	g[3] = INFINITY;
	bad += check(!grad_finite(g, 4), "+Inf found");
	g[3] = -INFINITY;
	bad += check(!grad_finite(g, 4), "-Inf found");
	g[3] = 1e30f;
	g[3] *= 1e10f;	/* overflows to Inf */
	bad += check(!grad_finite(g, 4), "overflow found");
	return bad;
}

static int test_names(void)
{
	optim_kind_t ok;
	sched_kind_t sk;
	int k, bad = 0;

	for (k = OPT_SGD; k <= OPT_ADAMW; k++)
		bad += check(!optim_kind_parse(optim_kind_name(k), &ok) &&
			     (int)ok == k, "optim kind round trip");
	for (k = SCHED_CONST; k <= SCHED_COSINE; k++)
		bad += check(!sched_kind_parse(sched_kind_name(k), &sk) &&
			     (int)sk == k, "sched kind round trip");
	bad += check(!optim_kind_parse("adamw", &ok) && ok == OPT_ADAMW, "parse adamw");
	bad += check(optim_kind_parse("adamx", &ok) && optim_kind_parse("", &ok),
		     "optim parse rejects");
	bad += check(sched_kind_parse("cos", &sk) == -1, "sched parse rejects");
	return bad;
}

/* lr per epoch (1-based) for a step schedule, each epoch 100 steps long */
static int step_seq(const char *what, int decay_after, double factor,
		    const double *want, int n)
{
	sched_cfg_t c;
	sched_t s;
	err_t e;
	int ep, bad = 0;

	sched_cfg_default(&c, SCHED_STEP);
	c.decay_after = decay_after;
	c.factor = factor;
	bad += check(!sched_cfg_check(&c, &e), "step cfg valid");
	sched_init(&s, &c);
	for (ep = 1; ep <= n; ep++) {
		bad += near(what, ep, sched_lr(&s, 100L * ep - 1, ep), want[ep - 1], TOL_D);
		bad += near(what, ep, s.lr, want[ep - 1], TOL_D);
	}
	return bad;
}

static int test_sched_step(void)
{
	static const double small[] = { 1, 1, 1, 1, 0.5, 0.25, 0.125, 0.0625 };
	/* 1/1.2 = 0.8333.., 1/1.44 = 0.69444.., 1/1.728 = 0.5787037.. */
	static const double medium[] = { 1, 1, 1, 1, 1, 1, 0.833333333333,
					 0.694444444444, 0.578703703704 };
	sched_cfg_t c;
	sched_t s;
	int bad = 0;

	bad += step_seq("zaremba-small", 4, 0.5, small, 8);
	bad += step_seq("zaremba-medium", 6, 1 / 1.2, medium, 9);
	sched_cfg_default(&c, SCHED_CONST);
	c.lr0 = 0.5;
	sched_init(&s, &c);
	bad += near("const", 0, sched_lr(&s, 12345, 40), 0.5, 0.0);
	return bad;
}

static int plateau_seq(const char *what, int patience, const double *val,
		       const double *lr, const int *bad_ep, int n)
{
	sched_cfg_t c;
	sched_t s;
	double best = INFINITY;
	int i, bad = 0;

	sched_cfg_default(&c, SCHED_PLATEAU);
	c.patience = patience;
	sched_init(&s, &c);
	bad += near(what, 0, sched_lr(&s, 0, 1), 20.0, 0.0);
	for (i = 0; i < n; i++) {
		sched_epoch_end(&s, i + 1, val[i]);
		best = val[i] < best ? val[i] : best;
		bad += near(what, i + 1, sched_lr(&s, 1000L * (i + 1), i + 2), lr[i], TOL_D);
		bad += near("plateau best_val", i + 1, s.best_val, best, 0.0);
		bad += near("plateau bad_epochs", i + 1, s.bad_epochs, bad_ep[i], 0.0);
		bad += check(s.epoch == i + 1, "plateau epoch recorded");
	}
	return bad;
}

static int test_sched_plateau(void)
{
	/* patience 0: every epoch not below the best (4.6, the equal 4.4) divides by 4 */
	static const double v0[] = { 5.0, 4.5, 4.6, 4.4, 4.4, 4.3 };
	static const double lr0[] = { 20, 20, 5, 5, 1.25, 1.25 };
	static const int b0[] = { 0, 0, 0, 0, 0, 0 };
	/* patience 1: the second bad epoch in a row divides */
	static const double v1[] = { 5.0, 5.1, 5.2, 4.9, 5.0, 5.0, 5.0 };
	static const double lr1[] = { 20, 20, 5, 5, 5, 1.25, 1.25 };
	static const int b1[] = { 0, 1, 0, 0, 1, 0, 1 };
	int bad = 0;

	bad += plateau_seq("plateau p0", 0, v0, lr0, b0, 6);
	bad += plateau_seq("plateau p1", 1, v1, lr1, b1, 7);
	return bad;
}

static int test_sched_cosine(void)
{
	/* lr0 1, warmup 10, total 110, min_lr 0.1; cos(pi/4) = sqrt(0.5) */
	static const long steps[] = { 0, 1, 5, 9, 10, 35, 60, 85, 110, 1000 };
	const double want[] = {
		0.0, 0.1, 0.5, 0.9, 1.0,
		0.1 + 0.45 * (1.0 + sqrt(0.5)),		/* progress 1/4 */
		0.55,					/* progress 1/2 */
		0.1 + 0.45 * (1.0 - sqrt(0.5)),		/* progress 3/4 */
		0.1, 0.1,
	};
	sched_cfg_t c;
	sched_t s;
	err_t e;
	int i, bad = 0;

	sched_cfg_default(&c, SCHED_COSINE);
	bad += check(sched_cfg_check(&c, &e) == -1, "cosine without total_steps rejected");
	c.warmup_steps = 10;
	c.total_steps = 110;
	c.min_lr = 0.1;
	bad += check(!sched_cfg_check(&c, &e), "cosine cfg valid");
	sched_init(&s, &c);
	for (i = 0; i < (int)(sizeof(steps) / sizeof(steps[0])); i++)
		bad += near("cosine", (int)steps[i], sched_lr(&s, steps[i], 1), want[i], TOL_D);
	c.warmup_steps = 0;
	sched_init(&s, &c);
	bad += near("cosine no warmup", 0, sched_lr(&s, 0, 1), 1.0, TOL_D);
	return bad;
}

static int test_sched_check(void)
{
	sched_cfg_t c;
	err_t e;
	int k, bad = 0;

	for (k = SCHED_CONST; k <= SCHED_PLATEAU; k++) {
		sched_cfg_default(&c, k);
		bad += check(!sched_cfg_check(&c, &e), "sched default valid");
	}
	sched_cfg_default(&c, SCHED_PLATEAU);
	c.factor = 0.0;
	bad += check(sched_cfg_check(&c, &e) == -1 && e.msg[0], "plateau factor 0 rejected");
	sched_cfg_default(&c, SCHED_STEP);
	c.decay_after = -1;
	bad += check(sched_cfg_check(&c, &e) == -1, "step decay_after < 0 rejected");
	return bad;
}

/*
 * NT-ASGD: before the switch SGD's update bit for bit (weight decay
 * included); after it the same update, and ax the plain mean of the
 * iterates since the switch, here 1 + 3 steps worked out by hand with
 * p -= lr (g + wd p): lr 0.1, wd 0.01, g = G1, G2, G1, G2.
 */
static int test_ntasgd(void)
{
	optim_cfg_t c, cs;
	optim_t o, sgd;
	float p[N], q[N];
	double want[N], it[N], mean[N];
	int bad = 0;
	err_t e;

	optim_cfg_default(&c, OPT_NTASGD);
	c.weight_decay = 0.01f;
	optim_cfg_default(&cs, OPT_SGD);
	cs.weight_decay = 0.01f;
	if (optim_init(&o, &c, N, &e) || optim_init(&sgd, &cs, N, &e))
		return check(0, "ntasgd init");
	bad += check(o.ax && !o.m && !o.v && !o.averaging, "ntasgd state at init");
	to_float(p, P0);
	to_float(q, P0);
	float g1[N], g2[N];

	to_float(g1, G1);
	to_float(g2, G2);
	optim_step(&o, p, g1, 0.1f);
	optim_step(&sgd, q, g1, 0.1f);
	bad += check(!memcmp(p, q, sizeof(p)) && o.avg_n == 0, "ntasgd before the switch is sgd");
	optim_average_start(&o, p);
	bad += check(!memcmp(o.ax, p, sizeof(p)), "ntasgd's average at the switch is the iterate");
	for (int i = 0; i < N; i++) {
		it[i] = P0[i] - 0.1 * (G1[i] + 0.01 * P0[i]);
		mean[i] = 0.0;
	}
	for (int k = 0; k < 3; k++) {
		const double *g = k % 2 ? G1 : G2;

		optim_step(&o, p, k % 2 ? g1 : g2, 0.1f);
		optim_step(&sgd, q, k % 2 ? g1 : g2, 0.1f);
		for (int i = 0; i < N; i++) {
			it[i] -= 0.1 * (g[i] + 0.01 * it[i]);
			mean[i] += it[i] / 3.0;
		}
	}
	bad += check(!memcmp(p, q, sizeof(p)) && o.avg_n == 3, "ntasgd's iterate after the switch");
	for (int i = 0; i < N; i++) {
		want[i] = mean[i];
		bad += near("ntasgd ax", i, o.ax[i], want[i], TOL_F);
		bad += near("ntasgd p", i, p[i], it[i], TOL_F);
	}
	optim_free(&o);
	optim_free(&sgd);
	c.momentum = 0.9f;
	bad += check(optim_init(&o, &c, N, &e) && strstr(e.msg, "momentum"), "ntasgd with momentum refused");
	return bad;
}

int main(void)
{
	static const struct {
		const char *name;
		int (*fn)(void);
	} tests[] = {
		{ "sgd", test_sgd },
		{ "adam", test_adam },
		{ "adam_l2", test_adam_l2 },
		{ "adamw", test_adamw },
		{ "ntasgd", test_ntasgd },
		{ "init_valid", test_init_valid },
		{ "init_invalid", test_init_invalid },
		{ "clip", test_clip },
		{ "norm_long", test_norm_long },
		{ "scaled", test_scaled },
		{ "rows", test_rows },
		{ "finite", test_finite },
		{ "names", test_names },
		{ "sched_step", test_sched_step },
		{ "sched_plateau", test_sched_plateau },
		{ "sched_cosine", test_sched_cosine },
		{ "sched_check", test_sched_check },
	};
	int i, passed = 0, failed = 0;

	for (i = 0; i < (int)(sizeof(tests) / sizeof(tests[0])); i++) {
		if (tests[i].fn()) {
			printf("FAIL test %s\n", tests[i].name);
			failed++;
		} else {
			passed++;
		}
	}
	printf("test_optim: %d passed, %d failed\n", passed, failed);
	return failed != 0;
}
