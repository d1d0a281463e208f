/*
 * check.h - the assertions of engram's C tests: a failed check prints the
 * file, line and expression (and a message), the test goes on, and the
 * program ends with "NAME: N passed, M failed" and exit status = failures.
 */
#ifndef ENGRAM_CHECK_H
#define ENGRAM_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int check_passed, check_failed;

#define CHECK(cond, ...)                                                    \
	do {                                                                \
		if (cond) {                                                 \
			check_passed++;                                     \
		} else {                                                    \
			check_failed++;                                     \
			printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
			printf(__VA_ARGS__);                                \
			printf("\n");                                       \
		}                                                           \
	} while (0)

static inline int check_done(const char *name)
{
	printf("%s: %d passed, %d failed\n", name, check_passed, check_failed);
	return check_failed ? 1 : 0;
}

/* A fresh directory under $TMPDIR (or /tmp) for one test program. */
static inline const char *check_tmpdir(void)
{
	static char dir[256];
	const char *t = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/engram-test-XXXXXX", t ? t : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		exit(2);
	}
	return dir;
}

static inline void check_write_file(const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(data, 1, n, f) != n || fclose(f)) {
		perror(path);
		exit(2);
	}
}

/* The whole file, NUL-terminated, into a malloc'd buffer; exits on error. */
static inline char *check_read_file(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	long len;
	char *buf;

	if (!f || fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		perror(path);
		exit(2);
	}
	buf = malloc((size_t)len + 1);
	if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len) {
		perror(path);
		exit(2);
	}
	fclose(f);
	buf[len] = '\0';
	*n = (size_t)len;
	return buf;
}

#endif
