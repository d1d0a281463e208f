/*
 * weights.h - a model's parameters to and from a checkpoint file
 * (io/ckpt.h): the tensor table of model.h by name in group "params", the
 * model's shape and the vocabulary, so that eval and sample need no data set.
 */
#ifndef ENGRAM_WEIGHTS_H
#define ENGRAM_WEIGHTS_H

#include "io/ckpt.h"
#include "io/vocab.h"
#include "trainer/nn/model.h"

/* Fills meta's model-shape fields from m. */
void weights_meta(const model_t *m, ckpt_meta_t *meta);
/* The model configuration (dropout 0) that meta's shape fields describe;
 * model_cfg_check says whether it is valid. */
void weights_cfg(const ckpt_meta_t *meta, model_cfg_t *cfg);

/* Writes buf (m->n floats in the model's layout) as tensors of group. */
int weights_put(ckpt_writer_t *w, const model_t *m, const char *group,
		const float *buf, err_t *e);
/* Reads group into buf (m->n floats), every tensor checked. */
int weights_get(ckpt_t *c, const model_t *m, const char *group, float *buf,
		err_t *e);

/* The file path names: a run directory means its newest checkpoint
 * (ckpt_find_latest), anything else itself.  Every command that takes a
 * checkpoint resolves it here. */
int weights_resolve(const char *path, char *out, size_t n, err_t *e);

/* A weights-only file: config, vocabulary (may be NULL), parameters. */
int weights_save(const char *path, const model_t *m, ckpt_meta_t *meta,
		 const vocab_t *vocab, err_t *e);

/*
 * Opens path, a checkpoint file or a run directory (its newest checkpoint),
 * into c, checks that the file really holds every tensor of the shape it
 * declares, then initialises m (dropout 0) and reads the parameters.
 * The caller closes c (it may read more from it) and frees m.
 */
int weights_open(const char *path, ckpt_t *c, model_t *m, err_t *e);

/* weights_open, plus the vocabulary into vocab (may be NULL; left empty
 * when the file has none), then closes the file.  The parameters are the
 * model the run evaluated: NT-ASGD's average (group optim/ax) where the
 * checkpoint has one, else params. */
int weights_load(const char *path, model_t *m, ckpt_meta_t *meta,
		 vocab_t *vocab, err_t *e);

#endif
