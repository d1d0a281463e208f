/*
 * trainer.h - the training run's state, shared by the loop (train.c) and
 * its checkpoints (checkpoint.c).  Private to trainer/.
 */
#ifndef ENGRAM_TRAINER_H
#define ENGRAM_TRAINER_H

#include <stdint.h>
#include <stdio.h>

#include "comm/allreduce.h"
#include "comm/comm.h"
#include "io/ds.h"
#include "io/vocab.h"
#include "trainer/config.h"
#include "trainer/model.h"
#include "trainer/optim.h"
#include "trainer/rng.h"
#include "trainer/sched.h"

#define TRAIN_MAX_ACCUM 64
#define TRAIN_MAX_HIST 100000

/* The log window: what the next log line averages.  The loss sums go
 * into checkpoints (a resumed run logs the same losses); the timings are
 * of this process only, since the window opened or the run resumed. */
typedef struct {
	double loss_sum, tok_sum;	/* since the last log line */
	int64_t steps;
	double t_data, t_comm, tok_timed;	/* since t_log */
	int64_t steps_timed;
} train_logwin_t;

typedef struct {
	train_cfg_t cfg;
	model_cfg_t mcfg;
	optim_cfg_t ocfg;
	sched_cfg_t scfg;
	comm_t *comm;
	int threads, eval_batch, micro;	/* micro = streams per micro-batch */
	ds_t ds;
	vocab_t vocab;
	ds_layout_t lay;
	model_t model;
	model_state_t state[TRAIN_MAX_ACCUM];	/* one per micro-batch */
	model_work_t *work;
	optim_t opt;
	ar_t ar;
	/* The embedding rows whose gradient the last step may have left
	 * nonzero (ar_tail_rows), or nrows -1: any row (zero them all). */
	int32_t *rows;
	int nrows;
	sched_t sched;
	rng_t drop_rng;
	int32_t *tok;
	FILE *metrics;
	char metrics_path[4600];
	int lock_fd;	/* rank 0: the run directory's lock (rundir.h), else -1 */
	char json[8192];
	/* progress: the next window to train is (epoch, window) */
	int64_t step, total_steps, tokens;
	int epoch;
	int64_t window;
	double val_loss, best_val, last_gnorm;
	int64_t skipped;
	train_logwin_t lw;
	double t_start, t_log;
	/* checkpoints */
	int64_t last_ckpt_step;
	char last_ckpt_path[4600];
	double ckpt_seconds;
	/* faults: lr multiplier after rollbacks, loss history for spikes */
	double lr_scale;
	int64_t rollbacks;
	double hist[TRAIN_MAX_HIST];
	int hist_n, hist_pos;
	int data_warned;
} trainer_t;

/*
 * Writes DIR/ckpt-s<step>.h5 holding everything needed to continue: every
 * rank's RNG and carried LSTM state are gathered to rank 0, which writes.
 * Collective.  Returns 0; -1 on every rank when rank 0 could not write
 * (the message is rank 0's); -2 when this rank failed on its own.  Then
 * keeps the newest --keep and links best.h5 to the best validation.
 */
int checkpoint_save(trainer_t *tr, err_t *e);
/* Bytes of a checkpoint of this run, about: what its I/O grace is sized by. */
double checkpoint_bytes(const trainer_t *tr);

/*
 * Loads path on rank 0 and gives every rank its part.  Collective.
 * Returns 0; 1 when the checkpoint cannot be used for this run (shape,
 * data set, kind), the same on every rank with the message in e; -1 on a
 * failure of this rank.
 */
int checkpoint_resume(trainer_t *tr, const char *path, err_t *e);

/*
 * --resume auto, rank 0: the newest checkpoint in dir (ckpt-s<step>.h5 by
 * step, then best.h5) that passes what `ckpt verify` checks.  Each newer
 * one that fails is named with the reason and moved to dir/damaged/, not
 * deleted.  Returns 0 with path set; 1 when dir holds no checkpoint (a
 * fresh start); -1 when every one failed: a run never starts from scratch
 * while a checkpoint exists.
 */
int checkpoint_find_good(const char *dir, char *path, size_t n, err_t *e);

/*
 * --resume FILE, rank 0: the checkpoints of dir later than FILE's step
 * (ckpt-s<step>.h5 and a best.h5 of a later step) would be continued by
 * the next --resume auto and their rotation would delete FILE's branch.
 * Without branch, fails naming them; with it, moves them to
 * dir/superseded/ and says so.  0 when there are none, or moved.
 */
int checkpoint_branch(const char *dir, const char *file, int branch, err_t *e);

#endif
