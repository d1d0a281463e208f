/*
 * json.h - the one JSON writer of engram: every --json output, metrics.jsonl
 * and the run configuration stored in checkpoints are built with it.
 *
 * A json_t is a growing text buffer with a stack of open objects and arrays,
 * so commas are placed for the caller.  Strings are escaped as RFC 8259
 * asks (quote, backslash, control characters), and bytes that are not UTF-8
 * are written as U+FFFD, so the output is valid UTF-8 whatever a path
 * holds.  A number that is not finite is written as null.  Allocation
 * failure is remembered and reported once by json_text.
 *
 *   json_t j; json_init(&j);
 *   json_begin(&j, NULL); json_str(&j, "path", p); json_num(&j, "loss", "%.6f", x);
 *   json_end(&j);
 *   fputs(json_text(&j), stdout); json_free(&j);
 *
 * key is the member's name inside an object and NULL inside an array or at
 * the top level.
 */
#ifndef ENGRAM_JSON_H
#define ENGRAM_JSON_H

#include <stddef.h>

#include "io/err.h"

#define JSON_MAX_DEPTH 16

typedef struct {
	char *buf;
	size_t len, cap;
	int oom;	/* an allocation failed: json_text returns NULL */
	int depth;
	unsigned char more[JSON_MAX_DEPTH];	/* a value already at this depth */
} json_t;

void json_init(json_t *j);
void json_free(json_t *j);
/* Empty again, keeping the buffer (one metrics line after another). */
void json_reset(json_t *j);

void json_begin(json_t *j, const char *key);	/* { */
void json_end(json_t *j);			/* } */
void json_begin_array(json_t *j, const char *key);	/* [ */
void json_end_array(json_t *j);			/* ] */

void json_str(json_t *j, const char *key, const char *s);
/* The first n bytes of s (no NUL needed). */
void json_strn(json_t *j, const char *key, const char *s, size_t n);
void json_int(json_t *j, const char *key, long long v);
/* v by the printf format fmt (one double conversion: "%.6f", "%.17g"). */
void json_num(json_t *j, const char *key, const char *fmt, double v);
void json_bool(json_t *j, const char *key, int v);
void json_null(json_t *j, const char *key);
/* text as the value, as it is: only for text json_valid accepted. */
void json_raw(json_t *j, const char *key, const char *text);

/* The text so far (NUL-terminated), or NULL after an allocation failure. */
const char *json_text(const json_t *j);

/* The text and a newline on stdout; -1 with a message in e when building
 * it ran out of memory or stdout refused it. */
int json_print(const json_t *j, err_t *e);

/* 1 when s is one JSON value (RFC 8259, strict: no NaN, no trailing text
 * but white space, valid UTF-8, nesting at most JSON_MAX_DEPTH). */
int json_valid(const char *s);

#endif
