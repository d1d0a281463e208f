/* text.c - streaming byte, char (UTF-8 code point) and word tokenizers. */
#include "io/text.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define READ_BUF (1 << 20)

int tok_kind_parse(const char *s, tok_kind_t *k)
{
	if (!strcmp(s, "byte"))
		*k = TOK_BYTE;
	else if (!strcmp(s, "char"))
		*k = TOK_CHAR;
	else if (!strcmp(s, "word"))
		*k = TOK_WORD;
	else
		return -1;
	return 0;
}

const char *tok_kind_name(tok_kind_t k)
{
	return k == TOK_BYTE ? "byte" : k == TOK_CHAR ? "char" : "word";
}

int text_file_size(const char *path, uint64_t *size, err_t *e)
{
	struct stat st;

	if (stat(path, &st))
		return err_set(e, "%s: cannot open: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return err_set(e, "%s: not a regular file", path);
	*size = (uint64_t)st.st_size;
	return 0;
}

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\v' ||
	       c == '\f';
}

/* Incremental UTF-8 validation: one code point at a time. */
typedef struct {
	int need;		/* continuation bytes still expected */
	uint32_t cp, min;	/* code point so far, smallest legal value */
	char bytes[4];		/* the code point's bytes */
	int nbytes;
} utf8_t;

/* Feed byte c; returns 1 when a code point is complete, 0 when more bytes
 * are needed, -1 on invalid input with *why set. */
static int utf8_feed(utf8_t *u, unsigned char c, const char **why)
{
	if (u->need == 0) {
		u->nbytes = 0;
		if (c < 0x80) {
			u->cp = c;
		} else if (c >= 0xc2 && c <= 0xdf) {
			u->need = 1, u->cp = c & 0x1f, u->min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			u->need = 2, u->cp = c & 0x0f, u->min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			u->need = 3, u->cp = c & 0x07, u->min = 0x10000;
		} else {
			*why = "a byte that cannot start a UTF-8 sequence";
			return -1;
		}
		u->bytes[u->nbytes++] = (char)c;
		return u->need == 0;
	}
	if ((c & 0xc0) != 0x80) {
		*why = "a UTF-8 sequence cut short (expected a continuation byte)";
		return -1;
	}
	u->cp = u->cp << 6 | (c & 0x3f);
	u->bytes[u->nbytes++] = (char)c;
	if (--u->need)
		return 0;
	if (u->cp < u->min || (u->cp >= 0xd800 && u->cp <= 0xdfff) ||
	    u->cp > 0x10ffff) {
		*why = "an overlong, surrogate or out-of-range UTF-8 sequence";
		return -1;
	}
	return 1;
}

int text_utf8_check(const char *s, size_t n, size_t *at, const char **why)
{
	utf8_t u = { 0 };

	for (size_t i = 0; i < n; i++)
		if (utf8_feed(&u, (unsigned char)s[i], why) < 0) {
			*at = i;
			return -1;
		}
	if (!u.need)
		return 0;
	*at = n;
	*why = "a UTF-8 sequence cut short at the end";
	return -1;
}

typedef struct {
	const text_scan_t *sc;
	utf8_t u;
	char word[TEXT_MAX_WORD];
	size_t wlen;
	unsigned char last;
} scan_state_t;

static int emit(scan_state_t *st, const char *s, size_t len, err_t *e)
{
	return st->sc->fn ? st->sc->fn(st->sc->ctx, s, len, e) : 0;
}

static int end_word(scan_state_t *st, err_t *e)
{
	int rc = 0;

	if (st->wlen)
		rc = emit(st, st->word, st->wlen, e);
	st->wlen = 0;
	return rc;
}

/* One byte at absolute offset `at`. */
static int feed(scan_state_t *st, unsigned char c, uint64_t at, err_t *e)
{
	const text_scan_t *sc = st->sc;
	const char *why = NULL;
	int r;

	if (sc->kind == TOK_BYTE) {
		char b = (char)c;

		return emit(st, &b, 1, e);
	}
	if (c == 0)
		return err_set(e, "%s: NUL byte at byte %llu (expected text)",
			       sc->path, (unsigned long long)at);
	r = utf8_feed(&st->u, c, &why);
	if (r < 0)
		return err_set(e, "%s: invalid UTF-8 at byte %llu: %s", sc->path,
			       (unsigned long long)at, why);
	if (sc->kind == TOK_CHAR)
		return r ? emit(st, st->u.bytes, (size_t)st->u.nbytes, e) : 0;

	/* word: a multi-byte code point is never whitespace */
	if (is_space(c)) {
		if (end_word(st, e))
			return -1;
		return c == '\n' ? emit(st, TEXT_EOS, strlen(TEXT_EOS), e) : 0;
	}
	if (st->wlen == TEXT_MAX_WORD)
		return err_set(e, "%s: a word longer than %d bytes ends at byte %llu "
			       "(expected whitespace-separated text)", sc->path,
			       TEXT_MAX_WORD, (unsigned long long)at);
	st->word[st->wlen++] = (char)c;
	return 0;
}

