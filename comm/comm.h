/*
 * comm.h - engram's use of MPI: the world of ranks, the collectives the
 * trainer needs, and ending the whole job when one rank fails.
 *
 * A process started without mpirun is a world of one.  Every MPI call is
 * checked (the communicator returns errors instead of aborting inside MPI)
 * and a failure becomes an err_t message naming the collective.
 */
#ifndef ENGRAM_COMM_H
#define ENGRAM_COMM_H

#include <stddef.h>
#include <stdint.h>

#include <mpi.h>

#include "comm/census.h"
#include "comm/watchdog.h"
#include "io/err.h"

typedef struct {
	MPI_Comm world;		/* a duplicate of MPI_COMM_WORLD, errors return */
	int rank, size;
	int local_rank, local_size;	/* among the ranks on this node */
	int owns_mpi;		/* we called MPI_Init, so we finalize */
	watchdog_t wd;		/* the deadline on every wait */
	census_t census;	/* who is there, when a deadline passed */
} comm_t;

int comm_init(comm_t *c, int *argc, char ***argv, err_t *e);
/* Every blocking collective from now on must finish within timeout
 * seconds (< 0: a deadline that follows the steps, 0: none), else the job
 * ends (watchdog.h). */
int comm_set_timeout(comm_t *c, double timeout, err_t *e);
/* A step or evaluation window took seconds (the deadline follows it). */
void comm_observe(comm_t *c, double seconds);
/*
 * Every rank calls these around I/O of `bytes` that the others wait on
 * (rank 0 writing, verifying or reading a checkpoint): the collectives in
 * between get COMM_IO_BASE s plus bytes / COMM_IO_RATE more, so a slow
 * disk does not pass for a stalled peer, and a hung one still ends.
 */
#define COMM_IO_BASE 60.0
#define COMM_IO_RATE 5e6	/* bytes per second: a slow network disk */
void comm_io_begin(comm_t *c, double bytes);
void comm_io_end(comm_t *c);
/*
 * Waits for n requests started on the world (MPI_Testall in a loop, as
 * MPI_Waitall would spin): under the deadline, named `what` in its
 * message, and answering the census of peers past theirs.  An MPI error
 * code, or MPI_SUCCESS.
 */
int comm_wait(comm_t *c, int n, MPI_Request *req, const char *what);
/* Finalizes MPI when comm_init initialized it. */
void comm_free(comm_t *c);

/* Ends every rank of the job at once with status code (MPI_Abort). */
void comm_abort(comm_t *c, int code) __attribute__((noreturn));

int comm_bcast(comm_t *c, void *buf, size_t bytes, int root, err_t *e);
/* Rank r's `bytes` bytes land at recv + r * bytes on root (recv is only
 * used there); and the reverse. */
int comm_gather(comm_t *c, const void *send, size_t bytes, void *recv, int root,
		err_t *e);
int comm_scatter(comm_t *c, const void *send, size_t bytes, void *recv, int root,
		 err_t *e);

/* In-place sums over all ranks. */
int comm_allreduce_sum_f32(comm_t *c, float *x, size_t n, err_t *e);
int comm_allreduce_sum_f64(comm_t *c, double *x, size_t n, err_t *e);
int comm_allreduce_max_i64(comm_t *c, int64_t *x, size_t n, err_t *e);

/*
 * Checks that buf holds the same bytes on every rank (CRC-32 of the bytes,
 * compared across ranks); -1 with a message naming `what` (a plural: "the
 * parameters") and the first rank that differs from rank 0 otherwise.  The
 * outcome is the same on every rank.
 */
int comm_check_same(comm_t *c, const void *buf, size_t bytes,
		    const char *what, err_t *e);

/* Cores per rank on this node: the cores divided by the ranks here, >= 1. */
int comm_threads_per_rank(const comm_t *c);

#endif
