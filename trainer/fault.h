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
 * Production runs never set it; the tests that do say so.
 */
#ifndef ENGRAM_FAULT_H
#define ENGRAM_FAULT_H

/* 1 when fault `name` is requested for `rank` at `step` (step < 0: any). */
int fault_at(const char *name, int rank, long long step);

static inline int fault_active(const char *name, int rank)
{
	return fault_at(name, rank, -1);
}

#endif
