/* sample.c - prime-text encoding, temperature/top-k draws, decoding. */
#include "trainer/sample.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Where text_tokenize's tokens go. */
typedef struct {
	const sample_tok_t *t;
	int32_t *ids;
	int max, n;
} encode_t;

static int put_token(void *ctx, const char *s, size_t len, err_t *e)
{
	encode_t *en = ctx;
	const sample_tok_t *t = en->t;
	int64_t x;

	if (en->n == en->max)
		return err_set(e, "prime text: longer than %d tokens", en->max);
	if (t->kind == TOK_BYTE) {
		x = (unsigned char)s[0];
	} else if (t->kind == TOK_WORD && len == strlen(TEXT_EOS) && !memcmp(s, TEXT_EOS, len)) {
		x = t->eos_id;
		if (x < 0)
			return err_set(e, "prime text: the vocabulary has no <eos> for a line end");
	} else {
		x = vocab_find(t->vocab, s, len);
		if (x < 0)
			x = t->unk_id;
		if (x < 0)
			return err_set(e, "prime text: '%.*s' is not in the model's vocabulary "
				       "(and it has no <unk>)", (int)len, s);
	}
	en->ids[en->n++] = (int32_t)x;
	return 0;
}

int sample_encode(const sample_tok_t *t, const char *text, int32_t *ids,
		  int max, int *n, err_t *e)
{
	encode_t en = { t, ids, max, 0 };
	int rc = text_tokenize("prime text", t->kind, text, strlen(text), 0, put_token, &en, e);

	*n = en.n;
	return rc;
}

int sample_tok_init(sample_tok_t *t, const char *ckpt, const ckpt_meta_t *meta,
		    const vocab_t *v, err_t *e)
{
	*t = (sample_tok_t){ .vocab = v->n ? v : NULL, .unk_id = meta->unk_id,
			     .eos_id = meta->eos_id, .vocab_size = (int)meta->vocab };
	/* a hand-made data set's model (tokenizer "unknown") has no vocabulary:
	 * say that, not that its tokenizer has no name */
	if (strcmp(meta->tokenizer, "byte") && !t->vocab)
		return err_set(e, "%s: the weights carry no vocabulary for tokenizer '%s'", ckpt,
			       meta->tokenizer);
	if (tok_kind_parse(meta->tokenizer, &t->kind))
		return err_set(e, "%s: tokenizer '%s' (expected byte, char or word)", ckpt,
			       meta->tokenizer);
	return 0;
}

int32_t sample_end_id(const sample_tok_t *t)
{
	int64_t x = -1;

	if (t->kind == TOK_BYTE)
		return '\n';
	if (t->eos_id >= 0)
		return (int32_t)t->eos_id;
	if (t->vocab)
		x = vocab_find(t->vocab, "\n", 1);
	return x >= 0 ? (int32_t)x : -1;
}

int32_t sample_start_id(const sample_tok_t *t)
{
	int32_t x = sample_end_id(t);

	return x >= 0 ? x : 0;
}

void sample_decode(const sample_tok_t *t, int32_t id, int *line_open, FILE *f)
{
	if (t->kind == TOK_BYTE) {
		fputc(id, f);
		return;
	}
	if (!t->vocab || id < 0 || (size_t)id >= t->vocab->n)
		return;
	if (t->kind == TOK_WORD) {
		if (id == t->eos_id) {
			fputc('\n', f);
			*line_open = 0;
			return;
		}
		if (*line_open)
			fputc(' ', f);
		*line_open = 1;
	}
	fputs(vocab_str(t->vocab, (size_t)id), f);
}

static int by_logit_desc(const void *a, const void *b)
{
	const sample_pair_t *x = a, *y = b;

	if (x->logit != y->logit)
		return x->logit > y->logit ? -1 : 1;
	return x->id - y->id;
}

int32_t sample_draw(const float *logits, int V, double temperature, int top_k,
		    rng_t *r, sample_pair_t *cand)
{
	int k = top_k > 0 && top_k < V ? top_k : V;
	double total = 0.0, u, acc = 0.0, max;

	if (temperature <= 0.0) {
		int best = 0;

		for (int i = 1; i < V; i++)
			if (logits[i] > logits[best])
				best = i;
		return best;
	}
	for (int i = 0; i < V; i++)
		cand[i] = (sample_pair_t){ logits[i], i };
	if (k < V)
		qsort(cand, (size_t)V, sizeof(*cand), by_logit_desc);
	max = cand[0].logit;
	for (int i = 1; i < k; i++)
		if (cand[i].logit > max)
			max = cand[i].logit;
	/* p_i = exp((l_i - max) / temperature) / total, drawn by inversion */
	for (int i = 0; i < k; i++)
		total += exp((cand[i].logit - max) / temperature);
	u = rng_double(r) * total;
	for (int i = 0; i < k; i++) {
		acc += exp((cand[i].logit - max) / temperature);
		if (u < acc)
			return cand[i].id;
	}
	return cand[k - 1].id;
}
