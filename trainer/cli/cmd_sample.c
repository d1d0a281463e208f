/* cmd_sample.c - `engram sample`: text from saved weights. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "trainer/cli/cli.h"
#include "trainer/cli/cmds.h"
#include "trainer/sample.h"
#include "trainer/weights.h"

#define MAX_PRIME 65536

typedef struct {
	const char *ckpt, *prime;
	long long length, seed;
	double temperature;
	int top_k;
} sample_args_t;

/*
 * Feeds one token and returns the next one's distribution as sample_draw
 * takes it: the full softmax's logits, or the adaptive softmax's log p
 * (into lp, V floats).  Either is softmax-normalized the same way.
 */
static const float *feed(model_t *m, model_work_t *w, model_state_t *s,
			 int32_t id, float *lp)
{
	int32_t tok[2] = { id, 0 };	/* the target is not used */
	const float *z;

	model_forward_eval(m, w, s, tok);
	if ((z = model_logits(w)))
		return z;
	model_log_probs(m, w, 0, lp);
	return lp;
}

static int run(const sample_args_t *a, err_t *e)
{
	model_t m;
	ckpt_meta_t meta;
	vocab_t v;
	model_state_t s;
	model_work_t *w = NULL;
	sample_pair_t *cand = NULL;
	int32_t *ids = NULL;
	float *lp = NULL;
	const float *z = NULL;
	sample_tok_t t;
	rng_t r;
	int n = 0, line_open = 0, rc = -1;

	if (vocab_init(&v, e))
		return -1;
	if (weights_load(a->ckpt, &m, &meta, &v, e)) {
		vocab_free(&v);
		return -1;
	}
	if (sample_tok_init(&t, a->ckpt, &meta, &v, e))
		goto out;
	if (model_state_init(&s, &m.cfg, 1, e))
		goto out;
	w = model_work_new(&m.cfg, 1, 1, e);
	cand = err_malloc((size_t)m.cfg.vocab * sizeof(*cand), "sampling", e);
	ids = err_malloc(MAX_PRIME * sizeof(*ids), "prime", e);
	lp = err_malloc((size_t)m.cfg.vocab * sizeof(*lp), "sampling", e);
	if (!w || !cand || !ids || !lp ||
	    sample_encode(&t, a->prime ? a->prime : "", ids, MAX_PRIME, &n, e))
		goto out_state;
	if (n == 0)
		ids[n++] = sample_start_id(&t);
	else
		for (int i = 0; i < n; i++)
			sample_decode(&t, ids[i], &line_open, stdout);
	rng_seed(&r, (uint64_t)a->seed, 77);
	for (int i = 0; i < n; i++)
		z = feed(&m, w, &s, ids[i], lp);
	for (long long i = 0; i < a->length; i++) {
		int32_t id = sample_draw(z, m.cfg.vocab, a->temperature, a->top_k, &r, cand);

		sample_decode(&t, id, &line_open, stdout);
		z = feed(&m, w, &s, id, lp);
	}
	if (line_open || t.kind != TOK_WORD)
		fputc('\n', stdout);
	rc = 0;
out_state:
	model_state_free(&s);
out:
	free(lp);
	free(ids);
	free(cand);
	model_work_free(w);
	model_free(&m);
	vocab_free(&v);
	return rc;
}

int cmd_sample(int argc, char **argv)
{
	sample_args_t a;
	const char *pos[1];
	int npos, rc;
	flag_t opts[] = {
		{ "--ckpt", FLAG_STR, &a.ckpt, "PATH", "weights or checkpoint file, or a run directory (its newest)" },
		{ "--prime", FLAG_STR, &a.prime, "TEXT", "text the sample continues (tokenized with the model's vocabulary)" },
		{ "--length", FLAG_I64, &a.length, "N", "tokens to generate", "200", .flags = FLAG_RANGE, .lo = 0, .hi = 1LL << 40 },
		{ "--temperature", FLAG_DOUBLE, &a.temperature, "T", "softmax temperature; 0 = always the most likely token", "1", .flags = FLAG_RANGE | FLAG_F32, .lo = 0, .hi = 1e30 },
		{ "--top-k", FLAG_INT, &a.top_k, "K", "draw among the K most likely tokens (0 = all)", "0", .flags = FLAG_RANGE, .lo = 0, .hi = 1 << 30 },
		{ "--seed", FLAG_I64, &a.seed, "N", "seed of the draws", "1" },
	};
	int nopts = sizeof(opts) / sizeof(opts[0]);
	err_t e;

	memset(&a, 0, sizeof(a));
	rc = cli_read("sample", argc, argv, opts, nopts, pos, 0, &npos, &e);
	if (rc == 1) {
		cli_usage(stdout, "engram sample --ckpt PATH [--prime TEXT] [--length N] [FLAGS]",
			  "Writes text from a trained model: the prime text, then --length tokens drawn\n"
			  "one at a time.  Needs no data set: the weights carry the vocabulary.",
			  opts, nopts);
		return 0;
	}
	if (rc == 0 && !a.ckpt)
		rc = err_set(&e, "engram sample: --ckpt is required");
	if (rc) {
		fprintf(stderr, "%s\n", e.msg);
		return 2;
	}
	openblas_set_num_threads(1);
	if (run(&a, &e)) {
		fprintf(stderr, "engram sample: %s\n", e.msg);
		return 1;
	}
	return 0;
}
