/* train.c - the data-parallel truncated-BPTT training loop. */
#include "trainer/train.h"
#include "comm/clock.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <time.h>

#include <cblas.h>

#include "io/ckpt.h"
#include "io/json.h"
#include "trainer/evaluate.h"
#include "trainer/fault.h"
#include "trainer/rundir.h"
#include "trainer/signals.h"
#include "trainer/trainer.h"

/* A failure of this rank alone ends every rank: say where, then abort. */
static void die(trainer_t *tr, const err_t *e)
{
	fprintf(stderr, "engram train: rank %d, step %lld: %s\n", tr->comm->rank,
		(long long)tr->step, e->msg);
	comm_abort(tr->comm, 1);
}

static int make_dir(const char *dir, err_t *e)
{
	char p[4096];

	snprintf(p, sizeof(p), "%s", dir);
	for (char *s = p + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			if (mkdir(p, 0777) && errno != EEXIST)
				return err_set(e, "%s: cannot create: %s", p, strerror(errno));
			*s = '/';
		}
	if (mkdir(p, 0777) && errno != EEXIST)
		return err_set(e, "%s: cannot create: %s", p, strerror(errno));
	return 0;
}

/* Everything that fails the same way on every rank: config and data. */
static int setup_config(trainer_t *tr, err_t *e)
{
	const train_cfg_t *c = &tr->cfg;
	int n;

	if (fault_parse(&tr->fault, getenv("ENGRAM_FAULT"), e))
		return -1;
	if (!c->data)
		return err_set(e, "--data is required (a token data set from engram prepare)");
	if (ds_open(&tr->ds, c->data, e))
		return -1;
	if (tr->ds.vocab_size > (1 << 30))
		return err_set(e, "%s: vocab_size %lld is too large for the output layer",
			       c->data, (long long)tr->ds.vocab_size);
	if (train_cfg_resolve(c, (int)tr->ds.vocab_size, &tr->mcfg, &tr->ocfg,
			      &tr->scfg, e))
		return -1;
	if (c->batch % c->accum)
		return err_set(e, "--batch %d must be a multiple of --accum %d (each micro-batch is batch/accum streams)",
			       c->batch, c->accum);
	tr->micro = c->batch / c->accum;
	if (c->optimizer == OPT_NTASGD && tr->ds.ntok[SPLIT_VALID] < 0)
		return err_set(e, "--optimizer ntasgd needs a validation split in %s (it switches to "
			       "averaging when the validation loss stops improving)", c->data);
	if (ds_layout(&tr->ds, SPLIT_TRAIN, tr->comm->rank, tr->comm->size,
		      c->batch, c->bptt, &tr->lay, e))
		return -1;
	tr->eval_batch = c->eval_batch ? c->eval_batch : c->batch;
	/* valid and test in the layout evaluation reads them: a split too short
	 * for it would otherwise fail after the first epoch, every restart */
	for (int s = SPLIT_VALID; s <= SPLIT_TEST; s++) {
		ds_layout_t l;

		if (tr->ds.ntok[s] >= 0 &&
		    ds_layout(&tr->ds, s, tr->comm->rank, tr->comm->size, tr->eval_batch,
			      c->bptt, &l, e))
			return err_prefix(e, "evaluation (--eval-batch %d per rank)", tr->eval_batch);
	}
	tr->win = (win_cfg_t){ c->bptt_var, c->bptt, (uint64_t)c->seed, tr->lay.stream_len };
	tr->tmax = win_max(&tr->win);
	tr->total_steps = 0;
	for (int ep = 1; ep <= c->epochs && (!c->steps || tr->total_steps < c->steps); ep++)
		tr->total_steps += c->bptt_var ? win_count(&tr->win, ep) : tr->lay.windows;
	if (c->steps && c->steps < tr->total_steps)
		tr->total_steps = c->steps;
	if (tr->scfg.kind == SCHED_COSINE)
		tr->scfg.total_steps = (long)tr->total_steps;
	if (sched_cfg_check(&tr->scfg, e))
		return -1;
	tr->threads = c->threads ? c->threads : comm_threads_per_rank(tr->comm);
	n = train_cfg_json_str(c, &tr->mcfg, tr->json, sizeof(tr->json));
	if (n < 0 || (size_t)n >= sizeof(tr->json))
		return err_set(e, "the run configuration does not fit its %zu bytes in a "
			       "checkpoint (is the --data path that long?)", sizeof(tr->json));
	return 0;
}

/* 1 when dir holds checkpoints of an earlier run. */
static int has_checkpoints(const char *dir)
{
	char p[4600];
	err_t e;

	return ckpt_find_latest(dir, p, sizeof(p), &e) == 0;
}

/* Rank 0 takes the run directory's lock before it reads or writes there;
 * every rank hears whether it got it.  1 with e set when another job
 * holds it. */
static int lock_run_dir(trainer_t *tr, err_t *e)
{
	struct { int rc; char msg[ERR_MSG_MAX]; } r = { 0, "" };

	int n;
	long long bytes;

	if (tr->comm->rank == 0 && rundir_lock(tr->cfg.run_dir, &tr->lock_fd, e)) {
		r.rc = 1;
		snprintf(r.msg, sizeof(r.msg), "%s", e->msg);
	}
	/* the lock held, what a killed write left is nobody's */
	if (tr->comm->rank == 0 && !r.rc && !rundir_clean_tmp(tr->cfg.run_dir, &n, &bytes, e) && n)
		printf("removed %d temporary file%s of interrupted writes (%.1f MB) from %s\n", n,
		       n == 1 ? "" : "s", (double)bytes / 1e6, tr->cfg.run_dir);
	if (comm_bcast(tr->comm, &r, sizeof(r), 0, e))
		return -1;
	if (r.rc) {
		err_set(e, "%s", r.msg);
		return 1;
	}
	return 0;
}

/* The checkpoint to resume from: "" for a fresh start.  Same on all ranks
 * (rank 0 looks, everyone hears); 1 with e set for a refusal. */
static int resume_path(trainer_t *tr, char *path, size_t n, err_t *e)
{
	const train_cfg_t *c = &tr->cfg;
	struct { int rc; char path[4600]; char msg[ERR_MSG_MAX]; } r = { 0, "", "" };
	int rc;

	if (tr->comm->rank == 0) {
		if (!c->resume) {
			if (has_checkpoints(c->run_dir)) {
				r.rc = 1;
				snprintf(r.msg, sizeof(r.msg),
					 "%s already holds checkpoints; --resume auto continues that run, or give another --run-dir",
					 c->run_dir);
			}
		} else if (!strcmp(c->resume, "auto")) {
			int found = checkpoint_find_good(c->run_dir, r.path, sizeof(r.path), e);

			if (found == 1) {
				r.path[0] = '\0';
				printf("no checkpoint in %s: starting fresh\n", c->run_dir);
			} else if (found < 0) {
				r.rc = 1;
				snprintf(r.msg, sizeof(r.msg), "%s", e->msg);
			}
		} else {
			snprintf(r.path, sizeof(r.path), "%s", c->resume);
			if (checkpoint_branch(c->run_dir, c->resume, c->branch, e)) {
				r.rc = 1;
				snprintf(r.msg, sizeof(r.msg), "%s", e->msg);
			}
		}
	}
	rc = comm_bcast(tr->comm, &r, sizeof(r), 0, e);
	if (rc)
		return -1;
	if (r.rc) {
		err_set(e, "%s", r.msg);
		return 1;
	}
	snprintf(path, n, "%s", r.path);
	return 0;
}

