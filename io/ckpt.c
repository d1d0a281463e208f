/* ckpt.c - writing and validating checkpoint files. */
#include "io/ckpt.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "io/atomic.h"
#include "io/h5.h"

#define DEFLATE_LEVEL 1
#define CHUNK_FLOATS (1 << 18)	/* 1 MiB chunks */
/* zlib's deflate shrinks at most about 1032:1; allow some slack. */

static uint32_t crc_floats(const float *x, size_t n)
{
	const Bytef *p = (const Bytef *)x;
	size_t bytes = n * sizeof(float);
	uLong crc = crc32(0L, Z_NULL, 0);

	for (size_t off = 0; off < bytes; off += 1u << 30) {
		size_t k = bytes - off < (1u << 30) ? bytes - off : (1u << 30);

		crc = crc32(crc, p + off, (uInt)k);
	}
	return (uint32_t)crc;
}


/* ---- writing ---- */

/* HDF5's shuffle filter for 4-byte elements: byte j of element i goes to
 * out[j * n + i], so the exponents sit together and deflate better. */
static void shuffle4(const unsigned char *in, unsigned char *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (int j = 0; j < 4; j++)
			out[(size_t)j * n + i] = in[4 * i + (size_t)j];
}

/*
 * The filters of the tensor's dataset (shuffle, then deflate) run here, and
 * only the compressed chunks go through libhdf5 (H5Dwrite_chunk), which
 * serializes every call of the process behind one lock: a filtered
 * H5Dwrite of a large tensor would hold the training thread's data reads
 * for the whole compression while a background checkpoint is written.
 * The bytes are those libhdf5's own filters make (compress2 at the same
 * level over the same shuffle; edge chunks padded with zeros to the full
 * chunk, as libhdf5 stores them); test_ckpt compares the two writers
 * chunk by chunk (ref_filters).
 */
static herr_t put_chunks(hid_t d, const float *x, hsize_t span, int vec, const hsize_t *dims,
			 const hsize_t *chunk)
{
	hsize_t cn = vec ? chunk[0] : chunk[0] * chunk[1];
	size_t cbytes = (size_t)cn * sizeof(float);
	uLong bound = compressBound((uLong)cbytes);
	unsigned char *raw = malloc(cbytes), *shuf = malloc(cbytes), *z = malloc(bound);
	herr_t rc = raw && shuf && z ? 0 : -1;

	for (hsize_t at = 0; rc >= 0 && at < span; at += cn) {
		hsize_t off[2] = { vec ? at : at / dims[1], 0 };
		size_t have = (size_t)(span - at < cn ? span - at : cn) * sizeof(float);
		uLongf zlen = bound;

		memcpy(raw, x + at, have);
		memset(raw + have, 0, cbytes - have);
		shuffle4(raw, shuf, (size_t)cn);
		if (compress2(z, &zlen, shuf, (uLong)cbytes, DEFLATE_LEVEL) != Z_OK)
			rc = -1;
		else
			rc = H5Dwrite_chunk(d, H5P_DEFAULT, 0, off, (size_t)zlen, z);
	}
	free(raw);
	free(shuf);
	free(z);
	return rc;
}

int ckpt_create(ckpt_writer_t *w, const char *path, err_t *e)
{
	memset(w, 0, sizeof(*w));
	w->file = -1;
	h5_quiet();
	snprintf(w->path, sizeof(w->path), "%s", path);
	if (atomic_tmp_path(path, w->tmp, sizeof(w->tmp), e))
		return -1;
	w->file = h5_create(w->tmp);
	if (w->file < 0)
		return err_set(e, "%s: cannot create (directory missing, not writable or full?)",
			       w->tmp);
	return 0;
}

