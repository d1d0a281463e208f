/*
 * test_ckpt.c - the checkpoint reader against bad files: a missing tensor,
 * a wrong shape, a future format version, an HDF5 file that is not a
 * checkpoint, a header forging a huge model, a tensor whose storage cannot
 * hold its declared size, a non-finite value.  Each must fail with one
 * message naming the file and the problem, without crashing or allocating
 * what the file does not hold (the sanitizer build runs this too).  And the
 * round trip of a good file; a file from before the adaptive softmax; the
 * adaptive softmax's attributes forged one by one.  And every byte of a
 * file with a vocabulary flipped in turn: what verify accepts, the loader
 * reads, the same vocabulary, without crashing (a damaged variable-length
 * string heap made libhdf5 crash, hence the byte layout of version 3).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hdf5.h>

#include "io/ckpt.h"
#include "io/h5.h"
#include "io/vocab.h"
#include "tests/check.h"
#include "trainer/weights.h"

static const char *dir;
static model_t m;

static const char *tmp(const char *name)
{
	static char buf[8][512];
	static int k;

	k = (k + 1) % 8;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, name);
	return buf[k];
}

static void meta_of(ckpt_meta_t *meta)
{
	memset(meta, 0, sizeof(*meta));
	weights_meta(&m, meta);
	snprintf(meta->tokenizer, sizeof(meta->tokenizer), "byte");
	meta->unk_id = meta->eos_id = -1;
	meta->val_loss = NAN;
	snprintf(meta->run_config, sizeof(meta->run_config), "{}");
}

/* A weights file with every tensor except `skip`, and `grow` rows added
 * to the tensor of that name. */
static void write_file(const char *path, const char *skip, const char *grow)
{
	ckpt_writer_t w;
	ckpt_meta_t meta;
	err_t e;

	meta_of(&meta);
	if (ckpt_create(&w, path, &e)) {
		printf("create: %s\n", e.msg);
		exit(2);
	}
	for (int i = 0; i < m.ntensors; i++) {
		const model_tensor_t *t = &m.tensor[i];
		int extra = grow && !strcmp(grow, t->name);
		float *buf = calloc((size_t)(t->rows + extra) * t->cols, sizeof(float));
		ckpt_tensor_t ct = { t->name, t->rows + extra, t->cols, buf };

		memcpy(buf, m.params + t->off, (size_t)t->rows * t->cols * sizeof(float));
		if (!(skip && !strcmp(skip, t->name)) && ckpt_put_tensor(&w, "params", &ct, &e))
			printf("put: %s\n", e.msg);
		free(buf);
	}
	if (ckpt_put_meta(&w, &meta, &e) || ckpt_commit(&w, &e))
		printf("commit: %s\n", e.msg);
}

static void set_attr_i64(const char *path, const char *obj, const char *name, int64_t v)
{
	hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT), o = H5Oopen(f, obj, H5P_DEFAULT);
	err_t e;

	h5_attr_put_i64(o, name, v, &e);
	H5Oclose(o);
	H5Fclose(f);
}

/* weights_load must fail with a message containing both needles. */
static void refused(const char *path, const char *needle, const char *what)
{
	model_t got;
	ckpt_meta_t meta;
	err_t e = { "" };
	int rc = weights_load(path, &got, &meta, NULL, &e);

	CHECK(rc == -1 && strstr(e.msg, path) && strstr(e.msg, needle), "%s: rc %d, '%s'", what,
	      rc, e.msg);
	if (rc == 0)
		model_free(&got);
}

/* Opens path's object obj read-write for one change; closes both. */
typedef struct {
	hid_t f, o;
} edit_t;

static edit_t edit_open(const char *path, const char *obj)
{
	edit_t x;

	x.f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
	x.o = H5Oopen(x.f, obj, H5P_DEFAULT);
	return x;
}

static void edit_close(edit_t x)
{
	H5Oclose(x.o);
	H5Fclose(x.f);
}

