/*
 * ckpt.h - engram's checkpoint files: one HDF5 file holding the model's
 * shape, the vocabulary, and every tensor, deflated, each with the CRC-32
 * of its raw bytes beside it.  Written complete-or-absent (io/atomic.h).
 * The layout is in io/FORMATS.md.
 *
 * This module knows tensors by name and shape only; trainer/ maps them to
 * the model's parameter buffer.
 */
#ifndef ENGRAM_CKPT_H
#define ENGRAM_CKPT_H

#include <stdint.h>

#include <hdf5.h>

#include "io/err.h"
#include "io/vocab.h"

#define CKPT_FORMAT "engram-checkpoint"
#define CKPT_FORMAT_VERSION 1
#define CKPT_MAX_DIM 100000000LL	/* no tensor side is larger than this */

typedef struct {
	/* model shape */
	int64_t vocab, embed, hidden, layers, tie;
	/* tokenizer and the data set it came from */
	char tokenizer[16];
	int64_t unk_id, eos_id;
	char data_path[4096];
	char data_sha256[65];
	/* progress */
	int64_t step, epoch;
	double val_loss;	/* NaN when no validation has run */
	/* the resolved run configuration, as JSON */
	char run_config[8192];
} ckpt_meta_t;

typedef struct {
	const char *name;
	int64_t rows, cols;	/* a vector has rows = 1 and is stored 1-D */
	float *data;
} ckpt_tensor_t;

typedef struct {
	char path[4096];
	hid_t file;
	ckpt_meta_t meta;
} ckpt_t;

/* Writes all tensors and the vocabulary (NULL: none, the byte tokenizer). */
int ckpt_write(const char *path, const ckpt_meta_t *meta,
	       const ckpt_tensor_t *t, int n, const vocab_t *vocab, err_t *e);

/* Opens and reads the meta data; validates format, version and shape. */
int ckpt_open(ckpt_t *c, const char *path, err_t *e);
void ckpt_close(ckpt_t *c);

/* Reads tensor `name`, which must have exactly rows x cols, and checks its
 * CRC-32 and that every value is finite. */
int ckpt_read_tensor(ckpt_t *c, const char *name, int64_t rows, int64_t cols,
		     float *out, err_t *e);

/* Raw and stored (compressed) bytes of tensor `name`; -1 when missing. */
int ckpt_tensor_sizes(ckpt_t *c, const char *name, uint64_t *raw,
		      uint64_t *stored);

/* The vocabulary into an initialised, empty table. */
int ckpt_read_vocab(ckpt_t *c, vocab_t *v, err_t *e);

/* The newest "*.h5" checkpoint in a run directory into path. */
int ckpt_find_latest(const char *dir, char *path, size_t n, err_t *e);

#endif
