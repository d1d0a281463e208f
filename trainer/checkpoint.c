/*
 * checkpoint.c - the training run to and from a checkpoint file.
 *
 * What goes in (io/FORMATS.md has the layout): the parameters; the
 * optimizer's moments and step count; the schedule's state; the position
 * (epoch, next window, step, tokens); the log window; the layout it was
 * taken with; every rank's dropout RNG and carried LSTM h and C, gathered
 * to rank 0; and metrics.jsonl as it stood, so a resumed run logs exactly
 * what an uninterrupted one would.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "io/atomic.h"
#include "comm/clock.h"
#include "io/ckpt.h"
#include "io/h5.h"
#include "trainer/fault.h"
#include "trainer/train_state.h"
#include "trainer/trainer.h"
#include "trainer/weights.h"

/* metrics.jsonl in a checkpoint: at most its last --ckpt-log-mb are stored
 * (whole lines), with the count of bytes before them; the reader accepts
 * up to CKPT_MAX_METRICS (io/ckpt.h), above any --ckpt-log-mb. */

/* Scalars every rank needs from the checkpoint (sent from rank 0). */
typedef struct {
	int status;		/* 0 ok, 1 unusable for this run, -1 failed */
	char msg[ERR_MSG_MAX];
	int same_layout;
	ts_val_t v[TS_N];	/* the /train attributes, by train_state.h's table */
	int64_t has_m, has_v;
	int64_t metrics_offset;	/* bytes of the log before the stored part */
} resume_hdr_t;

/* An integer row of h's table, by its TS_ name without the prefix. */
#define V(row) (h->v[TS_##row].i)

/* Floats of carried state per rank: accum micro-batches x L x micro x H. */
static size_t state_floats(const trainer_t *tr)
{
	return (size_t)tr->cfg.accum * model_state_floats(&tr->mcfg, tr->micro);
}

/* Floats of the parameters and the optimizer's moments: what a checkpoint
 * holds of the model, and what the staging copies. */
static double param_floats(const trainer_t *tr)
{
	return (double)tr->model.n * (1 + (tr->opt.m != NULL) + (tr->opt.v != NULL) +
				      (tr->opt.ax != NULL));
}

double checkpoint_bytes(const trainer_t *tr)
{
	return 4.0 * param_floats(tr) + 8.0 * (double)tr->comm->size * (double)state_floats(tr);
}

static void pack_state(const trainer_t *tr, float *h, float *c)
{
	size_t one = model_state_floats(&tr->mcfg, tr->micro);

	for (int k = 0; k < tr->cfg.accum; k++) {
		memcpy(h + k * one, tr->state[k].h, one * sizeof(float));
		memcpy(c + k * one, tr->state[k].c, one * sizeof(float));
	}
}

static void unpack_state(trainer_t *tr, const float *h, const float *c)
{
	size_t one = model_state_floats(&tr->mcfg, tr->micro);

	for (int k = 0; k < tr->cfg.accum; k++) {
		memcpy(tr->state[k].h, h + k * one, one * sizeof(float));
		memcpy(tr->state[k].c, c + k * one, one * sizeof(float));
	}
}

/* ---- writing (rank 0) ---- */

/* The last at most `keep` bytes of the file at path before offset n,
 * starting at a line: *buf and *len get them, *skipped the bytes before
 * them (a missing file is empty).  A log of a million steps stays out of
 * memory and out of every checkpoint; the writer thread reads it while the
 * training thread appends past n. */
static int read_tail(const char *path, long n, size_t keep, char **buf, size_t *len,
		     int64_t *skipped, err_t *e)
{
	FILE *f = fopen(path, "rb");
	long from = 0;
	size_t got, cut = 0;

	*buf = NULL;
	*len = 0;
	*skipped = 0;
	if (!f)
		return errno == ENOENT ? 0 : err_set(e, "%s: cannot read: %s", path, strerror(errno));
	if ((size_t)n > keep)
		from = n - (long)keep;
	if (fseek(f, from, SEEK_SET))
		goto fail;
	*buf = err_malloc((size_t)(n - from) + 1, "metrics", e);
	if (!*buf) {
		fclose(f);
		return -1;
	}
	got = fread(*buf, 1, (size_t)(n - from), f);
	if (got != (size_t)(n - from))
		goto fail;
	fclose(f);
	if (from > 0) {	/* drop the partial first line */
		while (cut < got && (*buf)[cut] != '\n')
			cut++;
		cut = cut < got ? cut + 1 : got;
		memmove(*buf, *buf + cut, got - cut);
	}
	*len = got - cut;
	*skipped = from + (int64_t)cut;
	return 0;
fail:
	fclose(f);
	free(*buf);
	*buf = NULL;
	return err_set(e, "%s: cannot read", path);
}

/*
 * What one checkpoint writes, taken at its step: the trainer's scalars (tr:
 * the live trainer for a synchronous write, else a copy whose buffers the
 * writer does not read: the vocabulary and the model's tensor table do not
 * change during a run), the parameters and moments (the live ones, or the
 * staging copy), the state gathered from every rank and the log's tail.
 */
