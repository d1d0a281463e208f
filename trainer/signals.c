/* signals.c - stop requests from the outside.  A signal handler can only
 * reach the program through static state: this file is the one place. */
#include "trainer/signals.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop_signal, saved;
static atomic_llong current_step;
static int my_rank;

/* write(2) of a decimal number: printf is not async-signal-safe */
static size_t put_num(char *p, long long x)
{
	char tmp[24];
	size_t n = 0, len = 0;

	if (x < 0)
		x = 0;
	do
		tmp[n++] = (char)('0' + x % 10);
	while ((x /= 10) && n < sizeof(tmp));
	while (n)
		p[len++] = tmp[--n];
	return len;
}

static void say(int sig, const char *tail)
{
	char msg[200];
	size_t n = 0;
	const char *name = sig == SIGTERM ? "SIGTERM" : sig == SIGUSR1 ? "SIGUSR1" :
			   sig == SIGUSR2 ? "SIGUSR2" : "SIGINT";

	memcpy(msg + n, "engram: rank ", 13), n += 13;
	n += put_num(msg + n, my_rank);
	memcpy(msg + n, " got ", 5), n += 5;
	memcpy(msg + n, name, strlen(name)), n += strlen(name);
	memcpy(msg + n, " during step ", 13), n += 13;
	n += put_num(msg + n, atomic_load(&current_step));
	memcpy(msg + n, tail, strlen(tail)), n += strlen(tail);
	if (write(2, msg, n) < 0)
		(void)0;
}

/* A repeated SIGUSR1 is not a second request: Slurm and mpirun may deliver
 * one request more than once.  SIGUSR2 is run-local.sh's second one. */
static void on_signal(int sig)
{
	if (stop_signal && sig != SIGUSR1) {
		if (saved) {
			say(sig, ": second stop signal, the checkpoint is on disk: exit 75\n");
			_exit(TRAIN_EXIT_PREEMPTED);
		}
		say(sig, ": second stop signal, exiting at once\n");
		_exit(128 + sig);
	}
	if (!stop_signal)
		say(sig, ": stopping after it with a checkpoint (again: exit at once)\n");
	stop_signal = sig;
}

void signals_install(int rank)
{
	struct sigaction sa;

	my_rank = rank < 0 ? 0 : rank;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
}

void signals_saved(void)
{
	saved = 1;
}

void signals_step(long long step)
{
	atomic_store(&current_step, step);
}

int signals_stop_requested(void)
{
	return stop_signal;
}
