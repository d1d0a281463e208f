/*
 * h5.h - small HDF5 helpers shared by the data set and checkpoint code:
 * scalar and string attributes, and quieting HDF5's own error printing so
 * that engram's one-line messages are what the user sees.
 */
#ifndef ENGRAM_H5_H
#define ENGRAM_H5_H

#include <stddef.h>
#include <stdint.h>

#include <hdf5.h>

#include "io/err.h"
#include "io/vocab.h"

/* Turn off HDF5's automatic error stack printing (idempotent). */
void h5_quiet(void);

/* Creates (truncates) path in the HDF5 1.10 file format, whose metadata
 * (object headers, chunk indexes) carries checksums of its own; readable
 * by HDF5 >= 1.10 and h5py built on it. */
hid_t h5_create(const char *path);

int h5_attr_put_str(hid_t obj, const char *name, const char *val, err_t *e);
int h5_attr_put_i64(hid_t obj, const char *name, int64_t val, err_t *e);
int h5_attr_put_i64v(hid_t obj, const char *name, const int64_t *v, size_t n,
		     err_t *e);
int h5_attr_put_f64(hid_t obj, const char *name, double val, err_t *e);

/* Readers: -1 with a message naming `what` (the file) and the attribute
 * when it is missing or of the wrong class; 1 for "absent" where optional. */
int h5_attr_get_str(hid_t obj, const char *what, const char *name, char *buf,
		    size_t n, err_t *e);
int h5_attr_get_i64(hid_t obj, const char *what, const char *name,
		    int64_t *val, err_t *e);
int h5_attr_get_f64(hid_t obj, const char *what, const char *name,
		    double *val, err_t *e);
/* An integer attribute of 1 .. max values into v; *n gets how many. */
int h5_attr_get_i64v(hid_t obj, const char *what, const char *name,
		     int64_t *v, size_t max, size_t *n, err_t *e);
int h5_attr_exists(hid_t obj, const char *name);

/* zlib's CRC-32 of n bytes, in slices that fit its uInt. */
uint32_t h5_crc32(const void *buf, size_t n);

/* A 1-D dataset of bytes (deflated), and reading it back into a new
 * buffer (*len bytes, NUL-terminated, caller frees); at most max bytes.
 * These and the uint64 pair below store a "crc32" attribute and check it. */
int h5_put_bytes(hid_t loc, const char *name, const void *buf, size_t len,
		 const char *what, err_t *e);
int h5_get_bytes(hid_t loc, const char *name, size_t max, char **buf,
		 size_t *len, const char *what, err_t *e);
/* A 2-D dataset of uint64 (rows x cols) and reading it back, exact shape. */
int h5_put_u64(hid_t loc, const char *name, const uint64_t *buf, size_t rows,
	       size_t cols, const char *what, err_t *e);
int h5_get_u64(hid_t loc, const char *name, uint64_t *buf, size_t rows,
	       size_t cols, const char *what, err_t *e);

/* deflate shrinks at most about 1032:1; allow some slack */
#define H5_MAX_RATIO 1100

/*
 * 1 when dataset d's stored bytes (into *stored) can back raw bytes of
 * data: no more than the file holds (HDF5 allocates what a chunk's index
 * entry claims before reading it), every byte unless chunked (only chunks
 * are compressed; libhdf5 1.10 reads past a short compact dataset), beyond
 * 64 KiB at least raw / H5_MAX_RATIO, and chunks of at most 64 MiB, no
 * more of them than one per 4 KiB of data (*bad_chunks, may be NULL, says
 * the chunk shape was the reason).  For checking a forged header before
 * anything of the size it declares is allocated or read.
 */
int h5_storage_plausible(hid_t d, uint64_t raw, uint64_t *stored,
			 int *bad_chunks);

/* A vocabulary as a 1-D dataset of variable-length UTF-8 strings (id = index),
 * with a "crc32" attribute over the strings and their NULs, checked on read. */
int h5_write_vocab(hid_t loc, const char *name, const vocab_t *v,
		   const char *what, err_t *e);
/* Reads it into an initialised, empty table; it must hold exactly n
 * distinct strings. */
int h5_read_vocab(hid_t loc, const char *name, int64_t n, vocab_t *v,
		  const char *what, err_t *e);

#endif
