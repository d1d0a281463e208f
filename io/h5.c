/* h5.c - HDF5 attribute helpers. */
#include "io/h5.h"

#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "io/text.h"

void h5_quiet(void)
{
	H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

hid_t h5_create(const char *path)
{
	hid_t fapl = H5Pcreate(H5P_FILE_ACCESS), f;

	H5Pset_libver_bounds(fapl, H5F_LIBVER_V110, H5F_LIBVER_LATEST);
	f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
	H5Pclose(fapl);
	return f;
}

static int put(hid_t obj, const char *name, hid_t type, hid_t space,
	       const void *buf, err_t *e)
{
	hid_t a;
	herr_t st;

	if (H5Aexists(obj, name) > 0)
		H5Adelete(obj, name);
	a = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
	if (a < 0)
		return err_set(e, "cannot create HDF5 attribute '%s'", name);
	st = H5Awrite(a, type, buf);
	H5Aclose(a);
	return st < 0 ? err_set(e, "cannot write HDF5 attribute '%s'", name) : 0;
}

int h5_attr_put_str(hid_t obj, const char *name, const char *val, err_t *e)
{
	hid_t t = H5Tcopy(H5T_C_S1), s = H5Screate(H5S_SCALAR);
	int rc;

	H5Tset_size(t, strlen(val) + 1);
	H5Tset_strpad(t, H5T_STR_NULLTERM);
	H5Tset_cset(t, H5T_CSET_UTF8);
	rc = put(obj, name, t, s, val, e);
	H5Sclose(s);
	H5Tclose(t);
	return rc;
}

int h5_attr_put_i64v(hid_t obj, const char *name, const int64_t *v, size_t n,
		     err_t *e)
{
	hsize_t dim = n;
	hid_t s = n == 1 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &dim, NULL);
	int rc = put(obj, name, H5T_NATIVE_INT64, s, v, e);

	H5Sclose(s);
	return rc;
}

int h5_attr_put_i64(hid_t obj, const char *name, int64_t val, err_t *e)
{
	return h5_attr_put_i64v(obj, name, &val, 1, e);
}

int h5_attr_put_f64(hid_t obj, const char *name, double val, err_t *e)
{
	hid_t s = H5Screate(H5S_SCALAR);
	int rc = put(obj, name, H5T_NATIVE_DOUBLE, s, &val, e);

	H5Sclose(s);
	return rc;
}

int h5_attr_exists(hid_t obj, const char *name)
{
	return H5Aexists(obj, name) > 0;
}

/* The attribute, of class want and 1 .. max values (*n gets how many). */
static hid_t open_attr_n(hid_t obj, const char *what, const char *name,
			 H5T_class_t want, size_t max, size_t *n, err_t *e)
{
	hid_t a, t, s;
	hssize_t np = -1;
	int ok;

	if (H5Aexists(obj, name) <= 0) {
		err_set(e, "%s: attribute '%s' is missing", what, name);
		return -1;
	}
	a = H5Aopen(obj, name, H5P_DEFAULT);
	if (a < 0) {
		err_set(e, "%s: cannot open attribute '%s'", what, name);
		return -1;
	}
	t = H5Aget_type(a);
	s = H5Aget_space(a);
	if (s >= 0)
		np = H5Sget_simple_extent_npoints(s);
	ok = t >= 0 && s >= 0 && H5Tget_class(t) == want && np >= 1 &&
	     (size_t)np <= max;
	if (t >= 0)
		H5Tclose(t);
	if (s >= 0)
		H5Sclose(s);
	if (!ok) {
		const char *kind = want == H5T_STRING ? "string" :
				   want == H5T_FLOAT ? "number" : "integer";

		H5Aclose(a);
		if (max == 1)
			err_set(e, "%s: attribute '%s' is not a single %s", what, name, kind);
		else
			err_set(e, "%s: attribute '%s' is not 1 to %zu values of type %s",
				what, name, max, kind);
		return -1;
	}
	*n = (size_t)np;
	return a;
}

static hid_t open_attr(hid_t obj, const char *what, const char *name,
		       H5T_class_t want, err_t *e)
{
	size_t n;

	return open_attr_n(obj, what, name, want, 1, &n, e);
}

int h5_attr_get_i64v(hid_t obj, const char *what, const char *name,
		     int64_t *v, size_t max, size_t *n, err_t *e)
{
	hid_t a = open_attr_n(obj, what, name, H5T_INTEGER, max, n, e);
	herr_t st;

	if (a < 0)
		return -1;
	st = H5Aread(a, H5T_NATIVE_INT64, v);
	H5Aclose(a);
	return st < 0 ? err_set(e, "%s: cannot read attribute '%s'", what, name) : 0;
}

