/*
 * test_window.c - the windows an epoch is cut into (trainer/window.h):
 * fixed windows are ds.h's; variable ones follow AWD-LSTM's law, cover
 * every stream's tokens exactly once, and are a function of (seed, epoch,
 * offset) alone.
 */
#include <math.h>
#include <stdio.h>

#include "tests/check.h"
#include "trainer/window.h"

static void test_fixed(void)
{
	win_cfg_t c = { 0, 35, 1, 1000 };
	int ok = 1;

	for (int64_t w = 0; w < 28; w++)
		ok &= win_len(&c, 1, w * 35) == 35;
	CHECK(ok && win_len(&c, 1, 28 * 35) == 0, "fixed windows: 28 of 35 in 1000 tokens");
	CHECK(win_count(&c, 3) == (1000 - 1) / 35, "fixed count %lld", (long long)win_count(&c, 3));
	CHECK(win_max(&c) == 35, "fixed max %d", win_max(&c));
}

static void test_variable(void)
{
	win_cfg_t c = { 1, 70, 141, 2000001 };
	int64_t pos = 0, n = 0, half = 0, bad = 0, same = 1;
	double sum = 0.0, sum2 = 0.0, nfull = 0.0;
	int len;

	while ((len = win_len(&c, 1, pos)) > 0) {
		/* the last may be shorter: it ends at the stream's end */
		bad += (len < WIN_VAR_MIN && pos + len < c.stream_len - 1) || len > win_max(&c);
		same &= win_len(&c, 1, pos) == len;
		if (len <= 52) {	/* 35 + 3.4 sigma: a half window */
			half++;
		} else if (pos + len < c.stream_len - 1) {
			sum += len;
			sum2 += (double)len * len;
			nfull++;
		}
		pos += len;
		n++;
	}
	double mean = sum / nfull, sd = sqrt(sum2 / nfull - mean * mean);

	CHECK(pos == c.stream_len - 1, "the windows cover %lld of %lld targets", (long long)pos,
	      (long long)c.stream_len - 1);
	CHECK(!bad, "%lld windows outside [%d, %d]", (long long)bad, WIN_VAR_MIN, win_max(&c));
	CHECK(same, "the same offset gave two lengths");
	CHECK(n == win_count(&c, 1), "count %lld, walked %lld", (long long)win_count(&c, 1),
	      (long long)n);
	/* 28,000-odd windows: 5% +- 0.4% (3 sigma) are half windows; the full
	 * ones have mean 69.5 (int() truncates) and deviation near 5 */
	CHECK(fabs((double)half / n - 0.05) < 0.004, "half windows %.4f of %lld", (double)half / n,
	      (long long)n);
	CHECK(fabs(mean - 69.5) < 0.2 && fabs(sd - 5.0) < 0.3, "full windows: mean %.3f sd %.3f",
	      mean, sd);
	printf("  variable: %lld windows, %.2f%% half, full mean %.2f sd %.2f\n", (long long)n,
	       100.0 * half / n, mean, sd);

	win_cfg_t d = c;
	int diff_epoch = 0, diff_seed = 0;

	d.seed = 142;
	for (int64_t p = 0; p < 100 * 70; p += 70) {
		diff_epoch |= win_len(&c, 1, p) != win_len(&c, 2, p);
		diff_seed |= win_len(&c, 1, p) != win_len(&d, 1, p);
	}
	CHECK(diff_epoch && diff_seed, "the lengths do not depend on the epoch (%d) or seed (%d)",
	      diff_epoch, diff_seed);
	/* the end of a stream: cut to the targets left */
	CHECK(win_len(&c, 1, c.stream_len - 3) == 2 && win_len(&c, 1, c.stream_len - 1) == 0,
	      "the last windows are cut to what is left");
}

int main(void)
{
	test_fixed();
	test_variable();
	return check_done("test_window");
}
