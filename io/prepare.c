/* prepare.c - the two passes of `engram prepare` and the HDF5 writing. */
#include "io/prepare.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hdf5.h>

#include "io/atomic.h"
#include "io/h5.h"
#include "io/sha256.h"
#include "io/vocab.h"

const char *const split_names[3] = { "train", "valid", "test" };

#define CHUNK_IDS 32768		/* ids per HDF5 chunk */
#define APPEND_IDS 65536	/* ids buffered before each write */
#define DEFLATE_LEVEL 4
#define PROGRESS_MIN_BYTES (16ULL << 20)

typedef struct {
	const char *path;
	uint64_t begin, end;
} region_t;

/* Progress on a terminal: "prepare: pass 1/2  37% of 1.1 GB". */
typedef struct {
	int on, pass;
	uint64_t base, total;
	struct timespec last;
} progress_t;

static void progress_cb(void *ctx, uint64_t done)
{
	progress_t *p = ctx;
	struct timespec now;

	if (!p->on)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if ((now.tv_sec - p->last.tv_sec) * 1000000000L +
	    (now.tv_nsec - p->last.tv_nsec) < 250000000L)
		return;
	p->last = now;
	fprintf(stderr, "\rprepare: pass %d/2 %3d%% of %.1f MB", p->pass,
		(int)(100.0 * (double)(p->base + done) / (double)p->total),
		(double)p->total / 1e6);
}

static int regions(const prepare_cfg_t *cfg, region_t r[3], err_t *e)
{
	uint64_t size, cut[2];

	if (cfg->nin == 3) {
		for (int s = 0; s < 3; s++) {
			r[s].path = cfg->in[s];
			r[s].begin = 0;
			if (text_file_size(cfg->in[s], &r[s].end, e))
				return -1;
			if (r[s].end == 0)
				return err_set(e, "%s: empty file (expected the %s split's text)",
					       cfg->in[s], split_names[s]);
		}
		return 0;
	}
	if (text_file_size(cfg->in[0], &size, e))
		return -1;
	if (size == 0)
		return err_set(e, "%s: empty file (expected text)", cfg->in[0]);
	for (int k = 0; k < 2; k++) {
		double f = cfg->frac[0] + (k ? cfg->frac[1] : 0.0);

		if (text_find_cut(cfg->in[0], (uint64_t)(f * (double)size), size,
				  cfg->kind, &cut[k], e))
			return -1;
	}
	if (cut[1] < cut[0])
		cut[1] = cut[0];
	for (int s = 0; s < 3; s++) {
		r[s].path = cfg->in[0];
		r[s].begin = s == 0 ? 0 : cut[s - 1];
		r[s].end = s == 2 ? size : cut[s];
		if (r[s].end <= r[s].begin)
			return err_set(e, "%s: the %s split is empty (%llu bytes cut %.3g/%.3g/%.3g "
				       "at line ends; expected a larger text or other --split fractions)",
				       cfg->in[0], split_names[s], (unsigned long long)size,
				       cfg->frac[0], cfg->frac[1], cfg->frac[2]);
	}
	return 0;
}

/* ---- pass 1: hashes and train types ---- */

typedef struct {
	vocab_t *types;
	int oov;	/* a valid/test type that train lacks */
} count_ctx_t;

static int count_type(void *ctx, const char *s, size_t len, err_t *e)
{
	count_ctx_t *c = ctx;

	return vocab_add(c->types, s, len, 1, NULL, e);
}

static int check_type(void *ctx, const char *s, size_t len, err_t *e)
{
	count_ctx_t *c = ctx;

	if (!c->oov && vocab_find(c->types, s, len) < 0)
		c->oov = 1;
	return 0;
}

static int pass1(const prepare_cfg_t *cfg, const region_t r[3], vocab_t *types,
		 int *oov, prepare_stats_t *st, progress_t *pg, err_t *e)
{
	count_ctx_t cc = { types, 0 };
	sha256_t sha;

	for (int s = 0; s < 3; s++) {
		text_scan_t sc = {
			.path = r[s].path, .begin = r[s].begin, .end = r[s].end,
			.kind = cfg->kind, .sha = &sha, .ctx = &cc,
			.progress = progress_cb, .progress_ctx = pg,
		};

		/* One file split three ways hashes as one stream. */
		if (cfg->nin == 3 || s == 0)
			sha256_init(&sha);
		if (cfg->kind != TOK_BYTE)
			sc.fn = s == 0 ? count_type : check_type;
		if (text_scan(&sc, e))
			return -1;
		pg->base += r[s].end - r[s].begin;
		if (cfg->nin == 3 || s == 2) {
			char hex[65];

			sha256_final_hex(&sha, hex);
			for (int k = cfg->nin == 3 ? s : 0; k <= s; k++)
				memcpy(st->sha[k], hex, sizeof(hex));
		}
	}
	*oov = cc.oov;
	return 0;
}

