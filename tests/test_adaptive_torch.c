/*
 * test_adaptive_torch.c FIXTURE - engram's adaptive softmax against
 * PyTorch's torch.nn.AdaptiveLogSoftmaxWithLoss, an oracle that shares no
 * code with engram: the fixture (scripts/make-adaptive-fixture.py, made
 * once with Debian's python3-torch and committed) holds each layer's
 * weights, a batch of rows and targets, and what PyTorch computed in
 * float64: every target's log-probability, the mean loss, log_prob() of
 * every class, and the gradient of the loss for every weight and the input.
 *
 * The weights are loaded by PyTorch's names into engram's tensors as
 * io/FORMATS.md maps them (head.weight -> out.head.W, tail[i][0].weight ->
 * out.tail.<i+1>.proj, tail[i][1].weight -> out.tail.<i+1>.W), so the
 * mapping, the cluster widths (floor(H / div^i)) and the routing are
 * checked along with the numbers.  Tolerance: 1e-5 relative, per tensor
 * max |engram - torch| over max |torch|; a tensor PyTorch gives no gradient
 * (a cluster no target fell in) must be exactly zero.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tests/check.h"
#include "tests/fixture.h"
#include "trainer/nn/adaptive.h"
#include "trainer/nn/model.h"

#define TOL 1e-5

/* A weight by PyTorch's name into engram's tensor (shapes must agree), and
 * its gradient compared after the step. */
typedef struct {
	char torch[64];
	float *param, *grad;
	size_t n;
} wmap_t;

