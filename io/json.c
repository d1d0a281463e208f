/*
 * json.c - the JSON writer and a strict validator (json.h).
 */
#include "io/json.h"
#include "io/text.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void json_init(json_t *j)
{
	memset(j, 0, sizeof(*j));
}

void json_free(json_t *j)
{
	free(j->buf);
	memset(j, 0, sizeof(*j));
}

void json_reset(json_t *j)
{
	j->len = 0;
	j->oom = 0;
	j->depth = 0;
	memset(j->more, 0, sizeof(j->more));
	if (j->buf)
		j->buf[0] = '\0';
}

static int grow(json_t *j, size_t add)
{
	size_t cap = j->cap ? j->cap : 256;
	char *p;

	if (j->oom)
		return -1;
	if (j->len + add + 1 <= j->cap)
		return 0;
	while (cap < j->len + add + 1)
		cap *= 2;
	p = realloc(j->buf, cap);
	if (!p) {
		j->oom = 1;
		return -1;
	}
	j->buf = p;
	j->cap = cap;
	return 0;
}

static void put(json_t *j, const char *s, size_t n)
{
	if (grow(j, n))
		return;
	memcpy(j->buf + j->len, s, n);
	j->len += n;
	j->buf[j->len] = '\0';
}

static void putf(json_t *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(json_t *j, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		j->oom = 1;	/* a number never needs 64 bytes; refuse rather than cut */
		return;
	}
	put(j, tmp, (size_t)n);
}

/* Length of the valid UTF-8 sequence at s[0..n), 0 when it is not one. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	size_t len = s[0] < 0x80 ? 1 : s[0] >= 0xc2 && s[0] < 0xe0 ? 2
		   : s[0] >= 0xe0 && s[0] < 0xf0 ? 3 : s[0] >= 0xf0 && s[0] < 0xf5 ? 4 : 0;
	size_t at;
	const char *why;

	if (!len || len > n)
		return 0;
	return text_utf8_check((const char *)s, len, &at, &why) ? 0 : len;
}

static void quoted(json_t *j, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, k;

	put(j, "\"", 1);
	while (i < n) {
		if (s[i] == '"' || s[i] == '\\') {
			put(j, "\\", 1);
			put(j, (const char *)s + i++, 1);
		} else if (s[i] < 0x20) {
			putf(j, "\\u%04x", s[i++]);
		} else if ((k = utf8_seq(s + i, n - i)) > 0) {
			put(j, (const char *)s + i, k);
			i += k;
		} else {
			put(j, "\\ufffd", 6);	/* a byte that is not UTF-8 */
			i++;
		}
	}
	put(j, "\"", 1);
}

/* The comma and the key before a value. */
static void member(json_t *j, const char *key)
{
	if (j->more[j->depth])
		put(j, ",", 1);
	j->more[j->depth] = 1;
	if (key) {
		quoted(j, key, strlen(key));
		put(j, ":", 1);
	}
}

static void push(json_t *j, const char *key, const char *bracket)
{
	member(j, key);
	put(j, bracket, 1);
	if (j->depth + 1 >= JSON_MAX_DEPTH) {
		j->oom = 1;	/* deeper than any output of engram: a caller's bug */
		return;
	}
	j->more[++j->depth] = 0;
}

static void pop(json_t *j, const char *bracket)
{
	if (j->depth > 0)
		j->depth--;
	put(j, bracket, 1);
}

void json_begin(json_t *j, const char *key)
{
	push(j, key, "{");
}

void json_end(json_t *j)
{
	pop(j, "}");
}

void json_begin_array(json_t *j, const char *key)
{
	push(j, key, "[");
}

void json_end_array(json_t *j)
{
	pop(j, "]");
}

void json_strn(json_t *j, const char *key, const char *s, size_t n)
{
	member(j, key);
	quoted(j, s ? s : "", s ? n : 0);
}

void json_str(json_t *j, const char *key, const char *s)
{
	json_strn(j, key, s, s ? strlen(s) : 0);
}

