/*
 * signals.h - what a training run does when the cluster wants it to stop.
 *
 * SIGTERM, SIGUSR1 and SIGINT (what Slurm and a user send before a
 * preemption, a time limit or at the terminal) ask the run to finish its
 * current step, write a checkpoint and exit with TRAIN_EXIT_PREEMPTED, so
 * that a restart wrapper knows to continue it.  A second SIGTERM or SIGINT
 * ends the process at once.  mpirun forwards SIGUSR1 to the ranks; on
 * SIGTERM it waits odls_base_sigkill_timeout seconds before SIGKILL
 * (scripts/run-local.sh sets 120).
 */
#ifndef ENGRAM_SIGNALS_H
#define ENGRAM_SIGNALS_H

#define TRAIN_EXIT_PREEMPTED 75	/* EX_TEMPFAIL: try again later */

void signals_install(int rank);
/* The step being computed, for the message a signal prints. */
void signals_step(long long step);
/* The signal that asked for a stop, or 0. */
int signals_stop_requested(void);

#endif
