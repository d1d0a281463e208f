/* cli.c - strict flag parsing and help text from one table. */
#include "trainer/cli/cli.h"

#include <float.h>
#include <string.h>

int cli_parse(const char *cmd, int argc, char **argv, int first,
	      flag_t *opts, int nopts, const char **pos, int maxpos,
	      int *npos, err_t *e)
{
	*npos = 0;
	for (int i = first; i < argc; i++) {
		const char *a = argv[i], *eq, *val = NULL;
		char name[64];
		flag_t *o;
		err_t why;

		if (!strcmp(a, "-h") || !strcmp(a, "--help"))
			return 1;
		/* -o, the one short flag, for the commands that have --output */
		if (!strcmp(a, "-o") && flag_find(opts, nopts, "--output"))
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
		o = flag_find(opts, nopts, name);
		if (!o)
			return err_set(e, "engram %s: unknown flag '%s' (see engram %s --help)",
				       cmd, name, cmd);
		if (o->type == FLAG_BOOL) {
			if (eq)
				return err_set(e, "engram %s: %s takes no value", cmd, name);
		} else if (eq) {
			val = eq + 1;
		} else if (i + 1 < argc) {
			val = argv[++i];
		} else {
			return err_set(e, "engram %s: %s needs a value", cmd, name);
		}
		if (flag_set(o, val, &why))
			return err_set(e, "engram %s: %s", cmd, why.msg);
		o->seen = 1;
	}
	return 0;
}

int cli_read(const char *cmd, int argc, char **argv, flag_t *opts, int nopts,
	     const char **pos, int maxpos, int *npos, err_t *e)
{
	err_t why;
	int rc;

	*npos = 0;
	if (flag_defaults(opts, nopts, &why))
		return err_set(e, "engram %s: %s", cmd, why.msg);
	rc = cli_parse(cmd, argc, argv, 2, opts, nopts, pos, maxpos, npos, e);
	if (rc == 0 && flag_check(opts, nopts, &why))
		return err_set(e, "engram %s: %s", cmd, why.msg);
	return rc;
}

/* The row's current value, its unit and its range. */
static void print_value(FILE *f, const flag_t *o)
{
	const char *s;

	switch (o->type) {
	case FLAG_BOOL:
		fprintf(f, "%s", *(int *)o->dst ? "on" : "off");
		break;
	case FLAG_INT:
		fprintf(f, "%d", *(int *)o->dst);
		break;
	case FLAG_I64:
		fprintf(f, "%lld", *(long long *)o->dst);
		break;
	case FLAG_DOUBLE:
		fprintf(f, "%g", *(double *)o->dst);
		break;
	case FLAG_STR:
		s = *(const char **)o->dst;
		fprintf(f, "%s", s ? s : "none");
		break;
	case FLAG_CHOICE:
		s = flag_choice_name(o->choices, *(int *)o->dst);
		fprintf(f, "%s", s ? s : "none");
		break;
	}
	if (o->unit)
		fprintf(f, " %s", o->unit);
	if (!(o->flags & FLAG_RANGE))
		return;
	if (o->type != FLAG_DOUBLE)
		fprintf(f, "; %lld .. %lld", (long long)o->lo, (long long)o->hi);
	else if (o->hi >= FLT_MAX)
		fprintf(f, "; %s %.12g", o->flags & FLAG_LO_OPEN ? ">" : ">=", o->lo);
	else
		fprintf(f, "; %s%.12g, %.12g%s", o->flags & FLAG_LO_OPEN ? "(" : "[", o->lo, o->hi,
			o->flags & FLAG_HI_OPEN ? ")" : "]");
}

/* A choice's placeholder: its names, "a|b|c". */
static void choice_arg(const flag_t *o, char *buf, size_t n)
{
	size_t k = 0;

	buf[0] = '\0';
	for (const flag_choice_t *c = o->choices; c && c->name && k < n; c++)
		k += (size_t)snprintf(buf + k, n - k, "%s%s", c == o->choices ? "" : "|", c->name);
}

void cli_usage(FILE *f, const char *synopsis, const char *about,
	       const flag_t *opts, int nopts)
{
	fprintf(f, "usage: %s\n\n%s\n\n", synopsis, about);
	for (int i = 0; i < nopts; i++) {
		const flag_t *o = &opts[i];
		char head[256], arg[200];
		const char *a = o->arg;

		/* a choice's names stand for its value, or (with a placeholder,
		 * for a long list) follow its help */
		if (o->type == FLAG_CHOICE)
			choice_arg(o, arg, sizeof(arg));
		if (o->type == FLAG_CHOICE && !a)
			a = arg;
		snprintf(head, sizeof(head), "%s%s%s", o->name, a ? " " : "", a ? a : "");
		fprintf(f, "  %-22s %s", head, o->help);
		if (o->type == FLAG_CHOICE && a != arg)
			fprintf(f, ": %s", arg);
		fprintf(f, " (default: ");
		print_value(f, o);
		fprintf(f, ")\n");
	}
	fprintf(f, "  %-22s this help\n", "-h, --help");
}
