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
#include "io/tfevents.h"
#include "io/ds.h"
#include "io/vocab.h"
#include "trainer/config.h"
#include "trainer/fault.h"
#include "trainer/nn/model.h"
#include "trainer/optim.h"
#include "trainer/nn/rng.h"
#include "trainer/sched.h"
#include "trainer/window.h"


/* The log window: what the next log line averages.  The loss sums go
 * into checkpoints (a resumed run logs the same losses); the timings are
 * of this process only, since the window opened or the run resumed. */
typedef struct {
	double loss_sum, tok_sum;	/* since the last log line */
	double reg_sum;		/* the AR + TAR part, apart from loss_sum */
	int64_t steps;
	double t_data, t_comm, tok_timed;	/* since t_log */
	int64_t steps_timed;
} train_logwin_t;

/* A checkpoint between checkpoint_save and checkpoint_wait: in_flight,
 * step and stall are kept on every rank, so that all of them wait for it
 * at the same points; rank 0 has its stage (checkpoint.c), written by
 * the writer thread (--ckpt-async on) or already written (off). */
typedef struct ckpt_stage ckpt_stage_t;
typedef struct {
	int in_flight;
	int64_t step;
	double stall;		/* seconds this rank was held by the save */
	double t_begun;		/* rank 0: the clock at the last save */
	ckpt_stage_t *stage;	/* rank 0 */
	float *staging;		/* rank 0, --ckpt-async on: params, m, v */
} ckpt_job_t;

/* What checkpoint_wait reports of the write it waited for. */
typedef struct {
	int64_t step;		/* 0: none was in flight */
	int waited;		/* rank 0: the write was not done yet */
	double bytes, stall_s, write_s;	/* stall: the maximum over ranks */
	double copy_s;		/* rank 0's copy into the staging (part of its stall) */
} ckpt_done_t;

typedef struct {
	train_cfg_t cfg;
	model_cfg_t mcfg;
	optim_cfg_t ocfg;
	sched_cfg_t scfg;
	comm_t *comm;
	int threads, eval_batch, micro;	/* micro = streams per micro-batch */
	int nranks;		/* comm->size, where the state table finds it */
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
	int metrics_failed;	/* rank 0 could not write a line: stop the run */
	tfe_t tb;		/* rank 0, --tensorboard on: the event file */
	char metrics_path[4600];
	int lock_fd;	/* rank 0: the run directory's lock (rundir.h), else -1 */
	char json[8192];
	/* progress: the next window to train is the window-th of the epoch,
	 * at token offset pos of every stream (window.h) */
	int64_t step, total_steps, tokens;
	int epoch;
	int64_t window, pos;
	win_cfg_t win;		/* how the epoch is cut into windows */
	int tmax;		/* the longest window: what the buffers hold */
	double val_loss, best_val, last_gnorm;
	int64_t skipped;
	/* NT-ASGD: every epoch's validation loss (the switch rule reads them),
	 * and the current iterate while the average is evaluated */
	double *val_hist;
	int64_t n_val, val_cap;
	float *iterate;
	train_logwin_t lw;
	double t_start, t_log;
	/* checkpoints */
	int64_t last_ckpt_step;
	char last_ckpt_path[4600];
	double ckpt_seconds;	/* training held by checkpoints, in all */
	ckpt_job_t job;
	int ckpt_due;		/* --ckpt-seconds: rank 0's clock says now */
	int ckpt_wait_said;	/* a checkpoint waited for the last one: said once */
	/* faults: lr multiplier after rollbacks, loss history for spikes */
	double lr_scale;
	int64_t rollbacks;
	double hist[TRAIN_MAX_HIST];
	int hist_n, hist_pos;
	int data_warned;
	fault_t fault;		/* ENGRAM_FAULT, parsed at start */
} trainer_t;

/* Validations NT-ASGD's rule keeps at most (one per epoch). */
#define TRAIN_MAX_VALS (1 << 24)
/* Room for n validation losses in tr->val_hist. */
int train_val_reserve(trainer_t *tr, int64_t n, err_t *e);

/*
 * Starts DIR/ckpt-s<step>.h5, holding everything needed to continue: every
 * rank's RNG and carried LSTM state are gathered to rank 0, which stages
 * the parameters and moments and writes them in its writer thread
 * (--ckpt-async on; the other ranks go on at once) or before returning
 * (off).  Then keeps the newest --keep and links best.h5 to the best
 * validation.  Collective; no write may be in flight.  Returns 0, or -2
 * when this rank failed on its own.  Rank 0's errors come from
 * checkpoint_wait.
 */
int checkpoint_save(trainer_t *tr, err_t *e);
/*
 * The write in flight, finished: rank 0 waits for its thread, every rank
 * learns the outcome (d; d->step 0 when none was in flight) and then
 * counts it as the run's last checkpoint.  Collective.  Returns 0; -1 on
 * every rank when it was not written (e: "checkpoint at step N not
 * written: ..."; the older checkpoints are intact); -2 on a failure of
 * this rank.
 */
int checkpoint_wait(trainer_t *tr, ckpt_done_t *d, err_t *e);
/* Rank 0: the write in flight is done (checkpoint_wait will not block). */
int checkpoint_written(const trainer_t *tr);
/* Rank 0's staging memory under --ckpt-async on (0 elsewhere), and its
 * allocation at start (touched, so the first checkpoint is as cheap as
 * the next; too little memory is found before step 1). */
double checkpoint_staging_bytes(const trainer_t *tr);
int checkpoint_stage_init(trainer_t *tr, err_t *e);
/* Waits for a write in flight on this rank alone (its file is whole
 * before the run directory's lock goes) and frees the staging. */
void checkpoint_job_free(trainer_t *tr);
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
