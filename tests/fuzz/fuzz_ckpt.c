/*
 * fuzz_ckpt.c - the checkpoint reader (io/ckpt.c, trainer/weights.c) on
 * arbitrary files: what `engram ckpt info|verify|diff`, `eval` and `sample`
 * do with a file: open and validate the meta data, verify every dataset,
 * read the vocabulary, compare the stored run configuration, load the
 * weights into a model.
 *
 * Oracles besides the sanitizers: a failure always leaves a message; a
 * loaded model has the shape the file declares; no HDF5 identifier stays
 * open.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io/ckpt.h"
#include "io/vocab.h"
#include "tests/fuzz/fuzz_common.h"
#include "trainer/config.h"
#include "trainer/nn/model.h"
#include "trainer/weights.h"

/* What `engram ckpt info` and `ckpt diff` do with the stored configuration. */
static void run_config(const ckpt_t *c)
{
	static char ref[8192];
	int n = 0;

	if (!ref[0]) {
		train_cfg_t cfg;
		model_cfg_t m = { .vocab = 100, .embed = 200, .hidden = 200, .layers = 2 };

		err_t e;

		FUZZ_CHECK(!train_cfg_default(&cfg, &e));
		cfg.data = "data.h5";
		train_cfg_json_str(&cfg, &m, ref, sizeof(ref));
	}
	train_cfg_json_diff(c->meta.run_config, ref, NULL, fuzz_count_change, &n);
	train_cfg_json_diff(c->meta.run_config, c->meta.run_config, NULL, fuzz_count_change, &n);
	train_cfg_json_diff(ref, c->meta.run_config, "lr seed", fuzz_count_change, &n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path;
	ckpt_t c;
	model_t m;
	err_t e = { "" };
	int count = 0;

	fuzz_h5_begin();
	path = fuzz_write_tmp("ckpt", "h5", data, size);

	/* ckpt info / verify / diff */
	if (ckpt_open(&c, path, &e)) {
		FUZZ_CHECK(e.msg[0]);
		fuzz_h5_end();
		return 0;
	}
	FUZZ_CHECK(c.meta.vocab >= 2 && c.meta.layers >= 1);
	run_config(&c);
	e.msg[0] = '\0';
	if (ckpt_verify_all(&c, &count, &e))
		FUZZ_CHECK(e.msg[0]);
	{
		vocab_t v;

		e.msg[0] = '\0';
		FUZZ_CHECK(vocab_init(&v, &e) == 0);
		/* past libhdf5's global heap bug: fuzz_common.h */
		if (!fuzz_vlen_safe(data, size, c.file, "vocab"))
			;
		else if (ckpt_read_vocab(&c, &v, &e) == 0)
			FUZZ_CHECK((int64_t)v.n == c.meta.vocab);
		else
			FUZZ_CHECK(e.msg[0]);
		vocab_free(&v);
	}
	{
		static const char *const names[] = { "out.W", "out.b", "lstm.0.Wx", "emb" };
		uint64_t raw, stored, chunk_off, chunk_size;

		/* what `engram ckpt info` shows per tensor */
		for (int i = 0; i < 4; i++)
			(void)ckpt_tensor_sizes(&c, "params", names[i], &raw, &stored,
						&chunk_off, &chunk_size);
	}
	ckpt_close(&c);

	/* eval / sample: the weights into a model */
	e.msg[0] = '\0';
	if (weights_open(path, &c, &m, &e)) {
		FUZZ_CHECK(e.msg[0]);
	} else {
		FUZZ_CHECK(m.cfg.vocab == c.meta.vocab && m.cfg.hidden == c.meta.hidden &&
			   m.cfg.embed == c.meta.embed && m.cfg.layers == c.meta.layers);
		model_free(&m);
		ckpt_close(&c);
	}
	fuzz_h5_end();
	return 0;
}
