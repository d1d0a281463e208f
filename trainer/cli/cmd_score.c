/* cmd_score.c - `engram score`: sentence log-probabilities, SRILM's
 * `ngram -ppl` output, Kaldi n-best costs, or JSON. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "io/json.h"
#include "trainer/cli/cli.h"
#include "trainer/cli/cmds.h"
#include "trainer/score.h"
#include "trainer/weights.h"

typedef struct {
	const char *ckpt, *input;
	int nbest, carry, oov, debug, json, batch, bptt, threads, skip_bad;
} score_args_t;

/* The input's lines: text (no newline), an n-best id, and which line of
 * the set holds each (-1: skipped as bad). */
typedef struct {
	char *buf;
	size_t n;
	int nlines;
	const char **text;
	size_t *len;
	const char **id;
	size_t *id_len;
	int *set_line;
} lines_t;

static void lines_free(lines_t *l)
{
	free(l->buf), free(l->text), free(l->len), free(l->id), free(l->id_len), free(l->set_line);
}

/* The whole input on rank 0 (only it has standard input under mpirun),
 * then to every rank: each tokenizes all of it, the same way. */
static int read_all(const char *path, lines_t *l, comm_t *c, err_t *e)
{
	int64_t n = -1;
	err_t why = { "" };

	if (c->rank == 0) {
		FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
		size_t cap = 1 << 16, got;

		l->buf = f ? malloc(cap) : NULL;
		while (l->buf) {
			if (l->n == cap) {
				char *b = realloc(l->buf, cap * 2);

				if (!b)
					break;
				l->buf = b, cap *= 2;
			}
			got = fread(l->buf + l->n, 1, cap - l->n, f);
			l->n += got;
			if (got == 0)
				break;
		}
		if (!f)
			err_set(&why, "%s: cannot open", path);
		else if (ferror(f) || l->n == cap)
			err_set(&why, "%s: %s", path, ferror(f) ? "read error" : "out of memory");
		else
			n = (int64_t)l->n;
		if (f && f != stdin)
			fclose(f);
	}
	if (c->size > 1 && comm_bcast(c, &n, sizeof(n), 0, e))
		return -1;
	if (n < 0)
		return c->rank == 0 ? err_set(e, "%s", why.msg) : err_set(e, "%s: rank 0 could not read it", path);
	if (c->rank != 0 && !(l->buf = malloc((size_t)n + 1)))
		return err_set(e, "out of memory for %lld bytes of input", (long long)n);
	l->n = (size_t)n;
	if (c->size > 1 && n > 0 && comm_bcast(c, l->buf, (size_t)n, 0, e))
		return -1;
	return 0;
}

/* Cuts buf into lines; with nbest, each line's first field is its id. */
static int split_lines(lines_t *l, int nbest, err_t *e)
{
	size_t max = 1;

	for (size_t i = 0; i < l->n; i++)
		max += l->buf[i] == '\n';
	l->text = malloc(max * sizeof(*l->text));
	l->len = malloc(max * sizeof(*l->len));
	l->id = malloc(max * sizeof(*l->id));
	l->id_len = malloc(max * sizeof(*l->id_len));
	l->set_line = malloc(max * sizeof(*l->set_line));
	if (!l->text || !l->len || !l->id || !l->id_len || !l->set_line)
		return err_set(e, "out of memory for %zu lines", max);
	for (size_t p = 0; p < l->n;) {
		const char *s = l->buf + p, *nl = memchr(s, '\n', l->n - p);
		size_t n = nl ? (size_t)(nl - s) : l->n - p, k = 0;
		int i = l->nlines++;

		p += n + (nl != NULL);
		l->id[i] = s, l->id_len[i] = 0;
		if (nbest) {
			while (k < n && s[k] != ' ' && s[k] != '\t')
				k++;
			l->id_len[i] = k;
			while (k < n && (s[k] == ' ' || s[k] == '\t'))
				k++;
		}
		l->text[i] = s + k, l->len[i] = n - k;
	}
	return 0;
}

