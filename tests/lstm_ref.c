/*
 * lstm_ref.c - the double precision reference of one window (lstm_ref.h).
 *
 * Deliberately naive: every gate of every unit is its own dot product, the
 * forward goes step by step with all layers inside a step, and the
 * backward walks the steps back with the layers inside, carrying dh and dC
 * of every layer from one step to the one before.  Parameters are found
 * through the tensor table by name, not through model_t's views.
 */
#include "tests/lstm_ref.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	int V, E, H, L, T, B;	/* H: the top layer's width */
	int Hl[MODEL_MAX_LAYERS];	/* every layer's width */
	/* Offsets into params / grads. */
	size_t out_W, out_b, emb;
	/* Adaptive softmax (ad set): head (N = C_1 + K rows, bias or none),
	 * and per tail cluster i = 1 .. K its ids [lo, hi), width d. */
	int ad, N, K, C1, head_has_b;
	size_t head_W, head_b, proj[MODEL_MAX_CLUSTERS + 1], tW[MODEL_MAX_CLUSTERS + 1];
	int lo[MODEL_MAX_CLUSTERS + 1], hi[MODEL_MAX_CLUSTERS + 1], d[MODEL_MAX_CLUSTERS + 1];
	size_t Wx[MODEL_MAX_LAYERS], Wh[MODEL_MAX_LAYERS], b[MODEL_MAX_LAYERS];
	const float *const *masks;
	const float *const *wmask;	/* per layer, H x 4H, or NULL */
	double ar, tar;			/* AR and TAR coefficients */
	/* Saved forward values, index (t, b, unit): */
	double *x[MODEL_MAX_LAYERS];	/* layer input after dropout, in wide */
	double *act[MODEL_MAX_LAYERS];	/* i f g o, 4H wide */
	double *hh[MODEL_MAX_LAYERS];	/* h, steps -1 .. T-1 (T+1 of them) */
	double *cc[MODEL_MAX_LAYERS];	/* C, steps -1 .. T-1 */
	double *top;			/* top h after dropout, H wide */
	double *prob;			/* softmax, V wide */
} ref_t;

static size_t offset_of(const model_t *m, const char *name)
{
	for (int i = 0; i < m->ntensors; i++)
		if (!strcmp(m->tensor[i].name, name))
			return m->tensor[i].off;
	fprintf(stderr, "lstm_ref: no tensor %s in the model's table\n", name);
	abort();
}

static int in_width(const ref_t *r, int l)
{
	return l ? r->Hl[l - 1] : r->E;
}

/* Mask value of a site at row (t, b), unit k; 1 without dropout. */
static double mask(const ref_t *r, int site, int t, int b, int k)
{
	int width = in_width(r, site);

	if (!r->masks)
		return 1.0;
	return r->masks[site][((size_t)t * r->B + b) * width + k];
}

/* Pointer to row (t, b) of an array of rows of n values; t may be -1 for
 * the arrays that start at step -1 (pass first = -1). */
static double *row(double *a, const ref_t *r, int t, int b, int n, int first)
{
	return a + ((size_t)(t - first) * r->B + b) * n;
}

/* Layer l's weight drop mask at Wh's (k, col); 1 without weight drop. */
static double wmask_at(const ref_t *r, int l, int k, int col)
{
	return r->wmask ? r->wmask[l][(size_t)k * 4 * r->Hl[l] + col] : 1.0;
}

/* Wh[l] at (k, col) as the window uses it. */
static double wh(const ref_t *r, const double *p, int l, int k, int col)
{
	return p[r->Wh[l] + (size_t)k * 4 * r->Hl[l] + col] * wmask_at(r, l, k, col);
}

static double sigmoid(double x)
{
	return 1.0 / (1.0 + exp(-x));
}

static void ref_free(ref_t *r)
{
	for (int l = 0; l < MODEL_MAX_LAYERS; l++) {
		free(r->x[l]);
		free(r->act[l]);
		free(r->hh[l]);
		free(r->cc[l]);
	}
	free(r->top);
	free(r->prob);
}

