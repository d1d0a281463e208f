/*
 * watchdog.h - a deadline on every blocking collective.
 *
 * Open MPI 4.1 has no heartbeat: a rank that stops (SIGSTOP, a frozen
 * node) or a link cut for good leaves the others waiting in a collective
 * forever.  Before each blocking MPI call the caller arms the watchdog with
 * the call's name; a thread of its own checks twice a second, and when a
 * deadline passes it prints which collective at which step timed out and
 * ends this process with WATCHDOG_EXIT, which makes mpirun end the job.
 */
#ifndef ENGRAM_WATCHDOG_H
#define ENGRAM_WATCHDOG_H

#include <pthread.h>
#include <stdatomic.h>

#define WATCHDOG_EXIT 76

typedef struct {
	pthread_t thread;
	int running, rank;
	double timeout;			/* seconds per collective */
	_Atomic double deadline;	/* 0: nothing armed */
	_Atomic(const char *) what;	/* the collective, a string literal */
	_Atomic long long step;		/* for the message */
	atomic_int quit;
} watchdog_t;

/* Starts the thread; timeout <= 0 leaves the watchdog off. */
int watchdog_start(watchdog_t *w, int rank, double timeout);
void watchdog_stop(watchdog_t *w);

/* Arm before a blocking call, disarm after; both are cheap and may be
 * called with w == NULL. */
void watchdog_arm(watchdog_t *w, const char *what);
void watchdog_disarm(watchdog_t *w);
void watchdog_step(watchdog_t *w, long long step);

#endif
