/*
 * config.h - the run's configuration: one struct, filled from a preset and
 * then from the command line, passed down to everything that trains.
 */
#ifndef ENGRAM_CONFIG_H
#define ENGRAM_CONFIG_H

#include <stdio.h>

#include "io/err.h"
#include "trainer/flags.h"
#include "trainer/nn/model.h"
#include "trainer/optim.h"
#include "trainer/sched.h"

/* Limits the check below enforces and the trainer sizes its buffers by:
 * micro-batches per step (one carried state each) and steps of loss
 * history for spike detection. */
#define TRAIN_MAX_ACCUM 64
#define TRAIN_MAX_HIST 100000

/* The choices, each parsed once from its flag's name. */
typedef enum { OVERLAP_AUTO, OVERLAP_ON, OVERLAP_OFF } overlap_t;
typedef enum { LOSS_AVG_TOKENS, LOSS_AVG_SEQUENCES } loss_avg_t;
/* what a non-finite or spiking loss does */
typedef enum { POLICY_OFF, POLICY_STOP, POLICY_SKIP, POLICY_ROLLBACK } policy_t;
typedef enum {
	PRESET_NONE = -1, PRESET_ZAREMBA_SMALL, PRESET_ZAREMBA_MEDIUM, PRESET_ZAREMBA_LARGE,
	PRESET_CHAR_RNN, PRESET_KERAS_SEED, PRESET_WT2_ADAPTIVE, PRESET_WT103_ADAPTIVE,
	PRESET_MEDIUM_REG, PRESET_AWD_PTB, PRESET_AWD_WT2,
} preset_t;

typedef struct {
	const char *data, *run_dir;
	int preset;		/* preset_t */
	/* model (the vocabulary size comes from the data set) */
	int layers, hidden, embed, tie;
	int top_hidden;		/* the last layer's width, 0 = hidden */
	double dropout, init_scale, forget_bias;
	/* AWD-LSTM's regularizers (model.h), 0 = off */
	double drop_in, drop_hid, drop_out, drop_emb, weight_drop, ar, tar;
	/* output layer: MODEL_SOFTMAX_*; adaptive: cutoffs "C1,C2,...",
	 * div_value, head_bias */
	int softmax;
	const char *cutoffs;
	int head_bias;
	double div_value;
	const char *preset_cutoffs;	/* the preset's cutoffs string, if any */
	/* data layout and length */
	int batch, bptt, epochs, accum;
	int bptt_var;		/* AWD-LSTM's variable window lengths (window.h) */
	long long steps;
	/* optimizer, clipping, schedule */
	optim_kind_t optimizer;
	sched_kind_t schedule;
	loss_avg_t loss_avg;	/* what the gradient averages */
	double lr, clip, momentum, weight_decay, beta1, beta2, eps;
	int nonmono;		/* ntasgd: epochs of patience before averaging */
	int decay_after;
	double lr_decay;
	int patience;
	long long warmup;
	double min_lr;
	/* gradient exchange */
	double bucket_mb;
	overlap_t overlap;	/* auto: on across hosts, off within one */
	int sparse_emb;		/* only the embedding rows read are summed */
	/* checkpoints */
	const char *resume;	/* NULL, "auto" or a file */
	long long ckpt_every;	/* steps; 0 = epoch ends and the end only */
	double ckpt_seconds;	/* also after this much time since the last; 0 off */
	int ckpt_async;		/* rank 0 writes in a thread from a staged copy */
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
	policy_t on_nan, on_spike;
	double spike_sigma, rollback_lr;
	int spike_window, max_rollbacks;
	double comm_timeout;	/* seconds a blocking collective may take; -1 auto */
	/* machine and logging */
	int threads;
	long long seed;
	double log_seconds;
	int log_every;
	int quiet;
	int tensorboard;	/* rank 0 also writes RUN_DIR/tb/ event files */
} train_cfg_t;

/* The flags of `engram train` (at most this many rows). */
#define TRAIN_MAX_FLAGS 96

/* Built-in defaults (a small LSTM, SGD), from the flag table. */
int train_cfg_default(train_cfg_t *c, err_t *e);

/* Applies a named preset; -1 with the list of presets when unknown. */
int train_cfg_preset(train_cfg_t *c, const char *name, err_t *e);
/* The preset named by `--preset NAME` or `--preset=NAME` among argv[2..]
 * (a preset is applied before any other flag, wherever it stands), or
 * NULL. */
const char *train_cfg_find_preset(int argc, char **argv);

/* The flag table over c (the caller owns the array): its rows, or -1 when
 * max is too small. */
int train_cfg_flags(train_cfg_t *c, flag_t *t, int max);

/* Checks every flag's range (the table's) and the combinations; fills the
 * model, optimizer and schedule configurations.  vocab is the data set's
 * vocabulary size. */
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

#endif
