/* score.c - lines into ids, and each id's -ln p in streams of windows. */
#include "trainer/score.h"

#include <stdlib.h>
#include <string.h>

#include "io/text.h"
#include "io/vocab.h"

void score_set_init(score_set_t *s, const sample_tok_t *tok, int32_t start_id,
		    int32_t end_id, score_oov_t oov)
{
	memset(s, 0, sizeof(*s));
	s->tok = *tok;
	s->start_id = start_id;
	s->end_id = end_id;
	s->oov = oov;
}

void score_set_free(score_set_t *s)
{
	free(s->off);
	free(s->ids);
	free(s->kind);
	free(s->nll);
	memset(s, 0, sizeof(*s));
}

/* Room for `more` ids and one line more. */
static int grow(score_set_t *s, int64_t more, err_t *e)
{
	if (s->nlines + 2 > s->cap_lines) {
		int cap = s->cap_lines ? 2 * s->cap_lines : 1024;
		int64_t *off = realloc(s->off, (size_t)cap * sizeof(*off));

		if (!off)
			return err_set(e, "out of memory for %d lines", cap);
		s->off = off;
		s->cap_lines = cap;
	}
	if (s->nids + more > s->cap_ids) {
		int64_t cap = s->cap_ids ? 2 * s->cap_ids : 65536;

		while (cap < s->nids + more)
			cap *= 2;
		int32_t *ids = realloc(s->ids, (size_t)cap * sizeof(*ids));
		if (ids)
			s->ids = ids;
		uint8_t *kind = ids ? realloc(s->kind, (size_t)cap) : NULL;
		if (kind)
			s->kind = kind;
		if (!ids || !kind)
			return err_set(e, "out of memory for %lld tokens", (long long)cap);
		s->cap_ids = cap;
	}
	return 0;
}

static int append(score_set_t *s, int32_t id, int kind, err_t *e)
{
	if (grow(s, 1, e))
		return -1;
	s->ids[s->nids] = id;
	s->kind[s->nids++] = (uint8_t)kind;
	return 0;
}

typedef struct {
	score_set_t *s;
	const char *where;
} add_t;

/* One token of the line: its id, or <unk> (--oov unk), or left out of the
 * sums (--oov skip; the model still reads <unk>, or a line start where the
 * vocabulary has no <unk>). */
static int put(void *ctx, const char *tok, size_t len, err_t *e)
{
	add_t *a = ctx;
	score_set_t *s = a->s;
	const sample_tok_t *t = &s->tok;
	int64_t x;

	if (t->kind == TOK_BYTE)
		return append(s, (unsigned char)tok[0], SCORE_TOK, e);
	x = vocab_find(t->vocab, tok, len);
	if (x >= 0)
		return append(s, (int32_t)x, SCORE_TOK, e);
	if (s->oov == SCORE_OOV_SKIP)
		return append(s, t->unk_id >= 0 ? (int32_t)t->unk_id : s->start_id, SCORE_SKIP, e);
	if (t->unk_id < 0)
		return err_set(e, "%s: '%.*s' is not in the model's vocabulary, which has no <unk> "
			       "(--oov skip leaves such tokens out)", a->where, (int)len, tok);
	return append(s, (int32_t)t->unk_id, SCORE_OOV, e);
}

int score_add_line(score_set_t *s, const char *where, const char *text,
		   size_t n, err_t *e)
{
	add_t a = { s, where };
	int64_t first = s->nids;

	if (grow(s, 2, e))
		return -1;
	if (s->nlines == 0)
		s->off[0] = 0;
	if (append(s, s->start_id, SCORE_TOK, e) ||
	    text_tokenize(where, s->tok.kind, text, n, 0, put, &a, e) ||
	    (s->end_id >= 0 && append(s, s->end_id, SCORE_TOK, e))) {
		s->nids = first;
		return -1;
	}
	s->off[++s->nlines] = s->nids;
	return 0;
}

static int64_t targets(const score_set_t *s, int k)
{
	return s->off[k + 1] - s->off[k] - 1;
}

/* A line and its number of targets, to sort: longest first, ties in
 * input order. */
typedef struct {
	int64_t len;
	int k;
} by_len_t;

static int by_length(const void *pa, const void *pb)
{
	const by_len_t *a = pa, *b = pb;

	return a->len != b->len ? (a->len < b->len ? 1 : -1) : (a->k > b->k) - (a->k < b->k);
}

/* The windows' works, one per length 2^k <= bptt (and bptt itself). */
#define SCORE_MAX_WORKS 32

typedef struct {
	model_t *m;
	int B, bptt;
	model_work_t *w[SCORE_MAX_WORKS];
	int T[SCORE_MAX_WORKS];
	int nw;
	model_state_t st;
	int32_t *tok;		/* B x (bptt + 1) */
	double *nll;		/* bptt x B */
} runner_t;

static void runner_free(runner_t *r)
{
	for (int i = 0; i < r->nw; i++)
		model_work_free(r->w[i]);
	model_state_free(&r->st);
	free(r->tok);
	free(r->nll);
}

static int runner_init(runner_t *r, model_t *m, int B, int bptt, err_t *e)
{
	memset(r, 0, sizeof(*r));
	r->m = m, r->B = B, r->bptt = bptt;
	if (model_state_init(&r->st, &m->cfg, B, e))
		return -1;
	r->tok = malloc((size_t)B * (bptt + 1) * sizeof(*r->tok));
	r->nll = malloc((size_t)B * bptt * sizeof(*r->nll));
	if (!r->tok || !r->nll) {
		runner_free(r);
		return err_set(e, "out of memory for %d streams of %d steps", B, bptt);
	}
	return 0;
}

