/*
 * cli.h - table-driven command-line flags for engram's subcommands.
 *
 * Each subcommand lists its flags once; the same table parses argv and
 * prints `--help` with every flag's current (default) value and unit, so
 * help and behaviour cannot drift apart.
 */
#ifndef ENGRAM_CLI_H
#define ENGRAM_CLI_H

#include <stdio.h>

#include "io/err.h"

typedef enum { CLI_FLAG, CLI_INT, CLI_I64, CLI_DOUBLE, CLI_STR } cli_type_t;

typedef struct {
	const char *name;	/* "--batch" */
	cli_type_t type;
	void *dst;		/* int*, long long*, double*, const char** */
	const char *arg;	/* placeholder in help: "N", "X", "FILE" */
	const char *help;	/* what it does, with its unit */
	int seen;		/* set when given on the command line */
} cli_opt_t;

/*
 * Parses argv[first..argc): flags per the table ("--x V" or "--x=V"; "-o V"
 * for a table that has --output), everything else into pos[] (at most
 * maxpos).  Returns 0, 1 when -h or
 * --help was given, or -1 with a message naming the command and the flag.
 */
int cli_parse(const char *cmd, int argc, char **argv, int first,
	      cli_opt_t *opts, int nopts, const char **pos, int maxpos,
	      int *npos, err_t *e);

void cli_usage(FILE *f, const char *synopsis, const char *about,
	       const cli_opt_t *opts, int nopts);

/* The option of the table by name, or NULL. */
cli_opt_t *cli_find(cli_opt_t *opts, int nopts, const char *name);

#endif
