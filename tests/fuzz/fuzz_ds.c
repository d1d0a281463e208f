/*
 * fuzz_ds.c - the token data set reader (io/ds.c) on arbitrary files: open
 * and validate, lay out every split for a few (rank, ranks, batch, bptt),
 * read a bounded number of windows and ids, read the vocabulary.
 *
 * Oracles besides the sanitizers: a failure always leaves a message; every
 * id handed out is below vocab_size; no HDF5 identifier stays open.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io/ds.h"
#include "io/vocab.h"
#include "tests/fuzz/fuzz_common.h"

static const struct {
	int rank, nranks, batch, bptt;
} layouts[] = {
	{ 0, 1, 1, 1 }, { 0, 1, 2, 3 }, { 1, 2, 1, 4 }, { 2, 3, 3, 5 },
	{ 0, 1, 4, 8 },
};

static void check_ids(const ds_t *ds, const int32_t *ids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(ids[i] >= 0 && ids[i] < ds->vocab_size);
}

static void read_windows(ds_t *ds, int split)
{
	for (size_t k = 0; k < sizeof(layouts) / sizeof(layouts[0]); k++) {
		ds_layout_t l;
		err_t e = { "" };
		int32_t tok[4 * 9];
		int64_t ws[4];

		if (ds_layout(ds, split, layouts[k].rank, layouts[k].nranks,
			      layouts[k].batch, layouts[k].bptt, &l, &e)) {
			FUZZ_CHECK(e.msg[0]);
			continue;
		}
		FUZZ_CHECK(l.windows >= 1 && l.stream_len >= 2);
		FUZZ_CHECK(l.dropped >= 0 && l.dropped <= l.ntok);
		/* the first, second, middle and last windows */
		ws[0] = 0, ws[1] = 1, ws[2] = l.windows / 2, ws[3] = l.windows - 1;
		for (int i = 0; i < 4; i++) {
			if (ws[i] >= l.windows)
				continue;
			e.msg[0] = '\0';
			if (ds_read_window(ds, &l, ws[i], tok, &e)) {
				FUZZ_CHECK(e.msg[0]);
				break;
			}
			check_ids(ds, tok, (size_t)l.batch * (l.bptt + 1));
		}
		/* one window past the end is refused */
		e.msg[0] = '\0';
		FUZZ_CHECK(ds_read_window(ds, &l, l.windows, tok, &e) == -1 && e.msg[0]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path;
	ds_t ds;
	err_t e = { "" };

	fuzz_h5_begin();
	path = fuzz_write_tmp("ds", "h5", data, size);
	if (ds_open(&ds, path, &e)) {
		FUZZ_CHECK(e.msg[0]);
		fuzz_h5_end();
		return 0;
	}
	FUZZ_CHECK(ds.vocab_size >= 1);
	for (int s = 0; s < SPLIT_COUNT; s++) {
		int32_t ids[64];
		int64_t n;

		if (ds.dset[s] < 0)
			continue;
		/* the first and the last ids, bounded */
		n = ds.ntok[s] < 64 ? ds.ntok[s] : 64;
		e.msg[0] = '\0';
		if (ds_read(&ds, s, 0, n, ids, &e) == 0)
			check_ids(&ds, ids, (size_t)n);
		else
			FUZZ_CHECK(e.msg[0]);
		e.msg[0] = '\0';
		if (ds_read(&ds, s, ds.ntok[s] - n, n, ids, &e) == 0)
			check_ids(&ds, ids, (size_t)n);
		else
			FUZZ_CHECK(e.msg[0]);
		/* outside the split is refused */
		e.msg[0] = '\0';
		FUZZ_CHECK(ds_read(&ds, s, ds.ntok[s], 1, ids, &e) == -1 && e.msg[0]);
		read_windows(&ds, s);
	}
	{
		vocab_t v;

		e.msg[0] = '\0';
		FUZZ_CHECK(vocab_init(&v, &e) == 0);
		/* past libhdf5's global heap bug: fuzz_common.h */
		if (!fuzz_vlen_safe(data, size, ds.file, "vocab"))
			;
		else if (ds_vocab(&ds, &v, &e) == 0)
			FUZZ_CHECK((int64_t)v.n == ds.vocab_size);
		else
			FUZZ_CHECK(e.msg[0]);
		vocab_free(&v);
	}
	ds_close(&ds);
	fuzz_h5_end();
	return 0;
}
