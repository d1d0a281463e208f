/*
 * window.h - the windows an epoch of truncated BPTT is cut into: each
 * stream's tokens from offset pos, len steps at a time.
 *
 * Fixed (the default): len = bptt, windows at pos = 0, bptt, 2 bptt, ...
 * while a whole window fits (ds.h: floor((Ls - 1) / bptt) of them).
 *
 * Variable (--bptt-var on, AWD-LSTM's main.py): the window at pos is
 *   base = bptt with probability 0.95, else bptt / 2
 *   len  = max(5, int(base + 5 z)), z ~ N(0, 1)
 * cut to at most bptt + 30 (six standard deviations: the activations are
 * sized for it) and to what is left of the stream; the epoch ends when no
 * token is left to predict.  The draw is a function of (seed, epoch, pos)
 * alone, so every rank cuts the same windows, P ranks read what 1 rank
 * reads, and a run resumed at a token offset cuts what it would have cut.
 * The step's learning rate is scaled by len / bptt (as main.py does), and
 * its loss is the mean over its own len steps.
 */
#ifndef ENGRAM_WINDOW_H
#define ENGRAM_WINDOW_H

#include <stdint.h>

#define WIN_VAR_SIGMA 5
#define WIN_VAR_MIN 5
/* bptt under this is refused with --bptt-var: bptt / 2 would be near the
 * minimum, and the draw mostly the minimum */
#define WIN_VAR_MIN_BPTT 10

typedef struct {
	int var;		/* variable lengths */
	int bptt;
	uint64_t seed;
	int64_t stream_len;	/* Ls: tokens per stream */
} win_cfg_t;

/* The longest window: bptt, or bptt + 6 sigma when variable. */
int win_max(const win_cfg_t *c);

/* The length of the window at token offset pos of an epoch's streams; 0
 * when the epoch has no window left there. */
int win_len(const win_cfg_t *c, int epoch, int64_t pos);

/* How many windows the epoch has. */
int64_t win_count(const win_cfg_t *c, int epoch);

#endif
