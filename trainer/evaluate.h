/*
 * evaluate.h - loss of a model over a whole split, distributed: each rank
 * runs its own streams with state carried from window to window (reset at
 * the start), and the loss sums and token counts are added over ranks.
 */
#ifndef ENGRAM_EVALUATE_H
#define ENGRAM_EVALUATE_H

#include <stdint.h>

#include "comm/comm.h"
#include "io/ds.h"
#include "trainer/nn/model.h"

typedef struct {
	double loss;		/* mean nats per token over the split */
	double ppl;		/* exp(loss) */
	int64_t tokens;		/* tokens scored, all ranks */
} eval_result_t;

/*
 * The loss by id band, to see where two output layers differ (ids are in
 * frequency order: the adaptive softmax's clusters are such bands).  Band
 * k holds the ids [cut[k-1], cut[k]), with cut[-1] = 0 and cut[ncut] = V.
 */
#define EVAL_MAX_BANDS 17

typedef struct {
	int ncut;
	int64_t cut[EVAL_MAX_BANDS - 1];
	double loss[EVAL_MAX_BANDS];	/* nats summed over the band's tokens */
	double tokens[EVAL_MAX_BANDS];
} eval_bands_t;

/* evaluate_split's return when stop() asked for it on some rank */
#define EVAL_STOPPED 2

/* Uses its own state and work for (bptt, batch); nothing of m changes.
 * With bands (else NULL), also fills its sums, from each token's exact
 * log-probability (model_log_probs: one output layer per token, slower).
 * With stop (else NULL), asks it before each window, every rank agreeing
 * (one small allreduce a window), and returns EVAL_STOPPED when it said
 * yes on any rank: a preempted job does not wait for a whole split. */
int evaluate_split(model_t *m, ds_t *ds, int split, int batch, int bptt,
		   comm_t *c, eval_bands_t *bands, int (*stop)(void),
		   eval_result_t *r, err_t *e);

#endif
