/*
 * ckpt.h - engram's checkpoint files: one HDF5 file holding the model's
 * shape, the vocabulary, named float tensors in groups ("params",
 * "optim/m", ...), each deflated with the CRC-32 of its raw bytes beside
 * it, and whatever attributes and small datasets the trainer adds for its
 * state.  Written complete-or-absent (io/atomic.h).  Layout: io/FORMATS.md.
 *
 * This module knows tensors by group, name and shape only; trainer/ maps
 * them onto the model, the optimizer and the training state.
 */
#ifndef ENGRAM_CKPT_H
#define ENGRAM_CKPT_H

#include <stdint.h>

#include <hdf5.h>

#include "io/err.h"
#include "io/vocab.h"

#define CKPT_FORMAT "engram-checkpoint"
/* Version 2: the adaptive softmax's tensors and /config attributes.
 * Version 3: /vocab as one CRC'd byte dataset of NUL-terminated strings
 * (libhdf5 does not detect damage in the heap of variable-length strings,
 * and crashes on it).  Versions 1 and 2 are still read. */
#define CKPT_FORMAT_VERSION 3
#define CKPT_MAX_CUTOFFS 16

typedef struct {
	/* model shape */
	int64_t vocab, embed, hidden, layers, tie;
	int64_t top_hidden;	/* the last layer's width; 0 = hidden (absent) */
	/* output layer: "full", or "adaptive" with its cutoffs, div_value and
	 * head_bias (files from before the adaptive softmax: "full") */
	char softmax[16];
	int64_t ncutoffs, cutoffs[CKPT_MAX_CUTOFFS];
	double div_value;
	int64_t head_bias;
	/* tokenizer and the data set it came from */
	char tokenizer[16];
	int64_t unk_id, eos_id;
	char data_path[4096];
	char data_sha256[65];
	/* progress */
	int64_t step, epoch;
	double val_loss;	/* NaN when no validation has run */
	/* "full" (resumable training state) or "weights" */
	char kind[16];
	int64_t version;	/* the file's format_version (read only) */
	/* the resolved run configuration, as JSON */
	char run_config[8192];
} ckpt_meta_t;

typedef struct {
	const char *name;
	int64_t rows, cols;	/* a vector has rows = 1 and is stored 1-D */
	const float *data;
} ckpt_tensor_t;

/* ---- writing ---- */

typedef struct {
	char path[4096], tmp[4200];
	hid_t file;
	/* 1: let libhdf5 run the filters (H5Dwrite), the reference the tests
	 * compare the writer's own compressed chunks with; 0 (ckpt_create) */
	int ref_filters;
} ckpt_writer_t;

/* Creates the temporary file next to path. */
int ckpt_create(ckpt_writer_t *w, const char *path, err_t *e);
/* A tensor into group (created as needed, "a/b" nests). */
int ckpt_put_tensor(ckpt_writer_t *w, const char *group, const ckpt_tensor_t *t,
		    err_t *e);
int ckpt_put_meta(ckpt_writer_t *w, const ckpt_meta_t *m, err_t *e);
int ckpt_put_vocab(ckpt_writer_t *w, const vocab_t *v, err_t *e);
/* The HDF5 group for the caller's own attributes and datasets. */
hid_t ckpt_group(ckpt_writer_t *w, const char *group, err_t *e);
/* Closes, syncs and renames into place; on failure the old file stays. */
int ckpt_commit(ckpt_writer_t *w, err_t *e);
/* Drops an unfinished file. */
void ckpt_abandon(ckpt_writer_t *w);

/* ---- reading ---- */

typedef struct {
	char path[4096];
	hid_t file;
	ckpt_meta_t meta;
} ckpt_t;

/* Opens and reads the meta data; validates format, version and shape. */
int ckpt_open(ckpt_t *c, const char *path, err_t *e);
void ckpt_close(ckpt_t *c);

/* 1 when group/name exists. */
int ckpt_has(ckpt_t *c, const char *group, const char *name);

/*
 * Checks that group/name is a float tensor of exactly rows x cols whose
 * stored bytes are plausible for its size (deflate cannot shrink more than
 * about 1000:1), before anything of that size is allocated.
 */
int ckpt_check_tensor(ckpt_t *c, const char *group, const char *name,
		      int64_t rows, int64_t cols, err_t *e);

/* Reads group/name (checked as above) into out, then checks its CRC-32
 * and that every value is finite. */
int ckpt_read_tensor(ckpt_t *c, const char *group, const char *name,
		     int64_t rows, int64_t cols, float *out, err_t *e);

/*
 * Reads every dataset of the file (bounded: each must store bytes
 * plausible for its size), checks every CRC-32 stored beside one, and that
 * every float is finite.  *count gets the number of datasets checked.
 */
int ckpt_verify_all(ckpt_t *c, int *count, err_t *e);

/* Raw and stored (compressed) bytes of group/name, and the file offset
 * and size of its first stored chunk (0 when none); -1 when missing. */
int ckpt_tensor_sizes(ckpt_t *c, const char *group, const char *name,
		      uint64_t *raw, uint64_t *stored, uint64_t *chunk_off,
		      uint64_t *chunk_size);

/* The vocabulary into an initialised, empty table. */
int ckpt_read_vocab(ckpt_t *c, vocab_t *v, err_t *e);

/*
 * metrics.jsonl in a full checkpoint (/train/metrics): the trainer stores
 * at most its last --ckpt-log-mb (64 MiB), whole lines, and the count of
 * the bytes before them (/train attribute metrics_offset); readers and
 * verify accept up to CKPT_MAX_METRICS, and --ckpt-log-mb cannot exceed it.
 */
#define CKPT_MAX_METRICS ((size_t)256 << 20)

/*
 * The checkpoint to resume from or load in a run directory: the
 * "ckpt-s<step>.h5" of the highest step, else "best.h5"; no other name.
 */
int ckpt_find_latest(const char *dir, char *path, size_t n, err_t *e);

/* "DIR/ckpt-s<step, 10 digits>.h5" */
void ckpt_step_path(const char *dir, int64_t step, char *path, size_t n);

/* What a file name in a run directory is: 1 for "ckpt-s<step>.h5" (*step
 * set), 0 for "best.h5" (*step = -1), -1 for anything else. */
int ckpt_name_step(const char *name, long long *step);

#endif