/* The adaptive softmax's /config attributes, each forged in turn. */
static void test_adaptive(void)
{
	model_cfg_t cfg = { .vocab = 40, .embed = 6, .hidden = 8, .layers = 1,
			    .softmax = MODEL_SOFTMAX_ADAPTIVE, .nclusters = 2,
			    .cutoffs = { 10, 25 }, .div_value = 2.0, .head_bias = 1 };
	model_t keep = m, got;
	ckpt_meta_t meta;
	err_t e;
	edit_t x;

	if (model_init(&m, &cfg, &e)) {
		printf("%s\n", e.msg);
		exit(2);
	}
	model_init_params(&m, 0.5f, 0.0f, 5);
	write_file(tmp("ad.h5"), NULL, NULL);
	CHECK(weights_load(tmp("ad.h5"), &got, &meta, NULL, &e) == 0, "%s", e.msg);
	CHECK(!strcmp(meta.softmax, "adaptive") && meta.version == CKPT_FORMAT_VERSION &&
	      model_cfg_same_shape(&got.cfg, &m.cfg) && got.n == m.n &&
	      !memcmp(got.params, m.params, m.n * sizeof(float)),
	      "adaptive round trip: softmax %s, version %lld", meta.softmax, (long long)meta.version);
	model_free(&got);

	write_file(tmp("ad-kind.h5"), NULL, NULL);
	x = edit_open(tmp("ad-kind.h5"), "/config");
	H5Adelete(x.o, "softmax");
	h5_attr_put_str(x.o, "softmax", "sampled", &e);
	edit_close(x);
	refused(tmp("ad-kind.h5"), "'softmax' is 'sampled' (expected full or adaptive)", "softmax kind");

	write_file(tmp("ad-cut.h5"), NULL, NULL);
	x = edit_open(tmp("ad-cut.h5"), "/config");
	H5Adelete(x.o, "cutoffs");
	h5_attr_put_i64v(x.o, "cutoffs", (int64_t[]){ 10, 40 }, 2, &e);
	edit_close(x);
	refused(tmp("ad-cut.h5"), "'cutoffs' holds 40 (expected 1 .. 39)", "cutoff >= V");

	write_file(tmp("ad-order.h5"), NULL, NULL);
	x = edit_open(tmp("ad-order.h5"), "/config");
	H5Adelete(x.o, "cutoffs");
	h5_attr_put_i64v(x.o, "cutoffs", (int64_t[]){ 25, 10 }, 2, &e);
	edit_close(x);
	refused(tmp("ad-order.h5"), "strictly increasing", "cutoffs out of order");

	write_file(tmp("ad-many.h5"), NULL, NULL);
	x = edit_open(tmp("ad-many.h5"), "/config");
	H5Adelete(x.o, "cutoffs");
	{
		int64_t many[17];

		for (int k = 0; k < 17; k++)
			many[k] = k + 1;
		h5_attr_put_i64v(x.o, "cutoffs", many, 17, &e);
	}
	edit_close(x);
	refused(tmp("ad-many.h5"), "'cutoffs' is not 1 to 16 values", "17 cutoffs");

	write_file(tmp("ad-div.h5"), NULL, NULL);
	x = edit_open(tmp("ad-div.h5"), "/config");
	H5Adelete(x.o, "div_value");
	edit_close(x);
	refused(tmp("ad-div.h5"), "attribute 'div_value' is missing", "no div_value");

	write_file(tmp("ad-bias.h5"), NULL, NULL);
	set_attr_i64(tmp("ad-bias.h5"), "/config", "head_bias", 2);
	refused(tmp("ad-bias.h5"), "'head_bias' is 2 (expected 0 .. 1)", "head_bias 2");

	write_file(tmp("ad-tail.h5"), "out.tail.2.W", NULL);
	refused(tmp("ad-tail.h5"), "tensor 'params/out.tail.2.W' is missing", "missing tail");

	model_free(&m);
	m = keep;
}


static const char *const words[] = { "<eos>", "the", "of", "caf\xc3\xa9", "a", "b",
				     "c", "d", "e", "\xe2\x82\xac", "<unk>" };

static void word_vocab(vocab_t *v)
{
	err_t e;

	vocab_init(v, &e);
	for (size_t i = 0; i < sizeof(words) / sizeof(*words); i++)
		vocab_add(v, words[i], strlen(words[i]), 1, NULL, &e);
}

/* m's weights and the word vocabulary, as weights_save writes them. */
static void write_with_vocab(const char *path)
{
	ckpt_meta_t meta;
	vocab_t v;
	err_t e;

	word_vocab(&v);
	meta_of(&meta);
	snprintf(meta.tokenizer, sizeof(meta.tokenizer), "word");
	meta.eos_id = 0, meta.unk_id = 10;
	if (weights_save(path, &m, &meta, &v, &e))
		printf("save: %s\n", e.msg);
	vocab_free(&v);
}

