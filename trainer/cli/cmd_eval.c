/* cmd_eval.c - `engram eval`: perplexity of a split under saved weights,
 * over one rank or many. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "comm/comm.h"
#include "io/ds.h"
#include "io/json.h"
#include "trainer/cli/cli.h"
#include "trainer/cli/cmds.h"
#include "trainer/evaluate.h"
#include "trainer/weights.h"

/* The data set must number tokens as the model does. */
static int check_match(ds_t *ds, const ckpt_meta_t *meta, const vocab_t *mv,
		       err_t *e)
{
	vocab_t dv;
	int rc = 0;

	if (ds->vocab_size != meta->vocab)
		return err_set(e, "%s: vocab_size %lld, but the model was trained on %lld types",
			       ds->path, (long long)ds->vocab_size, (long long)meta->vocab);
	if (!mv->n || !ds_has_vocab(ds))
		return 0;
	if (vocab_init(&dv, e) || ds_vocab(ds, &dv, e))
		return -1;
	for (size_t i = 0; i < dv.n && !rc; i++)
		if (strcmp(vocab_str(&dv, i), vocab_str(mv, i)))
			rc = err_set(e, "%s: token %zu is \"%s\" here but \"%s\" in the model's vocabulary",
				     ds->path, i, vocab_str(&dv, i), vocab_str(mv, i));
	vocab_free(&dv);
	return rc;
}

/* --bands "C1,C2,...": strictly increasing ids in 1 .. V-1. */
static int parse_bands(const char *s, int64_t V, eval_bands_t *b, err_t *e)
{
	const char *p = s;

	b->ncut = 0;
	while (*p) {
		char *end;
		long long v = strtoll(p, &end, 10);

		if (end == p || (*end && *end != ',') || b->ncut == EVAL_MAX_BANDS - 1 || v < 1 ||
		    v >= V || (b->ncut && v <= b->cut[b->ncut - 1]))
			return err_set(e, "--bands %s: expected at most %d strictly increasing ids in "
				       "1 .. %lld", s, EVAL_MAX_BANDS - 1, (long long)V - 1);
		b->cut[b->ncut++] = v;
		p = *end ? end + 1 : end;
	}
	if (!b->ncut)
		return err_set(e, "--bands: expected ids C1,C2,... (got '%s')", s);
	return 0;
}

/* One band per line (or a JSON array): its ids, share of the tokens, mean
 * loss, and the nats per token it adds to the split's loss. */
static void print_bands(const eval_bands_t *b, int64_t V, json_t *j)
{
	double all = 0.0;

	for (int k = 0; k <= b->ncut; k++)
		all += b->tokens[k];
	if (j)
		json_begin_array(j, "bands");
	for (int k = 0; k <= b->ncut; k++) {
		long long lo = k ? b->cut[k - 1] : 0, hi = k < b->ncut ? b->cut[k] : V;
		double n = b->tokens[k], mean = n > 0 ? b->loss[k] / n : 0.0;
		double share = all > 0 ? n / all : 0.0, adds = all > 0 ? b->loss[k] / all : 0.0;

		if (j) {
			json_begin(j, NULL);
			json_int(j, "lo", lo);
			json_int(j, "hi", hi);
			json_num(j, "tokens", "%.0f", n);
			json_num(j, "loss", "%.6f", mean);
			json_num(j, "adds", "%.6f", adds);
			json_end(j);
		} else
			printf("  ids [%lld, %lld): %5.1f%% of the tokens, loss %.4f, adds %.4f of the loss\n",
			       lo, hi, 100.0 * share, mean, adds);
	}
	if (j)
		json_end_array(j);
}