/* A token's text for --debug 2. */
static void tok_text(const score_set_t *s, int32_t id, int end, char *out, size_t n)
{
	if (end) {
		snprintf(out, n, "</s>");
	} else if (s->tok.kind == TOK_BYTE) {
		if (id > 32 && id < 127)
			snprintf(out, n, "%c", id);
		else
			snprintf(out, n, "\\x%02x", (unsigned)id);
	} else if (s->tok.vocab && (size_t)id < s->tok.vocab->n) {
		const char *v = vocab_str(s->tok.vocab, (size_t)id);

		snprintf(out, n, "%s", !strcmp(v, " ") ? "<space>" : !strcmp(v, "\t") ? "<tab>" : v);
	} else {
		snprintf(out, n, "%d", id);
	}
}

/* One line's sums. */
typedef struct {
	int64_t words, oovs, skipped, ends;
	double nats;
} sums_t;

static void line_sums(const score_set_t *s, int k, sums_t *u)
{
	for (int64_t i = s->off[k] + 1; i < s->off[k + 1]; i++) {
		int end = s->end_id >= 0 && i == s->off[k + 1] - 1;

		u->ends += end;
		u->words += !end;
		u->oovs += s->kind[i] != SCORE_TOK;
		u->skipped += s->kind[i] == SCORE_SKIP;
		u->nats += s->nll[i];
	}
}

/* SRILM's logprob, log10 p = -nats / ln 10: 0 for a total of zero, not
 * "-0". */
static double logprob(double nats)
{
	return nats > 0 ? -nats / log(10.0) : 0.0;
}

/* SRILM's two lines: counts, then logprob (log10), ppl (with the ends),
 * ppl1 (without). */
static void print_sums(const char *head, int64_t sentences, const sums_t *u)
{
	double lp = logprob(u->nats);
	int64_t n1 = u->words - u->skipped, n = n1 + u->ends;

	printf("%s%lld sentences, %lld words, %lld OOVs\n", head, (long long)sentences,
	       (long long)u->words, (long long)u->oovs);
	printf("0 zeroprobs, logprob= %.6g ppl= ", lp);
	if (n > 0)
		printf("%.6g", pow(10.0, -lp / (double)n));
	else
		printf("undefined");
	printf(" ppl1= ");
	if (n1 > 0)
		printf("%.6g\n", pow(10.0, -lp / (double)n1));
	else
		printf("undefined\n");
}

static void print_tokens(const score_set_t *s, int k)
{
	char w[64], ctx[80];

	for (int64_t i = s->off[k] + 1; i < s->off[k + 1]; i++) {
		int end = s->end_id >= 0 && i == s->off[k + 1] - 1;

		tok_text(s, s->ids[i], end, w, sizeof(w));
		if (i == s->off[k] + 1)
			snprintf(ctx, sizeof(ctx), "<s>");
		else
			tok_text(s, s->ids[i - 1], 0, ctx, sizeof(ctx) - 4);
		if (i > s->off[k] + 2)
			strcat(ctx, " ...");
		if (s->kind[i] == SCORE_SKIP)
			printf("\tp( %s | %s ) \t= [OOV] 0 [ -inf ]\n", w, ctx);
		else
			printf("\tp( %s | %s ) \t= %.6g [ %.6g ]\n", w, ctx, exp(-s->nll[i]),
			       -s->nll[i] / log(10.0));
	}
}

static int print_json_line(const lines_t *l, int i, const score_set_t *s, int k, err_t *e)
{
	sums_t u = { 0 };
	json_t j;
	int rc;

	line_sums(s, k, &u);
	json_init(&j);
	json_begin(&j, NULL);
	json_int(&j, "line", i + 1);
	if (l->id_len[i])
		json_strn(&j, "id", l->id[i], l->id_len[i]);
	json_strn(&j, "text", l->text[i], l->len[i]);
	json_int(&j, "words", u.words);
	json_int(&j, "oovs", u.oovs);
	json_num(&j, "logprob", "%.10g", logprob(u.nats));
	json_num(&j, "nats", "%.10g", u.nats);
	json_end(&j);
	rc = json_print(&j, e);
	json_free(&j);
	return rc;
}

