/* cmd_prepare.c - `engram prepare` and `engram data`: the command-line side
 * of token data sets. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/ds.h"
#include "io/prepare.h"
#include "trainer/cli.h"
#include "trainer/cmds.h"

static int parse_split(const char *s, double frac[3], err_t *e)
{
	char *end;
	const char *p = s;

	for (int i = 0; i < 3; i++) {
		frac[i] = strtod(p, &end);
		if (end == p || (i < 2 ? *end != ',' : *end != '\0'))
			return err_set(e, "engram prepare: --split expects three fractions like 0.9,0.05,0.05 (got '%s')",
				       s);
		p = end + 1;
	}
	return 0;
}

static void print_stats(const prepare_cfg_t *cfg, const prepare_stats_t *st)
{
	printf("wrote %s: tokenizer %s, vocabulary %llu (uint%d ids)", cfg->out,
	       tok_kind_name(cfg->kind), (unsigned long long)st->vocab_size,
	       st->id_bits);
	if (st->unk_id >= 0)
		printf(", <unk> = %lld", (long long)st->unk_id);
	if (st->eos_id >= 0)
		printf(", <eos> = %lld", (long long)st->eos_id);
	printf("\n");
	for (int s = 0; s < 3; s++) {
		printf("  %-5s %10llu tokens", split_names[s],
		       (unsigned long long)st->ntok[s]);
		if (st->unk_id >= 0)
			printf("  %8llu <unk>", (unsigned long long)st->nunk[s]);
		printf("  from %s [%llu, %llu)  sha256 %.16s\n",
		       cfg->in[cfg->nin == 3 ? s : 0],
		       (unsigned long long)st->range[s][0],
		       (unsigned long long)st->range[s][1], st->sha[s]);
	}
}

int cmd_prepare(int argc, char **argv)
{
	const char *tok = "word", *out = NULL, *split = "0.9,0.05,0.05";
	long long cap = 0;
	int force = 0, quiet = 0, npos, rc;
	const char *pos[3];
	prepare_cfg_t cfg = { 0 };
	prepare_stats_t st;
	err_t e;
	cli_opt_t opts[] = {
		{ "--output", CLI_STR, &out, "FILE", "the HDF5 data set to write (also -o)" },
		{ "--tokenizer", CLI_STR, &tok, "KIND", "byte (ids 0-255), char (Unicode code points) or word (whitespace, <eos> per line)" },
		{ "--vocab-size", CLI_I64, &cap, "N", "most types kept, <unk> included; 0 = every train type" },
		{ "--split", CLI_STR, &split, "A,B,C", "train,valid,test fractions of a single input, cut at line ends" },
		{ "--force", CLI_FLAG, &force, NULL, "replace an existing output" },
		{ "--quiet", CLI_FLAG, &quiet, NULL, "no summary, no progress line" },
	};
	int nopts = sizeof(opts) / sizeof(opts[0]);

	/* -o is the one short flag: rewrite it before the table parse. */
	for (int i = 2; i < argc; i++)
		if (!strcmp(argv[i], "-o"))
			argv[i] = "--output";
	rc = cli_parse("prepare", argc, argv, 2, opts, nopts, pos, 3, &npos, &e);
	if (rc == 1) {
		cli_usage(stdout, "engram prepare [FLAGS] -o OUT.h5 TEXT | TRAIN VALID TEST",
			  "Tokenizes text into an HDF5 token data set: 1-D datasets train, valid, test of\n"
			  "uint16/uint32 ids, the vocabulary (built from train only) and the sha256 of\n"
			  "each source (layout: io/FORMATS.md).  One input is split by --split; three\n"
			  "inputs are the train, valid and test texts.",
			  opts, nopts);
		return 0;
	}
	if (rc == 0 && !out)
		rc = err_set(&e, "engram prepare: no output given (-o OUT.h5)");
	if (rc == 0 && npos != 1 && npos != 3)
		rc = err_set(&e, "engram prepare: give one text or three (train valid test), got %d", npos);
	if (rc == 0 && tok_kind_parse(tok, &cfg.kind))
		rc = err_set(&e, "engram prepare: --tokenizer must be byte, char or word (got '%s')", tok);
	if (rc == 0 && cap < 0)
		rc = err_set(&e, "engram prepare: --vocab-size must be >= 0 (got %lld)", cap);
	if (rc == 0 && npos == 1)
		rc = parse_split(split, cfg.frac, &e);
	if (rc) {
		fprintf(stderr, "%s\n", e.msg);
		return 2;
	}
	for (int i = 0; i < npos; i++)
		cfg.in[i] = pos[i];
	cfg.nin = npos;
	cfg.vocab_cap = (uint64_t)cap;
	cfg.out = out;
	cfg.force = force;
	cfg.progress = !quiet && isatty(2);
	if (prepare_run(&cfg, &st, &e)) {
		fprintf(stderr, "engram prepare: %s\n", e.msg);
		return 1;
	}
	if (!quiet)
		print_stats(&cfg, &st);
	return 0;
}

/* Reads every id of every split: the full check that training does lazily. */
static int verify_all(ds_t *ds, err_t *e)
{
	enum { BLOCK = 1 << 20 };
	int32_t *buf = err_malloc(BLOCK * sizeof(*buf), "read buffer", e);
	int rc = 0;

	if (!buf)
		return -1;
	for (int s = 0; s < SPLIT_COUNT && !rc; s++)
		for (int64_t off = 0; off < ds->ntok[s] && !rc; off += BLOCK) {
			int64_t n = ds->ntok[s] - off < BLOCK ? ds->ntok[s] - off : BLOCK;

			rc = ds_read(ds, s, off, n, buf, e);
		}
	free(buf);
	return rc;
}

int cmd_data(int argc, char **argv)
{
	int verify = 0, npos, rc;
	const char *pos[1];
	ds_t ds;
	err_t e;
	cli_opt_t opts[] = {
		{ "--verify", CLI_FLAG, &verify, NULL, "read every id and check it is below vocab_size" },
	};

	rc = cli_parse("data", argc, argv, 2, opts, 1, pos, 1, &npos, &e);
	if (rc == 1) {
		cli_usage(stdout, "engram data [--verify] FILE.h5",
			  "Describes a token data set; exits non-zero when it is not valid.", opts, 1);
		return 0;
	}
	if (rc == 0 && npos != 1)
		rc = err_set(&e, "engram data: give one data set file");
	if (rc) {
		fprintf(stderr, "%s\n", e.msg);
		return 2;
	}
	if (ds_open(&ds, pos[0], &e)) {
		fprintf(stderr, "engram data: %s\n", e.msg);
		return 1;
	}
	printf("%s: tokenizer %s, vocab_size %lld, unk_id %lld, eos_id %lld\n",
	       ds.path, ds.tokenizer, (long long)ds.vocab_size,
	       (long long)ds.unk_id, (long long)ds.eos_id);
	for (int s = 0; s < SPLIT_COUNT; s++)
		if (ds.ntok[s] >= 0)
			printf("  %-5s %10lld tokens\n", split_names[s], (long long)ds.ntok[s]);
	if (ds.tokens_sha256[0])
		printf("  tokens_sha256 %s\n", ds.tokens_sha256);
	rc = verify ? verify_all(&ds, &e) : 0;
	if (rc)
		fprintf(stderr, "engram data: %s\n", e.msg);
	else if (verify)
		printf("  verified: every id is below %lld\n", (long long)ds.vocab_size);
	ds_close(&ds);
	return rc ? 1 : 0;
}
