/*
 * test_golden_torch.c FIXTURE - engram's LSTM language model against
 * PyTorch's nn.Embedding + nn.LSTM + nn.Linear, an oracle that shares no
 * code with engram: the fixture (scripts/make-golden-fixture.py, made once
 * with Debian's python3-torch and committed) holds each model's weights by
 * PyTorch's names, token streams cut into two windows, a carried state to
 * start from, and what PyTorch computed in float64: each window's loss sum
 * and final (h, c), the second window's logits, and the gradient of its
 * loss for every weight with the carried state a constant.
 *
 * The weights go into engram's tensors as model.h and io/FORMATS.md map
 * them (weight_ih_l<k> transposed into lstm.<k>.Wx, weight_hh_l<k> into
 * lstm.<k>.Wh, bias_ih + bias_hh into lstm.<k>.b, gate order i f g o; a
 * tied model's projection is emb), so a wrong gate order, bias mapping,
 * state carry or tying fails here even where engram's fast path and its
 * double reference agree.  Window 1 runs through model_forward_eval, and
 * window 2 through model_forward_train + model_backward and again through
 * model_forward_eval for its logits.  Tolerance: 1e-5 relative, per tensor
 * max |engram - torch| over max |torch|.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tests/check.h"
#include "tests/fixture.h"
#include "trainer/nn/model.h"

#define TOL 1e-5

typedef struct {
	int V, E, H, L, tie, T, B;
	int32_t *tokens;	/* B x (2T + 1) */
} golden_t;

/* rows x cols src (PyTorch's out x in) into dst as cols x rows. */
static void transpose_into(float *dst, const float *src, int rows, int cols)
{
	for (int r = 0; r < rows; r++)
		for (int c = 0; c < cols; c++)
			dst[(size_t)c * rows + r] = src[(size_t)r * cols + c];
}

/* PyTorch's (4H x in) dataset as engram's in x 4H. */
static float *read_t(hid_t g, const char *name, int rows, int cols)
{
	float *x = fx_read_f32(g, name, (size_t)rows * cols);
	float *t = fx_calloc((size_t)rows * cols, sizeof(float));

	transpose_into(t, x, rows, cols);
	free(x);
	return t;
}

static void load_into(float *dst, hid_t g, const char *name, size_t n)
{
	float *x = fx_read_f32(g, name, n);

	memcpy(dst, x, n * sizeof(float));
	free(x);
}

/* Every weight by PyTorch's name into m's parameters; with grad set, the
 * fixture's gradients into dst laid out like m->grads instead. */
static void load_weights(const golden_t *gd, model_t *m, hid_t g, int grad,
			 float *dst)
{
	char name[96];
	const char *pre = grad ? "grad/" : "";
	float *base = grad ? dst : m->params;
	int H = gd->H;

	/* the views of m->params at the same offsets in base */
#define AT(view) (base + ((view) - m->params))
	snprintf(name, sizeof(name), "%sembedding.weight", pre);
	load_into(AT(m->emb), g, name, (size_t)gd->V * gd->E);
	if (!gd->tie) {
		snprintf(name, sizeof(name), "%slinear.weight", pre);
		load_into(AT(m->out_W), g, name, (size_t)gd->V * H);
	}
	snprintf(name, sizeof(name), "%slinear.bias", pre);
	load_into(AT(m->out_b), g, name, (size_t)gd->V);
	for (int l = 0; l < gd->L; l++) {
		int in = l ? H : gd->E;
		float *t, *bi, *bh;

		snprintf(name, sizeof(name), "%slstm.weight_ih_l%d", pre, l);
		t = read_t(g, name, 4 * H, in);
		memcpy(AT(m->lstm[l].Wx), t, (size_t)in * 4 * H * sizeof(float));
		free(t);
		snprintf(name, sizeof(name), "%slstm.weight_hh_l%d", pre, l);
		t = read_t(g, name, 4 * H, H);
		memcpy(AT(m->lstm[l].Wh), t, (size_t)H * 4 * H * sizeof(float));
		free(t);
		snprintf(name, sizeof(name), "%slstm.bias_ih_l%d", pre, l);
		bi = fx_read_f32(g, name, 4 * (size_t)H);
		snprintf(name, sizeof(name), "%slstm.bias_hh_l%d", pre, l);
		bh = fx_read_f32(g, name, 4 * (size_t)H);
		for (int j = 0; j < 4 * H; j++) {
			/* one bias: b = bias_ih + bias_hh, and its gradient is
			 * either one's (they are the same) */
			AT(m->lstm[l].b)[j] = grad ? bi[j] : bi[j] + bh[j];
			if (grad)
				CHECK(bi[j] == bh[j], "fixture: bias gradients differ at %d", j);
		}
		free(bi);
		free(bh);
	}
#undef AT
}