/* Overlap hides the allreduce behind backward only where something else
 * (a NIC) moves the bytes: within one host the same cores would do the
 * copies, and one blocking allreduce measured faster (tests/bench/RESULTS.md). */
static int overlap_on(const trainer_t *tr)
{
	if (tr->cfg.overlap == OVERLAP_AUTO)
		return tr->comm->local_size < tr->comm->size;
	return tr->cfg.overlap == OVERLAP_ON;
}

static int setup_model(trainer_t *tr, err_t *e)
{
	const train_cfg_t *c = &tr->cfg;
	size_t wbytes = model_work_bytes(&tr->mcfg, tr->tmax, tr->micro);

	if (model_init(&tr->model, &tr->mcfg, e))
		return -1;
	for (int k = 0; k < c->accum; k++)
		if (model_state_init(&tr->state[k], &tr->mcfg, tr->micro, e))
			return -1;
	tr->work = model_work_new(&tr->mcfg, tr->tmax, tr->micro, e);
	if (!tr->work)
		return err_prefix(e, "activations for windows of %d steps x batch %d need %.1f MiB",
				  tr->tmax, tr->micro, (double)wbytes / 1048576.0);
	tr->tok = err_malloc((size_t)c->batch * (tr->tmax + 1) * sizeof(int32_t),
			     "token window", e);
	if (!tr->tok || optim_init(&tr->opt, &tr->ocfg, tr->model.n, e))
		return -1;
	if (ar_init(&tr->ar, tr->comm, tr->model.grads, tr->model.n,
		    (size_t)(c->bucket_mb * 1048576.0 / sizeof(float)), overlap_on(tr), e))
		return -1;
	/* the embedding, last in the buffer, gets gradient only in the rows of
	 * the step's input tokens: only those are summed over ranks, and (on
	 * any number of ranks) zeroed, normed and, with plain SGD, updated.
	 * Tied, it is the dense output projection. */
	tr->nrows = -1;
	if (!tr->mcfg.tie && c->sparse_emb &&
	    (ar_sparse_init(&tr->ar, tr->mcfg.vocab, tr->mcfg.embed,
			    (size_t)tr->tmax * (size_t)c->batch, e) ||
	     !(tr->rows = err_malloc((size_t)tr->mcfg.vocab * sizeof(*tr->rows),
				     "embedding row list", e))))
		return -1;
	if (checkpoint_stage_init(tr, e))
		return -1;
	sched_init(&tr->sched, &tr->scfg);
	rng_seed(&tr->drop_rng, (uint64_t)c->seed, 1000 + (uint64_t)tr->comm->rank);
	tr->epoch = 1;
	tr->window = tr->pos = 0;
	tr->val_loss = NAN;
	tr->best_val = INFINITY;
	tr->last_gnorm = NAN;
	tr->last_ckpt_step = -1;
	tr->lr_scale = 1.0;
	return 0;
}

/* Seconds since the epoch, as TensorBoard's wall_time. */
static double wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Rank 0: the run directory and the vocabulary. */
static int setup_output(trainer_t *tr, err_t *e)
{
	snprintf(tr->metrics_path, sizeof(tr->metrics_path), "%s/metrics.jsonl",
		 tr->cfg.run_dir);
	if (tr->comm->rank != 0)
		return 0;
	if (make_dir(tr->cfg.run_dir, e))
		return -1;
	/* the vocabulary is optional (a user's file may have ids only): the
	 * checkpoints then carry none, and sample says so */
	if (ds_has_vocab(&tr->ds) && ds_vocab(&tr->ds, &tr->vocab, e))
		return -1;
	return 0;
}

/* Rank 0, once the run is sure to go on: config.json.  Written only then,
 * so that a refused run leaves the directory's config as it was. */
static int write_config(trainer_t *tr, err_t *e)
{
	char path[4600];
	FILE *f;

	if (tr->comm->rank != 0)
		return 0;
	snprintf(path, sizeof(path), "%s/config.json", tr->cfg.run_dir);
	f = fopen(path, "w");
	if (!f || fprintf(f, "%s\n", tr->json) < 0 || fclose(f))
		return err_set(e, "%s: cannot write: %s", path, strerror(errno));
	return 0;
}

/* Rank 0: metrics.jsonl, appended to.  On a fresh start a log already
 * there is of a try that died before its first checkpoint: it is moved
 * aside to metrics.jsonl.failed (one kept), so the log holds one run. */
static int open_metrics(trainer_t *tr, int fresh, err_t *e)
{
	char old[4700];
	struct stat st;

	if (tr->comm->rank != 0)
		return 0;
	if (fresh && !stat(tr->metrics_path, &st) && st.st_size > 0) {
		snprintf(old, sizeof(old), "%s.failed", tr->metrics_path);
		if (rename(tr->metrics_path, old))
			return err_set(e, "%s: cannot move aside to %s: %s", tr->metrics_path, old,
				       strerror(errno));
		printf("%s holds the log of an earlier try that left no checkpoint: moved to %s\n",
		       tr->metrics_path, old);
	}
	tr->metrics = fopen(tr->metrics_path, "a");
	if (!tr->metrics)
		return err_set(e, "%s: cannot open: %s", tr->metrics_path, strerror(errno));
	/* after a rollback the event file goes on: the steps going back are
	 * TensorBoard's to draw */
	if (tr->cfg.tensorboard && !tr->tb.f) {
		char tb[4200];

		snprintf(tb, sizeof(tb), "%s/tb", tr->cfg.run_dir);
		if (tfe_open(&tr->tb, tb, wall_now(), e))
			return err_prefix(e, "TensorBoard events (--tensorboard off trains without)");
	}
	return 0;
}

/* Rank 0: the same figures as TensorBoard scalars.  The event file is a
 * copy of metrics.jsonl: a failure to write it is said once and ends the
 * copy, not the run. */
static void tb_put(trainer_t *tr, long long step, int n, const char *const *tags,
		   const double *v)
{
	err_t e;

	if (!tr->tb.f || !tfe_scalars(&tr->tb, wall_now(), step, n, tags, v, &e))
		return;
	fprintf(stderr, "engram train: %s; no more TensorBoard events (metrics.jsonl goes on)\n", e.msg);
	tfe_close(&tr->tb);
}

static void print_exchange(const trainer_t *tr)
{
	const ar_t *a = &tr->ar;

	if (a->overlap)
		printf("  gradients: %.1f MiB summed over ranks while backward runs, each layer's"
		       " as soon as it is done, in buckets of at most %.2f MiB",
		       (double)a->dense * 4 / 1048576.0, (double)a->bucket * 4 / 1048576.0);
	else
		printf("  gradients: %.1f MiB summed over ranks after backward",
		       (double)a->dense * 4 / 1048576.0);
	if (a->rows)
		printf("; embedding sparse: only the rows read (at most %d of %d, else whole)\n",
		       a->max_pack, a->rows);
	else
		printf("\n");
}

