/* cmd_prepare.c - `engram prepare` and `engram data`: the command-line side
 * of token data sets. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/ds.h"
#include "io/prepare.h"
#include "trainer/cli/cmds.h"
#include "trainer/cli/prepare_args.h"

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
	prepare_cfg_t cfg;
	prepare_stats_t st;
	int quiet, rc;
	err_t e;

	rc = prepare_args_parse(argc, argv, &cfg, &quiet, stdout, &e);
	if (rc == 1)
		return 0;
	if (rc) {
		fprintf(stderr, "%s\n", e.msg);
		return 2;
	}
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
	const char *path;
	int verify, rc;
	ds_t ds;
	err_t e;

	rc = prepare_args_parse_data(argc, argv, &path, &verify, stdout, &e);
	if (rc == 1)
		return 0;
	if (rc) {
		fprintf(stderr, "%s\n", e.msg);
		return 2;
	}
	if (ds_open(&ds, path, &e)) {
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
