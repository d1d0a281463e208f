/* prepare_args.c - the flag tables of `engram prepare` and `engram data`. */
#include "trainer/prepare_args.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "trainer/cli.h"

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
	const char *tok = "word", *out = NULL, *split = "0.9,0.05,0.05";
	long long cap = 0;
	int force = 0, npos, rc;
	const char *pos[3];
	cli_opt_t opts[] = {
		{ "--output", CLI_STR, &out, "FILE", "the HDF5 data set to write (also -o)" },
		{ "--tokenizer", CLI_STR, &tok, "KIND", "byte (ids 0-255), char (Unicode code points) or word (whitespace, <eos> per line)" },
		{ "--vocab-size", CLI_I64, &cap, "N", "most types kept, <unk> included; 0 = every train type" },
		{ "--split", CLI_STR, &split, "A,B,C", "train,valid,test fractions of a single input, cut at line ends" },
		{ "--force", CLI_FLAG, &force, NULL, "replace an existing output" },
		{ "--quiet", CLI_FLAG, quiet, NULL, "no summary, no progress line" },
	};
	int nopts = sizeof(opts) / sizeof(opts[0]);

	memset(cfg, 0, sizeof(*cfg));
	*quiet = 0;
	rc = cli_parse("prepare", argc, argv, 2, opts, nopts, pos, 3, &npos, e);
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
	if (tok_kind_parse(tok, &cfg->kind))
		return err_set(e, "engram prepare: --tokenizer must be byte, char or word (got '%s')", tok);
	if (cap < 0)
		return err_set(e, "engram prepare: --vocab-size must be >= 0 (got %lld)", cap);
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
	cli_opt_t opts[] = {
		{ "--verify", CLI_FLAG, verify, NULL, "read every id and check it is below vocab_size" },
	};

	*verify = 0;
	rc = cli_parse("data", argc, argv, 2, opts, 1, pos, 1, &npos, e);
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
