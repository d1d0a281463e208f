/*
 * fault.h - fault injection for engram's own tests.
 *
 * ENGRAM_FAULT holds a comma-separated list of NAME[:RANK] items; a fault
 * with no rank applies to every rank.  Known names:
 *   perturb-init   change one parameter after the start-up broadcast, so
 *                  the replica check must stop the job
 * Production runs never set it; the tests that do say so.
 */
#ifndef ENGRAM_FAULT_H
#define ENGRAM_FAULT_H

/* 1 when fault `name` is requested for `rank`. */
int fault_active(const char *name, int rank);

#endif
