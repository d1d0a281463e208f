/*
 * sample.h - text in and out of a trained model: tokenizing a prime text
 * with the model's own vocabulary, drawing the next token, and turning
 * ids back into text, for the byte, char and word tokenizers.
 */
#ifndef ENGRAM_SAMPLE_H
#define ENGRAM_SAMPLE_H

#include <stdint.h>
#include <stdio.h>

#include "io/ckpt.h"
#include "io/err.h"
#include "io/text.h"
#include "io/vocab.h"
#include "trainer/nn/rng.h"

typedef struct {
	tok_kind_t kind;	/* the data set's tokenizer */
	const vocab_t *vocab;	/* NULL for byte */
	int64_t unk_id, eos_id;
	int vocab_size;
} sample_tok_t;

/* The tokenizer of weights read from ckpt (weights_load's meta and
 * vocabulary, which t then points at); -1 for weights that cannot read
 * text: no vocabulary (a hand-made data set's model), or a tokenizer that
 * is not byte, char or word. */
int sample_tok_init(sample_tok_t *t, const char *ckpt, const ckpt_meta_t *meta,
		    const vocab_t *v, err_t *e);

/* Ids of text into ids[0..*n) (at most max), by the data set's own
 * tokenizer (io/text.c) without the final <eos>; unknown tokens become
 * <unk>, or fail naming the token when there is none. */
int sample_encode(const sample_tok_t *t, const char *text, int32_t *ids,
		  int max, int *n, err_t *e);

/* The id of a line's end: <eos> for words, the newline for characters
 * and bytes where the vocabulary has one; -1 where it has none. */
int32_t sample_end_id(const sample_tok_t *t);
/* The id to start from when there is no prime text: a line's end, or id
 * 0 where there is none. */
int32_t sample_start_id(const sample_tok_t *t);

/* Writes token id as text; *line_open says whether a word came before on
 * this line (words are joined by spaces, <eos> ends a line). */
void sample_decode(const sample_tok_t *t, int32_t id, int *line_open, FILE *f);

typedef struct {
	float logit;
	int id;
} sample_pair_t;

/*
 * Draws an id from softmax(logits / temperature) restricted to the top_k
 * largest logits (0 = all).  temperature 0 picks the largest (greedy).
 * cand is scratch for V candidates.
 */
int32_t sample_draw(const float *logits, int V, double temperature, int top_k,
		    rng_t *r, sample_pair_t *cand);

#endif
