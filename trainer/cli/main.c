/* main.c - engram's entry point: dispatch to the subcommands. */
#include <stdio.h>
#include <string.h>

#include <hdf5.h>

#include "trainer/cli/cmds.h"

#define ENGRAM_VERSION "0.1.0"

typedef struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *about;
} command_t;

static const command_t commands[] = {
	{ "prepare", cmd_prepare, "text -> HDF5 token data set (train/valid/test)" },
	{ "data", cmd_data, "describe or fully check a token data set" },
	{ "train", cmd_train, "train a model (under mpirun: data-parallel)" },
	{ "eval", cmd_eval, "loss and perplexity of a split under saved weights" },
	{ "sample", cmd_sample, "generate text from saved weights" },
	{ "score", cmd_score, "sentence log-probabilities (SRILM -ppl style, Kaldi n-best costs)" },
	{ "ckpt", cmd_ckpt, "inspect, verify, compare and export checkpoints" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: engram COMMAND [FLAGS]   (engram COMMAND --help for its flags)\n\n"
		   "engram trains LSTM language models, data-parallel over MPI ranks.\n\n"
		   "commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].about);
	fprintf(f, "\n  --version  print the version\n  --help     this help\n");
}

int main(int argc, char **argv)
{
	/* HDF5 1.10 crashes at exit while closing a file whose close already
	 * failed (a full disk); the OS reclaims everything anyway. */
	H5dont_atexit();
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("engram %s\n", ENGRAM_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc, argv);
	fprintf(stderr, "engram: unknown command '%s' (see engram --help)\n", argv[1]);
	return 2;
}