static int print_json_total(const char *file, int64_t sentences, const sums_t *u, err_t *e)
{
	int64_t n1 = u->words - u->skipped, n = n1 + u->ends;
	json_t j;
	int rc;

	json_init(&j);
	json_begin(&j, NULL);
	json_str(&j, "file", file);
	json_int(&j, "sentences", sentences);
	json_int(&j, "words", u->words);
	json_int(&j, "oovs", u->oovs);
	json_num(&j, "logprob", "%.10g", logprob(u->nats));
	json_num(&j, "nats", "%.10g", u->nats);
	if (n > 0)
		json_num(&j, "ppl", "%.10g", exp(u->nats / (double)n));
	if (n1 > 0)
		json_num(&j, "ppl1", "%.10g", exp(u->nats / (double)n1));
	json_end(&j);
	rc = json_print(&j, e);
	json_free(&j);
	return rc;
}

/* Rank 0's output, in input order. */
static int report(const score_args_t *a, const lines_t *l, const score_set_t *s, err_t *e)
{
	sums_t tot = { 0 };
	int64_t sentences = 0;

	for (int i = 0; i < l->nlines; i++) {
		int k = l->set_line[i];
		sums_t u = { 0 };

		if (k < 0)
			continue;
		line_sums(s, k, &u);
		sentences++;
		tot.words += u.words, tot.oovs += u.oovs, tot.skipped += u.skipped;
		tot.ends += u.ends, tot.nats += u.nats;
		if (a->nbest) {
			printf("%.*s %.6f\n", (int)l->id_len[i], l->id[i], u.nats);
		} else if (a->json) {
			if (print_json_line(l, i, s, k, e))
				return -1;
		} else if (a->debug >= 1) {
			printf("%.*s\n", (int)l->len[i], l->text[i]);
			if (a->debug >= 2)
				print_tokens(s, k);
			print_sums("", 1, &u);
			printf("\n");
		}
	}
	if (a->nbest)
		return 0;
	if (a->json)
		return print_json_total(a->input, sentences, &tot, e);
	printf("file %s: ", a->input);
	print_sums("", sentences, &tot);
	return 0;
}

/* The tokenizer of the weights; a word model must have <eos> to end a
 * sentence with. */
static int tokenizer(const char *ckpt, const ckpt_meta_t *meta, const vocab_t *v,
		     sample_tok_t *t, err_t *e)
{
	if (sample_tok_init(t, ckpt, meta, v, e))
		return -1;
	if (t->kind == TOK_WORD && t->eos_id < 0)
		return err_set(e, "%s: the vocabulary has no <eos> to end a sentence with", ckpt);
	return 0;
}

/* Every rank reads the same bytes and the same weights, so up to the
 * scoring they fail alike and rank 0 alone says why (*say); in the
 * scoring each rank says its own failure, and rank 0 that of the others. */
static int run(const score_args_t *a, comm_t *c, int *say, err_t *e)
{
	lines_t l = { 0 };
	score_set_t s;
	sample_tok_t t;
	ckpt_meta_t meta;
	model_t m;
	vocab_t v;
	int rc = -1;
	char where[4200];

	*say = c->rank == 0;

	if (vocab_init(&v, e))
		return -1;
	if (weights_load(a->ckpt, &m, &meta, &v, e)) {
		vocab_free(&v);
		return -1;
	}
	score_set_init(&s, &(sample_tok_t){ 0 }, 0, -1, SCORE_OOV_UNK);
	if (tokenizer(a->ckpt, &meta, &v, &t, e))
		goto out;
	score_set_init(&s, &t, sample_start_id(&t), sample_end_id(&t), (score_oov_t)a->oov);
	if (read_all(a->input, &l, c, e) || split_lines(&l, a->nbest, e))
		goto out;
	for (int i = 0; i < l.nlines; i++) {
		snprintf(where, sizeof(where), "%s:%d", a->input, i + 1);
		l.set_line[i] = s.nlines;
		if (!score_add_line(&s, where, l.text[i], l.len[i], e))
			continue;
		if (!a->skip_bad)
			goto out;
		if (c->rank == 0)
			fprintf(stderr, "engram score: %s (skipped)\n", e->msg);
		l.set_line[i] = -1;
	}
	openblas_set_num_threads(a->threads ? a->threads : comm_threads_per_rank(c));
	rc = score_run(&s, &m, a->batch, a->bptt, a->carry, c, e);
	if (rc) {
		*say = rc == -1 || c->rank == 0;
		rc = -1;
		goto out;
	}
	rc = c->rank == 0 ? report(a, &l, &s, e) : 0;
	if (!rc && c->rank == 0 && fflush(stdout))
		rc = err_set(e, "writing the output failed");
out:
	lines_free(&l);
	score_set_free(&s);
	model_free(&m);
	vocab_free(&v);
	return rc;
}

