/*
 * sample.h - text in and out of a trained model: tokenizing a prime text
 * with the model's own vocabulary, drawing the next token, and turning
 * ids back into text, for the byte, char and word tokenizers.
 */
#ifndef ENGRAM_SAMPLE_H
#define ENGRAM_SAMPLE_H

#include <stdint.h>
#include <stdio.h>

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

/* Ids of text into ids[0..*n) (at most max), by the data set's own
 * tokenizer (io/text.c) without the final <eos>; unknown tokens become
 * <unk>, or fail naming the token when there is none. */
int sample_encode(const sample_tok_t *t, const char *text, int32_t *ids,
		  int max, int *n, err_t *e);

/* The id to start from when there is no prime text: <eos> for words,
 * a line end for characters and bytes where the vocabulary has one. */
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
