/*
 * config.h - the run's configuration: one struct, filled from a preset and
 * then from the command line, passed down to everything that trains.
 */
#ifndef ENGRAM_CONFIG_H
#define ENGRAM_CONFIG_H

#include <stdio.h>

#include "io/err.h"
#include "trainer/cli.h"
#include "trainer/nn/model.h"
#include "trainer/optim.h"
#include "trainer/sched.h"

/* Limits the check below enforces and the trainer sizes its buffers by:
 * micro-batches per step (one carried state each) and steps of loss
 * history for spike detection. */
#define TRAIN_MAX_ACCUM 64
#define TRAIN_MAX_HIST 100000

typedef struct {
	const char *data, *run_dir, *preset;
	/* model (the vocabulary size comes from the data set) */
	int layers, hidden, embed, tie;
	double dropout, init_scale, forget_bias;
	/* output layer: full | adaptive (cutoffs "C1,C2,...", div_value,
	 * head_bias on|off) */
	const char *softmax, *cutoffs, *head_bias;
	double div_value;
	const char *preset_cutoffs;	/* the preset's cutoffs string, if any */
	/* data layout and length */
	int batch, bptt, epochs, accum;
	long long steps;
	/* optimizer, clipping, schedule */
	const char *optimizer, *schedule;
	const char *loss_avg;	/* tokens | sequences: what the gradient averages */
	double lr, clip, momentum, weight_decay, beta1, beta2, eps;
	int decay_after;
	double lr_decay;
	int patience;
	long long warmup;
	double min_lr;
	/* gradient exchange */
	double bucket_mb;
	const char *overlap;	/* auto (on across hosts, off within one), on, off */
	const char *sparse_emb;	/* on: only the embedding rows read are summed */
	/* checkpoints */
	const char *resume;	/* NULL, "auto" or a file */
	long long ckpt_every;	/* steps; 0 = epoch ends and the end only */
	double ckpt_seconds;	/* also after this much time since the last; 0 off */
	const char *ckpt_async;	/* on: rank 0 writes in a thread from a staged copy */
	int keep;		/* newest checkpoints kept (plus best.h5) */
	double ckpt_log_mb;	/* the last MiB of metrics.jsonl a checkpoint keeps */
	int allow_data_change;	/* resume on a data set with other tokens */
	int branch;		/* --resume FILE: move the run's newer checkpoints aside */
	/* evaluation */
	int eval_batch;
	/* faults: what to do when loss or gradients are not finite, or the loss
	 * jumps above spike_sigma standard deviations of the last spike_window
	 * steps: stop, skip the step, or roll back to the last checkpoint with
	 * the lr multiplied by rollback_lr (at most max_rollbacks times) */
	const char *on_nan, *on_spike;
	double spike_sigma, rollback_lr;
	int spike_window, max_rollbacks;
	double comm_timeout;	/* seconds a blocking collective may take; -1 auto */
	/* machine and logging */
	int threads;
	long long seed;
	double log_seconds;
	int log_every;
	int quiet;
} train_cfg_t;

/* Built-in defaults (a small LSTM, SGD). */
void train_cfg_default(train_cfg_t *c);

/* Applies a named preset; -1 with the list of presets when unknown. */
int train_cfg_preset(train_cfg_t *c, const char *name, err_t *e);
/* The preset named by `--preset NAME` or `--preset=NAME` among argv[2..]
 * (a preset is applied before any other flag, wherever it stands), or
 * NULL. */
const char *train_cfg_find_preset(int argc, char **argv);

/* The command-line table over c (the caller owns the array). */
int train_cfg_options(train_cfg_t *c, cli_opt_t *opts, int max);

/* Checks ranges and combinations; fills the model, optimizer and schedule
 * configurations.  vocab is the data set's vocabulary size. */
int train_cfg_resolve(const train_cfg_t *c, int vocab, model_cfg_t *m,
		      optim_cfg_t *o, sched_cfg_t *s, err_t *e);

/* The resolved configuration as one JSON object (no newline) in buf; its
 * length, snprintf's way (>= n: it did not fit), or -1 out of memory. */
int train_cfg_json_str(const train_cfg_t *c, const model_cfg_t *m, char *buf,
		       size_t n);

/*
 * Calls fn for every key of the flat JSON object a whose value differs in
 * b (or is absent there), except keys named in skip (a space-separated
 * list, may be NULL); returns how many.
 */
int train_cfg_json_diff(const char *a, const char *b, const char *skip,
			void (*fn)(void *ctx, const char *key, const char *va,
				   int la, const char *vb, int lb),
			void *ctx);

extern const char *const train_presets[];

#endif