int h5_attr_get_i64(hid_t obj, const char *what, const char *name,
		    int64_t *val, err_t *e)
{
	size_t n;

	return h5_attr_get_i64v(obj, what, name, val, 1, &n, e);
}

int h5_attr_get_f64(hid_t obj, const char *what, const char *name,
		    double *val, err_t *e)
{
	hid_t a = open_attr(obj, what, name, H5T_FLOAT, e);
	herr_t st;

	if (a < 0)
		return -1;
	st = H5Aread(a, H5T_NATIVE_DOUBLE, val);
	H5Aclose(a);
	return st < 0 ? err_set(e, "%s: cannot read attribute '%s'", what, name) : 0;
}

int h5_attr_get_str(hid_t obj, const char *what, const char *name, char *buf,
		    size_t n, err_t *e)
{
	hid_t a = open_attr(obj, what, name, H5T_STRING, e);
	hid_t ft, mt;
	herr_t st = -1;

	if (a < 0)
		return -1;
	ft = H5Aget_type(a);
	if (H5Tis_variable_str(ft) > 0) {
		char *p = NULL;

		mt = H5Tcopy(H5T_C_S1);
		H5Tset_size(mt, H5T_VARIABLE);
		H5Tset_cset(mt, H5Tget_cset(ft));
		st = H5Aread(a, mt, &p);
		if (st >= 0 && p) {
			snprintf(buf, n, "%s", p);
			H5free_memory(p);
		}
	} else {
		size_t sz = H5Tget_size(ft);
		char tmp[4096];

		mt = H5Tcopy(H5T_C_S1);
		if (sz >= sizeof(tmp))
			sz = sizeof(tmp) - 1;
		H5Tset_size(mt, sz + 1);
		H5Tset_strpad(mt, H5T_STR_NULLTERM);
		H5Tset_cset(mt, H5Tget_cset(ft));
		st = H5Aread(a, mt, tmp);
		if (st >= 0)
			snprintf(buf, n, "%s", tmp);
	}
	H5Tclose(mt);
	H5Tclose(ft);
	H5Aclose(a);
	return st < 0 ? err_set(e, "%s: cannot read attribute '%s'", what, name) : 0;
}

uint32_t h5_crc32(const void *buf, size_t n)
{
	const Bytef *p = buf;
	uLong crc = crc32(0L, Z_NULL, 0);

	for (size_t off = 0; off < n; off += 1u << 30) {
		size_t k = n - off < (1u << 30) ? n - off : (1u << 30);

		crc = crc32(crc, p + off, (uInt)k);
	}
	return (uint32_t)crc;
}

/* The stored crc32 of dataset d, if any, against buf. */
static int check_crc(hid_t d, const void *buf, size_t n, const char *what,
		     const char *name, err_t *e)
{
	int64_t crc;

	if (!h5_attr_exists(d, "crc32"))
		return 0;
	if (h5_attr_get_i64(d, what, "crc32", &crc, e))
		return -1;
	if ((uint32_t)crc != h5_crc32(buf, n))
		return err_set(e, "%s: dataset '%s' fails its CRC-32 check (the file is corrupt)",
			       what, name);
	return 0;
}

static hid_t vl_utf8(void)
{
	hid_t t = H5Tcopy(H5T_C_S1);

	H5Tset_size(t, H5T_VARIABLE);
	H5Tset_cset(t, H5T_CSET_UTF8);
	return t;
}

int h5_write_vocab(hid_t loc, const char *name, const vocab_t *v,
		   const char *what, err_t *e)
{
	hid_t d;
	int rc;

	/* the arena holds the strings in id order, each with its NUL */
	if (h5_put_bytes(loc, name, v->arena, v->arena_len, what, e))
		return -1;
	d = H5Dopen2(loc, name, H5P_DEFAULT);
	if (d < 0)
		return err_set(e, "%s: cannot reopen dataset '%s'", what, name);
	rc = h5_attr_put_i64(d, "entries", (int64_t)v->n, e);
	H5Dclose(d);
	return rc;
}

