/*
 * fixture.h - reading the PyTorch fixtures of tests/data/ (written by
 * scripts/make-*-fixture.py) in the C tests that compare engram with them,
 * and the error measure they use.  A fixture that lacks what a test asks
 * for ends the test with exit 2 and the name of the missing object.
 */
#ifndef ENGRAM_FIXTURE_H
#define ENGRAM_FIXTURE_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <hdf5.h>

static inline void *fx_calloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p) {
		fprintf(stderr, "fixture: out of memory\n");
		exit(2);
	}
	return p;
}

/* Dataset `name` of group g, exactly n values, read as `type` into out. */
static inline int fx_read_ds(hid_t g, const char *name, size_t n, hid_t type,
			     void *out)
{
	hid_t d = H5Dopen2(g, name, H5P_DEFAULT), s;
	hssize_t np;
	herr_t rc;

	if (d < 0)
		return -1;
	s = H5Dget_space(d);
	np = H5Sget_simple_extent_npoints(s);
	H5Sclose(s);
	rc = np == (hssize_t)n ? H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) : -1;
	H5Dclose(d);
	return rc < 0 ? -1 : 0;
}

static inline float *fx_read_f32(hid_t g, const char *name, size_t n)
{
	float *x = fx_calloc(n, sizeof(float));

	if (fx_read_ds(g, name, n, H5T_NATIVE_FLOAT, x)) {
		fprintf(stderr, "fixture: dataset %s: missing or not %zu values\n",
			name, n);
		exit(2);
	}
	return x;
}

static inline double fx_read_f64(hid_t g, const char *name)
{
	double v;

	if (fx_read_ds(g, name, 1, H5T_NATIVE_DOUBLE, &v)) {
		fprintf(stderr, "fixture: dataset %s: missing or not 1 value\n", name);
		exit(2);
	}
	return v;
}

static inline int64_t fx_attr_i64(hid_t g, const char *name)
{
	int64_t v = -1;
	hid_t a = H5Aopen(g, name, H5P_DEFAULT);

	if (a < 0 || H5Aread(a, H5T_NATIVE_INT64, &v) < 0) {
		fprintf(stderr, "fixture: attribute %s missing\n", name);
		exit(2);
	}
	H5Aclose(a);
	return v;
}

/* The fixture named by the test's one argument, and its case count in *n;
 * exit 2 with a usage line or the file's name when it cannot be read. */
static inline hid_t fx_open(int argc, char **argv, int64_t *n)
{
	hid_t f;

	if (argc != 2) {
		fprintf(stderr, "usage: %s FIXTURE.h5\n", argv[0]);
		exit(2);
	}
	f = H5Fopen(argv[1], H5F_ACC_RDONLY, H5P_DEFAULT);
	if (f < 0) {
		fprintf(stderr, "%s: cannot open %s\n", argv[0], argv[1]);
		exit(2);
	}
	*n = fx_attr_i64(f, "cases");
	return f;
}

/* max |a - b| / max |b|; a must be all zero where b is, and a NaN in a is
 * an infinite error. */
static inline double fx_rel_err(const float *a, const float *b, size_t n)
{
	double big = 0.0, diff = 0.0;

	for (size_t i = 0; i < n; i++) {
		big = fmax(big, fabs(b[i]));
		diff = isnan(a[i]) ? INFINITY : fmax(diff, fabs((double)a[i] - b[i]));
	}
	return big > 0.0 ? diff / big : diff > 0.0 ? INFINITY : 0.0;
}

#endif