/* Window w of the streams in engram's layout: B rows of T + 1 ids. */
static void window(const golden_t *gd, int w, int32_t *tok)
{
	int n = 2 * gd->T + 1;

	for (int b = 0; b < gd->B; b++)
		for (int t = 0; t <= gd->T; t++)
			tok[b * (gd->T + 1) + t] = gd->tokens[b * n + w * gd->T + t];
}

static double loss_err(double mine, hid_t g, const char *name)
{
	double t = fx_read_f64(g, name);

	return fabs(mine - t) / fabs(t);
}

static double state_err(const model_state_t *s, hid_t g, const char *h,
			const char *c)
{
	size_t n = s->n;
	float *th = fx_read_f32(g, h, n), *tc = fx_read_f32(g, c, n);
	double e = fmax(fx_rel_err(s->h, th, n), fx_rel_err(s->c, tc, n));

	free(th);
	free(tc);
	return e;
}

/* Gradient error per tensor of m's table; the worst one's name in worst. */
static double grad_err(const model_t *m, const float *want, const char **worst)
{
	double eg = 0.0;

	for (int t = 0; t < m->ntensors; t++) {
		const model_tensor_t *mt = &m->tensor[t];
		size_t n = (size_t)mt->rows * mt->cols;
		double err = fx_rel_err(m->grads + mt->off, want + mt->off, n);

		CHECK(err < TOL, "gradient of %s: error %.3g", mt->name, err);
		if (err >= eg) {
			eg = err;
			*worst = mt->name;
		}
	}
	return eg;
}