static void ref_init_adaptive(ref_t *r, const model_t *m)
{
	const model_cfg_t *c = &m->cfg;
	char name[32];

	r->ad = 1;
	r->K = c->nclusters;
	r->C1 = c->cutoffs[0];
	r->N = r->C1 + r->K;
	r->head_W = offset_of(m, "out.head.W");
	r->head_has_b = c->head_bias;
	if (c->head_bias)
		r->head_b = offset_of(m, "out.head.b");
	for (int i = 1; i <= r->K; i++) {
		r->lo[i] = c->cutoffs[i - 1];
		r->hi[i] = i < r->K ? c->cutoffs[i] : c->vocab;
		r->d[i] = model_cluster_dim(c, i);	/* PyTorch's rule, see model.c */
		snprintf(name, sizeof(name), "out.tail.%d.proj", i);
		r->proj[i] = offset_of(m, name);
		snprintf(name, sizeof(name), "out.tail.%d.W", i);
		r->tW[i] = offset_of(m, name);
	}
}

static int ref_init(ref_t *r, const model_t *m, int T, int B)
{
	char name[32];
	size_t TB = (size_t)T * B;
	int ok = 1;

	memset(r, 0, sizeof(*r));
	r->V = m->cfg.vocab;
	r->E = m->cfg.embed;
	r->H = model_top(&m->cfg);
	r->L = m->cfg.layers;
	r->T = T;
	r->B = B;
	r->emb = offset_of(m, "emb");
	if (m->cfg.softmax == MODEL_SOFTMAX_ADAPTIVE) {
		ref_init_adaptive(r, m);
	} else {
		r->out_b = offset_of(m, "out.b");
		r->out_W = m->cfg.tie ? r->emb : offset_of(m, "out.W");
	}
	for (int l = 0; l < r->L; l++) {
		snprintf(name, sizeof(name), "lstm.%d.Wx", l);
		r->Wx[l] = offset_of(m, name);
		snprintf(name, sizeof(name), "lstm.%d.Wh", l);
		r->Wh[l] = offset_of(m, name);
		snprintf(name, sizeof(name), "lstm.%d.b", l);
		r->b[l] = offset_of(m, name);
		r->x[l] = calloc(TB * in_width(r, l), sizeof(double));
		r->Hl[l] = model_width(&m->cfg, l);
		r->act[l] = calloc(TB * 4 * r->Hl[l], sizeof(double));
		r->hh[l] = calloc((TB + B) * r->Hl[l], sizeof(double));
		r->cc[l] = calloc((TB + B) * r->Hl[l], sizeof(double));
		ok = ok && r->x[l] && r->act[l] && r->hh[l] && r->cc[l];
	}
	r->top = calloc(TB * r->H, sizeof(double));
	r->prob = calloc(TB * r->V, sizeof(double));
	if (!ok || !r->top || !r->prob) {
		ref_free(r);
		return -1;
	}
	return 0;
}

/* One cell of layer l at (t, b): reads x and h_{t-1}, C_{t-1}, writes
 * the activations, C_t and h_t. */
static void cell_forward(ref_t *r, const double *p, int l, int t, int b)
{
	int H = r->Hl[l], in = in_width(r, l);
	const double *x = row(r->x[l], r, t, b, in, 0);
	const double *hp = row(r->hh[l], r, t - 1, b, H, -1);
	const double *cp = row(r->cc[l], r, t - 1, b, H, -1);
	double *a = row(r->act[l], r, t, b, 4 * H, 0);
	double *h = row(r->hh[l], r, t, b, H, -1);
	double *c = row(r->cc[l], r, t, b, H, -1);

	for (int q = 0; q < 4; q++)
		for (int j = 0; j < H; j++) {
			int col = q * H + j;
			double z = p[r->b[l] + col];

			for (int k = 0; k < in; k++)
				z += x[k] * p[r->Wx[l] + (size_t)k * 4 * H + col];
			for (int k = 0; k < H; k++)
				z += hp[k] * wh(r, p, l, k, col);
			a[col] = q == 2 ? tanh(z) : sigmoid(z);
		}
	for (int j = 0; j < H; j++) {
		double i = a[j], f = a[H + j], g = a[2 * H + j], o = a[3 * H + j];

		c[j] = f * cp[j] + i * g;
		h[j] = o * tanh(c[j]);
	}
}

/* z (n) := log softmax(z), max-subtracted. */
static void log_softmax_d(double *z, int n)
{
	double mx = -INFINITY, sum = 0.0;

	for (int k = 0; k < n; k++)
		mx = z[k] > mx ? z[k] : mx;
	for (int k = 0; k < n; k++)
		sum += exp(z[k] - mx);
	sum = mx + log(sum);
	for (int k = 0; k < n; k++)
		z[k] -= sum;
}

