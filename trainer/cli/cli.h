/*
 * cli.h - engram's command line: argv and --help over a command's flag
 * table (trainer/flags.h), so help and behaviour cannot drift apart.
 */
#ifndef ENGRAM_CLI_H
#define ENGRAM_CLI_H

#include <stdio.h>

#include "io/err.h"
#include "trainer/flags.h"

/*
 * Parses argv[first..argc): flags per the table ("--x V" or "--x=V"; "-o V"
 * for a table that has --output), everything else into pos[] (at most
 * maxpos).  Returns 0, 1 when -h or --help was given, or -1 with a message
 * naming the command and the flag.  Ranges are flag_check's, after a
 * preset or a command's own defaults have had their say.
 */
int cli_parse(const char *cmd, int argc, char **argv, int first,
	      flag_t *opts, int nopts, const char **pos, int maxpos,
	      int *npos, err_t *e);

/* A command's whole line: its table's defaults, then argv[2..] (as
 * cli_parse), then the ranges; cli_parse's returns. */
int cli_read(const char *cmd, int argc, char **argv, flag_t *opts, int nopts,
	     const char **pos, int maxpos, int *npos, err_t *e);

/* --help: the synopsis, the text, then each flag with its current value
 * (the default, or a preset's), its unit and its range. */
void cli_usage(FILE *f, const char *synopsis, const char *about,
	       const flag_t *opts, int nopts);

#endif
