/*
 * err.h - engram's one error convention.
 *
 * Every fallible function returns 0 on success and -1 on failure, and on
 * failure fills the caller's err_t with one line naming the cause (the file,
 * the field, what was expected).  The caller either adds nothing and passes
 * the -1 up, or prints e.msg and exits non-zero.  Nothing prints on its own
 * except the command-line front end.
 */
#ifndef ENGRAM_ERR_H
#define ENGRAM_ERR_H

#include <stddef.h>

#define ERR_MSG_MAX 1024

typedef struct {
	char msg[ERR_MSG_MAX];
} err_t;

/* Format a message into e (if e is not NULL) and return -1. */
int err_set(err_t *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Prefix the existing message with "<fmt>: " and return -1. */
int err_prefix(err_t *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* malloc/calloc that report "out of memory allocating N bytes for WHAT". */
void *err_malloc(size_t n, const char *what, err_t *e);
void *err_calloc(size_t count, size_t size, const char *what, err_t *e);

#endif
