/*
 * fault.h - fault injection for engram's own tests.
 *
 * ENGRAM_FAULT holds a comma-separated list of NAME[:RANK][@STEP] items: a
 * fault without a rank applies to every rank, one without a step to every
 * step.  Steps count from 1 (the step being computed).  Names:
 *   perturb-init  change one parameter after the start-up broadcast, so
 *                 the replica check must stop the job
 *   kill          the rank sends itself SIGKILL at the step
 *   segv          the rank writes through a null pointer at the step
 *   stall         the rank sends itself SIGSTOP at the step
 *   nan           the rank's loss is NaN at the step
 *   nan-grad      the rank's first gradient is NaN at the step
 *   spike         the rank's loss is multiplied by 50 at the step
 *   slow-ckpt     rank 0's checkpoint write of that step takes 3 s more
 * The list is parsed once, at start (fault_parse); an item that is not of
 * this form is a usage error, not a fault silently not injected.
 * Production runs never set it; the tests that do say so.
 */
#ifndef ENGRAM_FAULT_H
#define ENGRAM_FAULT_H

#include "io/err.h"

enum {
	FAULT_PERTURB_INIT, FAULT_KILL, FAULT_SEGV, FAULT_STALL, FAULT_NAN,
	FAULT_NAN_GRAD, FAULT_SPIKE, FAULT_SLOW_CKPT, FAULT_KINDS
};

#define FAULT_MAX 16

typedef struct {
	int n;
	struct {
		int kind;	/* FAULT_* */
		int rank;	/* -1: every rank */
		long long step;	/* -1: every step */
	} item[FAULT_MAX];
} fault_t;

/* spec is ENGRAM_FAULT's value (NULL or empty: no faults). */
int fault_parse(fault_t *f, const char *spec, err_t *e);

/* 1 when fault kind is requested for rank at step; step < 0 asks for the
 * faults that name no step. */
int fault_at(const fault_t *f, int kind, int rank, long long step);

static inline int fault_active(const fault_t *f, int kind, int rank)
{
	return fault_at(f, kind, rank, -1);
}

#endif
