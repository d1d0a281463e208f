/* sched.c - the learning-rate schedules documented in sched.h. */
#include "trainer/sched.h"

#include <math.h>
#include <string.h>

const flag_choice_t sched_kinds[] = {
	{ "const", SCHED_CONST },
	{ "step", SCHED_STEP },
	{ "plateau", SCHED_PLATEAU },
	{ "cosine", SCHED_COSINE },
	{ NULL, 0 },
};

/* M_PI is POSIX, not C11 */
#define SCHED_PI 3.14159265358979323846

void sched_cfg_default(sched_cfg_t *c, sched_kind_t kind)
{
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->lr0 = 1.0;
	c->factor = 1.0;
	if (kind == SCHED_STEP) {
		c->decay_after = 4;
		c->factor = 0.5;
	} else if (kind == SCHED_PLATEAU) {
		c->lr0 = 20.0;
		c->factor = 4.0;
	}
}

int sched_cfg_check(const sched_cfg_t *c, err_t *e)
{
	if ((int)c->kind < 0 || (int)c->kind > SCHED_COSINE)
		return err_set(e, "schedule: unknown kind %d", (int)c->kind);
	if (!(c->lr0 >= 0.0 && isfinite(c->lr0)))
		return err_set(e, "schedule %s: lr0 %g, expected finite and >= 0",
			       sched_kind_name(c->kind), c->lr0);
	switch (c->kind) {
	case SCHED_STEP:
		if (!(c->factor > 0.0) || c->decay_after < 0)
			return err_set(e, "schedule step: factor %g decay_after %d, expected factor > 0 and decay_after >= 0",
				       c->factor, c->decay_after);
		break;
	case SCHED_PLATEAU:
		if (!(c->factor > 0.0) || c->patience < 0)
			return err_set(e, "schedule plateau: factor %g patience %d, expected factor > 0 and patience >= 0",
				       c->factor, c->patience);
		break;
	case SCHED_COSINE:
		if (c->warmup_steps < 0 || c->total_steps <= c->warmup_steps)
			return err_set(e, "schedule cosine: warmup_steps %ld total_steps %ld, expected 0 <= warmup_steps < total_steps",
				       c->warmup_steps, c->total_steps);
		if (!(c->min_lr >= 0.0 && c->min_lr <= c->lr0))
			return err_set(e, "schedule cosine: min_lr %g, expected in [0, lr0 = %g]",
				       c->min_lr, c->lr0);
		break;
	default:
		break;
	}
	return 0;
}

void sched_init(sched_t *s, const sched_cfg_t *cfg)
{
	s->cfg = *cfg;
	s->lr = cfg->lr0;
	s->best_val = INFINITY;
	s->bad_epochs = 0;
	s->epoch = 0;
}

static double cosine_lr(const sched_cfg_t *c, long step)
{
	double progress;

	if (step < c->warmup_steps)
		return c->lr0 * (double)step / (double)c->warmup_steps;
	if (step >= c->total_steps)
		return c->min_lr;
	progress = (double)(step - c->warmup_steps) /
		   (double)(c->total_steps - c->warmup_steps);
	return c->min_lr + (c->lr0 - c->min_lr) * 0.5 * (1.0 + cos(SCHED_PI * progress));
}

double sched_lr(sched_t *s, long step, int epoch)
{
	const sched_cfg_t *c = &s->cfg;
	int k;

	switch (c->kind) {
	case SCHED_STEP:
		k = epoch - c->decay_after;
		s->lr = c->lr0 * pow(c->factor, k > 0 ? k : 0);
		break;
	case SCHED_COSINE:
		s->lr = cosine_lr(c, step);
		break;
	case SCHED_PLATEAU:	/* s->lr moves only in sched_epoch_end */
		break;
	default:
		s->lr = c->lr0;
		break;
	}
	return s->lr;
}

void sched_epoch_end(sched_t *s, int epoch, double val_loss)
{
	s->epoch = epoch;
	/* strict <, as word_language_model: an equal loss is a bad epoch */
	if (val_loss < s->best_val) {
		s->best_val = val_loss;
		s->bad_epochs = 0;
		return;
	}
	s->bad_epochs++;
	if (s->cfg.kind == SCHED_PLATEAU && s->bad_epochs > s->cfg.patience) {
		s->lr /= s->cfg.factor;
		s->bad_epochs = 0;
	}
}

int sched_kind_parse(const char *s, sched_kind_t *k)
{
	err_t e;
	int v;

	if (flag_choice_parse("sched", sched_kinds, s, &v, &e))
		return -1;
	*k = (sched_kind_t)v;
	return 0;
}

const char *sched_kind_name(sched_kind_t k)
{
	const char *n = flag_choice_name(sched_kinds, (int)k);

	return n ? n : "?";
}
