/* ckpt.c - writing and validating checkpoint files. */
#include "io/ckpt.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "io/atomic.h"
#include "io/h5.h"

#define DEFLATE_LEVEL 4
#define CHUNK_FLOATS (1 << 18)	/* 1 MiB chunks */

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

static int write_tensor(hid_t g, const ckpt_tensor_t *t, const char *path,
			err_t *e)
{
	int vec = t->rows == 1;
	hsize_t dims[2] = { (hsize_t)t->rows, (hsize_t)t->cols };
	hsize_t n = dims[0] * dims[1], chunk[2];
	hid_t s, dcpl, d;
	herr_t rc;

	if (vec)
		dims[0] = dims[1];
	s = H5Screate_simple(vec ? 1 : 2, dims, NULL);
	dcpl = H5Pcreate(H5P_DATASET_CREATE);
	/* Whole rows per chunk, about CHUNK_FLOATS values. */
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
	if (d < 0)
		return err_set(e, "%s: cannot create tensor '%s'", path, t->name);
	rc = H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, t->data);
	if (rc >= 0 &&
	    h5_attr_put_i64(d, "crc32", (int64_t)crc_floats(t->data, n), e)) {
		H5Dclose(d);
		return -1;
	}
	H5Dclose(d);
	return rc < 0 ? err_set(e, "%s: cannot write tensor '%s' (disk full?)", path,
				t->name) : 0;
}