/* A forged chunk shape: libhdf5 allocates a whole chunk (up to 4 GiB) to
 * read any part of it, and keeps a record per chunk of what it reads, so
 * chunks of more than 64 MiB, and more chunks than one per 4 KiB of data,
 * are refused.  engram writes chunks of 64 KiB (data sets) and of about
 * 1 MiB and at most 16 MiB (checkpoints, whole rows of up to 4 x 2^20
 * floats), or the whole dataset when it is smaller. */
#define MAX_CHUNK_BYTES ((uint64_t)64 << 20)

static int chunk_too_big(hid_t dcpl, hid_t d)
{
	hsize_t cd[H5S_MAX_RANK], dims[H5S_MAX_RANK];
	hid_t t = H5Dget_type(d), s = H5Dget_space(d);
	uint64_t esz = t >= 0 ? H5Tget_size(t) : 0, b = esz, raw = esz, n = 1;
	int r = H5Pget_chunk(dcpl, H5S_MAX_RANK, cd);
	int rs = s >= 0 ? H5Sget_simple_extent_dims(s, dims, NULL) : -1;

	if (t >= 0)
		H5Tclose(t);
	if (s >= 0)
		H5Sclose(s);
	if (r < 1 || rs != r)
		return 1;
	for (int i = 0; i < r; i++) {
		uint64_t k = cd[i] ? (dims[i] + cd[i] - 1) / cd[i] : 0;

		if (!cd[i])
			return 1;
		b = b > MAX_CHUNK_BYTES / cd[i] ? MAX_CHUNK_BYTES + 1 : b * cd[i];
		raw = dims[i] && raw > UINT64_MAX / 2 / dims[i] ? UINT64_MAX / 2 : raw * dims[i];
		n = k && n > UINT64_MAX / 2 / k ? UINT64_MAX / 2 : n * k;
	}
	return b > MAX_CHUNK_BYTES || n > 16 + raw / 4096;
}

/* The rules are in h5.h.  A vocabulary of 2^32 entries declared by a forged
 * header of a small file, say, is refused before anything is allocated. */
int h5_storage_plausible(hid_t d, uint64_t raw, uint64_t *stored,
			 int *bad_chunks)
{
	hid_t f = H5Iget_file_id(d), dcpl = H5Dget_create_plist(d);
	hsize_t fsize = 0;
	herr_t rc = f >= 0 ? H5Fget_filesize(f, &fsize) : -1;
	int chunked = dcpl >= 0 && H5Pget_layout(dcpl) == H5D_CHUNKED;
	int big = chunked && chunk_too_big(dcpl, d);

	if (f >= 0)
		H5Fclose(f);
	if (dcpl >= 0)
		H5Pclose(dcpl);
	*stored = (uint64_t)H5Dget_storage_size(d);
	if (bad_chunks)
		*bad_chunks = big;
	/* only chunks can be compressed: other layouts store every byte */
	return rc >= 0 && !big && *stored <= fsize && (chunked || *stored >= raw) &&
	       !(raw > 65536 && *stored * H5_MAX_RATIO < raw);
}

/* The layout of data sets written before format 2 and by h5py users (a list
 * of str): libhdf5 reads its strings from a global heap whose damage it does
 * not detect, so only the CRC afterwards guards it. */
static int read_vlen(hid_t d, const char *name, int64_t n, vocab_t *v,
		     const char *what, err_t *e)
{
	hid_t t, s, ft;
	hssize_t got;
	char **p = NULL;
	uint64_t stored;
	herr_t rc = -1;
	int ret;

	s = H5Dget_space(d);
	ft = H5Dget_type(d);
	got = H5Sget_simple_extent_npoints(s);
	t = vl_utf8();
	if (got != n)
		ret = err_set(e, "%s: dataset '%s' has %lld entries (expected %lld)",
			      what, name, (long long)got, (long long)n);
	else if (H5Tget_class(ft) != H5T_STRING || H5Tis_variable_str(ft) <= 0)
		ret = err_set(e, "%s: dataset '%s' is not variable-length strings", what, name);
	else if (!h5_storage_plausible(d, (uint64_t)n * H5Tget_size(ft), &stored, NULL))
		ret = err_set(e, "%s: dataset '%s' claims %lld entries that the file does not hold (damaged or forged)",
			      what, name, (long long)n);
	else if (!(p = err_calloc((size_t)n, sizeof(*p), "vocabulary", e)))
		ret = -1;
	else if ((rc = H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, p)) < 0)
		ret = err_set(e, "%s: cannot read dataset '%s'", what, name);
	else
		ret = 0;
	for (int64_t i = 0; !ret && i < n; i++) {
		const char *str = p[i] ? p[i] : "";
		size_t before = v->n;

		ret = vocab_add(v, str, strlen(str), 0, NULL, e);
		if (!ret && v->n == before)
			ret = err_set(e, "%s: dataset '%s' repeats entry %lld \"%s\"",
				      what, name, (long long)i, str);
	}
	if (!ret && v->n == (size_t)n)
		ret = check_crc(d, v->arena, v->arena_len, what, name, e);
	if (rc >= 0)
		H5Dvlen_reclaim(t, s, H5P_DEFAULT, p);
	free(p);
	H5Tclose(t);
	H5Tclose(ft);
	H5Sclose(s);
	return ret;
}

