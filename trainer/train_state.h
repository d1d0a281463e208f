/*
 * train_state.h - the resumable training state, in one table.
 *
 * Every scalar a checkpoint's /train group carries as an attribute is one
 * row of ts_fields: its attribute name, its type and where it lives in
 * trainer_t.  The checkpoint writer, the reader, the restore on resume and
 * `ckpt info` all walk the table, and tests/test_state.c holds
 * io/FORMATS.md's /train list to it, so adding a field is adding a row
 * (and its TS_ index) and nothing else can forget it.
 *
 * Rows with restore 0 are the layout the checkpoint was taken with: they
 * are compared with this run's layout on resume, not copied into it.
 * Rows with optional 1 may be absent from files older than the row (they
 * read as dflt).
 */
#ifndef ENGRAM_TRAIN_STATE_H
#define ENGRAM_TRAIN_STATE_H

#include <stddef.h>
#include <stdint.h>

#include <hdf5.h>

#include "io/err.h"
#include "trainer/trainer.h"

typedef enum { TS_INT, TS_I64, TS_F64 } ts_type_t;

enum {
	TS_EPOCH, TS_WINDOW, TS_POS, TS_STEP, TS_TOKENS, TS_SKIPPED, TS_VAL_LOSS, TS_BEST_VAL,
	TS_LAST_GNORM, TS_LOG_LOSS_SUM, TS_LOG_TOK_SUM, TS_LOG_STEPS, TS_SCHED_LR,
	TS_SCHED_BEST_VAL, TS_SCHED_BAD_EPOCHS, TS_SCHED_EPOCH, TS_OPTIM_T, TS_LR_SCALE,
	TS_ROLLBACKS, TS_ASGD_ON, TS_ASGD_N, TS_VAL_COUNT, TS_LOG_REG_SUM, TS_NRANKS, TS_BATCH, TS_BPTT, TS_ACCUM, TS_STREAM_LEN, TS_WINDOWS,
	TS_N
};

typedef struct {
	const char *name;	/* the /train attribute */
	ts_type_t type;		/* of the trainer_t member */
	size_t off;		/* offsetof(trainer_t, member) */
	int restore;		/* 1: set on resume; 0: the layout, compared */
	int optional;		/* may be absent (older files): reads as dflt */
	double dflt;
} ts_field_t;

/* A value of the table's row, as read from a file. */
typedef union {
	int64_t i;
	double f;
} ts_val_t;

extern const ts_field_t ts_fields[TS_N];

/* Writes every row of tr as an attribute of g. */
int ts_put(hid_t g, const trainer_t *tr, err_t *e);
/* Reads every row from g (of file path) into v. */
int ts_get(hid_t g, const char *path, ts_val_t v[TS_N], err_t *e);
/* Copies the rows with restore 1 from v into tr. */
void ts_restore(trainer_t *tr, const ts_val_t v[TS_N]);

#endif
