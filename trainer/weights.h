/*
 * weights.h - a model's parameters to and from a checkpoint file
 * (io/ckpt.h): the tensor table of model.h by name, the model's shape and
 * the vocabulary, so that eval and sample need no data set.
 */
#ifndef ENGRAM_WEIGHTS_H
#define ENGRAM_WEIGHTS_H

#include "io/ckpt.h"
#include "io/vocab.h"
#include "trainer/model.h"

/* meta's model-shape fields are filled from m; the rest is the caller's. */
int weights_save(const char *path, const model_t *m, ckpt_meta_t *meta,
		 const vocab_t *vocab, err_t *e);

/*
 * path is a checkpoint file, or a run directory (its newest checkpoint).
 * Initialises m with the stored shape (dropout 0) and reads every tensor;
 * meta gets the stored meta data; vocab (may be NULL) the vocabulary when
 * the file has one (vocab->n stays 0 otherwise).
 */
int weights_load(const char *path, model_t *m, ckpt_meta_t *meta,
		 vocab_t *vocab, err_t *e);

#endif
