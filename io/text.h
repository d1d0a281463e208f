/*
 * text.h - the tokenizers: stream a byte range of a text file and hand each
 * token to a callback, with bounded memory (one read buffer and one word).
 *
 *   byte  every byte is a token (ids 0..255; any input is valid)
 *   char  every Unicode code point is a token, given as its UTF-8 bytes;
 *         the input must be valid UTF-8 without NUL bytes
 *   word  maximal runs of non-whitespace (space, \t, \n, \v, \f, \r) are
 *         tokens, and every line end gives the token "<eos>"; a last line
 *         without its '\n' still gets one.  Valid UTF-8, no NUL bytes,
 *         words of at most TEXT_MAX_WORD bytes.
 */
#ifndef ENGRAM_TEXT_H
#define ENGRAM_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "io/err.h"
#include "io/sha256.h"

#define TEXT_MAX_WORD 4096
#define TEXT_EOS "<eos>"
#define TEXT_UNK "<unk>"

typedef enum { TOK_BYTE, TOK_CHAR, TOK_WORD } tok_kind_t;

int tok_kind_parse(const char *s, tok_kind_t *k);
const char *tok_kind_name(tok_kind_t k);

/* One token: s[0..len).  Returns 0, or -1 with e filled to stop the scan. */
typedef int (*text_tok_fn)(void *ctx, const char *s, size_t len, err_t *e);
/* Bytes of the range done so far; for progress display. */
typedef void (*text_progress_fn)(void *ctx, uint64_t done);

typedef struct {
	const char *path;
	uint64_t begin, end;	/* byte range [begin, end) of the file */
	tok_kind_t kind;
	sha256_t *sha;		/* when set, every byte of the range is hashed */
	text_tok_fn fn;		/* NULL: validate (and hash) only */
	void *ctx;
	text_progress_fn progress;	/* may be NULL */
	void *progress_ctx;
} text_scan_t;

/* 0 when s[0..n) is valid UTF-8; else -1 with *at the offset of the bad
 * byte and *why the rule it breaks. */
int text_utf8_check(const char *s, size_t n, size_t *at, const char **why);

int text_scan(const text_scan_t *sc, err_t *e);

/*
 * The same tokenizer over s[0..n) in memory (a prime text, a sentence to
 * score); name stands for the file in messages.  final_eos 0 leaves out
 * the <eos> that a word text gets at its end without a '\n' (a prime text
 * goes on where it stops).
 */
int text_tokenize(const char *name, tok_kind_t kind, const char *s, size_t n,
		  int final_eos, text_tok_fn fn, void *ctx, err_t *e);

/* Size of a regular file; refuses directories and missing files. */
int text_file_size(const char *path, uint64_t *size, err_t *e);

/*
 * Where to cut a file near byte `target` so that a split does not break a
 * token: just after the first '\n' at or after target; failing that, at the
 * first whitespace (word) or code point start (char) at or after it; for
 * byte, target itself.  Returns the cut offset in *cut.
 */
int text_find_cut(const char *path, uint64_t target, uint64_t size,
		  tok_kind_t kind, uint64_t *cut, err_t *e);

#endif