static int by_count_desc(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x < y) - (x > y);
}

/*
 * The adaptive softmax assumes id order is frequency order (its head holds
 * ids < C1).  Over the first tokens of train, the ids below each cutoff C
 * must hold at least 90% of what the C most frequent ids hold (over 4M
 * tokens a sorted file's figure is within a percent of 100%); else one
 * warning line (it is not an error: a user's file may order ids its own
 * way).  engram prepare's files pass: their ids are ordered by count.
 */
#define SORT_SAMPLE (1LL << 22)	/* about 0.1 s, while the other ranks wait */

static void warn_unsorted(trainer_t *tr)
{
	const model_cfg_t *m = &tr->mcfg;
	int64_t *cnt = NULL, n = 0, low = 0, top = 0;
	err_t e;

	if (m->softmax != MODEL_SOFTMAX_ADAPTIVE)
		return;
	cnt = err_calloc(2 * (size_t)m->vocab, sizeof(*cnt), "id counts", &e);
	if (!cnt || ds_count_ids(&tr->ds, SPLIT_TRAIN, SORT_SAMPLE, cnt, &n, &e)) {
		printf("warning: cannot check that the ids of %s are sorted by frequency: %s\n",
		       tr->cfg.data, e.msg);
		free(cnt);
		return;
	}
	memcpy(cnt + m->vocab, cnt, (size_t)m->vocab * sizeof(*cnt));
	qsort(cnt + m->vocab, (size_t)m->vocab, sizeof(*cnt), by_count_desc);
	for (int k = 0, v = 0; k < m->nclusters; k++) {
		for (; v < m->cutoffs[k]; v++) {
			low += cnt[v];
			top += cnt[m->vocab + v];
		}
		if ((double)low < 0.9 * (double)top) {
			printf("warning: %s: the ids are not sorted by frequency (ids below %d hold %.1f%% of the first %lld train tokens, the %d most frequent ids %.1f%%); the adaptive softmax's head and clusters follow id order, so renumber the vocabulary by count, as engram prepare does\n",
			       tr->cfg.data, m->cutoffs[k], 100.0 * (double)low / (double)n,
			       (long long)n, m->cutoffs[k], 100.0 * (double)top / (double)n);
			break;
		}
	}
	free(cnt);
}

/* The output layer: its kind, and for the adaptive softmax its clusters. */
static void print_softmax(trainer_t *tr)
{
	const model_cfg_t *m = &tr->mcfg;
	int lo, hi;

	if (m->softmax != MODEL_SOFTMAX_ADAPTIVE) {
		printf("  output: full softmax over %d words\n", m->vocab);
		return;
	}
	printf("  output: adaptive softmax, head of %d words + %d cluster%s", m->cutoffs[0],
	       m->nclusters, m->nclusters == 1 ? "" : "s");
	for (int i = 1; i <= m->nclusters; i++) {
		model_cluster(m, i, &lo, &hi);
		printf("%s[%d, %d) through %d units", i == 1 ? ": " : ", ", lo, hi,
		       model_cluster_dim(m, i));
	}
	printf("%s\n", m->head_bias ? "; head bias" : "");
	warn_unsorted(tr);
}

static void print_start(trainer_t *tr)
{
	const train_cfg_t *c = &tr->cfg;
	const model_cfg_t *m = &tr->mcfg;
	size_t wbytes = model_work_bytes(m, tr->tmax, tr->micro);
	size_t tbytes = model_table_bytes(m, tr->tmax, tr->micro);

	if (tr->comm->rank != 0)
		return;
	printf("engram train: %s (%s, vocab %d), %d rank%s x %d thread%s\n",
	       c->data, tr->ds.tokenizer, m->vocab, tr->comm->size,
	       tr->comm->size == 1 ? "" : "s", tr->threads, tr->threads == 1 ? "" : "s");
	char top[32] = "";

	if (m->top_hidden)
		snprintf(top, sizeof(top), ", the last %d", m->top_hidden);
	printf("  model: embed %d, %d x LSTM %d%s%s, dropout %g: %zu parameters (%.1f MiB)\n",
	       m->embed, m->layers, m->hidden, top, m->tie ? ", tied" : "", m->dropout,
	       tr->model.n, (double)tr->model.n * 4 / 1048576.0);
	if (model_cfg_regularized(m))
		printf("  regularizers: locked dropout input %g, hidden %g, output %g; embedding "
		       "dropout %g; weight drop %g; AR %g, TAR %g%s\n", m->drop_in, m->drop_hid,
		       m->drop_out, m->drop_emb, m->weight_drop, m->ar, m->tar,
		       m->tie && m->drop_emb > 0 ? " (tied: the dropped embedding rows are the lookup's; "
						   "the output layer uses them all)" : "");
	if (c->optimizer == OPT_NTASGD)
		printf("  NT-ASGD: SGD until validation is worse than the best before the last %d "
		       "epochs, then the average of the iterates (%.1f MiB more)\n", c->nonmono,
		       (double)tr->model.n * 4 / 1048576.0);
	print_softmax(tr);
	printf("  batch %d per rank, global batch %d, bptt %d%s%s; activations %.1f MiB per rank",
	       c->batch, c->batch * tr->comm->size, c->bptt,
	       c->bptt_var ? " (variable: 5 .. bptt + 30, lr x length / bptt)" : "",
	       c->accum > 1 ? " (micro-batches)" : "", (double)wbytes / 1048576.0);
	if (tbytes)
		printf(" (layer 0's token table %.2f MiB)", (double)tbytes / 1048576.0);
	printf("\n");
	printf("  %s lr %g, clip %g, schedule %s; %lld windows %s, %lld steps\n",
	       optim_kind_name(c->optimizer), c->lr, c->clip, sched_kind_name(c->schedule),
	       (long long)(c->bptt_var ? win_count(&tr->win, tr->epoch) : tr->lay.windows),
	       c->bptt_var ? "in this epoch (their lengths vary)" : "per epoch",
	       (long long)tr->total_steps);
	if (tr->cfg.ckpt_async)
		printf("  checkpoints written in the background: %.1f MiB of staging on rank 0%s\n",
		       checkpoint_staging_bytes(tr) / 1048576.0,
		       c->ckpt_seconds > 0 ? ", and one at least every --ckpt-seconds" : "");
	if (tr->comm->size > 1) {
		print_exchange(tr);
		if (c->comm_timeout > 0)
			printf("  collectives end the job after %g s (--comm-timeout)\n", c->comm_timeout);
		else if (c->comm_timeout < 0)
			printf("  collectives end the job after 20 x the slowest step (at least 30 s), "
			       "plus %.0f s while a checkpoint is written or read\n",
			       COMM_IO_BASE + checkpoint_bytes(tr) / COMM_IO_RATE);
	}
	if (tr->lay.dropped)
		printf("  the last %lld tokens of train (%.2f%%) fit no window and are not used\n",
		       (long long)tr->lay.dropped,
		       100.0 * (double)tr->lay.dropped / (double)tr->lay.ntok);
	fflush(stdout);
}

