/* evaluate.c - distributed perplexity of a split. */
#include "trainer/evaluate.h"

#include <math.h>
#include <stdlib.h>

int evaluate_split(model_t *m, ds_t *ds, int split, int batch, int bptt,
		   comm_t *c, eval_result_t *r, err_t *e)
{
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
	if (!w || !tok)
		goto out;
	for (int64_t i = 0; i < l.windows; i++) {
		if (ds_read_window(ds, &l, i, tok, e))
			goto out;
		sums[0] += model_forward_eval(m, w, &s, tok);
		sums[1] += (double)batch * bptt;
	}
	if (comm_allreduce_sum_f64(c, sums, 2, e))
		goto out;
	r->loss = sums[0] / sums[1];
	r->ppl = exp(r->loss);
	r->tokens = (int64_t)sums[1];
	rc = 0;
out:
	free(tok);
	model_work_free(w);
	model_state_free(&s);
	return rc;
}
