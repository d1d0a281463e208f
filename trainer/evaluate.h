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
#include "trainer/model.h"

typedef struct {
	double loss;		/* mean nats per token over the split */
	double ppl;		/* exp(loss) */
	int64_t tokens;		/* tokens scored, all ranks */
} eval_result_t;

/* Uses its own state and work for (bptt, batch); nothing of m changes. */
int evaluate_split(model_t *m, ds_t *ds, int split, int batch, int bptt,
		   comm_t *c, eval_result_t *r, err_t *e);

#endif
