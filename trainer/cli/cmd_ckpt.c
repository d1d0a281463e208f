/* cmd_ckpt.c - `engram ckpt info|verify|diff|export`: inspect, check and
 * compare weights and checkpoint files. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "io/ckpt.h"
#include "io/json.h"
#include "trainer/cli/cli.h"
#include "trainer/config.h"
#include "trainer/train_state.h"
#include "trainer/cli/cmds.h"
#include "trainer/weights.h"

typedef struct {
	double l2, min, max, mean;
} tstats_t;

static tstats_t stats(const float *x, size_t n)
{
	tstats_t s = { 0.0, n ? x[0] : 0.0, n ? x[0] : 0.0, 0.0 };
	double sum = 0.0;

	for (size_t i = 0; i < n; i++) {
		s.l2 += (double)x[i] * x[i];
		sum += x[i];
		if (x[i] < s.min)
			s.min = x[i];
		if (x[i] > s.max)
			s.max = x[i];
	}
	s.l2 = sqrt(s.l2);
	s.mean = n ? sum / (double)n : 0.0;
	return s;
}

static size_t tsize(const model_tensor_t *t)
{
	return (size_t)t->rows * (size_t)t->cols;
}

/* A full checkpoint's resumable state, row by row of train_state.h's
 * table: a "train" object in j, or lines on stdout.  Weights-only files
 * have none. */
static int print_state(ckpt_t *c, json_t *j, err_t *e)
{
	ts_val_t v[TS_N];
	hid_t g;
	int rc, col = 0;

	if (H5Lexists(c->file, "train", H5P_DEFAULT) <= 0)
		return 0;
	g = H5Gopen2(c->file, "train", H5P_DEFAULT);
	if (g < 0)
		return err_set(e, "%s: cannot open group 'train'", c->path);
	rc = ts_get(g, c->path, v, e);
	H5Gclose(g);
	if (rc)
		return -1;
	if (j)
		json_begin(j, "train");
	else
		printf("  training state (/train):");
	for (int k = 0; k < TS_N; k++) {
		const ts_field_t *f = &ts_fields[k];
		int f64 = f->type == TS_F64;

		if (j && f64)
			json_num(j, f->name, "%.17g", v[k].f);
		else if (j)
			json_int(j, f->name, v[k].i);
		if (j)
			continue;
		/* "name value" pairs, lines of about 70 columns */
		col = !col || col > 64 ? printf("\n    ") - 1 : col + printf(", ");
		col += f64 ? printf("%s %.17g", f->name, v[k].f)
			   : printf("%s %lld", f->name, (long long)v[k].i);
	}
	if (j)
		json_end(j);
	else
		printf("\n");
	return 0;
}