/* The adaptive head's logits (N) for top h. */
static void head_logits(const ref_t *r, const double *p, const double *h,
			double *z)
{
	for (int k = 0; k < r->N; k++) {
		z[k] = r->head_has_b ? p[r->head_b + k] : 0.0;
		for (int j = 0; j < r->H; j++)
			z[k] += p[r->head_W + (size_t)k * r->H + j] * h[j];
	}
}

/* Tail cluster i for top h: its projection P (d_i) and logits z (s_i). */
static void tail_logits(const ref_t *r, const double *p, int i,
			const double *h, double *P, double *z)
{
	int d = r->d[i];

	for (int m = 0; m < d; m++) {
		P[m] = 0.0;
		for (int j = 0; j < r->H; j++)
			P[m] += p[r->proj[i] + (size_t)m * r->H + j] * h[j];
	}
	for (int s = 0; s < r->hi[i] - r->lo[i]; s++) {
		z[s] = 0.0;
		for (int m = 0; m < d; m++)
			z[s] += p[r->tW[i] + (size_t)s * d + m] * P[m];
	}
}

static int cluster_of(const ref_t *r, int y)
{
	for (int i = 1; i <= r->K; i++)
		if (y >= r->lo[i] && y < r->hi[i])
			return i;
	return 0;
}

/*
 * The adaptive softmax's whole distribution at top h, the obvious way:
 * log p(v) for every v (into logp, V wide, when not NULL), the head's log
 * softmax for the short list and head + cluster log softmax for the rest.
 * Returns -log p(y).
 */
static double adaptive_forward(const ref_t *r, const double *p,
			       const double *h, int y, double *logp)
{
	double *zh = malloc(r->N * sizeof(double));
	double *P = malloc(r->H * sizeof(double));
	double *z = malloc(r->V * sizeof(double));
	double loss;

	if (!zh || !P || !z)
		abort();
	head_logits(r, p, h, zh);
	log_softmax_d(zh, r->N);
	for (int v = 0; v < r->C1; v++)
		z[v] = zh[v];
	for (int i = 1; i <= r->K; i++) {
		double *zi = z + r->lo[i];

		tail_logits(r, p, i, h, P, zi);
		log_softmax_d(zi, r->hi[i] - r->lo[i]);
		for (int s = 0; s < r->hi[i] - r->lo[i]; s++)
			zi[s] += zh[r->C1 + i - 1];
	}
	loss = -z[y];
	if (logp)
		memcpy(logp, z, r->V * sizeof(double));
	free(zh), free(P), free(z);
	return loss;
}

/*
 * Backward of -log p(y) at top h: the head's softmax - onehot(its target:
 * y, or y's cluster entry), and for a tail y its cluster's softmax -
 * onehot(y - lo) through W_i and proj_i.  Adds the gradients into g and
 * dL/dh into dtop.
 */
static void adaptive_backward(const ref_t *r, const double *p, double *g,
			      const double *h, int y, double *dtop)
{
	int i = cluster_of(r, y), H = r->H;
	int ht = i ? r->C1 + i - 1 : y;
	double *zh = malloc(r->N * sizeof(double));
	double *P = malloc(H * sizeof(double)), *dP = malloc(H * sizeof(double));
	double *z = malloc(r->V * sizeof(double));

	if (!zh || !P || !dP || !z)
		abort();
	head_logits(r, p, h, zh);
	log_softmax_d(zh, r->N);
	for (int k = 0; k < r->N; k++) {
		double dz = exp(zh[k]) - (k == ht ? 1.0 : 0.0);

		if (r->head_has_b)
			g[r->head_b + k] += dz;
		for (int j = 0; j < H; j++) {
			g[r->head_W + (size_t)k * H + j] += dz * h[j];
			dtop[j] += dz * p[r->head_W + (size_t)k * H + j];
		}
	}
	if (i) {
		int d = r->d[i], n = r->hi[i] - r->lo[i];

		tail_logits(r, p, i, h, P, z);
		log_softmax_d(z, n);
		for (int m = 0; m < d; m++)
			dP[m] = 0.0;
		for (int s = 0; s < n; s++) {
			double dz = exp(z[s]) - (s == y - r->lo[i] ? 1.0 : 0.0);

			for (int m = 0; m < d; m++) {
				g[r->tW[i] + (size_t)s * d + m] += dz * P[m];
				dP[m] += dz * p[r->tW[i] + (size_t)s * d + m];
			}
		}
		for (int m = 0; m < d; m++)
			for (int j = 0; j < H; j++) {
				g[r->proj[i] + (size_t)m * H + j] += dP[m] * h[j];
				dtop[j] += dP[m] * p[r->proj[i] + (size_t)m * H + j];
			}
	}
	free(zh), free(P), free(dP), free(z);
}