/* The work for windows of T steps: the shortest power of two >= need, or
 * bptt. */
static model_work_t *work_for(runner_t *r, int64_t need, int *T, err_t *e)
{
	int t = 1;

	while (t < need && t < r->bptt)
		t *= 2;
	if (t > r->bptt)
		t = r->bptt;
	for (int i = 0; i < r->nw; i++)
		if (r->T[i] == t) {
			*T = t;
			return r->w[i];
		}
	if (r->nw == SCORE_MAX_WORKS) {
		err_set(e, "too many window lengths");
		return NULL;
	}
	if (!(r->w[r->nw] = model_work_new(&r->m->cfg, t, r->B, e)))
		return NULL;
	r->T[r->nw] = *T = t;
	return r->w[r->nw++];
}

/*
 * Streams b < nb read seq[b][0 .. len[b]) (index into s->ids through
 * at[b] + p); from a zero state, window after window; each target's -ln p
 * goes to s->nll[at[b] + p].  Padded rows are read and not kept.
 */
static int run_streams(runner_t *r, score_set_t *s, int nb, const int64_t *at,
		       const int64_t *len, const int64_t *map, err_t *e)
{
	int64_t longest = 0;
	model_work_t *w;
	int T, B = r->B;

	for (int b = 0; b < nb; b++)
		longest = len[b] - 1 > longest ? len[b] - 1 : longest;
	if (longest <= 0)
		return 0;
	if (!(w = work_for(r, longest, &T, e)))
		return -1;
	model_state_zero(&r->st);
	for (int64_t j = 0; j * T < longest; j++) {
		for (int b = 0; b < B; b++)
			for (int t = 0; t <= T; t++) {
				int64_t p = j * T + t;

				r->tok[(size_t)b * (T + 1) + t] =
					b < nb && p < len[b] ? s->ids[map ? map[at[b] + p] : at[b] + p] : 0;
			}
		model_forward_score(r->m, w, &r->st, r->tok, r->nll);
		for (int t = 0; t < T; t++)
			for (int b = 0; b < nb; b++) {
				int64_t p = j * T + t + 1, i;

				if (p >= len[b])
					continue;
				i = map ? map[at[b] + p] : at[b] + p;
				s->nll[i] = s->kind[i] == SCORE_SKIP ? 0.0 : r->nll[(size_t)t * B + b];
			}
	}
	return 0;
}

/* Fresh state per line: groups of B lines of about one length. */
static int run_lines(runner_t *r, score_set_t *s, comm_t *c, err_t *e)
{
	by_len_t *order = malloc((size_t)(s->nlines ? s->nlines : 1) * sizeof(*order));
	int64_t at[r->B], len[r->B];
	int rc = 0;

	if (!order)
		return err_set(e, "out of memory for %d lines", s->nlines);
	for (int k = 0; k < s->nlines; k++)
		order[k] = (by_len_t){ targets(s, k), k };
	qsort(order, (size_t)s->nlines, sizeof(*order), by_length);
	for (int g = 0, k0 = 0; k0 < s->nlines && !rc; g++, k0 += r->B) {
		int nb = s->nlines - k0 < r->B ? s->nlines - k0 : r->B;

		if (g % c->size != c->rank)
			continue;
		for (int b = 0; b < nb; b++) {
			int k = order[k0 + b].k;

			at[b] = s->off[k];
			len[b] = s->off[k + 1] - s->off[k];
		}
		rc = run_streams(r, s, nb, at, len, NULL, e);
	}
	free(order);
	return rc;
}

/* One stream over every line, the state carried: the inputs are the
 * first line's start and then every target in order (rank 0 alone). */
static int run_carry(runner_t *r, score_set_t *s, comm_t *c, err_t *e)
{
	int64_t n = 0, at = 0, len;
	int64_t *map;
	int rc;

	if (c->rank != 0 || s->nlines == 0)
		return 0;
	map = malloc((size_t)s->nids * sizeof(*map));
	if (!map)
		return err_set(e, "out of memory for %lld tokens", (long long)s->nids);
	map[n++] = s->off[0];
	for (int k = 0; k < s->nlines; k++)
		for (int64_t i = s->off[k] + 1; i < s->off[k + 1]; i++)
			map[n++] = i;
	len = n;
	rc = run_streams(r, s, 1, &at, &len, map, e);
	free(map);
	return rc;
}

int score_run(score_set_t *s, model_t *m, int batch, int bptt, int carry,
	      comm_t *c, err_t *e)
{
	runner_t r;
	int rc;

	/* one more: how many ranks failed, summed with the figures so that a
	 * rank that fails still joins the one collective and no rank waits */
	free(s->nll);
	s->nll = calloc((size_t)s->nids + 1, sizeof(*s->nll));
	if (!s->nll)
		return err_set(e, "out of memory for %lld tokens", (long long)s->nids);
	if (runner_init(&r, m, carry ? 1 : batch, bptt, e))
		return -1;
	rc = carry ? run_carry(&r, s, c, e) : run_lines(&r, s, c, e);
	runner_free(&r);
	s->nll[s->nids] = rc ? 1.0 : 0.0;
	/* every rank's figures to every rank, in place: each id was computed
	 * by one rank and is 0 on the others */
	if (c->size > 1 && comm_allreduce_sum_f64(c, s->nll, (size_t)s->nids + 1, e))
		return -1;
	if (rc)
		return -1;
	if (s->nll[s->nids] > 0) {
		err_set(e, "scoring failed on %g of the %d ranks", s->nll[s->nids], c->size);
		return SCORE_PEER_FAILED;
	}
	return 0;
}