/* The strings of blob[0..len), each NUL-terminated, into v: exactly n
 * distinct, valid UTF-8 ones. */
static int split_blob(const char *blob, size_t len, int64_t n, vocab_t *v,
		      const char *what, const char *name, err_t *e)
{
	size_t at = 0;

	if (len && blob[len - 1] != '\0')
		return err_set(e, "%s: dataset '%s' does not end in a NUL (damaged)", what, name);
	while (at < len) {
		size_t l = strlen(blob + at), bad, before = v->n;
		const char *why;

		if ((int64_t)v->n == n)
			return err_set(e, "%s: dataset '%s' holds more than %lld entries",
				       what, name, (long long)n);
		if (text_utf8_check(blob + at, l, &bad, &why))
			return err_set(e, "%s: dataset '%s' entry %zu is not UTF-8 (byte %zu: %s)",
				       what, name, v->n, bad, why);
		if (vocab_add(v, blob + at, l, 0, NULL, e))
			return -1;
		if (v->n == before)
			return err_set(e, "%s: dataset '%s' repeats entry %zu \"%s\"",
				       what, name, before, blob + at);
		at += l + 1;
	}
	if ((int64_t)v->n != n)
		return err_set(e, "%s: dataset '%s' has %zu entries (expected %lld)",
			       what, name, v->n, (long long)n);
	return 0;
}

int h5_read_vocab(hid_t loc, const char *name, int64_t n, vocab_t *v,
		  const char *what, err_t *e)
{
	/* a token is at most TEXT_MAX_WORD bytes and its NUL */
	size_t max = (size_t)n * (TEXT_MAX_WORD + 1);
	H5T_class_t cls;
	char *blob = NULL;
	size_t len = 0;
	hid_t d, t;
	int rc;

	if (H5Lexists(loc, name, H5P_DEFAULT) <= 0)
		return err_set(e, "%s: dataset '%s' is missing", what, name);
	d = H5Dopen2(loc, name, H5P_DEFAULT);
	if (d < 0)
		return err_set(e, "%s: '%s' is not a dataset", what, name);
	t = H5Dget_type(d);
	cls = t >= 0 ? H5Tget_class(t) : H5T_NO_CLASS;
	if (t >= 0)
		H5Tclose(t);
	if (cls == H5T_STRING) {
		rc = read_vlen(d, name, n, v, what, e);
		H5Dclose(d);
		return rc;
	}
	H5Dclose(d);
	if (cls != H5T_INTEGER)
		return err_set(e, "%s: dataset '%s' is neither bytes nor strings", what, name);
	if (h5_get_bytes(loc, name, max, &blob, &len, what, e))
		return -1;
	rc = split_blob(blob, len, n, v, what, name, e);
	free(blob);
	return rc;
}

int h5_put_bytes(hid_t loc, const char *name, const void *buf, size_t len,
		 const char *what, err_t *e)
{
	hsize_t n = len, chunk = len < 65536 ? (len ? len : 1) : 65536;
	hid_t s = H5Screate_simple(1, &n, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE);
	hid_t d;
	herr_t rc = -1;

	if (len) {
		H5Pset_chunk(dcpl, 1, &chunk);
		H5Pset_deflate(dcpl, 4);
	}
	d = H5Dcreate2(loc, name, H5T_NATIVE_UINT8, s, H5P_DEFAULT, dcpl, H5P_DEFAULT);
	if (d >= 0) {
		rc = len ? H5Dwrite(d, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) : 0;
		if (rc >= 0 && h5_attr_put_i64(d, "crc32", h5_crc32(buf, len), e))
			rc = -1;
		H5Dclose(d);
	}
	H5Pclose(dcpl);
	H5Sclose(s);
	return rc < 0 ? err_set(e, "%s: cannot write dataset '%s'", what, name) : 0;
}