struct ckpt_stage {
	const trainer_t *tr;
	trainer_t *snap;	/* async: the copy tr points to, owned */
	char path[4600];
	const float *params, *m, *v, *ax;	/* ax: NT-ASGD's, once averaging */
	uint64_t *val_hist;	/* its validations' bits, val_count of them */
	uint64_t *rng;
	float *h, *c;
	long metrics_end;	/* metrics.jsonl's length at the step */
	char *metrics;		/* its tail, read by the write */
	size_t mlen;
	int64_t skipped;
	int best;		/* link best.h5 to it */
	/* the write's outcome; done is set last, by the writer thread */
	pthread_t thread;
	int threaded;
	atomic_int done;
	int rc;
	err_t err;
	double write_s, bytes, copy_s;
};

static int write_full(ckpt_stage_t *s, err_t *e)
{
	const trainer_t *tr = s->tr;
	const model_t *m = &tr->model;
	size_t per = state_floats(tr);
	ckpt_writer_t w;
	ckpt_meta_t meta = { 0 };
	hid_t g = -1;
	const char *path = s->path;

	if (read_tail(tr->metrics_path, s->metrics_end, (size_t)(tr->cfg.ckpt_log_mb * 1048576.0),
		      &s->metrics, &s->mlen, &s->skipped, e))
		return -1;
	weights_meta(m, &meta);
	snprintf(meta.kind, sizeof(meta.kind), "full");
	snprintf(meta.tokenizer, sizeof(meta.tokenizer), "%s", tr->ds.tokenizer);
	meta.unk_id = tr->ds.unk_id;
	meta.eos_id = tr->ds.eos_id;
	snprintf(meta.data_path, sizeof(meta.data_path), "%s", tr->cfg.data);
	snprintf(meta.data_sha256, sizeof(meta.data_sha256), "%s", tr->ds.tokens_sha256);
	snprintf(meta.run_config, sizeof(meta.run_config), "%s", tr->json);
	meta.step = tr->step;
	meta.epoch = tr->epoch;
	meta.val_loss = tr->val_loss;
	if (ckpt_create(&w, path, e))
		return -1;
	if (weights_put(&w, m, "params", s->params, e) ||
	    (s->m && weights_put(&w, m, "optim/m", s->m, e)) ||
	    (s->v && weights_put(&w, m, "optim/v", s->v, e)) ||
	    (s->ax && weights_put(&w, m, "optim/ax", s->ax, e)) ||
	    (tr->vocab.n && ckpt_put_vocab(&w, &tr->vocab, e)) ||
	    ckpt_put_meta(&w, &meta, e))
		goto fail;
	g = ckpt_group(&w, "train", e);
	if (g < 0 || ts_put(g, tr, e) ||
	    h5_put_u64(g, "rng", s->rng, (size_t)tr->comm->size, 4, path, e) ||
	    h5_put_bytes(g, "metrics", s->metrics, s->mlen, path, e) ||
	    h5_attr_put_i64(g, "metrics_offset", s->skipped, e) ||
	    (tr->n_val && h5_put_u64(g, "val_history", s->val_hist, (size_t)tr->n_val, 1, path, e)))
		goto fail;
	ckpt_tensor_t th = { "h", tr->comm->size, (int64_t)per, s->h };
	ckpt_tensor_t tc = { "c", tr->comm->size, (int64_t)per, s->c };
	if (ckpt_put_tensor(&w, "train", &th, e) || ckpt_put_tensor(&w, "train", &tc, e))
		goto fail;
	H5Gclose(g);
	return ckpt_commit(&w, e);
fail:
	if (g >= 0)
		H5Gclose(g);
	ckpt_abandon(&w);
	return -1;
}