static void fmt_eta(double s, char *buf, size_t n)
{
	long t = s > 0 && s < 1e8 ? (long)s : 0;

	if (t >= 3600)
		snprintf(buf, n, "%ldh%02ldm", t / 3600, t / 60 % 60);
	else
		snprintf(buf, n, "%ldm%02lds", t / 60, t % 60);
}

/* One line of metrics.jsonl (rank 0), whole or not at all: what the disk
 * did not take is cut off again, since a torn line would end the log that
 * checkpoints carry; the failure is said once and stops the run at the
 * next step (metrics_failed, reduced with the loss). */
static void metrics_put(trainer_t *tr, json_t *j)
{
	const char *text = json_text(j);
	long off;
	size_t n;

	if (tr->metrics_failed) {
		json_free(j);
		return;
	}
	off = ftell(tr->metrics);
	if (text) {
		n = strlen(text);
		if (fwrite(text, 1, n, tr->metrics) == n && fputc('\n', tr->metrics) != EOF &&
		    fflush(tr->metrics) == 0) {
			json_free(j);
			return;
		}
	}
	fprintf(stderr, "engram train: %s: cannot write the log line of step %lld: %s; "
		"stopping (free space, then --resume auto)\n", tr->metrics_path,
		(long long)tr->step, text ? strerror(errno) : "out of memory");
	clearerr(tr->metrics);
	if (off >= 0 && ftruncate(fileno(tr->metrics), off) == 0)
		fseek(tr->metrics, off, SEEK_SET);
	tr->metrics_failed = 1;
	json_free(j);
}

static void log_step(trainer_t *tr, double lr, int force)
{
	train_logwin_t *lw = &tr->lw;
	double t = clock_now(), dt = t - tr->t_log;
	double loss, tps, ms, frac, eta_s, reg;
	int has_reg = tr->mcfg.ar > 0.0f || tr->mcfg.tar > 0.0f;
	char eta[32], regs[48] = "";
	json_t j;

	if (tr->comm->rank != 0 || !lw->steps)
		return;
	if (!force && (tr->cfg.log_every ? tr->step % tr->cfg.log_every != 0
					 : dt < tr->cfg.log_seconds))
		return;
	loss = lw->loss_sum / lw->tok_sum;
	reg = lw->reg_sum / lw->tok_sum;
	if (has_reg)	/* the loss stays the cross-entropy, comparable to eval's */
		snprintf(regs, sizeof(regs), " | ar+tar %.4f", reg);
	tps = lw->tok_timed / dt;
	ms = lw->steps_timed ? 1000.0 * dt / (double)lw->steps_timed : 0.0;
	frac = tr->cfg.bptt_var ? (double)tr->pos / (double)(tr->lay.stream_len - 1)
				: (double)tr->window / (double)tr->lay.windows;
	eta_s = ms / 1000.0 * (double)(tr->total_steps - tr->step);
	fmt_eta(eta_s, eta, sizeof(eta));
	if (!tr->cfg.quiet)
		printf("step %lld | epoch %d %5.1f%% | loss %.4f | ppl %.2f%s | lr %.4g | gnorm %.3f | "
		       "%.0f tok/s | %.1f ms/step (data %.0f%%, comm %.0f%%) | eta %s\n",
		       (long long)tr->step, tr->epoch, 100.0 * frac, loss, exp(loss), regs, lr,
		       tr->last_gnorm, tps, ms, 100.0 * lw->t_data / dt,
		       100.0 * lw->t_comm / dt, eta);
	json_init(&j);
	json_begin(&j, NULL);
	json_int(&j, "step", tr->step);
	json_int(&j, "epoch", tr->epoch);
	json_num(&j, "epoch_frac", "%.4f", frac);
	json_num(&j, "loss", "%.6f", loss);
	json_num(&j, "ppl", "%.4f", exp(loss));
	if (has_reg)
		json_num(&j, "reg_loss", "%.6f", reg);
	json_num(&j, "lr", "%.6g", lr);
	json_num(&j, "grad_norm", "%.6g", tr->last_gnorm);
	json_num(&j, "tok_per_s", "%.1f", tps);
	json_num(&j, "ms_per_step", "%.3f", ms);
	json_num(&j, "data_share", "%.4f", lw->t_data / dt);
	json_num(&j, "comm_share", "%.4f", lw->t_comm / dt);
	json_int(&j, "skipped", tr->skipped);
	json_int(&j, "tokens", tr->tokens);
	json_end(&j);
	metrics_put(tr, &j);
	tb_put(tr, tr->step, 5,
	       (const char *const[]){ "train/loss", "train/ppl", "train/lr", "train/grad_norm",
				      "train/tok_per_s" },
	       (const double[]){ loss, exp(loss), lr, tr->last_gnorm, tps });
	fflush(stdout);
	tr->t_log = t;
	*lw = (train_logwin_t){ 0 };
}

/* epoch: the one just trained (the next step may belong to the next) */
static void log_eval(trainer_t *tr, const char *split, const eval_result_t *r,
		     int epoch)
{
	char tags[2][64];
	json_t j;

	if (tr->comm->rank != 0)
		return;
	printf("%s | epoch %d step %lld | loss %.4f | ppl %.2f | %lld tokens\n", split,
	       epoch, (long long)tr->step, r->loss, r->ppl, (long long)r->tokens);
	json_init(&j);
	json_begin(&j, NULL);
	json_str(&j, "split", split);
	json_int(&j, "step", tr->step);
	json_int(&j, "epoch", epoch);
	json_num(&j, "loss", "%.6f", r->loss);
	json_num(&j, "ppl", "%.4f", r->ppl);
	json_int(&j, "tokens", r->tokens);
	json_end(&j);
	metrics_put(tr, &j);
	snprintf(tags[0], sizeof(tags[0]), "%s/loss", split);
	snprintf(tags[1], sizeof(tags[1]), "%s/ppl", split);
	tb_put(tr, tr->step, 2, (const char *const[]){ tags[0], tags[1] },
	       (const double[]){ r->loss, r->ppl });
	fflush(stdout);
}

/* What train_step tells the loop. */
enum { STEP_OK, STEP_STOP, STEP_ROLLBACK, STEP_PREEMPT };

/* The step's one reduction (a sum over ranks): the loss, and what rank 0
 * or any rank has to tell the others. */
enum {
	RED_LOSS,	/* the loss sum: the cross-entropy */
	RED_REG,	/* the AR + TAR sum */
	RED_STOP,	/* a rank was asked to stop */
	RED_LOG_FAILED,	/* rank 0 cannot write metrics.jsonl */
	RED_CKPT_DONE,	/* rank 0: the checkpoint's write is done */
	RED_CKPT_DUE,	/* rank 0: --ckpt-seconds have passed */
	RED_N
};

static int settle(trainer_t *tr, int64_t due, err_t *e);

