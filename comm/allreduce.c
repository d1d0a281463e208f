/* allreduce.c - bucketed, overlapped gradient sums over ranks. */
#include "comm/allreduce.h"
#include "comm/clock.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

int ar_init(ar_t *a, comm_t *c, float *buf, size_t n, size_t bucket_floats,
	    int overlap, err_t *e)
{
	memset(a, 0, sizeof(*a));
	a->comm = c;
	a->buf = buf;
	a->n = n;
	a->bucket = bucket_floats < 1 ? 1 : bucket_floats;
	/* MPI counts are int */
	if (a->bucket > (size_t)1 << 30)
		a->bucket = (size_t)1 << 30;
	a->nbuckets = (int)((n + a->bucket - 1) / a->bucket);
	a->overlap = overlap;
	a->req = err_calloc((size_t)a->nbuckets + 1, sizeof(*a->req), "allreduce requests", e);
	return a->req ? 0 : -1;
}

void ar_free(ar_t *a)
{
	free(a->req);
	a->req = NULL;
}

void ar_begin(ar_t *a)
{
	a->started = 0;
	a->failed = 0;
	a->t_comm = 0;
}

static int start(ar_t *a, int k)
{
	size_t off = (size_t)k * a->bucket;
	size_t cnt = a->n - off < a->bucket ? a->n - off : a->bucket;
	int rc = MPI_Iallreduce(MPI_IN_PLACE, a->buf + off, (int)cnt, MPI_FLOAT,
				MPI_SUM, a->comm->world, &a->req[k]);

	if (rc != MPI_SUCCESS && !a->failed) {
		a->failed = 1;
		err_set(&a->err, "MPI Iallreduce of gradient bucket %d (%zu floats) failed", k, cnt);
	}
	return rc;
}

void ar_ready(void *ctx, size_t ready)
{
	ar_t *a = ctx;
	double t0;
	int flag;

	if (!a->overlap || a->comm->size == 1 || a->failed)
		return;
	t0 = clock_now();
	while (a->started < a->nbuckets &&
	       (size_t)(a->started + 1) * a->bucket <= ready)
		start(a, a->started++);
	if (a->started < a->nbuckets && ready >= a->n)
		start(a, a->started++);
	/* drive the buckets in flight: libnbc moves only inside MPI calls */
	if (a->started &&
	    MPI_Testall(a->started, a->req, &flag, MPI_STATUSES_IGNORE) != MPI_SUCCESS &&
	    !a->failed) {
		a->failed = 1;
		err_set(&a->err, "MPI Testall on the gradient buckets failed");
	}
	a->t_comm += clock_now() - t0;
}

int ar_finish(ar_t *a, err_t *e)
{
	double t0 = clock_now();
	int rc;

	if (a->comm->size == 1)
		return 0;
	if (!a->overlap) {
		rc = comm_allreduce_sum_f32(a->comm, a->buf, a->n, e);
		a->t_comm += clock_now() - t0;
		return rc;
	}
	while (a->started < a->nbuckets)
		start(a, a->started++);
	watchdog_arm(&a->comm->wd, "MPI_Waitall (gradient buckets)");
	rc = MPI_Waitall(a->nbuckets, a->req, MPI_STATUSES_IGNORE);
	watchdog_disarm(&a->comm->wd);
	a->t_comm += clock_now() - t0;
	if (a->failed) {
		*e = a->err;
		return -1;
	}
	if (rc != MPI_SUCCESS)
		return err_set(e, "MPI Waitall on %d gradient buckets failed", a->nbuckets);
	return 0;
}