/* The output layer at (t, b): logits, softmax, and the token's loss. */
static double output_forward(ref_t *r, const double *p, int t, int b, int y,
			     double *logits)
{
	int V = r->V, H = r->H;
	const double *h = row(r->top, r, t, b, H, 0);
	double *pr = row(r->prob, r, t, b, V, 0);
	double mx = -INFINITY, sum = 0.0;

	if (r->ad)
		return adaptive_forward(r, p, h, y,
					logits ? logits + ((size_t)t * r->B + b) * V : NULL);
	for (int v = 0; v < V; v++) {
		double z = p[r->out_b + v];

		for (int k = 0; k < H; k++)
			z += h[k] * p[r->out_W + (size_t)v * H + k];
		pr[v] = z;
		if (logits)
			logits[((size_t)t * r->B + b) * V + v] = z;
		if (z > mx)
			mx = z;
	}
	for (int v = 0; v < V; v++)
		sum += exp(pr[v] - mx);
	double loss = mx + log(sum) - pr[y];

	for (int v = 0; v < V; v++)
		pr[v] = exp(pr[v] - mx) / sum;
	return loss;
}

static double forward(ref_t *r, const double *p, const int32_t *tok,
		      double *logits)
{
	int T = r->T, B = r->B, E = r->E, L = r->L;
	double loss = 0.0;

	for (int t = 0; t < T; t++)
		for (int b = 0; b < B; b++) {
			int id = tok[(size_t)b * (T + 1) + t];
			int y = tok[(size_t)b * (T + 1) + t + 1];
			double *x = row(r->x[0], r, t, b, E, 0);

			for (int k = 0; k < E; k++)
				x[k] = p[r->emb + (size_t)id * E + k] *
				       mask(r, 0, t, b, k);
			for (int l = 0; l < L; l++) {
				int Hl = r->Hl[l];
				const double *h;
				double *up;

				cell_forward(r, p, l, t, b);
				h = row(r->hh[l], r, t, b, Hl, -1);
				up = l + 1 < L ? row(r->x[l + 1], r, t, b, Hl, 0)
					       : row(r->top, r, t, b, Hl, 0);
				for (int k = 0; k < Hl; k++)
					up[k] = h[k] * mask(r, l + 1, t, b, k);
			}
			loss += output_forward(r, p, t, b, y, logits);
		}
	return loss;
}

/* h_t of the top layer, stream b, unit k (t = -1 .. T-1). */
static double htop(const ref_t *r, int t, int b, int k)
{
	return row(r->hh[r->L - 1], r, t, b, r->H, -1)[k];
}

/* The TAR coefficient of a squared difference: tar * T / ((T-1) H). */
static double tar_coef(const ref_t *r)
{
	return r->T > 1 ? r->tar * r->T / ((r->T - 1.0) * r->H) : 0.0;
}

/* AR over the dropped top h, TAR over the undropped one (model.h). */
static double reg_forward(ref_t *r)
{
	double ar = 0.0, tar = 0.0;

	for (int t = 0; t < r->T; t++)
		for (int b = 0; b < r->B; b++)
			for (int k = 0; k < r->H; k++) {
				double x = row(r->top, r, t, b, r->H, 0)[k];

				ar += x * x;
				if (t)
					tar += (htop(r, t, b, k) - htop(r, t - 1, b, k)) *
					       (htop(r, t, b, k) - htop(r, t - 1, b, k));
			}
	return r->ar / r->H * ar + tar_coef(r) * tar;
}

/*
 * Backward of layer l's cell at (t, b).  dh is the total dL/dh_t (from
 * above plus from step t+1), dc is dL/dC_t arriving from step t+1 (in) and
 * dL/dC_{t-1} (out).  Adds the parameter gradients, writes dL/dh_{t-1}
 * into dh_prev and dL/dx into dx.
 */
