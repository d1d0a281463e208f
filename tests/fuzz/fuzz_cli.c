/*
 * fuzz_cli.c - the command-line parser (trainer/cli.c) and the run
 * configuration (trainer/config.c) on arbitrary argument vectors: the input
 * is cut at NUL and newline bytes into at most 64 arguments, then parsed
 * as `engram train` does (the preset first, then the flags, then the range
 * checks, the JSON form of the configuration and its comparison), and as
 * `engram prepare` and `engram data` parse theirs (trainer/prepare_args.c).
 *
 * Oracles besides the sanitizers: a failure always leaves a message; a
 * configuration that resolves has its values in range; the JSON is
 * NUL-terminated within its buffer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz_common.h"
#include "trainer/cli/cli.h"
#include "trainer/config.h"
#include "trainer/cli/prepare_args.h"

#define MAX_ARGS 64

static FILE *devnull;

static void train(int argc, char **argv)
{
	static char ref[8192];
	train_cfg_t cfg;
	flag_t opts[TRAIN_MAX_FLAGS];
	const char *preset = train_cfg_find_preset(argc, argv), *pos[1];
	model_cfg_t m;
	optim_cfg_t o;
	sched_cfg_t s;
	char json[8192];
	int nopts, npos, rc, n = 0;
	err_t e = { "" };

	if (!ref[0]) {
		train_cfg_t d;
		model_cfg_t dm = { .vocab = 1000, .embed = 200, .hidden = 200, .layers = 2 };

		FUZZ_CHECK(!train_cfg_default(&d, &e));
		d.data = "data.h5";
		train_cfg_json_str(&d, &dm, ref, sizeof(ref));
	}
	FUZZ_CHECK(!train_cfg_default(&cfg, &e));
	if (preset && train_cfg_preset(&cfg, preset, &e)) {
		FUZZ_CHECK(e.msg[0]);
		return;
	}
	nopts = train_cfg_flags(&cfg, opts, TRAIN_MAX_FLAGS);
	FUZZ_CHECK(nopts > 0);
	rc = cli_parse("train", argc, argv, 2, opts, nopts, pos, 0, &npos, &e);
	if (rc == 1) {
		cli_usage(devnull, "engram train", "about", opts, nopts);
		return;
	}
	if (rc) {
		FUZZ_CHECK(rc == -1 && e.msg[0]);
		return;
	}
	FUZZ_CHECK(npos == 0);
	if (train_cfg_resolve(&cfg, 1000, &m, &o, &s, &e)) {
		FUZZ_CHECK(e.msg[0]);
		return;
	}
	FUZZ_CHECK(cfg.batch >= 1 && cfg.bptt >= 1 && cfg.accum >= 1);
	FUZZ_CHECK(m.layers >= 1 && m.hidden >= 1 && m.embed >= 1 && m.vocab == 1000);
	FUZZ_CHECK(s.factor > 0);
	train_cfg_json_str(&cfg, &m, json, sizeof(json));
	FUZZ_CHECK(memchr(json, '\0', sizeof(json)) != NULL);
	/* what a resume prints: the old configuration against the new */
	train_cfg_json_diff(ref, json, NULL, fuzz_count_change, &n);
	train_cfg_json_diff(json, ref, "lr epochs", fuzz_count_change, &n);
	train_cfg_json_diff(json, json, NULL, fuzz_count_change, &n);
	FUZZ_CHECK(n >= 0);
}

/* engram prepare's and engram data's command lines (trainer/prepare_args.c). */
static void prepare(int argc, char **argv)
{
	prepare_cfg_t cfg;
	const char *path = NULL;
	int quiet, verify, rc;
	err_t e = { "" };

	rc = prepare_args_parse(argc, argv, &cfg, &quiet, devnull, &e);
	if (rc == -1)
		FUZZ_CHECK(e.msg[0]);
	else if (rc == 0)
		FUZZ_CHECK(cfg.out && (cfg.nin == 1 || cfg.nin == 3) &&
			   cfg.in[cfg.nin - 1] && (quiet == 0 || quiet == 1));
	e.msg[0] = '\0';
	rc = prepare_args_parse_data(argc, argv, &path, &verify, devnull, &e);
	if (rc == -1)
		FUZZ_CHECK(e.msg[0]);
	else if (rc == 0)
		FUZZ_CHECK(path && (verify == 0 || verify == 1));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *argv[MAX_ARGS + 3];
	int argc = 2;

	if (!devnull) {
		devnull = fopen("/dev/null", "w");
		FUZZ_CHECK(devnull);
	}
	buf = malloc(size + 1);
	FUZZ_CHECK(buf);
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[0] = "engram";
	argv[1] = "train";
	for (size_t i = 0; i < size; i++)
		if (buf[i] == '\n')
			buf[i] = '\0';
	/* every NUL-terminated piece is one argument (empty ones too) */
	for (size_t i = 0; i < size && argc < MAX_ARGS + 2;) {
		size_t len = strlen(buf + i);

		argv[argc++] = buf + i;
		i += len + 1;
	}
	argv[argc] = NULL;
	train(argc, argv);
	prepare(argc, argv);
	free(buf);
	return 0;
}
