/*
 * atomic.h - complete-or-absent files: write to a temporary name in the
 * target's directory, then fsync it, rename it over the target and fsync
 * the directory, so a crash at any moment leaves the old file or the new
 * one, never a half-written one.
 */
#ifndef ENGRAM_ATOMIC_H
#define ENGRAM_ATOMIC_H

#include <stddef.h>

#include "io/err.h"

/* "<dir>/.<name>.tmp.<pid>" for target path `final`. */
int atomic_tmp_path(const char *final, char *tmp, size_t n, err_t *e);
/* The pid in a file name atomic_tmp_path made (".<name>.tmp.<pid>", no
 * directory), or 0 for any other name. */
long atomic_tmp_pid(const char *name);
/* fsync tmp, rename it to final, fsync final's directory. */
int atomic_commit(const char *tmp, const char *final, err_t *e);

#endif
