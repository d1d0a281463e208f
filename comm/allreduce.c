/* allreduce.c - bucketed, overlapped gradient sums over ranks. */
#include "comm/allreduce.h"
#include "comm/clock.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/*
 * Each advance of the ready prefix starts one range, [off, ready), cut into
 * equal buckets of at most a->bucket floats: so buckets end where layers
 * end, and a layer's gradients go out as soon as backward finishes them.
 * A range costs at most one bucket more than a fixed grid would; after
 * AR_MAX_RANGES - 1 ranges the rest waits for the whole dense part.
 */
#define AR_MAX_RANGES 32

/* req[]: the bitmap's, the packed rows', then the buckets' in order */
#define REQ_MARKS 0
#define REQ_TAIL 1
#define REQ_BUCKETS 2

static int count_buckets(size_t floats, size_t bucket)
{
	return (int)((floats + bucket - 1) / bucket);
}

static void set_slots(ar_t *a)
{
	a->nbuckets = count_buckets(a->dense, a->bucket);
	a->nslots = a->nbuckets + AR_MAX_RANGES;
}

int ar_init(ar_t *a, comm_t *c, float *buf, size_t n, size_t bucket_floats,
	    int overlap, err_t *e)
{
	memset(a, 0, sizeof(*a));
	a->comm = c;
	a->buf = buf;
	a->n = a->dense = n;
	a->bucket = bucket_floats < 1 ? 1 : bucket_floats;
	/* MPI counts are int */
	if (a->bucket > (size_t)1 << 30)
		a->bucket = (size_t)1 << 30;
	set_slots(a);
	a->overlap = overlap;
	a->npack = -1;
	a->req = err_calloc((size_t)REQ_BUCKETS + a->nslots, sizeof(*a->req), "allreduce requests", e);
	if (!a->req)
		return -1;
	ar_begin(a);
	return 0;
}

int ar_sparse_init(ar_t *a, int rows, int width, size_t max_touch, err_t *e)
{
	size_t tail = (size_t)rows * (size_t)width;
	size_t maxp = max_touch * (size_t)a->comm->size;

	if (rows < 2 || width < 1 || tail > a->n)
		return err_set(e, "sparse gradient tail of %d x %d floats does not fit %zu", rows, width, a->n);
	/* past half the rows, packing costs more than it saves */
	if (maxp > (size_t)rows / 2)
		maxp = (size_t)rows / 2;
	/* a packed tail is one MPI message: its count is an int */
	if (maxp * (size_t)width > (size_t)1 << 30)
		maxp = ((size_t)1 << 30) / (size_t)width;
	a->rows = rows;
	a->width = width;
	a->dense = a->n - tail;
	set_slots(a);	/* fewer than before: req[] is large enough */
	a->words = (rows + 63) / 64;
	a->max_pack = (int)maxp;
	a->marks = err_calloc((size_t)a->words, sizeof(*a->marks), "sparse gradient row bitmap", e);
	a->idx = err_calloc(maxp + 1, sizeof(*a->idx), "sparse gradient row list", e);
	a->pack = err_calloc((maxp + 1) * (size_t)width, sizeof(float), "sparse gradient rows", e);
	if (!a->marks || !a->idx || !a->pack)
		return -1;
	ar_begin(a);
	return 0;
}

void ar_free(ar_t *a)
{
	free(a->req);
	free(a->marks);
	free(a->idx);
	free(a->pack);
	a->req = NULL;
	a->marks = NULL;
	a->idx = NULL;
	a->pack = NULL;
}

void ar_begin(ar_t *a)
{
	a->off = 0;
	a->started = 0;
	a->ranges = 0;
	a->failed = 0;
	a->t_comm = 0;
	a->marks_started = 0;
	for (int k = 0; k < REQ_BUCKETS + a->nslots; k++)
		a->req[k] = MPI_REQUEST_NULL;
	if (a->marks)
		memset(a->marks, 0, (size_t)a->words * sizeof(*a->marks));
}

int ar_tail_rows(const ar_t *a, int32_t *rows)
{
	int k = 0;

	if (!a->marks)
		return -1;
	for (int i = 0; i < a->words; i++)
		for (uint64_t m = a->marks[i]; m; m &= m - 1)
			rows[k++] = i * 64 + __builtin_ctzll(m);
	return k;
}

void ar_mark(ar_t *a, const int32_t *ids, size_t n)
{
	if (!a->marks)
		return;
	for (size_t k = 0; k < n; k++)
		if (ids[k] >= 0 && ids[k] < a->rows)
			a->marks[ids[k] >> 6] |= (uint64_t)1 << (ids[k] & 63);
}

/* The first failure of the step is the one reported. */
#define AR_FAIL(a, ...)                                                      \
	do {                                                              \
		if (!(a)->failed) {                                       \
			(a)->failed = 1;                                  \
			err_set(&(a)->err, __VA_ARGS__);                  \
		}                                                         \
	} while (0)

/* Starts [a->off, end) in equal buckets of at most a->bucket floats. */
static void start_range(ar_t *a, size_t end)
{
	size_t len = end - a->off, k, cnt;

	if (end <= a->off)
		return;
	k = (len + a->bucket - 1) / a->bucket;
	cnt = (len + k - 1) / k;
	a->ranges++;
	for (; a->off < end; a->off += cnt) {
		if (cnt > end - a->off)
			cnt = end - a->off;
		if (MPI_Iallreduce(MPI_IN_PLACE, a->buf + a->off, (int)cnt, MPI_FLOAT, MPI_SUM,
				   a->comm->world, &a->req[REQ_BUCKETS + a->started]) != MPI_SUCCESS)
			AR_FAIL(a, "MPI Iallreduce of gradient bucket %d (%zu floats) failed",
			     a->started, cnt);
		a->started++;
	}
}