/* ---- pass 2: ids into extendible datasets ---- */

typedef struct {
	const vocab_t *vocab;	/* NULL for byte */
	int64_t unk_id;
	hid_t dset;
	uint32_t buf[APPEND_IDS];
	size_t nbuf;
	uint64_t written, nunk;
	sha256_t *tokens_sha;
	const char *out;
	const char *split;
} append_ctx_t;

static int flush_ids(append_ctx_t *a, err_t *e)
{
	hsize_t start = a->written, count = a->nbuf, size = a->written + a->nbuf;
	hid_t fs, ms;
	herr_t rc;
	uint8_t le[4 * APPEND_IDS];

	if (!a->nbuf)
		return 0;
	for (size_t i = 0; i < a->nbuf; i++)
		for (int b = 0; b < 4; b++)
			le[4 * i + b] = (uint8_t)(a->buf[i] >> (8 * b));
	sha256_update(a->tokens_sha, le, 4 * a->nbuf);
	if (H5Dset_extent(a->dset, &size) < 0)
		return err_set(e, "%s: cannot extend dataset '%s'", a->out, a->split);
	fs = H5Dget_space(a->dset);
	ms = H5Screate_simple(1, &count, NULL);
	H5Sselect_hyperslab(fs, H5S_SELECT_SET, &start, NULL, &count, NULL);
	rc = H5Dwrite(a->dset, H5T_NATIVE_UINT32, ms, fs, H5P_DEFAULT, a->buf);
	H5Sclose(ms);
	H5Sclose(fs);
	if (rc < 0)
		return err_set(e, "%s: cannot write dataset '%s' (disk full?)", a->out,
			       a->split);
	a->written += a->nbuf;
	a->nbuf = 0;
	return 0;
}

static int append_token(void *ctx, const char *s, size_t len, err_t *e)
{
	append_ctx_t *a = ctx;
	int64_t id;

	if (!a->vocab) {
		id = (uint8_t)s[0];
	} else {
		id = vocab_find(a->vocab, s, len);
		if (id < 0)
			id = a->unk_id;
	}
	if (id == a->unk_id)
		a->nunk++;
	a->buf[a->nbuf++] = (uint32_t)id;
	return a->nbuf == APPEND_IDS ? flush_ids(a, e) : 0;
}

