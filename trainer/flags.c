/* flags.c - a flag table's defaults, values, range checks and JSON. */
#include "trainer/flags.h"

#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *flag_choice_name(const flag_choice_t *choices, int value)
{
	for (const flag_choice_t *c = choices; c && c->name; c++)
		if (c->value == value)
			return c->name;
	return NULL;
}

int flag_choice_parse(const char *what, const flag_choice_t *choices,
		      const char *name, int *value, err_t *e)
{
	char list[512] = "";
	size_t n = 0;

	for (const flag_choice_t *c = choices; c && c->name; c++)
		if (!strcmp(c->name, name)) {
			*value = c->value;
			return 0;
		}
	/* "a, b or c", from the table */
	for (const flag_choice_t *c = choices; c && c->name && n < sizeof(list); c++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s",
				      c == choices ? "" : c[1].name ? ", " : " or ", c->name);
	return err_set(e, "%s must be %s (got '%s')", what, list, name);
}

flag_t *flag_find(flag_t *t, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(t[i].name, name))
			return &t[i];
	return NULL;
}

int flag_set(flag_t *f, const char *v, err_t *e)
{
	char *end;

	errno = 0;
	switch (f->type) {
	case FLAG_BOOL:
		*(int *)f->dst = 1;
		return 0;
	case FLAG_INT: {
		long x = strtol(v, &end, 10);

		if (*v == '\0' || *end || errno || x < INT_MIN || x > INT_MAX)
			return err_set(e, "%s expects an integer (got '%s')", f->name, v);
		*(int *)f->dst = (int)x;
		return 0;
	}
	case FLAG_I64: {
		long long x = strtoll(v, &end, 10);

		if (*v == '\0' || *end || errno)
			return err_set(e, "%s expects an integer (got '%s')", f->name, v);
		*(long long *)f->dst = x;
		return 0;
	}
	case FLAG_DOUBLE: {
		double x = strtod(v, &end);

		if (*v == '\0' || *end || errno || !isfinite(x))
			return err_set(e, "%s expects a number (got '%s')", f->name, v);
		*(double *)f->dst = x;
		return 0;
	}
	case FLAG_STR:
		*(const char **)f->dst = v;
		return 0;
	case FLAG_CHOICE:
		return flag_choice_parse(f->name, f->choices, v, (int *)f->dst, e);
	}
	return err_set(e, "%s: unknown flag type %d", f->name, (int)f->type);
}

int flag_defaults(flag_t *t, int n, err_t *e)
{
	for (int i = 0; i < n; i++) {
		flag_t *f = &t[i];

		if (f->type == FLAG_BOOL)
			*(int *)f->dst = 0;
		else if (!f->def && f->type == FLAG_STR)
			*(const char **)f->dst = NULL;
		else if (!f->def && f->type == FLAG_CHOICE)
			*(int *)f->dst = -1;	/* none of them */
		else if (!f->def)
			return err_set(e, "%s has no default", f->name);
		else if (flag_set(f, f->def, e))
			return -1;
	}
	return 0;
}

/* An integer row: lo <= v <= hi. */
static int check_int(const flag_t *f, long long v, err_t *e)
{
	if (v >= (long long)f->lo && v <= (long long)f->hi)
		return 0;
	return err_set(e, "%s must be in %lld .. %lld (got %lld)", f->name,
		       (long long)f->lo, (long long)f->hi, v);
}

/* A number the run uses as a float: between lo and hi, each end excluded
 * when the row says so, and (FLAG_F32) finite once rounded to float. */
static int check_double(const flag_t *f, double v, err_t *e)
{
	int lo_open = f->flags & FLAG_LO_OPEN, hi_open = f->flags & FLAG_HI_OPEN;
	float x = (float)v;

	if ((!(f->flags & FLAG_F32) || isfinite(x)) && (lo_open ? v > f->lo : v >= f->lo) &&
	    (hi_open ? x < f->hi : v <= f->hi))
		return 0;
	if (f->hi >= FLT_MAX)
		return err_set(e, "%s must be %s %g and fit a float (got %g)", f->name,
			       lo_open ? ">" : ">=", f->lo, v);
	return err_set(e, "%s must be in %s%g, %g%s (got %g)", f->name, lo_open ? "(" : "[",
		       f->lo, f->hi, hi_open ? ")" : "]", v);
}

int flag_check(const flag_t *t, int n, err_t *e)
{
	for (int i = 0; i < n; i++) {
		const flag_t *f = &t[i];
		long long k = 0;
		double v;

		if (!(f->flags & FLAG_RANGE))
			continue;
		if (f->type == FLAG_INT)
			k = *(int *)f->dst;
		else if (f->type == FLAG_I64)
			k = *(long long *)f->dst;
		v = f->type == FLAG_DOUBLE ? *(double *)f->dst : (double)k;
		if ((f->flags & FLAG_UNSET) && v == f->unset)
			continue;
		if (f->type == FLAG_DOUBLE ? check_double(f, v, e) : check_int(f, k, e))
			return -1;
	}
	return 0;
}

void flag_json(json_t *j, const flag_t *t, int n)
{
	for (int i = 0; i < n; i++) {
		const flag_t *f = &t[i];
		const char *s;

		if (!f->key)
			continue;
		switch (f->type) {
		case FLAG_BOOL:
		case FLAG_INT:
			json_int(j, f->key, *(int *)f->dst);
			break;
		case FLAG_I64:
			json_int(j, f->key, *(long long *)f->dst);
			break;
		case FLAG_DOUBLE:
			json_num(j, f->key, f->flags & FLAG_JSON_EXACT ? "%.17g" : "%g",
				 *(double *)f->dst);
			break;
		case FLAG_STR:
			s = *(const char **)f->dst;
			json_str(j, f->key, s ? s : "");
			break;
		case FLAG_CHOICE:
			if (f->flags & FLAG_JSON_VALUE) {
				json_int(j, f->key, *(int *)f->dst);
				break;
			}
			s = flag_choice_name(f->choices, *(int *)f->dst);
			json_str(j, f->key, s ? s : "");
			break;
		}
	}
}