/* Returns 1 when engram ran layer 0 by its table. */
static int run_case(hid_t f, int k)
{
	char gname[16];
	golden_t gd;
	model_t m;
	model_state_t s;
	err_t e;
	hid_t g;
	const char *worst = "-";

	snprintf(gname, sizeof(gname), "case%d", k);
	g = H5Gopen2(f, gname, H5P_DEFAULT);
	if (g < 0) {
		fprintf(stderr, "test_golden_torch: fixture has no group %s\n", gname);
		exit(2);
	}
	gd = (golden_t){ (int)fx_attr_i64(g, "vocab"), (int)fx_attr_i64(g, "embed"),
			 (int)fx_attr_i64(g, "hidden"), (int)fx_attr_i64(g, "layers"),
			 (int)fx_attr_i64(g, "tie"), (int)fx_attr_i64(g, "T"),
			 (int)fx_attr_i64(g, "B"), NULL };
	model_cfg_t c = { .vocab = gd.V, .embed = gd.E, .hidden = gd.H,
			  .layers = gd.L, .tie = gd.tie };
	size_t ns = (size_t)gd.L * gd.B * gd.H, rows = (size_t)gd.T * gd.B;

	if (model_init(&m, &c, &e) || model_state_init(&s, &c, gd.B, &e)) {
		fprintf(stderr, "test_golden_torch: case %d: %s\n", k, e.msg);
		exit(2);
	}
	model_work_t *w = model_work_new(&c, gd.T, gd.B, &e);
	int32_t *tok = fx_calloc((size_t)gd.B * (gd.T + 1), sizeof(int32_t));
	float *want = fx_calloc(m.n, sizeof(float));

	if (!w) {
		fprintf(stderr, "test_golden_torch: case %d: %s\n", k, e.msg);
		exit(2);
	}
	gd.tokens = fx_calloc((size_t)gd.B * (2 * gd.T + 1), sizeof(int32_t));
	if (fx_read_ds(g, "tokens", (size_t)gd.B * (2 * gd.T + 1), H5T_NATIVE_INT32, gd.tokens)) {
		fprintf(stderr, "test_golden_torch: case %d: tokens\n", k);
		exit(2);
	}
	load_weights(&gd, &m, g, 0, NULL);
	load_weights(&gd, &m, g, 1, want);
	load_into(s.h, g, "h0", ns);
	load_into(s.c, g, "c0", ns);

	/* window 1, from the fixture's carried state */
	window(&gd, 0, tok);
	double el1 = loss_err(model_forward_eval(&m, w, &s, tok), g, "loss1");
	double es1 = state_err(&s, g, "h1", "c1");

	/* window 2, trained from the state window 1 left */
	window(&gd, 1, tok);
	memset(m.grads, 0, m.n * sizeof(float));
	double el2 = loss_err(model_forward_train(&m, w, &s, tok, NULL, 1.0f), g, "loss2");
	int by_table = model_layer0_by_table(w);

	model_backward(&m, w, NULL, NULL);
	double es2 = state_err(&s, g, "h2", "c2");
	double eg = grad_err(&m, want, &worst);

	/* window 2 again, evaluated, for its logits */
	load_into(s.h, g, "h1", ns);
	load_into(s.c, g, "c1", ns);
	double el3 = loss_err(model_forward_eval(&m, w, &s, tok), g, "loss2");
	const float *lg = model_logits(w);
	float *tl = fx_read_f32(g, "logits2", rows * gd.V);
	double ez = lg ? fx_rel_err(lg, tl, rows * gd.V) : INFINITY;

	CHECK(el1 < TOL, "case %d: window 1 loss error %.3g", k, el1);
	CHECK(es1 < TOL, "case %d: state after window 1: error %.3g", k, es1);
	CHECK(el2 < TOL, "case %d: window 2 training loss error %.3g", k, el2);
	CHECK(es2 < TOL, "case %d: state after window 2: error %.3g", k, es2);
	CHECK(el3 < TOL, "case %d: window 2 eval loss error %.3g", k, el3);
	CHECK(ez < TOL, "case %d: window 2 logits error %.3g", k, ez);
	printf("  case %d: V %d E %d H %d, %d layers%s, T %d B %d, layer 0 by %s: "
	       "loss %.2g %.2g %.2g, state %.2g %.2g, logits %.2g, gradients %.2g (%s)\n",
	       k, gd.V, gd.E, gd.H, gd.L, gd.tie ? ", tied" : "", gd.T, gd.B,
	       by_table ? "table" : "GEMM", el1, el2, el3, es1, es2, ez, eg, worst);
	free(tl), free(tok), free(want), free(gd.tokens);
	model_work_free(w);
	model_state_free(&s);
	model_free(&m);
	H5Gclose(g);
	return by_table;
}

int main(int argc, char **argv)
{
	hid_t f;
	int64_t n;
	int tables = 0;

	f = fx_open(argc, argv, &n);
	CHECK(n >= 3, "the fixture holds %lld cases", (long long)n);
	for (int k = 0; k < n; k++)
		tables += run_case(f, k);
	/* both of layer 0's paths met the oracle */
	CHECK(tables >= 1 && tables < n, "%d of %lld cases ran layer 0 by table", tables,
	      (long long)n);
	H5Fclose(f);
	return check_done("test_golden_torch");
}