/* 1 when every id of got maps to the string of words[]. */
static int same_words(const vocab_t *got)
{
	if (got->n != sizeof(words) / sizeof(*words))
		return 0;
	for (size_t i = 0; i < got->n; i++)
		if (strcmp(vocab_str(got, i), words[i]))
			return 0;
	return 1;
}

/* The file at path with byte `at` flipped, into flip.h5: returns 1 when
 * verify accepts it, and then it must load with the same vocabulary. */
static int flip_one(const unsigned char *img, size_t len, size_t at)
{
	unsigned char *b = malloc(len);
	model_t got;
	ckpt_meta_t meta;
	vocab_t v;
	ckpt_t c;
	int count, ok;
	err_t e;

	memcpy(b, img, len);
	b[at] ^= 0x5a;
	check_write_file(tmp("flip.h5"), (const char *)b, len);
	free(b);
	if (ckpt_open(&c, tmp("flip.h5"), &e))
		return 0;
	ok = ckpt_verify_all(&c, &count, &e) == 0;
	ckpt_close(&c);
	if (!ok)
		return 0;
	vocab_init(&v, &e);
	ok = weights_load(tmp("flip.h5"), &got, &meta, &v, &e) == 0;
	CHECK(ok && same_words(&v), "byte %zu flipped: verify says ok, load says '%s'", at,
	      ok ? "a different vocabulary" : e.msg);
	if (ok)
		model_free(&got);
	vocab_free(&v);
	return 1;
}

static void test_vocab(void)
{
	model_t got;
	ckpt_meta_t meta;
	vocab_t v;
	err_t e;
	unsigned char *img;
	size_t len;
	int accepted = 0, flips = 0;

	write_with_vocab(tmp("voc.h5"));
	vocab_init(&v, &e);
	CHECK(weights_load(tmp("voc.h5"), &got, &meta, &v, &e) == 0 && same_words(&v) &&
	      meta.version == CKPT_FORMAT_VERSION, "vocabulary round trip: %s", e.msg);
	model_free(&got);
	vocab_free(&v);

	img = (unsigned char *)check_read_file(tmp("voc.h5"), &len);
	/* every byte of the metadata at the front and of the vocabulary's
	 * stored chunk, every 4th of the rest (the tensors, whose CRCs other
	 * tests cover) */
	{
		hid_t f = H5Fopen(tmp("voc.h5"), H5F_ACC_RDONLY, H5P_DEFAULT);
		hid_t d = H5Dopen2(f, "vocab", H5P_DEFAULT), sp = H5Dget_space(d);
		hsize_t off[1], csize = 0;
		haddr_t addr = 0;
		unsigned mask;

		CHECK(H5Dget_chunk_info(d, sp, 0, off, &mask, &addr, &csize) >= 0 && csize > 0,
		      "the vocabulary's chunk");
		H5Sclose(sp);
		H5Dclose(d);
		H5Fclose(f);
		for (size_t at = 0; at < len; at++) {
			int in_vocab = at >= addr && at < addr + csize;

			if (at < 4096 || in_vocab || at % 4 == 0)
				flips++, accepted += flip_one(img, len, at);
		}
	}
	printf("test_ckpt: %d of %zu bytes flipped one by one, %d accepted by verify and loaded\n",
	       flips, len, accepted);
	free(img);
}

/* A version-2 file's vocabulary of variable-length strings still loads. */
static void test_vocab_vlen(void)
{
	const char *path = tmp("vlen.h5");
	hsize_t n = sizeof(words) / sizeof(*words);
	hid_t f, t, s, d;
	model_t got;
	ckpt_meta_t meta;
	vocab_t v;
	err_t e;

	write_with_vocab(path);
	word_vocab(&v);
	f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
	H5Ldelete(f, "vocab", H5P_DEFAULT);
	t = H5Tcopy(H5T_C_S1);
	H5Tset_size(t, H5T_VARIABLE);
	H5Tset_cset(t, H5T_CSET_UTF8);
	s = H5Screate_simple(1, &n, NULL);
	d = H5Dcreate2(f, "vocab", t, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
	CHECK(H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, words) >= 0, "write vlen strings");
	h5_attr_put_i64(d, "crc32", h5_crc32(v.arena, v.arena_len), &e);
	h5_attr_put_i64(f, "format_version", 2, &e);
	H5Dclose(d);
	H5Sclose(s);
	H5Tclose(t);
	H5Fclose(f);
	vocab_free(&v);
	vocab_init(&v, &e);
	CHECK(weights_load(path, &got, &meta, &v, &e) == 0 && same_words(&v) && meta.version == 2,
	      "a version-2 vocabulary of strings: %s", e.msg);
	model_free(&got);
	vocab_free(&v);
}

