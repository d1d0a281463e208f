/* ds.c - validation and sharded BPTT-window reads of token data sets. */
#include "io/ds.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/h5.h"
#include "io/prepare.h"

/* Chunk cache per split: a window touches one or two chunks per stream. */
#define DS_CACHE_BYTES (32u << 20)
#define DS_CACHE_SLOTS 12421
/* zlib's deflate shrinks at most about 1032:1; allow some slack. */

int split_parse(const char *s, int *split)
{
	for (int i = 0; i < SPLIT_COUNT; i++)
		if (!strcmp(s, split_names[i])) {
			*split = i;
			return 0;
		}
	return -1;
}

/*
 * A split's ids must be backed by bytes of the file: HDF5 allocates what a
 * chunk's index entry claims before reading it, copies past a compact
 * dataset's buffer when its stored size is short (libhdf5 1.10), and reads
 * chunks never written as zeros, so a forged header could otherwise make
 * engram allocate gigabytes, read out of bounds, or train for ever on a
 * file of a few kilobytes.
 */
static int check_stored(ds_t *ds, int s, hsize_t n, size_t tsize, err_t *e)
{
	uint64_t stored = 0;
	int bad_chunks = 0;

	if (n > (hsize_t)INT64_MAX / 8)
		return err_set(e, "%s: dataset '%s' claims %llu ids (damaged or forged)", ds->path,
			       split_names[s], (unsigned long long)n);
	if (h5_storage_plausible(ds->dset[s], (uint64_t)n * tsize, &stored, &bad_chunks))
		return 0;
	if (bad_chunks)
		return err_set(e, "%s: dataset '%s' has chunks of more than 64 MiB, or too many (damaged or forged)",
			       ds->path, split_names[s]);
	return err_set(e, "%s: dataset '%s' claims %llu ids stored in %llu bytes (damaged or forged)",
		       ds->path, split_names[s], (unsigned long long)n,
		       (unsigned long long)stored);
}

static int open_split(ds_t *ds, int s, err_t *e)
{
	const char *name = split_names[s];
	hid_t dapl, t, sp;
	int rank, ok;
	hsize_t dim;
	size_t tsize = 0;

	ds->dset[s] = -1;
	ds->ntok[s] = -1;
	if (H5Lexists(ds->file, name, H5P_DEFAULT) <= 0)
		return 0;
	dapl = H5Pcreate(H5P_DATASET_ACCESS);
	H5Pset_chunk_cache(dapl, DS_CACHE_SLOTS, DS_CACHE_BYTES, 1.0);
	ds->dset[s] = H5Dopen2(ds->file, name, dapl);
	H5Pclose(dapl);
	if (ds->dset[s] < 0)
		return err_set(e, "%s: '%s' is not a dataset", ds->path, name);
	t = H5Dget_type(ds->dset[s]);
	ok = t >= 0 && H5Tget_class(t) == H5T_INTEGER && H5Tget_size(t) <= 8;
	if (t >= 0) {
		tsize = H5Tget_size(t);
		H5Tclose(t);
	}
	if (!ok)
		return err_set(e, "%s: dataset '%s' is not of an integer type (expected token ids)",
			       ds->path, name);
	sp = H5Dget_space(ds->dset[s]);
	rank = H5Sget_simple_extent_ndims(sp);
	if (rank == 1)
		H5Sget_simple_extent_dims(sp, &dim, NULL);
	H5Sclose(sp);
	if (rank != 1)
		return err_set(e, "%s: dataset '%s' has %d dimensions (expected 1)",
			       ds->path, name, rank);
	if (check_stored(ds, s, dim, tsize, e))
		return -1;
	ds->ntok[s] = (int64_t)dim;
	return 0;
}

/* The whole vocabulary, read as its users read it (count, UTF-8, no
 * duplicates, CRC), so that a data set that opens is one that trains and
 * whose checkpoints load. */
static int check_vocab(ds_t *ds, err_t *e)
{
	vocab_t v;
	int rc;

	if (!ds_has_vocab(ds))
		return 0;
	if (vocab_init(&v, e))
		return -1;
	rc = ds_vocab(ds, &v, e);
	vocab_free(&v);
	return rc;
}

