/* window.c - fixed and variable BPTT windows (window.h). */
#include "trainer/window.h"

#include <math.h>

#include "trainer/nn/rng.h"

/* the draws' own stream of the run's seed: a tag no rank's or layer's
 * small stream number can equal */
#define WIN_STREAM_TAG (0xB77ULL << 52)

int win_max(const win_cfg_t *c)
{
	return c->var ? c->bptt + 6 * WIN_VAR_SIGMA : c->bptt;
}

/* N(0, 1) by Box-Muller from two uniforms in (0, 1]. */
static double gauss(rng_t *r)
{
	double u = 1.0 - rng_double(r), v = rng_double(r);

	return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

static int var_len(const win_cfg_t *c, int epoch, int64_t pos)
{
	double base = c->bptt, x;
	int len, max = win_max(c);
	rng_t r;

	rng_seed(&r, c->seed, WIN_STREAM_TAG ^ ((uint64_t)epoch << 40) ^ (uint64_t)pos);
	if (rng_double(&r) >= 0.95)
		base = c->bptt / 2.0;
	x = trunc(base + WIN_VAR_SIGMA * gauss(&r));	/* Python's int() */
	len = x < WIN_VAR_MIN ? WIN_VAR_MIN : x > max ? max : (int)x;
	return len;
}

int win_len(const win_cfg_t *c, int epoch, int64_t pos)
{
	int64_t left = c->stream_len - 1 - pos;	/* targets after pos */
	int len;

	if (!c->var)
		return left >= c->bptt ? c->bptt : 0;
	if (left < 1)
		return 0;
	len = var_len(c, epoch, pos);
	return len < left ? len : (int)left;
}

int64_t win_count(const win_cfg_t *c, int epoch)
{
	int64_t n = 0, pos = 0;
	int len;

	if (!c->var)
		return c->stream_len > c->bptt ? (c->stream_len - 1) / c->bptt : 0;
	while ((len = win_len(c, epoch, pos)) > 0) {
		pos += len;
		n++;
	}
	return n;
}