/* The union of the ranks' touched rows: OR of the bitmaps. */
static void start_marks(ar_t *a)
{
	a->marks_started = 1;
	if (MPI_Iallreduce(MPI_IN_PLACE, a->marks, a->words, MPI_UINT64_T, MPI_BOR,
			   a->comm->world, &a->req[REQ_MARKS]) != MPI_SUCCESS)
		AR_FAIL(a, "MPI Iallreduce of the sparse gradient row bitmap failed");
}

/* Lists the union's rows and packs them; npack = -1 when they are too
 * many for the pack buffer (the same decision on every rank: the union is
 * the same everywhere). */
static void pack_union(ar_t *a)
{
	const float *tail = a->buf + a->dense;
	size_t w = (size_t)a->width;
	int k = 0;

	for (int i = 0; i < a->words; i++)
		k += __builtin_popcountll(a->marks[i]);
	if (k > a->max_pack) {
		a->npack = -1;
		return;
	}
	a->npack = k;
	k = 0;
	for (int i = 0; i < a->words; i++)
		for (uint64_t m = a->marks[i]; m; m &= m - 1) {
			int r = i * 64 + __builtin_ctzll(m);

			a->idx[k] = r;
			memcpy(a->pack + (size_t)k * w, tail + (size_t)r * w, w * sizeof(float));
			k++;
		}
}

static void unpack_union(ar_t *a)
{
	float *tail = a->buf + a->dense;
	size_t w = (size_t)a->width;

	for (int k = 0; k < a->npack; k++)
		memcpy(tail + (size_t)a->idx[k] * w, a->pack + (size_t)k * w, w * sizeof(float));
}

/* The packed rows' sum, as a request (their count fits an int: see
 * ar_sparse_init).  A union too large to pack is summed after the buckets,
 * whole, by comm_allreduce_sum_f32, which slices what an int cannot count. */
static void start_tail(ar_t *a)
{
	size_t cnt = (size_t)a->npack * a->width;

	if (a->npack > 0 &&
	    MPI_Iallreduce(MPI_IN_PLACE, a->pack, (int)cnt, MPI_FLOAT, MPI_SUM,
			   a->comm->world, &a->req[REQ_TAIL]) != MPI_SUCCESS)
		AR_FAIL(a, "MPI Iallreduce of the sparse gradient rows failed");
}

void ar_ready(void *ctx, size_t ready)
{
	ar_t *a = ctx;
	double t0;
	int flag;

	if (!a->overlap || a->comm->size == 1 || a->failed)
		return;
	t0 = clock_now();
	/* the bitmap first: it is known before backward starts */
	if (a->marks && !a->marks_started)
		start_marks(a);
	if (ready > a->dense)
		ready = a->dense;
	if (ready > a->off && (a->ranges < AR_MAX_RANGES - 1 || ready == a->dense))
		start_range(a, ready);
	/* drive the buckets in flight: libnbc moves only inside MPI calls */
	if (MPI_Testall(REQ_BUCKETS + a->started, a->req, &flag, MPI_STATUSES_IGNORE) != MPI_SUCCESS)
		AR_FAIL(a, "MPI Testall on the gradient buckets failed");
	a->t_comm += clock_now() - t0;
}

/* Waits for the union of the marks (started now if backward did not) and
 * packs its rows. */
static void wait_marks(ar_t *a)
{
	int rc;

	if (!a->marks_started)
		start_marks(a);
	rc = comm_wait(a->comm, 1, &a->req[REQ_MARKS], "MPI_Wait (sparse gradient row bitmap)");
	if (rc != MPI_SUCCESS)
		AR_FAIL(a, "MPI Wait on the sparse gradient row bitmap failed");
	if (!a->failed)
		pack_union(a);
}

/*
 * The dense part: overlapped, whatever backward has not started yet; else
 * one blocking allreduce.  Then the sparse tail: its packed rows as one
 * more request, waited for with the buckets (only the bitmap is waited for
 * before: the buckets go on meanwhile).
 */
int ar_finish(ar_t *a, err_t *e)
{
	double t0 = clock_now();
	int rc = 0;

	if (a->comm->size == 1)
		return 0;
	if (a->overlap)
		start_range(a, a->dense);
	else
		rc = comm_allreduce_sum_f32(a->comm, a->buf, a->dense, e);
	if (!rc && a->marks) {
		wait_marks(a);
		if (!a->failed)
			start_tail(a);
	}
	if (!rc) {
		rc = comm_wait(a->comm, REQ_BUCKETS + a->started, a->req,
			       "MPI_Waitall (gradient buckets)");
		if (a->failed)
			*e = a->err;
		else if (rc != MPI_SUCCESS)
			err_set(e, "MPI Waitall on %d gradient buckets failed", a->started);
		rc = a->failed || rc != MPI_SUCCESS ? -1 : 0;
	}
	if (!rc && a->marks && a->npack < 0)
		rc = comm_allreduce_sum_f32(a->comm, a->buf + a->dense, a->n - a->dense, e);
	a->t_comm += clock_now() - t0;
	if (rc)
		return -1;
	if (a->marks && a->npack > 0)
		unpack_union(a);
	return 0;
}