static int finish(scan_state_t *st, err_t *e)
{
	const text_scan_t *sc = st->sc;

	if (sc->kind != TOK_BYTE && st->u.need)
		return err_set(e, "%s: invalid UTF-8 at byte %llu: the text ends inside a sequence",
			       sc->path, (unsigned long long)sc->end);
	if (sc->kind != TOK_WORD)
		return 0;
	if (end_word(st, e))
		return -1;
	/* The last line gets its <eos> even without a '\n'. */
	if (sc->end > sc->begin && st->last != '\n')
		return emit(st, TEXT_EOS, strlen(TEXT_EOS), e);
	return 0;
}

int text_scan(const text_scan_t *sc, err_t *e)
{
	scan_state_t *st;
	unsigned char *buf;
	uint64_t pos = sc->begin;
	FILE *f;
	int rc = -1;

	f = fopen(sc->path, "rb");
	if (!f)
		return err_set(e, "%s: cannot open: %s", sc->path, strerror(errno));
	buf = err_malloc(READ_BUF, "read buffer", e);
	st = err_calloc(1, sizeof(*st), "tokenizer state", e);
	if (!buf || !st)
		goto out;
	st->sc = sc;
	if (fseeko(f, (off_t)sc->begin, SEEK_SET)) {
		err_set(e, "%s: cannot seek to byte %llu: %s", sc->path,
			(unsigned long long)sc->begin, strerror(errno));
		goto out;
	}
	while (pos < sc->end) {
		size_t want = sc->end - pos < READ_BUF ? (size_t)(sc->end - pos) : READ_BUF;
		size_t got = fread(buf, 1, want, f);

		if (got == 0) {
			err_set(e, "%s: %s at byte %llu (the file changed while being read?)",
				sc->path, ferror(f) ? strerror(errno) : "unexpected end",
				(unsigned long long)pos);
			goto out;
		}
		if (sc->sha)
			sha256_update(sc->sha, buf, got);
		for (size_t i = 0; i < got; i++)
			if (feed(st, buf[i], pos + i, e))
				goto out;
		st->last = buf[got - 1];
		pos += got;
		if (sc->progress)
			sc->progress(sc->progress_ctx, pos - sc->begin);
	}
	rc = finish(st, e);
out:
	free(st);
	free(buf);
	fclose(f);
	return rc;
}

int text_tokenize(const char *name, tok_kind_t kind, const char *s, size_t n,
		  int final_eos, text_tok_fn fn, void *ctx, err_t *e)
{
	text_scan_t sc = { .path = name, .begin = 0, .end = n, .kind = kind, .fn = fn,
			   .ctx = ctx };
	scan_state_t *st = err_calloc(1, sizeof(*st), "tokenizer state", e);
	int rc = -1;

	if (!st)
		return -1;
	st->sc = &sc;
	for (size_t i = 0; i < n; i++)
		if (feed(st, (unsigned char)s[i], i, e))
			goto out;
	st->last = n ? (unsigned char)s[n - 1] : 0;
	if (final_eos || kind != TOK_WORD) {
		rc = finish(st, e);
	} else if (st->u.need) {
		err_set(e, "%s: invalid UTF-8 at byte %zu: the text ends inside a sequence",
			name, n);
	} else {
		rc = end_word(st, e);
	}
out:
	free(st);
	return rc;
}

int text_find_cut(const char *path, uint64_t target, uint64_t size,
		  tok_kind_t kind, uint64_t *cut, err_t *e)
{
	unsigned char buf[65536];
	uint64_t pos = target, alt = size;
	FILE *f;

	*cut = target;
	if (kind == TOK_BYTE || target >= size)
		return 0;
	f = fopen(path, "rb");
	if (!f)
		return err_set(e, "%s: cannot open: %s", path, strerror(errno));
	if (fseeko(f, (off_t)target, SEEK_SET)) {
		fclose(f);
		return err_set(e, "%s: cannot seek: %s", path, strerror(errno));
	}
	for (;;) {
		size_t got = fread(buf, 1, sizeof(buf), f);

		if (got == 0)
			break;
		for (size_t i = 0; i < got; i++) {
			unsigned char c = buf[i];

			if (c == '\n') {
				*cut = pos + i + 1;
				fclose(f);
				return 0;
			}
			if (alt == size &&
			    (kind == TOK_WORD ? is_space(c) : (c & 0xc0) != 0x80))
				alt = pos + i;
		}
		pos += got;
	}
	fclose(f);
	*cut = alt;
	return 0;
}
