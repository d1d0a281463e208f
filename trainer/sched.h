/*
 * sched.h - learning-rate schedules.
 *
 * step is the 0-based optimizer step, e the 1-based epoch.
 *
 *   SCHED_CONST:   lr = lr0
 *
 *   SCHED_STEP:    lr = lr0 * factor^max(e - decay_after, 0)
 *                  (Zaremba et al. 2014: small lr0 1, decay_after 4,
 *                  factor 0.5; medium decay_after 6, factor 1/1.2; large
 *                  decay_after 14, factor 1/1.15)
 *
 *   SCHED_PLATEAU: lr starts at lr0 and changes only in sched_epoch_end:
 *                  when val_loss < best_val the epoch is good (best_val =
 *                  val_loss, bad_epochs = 0); otherwise bad_epochs += 1,
 *                  and when bad_epochs > patience, lr = lr / factor and
 *                  bad_epochs = 0.  factor 4, patience 0 is pytorch/examples
 *                  word_language_model (lr /= 4 after every epoch that does
 *                  not improve on the best validation loss).
 *
 *   SCHED_COSINE:  step < warmup_steps:
 *                      lr = lr0 * step / warmup_steps        (0 at step 0)
 *                  warmup_steps <= step < total_steps, with
 *                  progress = (step - warmup_steps) / (total_steps - warmup_steps):
 *                      lr = min_lr + (lr0 - min_lr) * 0.5 * (1 + cos(pi * progress))
 *                  step >= total_steps:
 *                      lr = min_lr
 *                  (transformers' cosine schedule with warmup and a floor)
 *
 * lr, best_val, bad_epochs and epoch are the whole state; a checkpoint saves
 * them and writes them back into a sched_t made by sched_init.
 */
#ifndef ENGRAM_SCHED_H
#define ENGRAM_SCHED_H

#include "io/err.h"
#include "trainer/flags.h"

typedef enum {
	SCHED_CONST,
	SCHED_STEP,
	SCHED_PLATEAU,
	SCHED_COSINE,
} sched_kind_t;

typedef struct {
	sched_kind_t kind;
	double lr0;
	double factor;		/* STEP: multiplier per epoch; PLATEAU: divisor */
	int decay_after;	/* STEP: last epoch at lr0 */
	int patience;		/* PLATEAU: bad epochs tolerated before dividing */
	long warmup_steps, total_steps;	/* COSINE */
	double min_lr;		/* COSINE: floor reached at total_steps */
} sched_cfg_t;

typedef struct {
	sched_cfg_t cfg;
	double lr;		/* last lr returned (PLATEAU: the current lr) */
	double best_val;	/* lowest val_loss seen, +inf before any */
	int bad_epochs;		/* epochs since best_val improved (PLATEAU: since last divide) */
	int epoch;		/* last epoch passed to sched_epoch_end, 0 before any */
} sched_t;

/*
 * Defaults per kind: lr0 1 (PLATEAU: 20, as word_language_model), STEP
 * zaremba-small (decay_after 4, factor 0.5), PLATEAU factor 4 patience 0,
 * COSINE no warmup and min_lr 0; COSINE's total_steps is left 0 for the
 * caller, who knows the data size.
 */
void sched_cfg_default(sched_cfg_t *c, sched_kind_t kind);

/* Rejects a cfg whose formula above would be undefined or meaningless. */
int sched_cfg_check(const sched_cfg_t *c, err_t *e);

void sched_init(sched_t *s, const sched_cfg_t *cfg);

/* The lr for this optimizer step (0-based) in this epoch (1-based); also s->lr. */
double sched_lr(sched_t *s, long step, int epoch);

/* After epoch's validation: tracks best_val and bad_epochs; PLATEAU divides. */
void sched_epoch_end(sched_t *s, int epoch, double val_loss);

/* The names of the kinds, as --schedule takes them. */
extern const flag_choice_t sched_kinds[];

/* "const", "step", "plateau", "cosine" -> *k; 0, or -1 when s names none. */
int sched_kind_parse(const char *s, sched_kind_t *k);
const char *sched_kind_name(sched_kind_t k);

#endif
