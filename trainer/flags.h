/*
 * flags.h - a command's flags as one table: name, type, default, range,
 * unit, help and, for a choice, its allowed values.
 *
 * The table is the only place a flag is described.  It sets the defaults,
 * checks every range, and writes the keyed rows as the run's JSON
 * configuration; the command-line layer (trainer/cli/) parses argv and
 * prints --help from the same rows.  A choice is parsed once, into its
 * value: nothing compares a flag's string after that.
 */
#ifndef ENGRAM_FLAGS_H
#define ENGRAM_FLAGS_H

#include "io/err.h"
#include "io/json.h"

typedef enum {
	FLAG_BOOL,	/* int*: 1 when given */
	FLAG_INT,	/* int* */
	FLAG_I64,	/* long long* */
	FLAG_DOUBLE,	/* double* */
	FLAG_STR,	/* const char**: points into argv, or at the default */
	FLAG_CHOICE,	/* an enum (int-sized): the value of the name given */
} flag_type_t;

/* One allowed value of a choice; a list ends with name NULL. */
typedef struct {
	const char *name;
	int value;
} flag_choice_t;

/* Bits of flag_t.flags: what flag_check enforces on a number, and how
 * flag_json writes a row. */
enum {
	FLAG_RANGE = 1,		/* lo <= value <= hi */
	FLAG_LO_OPEN = 2,	/* lo < value */
	FLAG_HI_OPEN = 4,	/* value < hi */
	FLAG_F32 = 8,		/* finite once rounded to float (1e39 is not) */
	FLAG_UNSET = 16,	/* the value `unset` ("auto", "the default") passes */
	FLAG_JSON_EXACT = 32,	/* a double as %.17g, not %g */
	FLAG_JSON_VALUE = 64,	/* a choice as its value, not its name */
};

typedef struct {
	const char *name;	/* "--batch" */
	flag_type_t type;
	void *dst;
	const char *arg;	/* placeholder in help: "N", "X", "FILE"; for a
				 * choice without one, its names "a|b|c" */
	const char *help;	/* what it does */
	const char *def;	/* the default, as it is typed (NULL: none) */
	const flag_choice_t *choices;	/* FLAG_CHOICE */
	int flags;		/* FLAG_RANGE | ... */
	double lo, hi, unset;
	const char *unit;	/* after the value in help: "s", "MiB" */
	const char *key;	/* its key in the run's JSON configuration, or NULL */
	int seen;		/* set when given on the command line */
} flag_t;

/* Sets a row's destination from text, as typed after the flag; -1 with
 * "FLAG expects ..." or "FLAG must be a, b or c (got 'x')". */
int flag_set(flag_t *f, const char *text, err_t *e);

/* Sets every destination to its row's default (a FLAG_BOOL to 0; without
 * a default, a FLAG_STR to NULL and a FLAG_CHOICE to -1, "none"); -1 when
 * a default does not parse, a mistake in the table that the tests catch. */
int flag_defaults(flag_t *t, int n, err_t *e);

/* Checks every row's range; -1 with "--flag must be in ... (got V)" for
 * the first value outside its row's. */
int flag_check(const flag_t *t, int n, err_t *e);

/* Writes every row that has a key into the open JSON object j. */
void flag_json(json_t *j, const flag_t *t, int n);

/* The row by name, or NULL. */
flag_t *flag_find(flag_t *t, int n, const char *name);

/* The name of a choice's value, or NULL. */
const char *flag_choice_name(const flag_choice_t *choices, int value);

/* A choice by name: 0 and *value, or -1 with "WHAT must be a, b or c
 * (got 'x')". */
int flag_choice_parse(const char *what, const flag_choice_t *choices,
		      const char *name, int *value, err_t *e);

#endif
