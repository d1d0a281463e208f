/*
 * tfevents.h - TensorBoard event files, written with no library: the
 * records are TFRecord frames (length, masked CRC-32C of the length, data,
 * masked CRC-32C of the data) around a hand-encoded protobuf `Event`:
 * wall_time (1, double), step (2, int64), file_version (3, string) in the
 * first record, summary (5) { value (1) { tag (1), simple_value (2, float) } }
 * in the others.  These are the only fields TensorBoard's scalars need.
 */
#ifndef ENGRAM_TFEVENTS_H
#define ENGRAM_TFEVENTS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "io/err.h"

typedef struct {
	FILE *f;
	char path[4400];
} tfe_t;

/* Creates dir (one level) and in it events.out.tfevents.<time>.<host>.<pid>,
 * a new file each time (a resumed run appends a file, as TensorBoard
 * expects); writes the version record. */
int tfe_open(tfe_t *t, const char *dir, double wall, err_t *e);

/* One event at step: n scalars, tags[i] = values[i]; flushed. */
int tfe_scalars(tfe_t *t, double wall, int64_t step, int n,
		const char *const *tags, const double *values, err_t *e);

void tfe_close(tfe_t *t);

/* CRC-32C (Castagnoli) of p[0..n), and TFRecord's mask of it. */
uint32_t tfe_crc32c(const void *p, size_t n);
uint32_t tfe_mask(uint32_t crc);

#endif