hid_t ckpt_group(ckpt_writer_t *w, const char *group, err_t *e)
{
	char part[256];
	const char *p = group;
	hid_t g = H5Gopen2(w->file, "/", H5P_DEFAULT);

	while (g >= 0 && *p) {
		size_t len = strcspn(p, "/");
		hid_t next;

		snprintf(part, sizeof(part), "%.*s", (int)len, p);
		next = H5Lexists(g, part, H5P_DEFAULT) > 0
			       ? H5Gopen2(g, part, H5P_DEFAULT)
			       : H5Gcreate2(g, part, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
		H5Gclose(g);
		g = next;
		p += len + (p[len] == '/');
	}
	if (g < 0)
		err_set(e, "%s: cannot create group '%s'", w->path, group);
	return g;
}

int ckpt_put_tensor(ckpt_writer_t *w, const char *group, const ckpt_tensor_t *t,
		    err_t *e)
{
	int vec = t->rows == 1;
	hsize_t dims[2] = { (hsize_t)t->rows, (hsize_t)t->cols };
	hsize_t n = dims[0] * dims[1], chunk[2];
	hid_t g, s, dcpl, d;
	herr_t rc;

	/* every reader refuses a non-finite value (ckpt_read_tensor): so the
	 * writer does, before the file has the tensor */
	for (hsize_t i = 0; i < n; i++)
		if (!isfinite(t->data[i]))
			return err_set(e, "%s: tensor '%s/%s' holds %g at element %llu (expected finite "
				       "numbers)", w->path, group, t->name, (double)t->data[i],
				       (unsigned long long)i);
	g = ckpt_group(w, group, e);
	if (g < 0)
		return -1;
	if (vec)
		dims[0] = dims[1];
	s = H5Screate_simple(vec ? 1 : 2, dims, NULL);
	dcpl = H5Pcreate(H5P_DATASET_CREATE);
	/* whole rows per chunk, about CHUNK_FLOATS values */
	if (vec) {
		chunk[0] = n < CHUNK_FLOATS ? n : CHUNK_FLOATS;
	} else {
		chunk[1] = dims[1];
		chunk[0] = CHUNK_FLOATS / dims[1] ? CHUNK_FLOATS / dims[1] : 1;
		if (chunk[0] > dims[0])
			chunk[0] = dims[0];
	}
	if (n > 0) {
		H5Pset_chunk(dcpl, vec ? 1 : 2, chunk);
		H5Pset_shuffle(dcpl);
		H5Pset_deflate(dcpl, DEFLATE_LEVEL);
	}
	d = H5Dcreate2(g, t->name, H5T_IEEE_F32LE, s, H5P_DEFAULT, dcpl, H5P_DEFAULT);
	H5Pclose(dcpl);
	H5Sclose(s);
	H5Gclose(g);
	if (d < 0)
		return err_set(e, "%s: cannot create tensor '%s/%s'", w->path, group, t->name);
	if (n == 0 || w->ref_filters)
		rc = H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, t->data);
	else
		rc = put_chunks(d, t->data, n, vec, dims, chunk);
	if (rc >= 0 &&
	    h5_attr_put_i64(d, "crc32", (int64_t)crc_floats(t->data, n), e)) {
		H5Dclose(d);
		return -1;
	}
	H5Dclose(d);
	return rc < 0 ? err_set(e, "%s: cannot write tensor '%s/%s' (disk full?)",
				w->path, group, t->name) : 0;
}

int ckpt_put_vocab(ckpt_writer_t *w, const vocab_t *v, err_t *e)
{
	return h5_write_vocab(w->file, "vocab", v, w->path, e);
}

static int put_softmax(hid_t g, const ckpt_meta_t *m, err_t *e)
{
	int ad = !strcmp(m->softmax, "adaptive");

	if (h5_attr_put_str(g, "softmax", ad ? "adaptive" : "full", e))
		return -1;
	if (!ad)
		return 0;
	return h5_attr_put_i64v(g, "cutoffs", m->cutoffs, (size_t)m->ncutoffs, e) ||
	       h5_attr_put_f64(g, "div_value", m->div_value, e) ||
	       h5_attr_put_i64(g, "head_bias", m->head_bias, e) ? -1 : 0;
}