/* The faults a test asked this rank to suffer at this step (fault.h). */
static void inject(trainer_t *tr, double *loss)
{
	int r = tr->comm->rank;
	long long s = tr->step + 1;

	if (fault_at(&tr->fault, FAULT_KILL, r, s))
		raise(SIGKILL);
	if (fault_at(&tr->fault, FAULT_SEGV, r, s)) {
		volatile int *wild = NULL;

		*wild = 0;
	}
	if (fault_at(&tr->fault, FAULT_STALL, r, s))
		raise(SIGSTOP);
	if (fault_at(&tr->fault, FAULT_NAN, r, s))
		*loss = NAN;
	if (fault_at(&tr->fault, FAULT_NAN_GRAD, r, s))
		tr->model.grads[0] = NAN;
	if (fault_at(&tr->fault, FAULT_SPIKE, r, s))
		*loss *= 50.0;
}

/* Mean and deviation of the recent per-token losses; 1 when x is a spike. */
static int is_spike(const trainer_t *tr, double x)
{
	double mean = 0.0, var = 0.0;
	int n = tr->hist_n;

	if (tr->cfg.on_spike == POLICY_OFF || n < tr->cfg.spike_window / 2 || n < 2)
		return 0;
	for (int i = 0; i < n; i++)
		mean += tr->hist[i];
	mean /= n;
	for (int i = 0; i < n; i++)
		var += (tr->hist[i] - mean) * (tr->hist[i] - mean);
	var /= n - 1;
	return x > mean + tr->cfg.spike_sigma * sqrt(var);
}

static void remember(trainer_t *tr, double x)
{
	tr->hist[tr->hist_pos] = x;
	tr->hist_pos = (tr->hist_pos + 1) % tr->cfg.spike_window;
	if (tr->hist_n < tr->cfg.spike_window)
		tr->hist_n++;
}

/* A bad step: the policy decides.  The inputs are the same on every rank,
 * so every rank decides alike. */
static int anomaly(trainer_t *tr, const char *what, policy_t policy,
		   double loss, double gnorm, err_t *e)
{
	err_set(e, "step %lld: %s (loss %g, gradient norm %g)", (long long)tr->step,
		what, loss, gnorm);
	if (policy == POLICY_SKIP) {
		tr->skipped++;
		if (tr->comm->rank == 0) {
			fprintf(stderr, "engram train: %s: step skipped\n", e->msg);
			json_t j;

			json_init(&j);
			json_begin(&j, NULL);
			json_str(&j, "event", "skip");
			json_int(&j, "step", tr->step);
			json_str(&j, "reason", what);
			json_end(&j);
			metrics_put(tr, &j);
		}
		return STEP_OK;
	}
	if (policy == POLICY_ROLLBACK)
		return STEP_ROLLBACK;
	err_prefix(e, "stopped before the update (--on-nan / --on-spike choose skip or rollback)");
	return STEP_STOP;
}

/*
 * One optimizer step on window w: forward/backward of every micro-batch,
 * gradient average over ranks, checks, clipping, update.  Returns -1 for a
 * failure of this rank, else a STEP_* decision that every rank shares (the
 * loss, the gradient norm and the stop requests are reduced over ranks).
 */
/* What of the gradient buffer the last step can have left nonzero: the
 * dense part and the embedding rows it read (ar_tail_rows), or all. */
static grad_rows_t grad_rows(const trainer_t *tr)
{
	return (grad_rows_t){ tr->model.n, tr->ar.dense, (size_t)tr->ar.width, tr->rows,
			      tr->nrows };
}

static int train_step(trainer_t *tr, int64_t pos, int T, err_t *e)
{
	const train_cfg_t *c = &tr->cfg;
	model_t *m = &tr->model;
	int P = tr->comm->size, rc = STEP_OK;
	/* grads of the mean loss per token of the global batch, 1 / (T * B * P),
	 * or per sequence (summed over the window's steps), 1 / (B * P) */
	float scale = 1.0f / ((float)c->batch * (float)P);
	double t0, t_step = clock_now(), red[RED_N] = { 0 }, gnorm, lr, per_tok;
	float clip_coef;
	rng_t *drop = c->dropout > 0 || model_cfg_regularized(&tr->mcfg) ? &tr->drop_rng : NULL;
	grad_rows_t rows;

	if (c->loss_avg == LOSS_AVG_TOKENS)
		scale /= (float)T;
	watchdog_step(&tr->comm->wd, tr->step + 1);
	signals_step(tr->step + 1);
	t0 = clock_now();
	if (ds_read_span(&tr->ds, &tr->lay, pos, T, tr->tok, e))
		return -1;
	if (model_work_set_len(tr->work, T))
		return err_set(e, "a window of %d steps does not fit the activations' %d", T, tr->tmax);
	tr->lw.t_data += clock_now() - t0;
	rows = grad_rows(tr);
	grad_rows_zero(m->grads, &rows);
	ar_begin(&tr->ar);
	for (int b = 0; b < c->batch; b++)
		ar_mark(&tr->ar, tr->tok + (size_t)b * (T + 1), (size_t)T);
	for (int k = 0; k < c->accum; k++) {
		const int32_t *tok = tr->tok + (size_t)k * tr->micro * (T + 1);
		/* exchange once per step: only the last micro-batch's backward
		 * finishes gradients */
		int last = k == c->accum - 1;

		red[RED_LOSS] += model_forward_train(m, tr->work, &tr->state[k], tok, drop, scale);
		red[RED_REG] += model_reg_loss(tr->work);
		if (last)
			inject(tr, &red[RED_LOSS]);
		model_backward(m, tr->work, last ? ar_ready : NULL, &tr->ar);
	}
	if (ar_finish(&tr->ar, e))
		return -1;
	red[RED_STOP] = signals_stop_requested() ? 1.0 : 0.0;
	red[RED_LOG_FAILED] = tr->metrics_failed ? 1.0 : 0.0;
	red[RED_CKPT_DONE] = tr->comm->rank == 0 && checkpoint_written(tr) ? 1.0 : 0.0;
	red[RED_CKPT_DUE] = tr->comm->rank == 0 && c->ckpt_seconds > 0 &&
			    clock_now() - tr->job.t_begun >= c->ckpt_seconds ? 1.0 : 0.0;
	t0 = clock_now();
	if (comm_allreduce_sum_f64(tr->comm, red, RED_N, e))
		return -1;
	if (red[RED_LOG_FAILED] > 0) {
		err_set(e, "step %lld: %s could not be written on rank 0 (disk full?); the last "
			"checkpoint holds the run", (long long)tr->step + 1, tr->metrics_path);
		return STEP_STOP;
	}
	if (red[RED_CKPT_DONE] > 0 && settle(tr, 0, e))
		return STEP_STOP;	/* before the update: the old checkpoints hold the run */
	tr->ckpt_due = red[RED_CKPT_DUE] > 0;
	/* exposed communication: MPI calls inside backward, the final wait,
	 * the loss sum */
	tr->lw.t_comm += tr->ar.t_comm + (clock_now() - t0);

	lr = sched_lr(&tr->sched, (long)tr->step, tr->epoch) * tr->lr_scale;
	if (c->bptt_var)	/* AWD-LSTM: a short window takes a short step */
		lr *= (double)T / c->bptt;
	/* clipping is folded into the update: one pass instead of two */
	tr->nrows = ar_tail_rows(&tr->ar, tr->rows);
	rows = grad_rows(tr);
	gnorm = grad_rows_norm(m->grads, &rows);
	clip_coef = grad_clip_coef(gnorm, c->clip);
	tr->step++;
	tr->tokens += (int64_t)T * c->batch * P;
	tr->last_gnorm = gnorm;
	per_tok = red[RED_LOSS] / ((double)T * c->batch * P);
	if (!isfinite(red[RED_LOSS] + red[RED_REG]) || !isfinite(gnorm))
		rc = anomaly(tr, isfinite(red[RED_LOSS] + red[RED_REG]) ? "the gradient is not finite"
						  : "the loss is not finite",
			     c->on_nan, red[RED_LOSS], gnorm, e);
	else if (is_spike(tr, per_tok))
		rc = anomaly(tr, "the loss spiked", c->on_spike, per_tok, gnorm, e);
	else {
		remember(tr, per_tok);
		optim_step_rows(&tr->opt, m->params, m->grads, clip_coef, (float)lr, &rows);
		tr->lw.loss_sum += red[RED_LOSS];
		tr->lw.reg_sum += red[RED_REG];
		tr->lw.tok_sum += (double)T * c->batch * P;
		tr->lw.steps++;
		tr->lw.tok_timed += (double)T * c->batch * P;
		tr->lw.steps_timed++;
	}
	if (rc == STEP_OK && red[RED_STOP] > 0)
		rc = STEP_PREEMPT;
	comm_observe(tr->comm, clock_now() - t_step);
	return rc;
}

