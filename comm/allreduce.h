/*
 * allreduce.h - the gradient exchange: the gradient buffer is cut into
 * buckets, and each bucket's sum over ranks (MPI_Iallreduce) starts as soon
 * as backward has finished the gradients in it, while backward goes on.
 *
 * Backward finishes the gradient buffer from its start (the output layer,
 * then the LSTM layers from the top, the embedding last; see model.h), so
 * "ready" is a growing prefix: each time it grows, the new part starts,
 * cut into equal buckets of at most bucket_floats (so buckets end where
 * layers end).
 * Between time steps backward reports the same prefix again, and each call
 * tests the buckets in flight so that MPI makes progress on them.
 *
 * Without overlap, one blocking MPI_Allreduce runs after backward.
 *
 * The buffer may end in a row-sparse tail (the embedding's gradient, rows x
 * width): a step's backward writes only the rows of the tokens it read, so
 * the ranks exchange which rows they touched (a bitmap, OR over ranks, sent
 * while forward and backward run) and then sum only the rows of that union,
 * packed.  Rows outside the union are zero on every rank and stay zero: the
 * result is the dense sum's.  When the union is large the tail goes dense.
 * On one rank nothing is exchanged, but the marks still say which rows can
 * be nonzero (ar_tail_rows), so that the optimizer can skip the others.
 */
#ifndef ENGRAM_ALLREDUCE_H
#define ENGRAM_ALLREDUCE_H

#include <stddef.h>
#include <stdint.h>

#include "comm/comm.h"

typedef struct {
	comm_t *comm;
	float *buf;		/* the gradients, n floats, not owned */
	size_t n, bucket;	/* floats in all, per bucket */
	size_t dense;		/* floats before the sparse tail (n without one) */
	size_t off;		/* floats of the dense part started this step */
	int nbuckets;		/* dense / bucket, rounded up */
	int nslots;		/* bucket requests: nbuckets + one per range */
	int started, ranges, overlap;	/* buckets, ranges started this step */
	MPI_Request *req;	/* the bitmap's, the tail's, then nslots for
				 * buckets; owned */
	int failed;		/* an MPI call failed inside the hook */
	err_t err;
	double t_comm;		/* seconds spent in MPI calls this step */
	/* the sparse tail: buf[dense + r * width ...] is row r */
	int rows, width;	/* 0 without a tail */
	int words;		/* uint64 words of the bitmap */
	uint64_t *marks;	/* rows this rank touched; after the OR the union */
	int marks_started;
	int max_pack;		/* rows the pack buffer holds; more go dense */
	float *pack;		/* max_pack x width, owned */
	int32_t *idx;		/* the union's rows, ascending, max_pack, owned */
	int npack;		/* rows in the last exchange's union, -1 dense */
} ar_t;

int ar_init(ar_t *a, comm_t *c, float *buf, size_t n, size_t bucket_floats,
	    int overlap, err_t *e);
/*
 * Makes the last rows x width floats of buf a sparse tail.  max_touch is
 * the most rows one rank can mark in a step (tokens per step): the pack
 * buffer holds the union of all ranks' rows up to half the tail, beyond
 * that the tail is summed dense.
 */
int ar_sparse_init(ar_t *a, int rows, int width, size_t max_touch, err_t *e);
void ar_free(ar_t *a);

/* A new exchange: nothing started, no rows marked. */
void ar_begin(ar_t *a);

/* Marks the tail rows ids[0 .. n) as touched by this step's backward (ids
 * outside 0 .. rows-1 are ignored).  Every row backward writes must be
 * marked, before the first ar_ready of the step. */
void ar_mark(ar_t *a, const int32_t *ids, size_t n);

/*
 * After ar_finish (on one rank: after the marks): the tail rows that may be
 * nonzero, the union over ranks of the rows marked, ascending, into rows
 * (room for every row of the tail); returns how many, or -1 when there is
 * no sparse tail (then any row may be nonzero).
 */
int ar_tail_rows(const ar_t *a, int32_t *rows);

/* The model's grad-ready hook (model_grad_hook_t): ctx is the ar_t. */
void ar_ready(void *ctx, size_t ready);

/* Starts what is left, waits for every bucket: afterwards buf holds the
 * sums over ranks. */
int ar_finish(ar_t *a, err_t *e);

#endif