static int run(const char *ckpt, const char *data, const char *split_name,
	       int batch, int bptt, int threads, int json, const char *bands_arg, comm_t *c,
	       err_t *e)
{
	model_t m;
	ckpt_meta_t meta;
	vocab_t v;
	ds_t ds;
	eval_result_t r;
	eval_bands_t bd;
	int split, rc = -1;

	if (split_parse(split_name, &split))
		return err_set(e, "--split must be train, valid or test (got '%s')", split_name);
	if (vocab_init(&v, e))
		return -1;
	if (weights_load(ckpt, &m, &meta, &v, e)) {
		vocab_free(&v);
		return -1;
	}
	if (bands_arg && parse_bands(bands_arg, meta.vocab, &bd, e)) {
		model_free(&m);
		vocab_free(&v);
		return -1;
	}
	if (ds_open(&ds, data, e) == 0) {
		openblas_set_num_threads(threads ? threads : comm_threads_per_rank(c));
		if (check_match(&ds, &meta, &v, e) == 0 &&
		    evaluate_split(&m, &ds, split, batch, bptt, c, bands_arg ? &bd : NULL, NULL, &r,
				   e) == 0)
			rc = 0;
		ds_close(&ds);
	}
	if (rc == 0 && c->rank == 0) {
		if (json) {
			json_t j;

			json_init(&j);
			json_begin(&j, NULL);
			json_str(&j, "split", split_name);
			json_num(&j, "loss", "%.6f", r.loss);
			json_num(&j, "ppl", "%.4f", r.ppl);
			json_int(&j, "tokens", r.tokens);
			json_int(&j, "batch", batch);
			json_int(&j, "bptt", bptt);
			json_int(&j, "ranks", c->size);
			if (bands_arg)
				print_bands(&bd, meta.vocab, &j);
			json_end(&j);
			rc = json_print(&j, e);
			json_free(&j);
		} else {
			printf("%s: loss=%.4f ppl=%.2f (%lld tokens, batch %d x %d ranks, bptt %d)\n",
			       split_name, r.loss, r.ppl, (long long)r.tokens, batch, c->size, bptt);
			if (bands_arg)
				print_bands(&bd, meta.vocab, NULL);
		}
	}
	model_free(&m);
	vocab_free(&v);
	return rc;
}

int cmd_eval(int argc, char **argv)
{
	const char *ckpt, *data, *split, *bands, *pos[1];
	int batch, bptt, threads, json, npos, rc;
	flag_t opts[] = {
		{ "--ckpt", FLAG_STR, &ckpt, "PATH", "weights or checkpoint file, or a run directory (its newest)" },
		{ "--data", FLAG_STR, &data, "FILE", "token data set with the model's vocabulary" },
		{ "--split", FLAG_STR, &split, "NAME", "train, valid or test", "test" },
		{ "--batch", FLAG_INT, &batch, "B", "streams per rank; state is carried along each stream", "1", .flags = FLAG_RANGE, .lo = 1, .hi = 1 << 20 },
		{ "--bptt", FLAG_INT, &bptt, "T", "steps per window (state still carries across windows)", "35", .flags = FLAG_RANGE, .lo = 1, .hi = 1 << 20 },
		{ "--threads", FLAG_INT, &threads, "N", "BLAS threads per rank (0 = cores / ranks on the node)", "0", .flags = FLAG_RANGE, .lo = 0, .hi = 1024 },
		{ "--json", FLAG_BOOL, &json, NULL, "print one JSON object" },
		{ "--bands", FLAG_STR, &bands, "C1,C2,...", "also the loss of the ids [0, C1), [C1, C2), ..., [Ck, V), from each token's exact log-probability (one output layer per token: slower)" },
	};
	int nopts = sizeof(opts) / sizeof(opts[0]);
	comm_t c;
	err_t e;

	rc = cli_read("eval", argc, argv, opts, nopts, pos, 0, &npos, &e);
	if (rc == 1) {
		cli_usage(stdout, "[mpirun -np P] engram eval --ckpt PATH --data FILE.h5 [--split test] [FLAGS]",
			  "Prints the loss (nats per token) and perplexity of a split, with the LSTM\n"
			  "state carried through the whole split from a zero start.  The split is cut\n"
			  "into ranks x batch streams; the windows' tail that fits no window is not\n"
			  "scored.  Batch 1 scores the split as one stream; the Zaremba et al. numbers\n"
			  "use the training layout (batch 20, bptt 20 or 35) for validation.",
			  opts, nopts);
		return 0;
	}
	if (rc == 0 && (!ckpt || !data))
		rc = err_set(&e, "engram eval: --ckpt and --data are required");
	if (rc) {
		fprintf(stderr, "%s\n", e.msg);
		return 2;
	}
	if (comm_init(&c, &argc, &argv, &e)) {
		fprintf(stderr, "engram eval: %s\n", e.msg);
		return 1;
	}
	rc = run(ckpt, data, split, batch, bptt, threads, json, bands, &c, &e);
	if (rc)
		fprintf(stderr, "engram eval: %s\n", e.msg);
	comm_free(&c);
	return rc ? 1 : 0;
}
