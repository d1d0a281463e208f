/*
 * fuzz_text.c - the tokenizers (io/text.c) and the vocabulary table
 * (io/vocab.c) on arbitrary text, as `engram prepare` uses them: scan the
 * file with each tokenizer, count the types, build a capped vocabulary,
 * map every token to an id, and find split points.
 *
 * Oracles besides the sanitizers: byte gives one token per byte; char
 * tokens are 1-4 bytes and concatenate back to the input; word tokens are
 * non-empty runs of non-whitespace of at most TEXT_MAX_WORD bytes or
 * "<eos>"; the streamed SHA-256 is that of the input; the built vocabulary
 * respects its cap and is ordered by count; a cut never goes backwards.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io/sha256.h"
#include "io/text.h"
#include "io/vocab.h"
#include "tests/fuzz/fuzz_common.h"

typedef struct {
	tok_kind_t kind;
	const uint8_t *data;	/* the input, for byte and char */
	size_t size, pos;	/* bytes of the input the tokens covered */
	uint64_t ntok;
	vocab_t *types;		/* counting (pass 1), or NULL */
	const vocab_t *vocab;	/* mapping (pass 2), or NULL */
} ctx_t;

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\v' ||
	       c == '\f';
}

static int on_token(void *p, const char *s, size_t len, err_t *e)
{
	ctx_t *c = p;

	c->ntok++;
	switch (c->kind) {
	case TOK_BYTE:
		FUZZ_CHECK(len == 1 && c->pos < c->size &&
			   (uint8_t)s[0] == c->data[c->pos]);
		c->pos++;
		return 0;
	case TOK_CHAR:
		FUZZ_CHECK(len >= 1 && len <= 4 && c->pos + len <= c->size &&
			   !memcmp(s, c->data + c->pos, len) && !memchr(s, 0, len));
		c->pos += len;
		break;
	case TOK_WORD:
		FUZZ_CHECK(len >= 1 && len <= TEXT_MAX_WORD && !memchr(s, 0, len));
		if (!(len == strlen(TEXT_EOS) && !memcmp(s, TEXT_EOS, len)))
			for (size_t i = 0; i < len; i++)
				FUZZ_CHECK(!is_space((unsigned char)s[i]));
		break;
	}
	if (c->types)
		return vocab_add(c->types, s, len, 1, NULL, e);
	if (c->vocab) {
		int64_t id = vocab_find(c->vocab, s, len);

		FUZZ_CHECK(id >= -1 && id < (int64_t)c->vocab->n);
		if (id >= 0)
			FUZZ_CHECK(strlen(vocab_str(c->vocab, (size_t)id)) == len &&
				   !memcmp(vocab_str(c->vocab, (size_t)id), s, len));
	}
	return 0;
}

static void build(const vocab_t *types, size_t cap, int need_unk, tok_kind_t kind,
		  const char *path, size_t size, const uint8_t *data)
{
	vocab_t out;
	int64_t unk_id = -1;
	err_t e = { "" };

	FUZZ_CHECK(vocab_init(&out, &e) == 0);
	if (vocab_build(types, cap, need_unk, TEXT_UNK, &out, &unk_id, &e)) {
		FUZZ_CHECK(e.msg[0]);
		vocab_free(&out);
		return;
	}
	FUZZ_CHECK(!cap || out.n <= cap);
	FUZZ_CHECK(out.n <= types->n + 1);
	FUZZ_CHECK(unk_id >= -1 && unk_id < (int64_t)out.n);
	if (need_unk)
		FUZZ_CHECK(unk_id >= 0);
	for (size_t i = 1; i < out.n; i++)
		FUZZ_CHECK(out.count[i - 1] > out.count[i] ||
			   (out.count[i - 1] == out.count[i] &&
			    strcmp(vocab_str(&out, i - 1), vocab_str(&out, i)) < 0));
	/* pass 2: every token to its id */
	{
		ctx_t c = { kind, data, size, 0, 0, NULL, &out };
		text_scan_t sc = { .path = path, .begin = 0, .end = size,
				   .kind = kind, .fn = on_token, .ctx = &c };

		FUZZ_CHECK(text_scan(&sc, &e) == 0);
	}
	vocab_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const tok_kind_t kinds[] = { TOK_BYTE, TOK_CHAR, TOK_WORD };
	const char *path = fuzz_write_tmp("text", "txt", data, size);
	uint64_t fsize;
	err_t e = { "" };

	FUZZ_CHECK(text_file_size(path, &fsize, &e) == 0 && fsize == size);
	for (int k = 0; k < 3; k++) {
		tok_kind_t kind = kinds[k];
		vocab_t types;
		ctx_t c = { kind, data, size, 0, 0, NULL, NULL };
		sha256_t sha, ref;
		char hex[65], refhex[65];
		text_scan_t sc = { .path = path, .begin = 0, .end = size, .kind = kind,
				   .sha = &sha, .fn = on_token, .ctx = &c };
		int rc;

		FUZZ_CHECK(vocab_init(&types, &e) == 0);
		if (kind != TOK_BYTE)
			c.types = &types;
		sha256_init(&sha);
		e.msg[0] = '\0';
		rc = text_scan(&sc, &e);
		if (rc) {
			FUZZ_CHECK(rc == -1 && e.msg[0]);
		} else {
			sha256_final_hex(&sha, hex);
			sha256_init(&ref);
			sha256_update(&ref, data, size);
			sha256_final_hex(&ref, refhex);
			FUZZ_CHECK(!strcmp(hex, refhex));
			if (kind != TOK_WORD)
				FUZZ_CHECK(c.pos == size);
			if (kind == TOK_BYTE)
				FUZZ_CHECK(c.ntok == size);
			if (kind == TOK_WORD && size)
				FUZZ_CHECK(c.ntok >= 1);	/* at least the last <eos> */
			if (kind != TOK_BYTE) {
				/* the cap from the input: 0 (none), 1 .. 4 */
				size_t cap = size ? data[0] % 5 : 0;

				build(&types, cap, size && (data[size - 1] & 1), kind, path,
				      size, data);
			}
		}
		vocab_free(&types);
		/* a scan of a sub-range, as for a split of one file */
		if (size >= 2) {
			ctx_t c2 = { kind, data + size / 3, size - size / 3, 0, 0, NULL, NULL };
			text_scan_t sc2 = { .path = path, .begin = size / 3, .end = size,
					    .kind = kind, .fn = on_token, .ctx = &c2 };

			e.msg[0] = '\0';
			if (text_scan(&sc2, &e))
				FUZZ_CHECK(e.msg[0]);
		}
		/* split points */
		for (int t = 0; t < 3; t++) {
			uint64_t target = (uint64_t)size * (uint64_t)(t + 1) / 4, cut = 0;

			e.msg[0] = '\0';
			FUZZ_CHECK(text_find_cut(path, target, size, kind, &cut, &e) == 0);
			FUZZ_CHECK(cut >= target && cut <= (target > size ? target : size));
			if (kind == TOK_BYTE)
				FUZZ_CHECK(cut == target);
		}
	}
	return 0;
}