/* ckpt-s<step>.h5 names, sorted by step; keep the newest `keep`. */
static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void rotate(const trainer_t *tr)
{
	const char *dir = tr->cfg.run_dir;
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;

	if (!d)
		return;
	while ((de = readdir(d))) {
		long long step;

		if (ckpt_name_step(de->d_name, &step) != 1)
			continue;
		if (n == cap) {
			char **p = realloc(names, (cap = cap ? 2 * cap : 16) * sizeof(*p));

			if (!p)
				break;
			names = p;
		}
		names[n] = strdup(de->d_name);
		if (names[n])
			n++;
	}
	closedir(d);
	/* zero-padded steps: name order is step order */
	qsort(names, n, sizeof(*names), by_name);
	for (size_t i = 0; i + (size_t)tr->cfg.keep < n; i++) {
		char p[4600];

		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		unlink(p);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* best.h5 is a second name of the checkpoint with the best validation. */
static int link_best(const trainer_t *tr, const char *path, err_t *e)
{
	char best[4600], tmp[4700];

	snprintf(best, sizeof(best), "%s/best.h5", tr->cfg.run_dir);
	if (atomic_tmp_path(best, tmp, sizeof(tmp), e))
		return -1;
	unlink(tmp);
	if (link(path, tmp))
		return err_set(e, "%s: cannot link to %s: %s", tmp, path, strerror(errno));
	if (rename(tmp, best)) {
		unlink(tmp);
		return err_set(e, "%s: cannot rename: %s", best, strerror(errno));
	}
	return 0;
}

static void stage_free(ckpt_stage_t *s)
{
	if (!s)
		return;
	free(s->snap);
	free(s->rng);
	free(s->h);
	free(s->c);
	free(s->metrics);
	free(s->val_hist);
	free(s);
}

/* The write itself, then best.h5 and the rotation: on rank 0, in the
 * writer thread or in the training thread. */
static void write_stage(ckpt_stage_t *s)
{
	double t0 = clock_now();
	struct stat st;

	if (fault_at(&s->tr->fault, FAULT_SLOW_CKPT, 0, s->tr->step))
		sleep(3);	/* a slow disk, for the watchdog's test */
	s->rc = write_full(s, &s->err);
	if (!s->rc && s->best)
		s->rc = link_best(s->tr, s->path, &s->err);
	if (!s->rc) {
		rotate(s->tr);
		s->bytes = stat(s->path, &st) ? 0.0 : (double)st.st_size;
	}
	s->write_s = clock_now() - t0;
	atomic_store(&s->done, 1);
}

static void *writer_main(void *arg)
{
	write_stage(arg);
	return NULL;
}

/* Rank 0: the stage of this step, the parameters and moments copied into
 * the staging buffers (async) or read in place. */
static int stage_take(trainer_t *tr, ckpt_stage_t *s, int async, err_t *e)
{
	ckpt_job_t *j = &tr->job;
	size_t n = tr->model.n;

	s->tr = tr;
	s->params = tr->model.params;
	s->m = tr->opt.m;
	s->v = tr->opt.v;
	s->ax = tr->opt.averaging ? tr->opt.ax : NULL;
	if (tr->n_val) {	/* small: always a copy, the bits as they are */
		if (!(s->val_hist = err_malloc((size_t)tr->n_val * sizeof(uint64_t), "val_history", e)))
			return -1;
		memcpy(s->val_hist, tr->val_hist, (size_t)tr->n_val * sizeof(uint64_t));
	}
	ckpt_step_path(tr->cfg.run_dir, tr->step, s->path, sizeof(s->path));
	s->best = isfinite(tr->val_loss) && tr->val_loss <= tr->best_val && tr->window == 0;
	/* the log as it stands now; the write reads it (read_tail) */
	if (fflush(tr->metrics) || fseek(tr->metrics, 0, SEEK_END) ||
	    (s->metrics_end = ftell(tr->metrics)) < 0)
		return err_set(e, "%s: cannot write: %s", tr->metrics_path, strerror(errno));
	if (!async)
		return 0;
	if (!(s->snap = err_malloc(sizeof(*s->snap), "checkpoint staging", e)))
		return -1;
	*s->snap = *tr;
	s->tr = s->snap;
	s->copy_s = clock_now();
	/* the staging holds those present, in this order (param_floats) */
	const float **part[4] = { &s->params, &s->m, &s->v, &s->ax };
	float *at = j->staging;
	for (int k = 0; k < 4; k++) {
		if (!*part[k])
			continue;
		memcpy(at, *part[k], n * sizeof(float));
		*part[k] = at;
		at += n;
	}
	s->copy_s = clock_now() - s->copy_s;
	return 0;
}

int checkpoint_save(trainer_t *tr, err_t *e)
{
	comm_t *c = tr->comm;
	ckpt_job_t *j = &tr->job;
	size_t per = state_floats(tr);
	int P = c->size, rank = c->rank, async = tr->cfg.ckpt_async;
	float *h = NULL, *cc = NULL;
	ckpt_stage_t *s = NULL;
	double t0 = clock_now();

	if (j->in_flight) {	/* the callers wait first (checkpoint_wait) */
		err_set(e, "checkpoint at step %lld: the write of step %lld is still in flight "
			"(internal error)", (long long)tr->step, (long long)j->step);
		return -2;
	}
	h = err_malloc(per * sizeof(float), "state", e);
	cc = err_malloc(per * sizeof(float), "state", e);
	if (rank == 0 && (s = err_calloc(1, sizeof(*s), "checkpoint", e))) {
		s->h = err_malloc((size_t)P * per * sizeof(float), "gathered state", e);
		s->c = err_malloc((size_t)P * per * sizeof(float), "gathered state", e);
		s->rng = err_malloc((size_t)P * 4 * sizeof(uint64_t), "gathered rng", e);
	}
	if (!h || !cc || (rank == 0 && (!s || !s->h || !s->c || !s->rng)))
		goto local_fail;
	pack_state(tr, h, cc);
	if (comm_gather(c, tr->drop_rng.s, sizeof(tr->drop_rng.s), rank ? NULL : s->rng, 0, e) ||
	    comm_gather(c, h, per * sizeof(float), rank ? NULL : s->h, 0, e) ||
	    comm_gather(c, cc, per * sizeof(float), rank ? NULL : s->c, 0, e))
		goto local_fail;
	free(h);
	free(cc);
	h = cc = NULL;
	if (rank == 0) {
		/* what fails here is reported like a failed write: at the next
		 * step boundary, on every rank */
		if (stage_take(tr, s, async, &s->err)) {
			s->rc = -1;
			atomic_store(&s->done, 1);
		} else if (async && pthread_create(&s->thread, NULL, writer_main, s) == 0) {
			s->threaded = 1;
		} else {
			write_stage(s);	/* --ckpt-async off, or no thread to be had */
		}
		j->stage = s;
		j->t_begun = t0;
	}
	j->in_flight = 1;
	j->step = tr->step;
	j->stall = clock_now() - t0;
	return 0;
local_fail:
	free(h);
	free(cc);
	stage_free(s);
	return -2;
}

int checkpoint_wait(trainer_t *tr, ckpt_done_t *d, err_t *e)
{
	comm_t *c = tr->comm;
	ckpt_job_t *j = &tr->job;
	ckpt_stage_t *s = j->stage;
	struct { int rc; char msg[ERR_MSG_MAX]; double write_s, bytes, copy_s; } st = { 0 };
	double t0 = clock_now();
	int64_t stall_us;

	memset(d, 0, sizeof(*d));
	if (!j->in_flight)
		return 0;
	d->waited = c->rank == 0 && s && !atomic_load(&s->done);
	/* the others wait in the bcast while rank 0 finishes the write */
	comm_io_begin(c, checkpoint_bytes(tr));
	if (c->rank == 0) {
		if (s->threaded)
			pthread_join(s->thread, NULL);
		st.rc = s->rc;
		st.write_s = s->write_s;
		st.bytes = s->bytes;
		st.copy_s = s->copy_s;
		if (s->rc)
			snprintf(st.msg, sizeof(st.msg), "%s", s->err.msg);
		stage_free(s);
		j->stage = NULL;
	}
	j->in_flight = 0;
	if (comm_bcast(c, &st, sizeof(st), 0, e)) {
		comm_io_end(c);
		return -2;
	}
	comm_io_end(c);
	/* held: the save, and this wait where it blocked */
	stall_us = (int64_t)(1e6 * (j->stall + (clock_now() - t0)));
	if (comm_allreduce_max_i64(c, &stall_us, 1, e))
		return -2;
	d->step = j->step;
	d->bytes = st.bytes;
	d->stall_s = 1e-6 * (double)stall_us;
	d->write_s = st.write_s;
	d->copy_s = st.copy_s;
	if (st.rc)
		return err_set(e, "checkpoint at step %lld not written: %s", (long long)j->step, st.msg);
	tr->last_ckpt_step = j->step;
	ckpt_step_path(tr->cfg.run_dir, j->step, tr->last_ckpt_path, sizeof(tr->last_ckpt_path));
	tr->ckpt_seconds += d->stall_s;
	return 0;
}

int checkpoint_written(const trainer_t *tr)
{
	const ckpt_stage_t *s = tr->job.stage;

	return s && atomic_load(&s->done);
}

int checkpoint_stage_init(trainer_t *tr, err_t *e)
{
	double bytes = checkpoint_staging_bytes(tr);

	if (bytes == 0.0)
		return 0;
	tr->job.staging = err_malloc((size_t)bytes, "checkpoint staging (--ckpt-async off "
				     "needs none)", e);
	if (!tr->job.staging)
		return -1;
	/* touched now: the first checkpoint's copy would otherwise pay for
	 * every page (2.6 s for 894 MiB) */
	memset(tr->job.staging, 0, (size_t)bytes);
	return 0;
}

double checkpoint_staging_bytes(const trainer_t *tr)
{
	if (!tr->cfg.ckpt_async || tr->comm->rank != 0)
		return 0.0;
	return 4.0 * param_floats(tr);
}

void checkpoint_job_free(trainer_t *tr)
{
	ckpt_stage_t *s = tr->job.stage;

	if (s && s->threaded)
		pthread_join(s->thread, NULL);	/* the file is whole before the lock goes */
	stage_free(s);
	tr->job.stage = NULL;
	tr->job.in_flight = 0;
	free(tr->job.staging);
	tr->job.staging = NULL;
}

/* ---- resuming ---- */

typedef struct {
	int n;
	char buf[2048];
} changes_t;

static void note_change(void *ctx, const char *key, const char *va, int la,
			const char *vb, int lb)
{
	changes_t *ch = ctx;
	size_t len = strlen(ch->buf);

	snprintf(ch->buf + len, sizeof(ch->buf) - len, "%s%s %.*s -> %.*s",
		 ch->n++ ? ", " : "", key, la, va, lb, vb);
}

/* The output layer must match too: kind, cutoffs, div_value, head bias. */
static int check_softmax(const model_cfg_t *c, const ckpt_meta_t *m, err_t *e)
{
	model_cfg_t f;
	char want[256], have[256];

	weights_cfg(m, &f);
	if (f.softmax != c->softmax)
		return err_set(e, "--softmax %s does not match the checkpoint's %s softmax (a model-shape setting cannot change on resume)",
			       c->softmax == MODEL_SOFTMAX_ADAPTIVE ? "adaptive" : "full", m->softmax);
	if (c->softmax != MODEL_SOFTMAX_ADAPTIVE)
		return 0;
	f.vocab = c->vocab;	/* compared above */
	model_cutoffs_str(c, want, sizeof(want));
	model_cutoffs_str(&f, have, sizeof(have));
	if (strcmp(want, have))
		return err_set(e, "--cutoffs %s do not match the checkpoint's %s (a model-shape setting cannot change on resume)",
			       want, have);
	if (f.div_value != c->div_value)
		return err_set(e, "--div-value %g does not match the checkpoint's %g (a model-shape setting cannot change on resume)",
			       c->div_value, f.div_value);
	if (f.head_bias != c->head_bias)
		return err_set(e, "--head-bias %s does not match the checkpoint's %s (a model-shape setting cannot change on resume)",
			       c->head_bias ? "on" : "off", f.head_bias ? "on" : "off");
	return 0;
}

/* The model shape must match; the message names the setting. */
static int check_shape(const trainer_t *tr, const ckpt_meta_t *m, err_t *e)
{
	const model_cfg_t *c = &tr->mcfg;

	if (m->vocab != c->vocab)
		return err_set(e, "%s: the checkpoint's vocabulary has %lld types, the data set %d",
			       tr->cfg.data, (long long)m->vocab, c->vocab);
	if (m->embed != c->embed)
		return err_set(e, "--embed %d does not match the checkpoint's %lld (a model-shape setting cannot change on resume)",
			       c->embed, (long long)m->embed);
	if (m->hidden != c->hidden)
		return err_set(e, "--hidden %d does not match the checkpoint's %lld (a model-shape setting cannot change on resume)",
			       c->hidden, (long long)m->hidden);
	if (m->layers != c->layers)
		return err_set(e, "--layers %d does not match the checkpoint's %lld (a model-shape setting cannot change on resume)",
			       c->layers, (long long)m->layers);
	if (m->top_hidden != c->top_hidden)
		return err_set(e, "--top-hidden %d does not match the checkpoint's %lld (a model-shape setting cannot change on resume)",
			       c->top_hidden, (long long)m->top_hidden);
	if (m->tie != c->tie)
		return err_set(e, "--tie is %s but the checkpoint's model is %s (a model-shape setting cannot change on resume)",
			       c->tie ? "on" : "off", m->tie ? "tied" : "untied");
	return check_softmax(c, m, e);
}

/* Rank 0: everything from the file; *usable = 0 for a refusal. */
static int load_rank0(trainer_t *tr, ckpt_t *c, resume_hdr_t *h, uint64_t **rng,
		      float **allh, float **allc, char **metrics, size_t *mlen,
		      int *usable, err_t *e)
{
	const model_t *m = &tr->model;
	size_t per = state_floats(tr);
	hid_t g;
	int rc;

	*usable = 0;
	if (strcmp(c->meta.kind, "full"))
		return err_set(e, "%s: a weights-only file holds no training state to resume", c->path);
	if (check_shape(tr, &c->meta, e))
		return -1;
	if (!tr->cfg.allow_data_change && c->meta.data_sha256[0] && tr->ds.tokens_sha256[0] &&
	    strcmp(c->meta.data_sha256, tr->ds.tokens_sha256))
		return err_set(e, "%s: its tokens (sha256 %.12s…) are not those the checkpoint %s was trained on "
			       "(%.12s…); --allow-data-change resumes anyway",
			       tr->cfg.data, tr->ds.tokens_sha256, c->path, c->meta.data_sha256);
	*usable = 1;
	if (H5Lexists(c->file, "train", H5P_DEFAULT) <= 0)
		return err_set(e, "%s: group 'train' is missing", c->path);
	g = H5Gopen2(c->file, "train", H5P_DEFAULT);
	rc = g < 0 || ts_get(g, c->path, h->v, e);
	if (!rc && (V(NRANKS) < 1 || V(NRANKS) > 1 << 20 || V(EPOCH) < 1 || V(WINDOW) < 0 ||
		    V(STEP) < 0 || V(OPTIM_T) < 0))
		rc = err_set(e, "%s: the training progress it holds is out of range", c->path);
	if (!rc)
		h->same_layout = V(NRANKS) == tr->comm->size && V(BATCH) == tr->cfg.batch &&
				 V(BPTT) == tr->cfg.bptt && V(ACCUM) == tr->cfg.accum &&
				 V(STREAM_LEN) == tr->lay.stream_len;
	if (!rc && h->same_layout) {
		*rng = err_malloc((size_t)V(NRANKS) * 4 * sizeof(uint64_t), "rng", e);
		*allh = err_malloc((size_t)V(NRANKS) * per * sizeof(float), "state", e);
		*allc = err_malloc((size_t)V(NRANKS) * per * sizeof(float), "state", e);
		rc = !*rng || !*allh || !*allc ||
		     h5_get_u64(g, "rng", *rng, (size_t)V(NRANKS), 4, c->path, e) ||
		     ckpt_read_tensor(c, "train", "h", V(NRANKS), (int64_t)per, *allh, e) ||
		     ckpt_read_tensor(c, "train", "c", V(NRANKS), (int64_t)per, *allc, e);
	}
	if (!rc)
		rc = h5_get_bytes(g, "metrics", CKPT_MAX_METRICS, metrics, mlen, c->path, e);
	h->metrics_offset = 0;
	if (!rc && h5_attr_exists(g, "metrics_offset") &&
	    h5_attr_get_i64(g, c->path, "metrics_offset", &h->metrics_offset, e))
		rc = -1;
	if (!rc && h->metrics_offset < 0)
		rc = err_set(e, "%s: 'metrics_offset' is %lld (expected >= 0)", c->path,
			     (long long)h->metrics_offset);
	if (!rc && (V(POS) < -1 || V(POS) >= V(STREAM_LEN) || V(ASGD_N) < 0))
		rc = err_set(e, "%s: /train pos %lld or asgd_n %lld is out of range (expected -1 .. "
			     "stream_len - 1, and >= 0)", c->path, (long long)V(POS),
			     (long long)V(ASGD_N));
	if (!rc && (V(VAL_COUNT) < 0 || V(VAL_COUNT) > TRAIN_MAX_VALS))
		rc = err_set(e, "%s: /train val_count is %lld (expected 0 .. %d)", c->path,
			     (long long)V(VAL_COUNT), TRAIN_MAX_VALS);
	if (!rc && V(VAL_COUNT) > 0)
		rc = train_val_reserve(tr, V(VAL_COUNT), e) ||
		     h5_get_u64(g, "val_history", (uint64_t *)tr->val_hist, (size_t)V(VAL_COUNT), 1,
				c->path, e);
	if (g >= 0)
		H5Gclose(g);
	if (rc)
		return -1;
	h->has_m = ckpt_has(c, "optim/m", m->tensor[0].name);
	h->has_v = ckpt_has(c, "optim/v", m->tensor[0].name);
	if ((h->has_m != (tr->opt.m != NULL)) || (h->has_v != (tr->opt.v != NULL)))
		return err_set(e, "%s: its optimizer state does not fit --optimizer %s", c->path,
			       optim_kind_name(tr->cfg.optimizer));
	/* NT-ASGD's average: there exactly when averaging had begun */
	int has_ax = ckpt_has(c, "optim/ax", m->tensor[0].name);

	if (has_ax != (V(ASGD_ON) != 0))
		return err_set(e, "%s: /train asgd_on is %lld but the average optim/ax is %s", c->path,
			       (long long)V(ASGD_ON), has_ax ? "there" : "missing");
	if (has_ax && !tr->opt.ax)
		return err_set(e, "%s: it holds NT-ASGD's average of the iterates; resume it with "
			       "--optimizer ntasgd", c->path);
	if (weights_get(c, m, "params", m->params, e) ||
	    (h->has_m && weights_get(c, m, "optim/m", tr->opt.m, e)) ||
	    (h->has_v && weights_get(c, m, "optim/v", tr->opt.v, e)) ||
	    (has_ax && weights_get(c, m, "optim/ax", tr->opt.ax, e)))
		return -1;
	return 0;
}

/* The first n bytes of the file at from, to out (a stdio stream). */
static int copy_head(const char *from, int64_t n, FILE *out)
{
	FILE *in = fopen(from, "rb");
	char buf[1 << 16];

	if (!in)
		return -1;
	while (n > 0) {
		size_t want = n < (int64_t)sizeof(buf) ? (size_t)n : sizeof(buf);
		size_t got = fread(buf, 1, want, in);

		if (got != want || fwrite(buf, 1, got, out) != got) {
			fclose(in);
			return -1;
		}
		n -= (int64_t)got;
	}
	fclose(in);
	return 0;
}

/* metrics.jsonl as it was when the checkpoint was written: the log's first
 * `offset` bytes, which the checkpoint did not store, from the file as it
 * is (the log only grows past them), then the stored tail.  When the file
 * is shorter than that (moved, lost), the log restarts at the tail. */
static int restore_metrics(trainer_t *tr, const char *buf, size_t len, int64_t offset,
			   err_t *e)
{
	char tmp[4700];
	struct stat st;
	int head = 0;
	FILE *f;

	if (atomic_tmp_path(tr->metrics_path, tmp, sizeof(tmp), e))
		return -1;
	if (offset > 0) {
		head = !stat(tr->metrics_path, &st) && st.st_size >= offset;
		if (!head)
			printf("%s: the log's first %lld bytes are neither in the checkpoint nor in the "
			       "file: it continues from the checkpoint's last %zu bytes\n",
			       tr->metrics_path, (long long)offset, len);
	}
	f = fopen(tmp, "wb");
	if (!f || (head && copy_head(tr->metrics_path, offset, f)) ||
	    (len && fwrite(buf, 1, len, f) != len) || fclose(f)) {
		unlink(tmp);
		return err_set(e, "%s: cannot write: %s", tmp, strerror(errno));
	}
	if (atomic_commit(tmp, tr->metrics_path, e))
		return -1;
	return 0;
}

static void apply(trainer_t *tr, const resume_hdr_t *h)
{
	int64_t pos = V(POS) >= 0 ? V(POS) : V(WINDOW) * V(BPTT);	/* older files */

	tr->lw = (train_logwin_t){ 0 };	/* its timings are this process's */
	ts_restore(tr, h->v);
	tr->pos = pos;
	tr->last_ckpt_step = h->v[TS_STEP].i;
	if (!h->same_layout) {
		/* the same fraction of every stream, in the new layout: a whole
		 * number of windows when they are fixed */
		double frac = V(STREAM_LEN) > 0 ? (double)pos / V(STREAM_LEN) : 0;

		tr->window = (int64_t)(frac * tr->lay.stream_len / tr->cfg.bptt);
		if (V(WINDOW) >= V(WINDOWS) || tr->window > tr->lay.windows)
			tr->window = tr->lay.windows;
		tr->pos = tr->window * tr->cfg.bptt;
		if (tr->cfg.bptt_var) {	/* any offset; the epoch's end stays its end */
			tr->pos = pos >= V(STREAM_LEN) - 1 ? tr->lay.stream_len - 1
							    : (int64_t)(frac * tr->lay.stream_len);
			tr->window = tr->pos / tr->cfg.bptt;
		}
		tr->lw = (train_logwin_t){ 0 };
	}
}

int checkpoint_resume(trainer_t *tr, const char *path, err_t *e)
{
	comm_t *c = tr->comm;
	model_t *m = &tr->model;
	size_t per = state_floats(tr);
	resume_hdr_t *h = calloc(1, sizeof(*h));
	uint64_t *rng = NULL;
	float *allh = NULL, *allc = NULL, *mh = NULL, *mc = NULL;
	char *metrics = NULL, old_json[8192] = "";
	size_t mlen = 0;
	int rc = -1;

	if (!h)
		return err_set(e, "out of memory");
	comm_io_begin(c, checkpoint_bytes(tr));	/* rank 0 reads, the others wait */
	if (c->rank == 0) {
		ckpt_t ck;
		int usable = 0;

		if (ckpt_open(&ck, path, e) == 0) {
			snprintf(old_json, sizeof(old_json), "%s", ck.meta.run_config);
			h->status = load_rank0(tr, &ck, h, &rng, &allh, &allc, &metrics, &mlen,
					       &usable, e) ? (usable ? -1 : 1) : 0;
			ckpt_close(&ck);
		} else {
			h->status = 1;
		}
		if (h->status)
			snprintf(h->msg, sizeof(h->msg), "%s", e->msg);
		if (!h->status && restore_metrics(tr, metrics, mlen, h->metrics_offset, e)) {
			h->status = -1;
			snprintf(h->msg, sizeof(h->msg), "%s", e->msg);
		}
	}
	rc = comm_bcast(c, h, sizeof(*h), 0, e);
	comm_io_end(c);
	if (rc) {
		rc = -1;
		goto out;
	}
	rc = -1;
	if (h->status) {
		/* the same on every rank: a refusal, or rank 0 could not read */
		err_set(e, "cannot resume from %s: %s", path, h->msg);
		rc = 1;
		goto out;
	}
	if (comm_bcast(c, m->params, m->n * sizeof(float), 0, e) ||
	    (tr->opt.m && comm_bcast(c, tr->opt.m, m->n * sizeof(float), 0, e)) ||
	    (tr->opt.v && comm_bcast(c, tr->opt.v, m->n * sizeof(float), 0, e)))
		goto out;
	apply(tr, h);
	if ((tr->opt.averaging && comm_bcast(c, tr->opt.ax, m->n * sizeof(float), 0, e)) ||
	    (tr->n_val && (train_val_reserve(tr, tr->n_val, e) ||
			   comm_bcast(c, tr->val_hist, (size_t)tr->n_val * sizeof(double), 0, e))))
		goto out;
	/* a rollback resumes from last_ckpt_path itself: copying a string onto
	 * itself with snprintf is undefined (glibc left it empty, so a second
	 * rollback found "no checkpoint yet") */
	if (path != tr->last_ckpt_path)
		snprintf(tr->last_ckpt_path, sizeof(tr->last_ckpt_path), "%s", path);
	if (h->same_layout) {
		mh = err_malloc(per * sizeof(float), "state", e);
		mc = err_malloc(per * sizeof(float), "state", e);
		if (!mh || !mc ||
		    comm_scatter(c, rng, sizeof(tr->drop_rng.s), tr->drop_rng.s, 0, e) ||
		    comm_scatter(c, allh, per * sizeof(float), mh, 0, e) ||
		    comm_scatter(c, allc, per * sizeof(float), mc, 0, e))
			goto out;
		unpack_state(tr, mh, mc);
	} else {
		for (int k = 0; k < tr->cfg.accum; k++)
			model_state_zero(&tr->state[k]);
	}
	if (c->rank == 0) {
		changes_t ch = { 0, "" };

		printf("resumed from %s: epoch %d, step %lld, window %lld of %lld\n", path,
		       tr->epoch, (long long)tr->step, (long long)tr->window,
		       (long long)tr->lay.windows);
		if (!h->same_layout)
			printf("  layout changed (%lld ranks x batch %lld, bptt %lld -> %d x %d, bptt %d): "
			       "data position mapped from window %lld/%lld to %lld/%lld; "
			       "warning: the carried LSTM state starts from zero\n",
			       (long long)V(NRANKS), (long long)V(BATCH), (long long)V(BPTT),
			       c->size, tr->cfg.batch, tr->cfg.bptt, (long long)V(WINDOW),
			       (long long)V(WINDOWS), (long long)tr->window,
			       (long long)tr->lay.windows);
		if (old_json[0] &&
		    train_cfg_json_diff(old_json, tr->json, NULL, note_change, &ch))
			printf("  settings changed on resume: %s\n", ch.buf);
		fflush(stdout);
	}
	rc = 0;
out:
	free(h);
	free(rng);
	free(allh);
	free(allc);
	free(mh);
	free(mc);
	free(metrics);
	return rc;
}

/* ---- --resume auto: the newest good checkpoint ---- */

typedef struct {
	long long step;	/* -1: best.h5, tried last */
	char name[64];
} cand_t;

static int by_step_desc(const void *a, const void *b)
{
	long long x = ((const cand_t *)a)->step, y = ((const cand_t *)b)->step;

	return (x < y) - (x > y);
}

/* What `ckpt verify` checks: a full checkpoint whose shapes, CRC-32s and
 * values all pass. */
static int check_file(const char *path, err_t *e)
{
	model_t m;
	ckpt_t c;
	int count, rc;

	if (weights_open(path, &c, &m, e))
		return -1;
	rc = strcmp(c.meta.kind, "full")
		     ? err_set(e, "%s: a weights-only file, not a checkpoint", path)
		     : ckpt_verify_all(&c, &count, e);
	model_free(&m);
	ckpt_close(&c);
	return rc;
}

/* dir/name to dir/where/name (name.1, name.2, ... if taken). */
static int move_aside(const char *dir, const char *where, const char *name, err_t *e)
{
	char from[4600], to[4700], sub[4600];
	struct stat st;

	snprintf(from, sizeof(from), "%s/%s", dir, name);
	snprintf(sub, sizeof(sub), "%s/%s", dir, where);
	if (mkdir(sub, 0777) && errno != EEXIST)
		return err_set(e, "%s: cannot create: %s", sub, strerror(errno));
	snprintf(to, sizeof(to), "%s/%s", sub, name);
	for (int k = 1; !stat(to, &st) && k < 1000; k++)
		snprintf(to, sizeof(to), "%s/%s.%d", sub, name, k);
	if (rename(from, to))
		return err_set(e, "%s: cannot move to %s: %s", from, to, strerror(errno));
	return 0;
}

int checkpoint_find_good(const char *dir, char *path, size_t n, err_t *e)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	cand_t *c = NULL;
	size_t nc = 0, cap = 0;
	int rc = 1, failed = 0;

	if (!d)
		return errno == ENOENT ? 1 : err_set(e, "%s: cannot open: %s", dir, strerror(errno));
	while ((de = readdir(d))) {
		long long step;
		size_t len = strlen(de->d_name);

		if (ckpt_name_step(de->d_name, &step) < 0 || len >= sizeof(c->name))
			continue;
		if (nc == cap) {
			cand_t *nb = realloc(c, (cap = cap ? 2 * cap : 16) * sizeof(*c));

			if (!nb) {
				closedir(d);
				free(c);
				return err_set(e, "out of memory listing %s", dir);
			}
			c = nb;
		}
		c[nc].step = step;	/* best.h5: -1, tried last */
		memcpy(c[nc].name, de->d_name, len + 1);	/* len < sizeof(name) */
		nc++;
	}
	closedir(d);
	if (nc)
		qsort(c, nc, sizeof(*c), by_step_desc);
	for (size_t i = 0; i < nc && rc; i++) {
		err_t why;

		snprintf(path, n, "%s/%s", dir, c[i].name);
		if (!check_file(path, &why)) {
			rc = 0;
			break;
		}
		printf("skipping a damaged checkpoint: %s\n", why.msg);
		if (move_aside(dir, "damaged", c[i].name, e)) {
			rc = -1;
			break;
		}
		printf("  moved to %s/damaged/\n", dir);
		rc = -1;
		if (!failed++)
			err_set(e, "every checkpoint in %s failed its checks (moved to %s/damaged/; the "
				"newest: %s); not starting from scratch while they exist", dir, dir,
				why.msg);
	}
	free(c);
	return rc;
}

/* The step a checkpoint file says it holds; -1 when it cannot be read. */
static long long file_step(const char *path)
{
	ckpt_t c;
	err_t e;
	long long step;

	if (ckpt_open(&c, path, &e))
		return -1;
	step = c.meta.step;
	ckpt_close(&c);
	return step;
}

int checkpoint_branch(const char *dir, const char *file, int branch, err_t *e)
{
	char names[8][64], p[4600];
	long long at = file_step(file);
	int n = 0, more = 0;
	struct stat sf, sp;
	DIR *d;
	struct dirent *de;

	if (at < 0 || stat(file, &sf) || !(d = opendir(dir)))
		return 0;	/* the resume itself says what is wrong */
	while ((de = readdir(d))) {
		long long step;
		size_t len = strlen(de->d_name);

		if (ckpt_name_step(de->d_name, &step) < 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if (!stat(p, &sp) && sp.st_dev == sf.st_dev && sp.st_ino == sf.st_ino)
			continue;	/* FILE itself, or best.h5 linked to it */
		if (step < 0)
			step = file_step(p);
		if (step <= at || len >= sizeof(names[0]))
			continue;
		if (n < 8)
			memcpy(names[n++], de->d_name, len + 1);	/* len < sizeof(names[0]) */
		else
			more++;
	}
	closedir(d);
	if (!n)
		return 0;
	if (!branch)
		return err_set(e, "%s holds %d checkpoint%s later than %s (step %lld): %s%s%s; the next "
			       "--resume auto would continue %s, and rotation would delete this branch's; "
			       "--branch moves them to %s/superseded/ first", dir, n + more,
			       n + more == 1 ? "" : "s", file, at, names[0], n > 1 ? ", ..." : "",
			       more ? " and more" : "", n + more == 1 ? "it" : "them", dir);
	if (more)
		return err_set(e, "%s: more than 8 checkpoints later than %s: move them aside by hand",
			       dir, file);
	for (int i = 0; i < n; i++)
		if (move_aside(dir, "superseded", names[i], e))
			return -1;
	printf("--branch: moved %d checkpoint%s later than step %lld to %s/superseded/\n", n,
	       n == 1 ? "" : "s", at, dir);
	return 0;
}