int train_val_reserve(trainer_t *tr, int64_t n, err_t *e)
{
	int64_t cap = tr->val_cap ? tr->val_cap : 64;
	double *p;

	if (n <= tr->val_cap)
		return 0;
	while (cap < n)
		cap *= 2;
	p = realloc(tr->val_hist, (size_t)cap * sizeof(double));
	if (!p)
		return err_set(e, "out of memory for %lld validation losses", (long long)cap);
	tr->val_hist = p;
	tr->val_cap = cap;
	return 0;
}

/*
 * A split's loss; once NT-ASGD averages, of the average: the iterate is
 * set aside for the evaluation and put back (every rank alike: both are
 * the same on every rank).
 */
static int eval_split(trainer_t *tr, int split, eval_result_t *r, err_t *e)
{
	model_t *m = &tr->model;
	size_t bytes = m->n * sizeof(float);
	int rc;

	if (tr->ds.ntok[split] < 0)
		return 1;
	if (tr->opt.averaging) {
		if (!tr->iterate && !(tr->iterate = err_malloc(bytes, "the NT-ASGD iterate", e)))
			return -1;
		memcpy(tr->iterate, m->params, bytes);
		memcpy(m->params, tr->opt.ax, bytes);
	}
	rc = evaluate_split(m, &tr->ds, split, tr->eval_batch, tr->cfg.bptt, tr->comm, NULL,
			    signals_stop_requested, r, e);
	if (tr->opt.averaging)
		memcpy(m->params, tr->iterate, bytes);
	return rc;
}

/*
 * NT-ASGD's switch (awd-lstm-lm's main.py), after the epoch's validation
 * loss: averaging starts when it is worse than the best of the epochs
 * before the last --nonmono.  Then the loss joins the history.
 */
static int ntasgd_epoch(trainer_t *tr, double loss, err_t *e)
{
	int64_t n = tr->n_val, N = tr->cfg.nonmono;
	double best = INFINITY;

	if (tr->cfg.optimizer != OPT_NTASGD)
		return 0;
	for (int64_t k = 0; k < n - N; k++)
		best = fmin(best, tr->val_hist[k]);
	if (!tr->opt.averaging && n > N && loss > best) {
		optim_average_start(&tr->opt, tr->model.params);
		if (tr->comm->rank == 0) {
			json_t j;

			printf("NT-ASGD: validation loss %.4f is worse than %.4f, the best before the last "
			       "%lld epochs: averaging the iterates from step %lld on\n", loss, best,
			       (long long)N, (long long)tr->step + 1);
			json_init(&j);
			json_begin(&j, NULL);
			json_str(&j, "event", "ntasgd");
			json_int(&j, "step", tr->step);
			json_int(&j, "epoch", tr->epoch);
			json_end(&j);
			metrics_put(tr, &j);
		}
	}
	if (n >= TRAIN_MAX_VALS || train_val_reserve(tr, n + 1, e))
		return err_set(e, "NT-ASGD: no room for validation %lld", (long long)n + 1);
	tr->val_hist[tr->n_val++] = loss;
	return 0;
}

/* A checkpoint of this step is on disk or being written. */
static int have_ckpt(const trainer_t *tr)
{
	return tr->last_ckpt_step == tr->step ||
	       (tr->job.in_flight && tr->job.step == tr->step);
}

/*
 * The checkpoint in flight, finished and logged (one metrics.jsonl line
 * each): 0, or 1 when it was not written (every rank, e set).  `due` names
 * the checkpoint that has to wait for it, if one does.
 */
static int settle(trainer_t *tr, int64_t due, err_t *e)
{
	ckpt_done_t d;
	json_t j;
	int rc;

	if (!tr->job.in_flight)
		return 0;
	rc = checkpoint_wait(tr, &d, e);
	if (rc == -2)
		die(tr, e);
	if (rc)
		return 1;
	if (tr->comm->rank)
		return 0;
	if (due && d.waited && !tr->ckpt_wait_said++)
		printf("checkpoint at step %lld: the write of step %lld is still in flight; training "
		       "waits for it (writes take longer than the checkpoint interval: each wait is "
		       "in the log's stall_ms)\n", (long long)due, (long long)d.step);
	if (!tr->cfg.quiet && tr->cfg.ckpt_async)
		printf("checkpoint %s in %.2f s, written in the background (training held %.0f ms)\n",
		       tr->last_ckpt_path, d.write_s, 1e3 * d.stall_s);
	else if (!tr->cfg.quiet)
		printf("checkpoint %s in %.2f s\n", tr->last_ckpt_path, d.stall_s);
	json_init(&j);
	json_begin(&j, NULL);
	json_str(&j, "event", "checkpoint");
	json_int(&j, "step", d.step);
	json_num(&j, "bytes", "%.0f", d.bytes);
	json_num(&j, "stall_ms", "%.3f", 1e3 * d.stall_s);
	json_num(&j, "write_ms", "%.3f", 1e3 * d.write_s);
	json_num(&j, "copy_ms", "%.3f", 1e3 * d.copy_s);
	json_int(&j, "async", tr->cfg.ckpt_async);
	json_end(&j);
	metrics_put(tr, &j);
	tb_put(tr, d.step, 2, (const char *const[]){ "checkpoint/stall_ms", "checkpoint/write_ms" },
	       (const double[]){ 1e3 * d.stall_s, 1e3 * d.write_s });
	return 0;
}

/* A checkpoint of this step (the one in flight waited for first): 0, or 1
 * to stop (e set); this rank's own failure is a die.  A synchronous write
 * (--ckpt-async off) is finished on return. */
static int save(trainer_t *tr, err_t *e)
{
	if (settle(tr, tr->step, e))
		return 1;
	if (checkpoint_save(tr, e))
		die(tr, e);
	return tr->cfg.ckpt_async ? 0 : settle(tr, 0, e);
}