/* A special token's id: -1 (none) or an id of the vocabulary. */
static int check_special(const ds_t *ds, const char *name, int64_t id, err_t *e)
{
	if (id >= -1 && id < ds->vocab_size)
		return 0;
	return err_set(e, "%s: attribute '%s' is %lld (expected -1 .. %lld, vocab_size %lld)",
		       ds->path, name, (long long)id, (long long)ds->vocab_size - 1,
		       (long long)ds->vocab_size);
}

static int read_attrs(ds_t *ds, err_t *e)
{
	hid_t f = ds->file;

	if (h5_attr_get_i64(f, ds->path, "vocab_size", &ds->vocab_size, e))
		return -1;
	if (ds->vocab_size < 1 || ds->vocab_size > 0xffffffffLL)
		return err_set(e, "%s: attribute 'vocab_size' is %lld (expected 1 .. 2^32-1)",
			       ds->path, (long long)ds->vocab_size);
	snprintf(ds->tokenizer, sizeof(ds->tokenizer), "unknown");
	if (h5_attr_exists(f, "tokenizer") &&
	    h5_attr_get_str(f, ds->path, "tokenizer", ds->tokenizer,
			    sizeof(ds->tokenizer), e))
		return -1;
	ds->unk_id = ds->eos_id = -1;
	if (h5_attr_exists(f, "unk_id") &&
	    h5_attr_get_i64(f, ds->path, "unk_id", &ds->unk_id, e))
		return -1;
	if (h5_attr_exists(f, "eos_id") &&
	    h5_attr_get_i64(f, ds->path, "eos_id", &ds->eos_id, e))
		return -1;
	/* the checkpoint reader (io/ckpt.c) refuses ids outside the vocabulary:
	 * refuse them here first, or a run would write checkpoints nothing reads */
	if (check_special(ds, "unk_id", ds->unk_id, e) ||
	    check_special(ds, "eos_id", ds->eos_id, e))
		return -1;
	ds->tokens_sha256[0] = '\0';
	if (h5_attr_exists(f, "tokens_sha256") &&
	    h5_attr_get_str(f, ds->path, "tokens_sha256", ds->tokens_sha256,
			    sizeof(ds->tokens_sha256), e))
		return -1;
	if (h5_attr_exists(f, "format_version")) {
		int64_t v;

		if (h5_attr_get_i64(f, ds->path, "format_version", &v, e))
			return -1;
		if (v > DS_FORMAT_VERSION)
			return err_set(e, "%s: data set format version %lld is newer than this engram reads (%d)",
				       ds->path, (long long)v, DS_FORMAT_VERSION);
	}
	return 0;
}

int ds_open(ds_t *ds, const char *path, err_t *e)
{
	memset(ds, 0, sizeof(*ds));
	for (int s = 0; s < SPLIT_COUNT; s++)
		ds->dset[s] = -1;
	snprintf(ds->path, sizeof(ds->path), "%s", path);
	h5_quiet();
	if (access(path, R_OK) != 0) {
		ds->file = -1;
		return err_set(e, "%s: cannot open: %s", path, strerror(errno));
	}
	if (H5Fis_hdf5(path) <= 0) {
		ds->file = -1;
		return err_set(e, "%s: not an HDF5 file, or truncated (expected a token data set from engram prepare)",
			       path);
	}
	ds->file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
	if (ds->file < 0)
		return err_set(e, "%s: cannot open as HDF5 (truncated or damaged?)", path);
	stat(path, &ds->st);
	if (read_attrs(ds, e))
		goto fail;
	for (int s = 0; s < SPLIT_COUNT; s++)
		if (open_split(ds, s, e))
			goto fail;
	if (ds->dset[SPLIT_TRAIN] < 0 && ds->dset[SPLIT_VALID] < 0 &&
	    ds->dset[SPLIT_TEST] < 0) {
		err_set(e, "%s: no dataset 'train', 'valid' or 'test' (expected 1-D token ids)", path);
		goto fail;
	}
	if (check_vocab(ds, e))
		goto fail;
	return 0;
fail:
	ds_close(ds);
	return -1;
}

