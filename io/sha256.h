/*
 * sha256.h - SHA-256 (FIPS 180-4), streaming, for fingerprinting the source
 * texts of a data set and, later, the files a checkpoint depends on.
 */
#ifndef ENGRAM_SHA256_H
#define ENGRAM_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
	uint32_t h[8];
	uint64_t len;		/* bytes hashed so far */
	uint8_t buf[64];	/* partial block */
	size_t nbuf;
} sha256_t;

void sha256_init(sha256_t *s);
void sha256_update(sha256_t *s, const void *data, size_t n);
/* Writes the digest as 64 lowercase hex digits and a NUL. */
void sha256_final_hex(sha256_t *s, char hex[65]);

#endif
