/* cli.c - strict flag parsing and help text from one table. */
#include "trainer/cli.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

cli_opt_t *cli_find(cli_opt_t *opts, int nopts, const char *name)
{
	for (int i = 0; i < nopts; i++)
		if (!strcmp(opts[i].name, name))
			return &opts[i];
	return NULL;
}

static int set_value(const char *cmd, cli_opt_t *o, const char *v, err_t *e)
{
	char *end;

	errno = 0;
	switch (o->type) {
	case CLI_FLAG:
		*(int *)o->dst = 1;
		return 0;
	case CLI_INT: {
		long x = strtol(v, &end, 10);

		if (*v == '\0' || *end || errno || x < INT_MIN || x > INT_MAX)
			return err_set(e, "engram %s: %s expects an integer (got '%s')",
				       cmd, o->name, v);
		*(int *)o->dst = (int)x;
		return 0;
	}
	case CLI_I64: {
		long long x = strtoll(v, &end, 10);

		if (*v == '\0' || *end || errno)
			return err_set(e, "engram %s: %s expects an integer (got '%s')",
				       cmd, o->name, v);
		*(long long *)o->dst = x;
		return 0;
	}
	case CLI_DOUBLE: {
		double x = strtod(v, &end);

		if (*v == '\0' || *end || errno || !isfinite(x))
			return err_set(e, "engram %s: %s expects a number (got '%s')",
				       cmd, o->name, v);
		*(double *)o->dst = x;
		return 0;
	}
	case CLI_STR:
		*(const char **)o->dst = v;
		return 0;
	}
	return -1;
}

int cli_parse(const char *cmd, int argc, char **argv, int first,
	      cli_opt_t *opts, int nopts, const char **pos, int maxpos,
	      int *npos, err_t *e)
{
	*npos = 0;
	for (int i = first; i < argc; i++) {
		const char *a = argv[i], *eq, *val = NULL;
		char name[64];
		cli_opt_t *o;

		if (!strcmp(a, "-h") || !strcmp(a, "--help"))
			return 1;
		/* -o, the one short flag, for the commands that have --output */
		if (!strcmp(a, "-o") && cli_find(opts, nopts, "--output"))
			a = "--output";
		if (strncmp(a, "--", 2) != 0 || a[2] == '\0') {
			if (*npos == maxpos)
				return err_set(e, "engram %s: unexpected argument '%s'", cmd, a);
			pos[(*npos)++] = a;
			continue;
		}
		eq = strchr(a, '=');
		snprintf(name, sizeof(name), "%.*s",
			 (int)(eq ? eq - a : (long)strlen(a)), a);
		o = cli_find(opts, nopts, name);
		if (!o)
			return err_set(e, "engram %s: unknown flag '%s' (see engram %s --help)",
				       cmd, name, cmd);
		if (o->type == CLI_FLAG) {
			if (eq)
				return err_set(e, "engram %s: %s takes no value", cmd, name);
		} else if (eq) {
			val = eq + 1;
		} else if (i + 1 < argc) {
			val = argv[++i];
		} else {
			return err_set(e, "engram %s: %s needs a value", cmd, name);
		}
		if (set_value(cmd, o, val, e))
			return -1;
		o->seen = 1;
	}
	return 0;
}

static void print_default(FILE *f, const cli_opt_t *o)
{
	switch (o->type) {
	case CLI_FLAG:
		fprintf(f, "%s", *(int *)o->dst ? "on" : "off");
		break;
	case CLI_INT:
		fprintf(f, "%d", *(int *)o->dst);
		break;
	case CLI_I64:
		fprintf(f, "%lld", *(long long *)o->dst);
		break;
	case CLI_DOUBLE:
		fprintf(f, "%g", *(double *)o->dst);
		break;
	case CLI_STR: {
		const char *s = *(const char **)o->dst;

		fprintf(f, "%s", s ? s : "none");
		break;
	}
	}
}

void cli_usage(FILE *f, const char *synopsis, const char *about,
	       const cli_opt_t *opts, int nopts)
{
	fprintf(f, "usage: %s\n\n%s\n\n", synopsis, about);
	for (int i = 0; i < nopts; i++) {
		const cli_opt_t *o = &opts[i];
		char head[64];

		snprintf(head, sizeof(head), "%s%s%s", o->name, o->arg ? " " : "",
			 o->arg ? o->arg : "");
		fprintf(f, "  %-22s %s (default: ", head, o->help);
		print_default(f, o);
		fprintf(f, ")\n");
	}
	fprintf(f, "  %-22s this help\n", "-h, --help");
}
