/* optim.c - SGD, Adam and AdamW as PyTorch computes them; gradient helpers. */
#include "trainer/optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const flag_choice_t optim_kinds[] = {
	{ "sgd", OPT_SGD },
	{ "adam", OPT_ADAM },
	{ "adamw", OPT_ADAMW },
	{ "ntasgd", OPT_NTASGD },
	{ NULL, 0 },
};

void optim_cfg_default(optim_cfg_t *c, optim_kind_t kind)
{
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->beta1 = 0.9f;
	c->beta2 = 0.999f;
	c->eps = 1e-8f;
	if (kind == OPT_ADAMW)
		c->weight_decay = 0.01f;
}

/* The ranges PyTorch's constructors accept. */
static int cfg_check(const optim_cfg_t *c, err_t *e)
{
	if (c->kind != OPT_SGD && c->kind != OPT_ADAM && c->kind != OPT_ADAMW &&
	    c->kind != OPT_NTASGD)
		return err_set(e, "optimizer: unknown kind %d", (int)c->kind);
	if (!(c->weight_decay >= 0.0f))
		return err_set(e, "optimizer %s: weight_decay %g, expected >= 0",
			       optim_kind_name(c->kind), c->weight_decay);
	if (c->kind == OPT_NTASGD && c->momentum != 0.0f)
		return err_set(e, "optimizer ntasgd: momentum %g, expected 0 (ASGD has none)",
			       c->momentum);
	if (c->kind == OPT_SGD || c->kind == OPT_NTASGD) {
		if (!(c->momentum >= 0.0f))
			return err_set(e, "optimizer sgd: momentum %g, expected >= 0",
				       c->momentum);
		return 0;
	}
	if (!(c->beta1 >= 0.0f && c->beta1 < 1.0f) ||
	    !(c->beta2 >= 0.0f && c->beta2 < 1.0f))
		return err_set(e, "optimizer %s: betas (%g, %g), expected each in [0, 1)",
			       optim_kind_name(c->kind), c->beta1, c->beta2);
	if (!(c->eps >= 0.0f))
		return err_set(e, "optimizer %s: eps %g, expected >= 0",
			       optim_kind_name(c->kind), c->eps);
	return 0;
}

int optim_init(optim_t *o, const optim_cfg_t *cfg, size_t n, err_t *e)
{
	memset(o, 0, sizeof(*o));
	if (cfg_check(cfg, e))
		return -1;
	o->cfg = *cfg;
	o->n = n;
	if (cfg->kind == OPT_NTASGD) {
		o->ax = err_calloc(n, sizeof(float), "NT-ASGD's average of the parameters", e);
		return o->ax ? 0 : -1;
	}
	if (cfg->kind != OPT_SGD || cfg->momentum != 0.0f) {
		o->m = err_calloc(n, sizeof(float), "optimizer first moment", e);
		if (!o->m)
			return -1;
	}
	if (cfg->kind != OPT_SGD) {
		o->v = err_calloc(n, sizeof(float), "optimizer second moment", e);
		if (!o->v) {
			optim_free(o);
			return -1;
		}
	}
	return 0;
}

void optim_free(optim_t *o)
{
	free(o->m);
	free(o->v);
	free(o->ax);
	o->m = NULL;
	o->v = NULL;
	o->ax = NULL;
}

void optim_average_start(optim_t *o, const float *params)
{
	o->averaging = 1;
	o->avg_n = 0;
	memcpy(o->ax, params, o->n * sizeof(float));
}

/* ax = p at the first averaged step, then the running mean (optim.h) */
static void average(optim_t *o, const float *p)
{
	float mu;

	o->avg_n++;
	if (o->avg_n == 1) {
		memcpy(o->ax, p, o->n * sizeof(float));
		return;
	}
	mu = (float)(1.0 / (double)o->avg_n);
	for (size_t i = 0; i < o->n; i++)
		o->ax[i] += (p[i] - o->ax[i]) * mu;
}

/* The SGD update of p[off .. off + n). */
static void sgd_range(optim_t *o, float *p, const float *grads, float gs,
		      float lr, size_t off, size_t n)
{
	const float wd = o->cfg.weight_decay, mom = o->cfg.momentum;

	for (size_t i = off; i < off + n; i++) {
		float g = grads[i] * gs;

		if (wd != 0.0f)
			g += wd * p[i];
		if (o->m) {
			/* m starts at 0, so the first step's m = g as in PyTorch */
			o->m[i] = mom * o->m[i] + g;
			g = o->m[i];
		}
		p[i] -= lr * g;
	}
}

static void sgd_step(optim_t *o, float *p, const float *grads, float gs,
		     float lr)
{
	sgd_range(o, p, grads, gs, lr, 0, o->n);
}

/*
 * Adam and AdamW.  The bias corrections are scalars computed once per step
 * in double (beta2^t is close to 1 for small t), then used in float the way
 * PyTorch's float kernels use its Python-float scalars.
 */
