/* watchdog.c - the collective deadline thread. */
#include "comm/watchdog.h"
#include "comm/clock.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define REAP_AFTER 10	/* seconds mpirun gets to end the job by itself */

/* 1 when pid is an Open MPI launcher or daemon (by /proc/pid/comm). */
static int is_launcher(pid_t pid)
{
	static const char *const names[] = { "mpirun", "mpiexec", "orterun", "orted",
					     "prterun", "prted" };
	char path[64], comm[32] = "";
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	n = read(fd, comm, sizeof(comm) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	comm[n] = '\0';
	comm[strcspn(comm, "\n")] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(comm, names[i]))
			return 1;
	return 0;
}

/*
 * When this rank's host is cut off, mpirun (or its daemon) cannot learn
 * that the rank ended and waits forever.  A child outlives this process
 * and, if the launcher is still there REAP_AFTER seconds later, kills it:
 * the job ends on every host that can still be reached.  The child only
 * makes async-signal-safe calls.
 */
static void reap_launcher_later(void)
{
	pid_t parent = getppid();

	if (!is_launcher(parent) || fork() != 0)
		return;
	setsid();
	sleep(REAP_AFTER);
	if (is_launcher(parent))
		kill(parent, SIGKILL);
	_exit(0);
}

void watchdog_end(const char *msg)
{
	/* Not exit(): the main thread may be inside MPI; no atexit handler,
	 * no MPI_Finalize may run now. */
	if (write(2, msg, strlen(msg)) < 0)
		(void)0;
	reap_launcher_later();
	_exit(WATCHDOG_EXIT);
}

/*
 * The backstop: the main thread ends the job itself when a deadline
 * passes while it waits (comm_wait, with the census of the peers); this
 * thread ends it WATCHDOG_BACKSTOP seconds later, without the census,
 * should the main thread be stuck inside an MPI call that never returns.
 */
static void *run(void *arg)
{
	watchdog_t *w = arg;
	struct timespec half = { 0, 500000000L };

	while (!atomic_load(&w->quit)) {
		double d = atomic_load(&w->deadline);

		if (d > 0 && clock_now() > d + WATCHDOG_BACKSTOP) {
			char msg[512];

			watchdog_describe(w, msg, sizeof(msg));
			snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg),
				 ": a rank stalled, died or lost its network "
				 "(this rank's MPI call did not return for %g s more); ending the job\n",
				 WATCHDOG_BACKSTOP);
			watchdog_end(msg);
		}
		nanosleep(&half, NULL);
	}
	return NULL;
}

void watchdog_describe(watchdog_t *w, char *buf, size_t cap)
{
	double g = atomic_load(&w->grace);

	snprintf(buf, cap, "engram: rank %d, step %lld: %s did not complete within %g s (%s%s)",
		 w->rank, atomic_load(&w->step), atomic_load(&w->what),
		 atomic_load(&w->timeout) + g,
		 w->fixed > 0 ? "--comm-timeout" : "20 x the slowest step, at least 30 s; --comm-timeout fixes it",
		 g > 0 ? ", with the grace for checkpoint I/O" : "");
}

int watchdog_expired(watchdog_t *w, double now)
{
	double d = atomic_load(&w->deadline);

	return d > 0 && now > d;
}

int watchdog_start(watchdog_t *w, int rank, double timeout)
{
	memset(w, 0, sizeof(*w));
	w->rank = rank;
	w->fixed = timeout > 0 ? timeout : 0;
	atomic_store(&w->timeout, timeout > 0 ? timeout : WATCHDOG_FLOOR);
	atomic_store(&w->what, "a collective");
	if (timeout == 0)
		return 0;
	if (pthread_create(&w->thread, NULL, run, w))
		return -1;
	w->running = 1;
	return 0;
}

void watchdog_stop(watchdog_t *w)
{
	if (!w->running)
		return;
	atomic_store(&w->quit, 1);
	pthread_join(w->thread, NULL);
	w->running = 0;
}

void watchdog_arm(watchdog_t *w, const char *what)
{
	if (!w || !w->running)
		return;
	atomic_store(&w->what, what);
	atomic_store(&w->deadline, clock_now() + atomic_load(&w->timeout) +
				   atomic_load(&w->grace));
}

void watchdog_disarm(watchdog_t *w)
{
	if (w && w->running)
		atomic_store(&w->deadline, 0.0);
}

void watchdog_step(watchdog_t *w, long long step)
{
	if (w)
		atomic_store(&w->step, step);
}

void watchdog_observe(watchdog_t *w, double seconds)
{
	double t;

	if (!w || !w->running || w->fixed > 0 || seconds <= atomic_load(&w->slowest))
		return;
	atomic_store(&w->slowest, seconds);
	t = WATCHDOG_STEPS * seconds;
	atomic_store(&w->timeout, t > WATCHDOG_FLOOR ? t : WATCHDOG_FLOOR);
}

void watchdog_grace(watchdog_t *w, double seconds)
{
	if (w)
		atomic_store(&w->grace, seconds > 0 ? seconds : 0.0);
}