/* The writer's own shuffle + deflate (put_chunks) against libhdf5's
 * filters: the same stored bytes, chunk by chunk, for a matrix whose last
 * chunk is partial, a vector of several chunks and a small vector. */
static void test_chunk_writer(void)
{
	static const int64_t shape[3][2] = { { 1100, 700 }, { 1, 600001 }, { 1, 37 } };
	const char *name[3] = { "m", "v", "s" };
	ckpt_writer_t w[2];
	err_t e;
	int ok = 1;

	for (int k = 0; k < 2; k++) {
		CHECK(ckpt_create(&w[k], tmp(k ? "chunks-ref.h5" : "chunks.h5"), &e) == 0, "%s", e.msg);
		w[k].ref_filters = k;
		for (int i = 0; i < 3; i++) {
			size_t n = (size_t)(shape[i][0] * shape[i][1]);
			float *x = malloc(n * sizeof(float));

			for (size_t j = 0; j < n; j++)
				x[j] = (float)((j * 2654435761u) % 1000) / 100.0f - 5.0f;
			ckpt_tensor_t t = { name[i], shape[i][0], shape[i][1], x };
			CHECK(ckpt_put_tensor(&w[k], "params", &t, &e) == 0, "%s", e.msg);
			free(x);
		}
		CHECK(ckpt_commit(&w[k], &e) == 0, "%s", e.msg);
	}
	hid_t f[2] = { H5Fopen(tmp("chunks.h5"), H5F_ACC_RDONLY, H5P_DEFAULT),
		       H5Fopen(tmp("chunks-ref.h5"), H5F_ACC_RDONLY, H5P_DEFAULT) };
	for (int i = 0; i < 3; i++) {
		char path[64];
		hid_t d[2];
		hsize_t nchunks[2] = { 0, 0 };

		snprintf(path, sizeof(path), "/params/%s", name[i]);
		for (int k = 0; k < 2; k++) {
			hid_t sp;

			d[k] = H5Dopen2(f[k], path, H5P_DEFAULT);
			sp = H5Dget_space(d[k]);
			H5Dget_num_chunks(d[k], sp, &nchunks[k]);
			H5Sclose(sp);
		}
		ok &= nchunks[0] == nchunks[1] && nchunks[0] >= 1;
		for (hsize_t c = 0; ok && c < nchunks[0]; c++) {
			hsize_t off[2][2];
			unsigned mask[2];
			haddr_t addr;
			hsize_t size[2];
			unsigned char *buf[2];

			int got = 1;

			for (int k = 0; k < 2; k++) {
				hid_t sp = H5Dget_space(d[k]);

				memset(off[k], 0, sizeof(off[k]));
				size[k] = 0;
				got &= H5Dget_chunk_info(d[k], sp, c, off[k], &mask[k], &addr, &size[k]) >= 0;
				H5Sclose(sp);
				buf[k] = malloc(size[k] ? size[k] : 1);
				got &= buf[k] && H5Dread_chunk(d[k], H5P_DEFAULT, off[k], &mask[k], buf[k]) >= 0;
			}
			ok &= got && size[0] == size[1] && mask[0] == mask[1] &&
			      !memcmp(off[0], off[1], sizeof(off[0])) && !memcmp(buf[0], buf[1], size[0]);
			free(buf[0]);
			free(buf[1]);
		}
		CHECK(ok, "tensor %s: the writer's chunks differ from libhdf5's filters "
		      "(%llu vs %llu chunks)", name[i], (unsigned long long)nchunks[0],
		      (unsigned long long)nchunks[1]);
		H5Dclose(d[0]);
		H5Dclose(d[1]);
	}
	/* and libhdf5 reads back through its filters what the writer made */
	for (int i = 0; i < 3; i++) {
		size_t n = (size_t)(shape[i][0] * shape[i][1]), bad = 0;
		float *x = malloc(n * sizeof(float));
		char path[64];
		hid_t d;

		snprintf(path, sizeof(path), "/params/%s", name[i]);
		d = H5Dopen2(f[0], path, H5P_DEFAULT);
		CHECK(H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, x) >= 0, "read %s", path);
		for (size_t j = 0; j < n; j++)
			bad += x[j] != (float)((j * 2654435761u) % 1000) / 100.0f - 5.0f;
		CHECK(bad == 0, "%s: %zu of %zu values differ after the round trip", path, bad, n);
		H5Dclose(d);
		free(x);
	}
	H5Fclose(f[0]);
	H5Fclose(f[1]);
}