static hid_t open_shaped(hid_t loc, const char *name, H5T_class_t cls,
			 int ndims, hsize_t *dims, const char *what, err_t *e)
{
	hid_t d, s, t;
	int nd, ok;

	if (H5Lexists(loc, name, H5P_DEFAULT) <= 0) {
		err_set(e, "%s: dataset '%s' is missing", what, name);
		return -1;
	}
	d = H5Dopen2(loc, name, H5P_DEFAULT);
	if (d < 0) {
		err_set(e, "%s: '%s' is not a dataset", what, name);
		return -1;
	}
	s = H5Dget_space(d);
	t = H5Dget_type(d);
	nd = H5Sget_simple_extent_ndims(s);
	ok = nd == ndims && H5Tget_class(t) == cls;
	if (ok)
		H5Sget_simple_extent_dims(s, dims, NULL);
	H5Tclose(t);
	H5Sclose(s);
	if (!ok) {
		H5Dclose(d);
		err_set(e, "%s: dataset '%s' has the wrong type or rank", what, name);
		return -1;
	}
	return d;
}

int h5_get_bytes(hid_t loc, const char *name, size_t max, char **buf,
		 size_t *len, const char *what, err_t *e)
{
	hsize_t n;
	hid_t d = open_shaped(loc, name, H5T_INTEGER, 1, &n, what, e);
	uint64_t stored;
	herr_t rc = 0;

	if (d < 0)
		return -1;
	if (n > max) {
		H5Dclose(d);
		return err_set(e, "%s: dataset '%s' holds %llu bytes (at most %zu expected)",
			       what, name, (unsigned long long)n, max);
	}
	if (!h5_storage_plausible(d, n, &stored, NULL)) {
		H5Dclose(d);
		return err_set(e, "%s: dataset '%s' of %llu bytes claims %llu stored bytes, implausible for its size or the file's (damaged or forged)",
			       what, name, (unsigned long long)n, (unsigned long long)stored);
	}
	*buf = err_malloc((size_t)n + 1, name, e);
	if (*buf && n)
		rc = H5Dread(d, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, *buf);
	if (*buf && rc >= 0 && check_crc(d, *buf, (size_t)n, what, name, e)) {
		free(*buf);
		*buf = NULL;
		H5Dclose(d);
		return -1;
	}
	H5Dclose(d);
	if (!*buf)
		return -1;
	if (rc < 0) {
		free(*buf);
		*buf = NULL;
		return err_set(e, "%s: cannot read dataset '%s'", what, name);
	}
	(*buf)[n] = '\0';
	*len = (size_t)n;
	return 0;
}

int h5_put_u64(hid_t loc, const char *name, const uint64_t *buf, size_t rows,
	       size_t cols, const char *what, err_t *e)
{
	hsize_t dims[2] = { rows, cols };
	hid_t s = H5Screate_simple(2, dims, NULL);
	hid_t d = H5Dcreate2(loc, name, H5T_STD_U64LE, s, H5P_DEFAULT, H5P_DEFAULT,
			     H5P_DEFAULT);
	herr_t rc = -1;

	if (d >= 0) {
		rc = H5Dwrite(d, H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
		if (rc >= 0 &&
		    h5_attr_put_i64(d, "crc32", h5_crc32(buf, rows * cols * 8), e))
			rc = -1;
		H5Dclose(d);
	}
	H5Sclose(s);
	return rc < 0 ? err_set(e, "%s: cannot write dataset '%s'", what, name) : 0;
}

int h5_get_u64(hid_t loc, const char *name, uint64_t *buf, size_t rows,
	       size_t cols, const char *what, err_t *e)
{
	hsize_t dims[2];
	hid_t d = open_shaped(loc, name, H5T_INTEGER, 2, dims, what, e);
	herr_t rc;

	if (d < 0)
		return -1;
	if (dims[0] != rows || dims[1] != cols) {
		H5Dclose(d);
		return err_set(e, "%s: dataset '%s' is %llu x %llu (expected %zu x %zu)", what,
			       name, (unsigned long long)dims[0], (unsigned long long)dims[1],
			       rows, cols);
	}
	rc = H5Dread(d, H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
	if (rc >= 0 && check_crc(d, buf, rows * cols * 8, what, name, e)) {
		H5Dclose(d);
		return -1;
	}
	H5Dclose(d);
	return rc < 0 ? err_set(e, "%s: cannot read dataset '%s'", what, name) : 0;
}
