/*
 * test_ds_mpi.c - under mpiexec -n P: rank 0 prepares a data set, every
 * rank opens it read-only at once and reads its shard window by window;
 * the shards are disjoint, cover the same windows on every rank, and
 * together equal what one rank with batch B*P reads.
 */
#include <mpi.h>
#include <stdint.h>
#include <string.h>

#include "io/ds.h"
#include "io/prepare.h"
#include "tests/check.h"

enum { N = 5000, B = 3, T = 7 };

int main(int argc, char **argv)
{
	char path[512] = { 0 };
	int rank, P;
	err_t e;

	MPI_Init(&argc, &argv);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &P);
	if (rank == 0) {
		const char *dir = check_tmpdir();
		static char text[N];
		prepare_cfg_t cfg = { .nin = 1, .frac = { 0.9, 0.05, 0.05 },
				      .kind = TOK_BYTE, .force = 1 };
		prepare_stats_t st;
		char txt[512];

		/* ids are a function of position: 0..250 repeating */
		for (int i = 0; i < N; i++)
			text[i] = (char)(i % 251);
		snprintf(txt, sizeof(txt), "%s/pos.txt", dir);
		snprintf(path, sizeof(path), "%s/pos.h5", dir);
		check_write_file(txt, text, N);
		cfg.in[0] = txt;
		cfg.out = path;
		CHECK(prepare_run(&cfg, &st, &e) == 0, "%s", e.msg);
	}
	MPI_Bcast(path, sizeof(path), MPI_CHAR, 0, MPI_COMM_WORLD);

	ds_t ds;
	ds_layout_t l;
	CHECK(ds_open(&ds, path, &e) == 0, "rank %d: %s", rank, e.msg);
	CHECK(ds_layout(&ds, SPLIT_TRAIN, rank, P, B, T, &l, &e) == 0, "%s", e.msg);

	/* every rank runs the same number of windows */
	long long w_min, w_max, mine = l.windows;
	MPI_Allreduce(&mine, &w_min, 1, MPI_LONG_LONG, MPI_MIN, MPI_COMM_WORLD);
	MPI_Allreduce(&mine, &w_max, 1, MPI_LONG_LONG, MPI_MAX, MPI_COMM_WORLD);
	CHECK(w_min == w_max && w_min > 0, "windows %lld .. %lld", w_min, w_max);

	/* gather each rank's windows; rank 0 compares with batch B*P alone */
	size_t per = (size_t)l.windows * B * (T + 1);
	int32_t *mine_tok = calloc(per, sizeof(int32_t));
	int32_t *all = rank == 0 ? calloc(per * P, sizeof(int32_t)) : NULL;
	int64_t cover_lo = (int64_t)rank * B * l.stream_len;
	int ok = 1;

	for (int64_t w = 0; w < l.windows; w++) {
		int32_t *tok = mine_tok + (size_t)w * B * (T + 1);

		CHECK(ds_read_window(&ds, &l, w, tok, &e) == 0, "%s", e.msg);
		for (int b = 0; b < B; b++)
			for (int t = 0; t <= T; t++) {
				int64_t pos = cover_lo + b * l.stream_len + w * T + t;

				ok &= tok[b * (T + 1) + t] == (int32_t)(pos % 251);
			}
	}
	CHECK(ok, "rank %d reads its own contiguous streams", rank);
	MPI_Gather(mine_tok, (int)per, MPI_INT32_T, all, (int)per, MPI_INT32_T, 0,
		   MPI_COMM_WORLD);
	if (rank == 0) {
		ds_layout_t one;
		int32_t *tok = calloc((size_t)B * P * (T + 1), sizeof(int32_t));
		int same = 1;

		CHECK(ds_layout(&ds, SPLIT_TRAIN, 0, 1, B * P, T, &one, &e) == 0, "%s", e.msg);
		CHECK(one.windows == l.windows, "same windows: %lld vs %lld",
		      (long long)one.windows, (long long)l.windows);
		for (int64_t w = 0; w < one.windows && same; w++) {
			ds_read_window(&ds, &one, w, tok, &e);
			for (int r = 0; r < P; r++)
				same &= !memcmp(tok + (size_t)r * B * (T + 1),
						all + (size_t)r * per + (size_t)w * B * (T + 1),
						(size_t)B * (T + 1) * sizeof(int32_t));
		}
		CHECK(same, "%d ranks x batch %d == 1 rank x batch %d", P, B, B * P);
		free(tok);
	}
	free(all);
	free(mine_tok);
	ds_close(&ds);

	int failed = check_failed, any;
	MPI_Allreduce(&failed, &any, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
	if (rank == 0)
		printf("test_ds_mpi (%d ranks): ", P);
	int rc = check_done(rank == 0 ? "rank 0" : "other rank");
	MPI_Finalize();
	return any ? 1 : rc;
}
