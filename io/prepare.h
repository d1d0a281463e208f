/*
 * prepare.h - text -> HDF5 token data set (`engram prepare`).
 *
 * Two streaming passes over the input with memory bounded by the
 * vocabulary plus fixed buffers: the first hashes the sources and counts
 * the train split's types (the vocabulary comes from train alone), the
 * second maps tokens to ids and appends them to chunked, deflated datasets.
 * The output is written under a temporary name and renamed when complete.
 * The layout is documented in io/FORMATS.md.
 */
#ifndef ENGRAM_PREPARE_H
#define ENGRAM_PREPARE_H

#include <stdint.h>

#include "io/err.h"
#include "io/text.h"

#define DS_FORMAT "engram-tokens"
/* Version 2: /vocab as one CRC'd byte dataset of NUL-terminated strings;
 * version 1 and user-written files with variable-length strings are read. */
#define DS_FORMAT_VERSION 2

typedef struct {
	const char *in[3];	/* train, valid, test files; or in[0] alone */
	int nin;		/* 1 (split by frac) or 3 */
	double frac[3];		/* train/valid/test fractions when nin == 1 */
	tok_kind_t kind;
	uint64_t vocab_cap;	/* most types kept, <unk> included; 0 = all */
	const char *out;
	int force;		/* replace an existing output */
	int progress;		/* progress line on stderr */
} prepare_cfg_t;

typedef struct {
	uint64_t ntok[3];	/* tokens per split */
	uint64_t nunk[3];	/* tokens that are <unk> per split */
	uint64_t range[3][2];	/* byte range of each split in its source */
	char sha[3][65];	/* sha256 of each split's source file */
	uint64_t vocab_size;
	int64_t unk_id, eos_id;	/* -1 when absent */
	int id_bits;		/* 16 or 32 */
	char tokens_sha[65];	/* sha256 of all ids, see FORMATS.md */
} prepare_stats_t;

extern const char *const split_names[3];	/* "train", "valid", "test" */

int prepare_run(const prepare_cfg_t *cfg, prepare_stats_t *st, err_t *e);

#endif