int ckpt_put_meta(ckpt_writer_t *w, const ckpt_meta_t *m, err_t *e)
{
	hid_t g = ckpt_group(w, "config", e);
	hid_t f = w->file;
	int rc;

	if (g < 0)
		return -1;
	rc = h5_attr_put_i64(g, "vocab", m->vocab, e) ||
	     h5_attr_put_i64(g, "embed", m->embed, e) ||
	     h5_attr_put_i64(g, "hidden", m->hidden, e) ||
	     h5_attr_put_i64(g, "layers", m->layers, e) ||
	     (m->top_hidden && h5_attr_put_i64(g, "top_hidden", m->top_hidden, e)) ||
	     h5_attr_put_i64(g, "tie", m->tie, e) ||
	     h5_attr_put_str(g, "tokenizer", m->tokenizer, e) ||
	     h5_attr_put_i64(g, "unk_id", m->unk_id, e) ||
	     h5_attr_put_i64(g, "eos_id", m->eos_id, e) ||
	     h5_attr_put_str(g, "data", m->data_path, e) ||
	     h5_attr_put_str(g, "data_tokens_sha256", m->data_sha256, e) ||
	     h5_attr_put_str(g, "run", m->run_config, e) ||
	     put_softmax(g, m, e);
	H5Gclose(g);
	if (rc)
		return -1;
	return h5_attr_put_str(f, "format", CKPT_FORMAT, e) ||
	       h5_attr_put_i64(f, "format_version", CKPT_FORMAT_VERSION, e) ||
	       h5_attr_put_str(f, "kind", m->kind[0] ? m->kind : "weights", e) ||
	       h5_attr_put_i64(f, "step", m->step, e) ||
	       h5_attr_put_i64(f, "epoch", m->epoch, e) ||
	       h5_attr_put_f64(f, "val_loss", m->val_loss, e) ? -1 : 0;
}

void ckpt_abandon(ckpt_writer_t *w)
{
	if (w->file >= 0)
		H5Fclose(w->file);
	w->file = -1;
	if (w->tmp[0])
		unlink(w->tmp);
	w->tmp[0] = '\0';
}

int ckpt_commit(ckpt_writer_t *w, err_t *e)
{
	herr_t rc = H5Fclose(w->file);

	w->file = -1;
	if (rc < 0) {
		err_set(e, "%s: cannot finish writing (disk full?)", w->path);
		ckpt_abandon(w);
		return -1;
	}
	if (atomic_commit(w->tmp, w->path, e)) {
		ckpt_abandon(w);
		return -1;
	}
	w->tmp[0] = '\0';
	return 0;
}

/* ---- reading ---- */

static int get_i64(ckpt_t *c, hid_t obj, const char *name, int64_t *v,
		   int64_t lo, int64_t hi, err_t *e)
{
	if (h5_attr_get_i64(obj, c->path, name, v, e))
		return -1;
	if (*v < lo || *v > hi)
		return err_set(e, "%s: '%s' is %lld (expected %lld .. %lld)", c->path,
			       name, (long long)*v, (long long)lo, (long long)hi);
	return 0;
}

/* softmax, and for "adaptive" its cutoffs (each in 1 .. vocab-1; their
 * order and the rest are the model's checks), div_value and head_bias. */
static int read_softmax(ckpt_t *c, hid_t g, err_t *e)
{
	ckpt_meta_t *m = &c->meta;
	size_t n = 0;

	snprintf(m->softmax, sizeof(m->softmax), "full");
	if (h5_attr_exists(g, "softmax") &&
	    h5_attr_get_str(g, c->path, "softmax", m->softmax, sizeof(m->softmax), e))
		return -1;
	if (!strcmp(m->softmax, "full"))
		return 0;
	if (strcmp(m->softmax, "adaptive"))
		return err_set(e, "%s: 'softmax' is '%s' (expected full or adaptive)", c->path,
			       m->softmax);
	if (h5_attr_get_i64v(g, c->path, "cutoffs", m->cutoffs, CKPT_MAX_CUTOFFS, &n, e) ||
	    h5_attr_get_f64(g, c->path, "div_value", &m->div_value, e) ||
	    get_i64(c, g, "head_bias", &m->head_bias, 0, 1, e))
		return -1;
	m->ncutoffs = (int64_t)n;
	for (size_t k = 0; k < n; k++)
		if (m->cutoffs[k] < 1 || m->cutoffs[k] >= m->vocab)
			return err_set(e, "%s: 'cutoffs' holds %lld (expected 1 .. %lld)", c->path,
				       (long long)m->cutoffs[k], (long long)m->vocab - 1);
	if (!(m->div_value > 1.0) || !isfinite(m->div_value))
		return err_set(e, "%s: 'div_value' is %g (expected a finite number > 1)", c->path,
			       m->div_value);
	return 0;
}