static void load_case(hid_t f, int k)
{
	char gname[16], name[96];
	hid_t g;
	int64_t cut[MODEL_MAX_CLUSTERS];
	double div;
	model_t m;
	err_t e;
	wmap_t map[2 + 2 * MODEL_MAX_CLUSTERS];
	int nmap = 0;

	snprintf(gname, sizeof(gname), "case%d", k);
	g = H5Gopen2(f, gname, H5P_DEFAULT);
	CHECK(g >= 0, "fixture has no group %s", gname);
	if (g < 0)
		return;
	int H = (int)fx_attr_i64(g, "in_features"), V = (int)fx_attr_i64(g, "n_classes");
	hid_t a = H5Aopen(g, "cutoffs", H5P_DEFAULT), sp = H5Aget_space(a);
	int K = (int)H5Sget_simple_extent_npoints(sp);

	H5Sclose(sp);
	H5Aread(a, H5T_NATIVE_INT64, cut);
	H5Aclose(a);
	a = H5Aopen(g, "div_value", H5P_DEFAULT);
	H5Aread(a, H5T_NATIVE_DOUBLE, &div);
	H5Aclose(a);

	model_cfg_t c = { .vocab = V, .embed = 2, .hidden = H, .layers = 1,
			  .softmax = MODEL_SOFTMAX_ADAPTIVE, .nclusters = K,
			  .div_value = div, .head_bias = (int)fx_attr_i64(g, "head_bias") };

	for (int i = 0; i < K; i++)
		c.cutoffs[i] = (int)cut[i];
	if (model_init(&m, &c, &e)) {
		CHECK(0, "case %d: model_init: %s", k, e.msg);
		H5Gclose(g);
		return;
	}
	/* engram's tensor table, by the mapping FORMATS.md documents */
	for (int t = 0; t < m.ntensors; t++) {
		const model_tensor_t *mt = &m.tensor[t];
		int i;

		if (!strcmp(mt->name, "out.head.W"))
			snprintf(name, sizeof(name), "head.weight");
		else if (!strcmp(mt->name, "out.head.b"))
			snprintf(name, sizeof(name), "head.bias");
		else if (sscanf(mt->name, "out.tail.%d.", &i) == 1)
			snprintf(name, sizeof(name), "tail.%d.%d.weight", i - 1,
				 strstr(mt->name, ".proj") ? 0 : 1);
		else
			continue;
		wmap_t *w = &map[nmap++];

		snprintf(w->torch, sizeof(w->torch), "%.60s", name);
		w->n = (size_t)mt->rows * mt->cols;
		w->param = m.params + mt->off;
		w->grad = m.grads + mt->off;
		float *x = fx_read_f32(g, name, w->n);

		memcpy(w->param, x, w->n * sizeof(float));
		free(x);
	}
	CHECK(nmap == 1 + c.head_bias + 2 * K, "case %d: %d tensors mapped", k, nmap);

	int R;
	{
		hid_t d = H5Dopen2(g, "target", H5P_DEFAULT), s = H5Dget_space(d);

		R = (int)H5Sget_simple_extent_npoints(s);
		H5Sclose(s);
		H5Dclose(d);
	}
	float *X = fx_read_f32(g, "input", (size_t)R * H);
	int32_t *y = fx_calloc((size_t)R, sizeof(int32_t));
	float *out = fx_read_f32(g, "output", (size_t)R);
	float *logp = fx_read_f32(g, "log_prob", (size_t)R * V);
	float *gX = fx_read_f32(g, "grad/input", (size_t)R * H);
	double loss_t;
	int d1 = model_cluster_dim(&c, 1);

	if (fx_read_ds(g, "target", (size_t)R, H5T_NATIVE_INT32, y) ||
	    fx_read_ds(g, "loss", 1, H5T_NATIVE_DOUBLE, &loss_t)) {
		fprintf(stderr, "test_adaptive_torch: case %d: target or loss\n", k);
		exit(2);
	}
	ad_work_t aw = {
		.hy = fx_calloc((size_t)R, sizeof(int32_t)),
		.perm = fx_calloc((size_t)R, sizeof(int32_t)),
		.ry = fx_calloc((size_t)R, sizeof(int32_t)),
		.xg = fx_calloc((size_t)R * H, sizeof(float)),
		.pj = fx_calloc((size_t)R * d1, sizeof(float)),
		.dpj = fx_calloc((size_t)R * d1, sizeof(float)),
	};
	float *buf = fx_calloc(ad_buf_floats(&c, (size_t)R), sizeof(float));
	float *dX = fx_calloc((size_t)R * H, sizeof(float));
	float *lp = fx_calloc((size_t)V, sizeof(float));
	float *mine = fx_calloc((size_t)R * V, sizeof(float)), *tgt = fx_calloc((size_t)R, sizeof(float));

	/* PyTorch's loss is the mean over rows: scale 1/R */
	double loss = ad_xent(&m, &aw, X, R, y, 1.0f / (float)R, buf, dX) / R;

	for (int r = 0; r < R; r++) {
		ad_log_probs(&m, &aw, X + (size_t)r * H, buf, lp);
		memcpy(mine + (size_t)r * V, lp, (size_t)V * sizeof(float));
		tgt[r] = lp[y[r]];
	}
	double el = fabs(loss - loss_t) / fabs(loss_t);
	double eo = fx_rel_err(tgt, out, (size_t)R), ep = fx_rel_err(mine, logp, (size_t)R * V);
	double ex = fx_rel_err(dX, gX, (size_t)R * H), eg = 0.0;
	const char *worst = "-";

	CHECK(el < TOL, "case %d: loss %.9g, torch %.9g", k, loss, loss_t);
	CHECK(eo < TOL, "case %d: log p(target) error %.3g", k, eo);
	CHECK(ep < TOL, "case %d: log_prob error %.3g", k, ep);
	CHECK(ex < TOL, "case %d: d loss / d input error %.3g", k, ex);
	for (int i = 0; i < nmap; i++) {
		snprintf(name, sizeof(name), "grad/%.60s", map[i].torch);
		float *gt = fx_read_f32(g, name, map[i].n);
		double err = fx_rel_err(map[i].grad, gt, map[i].n);

		CHECK(err < TOL, "case %d: gradient of %s: error %.3g", k, map[i].torch, err);
		if (err >= eg) {
			eg = err;
			worst = map[i].torch;
		}
		free(gt);
	}
	printf("  case %d: V %d H %d, %d clusters, div %g%s, %d rows: loss %.2g, "
	       "log p %.2g, log_prob %.2g, dX %.2g, weights %.2g (%s)\n",
	       k, V, H, K, div, c.head_bias ? ", head bias" : "", R, el, eo, ep, ex, eg, worst);
	free(X), free(y), free(out), free(logp), free(gX), free(buf), free(dX), free(lp);
	free(mine), free(tgt);
	free(aw.hy), free(aw.perm), free(aw.ry), free(aw.xg), free(aw.pj), free(aw.dpj);
	model_free(&m);
	H5Gclose(g);
}

int main(int argc, char **argv)
{
	hid_t f;
	int64_t n;

	f = fx_open(argc, argv, &n);
	CHECK(n >= 3, "the fixture holds %lld cases", (long long)n);
	for (int k = 0; k < n; k++)
		load_case(f, k);
	H5Fclose(f);
	return check_done("test_adaptive_torch");
}
