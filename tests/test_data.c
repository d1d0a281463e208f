/*
 * test_data.c - text -> HDF5 token data sets and back: SHA-256 vectors, the
 * three tokenizers round trip, vocabulary cap and <unk>, PTB-style counts,
 * the shard layout for P = 1, 2, 3, and every bad input the reader and
 * writer must refuse with a message naming the file.
 */
#include <stdint.h>
#include <string.h>

#include <hdf5.h>

#include "io/ds.h"
#include "io/prepare.h"
#include "io/sha256.h"
#include "io/vocab.h"
#include "tests/check.h"

static const char *dir;

static const char *tmp(const char *name)
{
	static char buf[8][512];
	static int k;

	k = (k + 1) % 8;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, name);
	return buf[k];
}

static void test_sha256(void)
{
	static const struct { const char *in, *want; } v[] = {
		{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
	};
	char hex[65], a[1000];
	sha256_t s;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		sha256_init(&s);
		sha256_update(&s, v[i].in, strlen(v[i].in));
		sha256_final_hex(&s, hex);
		CHECK(!strcmp(hex, v[i].want), "sha256('%s') = %s", v[i].in, hex);
	}
	/* One million 'a' fed in uneven pieces crosses every block boundary case. */
	memset(a, 'a', sizeof(a));
	sha256_init(&s);
	for (size_t done = 0, k = 1; done < 1000000; k = k % 997 + 1) {
		size_t n = 1000000 - done < k ? 1000000 - done : k;

		sha256_update(&s, a, n);
		done += n;
	}
	sha256_final_hex(&s, hex);
	CHECK(!strcmp(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
	      "sha256(1e6 x 'a') = %s", hex);
}

static int prep3(tok_kind_t kind, uint64_t cap, const char *tr, size_t ntr,
		 const char *va, size_t nva, const char *te, size_t nte,
		 const char *out, prepare_stats_t *st, err_t *e)
{
	prepare_cfg_t cfg = { .nin = 3, .kind = kind, .vocab_cap = cap,
			      .out = out, .force = 1 };

	cfg.in[0] = tmp("tr.txt");
	cfg.in[1] = tmp("va.txt");
	cfg.in[2] = tmp("te.txt");
	check_write_file(cfg.in[0], tr, ntr);
	check_write_file(cfg.in[1], va, nva);
	check_write_file(cfg.in[2], te, nte);
	return prepare_run(&cfg, st, e);
}

/* The whole split's ids, or NULL. */
static int32_t *read_split(ds_t *ds, int s)
{
	int32_t *ids = calloc((size_t)ds->ntok[s] + 1, sizeof(*ids));
	err_t e;

	if (ds_read(ds, s, 0, ds->ntok[s], ids, &e)) {
		printf("read: %s\n", e.msg);
		free(ids);
		return NULL;
	}
	return ids;
}

static void test_byte_roundtrip(void)
{
	char tr[600], va[50], te[70];
	prepare_stats_t st;
	ds_t ds;
	err_t e;

	for (size_t i = 0; i < sizeof(tr); i++)
		tr[i] = (char)(i * 7 % 256);	/* every byte value, NUL included */
	memset(va, 0xff, sizeof(va));
	memset(te, 0, sizeof(te));
	CHECK(prep3(TOK_BYTE, 0, tr, sizeof(tr), va, sizeof(va), te, sizeof(te),
		    tmp("byte.h5"), &st, &e) == 0, "%s", e.msg);
	CHECK(st.vocab_size == 256 && st.id_bits == 16, "vocab %llu", (unsigned long long)st.vocab_size);
	CHECK(ds_open(&ds, tmp("byte.h5"), &e) == 0, "%s", e.msg);
	const char *src[3] = { tr, va, te };
	size_t len[3] = { sizeof(tr), sizeof(va), sizeof(te) };
	for (int s = 0; s < 3; s++) {
		int32_t *ids = read_split(&ds, s);
		int same = ids && ds.ntok[s] == (int64_t)len[s];

		for (size_t i = 0; same && i < len[s]; i++)
			same = ids[i] == (uint8_t)src[s][i];
		CHECK(same, "byte split %d does not round-trip", s);
		free(ids);
	}
	CHECK(!strcmp(ds.tokenizer, "byte"), "tokenizer %s", ds.tokenizer);
	ds_close(&ds);
}

/* Decode ids with the file's vocabulary: char concatenates, word joins
 * with spaces and turns <eos> into a line end. */
static char *decode(ds_t *ds, int s, int word)
{
	vocab_t v;
	err_t e;
	int32_t *ids = read_split(ds, s);
	size_t cap = 16;
	char *out;

	if (!ids || vocab_init(&v, &e) || ds_vocab(ds, &v, &e))
		return NULL;
	for (int64_t i = 0; i < ds->ntok[s]; i++)
		cap += strlen(vocab_str(&v, (size_t)ids[i])) + 1;
	out = calloc(cap, 1);
	for (int64_t i = 0, n = 0; i < ds->ntok[s]; i++) {
		const char *t = vocab_str(&v, (size_t)ids[i]);

		if (word && ids[i] == ds->eos_id) {
			n += sprintf(out + n, "\n");
		} else {
			int first = n == 0 || out[n - 1] == '\n';

			n += sprintf(out + n, "%s%s", word && !first ? " " : "", t);
		}
	}
	vocab_free(&v);
	free(ids);
	return out;
}

static void test_char_roundtrip(void)
{
	const char *tr = "h\xc3\xa9llo w\xc3\xb6rld \xe2\x9c\x93 \xf0\x9d\x84\x9e\nabc\n";
	const char *va = "w\xc3\xb6rld\n", *te = "\xf0\x9d\x84\x9e abc";
	prepare_stats_t st;
	ds_t ds;
	err_t e;

	CHECK(prep3(TOK_CHAR, 0, tr, strlen(tr), va, strlen(va), te, strlen(te),
		    tmp("char.h5"), &st, &e) == 0, "%s", e.msg);
	CHECK(st.ntok[0] == 20, "train has 20 code points, got %llu",
	      (unsigned long long)st.ntok[0]);
	CHECK(st.unk_id == -1, "no <unk> needed, got id %lld", (long long)st.unk_id);
	CHECK(ds_open(&ds, tmp("char.h5"), &e) == 0, "%s", e.msg);
	const char *src[3] = { tr, va, te };
	for (int s = 0; s < 3; s++) {
		char *d = decode(&ds, s, 0);

		CHECK(d && !strcmp(d, src[s]), "char split %d: '%s'", s, d ? d : "(null)");
		free(d);
	}
	ds_close(&ds);

	/* A valid/test character that train lacks maps to <unk>. */
	CHECK(prep3(TOK_CHAR, 0, "aab\n", 4, "abz\n", 4, "b\n", 2,
		    tmp("char2.h5"), &st, &e) == 0, "%s", e.msg);
	CHECK(st.unk_id >= 0 && st.nunk[1] == 1 && st.nunk[0] == 0,
	      "unk %lld, valid unks %llu", (long long)st.unk_id,
	      (unsigned long long)st.nunk[1]);
}

static void test_word_roundtrip(void)
{
	const char *tr = "the cat sat\n  on the \t mat\n\nend";
	const char *va = "the mat\n", *te = "cat\n";
	prepare_stats_t st;
	ds_t ds;
	err_t e;

	CHECK(prep3(TOK_WORD, 0, tr, strlen(tr), va, strlen(va), te, strlen(te),
		    tmp("word.h5"), &st, &e) == 0, "%s", e.msg);
	/* 7 words + 4 line ends (the last line has no '\n' but gets <eos>) */
	CHECK(st.ntok[0] == 11, "train tokens %llu", (unsigned long long)st.ntok[0]);
	CHECK(st.vocab_size == 7, "the cat sat on mat end <eos>: %llu",
	      (unsigned long long)st.vocab_size);
	CHECK(ds_open(&ds, tmp("word.h5"), &e) == 0, "%s", e.msg);
	char *d = decode(&ds, 0, 1);
	CHECK(d && !strcmp(d, "the cat sat\non the mat\n\nend\n"), "word train: '%s'", d);
	free(d);
	d = decode(&ds, 1, 1);
	CHECK(d && !strcmp(d, "the mat\n"), "word valid: '%s'", d);
	free(d);
	/* Most frequent first: <eos> (4) then "the" (2). */
	CHECK(ds.eos_id == 0, "eos id %lld", (long long)ds.eos_id);
	ds_close(&ds);
}

/* Every byte of a data set's stored vocabulary flipped in turn: ds_open
 * refuses the file (CRC, inflate or the strings' rules) or reads the same
 * vocabulary; it never crashes or takes a different one. */
static void test_vocab_damage(void)
{
	const char *src = tmp("word.h5"), *bad = tmp("word-flip.h5");
	hid_t f = H5Fopen(src, H5F_ACC_RDONLY, H5P_DEFAULT);
	hid_t d = H5Dopen2(f, "vocab", H5P_DEFAULT), sp = H5Dget_space(d);
	hsize_t off[1], csize = 0;
	haddr_t addr = 0;
	unsigned mask;
	unsigned char *img;
	size_t len;
	int refused = 0;

	CHECK(H5Dget_chunk_info(d, sp, 0, off, &mask, &addr, &csize) >= 0 && csize > 0,
	      "the vocabulary's chunk");
	H5Sclose(sp);
	H5Dclose(d);
	H5Fclose(f);
	img = (unsigned char *)check_read_file(src, &len);
	for (hsize_t at = addr; at < addr + csize && at < len; at++) {
		ds_t ds;
		err_t e;

		img[at] ^= 0x20;
		check_write_file(bad, img, len);
		img[at] ^= 0x20;
		if (ds_open(&ds, bad, &e)) {
			refused++;
			CHECK(strstr(e.msg, bad) != NULL, "byte %llu: '%s' names no file",
			      (unsigned long long)at, e.msg);
			continue;
		}
		char *w = decode(&ds, 0, 1);
		CHECK(w && !strcmp(w, "the cat sat\non the mat\n\nend\n"),
		      "byte %llu flipped: a different vocabulary '%s'", (unsigned long long)at, w);
		free(w);
		ds_close(&ds);
	}
	printf("test_data: %d of %llu flips of the vocabulary refused, the rest read it intact\n",
	       refused, (unsigned long long)csize);
	free(img);
}

/* A PTB-like fixture: known words per line, <unk> already in the text. */
static void test_ptb_counts(void)
{
	static const char *w[] = { "a", "b", "c", "<unk>", "N", "d" };
	char *tr = malloc(1 << 16), *va = malloc(1 << 12);
	size_t n = 0, m = 0, words = 0, lines = 0;
	prepare_stats_t st;
	err_t e;

	for (int l = 0; l < 300; l++, lines++) {
		n += (size_t)sprintf(tr + n, " ");
		for (int k = 0; k <= l % 7; k++, words++)
			n += (size_t)sprintf(tr + n, "%s ", w[(l + k * k) % 6]);
		n += (size_t)sprintf(tr + n, "\n");
	}
	m = (size_t)sprintf(va, " a b c \n N d \n");
	CHECK(prep3(TOK_WORD, 10000, tr, n, va, m, va, m, tmp("ptb.h5"), &st, &e) == 0,
	      "%s", e.msg);
	CHECK(st.ntok[0] == words + lines, "train %llu, want %zu",
	      (unsigned long long)st.ntok[0], words + lines);
	CHECK(st.ntok[1] == 7 && st.ntok[2] == 7, "valid %llu", (unsigned long long)st.ntok[1]);
	CHECK(st.vocab_size == 7, "6 words + <eos>: %llu", (unsigned long long)st.vocab_size);
	CHECK(st.unk_id >= 0, "the text's own <unk> is the <unk> id");
	free(tr);
	free(va);
}

static void test_vocab_cap(void)
{
	/* counts: e 5, d 4, c 3, b 2, a 1, plus <eos> 1 per line (5 lines) */
	const char *tr = "e e e e e\nd d d d\nc c c\nb b\na\n";
	prepare_stats_t st;
	vocab_t v;
	ds_t ds;
	err_t e;

	CHECK(prep3(TOK_WORD, 4, tr, strlen(tr), "e a\n", 4, "z\n", 2,
		    tmp("cap.h5"), &st, &e) == 0, "%s", e.msg);
	CHECK(st.vocab_size == 4, "cap 4: %llu", (unsigned long long)st.vocab_size);
	CHECK(ds_open(&ds, tmp("cap.h5"), &e) == 0, "%s", e.msg);
	vocab_init(&v, &e);
	CHECK(ds_vocab(&ds, &v, &e) == 0, "%s", e.msg);
	/* kept: e(5) <eos>(5) d(4), then <unk> = c+b+a = 6 sorts first */
	CHECK(v.n == 4 && !strcmp(vocab_str(&v, 0), "<unk>") &&
	      !strcmp(vocab_str(&v, 1), "<eos>") && !strcmp(vocab_str(&v, 2), "e") &&
	      !strcmp(vocab_str(&v, 3), "d"), "order %s %s %s %s",
	      vocab_str(&v, 0), vocab_str(&v, 1), vocab_str(&v, 2), vocab_str(&v, 3));
	CHECK(st.nunk[0] == 6 && st.nunk[1] == 1 && st.nunk[2] == 1,
	      "unks %llu %llu %llu", (unsigned long long)st.nunk[0],
	      (unsigned long long)st.nunk[1], (unsigned long long)st.nunk[2]);
	vocab_free(&v);
	ds_close(&ds);

	/* The uint32 id space is guarded. */
	vocab_init(&v, &e);
	size_t real_n = v.n;
	v.n = VOCAB_MAX_TYPES;
	CHECK(vocab_add(&v, "x", 1, 1, NULL, &e) == -1 && strstr(e.msg, "uint32"),
	      "%s", e.msg);
	v.n = real_n;
	vocab_free(&v);
}

static void test_single_file_split(void)
{
	char text[4000];
	size_t n = 0;
	prepare_cfg_t cfg = { .nin = 1, .frac = { 0.8, 0.1, 0.1 }, .kind = TOK_WORD,
			      .out = tmp("split.h5"), .force = 1 };
	prepare_stats_t st;
	err_t e;

	for (int l = 0; l < 100; l++)
		n += (size_t)sprintf(text + n, "line %d here\n", l);
	cfg.in[0] = tmp("one.txt");
	check_write_file(cfg.in[0], text, n);
	CHECK(prepare_run(&cfg, &st, &e) == 0, "%s", e.msg);
	CHECK(st.ntok[0] + st.ntok[1] + st.ntok[2] == 400,
	      "every line in one split: %llu+%llu+%llu", (unsigned long long)st.ntok[0],
	      (unsigned long long)st.ntok[1], (unsigned long long)st.ntok[2]);
	CHECK(st.ntok[0] % 4 == 0 && st.ntok[1] % 4 == 0, "cuts at line ends");
	CHECK(st.range[0][1] == st.range[1][0] && st.range[1][1] == st.range[2][0] &&
	      st.range[2][1] == n, "ranges tile the file");
	CHECK(!strcmp(st.sha[0], st.sha[2]), "one source, one sha");
}

/* Byte data set whose ids are positions mod 256: checks layout by value. */
static void test_layout(void)
{
	enum { N = 250, B = 2, T = 3 };
	char tr[N];
	prepare_stats_t st;
	ds_t ds;
	err_t e;

	for (int i = 0; i < N; i++)
		tr[i] = (char)i;
	CHECK(prep3(TOK_BYTE, 0, tr, N, "x", 1, "y", 1, tmp("lay.h5"), &st, &e) == 0,
	      "%s", e.msg);
	CHECK(ds_open(&ds, tmp("lay.h5"), &e) == 0, "%s", e.msg);
	for (int P = 1; P <= 3; P++) {
		int cover[N] = { 0 };
		int64_t windows = -1;
		int ok = 1;

		for (int r = 0; r < P; r++) {
			ds_layout_t l;
			int32_t tok[B * (T + 1)];

			CHECK(ds_layout(&ds, SPLIT_TRAIN, r, P, B, T, &l, &e) == 0, "%s", e.msg);
			if (windows < 0)
				windows = l.windows;
			CHECK(l.windows == windows, "P=%d rank %d: %lld windows, rank 0 has %lld",
			      P, r, (long long)l.windows, (long long)windows);
			for (int64_t w = 0; w < l.windows; w++) {
				CHECK(ds_read_window(&ds, &l, w, tok, &e) == 0, "%s", e.msg);
				for (int b = 0; b < B; b++)
					for (int t = 0; t < T; t++) {
						int64_t g = (int64_t)r * B + b;
						int pos = (int)(g * l.stream_len + w * T + t);

						ok &= tok[b * (T + 1) + t] == pos &&
						      tok[b * (T + 1) + t + 1] == pos + 1;
						cover[pos]++;
					}
			}
		}
		int once = 1, covered = 0;
		for (int i = 0; i < N; i++) {
			once &= cover[i] <= 1;
			covered += cover[i];
		}
		int64_t Ls = N / (B * P);
		CHECK(ok, "P=%d: window contents follow the stream layout", P);
		CHECK(once && covered == B * P * windows * T, "P=%d: each window once, %d covered", P, covered);
		CHECK(windows == (Ls - 1) / T, "P=%d: windows %lld", P, (long long)windows);
	}
	/* 1 rank with batch B*P reads what P ranks with batch B read. */
	ds_layout_t one, part;
	int32_t a[6 * (T + 1)], b[B * (T + 1)];
	CHECK(ds_layout(&ds, SPLIT_TRAIN, 0, 1, 3 * B, T, &one, &e) == 0, "%s", e.msg);
	CHECK(ds_read_window(&ds, &one, 1, a, &e) == 0, "%s", e.msg);
	for (int r = 0; r < 3; r++) {
		CHECK(ds_layout(&ds, SPLIT_TRAIN, r, 3, B, T, &part, &e) == 0, "%s", e.msg);
		CHECK(ds_read_window(&ds, &part, 1, b, &e) == 0, "%s", e.msg);
		CHECK(!memcmp(a + r * B * (T + 1), b, sizeof(b)), "rank %d streams", r);
	}
	/* A split too short for the streams is refused with the numbers. */
	CHECK(ds_layout(&ds, SPLIT_VALID, 0, 1, 1, T, &one, &e) == -1 &&
	      strstr(e.msg, "too few"), "%s", e.msg);
	ds_close(&ds);
}

/* ---- bad input ---- */

static int prep_one(const char *text, size_t n, tok_kind_t kind, err_t *e)
{
	prepare_cfg_t cfg = { .nin = 1, .frac = { 0.5, 0.25, 0.25 }, .kind = kind,
			      .out = tmp("bad.h5"), .force = 1 };
	prepare_stats_t st;

	cfg.in[0] = tmp("bad.txt");
	check_write_file(cfg.in[0], text, n);
	return prepare_run(&cfg, &st, e);
}

static void test_bad_text(void)
{
	prepare_cfg_t cfg = { .nin = 1, .frac = { 0.8, 0.1, 0.1 }, .kind = TOK_WORD,
			      .out = tmp("never.h5") };
	prepare_stats_t st;
	err_t e;

	cfg.in[0] = tmp("missing.txt");
	CHECK(prepare_run(&cfg, &st, &e) == -1 && strstr(e.msg, "missing.txt") &&
	      strstr(e.msg, "cannot open"), "%s", e.msg);
	CHECK(prep_one("", 0, TOK_CHAR, &e) == -1 && strstr(e.msg, "bad.txt: empty"),
	      "%s", e.msg);
	CHECK(prep_one("ab\ncd\0ef\ngh\nij\n", 15, TOK_CHAR, &e) == -1 &&
	      strstr(e.msg, "NUL byte at byte 5"), "%s", e.msg);
	CHECK(prep_one("ab\ncd\xff\ngh\nij\n", 14, TOK_CHAR, &e) == -1 &&
	      strstr(e.msg, "invalid UTF-8 at byte 5"), "%s", e.msg);
	CHECK(prep_one("ab\ncd\xc3\ngh\nij\n", 14, TOK_CHAR, &e) == -1 &&
	      strstr(e.msg, "invalid UTF-8 at byte 6"), "%s", e.msg);
	CHECK(prep_one("ab\ncd\xc0\xaf\ngh\nij\n", 15, TOK_WORD, &e) == -1 &&
	      strstr(e.msg, "invalid UTF-8"), "overlong: %s", e.msg);
	CHECK(prep_one("ab\ncd\xed\xa0\x80\ngh\nij\n", 16, TOK_CHAR, &e) == -1 &&
	      strstr(e.msg, "surrogate"), "surrogate: %s", e.msg);
	CHECK(prep_one("ab\ncd\ngh\nij\nkl\nmn\nop\xe2\x9c", 22, TOK_CHAR, &e) == -1 &&
	      strstr(e.msg, "ends inside"), "cut at end: %s", e.msg);
	CHECK(prep_one("ab\ncd\xff\ngh\nij\n", 14, TOK_BYTE, &e) == 0,
	      "byte takes any input: %s", e.msg);
	/* existing output is not clobbered without force */
	cfg.in[0] = tmp("bad.txt");
	cfg.out = tmp("bad.h5");
	CHECK(prepare_run(&cfg, &st, &e) == -1 && strstr(e.msg, "--force"), "%s", e.msg);
}

static hid_t h5new(const char *name)
{
	return H5Fcreate(tmp(name), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
}

static void put_i64(hid_t f, const char *name, int64_t v)
{
	hid_t s = H5Screate(H5S_SCALAR);
	hid_t a = H5Acreate2(f, name, H5T_STD_I64LE, s, H5P_DEFAULT, H5P_DEFAULT);

	H5Awrite(a, H5T_NATIVE_INT64, &v);
	H5Aclose(a);
	H5Sclose(s);
}

static void put_vocab_size(hid_t f, int64_t v)
{
	put_i64(f, "vocab_size", v);
}

static void put_1d(hid_t f, const char *name, hid_t ftype, hid_t mtype,
		   const void *buf, hsize_t n)
{
	hid_t s = H5Screate_simple(1, &n, NULL);
	hid_t d = H5Dcreate2(f, name, ftype, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);

	H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
	H5Dclose(d);
	H5Sclose(s);
}

static void test_bad_h5(void)
{
	float fl[10] = { 0 };
	int32_t ids[40];
	ds_t ds;
	err_t e;
	hid_t f;

	for (int i = 0; i < 40; i++)
		ids[i] = i % 5;
	CHECK(ds_open(&ds, tmp("nothere.h5"), &e) == -1 && strstr(e.msg, "nothere.h5"),
	      "%s", e.msg);
	check_write_file(tmp("text.h5"), "not hdf5 at all\n", 16);
	CHECK(ds_open(&ds, tmp("text.h5"), &e) == -1 && strstr(e.msg, "not an HDF5 file"),
	      "%s", e.msg);

	f = h5new("nodata.h5");
	put_vocab_size(f, 5);
	H5Fclose(f);
	CHECK(ds_open(&ds, tmp("nodata.h5"), &e) == -1 && strstr(e.msg, "no dataset"),
	      "%s", e.msg);

	f = h5new("novocab.h5");
	put_1d(f, "train", H5T_STD_I32LE, H5T_NATIVE_INT32, ids, 40);
	H5Fclose(f);
	CHECK(ds_open(&ds, tmp("novocab.h5"), &e) == -1 && strstr(e.msg, "'vocab_size' is missing"),
	      "%s", e.msg);

	f = h5new("float.h5");
	put_vocab_size(f, 5);
	put_1d(f, "train", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, fl, 10);
	H5Fclose(f);
	CHECK(ds_open(&ds, tmp("float.h5"), &e) == -1 && strstr(e.msg, "float.h5") &&
	      strstr(e.msg, "not of an integer type"), "%s", e.msg);

	/* ids >= vocab_size and negative ids are caught where they are read */
	ids[33] = 5;
	f = h5new("big.h5");
	put_vocab_size(f, 5);
	put_1d(f, "train", H5T_STD_I32LE, H5T_NATIVE_INT32, ids, 40);
	ids[33] = 4;
	ids[37] = -3;
	put_1d(f, "valid", H5T_STD_I32LE, H5T_NATIVE_INT32, ids, 40);
	H5Fclose(f);
	CHECK(ds_open(&ds, tmp("big.h5"), &e) == 0, "a user-written file opens: %s", e.msg);
	ds_layout_t l;
	int32_t tok[2 * 5];
	int bad = 0;
	CHECK(ds_layout(&ds, SPLIT_TRAIN, 0, 1, 2, 4, &l, &e) == 0, "%s", e.msg);
	for (int64_t w = 0; w < l.windows && !bad; w++)
		bad = ds_read_window(&ds, &l, w, tok, &e) != 0;
	CHECK(bad && strstr(e.msg, "holds id 5 at offset 33"), "%s", e.msg);
	int32_t all[40];
	CHECK(ds_read(&ds, SPLIT_VALID, 0, 40, all, &e) == -1 &&
	      strstr(e.msg, "holds id -3 at offset 37"), "%s", e.msg);
	ds_close(&ds);

	/* special ids outside the vocabulary: the checkpoint reader refuses
	 * them, so the data set reader must refuse them before training */
	static const struct { const char *attr; int64_t id; } sp[] = {
		{ "unk_id", 999 }, { "eos_id", 5 }, { "unk_id", -2 },
	};
	for (size_t k = 0; k < sizeof(sp) / sizeof(sp[0]); k++) {
		f = h5new("special.h5");
		put_vocab_size(f, 5);
		put_i64(f, sp[k].attr, sp[k].id);
		put_1d(f, "train", H5T_STD_I32LE, H5T_NATIVE_INT32, ids, 40);
		H5Fclose(f);
		CHECK(ds_open(&ds, tmp("special.h5"), &e) == -1 && strstr(e.msg, "special.h5") &&
		      strstr(e.msg, sp[k].attr) && strstr(e.msg, "expected -1 .. 4"),
		      "%s %lld: %s", sp[k].attr, (long long)sp[k].id, e.msg);
	}
	f = h5new("special.h5");
	put_vocab_size(f, 5);
	put_i64(f, "unk_id", 4);
	put_i64(f, "eos_id", -1);
	put_1d(f, "train", H5T_STD_I32LE, H5T_NATIVE_INT32, ids, 40);
	H5Fclose(f);
	CHECK(ds_open(&ds, tmp("special.h5"), &e) == 0, "unk_id 4, eos_id -1 of 5: %s", e.msg);
	ds_close(&ds);

	/* A truncated file: a real data set cut to 60% of its bytes. */
	char text[20000];
	size_t n = 0;
	for (int i = 0; n < sizeof(text) - 64; i++)
		n += (size_t)sprintf(text + n, "w%d x%d\n", i * 7919 % 1000, i % 13);
	prepare_stats_t st;
	CHECK(prep3(TOK_WORD, 0, text, n, text, 2000, text, 2000, tmp("full.h5"), &st, &e) == 0,
	      "%s", e.msg);
	FILE *in = fopen(tmp("full.h5"), "rb");
	static char buf[1 << 20];
	size_t sz = fread(buf, 1, sizeof(buf), in);
	fclose(in);
	check_write_file(tmp("trunc.h5"), buf, sz * 6 / 10);
	int failed = ds_open(&ds, tmp("trunc.h5"), &e) != 0;
	if (!failed) {
		int32_t *ids2 = read_split(&ds, SPLIT_TRAIN);

		failed = ids2 == NULL;
		free(ids2);
		ds_close(&ds);
	}
	CHECK(failed, "a truncated file is refused");
}

int main(void)
{
	dir = check_tmpdir();
	test_sha256();
	test_byte_roundtrip();
	test_char_roundtrip();
	test_word_roundtrip();
	test_vocab_damage();
	test_ptb_counts();
	test_vocab_cap();
	test_single_file_split();
	test_layout();
	test_bad_text();
	test_bad_h5();
	return check_done("test_data");
}