static int read_meta(ckpt_t *c, err_t *e)
{
	ckpt_meta_t *m = &c->meta;
	char fmt[64];
	int64_t ver;
	hid_t g;
	int rc;

	if (!h5_attr_exists(c->file, "format") ||
	    h5_attr_get_str(c->file, c->path, "format", fmt, sizeof(fmt), e) ||
	    strcmp(fmt, CKPT_FORMAT))
		return err_set(e, "%s: not an engram checkpoint (no format attribute \"%s\")",
			       c->path, CKPT_FORMAT);
	if (h5_attr_get_i64(c->file, c->path, "format_version", &ver, e))
		return -1;
	if (ver < 1 || ver > CKPT_FORMAT_VERSION)
		return err_set(e, "%s: checkpoint format version %lld, this engram reads 1 .. %d",
			       c->path, (long long)ver, CKPT_FORMAT_VERSION);
	m->version = ver;
	m->val_loss = NAN;
	snprintf(m->kind, sizeof(m->kind), "weights");
	if (h5_attr_exists(c->file, "kind") &&
	    h5_attr_get_str(c->file, c->path, "kind", m->kind, sizeof(m->kind), e))
		return -1;
	if (get_i64(c, c->file, "step", &m->step, 0, INT64_MAX, e) ||
	    get_i64(c, c->file, "epoch", &m->epoch, 0, INT64_MAX, e))
		return -1;
	if (h5_attr_exists(c->file, "val_loss")) {
		hid_t a = H5Aopen(c->file, "val_loss", H5P_DEFAULT);

		if (a < 0 || H5Aread(a, H5T_NATIVE_DOUBLE, &m->val_loss) < 0)
			m->val_loss = NAN;
		if (a >= 0)
			H5Aclose(a);
	}
	if (H5Lexists(c->file, "config", H5P_DEFAULT) <= 0)
		return err_set(e, "%s: group 'config' is missing", c->path);
	g = H5Gopen2(c->file, "config", H5P_DEFAULT);
	if (g < 0)
		return err_set(e, "%s: 'config' is not a group", c->path);
	rc = get_i64(c, g, "vocab", &m->vocab, 2, 0x7fffffffLL, e) ||
	     get_i64(c, g, "embed", &m->embed, 1, 1 << 20, e) ||
	     get_i64(c, g, "hidden", &m->hidden, 1, 1 << 20, e) ||
	     get_i64(c, g, "layers", &m->layers, 1, 64, e) ||
	     (h5_attr_exists(g, "top_hidden") &&
	      get_i64(c, g, "top_hidden", &m->top_hidden, 1, 1 << 20, e)) ||
	     get_i64(c, g, "tie", &m->tie, 0, 1, e) ||
	     get_i64(c, g, "unk_id", &m->unk_id, -1, m->vocab - 1, e) ||
	     get_i64(c, g, "eos_id", &m->eos_id, -1, m->vocab - 1, e) ||
	     h5_attr_get_str(g, c->path, "tokenizer", m->tokenizer, sizeof(m->tokenizer), e) ||
	     h5_attr_get_str(g, c->path, "data", m->data_path, sizeof(m->data_path), e) ||
	     h5_attr_get_str(g, c->path, "data_tokens_sha256", m->data_sha256,
			     sizeof(m->data_sha256), e) ||
	     h5_attr_get_str(g, c->path, "run", m->run_config, sizeof(m->run_config), e) ||
	     read_softmax(c, g, e);
	H5Gclose(g);
	return rc ? -1 : 0;
}

int ckpt_open(ckpt_t *c, const char *path, err_t *e)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->path, sizeof(c->path), "%s", path);
	c->file = -1;
	h5_quiet();
	if (access(path, R_OK) != 0)
		return err_set(e, "%s: cannot open: %s", path, strerror(errno));
	if (H5Fis_hdf5(path) <= 0)
		return err_set(e, "%s: not an HDF5 file, or truncated (expected an engram checkpoint)",
			       path);
	c->file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
	if (c->file < 0)
		return err_set(e, "%s: cannot open as HDF5 (truncated or damaged?)", path);
	if (read_meta(c, e)) {
		ckpt_close(c);
		return -1;
	}
	return 0;
}

void ckpt_close(ckpt_t *c)
{
	if (c->file >= 0)
		H5Fclose(c->file);
	c->file = -1;
}

static void full_name(char *buf, size_t n, const char *group, const char *name)
{
	snprintf(buf, n, "%s/%s", group, name);
}

