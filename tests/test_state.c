/*
 * test_state.c FORMATS.md - the resumable state's table (train_state.h):
 * io/FORMATS.md's list of /train attributes is exactly the table's names
 * (plus metrics_offset, which the log code writes beside them), and every
 * row survives ts_put -> HDF5 -> ts_get -> ts_restore into a fresh trainer
 * with a value no other row has.
 */
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "tests/check.h"
#include "trainer/train_state.h"

/* written beside the table by the log code (checkpoint.c) */
static const char *const extra[] = { "metrics_offset" };

static int in_table(const char *name)
{
	for (int k = 0; k < TS_N; k++)
		if (!strcmp(ts_fields[k].name, name))
			return 1;
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
		if (!strcmp(extra[i], name))
			return 1;
	return 0;
}

/* The names in backticks on FORMATS.md's "| `/train` attrs |" row. */
static void formats(const char *path)
{
	static char line[8192];
	char names[64][64];
	int n = 0, found = 0;
	FILE *f = fopen(path, "r");

	CHECK(f != NULL, "cannot open %s", path);
	while (f && fgets(line, sizeof(line), f)) {
		const char *p = line, *q;

		if (strncmp(line, "| `/train` attrs |", 18))
			continue;
		found = 1;
		p = strchr(line + 18, '|');	/* the type column, then the list */
		while (p && (p = strchr(p, '`')) && (q = strchr(p + 1, '`')) && n < 64) {
			/* an attribute name is [a-z0-9_]; `metrics.jsonl` and
			 * `/train/metrics` in the row's prose are not */
			if (strspn(p + 1, "abcdefghijklmnopqrstuvwxyz0123456789_") == (size_t)(q - p - 1))
				snprintf(names[n++], sizeof(names[0]), "%.*s", (int)(q - p - 1), p + 1);
			p = q + 1;
		}
	}
	if (f)
		fclose(f);
	CHECK(found, "%s has no '| `/train` attrs |' row", path);
	for (int i = 0; i < n; i++)
		CHECK(in_table(names[i]), "FORMATS.md names /train attribute '%s', which the "
		      "table does not hold", names[i]);
	for (int k = 0; k < TS_N; k++) {
		int listed = 0;

		for (int i = 0; i < n; i++)
			listed |= !strcmp(names[i], ts_fields[k].name);
		CHECK(listed, "the table's '%s' is not in FORMATS.md's /train list",
		      ts_fields[k].name);
	}
}

static void round_trip(void)
{
	trainer_t *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	ts_val_t v[TS_N];
	const char *dir = check_tmpdir();
	char path[512];
	err_t e;
	hid_t f, g;

	if (!a || !b)
		exit(2);
	/* row k holds 1000 + k (or 1000.5 + k): a row that lands in another's
	 * place, or nowhere, shows */
	for (int k = 0; k < TS_N; k++) {
		char *p = (char *)a + ts_fields[k].off;

		for (int j = 0; j < k; j++)
			CHECK(strcmp(ts_fields[j].name, ts_fields[k].name) &&
			      ts_fields[j].off != ts_fields[k].off, "rows %d and %d share a name "
			      "or a member", j, k);
		if (ts_fields[k].type == TS_F64)
			*(double *)p = 1000.5 + k;
		else if (ts_fields[k].type == TS_I64)
			*(int64_t *)p = 1000 + k;
		else
			*(int *)p = 1000 + k;
	}
	snprintf(path, sizeof(path), "%s/state.h5", dir);
	f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
	g = H5Gcreate2(f, "train", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
	CHECK(ts_put(g, a, &e) == 0, "ts_put: %s", e.msg);
	CHECK(ts_get(g, path, v, &e) == 0, "ts_get: %s", e.msg);
	ts_restore(b, v);
	for (int k = 0; k < TS_N; k++) {
		const ts_field_t *t = &ts_fields[k];
		const char *pa = (const char *)a + t->off, *pb = (const char *)b + t->off;
		size_t size = t->type == TS_INT ? sizeof(int) : 8;

		if (t->restore)
			CHECK(!memcmp(pa, pb, size), "row %s does not come back", t->name);
		else
			CHECK(v[k].i == 1000 + k, "layout row %s read %lld", t->name,
			      (long long)v[k].i);
	}
	/* a file without the optional rows reads their defaults */
	for (int k = 0; k < TS_N; k++)
		if (ts_fields[k].optional)
			H5Adelete(g, ts_fields[k].name);
	CHECK(ts_get(g, path, v, &e) == 0, "ts_get without the optional rows: %s", e.msg);
	CHECK(v[TS_LR_SCALE].f == 1.0 && v[TS_ROLLBACKS].i == 0, "defaults %g %lld",
	      v[TS_LR_SCALE].f, (long long)v[TS_ROLLBACKS].i);
	H5Adelete(g, "step");
	CHECK(ts_get(g, path, v, &e) == -1 && strstr(e.msg, "step"), "a missing row: %s", e.msg);
	H5Gclose(g);
	H5Fclose(f);
	remove(path);
	rmdir(dir);
	free(a);
	free(b);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: test_state FORMATS.md\n");
		return 2;
	}
	formats(argv[1]);
	round_trip();
	return check_done("test_state");
}