/* A stop request honoured: the state on disk (a checkpoint now unless the
 * last one is of this step), then TRAIN_EXIT_PREEMPTED, or 1 (e set). */
static int preempted(trainer_t *tr, const char *during, err_t *e)
{
	if (!have_ckpt(tr) && save(tr, e))
		return 1;
	if (settle(tr, 0, e))	/* exit 75 means the checkpoint is on disk */
		return 1;
	signals_saved();
	err_set(e, "stopped on a signal (SIGTERM, SIGUSR1 or SIGINT) %s step %lld; "
		"%s holds the run: continue it with --resume auto", during,
		(long long)tr->step, tr->last_ckpt_path);
	return TRAIN_EXIT_PREEMPTED;
}

/* The data set under a running job: a new file in its place is harmless
 * (the open handle reads the old one) and said once; a file modified in
 * place is not, and stops every rank. */
static int check_data(trainer_t *tr, err_t *e)
{
	int64_t changed = ds_changed(&tr->ds);

	if (comm_allreduce_max_i64(tr->comm, &changed, 1, e))
		die(tr, e);
	if (changed == 2) {
		err_set(e, "%s was modified in place during the run; stopping (resume "
			"checks its tokens against the checkpoint)", tr->cfg.data);
		return 1;
	}
	if (changed == 1 && !tr->data_warned && tr->comm->rank == 0)
		fprintf(stderr, "engram train: warning: %s was replaced during the run; this run "
			"goes on reading the file it opened\n", tr->cfg.data);
	tr->data_warned |= changed == 1;
	return 0;
}

/* The end of a whole epoch: validation, schedule, checkpoint. */
static int end_epoch(trainer_t *tr, err_t *e)
{
	eval_result_t r;
	int rc;

	log_step(tr, tr->sched.lr * tr->lr_scale, 1);
	/* replicas must still agree: a cheap guard against silent divergence */
	if (comm_check_same(tr->comm, tr->model.params, tr->model.n * sizeof(float),
			    "the parameters", e))
		return 1;
	if (check_data(tr, e))
		return 1;
	rc = eval_split(tr, SPLIT_VALID, &r, e);
	if (rc < 0)
		die(tr, e);
	/* the checkpoint then ends the epoch before its validation, which a
	 * resumed run does first */
	if (rc == EVAL_STOPPED)
		return preempted(tr, "in the validation after", e);
	if (rc == 0) {
		tr->val_loss = r.loss;
		sched_epoch_end(&tr->sched, tr->epoch, r.loss);
		log_eval(tr, "valid", &r, tr->epoch);
		if (ntasgd_epoch(tr, r.loss, e))
			die(tr, e);
	}
	/* the checkpoint points at the start of the next epoch */
	tr->epoch++;
	tr->window = tr->pos = 0;
	if (rc == 0 && r.loss < tr->best_val)
		tr->best_val = r.loss;
	return save(tr, e);
}

/* Back to the last checkpoint with a lower lr; 0, or 1 to stop (e set). */
static int rollback(trainer_t *tr, err_t *e)
{
	double scale = tr->lr_scale * tr->cfg.rollback_lr;
	int64_t rollbacks = tr->rollbacks + 1, from = tr->step;
	char why[ERR_MSG_MAX];
	int rc;

	snprintf(why, sizeof(why), "%s", e->msg);
	if (settle(tr, 0, e))	/* the checkpoint to go back to may be in flight */
		return 1;
	if (!tr->last_ckpt_path[0]) {
		err_set(e, "%s; no checkpoint yet to roll back to", why);
		return 1;
	}
	if (rollbacks > tr->cfg.max_rollbacks) {
		err_set(e, "%s; already rolled back %lld times (--max-rollbacks)", why,
			(long long)tr->rollbacks);
		return 1;
	}
	if (tr->metrics) {
		fclose(tr->metrics);
		tr->metrics = NULL;
	}
	rc = checkpoint_resume(tr, tr->last_ckpt_path, e);
	if (rc < 0)
		die(tr, e);
	if (rc || open_metrics(tr, 0, e))
		return 1;
	tr->lr_scale = scale;
	tr->rollbacks = rollbacks;
	tr->hist_n = tr->hist_pos = 0;
	tr->nrows = -1;	/* zero every gradient before the next step */
	if (tr->comm->rank == 0) {
		fprintf(stderr, "engram train: %s: rolled back to step %lld, lr x %g\n", why,
			(long long)tr->step, scale);
		json_t j;

		json_init(&j);
		json_begin(&j, NULL);
		json_str(&j, "event", "rollback");
		json_int(&j, "step", from);
		json_int(&j, "to_step", tr->step);
		json_num(&j, "lr_scale", "%g", scale);
		json_end(&j);
		metrics_put(tr, &j);
	}
	return 0;
}

/*
 * The loop from the current (epoch, window): 0 when done, 1 to stop (e
 * set), TRAIN_EXIT_PREEMPTED after a stop request and its checkpoint.
 */
static int train_loop(trainer_t *tr, err_t *e)
{
	const train_cfg_t *c = &tr->cfg;
	int rc;

	while (tr->epoch <= c->epochs && tr->step < tr->total_steps) {
		int rolled = 0, len;

		if (tr->window == 0)
			for (int k = 0; k < c->accum; k++)
				model_state_zero(&tr->state[k]);
		while (!rolled && (len = win_len(&tr->win, tr->epoch, tr->pos)) > 0 &&
		       tr->step < tr->total_steps) {
			rc = train_step(tr, tr->pos, len, e);
			if (rc < 0)
				die(tr, e);
			if (rc == STEP_STOP)
				return 1;
			if (rc == STEP_ROLLBACK) {
				if (rollback(tr, e))
					return 1;
				rolled = 1;
				continue;
			}
			tr->window++;
			tr->pos += len;
			log_step(tr, tr->sched.lr * tr->lr_scale, 0);
			if (rc == STEP_PREEMPT)
				return preempted(tr, "after", e);
			if (((c->ckpt_every && tr->step % c->ckpt_every == 0) || tr->ckpt_due) &&
			    save(tr, e))
				return 1;
		}
		if (rolled)
			continue;
		if (win_len(&tr->win, tr->epoch, tr->pos) > 0)
			break;	/* --steps ended it mid-epoch */
		rc = end_epoch(tr, e);
		if (rc)
			return rc;
	}
	return 0;
}

/* After the last step: a checkpoint if the last one is older, then the
 * scores of the splits. */
static int finish(trainer_t *tr, err_t *e)
{
	eval_result_t r;
	int rc, mid = tr->window > 0;

	/* the checkpoint first: it holds the log window, and the metrics of a
	 * run resumed from it continue exactly as if it had not stopped */
	if (!have_ckpt(tr) && save(tr, e))
		return 1;
	log_step(tr, tr->sched.lr * tr->lr_scale, 1);
	if (mid) {
		rc = eval_split(tr, SPLIT_VALID, &r, e);
		if (rc < 0)
			die(tr, e);
		if (rc == EVAL_STOPPED)
			return preempted(tr, "in the final evaluation after", e);
		if (rc == 0)
			log_eval(tr, "valid", &r, tr->epoch);
	}
	rc = eval_split(tr, SPLIT_TEST, &r, e);
	if (rc < 0)
		die(tr, e);
	if (rc == EVAL_STOPPED)
		return preempted(tr, "in the final evaluation after", e);
	if (rc == 0)
		log_eval(tr, "test", &r, mid ? tr->epoch : tr->epoch - 1);
	if (settle(tr, 0, e))	/* the write overlapped the evaluation */
		return 1;
	if (tr->metrics_failed) {	/* rank 0 only: its exit status fails the job */
		err_set(e, "%s: the final scores could not be logged", tr->metrics_path);
		return 1;
	}
	return 0;
}