/* H5Lexists on "a/b/c" needs every link on the way to exist. */
static int path_exists(hid_t f, const char *path)
{
	char part[512];

	for (const char *p = path; *p;) {
		size_t len = strcspn(p, "/");

		snprintf(part, sizeof(part), "%.*s", (int)(p - path + len), path);
		if (H5Lexists(f, part, H5P_DEFAULT) <= 0)
			return 0;
		p += len + (p[len] == '/');
	}
	return 1;
}

int ckpt_has(ckpt_t *c, const char *group, const char *name)
{
	char full[512];

	full_name(full, sizeof(full), group, name);
	return path_exists(c->file, full);
}

/* Opens group/name as a checked float tensor; -1 with a message. */
static hid_t open_tensor(ckpt_t *c, const char *group, const char *name,
			 int64_t rows, int64_t cols, err_t *e)
{
	char full[512];
	hsize_t dims[2] = { 0, 0 };
	int vec = rows == 1, nd, isfloat;
	uint64_t raw = (uint64_t)rows * (uint64_t)cols * sizeof(float), stored;
	hid_t d, s, t;

	full_name(full, sizeof(full), group, name);
	if (!path_exists(c->file, full)) {
		err_set(e, "%s: tensor '%s' is missing", c->path, full);
		return -1;
	}
	d = H5Dopen2(c->file, full, H5P_DEFAULT);
	if (d < 0) {
		err_set(e, "%s: '%s' is not a dataset", c->path, full);
		return -1;
	}
	s = H5Dget_space(d);
	nd = H5Sget_simple_extent_ndims(s);
	if (nd >= 1 && nd <= 2)
		H5Sget_simple_extent_dims(s, dims, NULL);
	H5Sclose(s);
	t = H5Dget_type(d);
	isfloat = t >= 0 && H5Tget_class(t) == H5T_FLOAT;
	if (t >= 0)
		H5Tclose(t);
	if (!isfloat || nd != (vec ? 1 : 2) ||
	    (vec ? dims[0] != (hsize_t)cols
		 : dims[0] != (hsize_t)rows || dims[1] != (hsize_t)cols)) {
		H5Dclose(d);
		err_set(e, "%s: tensor '%s' is %s of shape (%llu%s%llu), expected floats of shape (%lld%s%lld)",
			c->path, full, isfloat ? "floats" : "not floats",
			(unsigned long long)dims[0], nd == 2 ? ", " : "",
			nd == 2 ? (unsigned long long)dims[1] : 0ULL,
			vec ? (long long)cols : (long long)rows, vec ? "" : ", ",
			vec ? 0LL : (long long)cols);
		return -1;
	}
	if (!h5_storage_plausible(d, raw, &stored, NULL)) {
		H5Dclose(d);
		err_set(e, "%s: tensor '%s' of %llu bytes claims %llu stored bytes, implausible for its size or the file's (damaged or forged)",
			c->path, full, (unsigned long long)raw, (unsigned long long)stored);
		return -1;
	}
	return d;
}

int ckpt_check_tensor(ckpt_t *c, const char *group, const char *name,
		      int64_t rows, int64_t cols, err_t *e)
{
	hid_t d = open_tensor(c, group, name, rows, cols, e);

	if (d < 0)
		return -1;
	H5Dclose(d);
	return 0;
}

int ckpt_read_tensor(ckpt_t *c, const char *group, const char *name,
		     int64_t rows, int64_t cols, float *out, err_t *e)
{
	size_t n = (size_t)rows * (size_t)cols;
	hid_t d = open_tensor(c, group, name, rows, cols, e);
	int64_t crc;
	herr_t rc;

	if (d < 0)
		return -1;
	rc = H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out);
	if (rc >= 0 && h5_attr_get_i64(d, c->path, "crc32", &crc, e)) {
		H5Dclose(d);
		return -1;
	}
	H5Dclose(d);
	if (rc < 0)
		return err_set(e, "%s: cannot read tensor '%s/%s' (truncated or damaged file?)",
			       c->path, group, name);
	if ((uint32_t)crc != crc_floats(out, n))
		return err_set(e, "%s: tensor '%s/%s' fails its CRC-32 check (the file is corrupt)",
			       c->path, group, name);
	for (size_t i = 0; i < n; i++)
		if (!isfinite(out[i]))
			return err_set(e, "%s: tensor '%s/%s' holds a non-finite value at %zu",
				       c->path, group, name, i);
	return 0;
}

/* More objects than any checkpoint holds (3 groups of at most 3*64+3
 * tensors, the training state and the groups themselves). */
