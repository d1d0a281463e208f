/* census.c - naming the peers that did not answer after a missed deadline. */
#include "comm/census.h"
#include "comm/clock.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { TAG_ASK = 1, TAG_ANSWER = 2 };

#define NAMED 4		/* peers (or hosts) named one by one in the line */

int census_init(census_t *s, MPI_Comm world, err_t *e)
{
	char me[CENSUS_HOST] = "";

	memset(s, 0, sizeof(*s));
	s->comm = MPI_COMM_NULL;
	MPI_Comm_rank(world, &s->rank);
	MPI_Comm_size(world, &s->size);
	if (s->size == 1)
		return 0;
	if (MPI_Comm_dup(world, &s->comm) != MPI_SUCCESS)
		return err_set(e, "MPI Comm_dup (the census communicator) failed");
	MPI_Comm_set_errhandler(s->comm, MPI_ERRORS_RETURN);
	s->hosts = calloc((size_t)s->size, CENSUS_HOST);
	s->out = calloc((size_t)s->size, sizeof(*s->out));
	if (!s->hosts || !s->out)
		return err_set(e, "out of memory for the census of %d ranks", s->size);
	if (gethostname(me, sizeof(me) - 1))
		snprintf(me, sizeof(me), "?");
	if (MPI_Allgather(me, CENSUS_HOST, MPI_CHAR, s->hosts, CENSUS_HOST, MPI_CHAR,
			  s->comm) != MPI_SUCCESS)
		return err_set(e, "MPI Allgather of the %d host names failed", s->size);
	return 0;
}

void census_free(census_t *s)
{
	if (s->comm != MPI_COMM_NULL)
		MPI_Comm_free(&s->comm);
	s->comm = MPI_COMM_NULL;
	free(s->hosts);
	free(s->out);
	s->hosts = NULL;
	s->out = NULL;
}

static const char *host(const census_t *s, int r)
{
	return s->hosts + (size_t)r * CENSUS_HOST;
}

/* Where this rank waits now: the step and the call the watchdog holds. */
static void where(const census_t *s, watchdog_t *w, census_msg_t *m)
{
	memset(m, 0, sizeof(*m));
	m->rank = s->rank;
	m->step = atomic_load(&w->step);
	snprintf(m->what, sizeof(m->what), "%s", atomic_load(&w->what));
}

/* The buffer of a send to `to` is out[to]: one message per peer is in
 * flight at most, since a rank asks once and then ends. */
static void send_to(census_t *s, watchdog_t *w, int to, int tag)
{
	MPI_Request r;

	where(s, w, &s->out[to]);
	if (MPI_Isend(&s->out[to], (int)sizeof(census_msg_t), MPI_BYTE, to, tag, s->comm,
		      &r) == MPI_SUCCESS)
		MPI_Request_free(&r);
}

void census_answer(census_t *s, watchdog_t *w)
{
	census_msg_t ask;
	MPI_Status st;
	int flag;

	if (s->comm == MPI_COMM_NULL)
		return;
	for (;;) {
		if (MPI_Iprobe(MPI_ANY_SOURCE, TAG_ASK, s->comm, &flag, &st) != MPI_SUCCESS ||
		    !flag)
			return;
		if (MPI_Recv(&ask, (int)sizeof(ask), MPI_BYTE, st.MPI_SOURCE, TAG_ASK, s->comm,
			     MPI_STATUS_IGNORE) != MPI_SUCCESS)
			return;
		send_to(s, w, st.MPI_SOURCE, TAG_ANSWER);
	}
}

/* Appends to buf (of cap bytes) with snprintf's arguments, never past cap. */
static void put(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void put(char *buf, size_t cap, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;

	if (n + 1 >= cap)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + n, cap - n, fmt, ap);
	va_end(ap);
}

