/*
 * signals.h - what a training run does when the cluster wants it to stop.
 *
 * SIGTERM, SIGUSR1 and SIGINT (what Slurm and a user send before a
 * preemption, a time limit or at the terminal) ask the run to finish its
 * current step, write a checkpoint and exit with TRAIN_EXIT_PREEMPTED, so
 * that a restart wrapper knows to continue it.  A second SIGTERM, SIGINT or
 * SIGUSR2 ends the process at once: with exit 75 when the stop's
 * checkpoint is already on disk, else 128 + the signal.  mpirun forwards
 * SIGUSR1 and SIGUSR2 to the ranks and answers SIGTERM and SIGINT by
 * killing the job, so scripts/run-local.sh turns a first SIGTERM or SIGINT
 * into SIGUSR1 and a second into SIGUSR2.  Installed first thing at start,
 * so a signal during start-up is a stop request too (with rank -1 until
 * MPI has given the rank, named as rank 0 in the message).
 */
#ifndef ENGRAM_SIGNALS_H
#define ENGRAM_SIGNALS_H

#define TRAIN_EXIT_PREEMPTED 75	/* EX_TEMPFAIL: try again later */

void signals_install(int rank);
/* The stop's checkpoint is on disk: a second signal now exits 75. */
void signals_saved(void);
/* The step being computed, for the message a signal prints. */
void signals_step(long long step);
/* The signal that asked for a stop, or 0. */
int signals_stop_requested(void);

#endif