#define VERIFY_MAX_OBJECTS 4096

typedef struct {
	ckpt_t *c;
	err_t *e;
	int count, failed;
	haddr_t *seen;		/* addresses of the objects visited */
	size_t nseen;
} verify_t;

static int verify_one(hid_t d, const char *name, verify_t *v)
{
	hid_t t = H5Dget_type(d), s = H5Dget_space(d), mt = -1;
	H5T_class_t cls = H5Tget_class(t);
	hssize_t n = H5Sget_simple_extent_npoints(s);
	size_t esz = H5Tget_size(t);
	uint64_t raw = (uint64_t)n * esz, stored;
	void *buf = NULL;
	int64_t crc;
	int rc = 0;

	if (cls == H5T_STRING)	/* a version-2 vocabulary: verify_vocab reads it */
		goto out;
	if ((cls != H5T_FLOAT && cls != H5T_INTEGER) || n < 0 || esz > 8) {
		rc = err_set(v->e, "%s: dataset '%s' is of an unexpected type", v->c->path, name);
		goto out;
	}
	if (!strcmp(name, "train/metrics") && raw > CKPT_MAX_METRICS) {
		rc = err_set(v->e, "%s: dataset '%s' holds %llu bytes (at most %zu expected)",
			     v->c->path, name, (unsigned long long)raw, CKPT_MAX_METRICS);
		goto out;
	}
	if (!h5_storage_plausible(d, raw, &stored, NULL)) {
		rc = err_set(v->e, "%s: dataset '%s' of %llu bytes claims %llu stored bytes, implausible for its size or the file's (damaged or forged)",
			     v->c->path, name, (unsigned long long)raw, (unsigned long long)stored);
		goto out;
	}
	mt = H5Tget_native_type(t, H5T_DIR_ASCEND);
	buf = err_malloc(raw ? raw : 1, name, v->e);
	if (!buf || (n && H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)) {
		rc = buf ? err_set(v->e, "%s: cannot read dataset '%s' (truncated or damaged file?)",
				   v->c->path, name) : -1;
		goto out;
	}
	if (h5_attr_exists(d, "crc32")) {
		if (h5_attr_get_i64(d, v->c->path, "crc32", &crc, v->e)) {
			rc = -1;
			goto out;
		}
		if ((uint32_t)crc != h5_crc32(buf, raw)) {
			rc = err_set(v->e, "%s: dataset '%s' fails its CRC-32 check (the file is corrupt)",
				     v->c->path, name);
			goto out;
		}
	}
	if (cls == H5T_FLOAT && esz == 4)
		for (hssize_t i = 0; i < n; i++)
			if (!isfinite(((float *)buf)[i])) {
				rc = err_set(v->e, "%s: dataset '%s' holds a non-finite value at %lld",
					     v->c->path, name, (long long)i);
				goto out;
			}
	v->count++;
out:
	free(buf);
	if (mt >= 0)
		H5Tclose(mt);
	H5Sclose(s);
	H5Tclose(t);
	return rc;
}

static herr_t visit(hid_t loc, const char *name, const H5O_info_t *info, void *ctx)
{
	verify_t *v = ctx;
	hid_t d;

	/* HDF5 remembers the objects it has visited only when their reference
	 * count is above 1, so a group that links to itself under a forged
	 * count of 1 is walked for ever: each object may come once. */
	for (size_t i = 0; i < v->nseen; i++)
		if (v->seen[i] == info->addr) {
			err_set(v->e, "%s: '%s' links back to an object already seen (damaged or forged)",
				v->c->path, name);
			v->failed = 1;
			return 1;
		}
	if (v->nseen == VERIFY_MAX_OBJECTS) {
		err_set(v->e, "%s: more than %d objects (not an engram checkpoint?)",
			v->c->path, VERIFY_MAX_OBJECTS);
		v->failed = 1;
		return 1;
	}
	v->seen[v->nseen++] = info->addr;
	if (info->type != H5O_TYPE_DATASET)
		return 0;
	d = H5Dopen2(loc, name, H5P_DEFAULT);
	if (d < 0 || verify_one(d, name, v)) {
		if (d < 0)
			err_set(v->e, "%s: cannot open dataset '%s'", v->c->path, name);
		v->failed = 1;
	}
	if (d >= 0)
		H5Dclose(d);
	return v->failed ? 1 : 0;
}