int ds_changed(const ds_t *ds)
{
	struct stat now;

	if (stat(ds->path, &now))
		return 1;
	if (now.st_ino != ds->st.st_ino || now.st_dev != ds->st.st_dev)
		return 1;
	if (now.st_size != ds->st.st_size || now.st_mtim.tv_sec != ds->st.st_mtim.tv_sec ||
	    now.st_mtim.tv_nsec != ds->st.st_mtim.tv_nsec)
		return 2;
	return 0;
}

void ds_close(ds_t *ds)
{
	/* valid ids are positive; 0 is a ds_t that was never opened */
	for (int s = 0; s < SPLIT_COUNT; s++)
		if (ds->dset[s] > 0)
			H5Dclose(ds->dset[s]);
	if (ds->file > 0)
		H5Fclose(ds->file);
	free(ds->scratch);
	ds->scratch = NULL;
	ds->file = -1;
	for (int s = 0; s < SPLIT_COUNT; s++)
		ds->dset[s] = -1;
}

static int need_split(const ds_t *ds, int split, err_t *e)
{
	if (split < 0 || split >= SPLIT_COUNT || ds->dset[split] < 0)
		return err_set(e, "%s: has no dataset '%s'", ds->path,
			       split >= 0 && split < SPLIT_COUNT ? split_names[split] : "?");
	return 0;
}

static int grow_scratch(ds_t *ds, size_t n, err_t *e)
{
	int64_t *p;

	if (n <= ds->scratch_n)
		return 0;
	p = realloc(ds->scratch, n * sizeof(*p));
	if (!p)
		return err_set(e, "out of memory: read buffer of %zu ids", n);
	ds->scratch = p;
	ds->scratch_n = n;
	return 0;
}

/* Reads the current selection of fs (n ids) into the scratch buffer; ids
 * come in as int64 so that negative or huge values cannot wrap unseen. */
static int read_sel(ds_t *ds, int split, hid_t fs, size_t n, err_t *e)
{
	hsize_t dim = n;
	hid_t ms;
	herr_t rc;

	if (grow_scratch(ds, n, e))
		return -1;
	ms = H5Screate_simple(1, &dim, NULL);
	rc = H5Dread(ds->dset[split], H5T_NATIVE_INT64, ms, fs, H5P_DEFAULT,
		     ds->scratch);
	H5Sclose(ms);
	if (rc < 0)
		return err_set(e, "%s: cannot read dataset '%s' (truncated or damaged file?)",
			       ds->path, split_names[split]);
	return 0;
}

static int check_id(const ds_t *ds, int split, int64_t id, int64_t at, err_t *e)
{
	if (id >= 0 && id < ds->vocab_size)
		return 0;
	return err_set(e, "%s: dataset '%s' holds id %lld at offset %lld (expected 0 .. vocab_size-1 = %lld)",
		       ds->path, split_names[split], (long long)id, (long long)at,
		       (long long)ds->vocab_size - 1);
}

int ds_read(ds_t *ds, int split, int64_t off, int64_t n, int32_t *out,
	    err_t *e)
{
	hsize_t start = (hsize_t)off, count = (hsize_t)n;
	hid_t fs;
	int rc;

	if (need_split(ds, split, e))
		return -1;
	if (off < 0 || n < 0 || off + n > ds->ntok[split])
		return err_set(e, "%s: read of [%lld, %lld) is outside dataset '%s' of %lld ids",
			       ds->path, (long long)off, (long long)(off + n),
			       split_names[split], (long long)ds->ntok[split]);
	if (n == 0)
		return 0;
	fs = H5Dget_space(ds->dset[split]);
	H5Sselect_hyperslab(fs, H5S_SELECT_SET, &start, NULL, &count, NULL);
	rc = read_sel(ds, split, fs, (size_t)n, e);
	H5Sclose(fs);
	if (rc)
		return -1;
	for (int64_t i = 0; i < n; i++) {
		if (check_id(ds, split, ds->scratch[i], off + i, e))
			return -1;
		out[i] = (int32_t)ds->scratch[i];
	}
	return 0;
}

