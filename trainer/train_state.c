/* train_state.c - the resumable state's table, and its walks (train_state.h). */
#include "trainer/train_state.h"

#include "io/h5.h"

#define ROW(idx, nm, ty, member, rs) [idx] = { nm, ty, offsetof(trainer_t, member), rs, 0, 0 }
#define OPT(idx, nm, ty, member, d) [idx] = { nm, ty, offsetof(trainer_t, member), 1, 1, d }

const ts_field_t ts_fields[TS_N] = {
	ROW(TS_EPOCH, "epoch", TS_INT, epoch, 1),
	ROW(TS_WINDOW, "window", TS_I64, window, 1),	/* the next window of that epoch */
	/* its token offset in each stream; absent before --bptt-var: window * bptt */
	OPT(TS_POS, "pos", TS_I64, pos, -1),
	ROW(TS_STEP, "step", TS_I64, step, 1),
	ROW(TS_TOKENS, "tokens", TS_I64, tokens, 1),
	ROW(TS_SKIPPED, "skipped", TS_I64, skipped, 1),
	ROW(TS_VAL_LOSS, "val_loss", TS_F64, val_loss, 1),
	ROW(TS_BEST_VAL, "best_val", TS_F64, best_val, 1),
	ROW(TS_LAST_GNORM, "last_gnorm", TS_F64, last_gnorm, 1),
	/* the open log window, so a resumed run logs the same losses */
	ROW(TS_LOG_LOSS_SUM, "log_loss_sum", TS_F64, lw.loss_sum, 1),
	ROW(TS_LOG_TOK_SUM, "log_tok_sum", TS_F64, lw.tok_sum, 1),
	ROW(TS_LOG_STEPS, "log_steps", TS_I64, lw.steps, 1),
	ROW(TS_SCHED_LR, "sched_lr", TS_F64, sched.lr, 1),
	ROW(TS_SCHED_BEST_VAL, "sched_best_val", TS_F64, sched.best_val, 1),
	ROW(TS_SCHED_BAD_EPOCHS, "sched_bad_epochs", TS_INT, sched.bad_epochs, 1),
	ROW(TS_SCHED_EPOCH, "sched_epoch", TS_INT, sched.epoch, 1),
	ROW(TS_OPTIM_T, "optim_t", TS_I64, opt.t, 1),
	/* since format 3's rollbacks; absent before them */
	OPT(TS_LR_SCALE, "lr_scale", TS_F64, lr_scale, 1.0),
	OPT(TS_ROLLBACKS, "rollbacks", TS_I64, rollbacks, 0),
	/* since --optimizer ntasgd: averaging, steps averaged, validations kept */
	OPT(TS_ASGD_ON, "asgd_on", TS_INT, opt.averaging, 0),
	OPT(TS_ASGD_N, "asgd_n", TS_I64, opt.avg_n, 0),
	OPT(TS_VAL_COUNT, "val_count", TS_I64, n_val, 0),
	/* since --ar and --tar */
	OPT(TS_LOG_REG_SUM, "log_reg_sum", TS_F64, lw.reg_sum, 0.0),
	/* the layout the checkpoint was taken with */
	ROW(TS_NRANKS, "nranks", TS_INT, nranks, 0),
	ROW(TS_BATCH, "batch", TS_INT, cfg.batch, 0),
	ROW(TS_BPTT, "bptt", TS_INT, cfg.bptt, 0),
	ROW(TS_ACCUM, "accum", TS_INT, cfg.accum, 0),
	ROW(TS_STREAM_LEN, "stream_len", TS_I64, lay.stream_len, 0),
	ROW(TS_WINDOWS, "windows", TS_I64, lay.windows, 0),
};

int ts_put(hid_t g, const trainer_t *tr, err_t *e)
{
	const char *base = (const char *)tr;

	for (int k = 0; k < TS_N; k++) {
		const ts_field_t *f = &ts_fields[k];
		const char *p = base + f->off;
		int rc;

		if (f->type == TS_F64)
			rc = h5_attr_put_f64(g, f->name, *(const double *)p, e);
		else if (f->type == TS_I64)
			rc = h5_attr_put_i64(g, f->name, *(const int64_t *)p, e);
		else
			rc = h5_attr_put_i64(g, f->name, *(const int *)p, e);
		if (rc)
			return -1;
	}
	return 0;
}

int ts_get(hid_t g, const char *path, ts_val_t v[TS_N], err_t *e)
{
	for (int k = 0; k < TS_N; k++) {
		const ts_field_t *f = &ts_fields[k];
		int rc;

		if (f->optional && !h5_attr_exists(g, f->name)) {
			if (f->type == TS_F64)
				v[k].f = f->dflt;
			else
				v[k].i = (int64_t)f->dflt;
			continue;
		}
		if (f->type == TS_F64)
			rc = h5_attr_get_f64(g, path, f->name, &v[k].f, e);
		else
			rc = h5_attr_get_i64(g, path, f->name, &v[k].i, e);
		if (rc)
			return -1;
		if (f->type == TS_INT && (v[k].i < INT32_MIN || v[k].i > INT32_MAX))
			return err_set(e, "%s: /train attribute '%s' is %lld (expected a 32-bit "
				       "integer)", path, f->name, (long long)v[k].i);
	}
	return 0;
}

void ts_restore(trainer_t *tr, const ts_val_t v[TS_N])
{
	char *base = (char *)tr;

	for (int k = 0; k < TS_N; k++) {
		const ts_field_t *f = &ts_fields[k];
		char *p = base + f->off;

		if (!f->restore)
			continue;
		if (f->type == TS_F64)
			*(double *)p = v[k].f;
		else if (f->type == TS_I64)
			*(int64_t *)p = v[k].i;
		else
			*(int *)p = (int)v[k].i;
	}
}
