/*
 * allreduce.h - the gradient exchange: the gradient buffer is cut into
 * buckets, and each bucket's sum over ranks (MPI_Iallreduce) starts as soon
 * as backward has finished the gradients in it, while backward goes on.
 *
 * Backward finishes the gradient buffer from its start (the output layer,
 * then the LSTM layers from the top, the embedding last; see model.h), so
 * "ready" is a growing prefix: every bucket wholly inside it can start.
 * Between time steps backward reports the same prefix again, and each call
 * tests the buckets in flight so that MPI makes progress on them.
 *
 * Without overlap, one blocking MPI_Allreduce runs after backward.
 */
#ifndef ENGRAM_ALLREDUCE_H
#define ENGRAM_ALLREDUCE_H

#include <stddef.h>

#include "comm/comm.h"

typedef struct {
	comm_t *comm;
	float *buf;		/* the gradients, n floats, not owned */
	size_t n, bucket;	/* floats in all, per bucket */
	int nbuckets, started, overlap;
	MPI_Request *req;	/* one per bucket, owned */
	int failed;		/* an MPI call failed inside the hook */
	err_t err;
	double t_comm;		/* seconds spent in MPI calls this step */
} ar_t;

int ar_init(ar_t *a, comm_t *c, float *buf, size_t n, size_t bucket_floats,
	    int overlap, err_t *e);
void ar_free(ar_t *a);

/* A new exchange: nothing started yet. */
void ar_begin(ar_t *a);

/* The model's grad-ready hook (model_grad_hook_t): ctx is the ar_t. */
void ar_ready(void *ctx, size_t ready);

/* Starts what is left, waits for every bucket: afterwards buf holds the
 * sums over ranks. */
int ar_finish(ar_t *a, err_t *e);

#endif
