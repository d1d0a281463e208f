/* cmds.h - engram's subcommands; each returns the process exit status. */
#ifndef ENGRAM_CMDS_H
#define ENGRAM_CMDS_H

int cmd_prepare(int argc, char **argv);
int cmd_data(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_sample(int argc, char **argv);
int cmd_score(int argc, char **argv);
int cmd_ckpt(int argc, char **argv);

#endif
