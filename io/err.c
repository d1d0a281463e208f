/* err.c - message formatting and checked allocation for the error convention. */
#include "io/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int err_set(err_t *e, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return -1;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int err_prefix(err_t *e, const char *fmt, ...)
{
	char old[ERR_MSG_MAX];
	size_t len;
	va_list ap;

	if (!e)
		return -1;
	memcpy(old, e->msg, sizeof(old));
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	len = strlen(e->msg);
	if (len + 2 < sizeof(e->msg)) {
		memcpy(e->msg + len, ": ", 3);
		len += 2;
	}
	snprintf(e->msg + len, sizeof(e->msg) - len, "%s", old);
	return -1;
}

void *err_malloc(size_t n, const char *what, err_t *e)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		err_set(e, "out of memory allocating %zu bytes for %s", n, what);
	return p;
}

void *err_calloc(size_t count, size_t size, const char *what, err_t *e)
{
	void *p = calloc(count ? count : 1, size ? size : 1);

	if (!p)
		err_set(e, "out of memory allocating %zu x %zu bytes for %s",
			count, size, what);
	return p;
}
