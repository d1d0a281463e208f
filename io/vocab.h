/*
 * vocab.h - a string -> id table with counts (open addressing over an
 * arena of NUL-terminated strings).  Used to count the types of a training
 * text, to build the capped, frequency-ordered vocabulary from those counts,
 * and to map tokens to ids (id = insertion index).
 */
#ifndef ENGRAM_VOCAB_H
#define ENGRAM_VOCAB_H

#include <stddef.h>
#include <stdint.h>

#include "io/err.h"

/* Ids are uint32; one value stays free so a count of types always fits. */
#define VOCAB_MAX_TYPES 0xfffffffeULL

typedef struct {
	char *arena;		/* the strings, each NUL-terminated */
	size_t arena_len, arena_cap;
	size_t *off;		/* entry id -> offset of its string in arena */
	uint64_t *count;	/* entry id -> occurrences */
	size_t n, cap;		/* entries used, allocated */
	uint32_t *slot;		/* hash slots: entry id + 1, 0 = empty */
	size_t mask;		/* slot count - 1 (a power of two) */
} vocab_t;

int vocab_init(vocab_t *v, err_t *e);
void vocab_free(vocab_t *v);

/* Id of the string s[0..len), or -1. */
int64_t vocab_find(const vocab_t *v, const char *s, size_t len);

/* Find or insert s[0..len) and add count to it; *id (may be NULL) gets its id. */
int vocab_add(vocab_t *v, const char *s, size_t len, uint64_t count,
	      int64_t *id, err_t *e);

static inline const char *vocab_str(const vocab_t *v, size_t id)
{
	return v->arena + v->off[id];
}

/*
 * Build the final vocabulary from the type counts in `types` into `out`
 * (an initialised, empty table): the most frequent types, ordered by count
 * descending and then by byte order, at most `cap` entries (0 = no cap).
 * When types are dropped, or when need_unk is set, `unk` is part of the
 * vocabulary and its count is its own plus that of every dropped type.
 * *unk_id gets the id of unk, or -1 when it is not in the vocabulary.
 */
int vocab_build(const vocab_t *types, size_t cap, int need_unk,
		const char *unk, vocab_t *out, int64_t *unk_id, err_t *e);

#endif