static void cell_backward(ref_t *r, const double *p, double *g, int l, int t,
			  int b, const double *dh, double *dc, double *dh_prev,
			  double *dx)
{
	int H = r->Hl[l], in = in_width(r, l);
	const double *x = row(r->x[l], r, t, b, in, 0);
	const double *hp = row(r->hh[l], r, t - 1, b, H, -1);
	const double *cp = row(r->cc[l], r, t - 1, b, H, -1);
	const double *c = row(r->cc[l], r, t, b, H, -1);
	const double *a = row(r->act[l], r, t, b, 4 * H, 0);
	double *dz = malloc(4 * H * sizeof(double));

	if (!dz)
		abort();
	for (int j = 0; j < H; j++) {
		double i = a[j], f = a[H + j], gg = a[2 * H + j], o = a[3 * H + j];
		double tc = tanh(c[j]);
		double dC = dc[j] + dh[j] * o * (1.0 - tc * tc);

		dz[j] = dC * gg * i * (1.0 - i);
		dz[H + j] = dC * cp[j] * f * (1.0 - f);
		dz[2 * H + j] = dC * i * (1.0 - gg * gg);
		dz[3 * H + j] = dh[j] * tc * o * (1.0 - o);
		dc[j] = dC * f;
	}
	for (int col = 0; col < 4 * H; col++) {
		g[r->b[l] + col] += dz[col];
		for (int k = 0; k < in; k++)
			g[r->Wx[l] + (size_t)k * 4 * H + col] += x[k] * dz[col];
		for (int k = 0; k < H; k++)	/* d z / d Wh = h_{t-1} * wmask */
			g[r->Wh[l] + (size_t)k * 4 * H + col] +=
				hp[k] * dz[col] * wmask_at(r, l, k, col);
	}
	for (int k = 0; k < in; k++) {
		double s = 0.0;

		for (int col = 0; col < 4 * H; col++)
			s += p[r->Wx[l] + (size_t)k * 4 * H + col] * dz[col];
		dx[k] = s;
	}
	for (int k = 0; k < H; k++) {
		double s = 0.0;

		for (int col = 0; col < 4 * H; col++)
			s += wh(r, p, l, k, col) * dz[col];
		dh_prev[k] = s;
	}
	free(dz);
}

/* Output layer backward at (t, b): adds out.W, out.b gradients and writes
 * dL/d(top h after dropout) into dtop. */
static void output_backward(ref_t *r, const double *p, double *g, int t,
			    int b, int y, double *dtop)
{
	int V = r->V, H = r->H;
	const double *h = row(r->top, r, t, b, H, 0);
	const double *pr = row(r->prob, r, t, b, V, 0);

	for (int k = 0; k < H; k++)
		dtop[k] = 0.0;
	if (r->ad) {
		adaptive_backward(r, p, g, h, y, dtop);
		return;
	}
	for (int v = 0; v < V; v++) {
		double dz = pr[v] - (v == y ? 1.0 : 0.0);

		g[r->out_b + v] += dz;
		for (int k = 0; k < H; k++) {
			g[r->out_W + (size_t)v * H + k] += dz * h[k];
			dtop[k] += dz * p[r->out_W + (size_t)v * H + k];
		}
	}
}