static int write_meta(hid_t f, const ckpt_meta_t *m, err_t *e)
{
	hid_t g = H5Gcreate2(f, "config", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
	int rc;

	if (g < 0)
		return err_set(e, "cannot create group 'config'");
	rc = h5_attr_put_i64(g, "vocab", m->vocab, e) ||
	     h5_attr_put_i64(g, "embed", m->embed, e) ||
	     h5_attr_put_i64(g, "hidden", m->hidden, e) ||
	     h5_attr_put_i64(g, "layers", m->layers, e) ||
	     h5_attr_put_i64(g, "tie", m->tie, e) ||
	     h5_attr_put_str(g, "tokenizer", m->tokenizer, e) ||
	     h5_attr_put_i64(g, "unk_id", m->unk_id, e) ||
	     h5_attr_put_i64(g, "eos_id", m->eos_id, e) ||
	     h5_attr_put_str(g, "data", m->data_path, e) ||
	     h5_attr_put_str(g, "data_tokens_sha256", m->data_sha256, e) ||
	     h5_attr_put_str(g, "run", m->run_config, e);
	H5Gclose(g);
	if (rc)
		return -1;
	return h5_attr_put_str(f, "format", CKPT_FORMAT, e) ||
	       h5_attr_put_i64(f, "format_version", CKPT_FORMAT_VERSION, e) ||
	       h5_attr_put_i64(f, "step", m->step, e) ||
	       h5_attr_put_i64(f, "epoch", m->epoch, e) ||
	       h5_attr_put_f64(f, "val_loss", m->val_loss, e) ? -1 : 0;
}

int ckpt_write(const char *path, const ckpt_meta_t *meta,
	       const ckpt_tensor_t *t, int n, const vocab_t *vocab, err_t *e)
{
	char tmp[4200];
	hid_t f, g;
	int rc = -1;

	h5_quiet();
	if (atomic_tmp_path(path, tmp, sizeof(tmp), e))
		return -1;
	f = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
	if (f < 0)
		return err_set(e, "%s: cannot create (directory missing or not writable?)", tmp);
	g = H5Gcreate2(f, "params", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
	if (g < 0) {
		err_set(e, "%s: cannot create group 'params'", path);
		goto out;
	}
	for (int i = 0; i < n; i++)
		if (write_tensor(g, &t[i], path, e)) {
			H5Gclose(g);
			goto out;
		}
	H5Gclose(g);
	if ((vocab && h5_write_vocab(f, "vocab", vocab, path, e)) ||
	    write_meta(f, meta, e))
		goto out;
	rc = 0;
out:
	if (H5Fclose(f) < 0 && rc == 0)
		rc = err_set(e, "%s: cannot finish writing (disk full?)", path);
	if (rc == 0)
		rc = atomic_commit(tmp, path, e);
	if (rc)
		unlink(tmp);
	return rc;
}

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
	m->val_loss = NAN;
	if (get_i64(c, c->file, "step", &m->step, 0, INT64_MAX, e) ||
	    get_i64(c, c->file, "epoch", &m->epoch, 0, INT64_MAX, e))
		return -1;
	if (H5Lexists(c->file, "config", H5P_DEFAULT) <= 0)
		return err_set(e, "%s: group 'config' is missing", c->path);
	g = H5Gopen2(c->file, "config", H5P_DEFAULT);
	if (g < 0)
		return err_set(e, "%s: 'config' is not a group", c->path);
	rc = get_i64(c, g, "vocab", &m->vocab, 2, 0xffffffffLL, e) ||
	     get_i64(c, g, "embed", &m->embed, 1, 1 << 20, e) ||
	     get_i64(c, g, "hidden", &m->hidden, 1, 1 << 20, e) ||
	     get_i64(c, g, "layers", &m->layers, 1, 64, e) ||
	     get_i64(c, g, "tie", &m->tie, 0, 1, e) ||
	     get_i64(c, g, "unk_id", &m->unk_id, -1, m->vocab - 1, e) ||
	     get_i64(c, g, "eos_id", &m->eos_id, -1, m->vocab - 1, e) ||
	     h5_attr_get_str(g, c->path, "tokenizer", m->tokenizer, sizeof(m->tokenizer), e) ||
	     h5_attr_get_str(g, c->path, "data", m->data_path, sizeof(m->data_path), e) ||
	     h5_attr_get_str(g, c->path, "data_tokens_sha256", m->data_sha256,
			     sizeof(m->data_sha256), e) ||
	     h5_attr_get_str(g, c->path, "run", m->run_config, sizeof(m->run_config), e);
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

int ckpt_read_tensor(ckpt_t *c, const char *name, int64_t rows, int64_t cols,
		     float *out, err_t *e)
{
	char full[96];
	hsize_t dims[2] = { 0, 0 };
	int vec = rows == 1, nd;
	int64_t crc;
	size_t n = (size_t)rows * (size_t)cols;
	hid_t d, s, t;
	herr_t rc;

	snprintf(full, sizeof(full), "params/%s", name);
	if (H5Lexists(c->file, "params", H5P_DEFAULT) <= 0 ||
	    H5Lexists(c->file, full, H5P_DEFAULT) <= 0)
		return err_set(e, "%s: tensor '%s' is missing", c->path, name);
	d = H5Dopen2(c->file, full, H5P_DEFAULT);
	if (d < 0)
		return err_set(e, "%s: '%s' is not a dataset", c->path, full);
	s = H5Dget_space(d);
	nd = H5Sget_simple_extent_ndims(s);
	if (nd >= 1 && nd <= 2)
		H5Sget_simple_extent_dims(s, dims, NULL);
	H5Sclose(s);
	t = H5Dget_type(d);
	rc = t >= 0 && H5Tget_class(t) == H5T_FLOAT ? 0 : -1;
	if (t >= 0)
		H5Tclose(t);
	if (rc < 0 || nd != (vec ? 1 : 2) ||
	    (vec ? dims[0] != (hsize_t)cols
		 : dims[0] != (hsize_t)rows || dims[1] != (hsize_t)cols)) {
		H5Dclose(d);
		return err_set(e, "%s: tensor '%s' has shape (%llu%s%llu) of %s, expected (%lld%s%lld) of floats",
			       c->path, name, (unsigned long long)dims[0],
			       nd == 2 ? ", " : nd == 1 ? "" : "?",
			       nd == 2 ? (unsigned long long)dims[1] : 0ULL,
			       rc < 0 ? "non-floats" : "floats",
			       vec ? (long long)cols : (long long)rows, vec ? "" : ", ",
			       vec ? 0LL : (long long)cols);
	}
	rc = H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out);
	if (rc >= 0 && h5_attr_get_i64(d, c->path, "crc32", &crc, e)) {
		H5Dclose(d);
		return -1;
	}
	H5Dclose(d);
	if (rc < 0)
		return err_set(e, "%s: cannot read tensor '%s' (truncated or damaged file?)",
			       c->path, name);
	if ((uint32_t)crc != crc_floats(out, n))
		return err_set(e, "%s: tensor '%s' fails its CRC-32 check (the file is corrupt)",
			       c->path, name);
	for (size_t i = 0; i < n; i++)
		if (!isfinite(out[i]))
			return err_set(e, "%s: tensor '%s' holds a non-finite value at %zu",
				       c->path, name, i);
	return 0;
}

int ckpt_tensor_sizes(ckpt_t *c, const char *name, uint64_t *raw,
		      uint64_t *stored)
{
	char full[96];
	hid_t d, s;

	snprintf(full, sizeof(full), "params/%s", name);
	if (H5Lexists(c->file, "params", H5P_DEFAULT) <= 0 ||
	    H5Lexists(c->file, full, H5P_DEFAULT) <= 0)
		return -1;
	d = H5Dopen2(c->file, full, H5P_DEFAULT);
	if (d < 0)
		return -1;
	s = H5Dget_space(d);
	*raw = (uint64_t)H5Sget_simple_extent_npoints(s) * sizeof(float);
	*stored = (uint64_t)H5Dget_storage_size(d);
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

int ckpt_find_latest(const char *dir, char *path, size_t n, err_t *e)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct timespec best = { 0, 0 };
	int found = 0;

	if (!d)
		return err_set(e, "%s: cannot open directory: %s", dir, strerror(errno));
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		char p[4600];
		struct stat st;

		if (de->d_name[0] == '.' || len < 4 || strcmp(de->d_name + len - 3, ".h5"))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if (stat(p, &st) || !S_ISREG(st.st_mode))
			continue;
		if (!found || st.st_mtim.tv_sec > best.tv_sec ||
		    (st.st_mtim.tv_sec == best.tv_sec && st.st_mtim.tv_nsec > best.tv_nsec)) {
			best = st.st_mtim;
			snprintf(path, n, "%s", p);
			found = 1;
		}
	}
	closedir(d);
	return found ? 0 : err_set(e, "%s: no checkpoint (*.h5) in this directory", dir);
}
