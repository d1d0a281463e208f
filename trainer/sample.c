/* sample.c - prime-text encoding, temperature/top-k draws, decoding. */
#include "trainer/sample.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int lookup(const sample_tok_t *t, const char *s, size_t len, int32_t *id,
		  err_t *e)
{
	int64_t x = vocab_find(t->vocab, s, len);

	if (x < 0)
		x = t->unk_id;
	if (x < 0)
		return err_set(e, "prime text: '%.*s' is not in the model's vocabulary (and it has no <unk>)",
			       (int)len, s);
	*id = (int32_t)x;
	return 0;
}

static int utf8_len(unsigned char c)
{
	return c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
}

int sample_encode(const sample_tok_t *t, const char *text, int32_t *ids,
		  int max, int *n, err_t *e)
{
	const char *p = text;

	*n = 0;
	while (*p) {
		size_t len;
		int32_t id = 0;

		if (*n == max)
			return err_set(e, "prime text: longer than %d tokens", max);
		if (!strcmp(t->tokenizer, "byte")) {
			ids[(*n)++] = (uint8_t)*p++;
			continue;
		}
		if (!strcmp(t->tokenizer, "char")) {
			len = (size_t)utf8_len((unsigned char)*p);
			if (strnlen(p, len) < len)
				return err_set(e, "prime text: invalid UTF-8");
		} else {
			if (*p == '\n') {
				if (t->eos_id < 0)
					return err_set(e, "prime text: the vocabulary has no <eos> for a line end");
				ids[(*n)++] = (int32_t)t->eos_id;
				p++;
				continue;
			}
			if (strchr(" \t\r\v\f", *p)) {
				p++;
				continue;
			}
			len = strcspn(p, " \t\r\v\f\n");
		}
		if (lookup(t, p, len, &id, e))
			return -1;
		ids[(*n)++] = id;
		p += len;
	}
	return 0;
}

int32_t sample_start_id(const sample_tok_t *t)
{
	int64_t x = -1;

	if (!strcmp(t->tokenizer, "byte"))
		return '\n';
	if (t->eos_id >= 0)
		return (int32_t)t->eos_id;
	if (t->vocab)
		x = vocab_find(t->vocab, "\n", 1);
	return x >= 0 ? (int32_t)x : 0;
}

void sample_decode(const sample_tok_t *t, int32_t id, int *line_open, FILE *f)
{
	if (!strcmp(t->tokenizer, "byte")) {
		fputc(id, f);
		return;
	}
	if (!t->vocab || id < 0 || (size_t)id >= t->vocab->n)
		return;
	if (!strcmp(t->tokenizer, "word")) {
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
