/*
 * rundir.h - one job per run directory.  rundir_lock takes an advisory
 * fcntl write lock on DIR/.lock and keeps it until rundir_unlock or the
 * end of the process, however it ends: the kernel drops the lock of a
 * dead process, so a job that was killed leaves no stale lock behind (the
 * file stays, and only says who held it last).  fcntl locks reach across
 * hosts on NFS where the server supports them (NFSv4, or v3 with lockd);
 * on a file system without them the lock holds only within one host.
 */
#ifndef ENGRAM_RUNDIR_H
#define ENGRAM_RUNDIR_H

#include "io/err.h"

/* Locks DIR (which exists) for this process and records "pid P on host H"
 * in the file; *fd gets the descriptor to keep open.  When another
 * process holds it, fails naming the directory and that holder. */
int rundir_lock(const char *dir, int *fd, err_t *e);

/* With the lock held: removes DIR's temporary files of writes that were
 * killed (io/atomic.h names them ".<name>.tmp.<pid>"), those whose
 * process is gone.  *count and *bytes get what was removed. */
int rundir_clean_tmp(const char *dir, int *count, long long *bytes, err_t *e);

/* Releases the lock (fd < 0: nothing). */
void rundir_unlock(int fd);

#endif