void json_int(json_t *j, const char *key, long long v)
{
	member(j, key);
	putf(j, "%lld", v);
}

void json_num(json_t *j, const char *key, const char *fmt, double v)
{
	char tmp[64];
	int n;

	member(j, key);
	if (!isfinite(v)) {
		put(j, "null", 4);
		return;
	}
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	n = snprintf(tmp, sizeof(tmp), fmt, v);
#pragma GCC diagnostic pop
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		j->oom = 1;
		return;
	}
	put(j, tmp, (size_t)n);
}

void json_bool(json_t *j, const char *key, int v)
{
	member(j, key);
	put(j, v ? "true" : "false", v ? 4 : 5);
}

void json_null(json_t *j, const char *key)
{
	member(j, key);
	put(j, "null", 4);
}

void json_raw(json_t *j, const char *key, const char *text)
{
	member(j, key);
	put(j, text, strlen(text));
}

const char *json_text(const json_t *j)
{
	if (j->oom)
		return NULL;
	return j->buf ? j->buf : "";
}

int json_print(const json_t *j, err_t *e)
{
	const char *text = json_text(j);

	if (!text)
		return err_set(e, "out of memory while building the JSON output");
	if (puts(text) == EOF || fflush(stdout) == EOF)
		return err_set(e, "cannot write the JSON output to stdout");
	return 0;
}

/* ---- the validator: recursive descent over RFC 8259's grammar ---- */

static const char *ws(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	return s;
}

static const char *value(const char *s, int depth);

static const char *string(const char *s)
{
	const unsigned char *p = (const unsigned char *)s + 1;
	size_t k;

	for (;;) {
		if (*p == '"')
			return (const char *)p + 1;
		if (*p < 0x20)
			return NULL;	/* a control character, or the end */
		if (*p == '\\') {
			p++;
			if (*p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!strchr("0123456789abcdefABCDEF", p[i]) || !p[i])
						return NULL;
				p += 5;
			} else if (*p && strchr("\"\\/bfnrt", *p)) {
				p++;
			} else {
				return NULL;
			}
			continue;
		}
		k = utf8_seq(p, strnlen((const char *)p, 4));
		if (!k)
			return NULL;
		p += k;
	}
}

static const char *digits(const char *s)
{
	const char *b = s;

	while (*s >= '0' && *s <= '9')
		s++;
	return s > b ? s : NULL;
}

static const char *number(const char *s)
{
	if (*s == '-')
		s++;
	if (*s == '0')
		s++;
	else if (!(s = digits(s)))
		return NULL;
	if (*s == '.' && !(s = digits(s + 1)))
		return NULL;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		s = digits(s);
	}
	return s;
}

/* The members of an object (close '}', pairs) or an array (']', values). */
static const char *members(const char *s, int depth, char close, int pairs)
{
	s = ws(s + 1);
	if (*s == close)
		return s + 1;
	for (;;) {
		if (pairs) {
			if (*s != '"' || !(s = string(s)))
				return NULL;
			s = ws(s);
			if (*s++ != ':')
				return NULL;
		}
		if (!(s = value(s, depth + 1)))
			return NULL;
		s = ws(s);
		if (*s == close)
			return s + 1;
		if (*s++ != ',')
			return NULL;
		s = ws(s);
	}
}

static const char *value(const char *s, int depth)
{
	s = ws(s);
	if (depth > JSON_MAX_DEPTH)
		return NULL;
	switch (*s) {
	case '{':
		return members(s, depth, '}', 1);
	case '[':
		return members(s, depth, ']', 0);
	case '"':
		return string(s);
	case 't':
		return strncmp(s, "true", 4) ? NULL : s + 4;
	case 'f':
		return strncmp(s, "false", 5) ? NULL : s + 5;
	case 'n':
		return strncmp(s, "null", 4) ? NULL : s + 4;
	default:
		return *s == '-' || (*s >= '0' && *s <= '9') ? number(s) : NULL;
	}
}

int json_valid(const char *s)
{
	const char *end = s ? value(s, 1) : NULL;

	return end && *ws(end) == '\0';
}
