/*
 * score.h - sentence probabilities under a trained model (engram score).
 *
 * Each line is one sentence: the model reads a start token (the end of a
 * previous sentence: <eos> for words, a newline for characters and bytes)
 * and predicts every token of the line and then its end.  Lines are scored
 * from a fresh state in parallel streams (grouped by length, padded, each
 * group's windows run as one batch), or with carry as one stream whose
 * state goes on from line to line, as engram eval reads a split.  Under P
 * ranks the groups are dealt out and the figures summed back in order.
 */
#ifndef ENGRAM_SCORE_H
#define ENGRAM_SCORE_H

#include <stdint.h>

#include "comm/comm.h"
#include "io/err.h"
#include "trainer/nn/model.h"
#include "trainer/sample.h"

/* What an out-of-vocabulary token does (--oov). */
typedef enum { SCORE_OOV_UNK, SCORE_OOV_SKIP } score_oov_t;

/* Per id: what kind of target it is. */
enum { SCORE_TOK = 0, SCORE_OOV = 1, SCORE_SKIP = 2 };

/*
 * The lines' ids back to back: line k is ids[off[k] .. off[k + 1]), its
 * first the start token (input only), each other one a target whose
 * -ln p is nll[i] once score_run has run (0 for a line's first id and for
 * skipped OOVs).
 */
typedef struct {
	int nlines;
	int64_t nids;
	int64_t *off;		/* nlines + 1 */
	int32_t *ids;
	uint8_t *kind;		/* SCORE_* per id */
	double *nll;
	int64_t cap_ids;
	int cap_lines;
	/* the tokenizer, from the checkpoint */
	sample_tok_t tok;
	int32_t start_id, end_id;	/* end_id -1: lines have no end token */
	score_oov_t oov;
} score_set_t;

/* tok is the checkpoint's tokenizer; end_id < 0 when the vocabulary has
 * no token for a line's end. */
void score_set_init(score_set_t *s, const sample_tok_t *tok, int32_t start_id,
		    int32_t end_id, score_oov_t oov);
void score_set_free(score_set_t *s);

/* Tokenizes one line (s[0..n), no newline) and appends it; where names it
 * in messages ("FILE:LINE").  On -1 the set is as before. */
int score_add_line(score_set_t *s, const char *where, const char *text,
		   size_t n, err_t *e);

/* Fills nll on every rank: batch streams of windows of at most bptt
 * steps; carry: one stream, the state carried across lines.  -1 when this
 * rank failed, SCORE_PEER_FAILED when only others did (each says why). */
#define SCORE_PEER_FAILED (-2)
int score_run(score_set_t *s, model_t *m, int batch, int bptt, int carry,
	      comm_t *c, err_t *e);

#endif
