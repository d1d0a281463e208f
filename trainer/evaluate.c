/* evaluate.c - distributed perplexity of a split. */
#include "trainer/evaluate.h"
#include "comm/clock.h"

#include <math.h>
#include <stdlib.h>

/* Adds the window's tokens to their bands: row t*B + b predicts
 * tok[b*(T+1) + t + 1]. */
static void add_bands(model_t *m, model_work_t *w, const int32_t *tok, int T, int B,
		      float *lp, eval_bands_t *bd)
{
	for (int row = 0; row < T * B; row++) {
		int32_t y = tok[(row % B) * (T + 1) + row / B + 1];
		int k = 0;

		model_log_probs(m, w, row, lp);
		while (k < bd->ncut && y >= bd->cut[k])
			k++;
		bd->loss[k] -= (double)lp[y];
		bd->tokens[k] += 1.0;
	}
}

/* 1 when stop() said yes on any rank, 0 when on none, -1 on error */
static int stop_agreed(comm_t *c, int (*stop)(void), err_t *e)
{
	int64_t any = stop() ? 1 : 0;

	if (comm_allreduce_max_i64(c, &any, 1, e))
		return -1;
	return any ? 1 : 0;
}

int evaluate_split(model_t *m, ds_t *ds, int split, int batch, int bptt,
		   comm_t *c, eval_bands_t *bands, int (*stop)(void),
		   eval_result_t *r, err_t *e)
{
	float *lp = NULL;
	ds_layout_t l;
	model_state_t s;
	model_work_t *w;
	int32_t *tok;
	double sums[2] = { 0.0, 0.0 };	/* loss sum, tokens */
	int rc = -1;

	if (ds_layout(ds, split, c->rank, c->size, batch, bptt, &l, e))
		return -1;
	if (model_state_init(&s, &m->cfg, batch, e))
		return -1;
	w = model_work_new(&m->cfg, bptt, batch, e);
	tok = err_malloc((size_t)batch * (bptt + 1) * sizeof(*tok), "eval window", e);
	if (bands) {
		for (int k = 0; k <= bands->ncut; k++)
			bands->loss[k] = bands->tokens[k] = 0.0;
		lp = err_malloc((size_t)m->cfg.vocab * sizeof(*lp), "log-probabilities", e);
	}
	if (!w || !tok || (bands && !lp))
		goto out;
	for (int64_t i = 0; i < l.windows; i++) {
		int stopped = stop ? stop_agreed(c, stop, e) : 0;

		if (stopped) {
			rc = stopped < 0 ? -1 : EVAL_STOPPED;
			goto out;
		}
		double t0 = clock_now();

		if (ds_read_window(ds, &l, i, tok, e))
			goto out;
		sums[0] += model_forward_eval(m, w, &s, tok);
		comm_observe(c, clock_now() - t0);
		sums[1] += (double)batch * bptt;
		if (bands)
			add_bands(m, w, tok, bptt, batch, lp, bands);
	}
	if (comm_allreduce_sum_f64(c, sums, 2, e) ||
	    (bands && (comm_allreduce_sum_f64(c, bands->loss, bands->ncut + 1, e) ||
		       comm_allreduce_sum_f64(c, bands->tokens, bands->ncut + 1, e))))
		goto out;
	r->loss = sums[0] / sums[1];
	r->ppl = exp(r->loss);
	r->tokens = (int64_t)sums[1];
	rc = 0;
out:
	free(lp);
	free(tok);
	model_work_free(w);
	model_state_free(&s);
	return rc;
}
