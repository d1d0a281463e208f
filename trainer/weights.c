/* weights.c - the model's tensor table mapped onto checkpoint files. */
#include "trainer/weights.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

void weights_meta(const model_t *m, ckpt_meta_t *meta)
{
	meta->vocab = m->cfg.vocab;
	meta->embed = m->cfg.embed;
	meta->hidden = m->cfg.hidden;
	meta->layers = m->cfg.layers;
	meta->top_hidden = m->cfg.top_hidden;
	meta->tie = m->cfg.tie;
	snprintf(meta->softmax, sizeof(meta->softmax), "%s",
		 m->cfg.softmax == MODEL_SOFTMAX_ADAPTIVE ? "adaptive" : "full");
	meta->ncutoffs = m->cfg.softmax == MODEL_SOFTMAX_ADAPTIVE ? m->cfg.nclusters : 0;
	for (int k = 0; k < meta->ncutoffs; k++)
		meta->cutoffs[k] = m->cfg.cutoffs[k];
	meta->div_value = m->cfg.div_value;
	meta->head_bias = m->cfg.head_bias;
}

_Static_assert(CKPT_MAX_CUTOFFS == MODEL_MAX_CLUSTERS,
	       "a checkpoint holds every cutoff a model can have");

void weights_cfg(const ckpt_meta_t *meta, model_cfg_t *cfg)
{
	*cfg = (model_cfg_t){ .vocab = (int)meta->vocab, .embed = (int)meta->embed,
			      .hidden = (int)meta->hidden, .layers = (int)meta->layers,
			      .tie = (int)meta->tie, .top_hidden = (int)meta->top_hidden };
	if (strcmp(meta->softmax, "adaptive"))
		return;
	cfg->softmax = MODEL_SOFTMAX_ADAPTIVE;
	cfg->nclusters = (int)meta->ncutoffs;
	for (int k = 0; k < cfg->nclusters && k < MODEL_MAX_CLUSTERS; k++)
		cfg->cutoffs[k] = (int)meta->cutoffs[k];
	cfg->div_value = meta->div_value;
	cfg->head_bias = (int)meta->head_bias;
}

int weights_put(ckpt_writer_t *w, const model_t *m, const char *group,
		const float *buf, err_t *e)
{
	for (int i = 0; i < m->ntensors; i++) {
		const model_tensor_t *t = &m->tensor[i];
		ckpt_tensor_t ct = { t->name, t->rows, t->cols, buf + t->off };

		if (ckpt_put_tensor(w, group, &ct, e))
			return -1;
	}
	return 0;
}

int weights_get(ckpt_t *c, const model_t *m, const char *group, float *buf,
		err_t *e)
{
	for (int i = 0; i < m->ntensors; i++) {
		const model_tensor_t *t = &m->tensor[i];

		if (ckpt_read_tensor(c, group, t->name, t->rows, t->cols, buf + t->off, e))
			return -1;
	}
	return 0;
}

int weights_save(const char *path, const model_t *m, ckpt_meta_t *meta,
		 const vocab_t *vocab, err_t *e)
{
	ckpt_writer_t w;

	weights_meta(m, meta);
	/* parameters and config only: whatever the source was, this is not
	 * a training state */
	snprintf(meta->kind, sizeof(meta->kind), "weights");
	if (ckpt_create(&w, path, e))
		return -1;
	if (weights_put(&w, m, "params", m->params, e) ||
	    (vocab && ckpt_put_vocab(&w, vocab, e)) || ckpt_put_meta(&w, meta, e)) {
		ckpt_abandon(&w);
		return -1;
	}
	return ckpt_commit(&w, e);
}

int weights_resolve(const char *path, char *out, size_t n, err_t *e)
{
	struct stat st;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return ckpt_find_latest(path, out, n, e);
	if (snprintf(out, n, "%s", path) >= (int)n)
		return err_set(e, "%.200s...: path longer than %zu bytes", path, n - 1);
	return 0;
}

int weights_open(const char *path, ckpt_t *c, model_t *m, err_t *e)
{
	char file[4600];
	model_cfg_t cfg;

	if (weights_resolve(path, file, sizeof(file), e) || ckpt_open(c, file, e))
		return -1;
	weights_cfg(&c->meta, &cfg);
	/* The shapes a file declares are believed only once its datasets
	 * back them: nothing is allocated for a forged header. */
	if (model_layout(m, &cfg, e)) {
		err_prefix(e, "%s", file);
		goto fail;
	}
	for (int i = 0; i < m->ntensors; i++)
		if (ckpt_check_tensor(c, "params", m->tensor[i].name, m->tensor[i].rows,
				      m->tensor[i].cols, e))
			goto fail;
	if (model_init(m, &cfg, e)) {
		err_prefix(e, "%s", file);
		goto fail;
	}
	if (weights_get(c, m, "params", m->params, e)) {
		model_free(m);
		goto fail;
	}
	return 0;
fail:
	ckpt_close(c);
	return -1;
}

int weights_load(const char *path, model_t *m, ckpt_meta_t *meta,
		 vocab_t *vocab, err_t *e)
{
	ckpt_t c;

	if (weights_open(path, &c, m, e))
		return -1;
	/* NT-ASGD's average is what the run evaluated and keeps as its model */
	if (ckpt_has(&c, "optim/ax", m->tensor[0].name) &&
	    weights_get(&c, m, "optim/ax", m->params, e)) {
		model_free(m);
		ckpt_close(&c);
		return -1;
	}
	*meta = c.meta;
	if (vocab && H5Lexists(c.file, "vocab", H5P_DEFAULT) > 0 &&
	    ckpt_read_vocab(&c, vocab, e)) {
		model_free(m);
		ckpt_close(&c);
		return -1;
	}
	ckpt_close(&c);
	return 0;
}