static void adam_step(optim_t *o, float *p, const float *grads, float gs,
		      float lr)
{
	const optim_cfg_t *c = &o->cfg;
	const float b1 = c->beta1, b2 = c->beta2, eps = c->eps;
	const float wd = c->weight_decay;
	const int decoupled = c->kind == OPT_ADAMW;
	double bc1 = 1.0 - pow(c->beta1, (double)o->t);
	double bc2 = 1.0 - pow(c->beta2, (double)o->t);
	const float step_size = (float)(lr / bc1);
	const float bc2_sqrt = (float)sqrt(bc2);
	const float decay = (float)(1.0 - (double)lr * wd);
	size_t i;

	for (i = 0; i < o->n; i++) {
		float g = grads[i] * gs, denom;

		if (decoupled)
			p[i] *= decay;
		else if (wd != 0.0f)
			g += wd * p[i];
		/* m = beta1 * m + (1 - beta1) * g, in PyTorch's lerp form */
		o->m[i] += (1.0f - b1) * (g - o->m[i]);
		o->v[i] = b2 * o->v[i] + (1.0f - b2) * g * g;
		denom = sqrtf(o->v[i]) / bc2_sqrt + eps;
		p[i] -= step_size * (o->m[i] / denom);
	}
}

int optim_rows_stay(const optim_t *o)
{
	return o->cfg.kind == OPT_SGD && !o->m && o->cfg.weight_decay == 0.0f;
}

void optim_step_rows(optim_t *o, float *params, const float *grads,
		     float gscale, float lr, const grad_rows_t *r)
{
	if (r->nrows < 0 || !optim_rows_stay(o)) {
		optim_step_scaled(o, params, grads, gscale, lr);
		return;
	}
	o->t++;
	sgd_range(o, params, grads, gscale, lr, 0, r->dense);
	for (int k = 0; k < r->nrows; k++)
		sgd_range(o, params, grads, gscale, lr, r->dense + (size_t)r->rows[k] * r->width,
			  r->width);
}
void optim_step_scaled(optim_t *o, float *params, const float *grads,
		       float gscale, float lr)
{
	o->t++;
	if (o->cfg.kind == OPT_SGD || o->cfg.kind == OPT_NTASGD)
		sgd_step(o, params, grads, gscale, lr);
	else
		adam_step(o, params, grads, gscale, lr);
	if (o->averaging)
		average(o, params);
}

void optim_step(optim_t *o, float *params, const float *grads, float lr)
{
	optim_step_scaled(o, params, grads, 1.0f, lr);
}

int optim_kind_parse(const char *s, optim_kind_t *k)
{
	err_t e;
	int v;

	if (flag_choice_parse("optim", optim_kinds, s, &v, &e))
		return -1;
	*k = (optim_kind_t)v;
	return 0;
}

const char *optim_kind_name(optim_kind_t k)
{
	const char *n = flag_choice_name(optim_kinds, (int)k);

	return n ? n : "?";
}

/*
 * NORM_LANES independent partial sums: one running sum would wait on the
 * latency of every add before it (4 cycles a parameter, 5% of a
 * zaremba-small step); lanes the vector unit can hold are as fast as the
 * loads.  The lanes are added in a fixed order, so the norm depends on n
 * and g only, never on the machine's thread count.
 */
#define NORM_LANES 16

/* acc[i mod NORM_LANES] += g[i]^2 for i in [off, off + n), each lane in
 * index order: up to a multiple of NORM_LANES one by one, then whole
 * groups of lanes, then the rest. */
static void norm_range(double *acc, const float *g, size_t off, size_t n)
{
	size_t i = off, end = off + n;

	for (; i < end && i % NORM_LANES; i++)
		acc[i % NORM_LANES] += (double)g[i] * g[i];
	for (; i + NORM_LANES <= end; i += NORM_LANES)
		for (int j = 0; j < NORM_LANES; j++)
			acc[j] += (double)g[i + j] * g[i + j];
	for (; i < end; i++)
		acc[i % NORM_LANES] += (double)g[i] * g[i];
}

static double norm_total(const double *acc)
{
	double sum = 0.0;

	for (int j = 0; j < NORM_LANES; j++)
		sum += acc[j];
	return sqrt(sum);
}

/*
 * Every element still goes into its own lane (i mod NORM_LANES) in index
 * order, and the rows left out are zeros, which add nothing: so this is
 * grad_norm of the whole buffer to the bit.
 */
double grad_norm(const float *g, size_t n)
{
	double acc[NORM_LANES] = { 0.0 };

	norm_range(acc, g, 0, n);
	return norm_total(acc);
}

double grad_rows_norm(const float *g, const grad_rows_t *r)
{
	double acc[NORM_LANES] = { 0.0 };

	if (r->nrows < 0)
		return grad_norm(g, r->n);
	norm_range(acc, g, 0, r->dense);
	for (int k = 0; k < r->nrows; k++)
		norm_range(acc, g, r->dense + (size_t)r->rows[k] * r->width, r->width);
	return norm_total(acc);
}

void grad_rows_zero(float *g, const grad_rows_t *r)
{
	if (r->nrows < 0) {
		memset(g, 0, r->n * sizeof(float));
		return;
	}
	memset(g, 0, r->dense * sizeof(float));
	for (int k = 0; k < r->nrows; k++)
		memset(g + r->dense + (size_t)r->rows[k] * r->width, 0, r->width * sizeof(float));
}

float grad_clip_coef(double norm, double max_norm)
{
	double coef;

	if (max_norm <= 0.0 || !isfinite(norm))
		return 1.0f;
	coef = max_norm / (norm + 1e-6);
	return coef >= 1.0 ? 1.0f : (float)coef;
}

double grad_clip(float *g, size_t n, double max_norm)
{
	double norm = grad_norm(g, n);
	float fc = grad_clip_coef(norm, max_norm);
	size_t i;

	if (fc == 1.0f)
		return norm;
	for (i = 0; i < n; i++)
		g[i] *= fc;
	return norm;
}

int grad_finite(const float *g, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isfinite(g[i]))
			return 0;
	return 1;
}