int main(void)
{
	model_cfg_t cfg = { .vocab = 11, .embed = 6, .hidden = 5, .layers = 2 };
	model_t got;
	ckpt_meta_t meta;
	err_t e;
	hid_t f;

	h5_quiet();
	dir = check_tmpdir();
	if (model_init(&m, &cfg, &e)) {
		printf("%s\n", e.msg);
		return 2;
	}
	model_init_params(&m, 0.5f, 1.0f, 3);

	test_chunk_writer();
	/* the round trip of a good file, and the full verify */
	write_file(tmp("good.h5"), NULL, NULL);
	CHECK(weights_load(tmp("good.h5"), &got, &meta, NULL, &e) == 0, "%s", e.msg);
	CHECK(got.n == m.n && !memcmp(got.params, m.params, m.n * sizeof(float)),
	      "parameters round-trip");
	CHECK(meta.vocab == 11 && meta.layers == 2 && !strcmp(meta.tokenizer, "byte"), "meta");
	model_free(&got);
	ckpt_t c;
	int count = 0;
	CHECK(ckpt_open(&c, tmp("good.h5"), &e) == 0 && ckpt_verify_all(&c, &count, &e) == 0 &&
	      count == m.ntensors, "verify_all: %d datasets, %s", count, e.msg);
	ckpt_close(&c);
	/* a run directory's checkpoints are ckpt-s<step>.h5 and best.h5 only */
	char found[4600];
	CHECK(ckpt_find_latest(dir, found, sizeof(found), &e) == -1 && strstr(e.msg, "no checkpoint"),
	      "find_latest took good.h5 for a checkpoint: %s", e.msg);
	CHECK(link(tmp("good.h5"), tmp("best.h5")) == 0 &&
	      ckpt_find_latest(dir, found, sizeof(found), &e) == 0 && strstr(found, "/best.h5"),
	      "find_latest without ckpt-s files: %s", e.msg);
	CHECK(link(tmp("good.h5"), tmp("ckpt-s0000000007.h5")) == 0 &&
	      ckpt_find_latest(dir, found, sizeof(found), &e) == 0 &&
	      strstr(found, "/ckpt-s0000000007.h5"), "find_latest: %s", e.msg);

	write_file(tmp("missing.h5"), "lstm.0.Wh", NULL);
	refused(tmp("missing.h5"), "tensor 'params/lstm.0.Wh' is missing", "missing tensor");

	write_file(tmp("shape.h5"), NULL, "emb");
	refused(tmp("shape.h5"), "expected floats of shape (11, 6)", "wrong shape");

	write_file(tmp("future.h5"), NULL, NULL);
	set_attr_i64(tmp("future.h5"), "/", "format_version", 99);
	refused(tmp("future.h5"), "format version 99", "future version");

	f = H5Fcreate(tmp("other.h5"), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
	H5Fclose(f);
	refused(tmp("other.h5"), "not an engram checkpoint", "plain HDF5 file");
	check_write_file(tmp("text.h5"), "hello\n", 6);
	refused(tmp("text.h5"), "not an HDF5 file", "not HDF5");

	/* a header that claims a model of 2^31 x 2^20 floats: refused before
	 * anything that size is allocated (its tensors do not match it) */
	write_file(tmp("forged.h5"), NULL, NULL);
	set_attr_i64(tmp("forged.h5"), "/config", "vocab", 0x7fffffff);
	set_attr_i64(tmp("forged.h5"), "/config", "embed", 1 << 20);
	set_attr_i64(tmp("forged.h5"), "/config", "hidden", 1 << 20);
	refused(tmp("forged.h5"), "expected floats of shape (2147483647, 1048576)", "forged header");

	/* a tensor declared 1e6 x 1e3 floats (4 GB) in a file of kilobytes */
	write_file(tmp("hollow.h5"), NULL, NULL);
	set_attr_i64(tmp("hollow.h5"), "/config", "vocab", 1000000);
	set_attr_i64(tmp("hollow.h5"), "/config", "embed", 1000);
	{
		hsize_t dims[2] = { 1000000, 1000 }, chunk[2] = { 1000, 1000 };
		hid_t fh = H5Fopen(tmp("hollow.h5"), H5F_ACC_RDWR, H5P_DEFAULT);
		hid_t s = H5Screate_simple(2, dims, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE);

		H5Ldelete(fh, "params/emb", H5P_DEFAULT);
		H5Pset_chunk(dcpl, 2, chunk);
		H5Pset_deflate(dcpl, 4);
		H5Dclose(H5Dcreate2(fh, "params/emb", H5T_IEEE_F32LE, s, H5P_DEFAULT, dcpl,
				    H5P_DEFAULT));
		H5Pclose(dcpl);
		H5Sclose(s);
		H5Fclose(fh);
	}
	CHECK(ckpt_open(&c, tmp("hollow.h5"), &e) == 0, "%s", e.msg);
	CHECK(ckpt_check_tensor(&c, "params", "emb", 1000000, 1000, &e) == -1 &&
	      strstr(e.msg, "implausible"), "hollow tensor: %s", e.msg);
	ckpt_close(&c);
	refused(tmp("hollow.h5"), "expected floats of shape (1000000, 5)", "hollow model");

	/* a file from before the adaptive softmax: no 'softmax' attribute */
	write_file(tmp("old.h5"), NULL, NULL);
	{
		edit_t x = edit_open(tmp("old.h5"), "/config");

		H5Adelete(x.o, "softmax");
		edit_close(x);
	}
	set_attr_i64(tmp("old.h5"), "/", "format_version", 1);
	CHECK(weights_load(tmp("old.h5"), &got, &meta, NULL, &e) == 0 &&
	      !strcmp(meta.softmax, "full") && got.cfg.softmax == MODEL_SOFTMAX_FULL &&
	      meta.version == 1, "a checkpoint without 'softmax': %s", e.msg);
	model_free(&got);
	test_adaptive();
	test_vocab();
	test_vocab_vlen();

	/* a NaN in a tensor: the writer refuses it, naming the tensor ... */
	const model_tensor_t *t0 = &m.tensor[0];
	size_t n0 = (size_t)t0->rows * t0->cols;
	float *bad = malloc(n0 * sizeof(float));
	ckpt_writer_t w;
	char name[96];

	memcpy(bad, m.params + t0->off, n0 * sizeof(float));
	bad[3] = NAN;
	ckpt_tensor_t ct = { t0->name, t0->rows, t0->cols, bad };
	CHECK(ckpt_create(&w, tmp("nanw.h5"), &e) == 0, "%s", e.msg);
	snprintf(name, sizeof(name), "tensor 'params/%s' holds nan at element 3", t0->name);
	CHECK(ckpt_put_tensor(&w, "params", &ct, &e) == -1 && strstr(e.msg, name),
	      "the writer took a NaN: %s", e.msg);
	ckpt_abandon(&w);
	/* ... and one forged past the writer, with a CRC that matches it, is
	 * refused by the reader */
	write_file(tmp("nan.h5"), NULL, NULL);
	snprintf(name, sizeof(name), "/params/%s", t0->name);
	hid_t fn = H5Fopen(tmp("nan.h5"), H5F_ACC_RDWR, H5P_DEFAULT), d = H5Dopen2(fn, name, H5P_DEFAULT);
	CHECK(H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, bad) >= 0, "forge a NaN");
	H5Dclose(d);
	H5Fclose(fn);
	set_attr_i64(tmp("nan.h5"), name, "crc32", (int64_t)h5_crc32(bad, n0 * sizeof(float)));
	free(bad);
	refused(tmp("nan.h5"), "non-finite value", "NaN tensor");

	model_free(&m);
	return check_done("test_ckpt");
}