int ds_count_ids(ds_t *ds, int split, int64_t max_tokens, int64_t *counts,
		 int64_t *n, err_t *e)
{
	enum { CHUNK = 1 << 20 };
	int32_t *buf;
	int64_t total;

	if (need_split(ds, split, e))
		return -1;
	total = ds->ntok[split] < max_tokens ? ds->ntok[split] : max_tokens;
	buf = err_malloc(CHUNK * sizeof(*buf), "id counts", e);
	if (!buf)
		return -1;
	memset(counts, 0, (size_t)ds->vocab_size * sizeof(*counts));
	for (int64_t off = 0; off < total; off += CHUNK) {
		int64_t k = total - off < CHUNK ? total - off : CHUNK;

		if (ds_read(ds, split, off, k, buf, e)) {
			free(buf);
			return -1;
		}
		for (int64_t i = 0; i < k; i++)
			counts[buf[i]]++;
	}
	free(buf);
	*n = total;
	return 0;
}

int ds_has_vocab(const ds_t *ds)
{
	return H5Lexists(ds->file, "vocab", H5P_DEFAULT) > 0;
}

int ds_vocab(ds_t *ds, vocab_t *v, err_t *e)
{
	if (!ds_has_vocab(ds))
		return err_set(e, "%s: has no dataset 'vocab' (tokenizer '%s')",
			       ds->path, ds->tokenizer);
	return h5_read_vocab(ds->file, "vocab", ds->vocab_size, v, ds->path, e);
}

int ds_layout(const ds_t *ds, int split, int rank, int nranks, int batch,
	      int bptt, ds_layout_t *l, err_t *e)
{
	int64_t streams = (int64_t)batch * nranks;

	if (need_split(ds, split, e))
		return -1;
	if (batch < 1 || bptt < 1 || nranks < 1 || rank < 0 || rank >= nranks)
		return err_set(e, "bad layout: batch %d, bptt %d, rank %d of %d",
			       batch, bptt, rank, nranks);
	*l = (ds_layout_t){ .split = split, .rank = rank, .nranks = nranks,
			    .batch = batch, .bptt = bptt,
			    .ntok = ds->ntok[split] };
	l->stream_len = l->ntok / streams;
	l->windows = l->stream_len > 0 ? (l->stream_len - 1) / bptt : 0;
	if (l->windows < 1)
		return err_set(e, "%s: split '%s' has %lld tokens, too few for %lld streams "
			       "(%d ranks x batch %d) of one window of %d steps (needs %lld)",
			       ds->path, split_names[split], (long long)l->ntok,
			       (long long)streams, nranks, batch, bptt,
			       (long long)streams * (bptt + 1));
	l->dropped = l->ntok - streams * (l->windows * bptt);
	return 0;
}

int ds_read_window(ds_t *ds, const ds_layout_t *l, int64_t w, int32_t *tok,
		   err_t *e)
{
	if (w < 0 || w >= l->windows)
		return err_set(e, "%s: window %lld outside 0 .. %lld", ds->path,
			       (long long)w, (long long)l->windows - 1);
	return ds_read_span(ds, l, w * l->bptt, l->bptt, tok, e);
}

int ds_read_span(ds_t *ds, const ds_layout_t *l, int64_t pos, int len,
		 int32_t *tok, err_t *e)
{
	int B = l->batch, T1 = len + 1;
	int64_t base = (int64_t)l->rank * B * l->stream_len + pos;
	hsize_t start = (hsize_t)base, stride = (hsize_t)l->stream_len;
	hsize_t count = (hsize_t)B, block = (hsize_t)T1;
	hid_t fs;
	int rc;

	if (pos < 0 || len < 1 || pos + len >= l->stream_len)
		return err_set(e, "%s: the %d steps at token %lld do not fit a stream of %lld tokens",
			       ds->path, len, (long long)pos, (long long)l->stream_len);
	fs = H5Dget_space(ds->dset[l->split]);
	H5Sselect_hyperslab(fs, H5S_SELECT_SET, &start, &stride, &count, &block);
	rc = read_sel(ds, l->split, fs, (size_t)B * T1, e);
	H5Sclose(fs);
	if (rc)
		return -1;
	for (int b = 0; b < B; b++)
		for (int t = 0; t < T1; t++) {
			int64_t id = ds->scratch[(size_t)b * T1 + t];

			if (check_id(ds, l->split, id, base + b * l->stream_len + t, e))
				return -1;
			tok[(size_t)b * T1 + t] = (int32_t)id;
		}
	return 0;
}