/* A run resumed at its end: 1 when its final evaluation is not in the log
 * (a stop request cut it short), so it runs now.  Rank 0 reads the log. */
static int final_eval_missing(trainer_t *tr, err_t *e)
{
	char want[64], line[512];
	int64_t missing = 0;
	FILE *f;

	if (tr->comm->rank == 0 && tr->ds.ntok[SPLIT_TEST] >= 0) {
		snprintf(want, sizeof(want), "{\"split\":\"test\",\"step\":%lld,",
			 (long long)tr->step);
		missing = 1;
		f = fopen(tr->metrics_path, "r");
		while (f && missing && fgets(line, sizeof(line), f))
			missing = strncmp(line, want, strlen(want)) != 0;
		if (f)
			fclose(f);
	}
	if (comm_bcast(tr->comm, &missing, sizeof(missing), 0, e))
		die(tr, e);
	return missing != 0;
}

static void trainer_free(trainer_t *tr)
{
	checkpoint_job_free(tr);
	for (int k = 0; k < tr->cfg.accum && k < TRAIN_MAX_ACCUM; k++)
		model_state_free(&tr->state[k]);
	model_work_free(tr->work);
	model_free(&tr->model);
	optim_free(&tr->opt);
	ar_free(&tr->ar);
	free(tr->tok);
	free(tr->rows);
	free(tr->val_hist);
	free(tr->iterate);
	vocab_free(&tr->vocab);
	ds_close(&tr->ds);
	tfe_close(&tr->tb);
	if (tr->metrics)
		fclose(tr->metrics);
	rundir_unlock(tr->lock_fd);
}

/* Parameters at start: rank 0's, from its seed or a checkpoint, on every
 * rank, proven equal.  0, 1 for a consistent stop, -1 for this rank. */
static int start(trainer_t *tr, err_t *e)
{
	char path[4600];
	int rc;

	/* the others wait while rank 0 takes the lock and verifies the run's
	 * checkpoints (each read whole): the grace of two checkpoints' I/O,
	 * until checkpoint_resume's own */
	comm_io_begin(tr->comm, 2.0 * checkpoint_bytes(tr));
	rc = lock_run_dir(tr, e);
	if (!rc)
		rc = resume_path(tr, path, sizeof(path), e);
	if (rc)
		return rc;
	if (path[0]) {
		rc = checkpoint_resume(tr, path, e);
		if (rc)
			return rc;
	} else {
		comm_io_end(tr->comm);
		if (tr->comm->rank == 0)
			model_init_params(&tr->model, (float)tr->cfg.init_scale,
					  (float)tr->cfg.forget_bias, (uint64_t)tr->cfg.seed);
		if (comm_bcast(tr->comm, tr->model.params, tr->model.n * sizeof(float), 0, e))
			return -1;
	}
	if (fault_active(&tr->fault, FAULT_PERTURB_INIT, tr->comm->rank))
		tr->model.params[tr->model.n / 2] += 1e-3f;
	if (comm_check_same(tr->comm, tr->model.params, tr->model.n * sizeof(float),
			    "the initial parameters", e))
		return 1;
	if (write_config(tr, e) || open_metrics(tr, !path[0], e))
		return -1;
	return 0;
}

/* train_or_finish's return for a run that was complete before it started */
#define TRAIN_DONE_BEFORE 3

/* The loop and the final evaluation, or for a run resumed at its end the
 * evaluation alone if a stop request cut it short. */
static int train_or_finish(trainer_t *tr, err_t *e)
{
	const train_cfg_t *cfg = &tr->cfg;
	int rc;

	if (tr->step < tr->total_steps && tr->epoch <= cfg->epochs) {
		int64_t stop = signals_stop_requested() ? 1 : 0;

		/* a stop asked for during the start-up (MPI, data, resume) */
		if (comm_allreduce_max_i64(tr->comm, &stop, 1, e))
			die(tr, e);
		if (stop)
			return preempted(tr, "at start-up, at", e);
		print_start(tr);
		tr->t_start = tr->t_log = tr->job.t_begun = clock_now();
		rc = train_loop(tr, e);
		return rc ? rc : finish(tr, e);
	}
	if (final_eval_missing(tr, e)) {
		if (tr->comm->rank == 0)
			printf("the run in %s is complete (step %lld) but its final evaluation "
			       "was stopped: running it\n", cfg->run_dir, (long long)tr->step);
		tr->t_start = clock_now();
		return finish(tr, e);
	}
	/* resumed from the end: nothing to train, nothing to log again */
	if (tr->comm->rank == 0)
		printf("the run in %s is complete (step %lld of %lld); raise --epochs or "
		       "--steps to train on\n", cfg->run_dir, (long long)tr->step,
		       (long long)tr->total_steps);
	return TRAIN_DONE_BEFORE;
}

int train_run(const train_cfg_t *cfg, comm_t *c)
{
	trainer_t *tr = calloc(1, sizeof(*tr));
	err_t e;
	int rc;

	if (!tr) {
		fprintf(stderr, "engram train: out of memory\n");
		return 1;
	}
	tr->cfg = *cfg;
	tr->comm = c;
	tr->nranks = c->size;
	tr->ds.file = -1;
	tr->lock_fd = -1;
	vocab_init(&tr->vocab, &e);
	if (setup_config(tr, &e)) {
		if (c->rank == 0)
			fprintf(stderr, "engram train: %s\n", e.msg);
		trainer_free(tr);
		free(tr);
		return 2;
	}
	openblas_set_num_threads(tr->threads);
	signals_install(c->rank);
	if (comm_set_timeout(c, cfg->comm_timeout, &e) || setup_model(tr, &e) ||
	    setup_output(tr, &e))
		die(tr, &e);
	rc = start(tr, &e);
	if (rc < 0)
		die(tr, &e);
	if (rc == 0)
		rc = train_or_finish(tr, &e);
	if (rc == TRAIN_DONE_BEFORE) {
		trainer_free(tr);
		free(tr);
		return 0;
	}
	if (rc) {
		if (c->rank == 0)
			fprintf(stderr, "engram train: %s\n", e.msg);
	} else if (c->rank == 0) {
		printf("done: %lld steps in %.1f s (checkpoints %.1f s); checkpoints in %s\n",
		       (long long)tr->step, clock_now() - tr->t_start, tr->ckpt_seconds, cfg->run_dir);
	}
	trainer_free(tr);
	free(tr);
	return rc == TRAIN_EXIT_PREEMPTED ? rc : rc ? 1 : 0;
}
