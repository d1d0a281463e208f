/*
 * test_allreduce_mpi.c - under mpiexec -n P: the gradient exchange
 * (comm/allreduce.c) against one plain MPI_Allreduce of the whole buffer.
 * Overlap on and off, buckets of 1 float to all of it, a ready prefix that
 * grows a few times or a hundred, and a row-sparse
 * tail whose rows each rank touches at random: a small union (sent packed),
 * a union too large to pack (sent dense), and none at all.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "comm/allreduce.h"
#include "tests/check.h"
#include "trainer/nn/rng.h"

enum { D = 1000, R = 300, W = 7, N = D + R * W };

/* rank's gradient: dense values everywhere before the tail, and in the
 * tail only the rows it marks (nrows of them at random, ids duplicated) */
static void fill(float *g, int32_t *ids, int nrows, int rank, int seed)
{
	rng_t r;

	rng_seed(&r, (uint64_t)seed, (uint64_t)rank);
	memset(g, 0, N * sizeof(float));
	for (int i = 0; i < D; i++)
		g[i] = rng_float(&r) - 0.5f;
	for (int k = 0; k < nrows; k++) {
		ids[k] = (int32_t)(rng_u64(&r) % R);
		for (int j = 0; j < W; j++)
			g[D + ids[k] * W + j] = 0.5f + rng_float(&r);
	}
}

static void one_case(comm_t *c, int overlap, size_t bucket, int nrows, int seed,
		     int expect_packed, int fine)
{
	static float g[N], ref[N];
	static int32_t ids[R * 2];
	int P = c->size, nonzero = 0, bad = 0;
	ar_t a;
	err_t e;

	fill(g, ids, nrows, c->rank, seed);
	memcpy(ref, g, sizeof(g));
	MPI_Allreduce(MPI_IN_PLACE, ref, N, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);

	CHECK(!ar_init(&a, c, g, N, bucket, overlap, &e), "%s", e.msg);
	/* at most 40 rows per rank: the pack holds min(40 P, R / 2) rows */
	CHECK(!ar_sparse_init(&a, R, W, 40, &e), "%s", e.msg);
	ar_begin(&a);
	/* half the marks before, half in a second call, like micro-batches */
	ar_mark(&a, ids, (size_t)nrows / 2);
	ar_mark(&a, ids + nrows / 2, (size_t)(nrows - nrows / 2));
	/* backward's ready prefix: output layer, LSTM layers, embedding */
	ar_ready(&a, 0);
	ar_ready(&a, D / 3);
	ar_ready(&a, D / 3);
	/* fine: more advances than ranges the exchange keeps apart */
	for (int k = D / 3; fine && k < D; k += 7)
		ar_ready(&a, (size_t)k);
	ar_ready(&a, D);
	ar_ready(&a, N);
	CHECK(!ar_finish(&a, &e), "%s", e.msg);

	for (int i = 0; i < N; i++) {
		double tol = P == 2 ? 0.0 : 1e-6 * fabs(ref[i]);

		if (fabs((double)g[i] - ref[i]) > tol && bad++ < 3)
			printf("rank %d: [%d] %.9g, plain allreduce %.9g\n", c->rank, i, g[i], ref[i]);
	}
	for (int r = 0; r < R; r++)
		nonzero += ref[D + r * W] != 0.0f;
	CHECK(!bad, "overlap %d bucket %zu rows %d: %d floats differ from the plain allreduce",
	      overlap, bucket, nrows, bad);
	if (expect_packed)
		CHECK(a.npack == nonzero, "overlap %d rows %d: %d rows packed, union has %d",
		      overlap, nrows, a.npack, nonzero);
	else
		CHECK(a.npack == -1, "overlap %d rows %d: union of %d rows should go dense, packed %d",
		      overlap, nrows, nonzero, a.npack);
	ar_free(&a);
}

int main(int argc, char **argv)
{
	comm_t c;
	err_t e;
	const size_t buckets[] = { 1, 64, 333, (size_t)1 << 20 };

	if (comm_init(&c, &argc, &argv, &e)) {
		printf("comm_init: %s\n", e.msg);
		return 2;
	}
	for (int ov = 0; ov < 2; ov++)
		for (int b = 0; b < 4; b++) {
			one_case(&c, ov, buckets[b], 20, 1 + b, 1, 0);	/* packed */
			one_case(&c, ov, buckets[b], 0, 10 + b, 1, 0);	/* no rows */
			one_case(&c, ov, buckets[b], 2 * R, 20 + b, 0, 0);	/* dense */
			one_case(&c, ov, buckets[b], 20, 30 + b, 1, 1);	/* many ranges */
		}
	int rc = check_done(c.rank == 0 ? "test_allreduce_mpi" : "test_allreduce_mpi (rank)");
	comm_free(&c);
	return rc;
}
