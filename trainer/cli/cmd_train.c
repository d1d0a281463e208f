/* cmd_train.c - `engram train`: flags (a preset first, then overrides)
 * into one train_cfg_t, MPI up, train, MPI down. */
#include <stdio.h>
#include <string.h>

#include "comm/comm.h"
#include "trainer/cli/cli.h"
#include "trainer/cli/cmds.h"
#include "trainer/config.h"
#include "trainer/signals.h"
#include "trainer/train.h"


int cmd_train(int argc, char **argv)
{
	train_cfg_t cfg;
	flag_t opts[TRAIN_MAX_FLAGS];
	const char *preset = train_cfg_find_preset(argc, argv), *pos[1];
	int nopts, npos, rc;
	comm_t comm;
	err_t e;

	signals_install(-1);	/* before MPI's start-up, which can take long */
	if (train_cfg_default(&cfg, &e) || (preset && train_cfg_preset(&cfg, preset, &e))) {
		fprintf(stderr, "engram train: %s\n", e.msg);
		return 2;
	}
	nopts = train_cfg_flags(&cfg, opts, TRAIN_MAX_FLAGS);
	rc = cli_parse("train", argc, argv, 2, opts, nopts, pos, 0, &npos, &e);
	if (rc == 1) {
		cli_usage(stdout,
			  "[mpirun -np P] engram train --data FILE.h5 --run-dir DIR [--preset NAME] [FLAGS]",
			  "Trains an LSTM language model: embedding -> LSTM layers -> linear -> softmax.\n"
			  "Each rank trains on its own shard with truncated BPTT; gradients are averaged\n"
			  "over ranks before every step.  Rank 0 writes DIR/metrics.jsonl (one JSON object\n"
			  "per log line and per evaluation), DIR/config.json and checkpoints\n"
			  "DIR/ckpt-s<step>.h5 (the newest --keep, and best.h5).\n"
			  "Memory per rank: the activations of one window, about 4*L*T*B*H floats for\n"
			  "the LSTM layers plus a block of at most 32 MiB of the output layer's logits\n"
			  "(the T*B*V logits never exist at once); the run prints the exact figure and\n"
			  "stops at start if it cannot be allocated.\n"
			  "Defaults below are the built-in ones, or the preset's when --preset is given.",
			  opts, nopts);
		return 0;
	}
	if (rc) {
		fprintf(stderr, "%s\n", e.msg);
		return 2;
	}
	if (comm_init(&comm, &argc, &argv, &e)) {
		fprintf(stderr, "engram train: %s\n", e.msg);
		return 1;
	}
	rc = train_run(&cfg, &comm);
	comm_free(&comm);
	return rc;
}