static int info(const char *arg, int json, err_t *e)
{
	char path[4600], val[64], out[300], cut[200], top[40] = "";
	model_t m;
	ckpt_meta_t meta;
	ckpt_t c;
	uint64_t raw_all = 0, stored_all = 0;
	json_t j;
	int rc = 0;

	if (weights_resolve(arg, path, sizeof(path), e) || weights_load(path, &m, &meta, NULL, e))
		return -1;
	model_cutoffs_str(&m.cfg, cut, sizeof(cut));
	if (m.cfg.softmax == MODEL_SOFTMAX_ADAPTIVE)
		snprintf(out, sizeof(out), "; adaptive softmax, cutoffs %s, div_value %g%s", cut,
			 m.cfg.div_value, m.cfg.head_bias ? ", head bias" : "");
	else
		snprintf(out, sizeof(out), "; full softmax");
	if (meta.top_hidden)	/* the last layer's own width */
		snprintf(top, sizeof(top), ", the last %lld", (long long)meta.top_hidden);
	if (ckpt_open(&c, path, e)) {
		model_free(&m);
		return -1;
	}
	if (isfinite(meta.val_loss))
		snprintf(val, sizeof(val), "loss %.4f, perplexity %.2f", meta.val_loss,
			 exp(meta.val_loss));
	else
		snprintf(val, sizeof(val), "none yet");
	json_init(&j);
	if (json) {
		json_begin(&j, NULL);
		json_str(&j, "path", path);
		json_int(&j, "format_version", (int)meta.version);
		json_int(&j, "step", meta.step);
		json_int(&j, "epoch", meta.epoch);
		json_num(&j, "val_loss", "%.6g", isfinite(meta.val_loss) ? meta.val_loss : -1.0);
		/* the stored configuration as the object it is, or as a string
		 * when a file holds something else there */
		if (!meta.run_config[0])
			json_raw(&j, "config", "{}");
		else if (json_valid(meta.run_config))
			json_raw(&j, "config", meta.run_config);
		else
			json_str(&j, "config", meta.run_config);
		json_begin_array(&j, "tensors");
	} else
		printf("%s: engram checkpoint, format version %d\n"
		       "  model: vocab %lld, embed %lld, %lld x LSTM %lld%s%s%s; tokenizer %s\n"
		       "  progress: step %lld, epoch %lld, validation %s\n  config: %s\n"
		       "  %-16s %-14s %-5s %10s %10s %10s %10s %10s %10s\n",
		       path, (int)meta.version, (long long)meta.vocab, (long long)meta.embed,
		       (long long)meta.layers, (long long)meta.hidden, top, meta.tie ? ", tied" : "", out,
		       meta.tokenizer, (long long)meta.step, (long long)meta.epoch,
		       val, meta.run_config,
		       "tensor", "shape", "dtype", "raw", "stored", "L2", "min", "max", "mean");
	for (int i = 0; i < m.ntensors; i++) {
		const model_tensor_t *t = &m.tensor[i];
		tstats_t s = stats(m.params + t->off, tsize(t));
		uint64_t raw = 0, stored = 0, coff = 0, csize = 0;
		char shape[32];

		ckpt_tensor_sizes(&c, "params", t->name, &raw, &stored, &coff, &csize);
		raw_all += raw;
		stored_all += stored;
		if (t->rows == 1)
			snprintf(shape, sizeof(shape), "(%d)", t->cols);
		else
			snprintf(shape, sizeof(shape), "(%d, %d)", t->rows, t->cols);
		if (json) {
			json_begin(&j, NULL);
			json_str(&j, "name", t->name);
			json_int(&j, "rows", t->rows);
			json_int(&j, "cols", t->cols);
			json_str(&j, "dtype", "float32");
			json_int(&j, "raw", (long long)raw);
			json_int(&j, "stored", (long long)stored);
			json_begin_array(&j, "first_chunk");
			json_int(&j, NULL, (long long)coff);
			json_int(&j, NULL, (long long)csize);
			json_end_array(&j);
			json_num(&j, "l2", "%.6g", s.l2);
			json_num(&j, "min", "%.6g", s.min);
			json_num(&j, "max", "%.6g", s.max);
			json_num(&j, "mean", "%.6g", s.mean);
			json_end(&j);
		} else
			printf("  %-16s %-14s %-5s %10llu %10llu %10.4g %10.4g %10.4g %10.4g\n",
			       t->name, shape, "f32", (unsigned long long)raw,
			       (unsigned long long)stored, s.l2, s.min, s.max, s.mean);
	}
	if (json) {
		json_end_array(&j);
		json_int(&j, "raw", (long long)raw_all);
		json_int(&j, "stored", (long long)stored_all);
		rc = print_state(&c, &j, e);
		json_end(&j);
		rc = rc ? rc : json_print(&j, e);
	} else
	{
		printf("  total: %llu bytes raw, %llu stored (compression %.2fx)\n",
		       (unsigned long long)raw_all, (unsigned long long)stored_all,
		       stored_all ? (double)raw_all / (double)stored_all : 0.0);
		rc = print_state(&c, NULL, e);
	}
	json_free(&j);
	ckpt_close(&c);
	model_free(&m);
	return rc;
}

static int verify(const char *arg, int json, err_t *e)
{
	model_t m;
	ckpt_t c;
	int count = 0, rc;

	/* the model first: shapes against the config, then every dataset */
	if (weights_open(arg, &c, &m, e))
		return -1;
	rc = ckpt_verify_all(&c, &count, e);
	if (!rc && json) {
		json_t j;

		json_init(&j);
		json_begin(&j, NULL);
		json_str(&j, "path", c.path);
		json_bool(&j, "ok", 1);
		json_str(&j, "kind", c.meta.kind);
		json_int(&j, "datasets", count);
		json_int(&j, "parameters", (long long)m.n);
		json_end(&j);
		rc = json_print(&j, e);
		json_free(&j);
	} else if (!rc)
		printf("%s: ok: %s checkpoint, %d datasets, %zu parameters; every shape, CRC-32 and value checked\n",
		       c.path, c.meta.kind, count, m.n);
	model_free(&m);
	ckpt_close(&c);
	return rc;
}

