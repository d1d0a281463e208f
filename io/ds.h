/*
 * ds.h - the token data set reader: open and validate an HDF5 token file
 * (layout in io/FORMATS.md), and read rank r's shard of a split as B
 * parallel streams cut into BPTT windows with hyperslab reads.
 *
 * Stream layout (the batchify of pytorch/examples word_language_model,
 * spread over ranks): a split of n tokens is cut into S = B*P contiguous
 * streams of Ls = floor(n / S) tokens; rank r holds the global streams
 * r*B .. r*B+B-1, one contiguous range of the split.  Window w of a stream
 * is its tokens w*T .. w*T+T (T inputs, and the targets shifted by one), so
 * windows = floor((Ls - 1) / T) on every rank; what does not fit is dropped.
 * One rank with batch B*P therefore reads exactly the streams that P ranks
 * with batch B read together.
 */
#ifndef ENGRAM_DS_H
#define ENGRAM_DS_H

#include <stdint.h>
#include <sys/stat.h>

#include <hdf5.h>

#include "io/err.h"
#include "io/vocab.h"

enum { SPLIT_TRAIN, SPLIT_VALID, SPLIT_TEST, SPLIT_COUNT };

typedef struct {
	char path[4096];
	hid_t file;
	char tokenizer[16];	/* "byte", "char", "word", or what a user wrote */
	int64_t vocab_size;
	int64_t unk_id, eos_id;	/* -1 when absent */
	char tokens_sha256[65];	/* "" when absent */
	hid_t dset[SPLIT_COUNT];	/* -1 when the split is absent */
	int64_t ntok[SPLIT_COUNT];	/* -1 when absent */
	int64_t *scratch;	/* read buffer, grown as needed */
	size_t scratch_n;
	struct stat st;		/* the file as opened */
} ds_t;

typedef struct {
	int split, rank, nranks, batch, bptt;
	int64_t ntok;		/* tokens in the split */
	int64_t stream_len;	/* Ls */
	int64_t windows;	/* per epoch, the same on every rank */
	int64_t dropped;	/* tokens of the split no window covers */
} ds_layout_t;

int split_parse(const char *s, int *split);

/* Opens read-only and validates the layout; the message names file and field. */
int ds_open(ds_t *ds, const char *path, err_t *e);
void ds_close(ds_t *ds);

/* Has the file changed since ds_open?  0 no; 1 another file now has its
 * name (this handle still reads the old one, which is safe); 2 the same
 * file was modified in place (what is read may no longer be consistent). */
int ds_changed(const ds_t *ds);

/* tokens [off, off+n) of a split, validated to be in 0 .. vocab_size-1. */
int ds_read(ds_t *ds, int split, int64_t off, int64_t n, int32_t *out,
	    err_t *e);

/* counts (vocab_size) = how often each id occurs among the first
 * min(max_tokens, its size) tokens of a split; *n gets that many. */
int ds_count_ids(ds_t *ds, int split, int64_t max_tokens, int64_t *counts,
		 int64_t *n, err_t *e);

/* The vocabulary (id = index) into an initialised, empty vocab_t; fails
 * for files without a 'vocab' dataset (byte tokenizer, user files). */
int ds_vocab(ds_t *ds, vocab_t *v, err_t *e);

/* 1 when the file has a 'vocab' dataset (optional: io/FORMATS.md). */
int ds_has_vocab(const ds_t *ds);

/* Fails, naming the sizes, when the split is too short for one window. */
int ds_layout(const ds_t *ds, int split, int rank, int nranks, int batch,
	      int bptt, ds_layout_t *l, err_t *e);

/* Window w into tok: B rows of T+1 ids (row b = local stream b). */
int ds_read_window(ds_t *ds, const ds_layout_t *l, int64_t w, int32_t *tok,
		   err_t *e);

/* The window of len steps at token offset pos of every local stream into
 * tok: B rows of len+1 ids, tokens pos .. pos+len of each stream; needs
 * pos >= 0, len >= 1 and pos + len < stream_len.  Window w is the one at
 * pos w*T of length T. */
int ds_read_span(ds_t *ds, const ds_layout_t *l, int64_t pos, int len,
		 int32_t *tok, err_t *e);

#endif