/* The vocabulary as its readers take it: count, UTF-8, no duplicates, CRC. */
static int verify_vocab(ckpt_t *c, err_t *e)
{
	vocab_t v;
	int rc;

	if (H5Lexists(c->file, "vocab", H5P_DEFAULT) <= 0)
		return 0;
	if (vocab_init(&v, e))
		return -1;
	rc = ckpt_read_vocab(c, &v, e);
	vocab_free(&v);
	return rc;
}

int ckpt_verify_all(ckpt_t *c, int *count, err_t *e)
{
	verify_t v = { c, e, 0, 0, NULL, 0 };
	herr_t rc;

	*count = 0;
	v.seen = err_malloc(VERIFY_MAX_OBJECTS * sizeof(*v.seen), "object list", e);
	if (!v.seen)
		return -1;
	rc = H5Ovisit(c->file, H5_INDEX_NAME, H5_ITER_NATIVE, visit, &v);
	free(v.seen);
	*count = v.count;
	if (v.failed)
		return -1;
	if (rc < 0)
		return err_set(e, "%s: cannot walk the file's objects (damaged?)", c->path);
	return verify_vocab(c, e);
}

int ckpt_tensor_sizes(ckpt_t *c, const char *group, const char *name,
		      uint64_t *raw, uint64_t *stored, uint64_t *chunk_off,
		      uint64_t *chunk_size)
{
	char full[512];
	hsize_t off[H5S_MAX_RANK];	/* one per dimension the file declares */
	haddr_t addr = 0;
	hsize_t csize = 0;
	unsigned mask;
	hid_t d, s;

	full_name(full, sizeof(full), group, name);
	if (!path_exists(c->file, full))
		return -1;
	d = H5Dopen2(c->file, full, H5P_DEFAULT);
	if (d < 0)
		return -1;
	s = H5Dget_space(d);
	*raw = (uint64_t)H5Sget_simple_extent_npoints(s) * sizeof(float);
	*stored = (uint64_t)H5Dget_storage_size(d);
	if (H5Dget_chunk_info(d, s, 0, off, &mask, &addr, &csize) < 0)
		addr = 0, csize = 0;
	*chunk_off = addr == HADDR_UNDEF ? 0 : (uint64_t)addr;
	*chunk_size = (uint64_t)csize;
	H5Sclose(s);
	H5Dclose(d);
	return 0;
}

int ckpt_read_vocab(ckpt_t *c, vocab_t *v, err_t *e)
{
	if (H5Lexists(c->file, "vocab", H5P_DEFAULT) <= 0)
		return err_set(e, "%s: has no vocabulary (tokenizer '%s')", c->path,
			       c->meta.tokenizer);
	return h5_read_vocab(c->file, "vocab", c->meta.vocab, v, c->path, e);
}

void ckpt_step_path(const char *dir, int64_t step, char *path, size_t n)
{
	snprintf(path, n, "%s/ckpt-s%010" PRId64 ".h5", dir, step);
}

int ckpt_name_step(const char *name, long long *step)
{
	int end = 0;

	*step = -1;
	if (!strcmp(name, "best.h5"))
		return 0;
	if (sscanf(name, "ckpt-s%lld.h5%n", step, &end) == 1 && (size_t)end == strlen(name))
		return 1;
	*step = -1;
	return -1;
}

int ckpt_find_latest(const char *dir, char *path, size_t n, err_t *e)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	long long best_step = -1;
	int has_best = 0;

	if (!d)
		return err_set(e, "%s: cannot open directory: %s", dir, strerror(errno));
	/* only the run's own names: a data set or an export kept in the
	 * directory is not a checkpoint of the run */
	while ((de = readdir(d))) {
		char p[4600];
		long long step;
		int kind = ckpt_name_step(de->d_name, &step);
		struct stat st;

		if (kind < 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if (stat(p, &st) || !S_ISREG(st.st_mode))
			continue;
		if (kind == 0)
			has_best = 1;
		else if (step > best_step) {
			best_step = step;
			snprintf(path, n, "%s", p);
		}
	}
	closedir(d);
	if (best_step >= 0)
		return 0;
	if (has_best) {
		snprintf(path, n, "%s/best.h5", dir);
		return 0;
	}
	return err_set(e, "%s: no checkpoint (ckpt-s<step>.h5 or best.h5) in this directory", dir);
}