static int backward(ref_t *r, const double *p, const int32_t *tok, double *g)
{
	int T = r->T, B = r->B, H = r->H, E = r->E, L = r->L;
	int W = E;
	size_t BH = 0, at[MODEL_MAX_LAYERS];

	for (int l = 0; l < L; l++) {	/* layer l's rows at at[l], B x H_l */
		at[l] = BH;
		BH += (size_t)B * r->Hl[l];
		W = r->Hl[l] > W ? r->Hl[l] : W;
	}
	/* Per layer and stream: dL/dh and dL/dC arriving from step t+1. */
	double *dh_next = calloc(BH, sizeof(double));
	double *dc_next = calloc(BH, sizeof(double));
	double *dup = malloc(W * sizeof(double));
	double *dh = malloc(W * sizeof(double));
	double *dx = malloc(W * sizeof(double));

	if (!dh_next || !dc_next || !dup || !dh || !dx) {
		free(dh_next), free(dc_next), free(dup), free(dh), free(dx);
		return -1;
	}
	for (int t = T - 1; t >= 0; t--)
		for (int b = 0; b < B; b++) {
			int y = tok[(size_t)b * (T + 1) + t + 1];
			int id = tok[(size_t)b * (T + 1) + t];

			/* dup: dL/d(output of the layer being visited). */
			output_backward(r, p, g, t, b, y, dup);
			for (int k = 0; k < H; k++)	/* AR: d/dx of ar/H x^2 */
				dup[k] += 2.0 * r->ar / H * row(r->top, r, t, b, H, 0)[k];
			for (int l = L - 1; l >= 0; l--) {
				double *dhn = dh_next + at[l] + (size_t)b * r->Hl[l];
				double *dcn = dc_next + at[l] + (size_t)b * r->Hl[l];

				for (int k = 0; k < r->Hl[l]; k++)
					dh[k] = dup[k] * mask(r, l + 1, t, b, k) +
						dhn[k];
				/* TAR: h_t is in the differences with h_{t-1}
				 * and with h_{t+1} */
				for (int k = 0; l == L - 1 && k < H; k++) {
					double c2 = 2.0 * tar_coef(r);

					if (t > 0)
						dh[k] += c2 * (htop(r, t, b, k) - htop(r, t - 1, b, k));
					if (t + 1 < T)
						dh[k] -= c2 * (htop(r, t + 1, b, k) - htop(r, t, b, k));
				}
				cell_backward(r, p, g, l, t, b, dh, dcn, dhn, dx);
				for (int k = 0; k < in_width(r, l); k++)
					dup[k] = dx[k];
			}
			/* dup is now dL/d(embedding output after dropout). */
			for (int k = 0; k < E; k++)
				g[r->emb + (size_t)id * E + k] +=
					dup[k] * mask(r, 0, t, b, k);
		}
	free(dh_next), free(dc_next), free(dup), free(dh), free(dx);
	return 0;
}

double ref_window_opts(const model_t *m, const double *params, int T, int B,
		       const int32_t *tok, double *h, double *c,
		       const ref_opts_t *o, double *grads)
{
	ref_opts_t none = { 0 };
	ref_t r;
	size_t at = 0;
	double loss;

	if (!o)
		o = &none;
	if (ref_init(&r, m, T, B))
		return NAN;
	r.masks = o->masks;
	r.wmask = o->wmask;
	r.ar = o->ar;
	r.tar = o->tar;
	for (int l = 0; l < r.L; at += (size_t)B * r.Hl[l], l++) {	/* model_state_t's layout */
		memcpy(r.hh[l], h + at, (size_t)B * r.Hl[l] * sizeof(double));
		memcpy(r.cc[l], c + at, (size_t)B * r.Hl[l] * sizeof(double));
	}
	loss = forward(&r, params, tok, o->logits);
	if (o->reg)
		*o->reg = reg_forward(&r);
	if (grads && backward(&r, params, tok, grads))
		loss = NAN;
	at = 0;
	for (int l = 0; l < r.L; at += (size_t)B * r.Hl[l], l++) {
		size_t BH = (size_t)B * r.Hl[l];

		memcpy(h + at, r.hh[l] + T * BH, BH * sizeof(double));
		memcpy(c + at, r.cc[l] + T * BH, BH * sizeof(double));
	}
	ref_free(&r);
	return loss;
}

double ref_window_logits(const model_t *m, const double *params, int T,
			 int B, const int32_t *tok, double *h, double *c,
			 const float *const *masks, double *grads,
			 double *logits)
{
	ref_opts_t o = { .masks = masks, .logits = logits };

	return ref_window_opts(m, params, T, B, tok, h, c, &o, grads);
}

double ref_grad_err(const model_t *m, const double *ref, double scale,
		    int *worst_tensor)
{
	double worst = 0.0;

	for (int k = 0; k < m->ntensors; k++) {
		const model_tensor_t *t = &m->tensor[k];
		size_t n = (size_t)t->rows * t->cols;
		double big = 1e-6, diff = 0.0;

		for (size_t i = 0; i < n; i++)
			big = fmax(big, fabs(scale * ref[t->off + i]));
		for (size_t i = 0; i < n; i++) {
			double a = m->grads[t->off + i], b = scale * ref[t->off + i];

			diff = fmax(diff, isnan(a) || isnan(b) ? INFINITY : fabs(a - b));
		}
		if (diff / big > worst) {
			worst = diff / big;
			*worst_tensor = k;
		}
	}
	return worst;
}

double ref_window(const model_t *m, const double *params, int T, int B,
		  const int32_t *tok, double *h, double *c,
		  const float *const *masks, double *grads)
{
	return ref_window_logits(m, params, T, B, tok, h, c, masks, grads,
				 NULL);
}
