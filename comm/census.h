/*
 * census.h - who is still there, asked when a collective misses its
 * deadline.
 *
 * A collective that does not complete names no culprit: every healthy rank
 * waits in it alike.  So every wait on MPI (comm_wait) also answers, about
 * once a millisecond, the "are you there" of a peer whose deadline passed,
 * with the step and the call it is waiting in.  A rank whose deadline
 * passes asks every other rank on a communicator of its own and listens
 * for CENSUS_SECONDS: the ranks that did not answer, and their hosts, are
 * the ones that stalled, died or are cut off; a rank that answered from
 * another step or another call points at a collective that does not match.
 */
#ifndef ENGRAM_CENSUS_H
#define ENGRAM_CENSUS_H

#include <stdint.h>

#include <mpi.h>

#include "comm/watchdog.h"
#include "io/err.h"

#define CENSUS_SECONDS 2.0
#define CENSUS_HOST 64		/* bytes per host name, NUL included */
#define CENSUS_WHAT 48

typedef struct {
	int32_t rank;
	int32_t pad;
	int64_t step;
	char what[CENSUS_WHAT];
} census_msg_t;

typedef struct {
	MPI_Comm comm;		/* a duplicate of the world: asks and answers only */
	int rank, size;
	char *hosts;		/* size x CENSUS_HOST, gathered at start */
	census_msg_t *out;	/* one send buffer per peer: an answer in flight */
} census_t;

/* Collective over world (at start, before any deadline is armed). */
int census_init(census_t *s, MPI_Comm world, err_t *e);
void census_free(census_t *s);

/* Answers the asks that have arrived, with where this rank waits now. */
void census_answer(census_t *s, watchdog_t *w);

/* The deadline of what w names has passed: asks every peer, listens for
 * CENSUS_SECONDS, prints one line naming the step, the call, the time
 * allowed and the peers that did not answer, and ends the process. */
void census_end(census_t *s, watchdog_t *w) __attribute__((noreturn));

#endif
