/* prepare_args.c - the flag tables of `engram prepare` and `engram data`. */
#include "trainer/cli/prepare_args.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "trainer/cli/cli.h"

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

int prepare_args_parse(int argc, char **argv, prepare_cfg_t *cfg, int *quiet,
		       FILE *help, err_t *e)
{
	const char *out, *split;
	long long cap;
	int force, npos, rc, kind;
	const char *pos[3];
	/* the tokenizers' names are io/text.c's */
	flag_choice_t toks[] = {
		{ tok_kind_name(TOK_BYTE), TOK_BYTE }, { tok_kind_name(TOK_CHAR), TOK_CHAR },
		{ tok_kind_name(TOK_WORD), TOK_WORD }, { NULL, 0 },
	};
	flag_t opts[] = {
		{ "--output", FLAG_STR, &out, "FILE", "the HDF5 data set to write (also -o)" },
		{ "--tokenizer", FLAG_CHOICE, &kind, NULL, "byte (ids 0-255), char (Unicode code points) or word (whitespace, <eos> per line)", "word", .choices = toks },
		{ "--vocab-size", FLAG_I64, &cap, "N", "most types kept, <unk> included; 0 = every train type", "0", .flags = FLAG_RANGE, .lo = 0, .hi = 1LL << 40 },
		{ "--split", FLAG_STR, &split, "A,B,C", "train,valid,test fractions of a single input, cut at line ends", "0.9,0.05,0.05" },
		{ "--force", FLAG_BOOL, &force, NULL, "replace an existing output" },
		{ "--quiet", FLAG_BOOL, quiet, NULL, "no summary, no progress line" },
	};
	int nopts = sizeof(opts) / sizeof(opts[0]);

	memset(cfg, 0, sizeof(*cfg));
	rc = cli_read("prepare", argc, argv, opts, nopts, pos, 3, &npos, e);
	if (rc == 1) {
		cli_usage(help, "engram prepare [FLAGS] -o OUT.h5 TEXT | TRAIN VALID TEST",
			  "Tokenizes text into an HDF5 token data set: 1-D datasets train, valid, test of\n"
			  "uint16/uint32 ids, the vocabulary (built from train only) and the sha256 of\n"
			  "each source (layout: io/FORMATS.md).  One input is split by --split; three\n"
			  "inputs are the train, valid and test texts.",
			  opts, nopts);
		return 1;
	}
	if (rc)
		return -1;
	if (!out)
		return err_set(e, "engram prepare: no output given (-o OUT.h5)");
	if (npos != 1 && npos != 3)
		return err_set(e, "engram prepare: give one text or three (train valid test), got %d", npos);
	cfg->kind = (tok_kind_t)kind;
	if (npos == 1 && parse_split(split, cfg->frac, e))
		return -1;
	for (int i = 0; i < npos; i++)
		cfg->in[i] = pos[i];
	cfg->nin = npos;
	cfg->vocab_cap = (uint64_t)cap;
	cfg->out = out;
	cfg->force = force;
	return 0;
}

int prepare_args_parse_data(int argc, char **argv, const char **path,
			    int *verify, FILE *help, err_t *e)
{
	int npos, rc;
	const char *pos[1];
	flag_t opts[] = {
		{ "--verify", FLAG_BOOL, verify, NULL, "read every id and check it is below vocab_size" },
	};

	rc = cli_read("data", argc, argv, opts, 1, pos, 1, &npos, e);
	if (rc == 1) {
		cli_usage(help, "engram data [--verify] FILE.h5",
			  "Describes a token data set; exits non-zero when it is not valid.", opts, 1);
		return 1;
	}
	if (rc)
		return -1;
	if (npos != 1)
		return err_set(e, "engram data: give one data set file");
	*path = pos[0];
	return 0;
}