/* "rank 3" or "ranks 1, 4-7 (hosts a, b)" for the ranks not heard. */
static void put_silent(const census_t *s, const unsigned char *heard, int silent,
		       char *buf, size_t cap)
{
	int runs = 0, hosts = 0;

	put(buf, cap, "%s ", silent == 1 ? "rank" : "ranks");
	for (int r = 0; r < s->size; r++) {
		int end = r;

		if (heard[r])
			continue;
		while (end + 1 < s->size && !heard[end + 1])
			end++;
		if (runs++ == NAMED) {
			put(buf, cap, " and more");
			break;
		}
		put(buf, cap, runs > 1 ? ", %d" : "%d", r);
		if (end > r)
			put(buf, cap, "-%d", end);
		r = end;
	}
	put(buf, cap, " (%s ", silent == 1 ? "host" : "hosts");
	for (int r = 0; r < s->size; r++) {
		int seen = 0;

		if (heard[r])
			continue;
		for (int q = 0; q < r && !seen; q++)
			seen = !heard[q] && !strcmp(host(s, q), host(s, r));
		if (seen)
			continue;
		if (hosts++ == NAMED) {
			put(buf, cap, ", ...");
			break;
		}
		put(buf, cap, hosts > 1 ? ", %s" : "%s", host(s, r));
	}
	put(buf, cap, ")");
}

/* The ranks that answered from another step or call than this one's. */
static void put_elsewhere(const census_t *s, const unsigned char *heard,
			  const census_msg_t *got, const census_msg_t *me, char *buf,
			  size_t cap)
{
	int named = 0;

	for (int r = 0; r < s->size; r++) {
		if (!heard[r] || r == s->rank ||
		    (got[r].step == me->step && !strcmp(got[r].what, me->what)))
			continue;
		if (named++ == NAMED) {
			put(buf, cap, "; and more");
			return;
		}
		put(buf, cap, "; rank %d waits at step %lld in %.*s", r, (long long)got[r].step,
		    CENSUS_WHAT, got[r].what);
	}
}

void census_end(census_t *s, watchdog_t *w)
{
	char msg[1024];
	unsigned char *heard = NULL;
	census_msg_t *got = NULL, me;
	int n = 1;
	double until;

	watchdog_describe(w, msg, sizeof(msg));
	if (s->comm == MPI_COMM_NULL || !(heard = calloc((size_t)s->size, 1)) ||
	    !(got = calloc((size_t)s->size, sizeof(*got)))) {
		put(msg, sizeof(msg), ": a rank stalled, died or lost its network; ending the job\n");
		watchdog_end(msg);
	}
	where(s, w, &me);
	heard[s->rank] = 1;
	for (int q = 0; q < s->size; q++)
		if (q != s->rank)
			send_to(s, w, q, TAG_ASK);
	until = clock_now() + CENSUS_SECONDS;
	while (n < s->size && clock_now() < until) {
		census_msg_t m;
		MPI_Status st;
		int flag = 0;

		if (MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, s->comm, &flag, &st) != MPI_SUCCESS)
			break;
		if (!flag)
			continue;
		if (MPI_Recv(&m, (int)sizeof(m), MPI_BYTE, st.MPI_SOURCE, st.MPI_TAG, s->comm,
			     MPI_STATUS_IGNORE) != MPI_SUCCESS)
			break;
		/* a peer past its own deadline asks: alive too, and told */
		if (st.MPI_TAG == TAG_ASK)
			send_to(s, w, st.MPI_SOURCE, TAG_ANSWER);
		if (!heard[st.MPI_SOURCE]) {
			heard[st.MPI_SOURCE] = 1;
			got[st.MPI_SOURCE] = m;
			n++;
		}
	}
	if (n < s->size) {
		put(msg, sizeof(msg), ": no answer in %g s from ", CENSUS_SECONDS);
		put_silent(s, heard, s->size - n, msg, sizeof(msg));
		put(msg, sizeof(msg), "; %d of the %d other ranks answered", n - 1, s->size - 1);
		put_elsewhere(s, heard, got, &me, msg, sizeof(msg));
		put(msg, sizeof(msg), ": a rank stalled, died or lost its network; ending the job\n");
	} else {
		put(msg, sizeof(msg), ": every rank answered in %g s", CENSUS_SECONDS);
		put_elsewhere(s, heard, got, &me, msg, sizeof(msg));
		put(msg, sizeof(msg), ": the ranks wait in calls that do not match; ending the job\n");
	}
	/* the line must end the message even when it was cut at cap */
	if (strlen(msg) == sizeof(msg) - 1)
		msg[sizeof(msg) - 2] = '\n';
	watchdog_end(msg);
}