static hid_t create_ids(hid_t file, const char *name, int bits)
{
	hsize_t dim = 0, maxdim = H5S_UNLIMITED, chunk = CHUNK_IDS;
	hid_t space = H5Screate_simple(1, &dim, &maxdim);
	hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
	hid_t d;

	H5Pset_chunk(dcpl, 1, &chunk);
	H5Pset_shuffle(dcpl);
	H5Pset_deflate(dcpl, DEFLATE_LEVEL);
	d = H5Dcreate2(file, name, bits == 16 ? H5T_STD_U16LE : H5T_STD_U32LE,
		       space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
	H5Pclose(dcpl);
	H5Sclose(space);
	return d;
}

static int write_split(const prepare_cfg_t *cfg, hid_t file, int s,
		       const region_t *r, const vocab_t *vocab,
		       prepare_stats_t *st, sha256_t *tokens_sha,
		       progress_t *pg, err_t *e)
{
	append_ctx_t *a = err_calloc(1, sizeof(*a), "id buffer", e);
	text_scan_t sc = {
		.path = r->path, .begin = r->begin, .end = r->end,
		.kind = cfg->kind, .fn = append_token,
		.progress = progress_cb, .progress_ctx = pg,
	};
	int64_t range[2] = { (int64_t)r->begin, (int64_t)r->end };
	int rc = -1;

	if (!a)
		return -1;
	*a = (append_ctx_t){ .vocab = cfg->kind == TOK_BYTE ? NULL : vocab,
			     .unk_id = st->unk_id, .tokens_sha = tokens_sha,
			     .out = cfg->out, .split = split_names[s] };
	sc.ctx = a;
	a->dset = create_ids(file, split_names[s], st->id_bits);
	if (a->dset < 0) {
		err_set(e, "%s: cannot create dataset '%s'", cfg->out, split_names[s]);
		goto out;
	}
	if (text_scan(&sc, e) || flush_ids(a, e))
		goto out;
	pg->base += r->end - r->begin;
	st->ntok[s] = a->written;
	st->nunk[s] = a->nunk;
	if (h5_attr_put_str(a->dset, "source", r->path, e) ||
	    h5_attr_put_str(a->dset, "source_sha256", st->sha[s], e) ||
	    h5_attr_put_i64v(a->dset, "source_range", range, 2, e) ||
	    h5_attr_put_i64(a->dset, "unk_tokens", (int64_t)a->nunk, e))
		goto out;
	rc = 0;
out:
	if (a->dset >= 0)
		H5Dclose(a->dset);
	free(a);
	return rc;
}

static int write_file(const prepare_cfg_t *cfg, const char *tmp,
		      const region_t r[3], const vocab_t *vocab,
		      prepare_stats_t *st, progress_t *pg, err_t *e)
{
	sha256_t tsha;
	int64_t ntok[3];
	hid_t f;
	int rc = -1;

	f = h5_create(tmp);
	if (f < 0)
		return err_set(e, "%s: cannot create the output file", tmp);
	sha256_init(&tsha);
	if (cfg->kind != TOK_BYTE && h5_write_vocab(f, "vocab", vocab, cfg->out, e))
		goto out;
	for (int s = 0; s < 3; s++)
		if (write_split(cfg, f, s, &r[s], vocab, st, &tsha, pg, e))
			goto out;
	sha256_final_hex(&tsha, st->tokens_sha);
	for (int s = 0; s < 3; s++)
		ntok[s] = (int64_t)st->ntok[s];
	if (h5_attr_put_str(f, "format", DS_FORMAT, e) ||
	    h5_attr_put_i64(f, "format_version", DS_FORMAT_VERSION, e) ||
	    h5_attr_put_str(f, "tokenizer", tok_kind_name(cfg->kind), e) ||
	    h5_attr_put_i64(f, "vocab_size", (int64_t)st->vocab_size, e) ||
	    h5_attr_put_i64(f, "unk_id", st->unk_id, e) ||
	    h5_attr_put_i64(f, "eos_id", st->eos_id, e) ||
	    h5_attr_put_i64v(f, "num_tokens", ntok, 3, e) ||
	    h5_attr_put_str(f, "tokens_sha256", st->tokens_sha, e))
		goto out;
	rc = 0;
out:
	if (H5Fclose(f) < 0 && rc == 0)
		rc = err_set(e, "%s: cannot close the output file (disk full?)", tmp);
	return rc;
}

static int check_cfg(const prepare_cfg_t *cfg, err_t *e)
{
	if (cfg->nin == 1) {
		double sum = cfg->frac[0] + cfg->frac[1] + cfg->frac[2];

		for (int s = 0; s < 3; s++)
			if (!(cfg->frac[s] > 0.0 && cfg->frac[s] < 1.0))
				return err_set(e, "--split: the %s fraction must be in (0, 1) (got %g)",
					       split_names[s], cfg->frac[s]);
		if (sum < 0.999 || sum > 1.001)
			return err_set(e, "--split: fractions must add up to 1 (got %g)", sum);
	} else if (cfg->nin != 3) {
		return err_set(e, "prepare: give one input file (split by --split) or three (train valid test), got %d",
			       cfg->nin);
	}
	if (!cfg->force && access(cfg->out, F_OK) == 0)
		return err_set(e, "%s: exists (use --force to replace it)", cfg->out);
	return 0;
}

int prepare_run(const prepare_cfg_t *cfg, prepare_stats_t *st, err_t *e)
{
	region_t r[3];
	vocab_t types, vocab;
	progress_t pg = { 0 };
	char tmp[4200];
	int oov = 0, rc = -1;

	memset(st, 0, sizeof(*st));
	st->unk_id = st->eos_id = -1;
	h5_quiet();
	if (check_cfg(cfg, e) || regions(cfg, r, e))
		return -1;
	for (int s = 0; s < 3; s++) {
		st->range[s][0] = r[s].begin;
		st->range[s][1] = r[s].end;
		pg.total += r[s].end - r[s].begin;
	}
	pg.on = cfg->progress && pg.total >= PROGRESS_MIN_BYTES;
	pg.pass = 1;
	if (vocab_init(&types, e))
		return -1;
	if (vocab_init(&vocab, e)) {
		vocab_free(&types);
		return -1;
	}
	if (pass1(cfg, r, &types, &oov, st, &pg, e))
		goto out;
	if (cfg->kind == TOK_BYTE) {
		st->vocab_size = 256;
	} else {
		if (vocab_build(&types, cfg->vocab_cap, oov, TEXT_UNK, &vocab,
				&st->unk_id, e))
			goto out;
		st->vocab_size = vocab.n;
		if (cfg->kind == TOK_WORD)
			st->eos_id = vocab_find(&vocab, TEXT_EOS, strlen(TEXT_EOS));
	}
	vocab_free(&types);	/* zeroes it: the cleanup below skips it */
	st->id_bits = st->vocab_size <= 65536 ? 16 : 32;
	if (atomic_tmp_path(cfg->out, tmp, sizeof(tmp), e))
		goto out;
	pg.pass = 2;
	pg.base = 0;
	if (write_file(cfg, tmp, r, &vocab, st, &pg, e)) {
		unlink(tmp);
		goto out;
	}
	if (atomic_commit(tmp, cfg->out, e)) {
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	if (pg.on)
		fprintf(stderr, "\r%40s\r", "");
	if (types.slot)
		vocab_free(&types);
	vocab_free(&vocab);
	return rc;
}
