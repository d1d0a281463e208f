/*
 * prepare_args.h - the command lines of `engram prepare` and `engram data`:
 * each flag table once, parsed and checked, for the commands and for the
 * command-line fuzz harness.
 */
#ifndef ENGRAM_PREPARE_ARGS_H
#define ENGRAM_PREPARE_ARGS_H

#include <stdio.h>

#include "io/err.h"
#include "io/prepare.h"

/*
 * argv[2..] of `engram prepare` into cfg (in[], nin, frac, kind,
 * vocab_cap, out, force; progress is left 0) and *quiet.  Returns 0, 1
 * when -h or --help was given (the usage goes to help), or -1 with a
 * message naming the flag or the argument.  "-o" in argv becomes
 * "--output"; cfg's strings point into argv.
 */
int prepare_args_parse(int argc, char **argv, prepare_cfg_t *cfg, int *quiet,
		       FILE *help, err_t *e);

/* The same for `engram data [--verify] FILE.h5`. */
int prepare_args_parse_data(int argc, char **argv, const char **path,
			    int *verify, FILE *help, err_t *e);

#endif
