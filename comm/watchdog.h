/*
 * watchdog.h - a deadline on every blocking collective.
 *
 * Open MPI 4.1 has no heartbeat: a rank that stops (SIGSTOP, a frozen
 * node) or a link cut for good leaves the others waiting in a collective
 * forever.  Before each wait on MPI the caller arms the watchdog with the
 * call's name.  The waiting main thread notices the deadline itself, asks
 * which peers are still there (census.h), prints which collective at which
 * step timed out and who did not answer, and ends this process with
 * WATCHDOG_EXIT, which makes mpirun end the job.  A thread of its own
 * checks twice a second and does the same, without the census,
 * WATCHDOG_BACKSTOP seconds later: an MPI call may never return.
 *
 * The deadline is fixed (--comm-timeout S), or follows the job: the larger
 * of WATCHDOG_FLOOR seconds and WATCHDOG_STEPS times the slowest step (or
 * evaluation window) seen so far, so a partition ends a small job within
 * a minute and a big model's slow steps are not taken for a stall.  While
 * the ranks wait on declared I/O (rank 0 writing or reading a checkpoint),
 * a grace for that I/O is added: a slow disk is not a stalled peer.
 */
#ifndef ENGRAM_WATCHDOG_H
#define ENGRAM_WATCHDOG_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#define WATCHDOG_EXIT 76
#define WATCHDOG_FLOOR 30.0
#define WATCHDOG_STEPS 20.0
#define WATCHDOG_BACKSTOP 15.0

typedef struct {
	pthread_t thread;
	int running, rank;
	double fixed;			/* > 0: the user's seconds per collective */
	_Atomic double timeout;		/* seconds per collective now */
	_Atomic double slowest;		/* the slowest step seen, seconds */
	_Atomic double grace;		/* extra seconds during declared I/O */
	_Atomic double deadline;	/* 0: nothing armed */
	_Atomic(const char *) what;	/* the collective, a string literal */
	_Atomic long long step;		/* for the message */
	atomic_int quit;
} watchdog_t;

/* Starts the thread: timeout > 0 fixes the deadline, < 0 lets it follow
 * the job; 0 leaves the watchdog off. */
int watchdog_start(watchdog_t *w, int rank, double timeout);
void watchdog_stop(watchdog_t *w);

/* Arm before a blocking call, disarm after; both are cheap and may be
 * called with w == NULL. */
void watchdog_arm(watchdog_t *w, const char *what);
void watchdog_disarm(watchdog_t *w);
void watchdog_step(watchdog_t *w, long long step);
/* A step (or evaluation window) took seconds: the deadline follows it. */
void watchdog_observe(watchdog_t *w, double seconds);
/* 1 when the armed deadline has passed at `now` (clock_now()). */
int watchdog_expired(watchdog_t *w, double now);
/* "engram: rank R, step S: WHAT did not complete within T s (why T)". */
void watchdog_describe(watchdog_t *w, char *buf, size_t cap);
/* Prints msg and ends this process at once with WATCHDOG_EXIT (and, when
 * mpirun cannot be told, the launcher a little later).  Safe inside MPI. */
void watchdog_end(const char *msg) __attribute__((noreturn));
/* Extra seconds for the collectives armed until watchdog_grace(w, 0). */
void watchdog_grace(watchdog_t *w, double seconds);

#endif
