/* weights.c - the model's tensor table mapped onto checkpoint files. */
#include "trainer/weights.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int weights_save(const char *path, const model_t *m, ckpt_meta_t *meta,
		 const vocab_t *vocab, err_t *e)
{
	ckpt_tensor_t t[MODEL_MAX_TENSORS];

	meta->vocab = m->cfg.vocab;
	meta->embed = m->cfg.embed;
	meta->hidden = m->cfg.hidden;
	meta->layers = m->cfg.layers;
	meta->tie = m->cfg.tie;
	for (int i = 0; i < m->ntensors; i++)
		t[i] = (ckpt_tensor_t){ m->tensor[i].name, m->tensor[i].rows,
					m->tensor[i].cols,
					m->params + m->tensor[i].off };
	return ckpt_write(path, meta, t, m->ntensors, vocab, e);
}

int weights_load(const char *path, model_t *m, ckpt_meta_t *meta,
		 vocab_t *vocab, err_t *e)
{
	char file[4600];
	struct stat st;
	model_cfg_t cfg;
	ckpt_t c;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		if (ckpt_find_latest(path, file, sizeof(file), e))
			return -1;
	} else {
		snprintf(file, sizeof(file), "%s", path);
	}
	if (ckpt_open(&c, file, e))
		return -1;
	*meta = c.meta;
	cfg = (model_cfg_t){ .vocab = (int)meta->vocab, .embed = (int)meta->embed,
			     .hidden = (int)meta->hidden, .layers = (int)meta->layers,
			     .tie = (int)meta->tie };
	if (model_cfg_check(&cfg, e) || model_init(m, &cfg, e)) {
		err_prefix(e, "%s", file);
		ckpt_close(&c);
		return -1;
	}
	for (int i = 0; i < m->ntensors; i++) {
		const model_tensor_t *t = &m->tensor[i];

		if (ckpt_read_tensor(&c, t->name, t->rows, t->cols, m->params + t->off, e))
			goto fail;
	}
	if (vocab && H5Lexists(c.file, "vocab", H5P_DEFAULT) > 0 &&
	    ckpt_read_vocab(&c, vocab, e))
		goto fail;
	ckpt_close(&c);
	return 0;
fail:
	model_free(m);
	ckpt_close(&c);
	return -1;
}