static void print_change(void *ctx, const char *key, const char *va, int la,
			 const char *vb, int lb)
{
	if (!*(int *)ctx)
		printf("  config %s: %.*s -> %.*s\n", key, la, va, lb, vb);
}

/* Compares x and y tensor by tensor; returns how many differ beyond tol. */
static int diff_group(const model_t *m, const char *group, const float *x,
		      const float *y, double tol, json_t *j)
{
	int ndiff = 0;

	for (int i = 0; i < m->ntensors; i++) {
		const model_tensor_t *t = &m->tensor[i];
		const float *a = x + t->off, *b = y + t->off;
		double maxd = 0.0, d2 = 0.0, n2 = 0.0, rel;
		char name[96];

		for (size_t k = 0; k < tsize(t); k++) {
			double d = fabs((double)a[k] - b[k]);

			maxd = d > maxd ? d : maxd;
			d2 += d * d;
			n2 += (double)a[k] * a[k];
		}
		rel = n2 > 0 ? sqrt(d2 / n2) : sqrt(d2);
		ndiff += maxd > 0 && rel > tol;
		snprintf(name, sizeof(name), "%s%s%s", strcmp(group, "params") ? group : "",
			 strcmp(group, "params") ? "/" : "", t->name);
		if (j) {
			json_begin(j, NULL);
			json_str(j, "name", name);
			json_num(j, "max_abs", "%.6g", maxd);
			json_num(j, "rel_l2", "%.6g", rel);
			json_end(j);
		} else
			printf("%-16s %12.4g %12.4g\n", name, maxd, rel);
	}
	return ndiff;
}

/* Parameters, and the optimizer's moments where both files have them. */
static int diff(const char *pa, const char *pb, double tol, int json, int *differ,
		err_t *e)
{
	static const char *const groups[] = { "params", "optim/m", "optim/v", "optim/ax" };
	model_t ma, mb;
	ckpt_t ca, cb;
	float *xa = NULL, *xb = NULL;
	int ndiff = 0, ncfg, rc = -1;
	json_t jo, *j = json ? &jo : NULL;

	json_init(&jo);

	if (weights_open(pa, &ca, &ma, e))
		return -1;
	if (weights_open(pb, &cb, &mb, e)) {
		model_free(&ma);
		ckpt_close(&ca);
		return -1;
	}
	if (ma.n != mb.n || !model_cfg_same_shape(&ma.cfg, &mb.cfg)) {
		err_set(e, "%s and %s hold models of different shapes", ca.path, cb.path);
		goto out;
	}
	xa = err_malloc(ma.n * sizeof(float), "diff", e);
	xb = err_malloc(ma.n * sizeof(float), "diff", e);
	if (!xa || !xb)
		goto out;
	if (j) {
		json_begin(j, NULL);
		json_str(j, "a", ca.path);
		json_str(j, "b", cb.path);
		json_begin_array(j, "tensors");
	} else
		printf("%-16s %12s %12s\n", "tensor", "max|a-b|", "rel L2");
	for (int g = 0; g < 4; g++) {
		int ha = g == 0 || ckpt_has(&ca, groups[g], ma.tensor[0].name);
		int hb = g == 0 || ckpt_has(&cb, groups[g], mb.tensor[0].name);

		if (!ha && !hb)
			continue;
		if (ha != hb) {
			if (!json)
				printf("%-16s only in %s\n", groups[g], ha ? ca.path : cb.path);
			ndiff++;
			continue;
		}
		if (g == 0) {
			ndiff += diff_group(&ma, groups[g], ma.params, mb.params, tol, j);
			continue;
		}
		if (weights_get(&ca, &ma, groups[g], xa, e) || weights_get(&cb, &mb, groups[g], xb, e))
			goto out;
		ndiff += diff_group(&ma, groups[g], xa, xb, tol, j);
	}
	ncfg = train_cfg_json_diff(ca.meta.run_config, cb.meta.run_config, NULL, print_change, &json);
	if (j) {
		json_end_array(j);
		json_int(j, "config_differences", ncfg);
		json_int(j, "differ", ndiff);
		json_end(j);
		if (json_print(j, e))
			goto out;
	} else
		printf("%s (%d tensor%s beyond tolerance %g, %d config difference%s)\n",
		       ndiff ? "DIFFERENT" : tol > 0 ? "within tolerance" : "identical",
		       ndiff, ndiff == 1 ? "" : "s", tol, ncfg, ncfg == 1 ? "" : "s");
	*differ = ndiff > 0;
	rc = 0;
out:
	json_free(&jo);
	free(xa);
	free(xb);
	model_free(&ma);
	model_free(&mb);
	ckpt_close(&ca);
	ckpt_close(&cb);
	return rc;
}

