/*
 * train.h - the training loop: every rank holds a replica of the model and
 * its own shard of the train split, runs truncated BPTT on its local batch,
 * the gradients are averaged over ranks before each optimizer step, and
 * rank 0 logs, writes metrics and saves the weights.
 */
#ifndef ENGRAM_TRAIN_H
#define ENGRAM_TRAIN_H

#include "comm/comm.h"
#include "trainer/config.h"

/*
 * Runs the whole training described by cfg.  Returns 0, 2 for a bad
 * configuration (the same on every rank; rank 0 has printed it), or ends
 * the job through comm_abort when a rank fails midway.
 */
int train_run(const train_cfg_t *cfg, comm_t *c);

#endif