int cmd_score(int argc, char **argv)
{
	static const flag_choice_t oovs[] = {
		{ "unk", SCORE_OOV_UNK }, { "skip", SCORE_OOV_SKIP }, { NULL, 0 },
	};
	score_args_t a = { 0 };
	const char *pos[1];
	int npos, rc, say;
	flag_t opts[] = {
		{ "--ckpt", FLAG_STR, &a.ckpt, "PATH", "weights or checkpoint file, or a run directory (its newest)" },
		{ "--nbest", FLAG_BOOL, &a.nbest, NULL, "Kaldi n-best lines, 'utt-id word word ...': the first field is an id; prints 'utt-id cost' per line, cost = -sum ln p (the end of sentence included)" },
		{ "--carry", FLAG_BOOL, &a.carry, NULL, "carry the LSTM state from line to line (one stream, as engram eval reads a split) instead of a fresh state per line" },
		{ "--oov", FLAG_CHOICE, &a.oov, NULL, "a token outside the vocabulary: unk (scored as <unk>, and counted), skip (left out of the sums, as SRILM without -unk)", "unk", .choices = oovs },
		{ "--debug", FLAG_INT, &a.debug, "N", "0: the file's totals; 1: also each sentence's; 2: also each token's p( w | context )", "0", .flags = FLAG_RANGE, .lo = 0, .hi = 2 },
		{ "--json", FLAG_BOOL, &a.json, NULL, "one JSON object per sentence, then the totals" },
		{ "--batch", FLAG_INT, &a.batch, "B", "sentences scored at once, in parallel streams, per rank", "64", .flags = FLAG_RANGE, .lo = 1, .hi = 1 << 16 },
		{ "--bptt", FLAG_INT, &a.bptt, "T", "steps per window (longer sentences take several, the state carried)", "64", .flags = FLAG_RANGE, .lo = 1, .hi = 1 << 16 },
		{ "--threads", FLAG_INT, &a.threads, "N", "BLAS threads per rank (0 = cores / ranks on the node)", "0", .flags = FLAG_RANGE, .lo = 0, .hi = 1024 },
		{ "--skip-bad", FLAG_BOOL, &a.skip_bad, NULL, "a line that does not tokenize (invalid UTF-8, an unknown word without <unk>) is skipped with a message instead of ending the run" },
	};
	int nopts = sizeof(opts) / sizeof(opts[0]);
	comm_t c;
	err_t e;

	rc = cli_read("score", argc, argv, opts, nopts, pos, 1, &npos, &e);
	if (rc == 1) {
		cli_usage(stdout, "[mpirun -np P] engram score --ckpt PATH [FLAGS] FILE|-",
			  "Scores each line of FILE (or standard input) as a sentence: its tokens, by\n"
			  "the model's own tokenizer and vocabulary, then its end (<eos> for words, the\n"
			  "newline for characters and bytes where the vocabulary has one), each from a\n"
			  "fresh state that has read a line end.  An empty line (or an n-best line with\n"
			  "only its id) is the end of sentence alone.  Output as SRILM's ngram -ppl:\n"
			  "logprob in log10, ppl over words and sentence ends, ppl1 over words.  Under\n"
			  "mpirun the lines are shared out and the output comes back in input order.",
			  opts, nopts);
		return 0;
	}
	if (rc == 0 && (!a.ckpt || npos != 1))
		rc = err_set(&e, "engram score: --ckpt and one input (a file, or - for standard input) are required");
	if (rc == 0 && a.nbest + a.json + (a.debug > 0) > 1)
		rc = err_set(&e, "engram score: --nbest, --json and --debug are different outputs: give one");
	if (rc) {
		fprintf(stderr, "%s\n", e.msg);
		return 2;
	}
	a.input = pos[0];
	if (comm_init(&c, &argc, &argv, &e)) {
		fprintf(stderr, "engram score: %s\n", e.msg);
		return 1;
	}
	rc = run(&a, &c, &say, &e);
	if (rc && say)
		fprintf(stderr, "engram score: %s\n", e.msg);
	comm_free(&c);
	return rc ? 1 : 0;
}