/* export -o OUT may replace a file only when asked, and never the very
 * checkpoint it reads. */
static int check_output(const char *path, const char *out, int force, err_t *e)
{
	struct stat so, sp;

	if (stat(out, &so))
		return 0;
	if (!stat(path, &sp) && so.st_dev == sp.st_dev && so.st_ino == sp.st_ino)
		return err_set(e, "%s is the checkpoint being exported (expected another -o FILE)", out);
	if (!force)
		return err_set(e, "%s exists (expected a new file; --force replaces it)", out);
	return 0;
}

static int export_weights(const char *arg, const char *out, int force, err_t *e)
{
	char path[4600];
	model_t m;
	ckpt_meta_t meta;
	vocab_t v;
	int rc;

	if (weights_resolve(arg, path, sizeof(path), e) || check_output(path, out, force, e))
		return -1;
	if (vocab_init(&v, e))
		return -1;
	if (weights_load(path, &m, &meta, &v, e)) {
		vocab_free(&v);
		return -1;
	}
	rc = weights_save(out, &m, &meta, v.n ? &v : NULL, e);
	if (!rc)
		printf("wrote %s: weights and config of %s\n", out, path);
	model_free(&m);
	vocab_free(&v);
	return rc;
}

int cmd_ckpt(int argc, char **argv)
{
	const char *pos[8], *out, *sub;
	int json, weights_only, force, npos, rc, differ = 0;
	double tol;
	flag_t opts[] = {
		{ "--json", FLAG_BOOL, &json, NULL, "machine-readable output" },
		{ "--tol", FLAG_DOUBLE, &tol, "X", "diff: relative L2 difference per tensor still counted as equal", "0", .flags = FLAG_RANGE, .lo = 0, .hi = 1e30 },
		{ "--output", FLAG_STR, &out, "FILE", "export: the file to write (also -o)" },
		{ "--weights-only", FLAG_BOOL, &weights_only, NULL, "export: parameters and config only" },
		{ "--force", FLAG_BOOL, &force, NULL, "export: replace an existing -o FILE" },
	};
	int nopts = sizeof(opts) / sizeof(opts[0]);
	err_t e;

	rc = cli_read("ckpt", argc, argv, opts, nopts, pos, 8, &npos, &e);
	if (rc == 1 || (rc == 0 && npos == 0)) {
		cli_usage(rc == 1 ? stdout : stderr,
			  "engram ckpt info|verify|diff|export [FLAGS] PATH...",
			  "  info PATH...      format, config, progress, and a table of the tensors\n"
			  "  verify PATH...    every CRC-32, shape and value; exit 0 only if all pass\n"
			  "  diff A B          per-tensor differences and config changes; exit 0 when equal\n"
			  "  export PATH -o F  the weights-only file (parameters, config, vocabulary)\n"
			  "PATH is a checkpoint file or a run directory (its newest checkpoint).",
			  opts, nopts);
		return rc == 1 ? 0 : 2;
	}
	if (rc) {
		fprintf(stderr, "%s\n", e.msg);
		return 2;
	}
	sub = pos[0];
	rc = 0;
	if (!strcmp(sub, "info") || !strcmp(sub, "verify")) {
		if (npos < 2)
			rc = err_set(&e, "engram ckpt %s: give at least one checkpoint", sub);
		for (int i = 1; i < npos && !rc; i++)
			rc = (!strcmp(sub, "info") ? info : verify)(pos[i], json, &e);
	} else if (!strcmp(sub, "diff")) {
		rc = npos != 3 ? err_set(&e, "engram ckpt diff: give two checkpoints")
			       : diff(pos[1], pos[2], tol, json, &differ, &e);
	} else if (!strcmp(sub, "export")) {
		rc = npos != 2 || !out ? err_set(&e, "engram ckpt export: give one checkpoint and -o FILE")
				       : export_weights(pos[1], out, force, &e);
	} else {
		fprintf(stderr, "engram ckpt: unknown subcommand '%s' (info, verify, diff, export)\n", sub);
		return 2;
	}
	if (rc) {
		fprintf(stderr, "engram ckpt %s: %s\n", sub, e.msg);
		/* diff: 1 means "different", so trouble is 2, as for cmp(1) */
		return !strcmp(sub, "diff") ? 2 : 1;
	}
	return differ ? 1 : 0;
}
