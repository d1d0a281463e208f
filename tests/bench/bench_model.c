/*
 * bench_model.c - throughput of the model on the presets' shapes, and the
 * GEMM roof at the same shapes.
 *
 *   bench_model [--threads N] [--reps R] [--roof] [--square N] [SHAPE...]
 *
 * Training: one window per step with the calls train.c makes: zero the
 * gradients (the dense part and the embedding rows the last step read),
 * model_forward_train, model_backward with the gradient exchange's hook,
 * ar_finish (on 2+ ranks the sum over ranks, the embedding's rows sparse,
 * one blocking allreduce for the rest as engram train does within one
 * host), the global norm, clip 0.25, SGD p -= lr g (only the rows read, for
 * the embedding).  Eval: one model_forward_eval per window.  One warm-up
 * window each, then R timed windows; median, min and max tokens/s (over
 * all ranks: P*T*B tokens per step, the slowest rank's time).  Model FLOPs
 * per token count the GEMMs only: forward 2*4H*(in+H) per layer + 2*H*V,
 * or for the adaptive softmax the head and the tail clusters of the
 * window's targets (2*H*(C1+K) per row, 2*d_i*(H + s_i) per row routed to
 * cluster i); training 3x forward.  Peak RSS is getrusage's ru_maxrss (the
 * max over ranks); run one shape per process for a per-shape figure.
 *
 * Shapes: the five presets' (the default), and for the adaptive softmax a
 * 2 x 1024 LSTM over a 512-wide embedding at WikiText-2's, WikiText-103's
 * and One Billion Word's vocabularies, each with the full softmax (v33k,
 * v268k, v793k) and adaptive (-adaptive; the cutoffs of wt2-adaptive,
 * wt103-adaptive, and 60000,100000,640000 as Baevski & Auli 2019 on One
 * Billion Word), ids drawn from a Zipf law of exponent 1.07 as the PyTorch
 * peer's --zipf 1.07 (the adaptive softmax's cost depends on where the
 * targets fall).  --threads goes to openblas_set_num_threads (default 1).
 *
 * --roof: instead of the model, cblas_sgemm alone at every GEMM shape one
 * training window of each named preset runs (same transposes, counts and
 * output-layer blocks as model.c), timed R times (each sample repeats the
 * mix for at least 0.2 s): the median GFLOP/s of
 * the whole mix is the best the model could reach with this BLAS; and a
 * square N x N x N sgemm (--square, default 2048).
 *
 * Regularized shapes (not run by default): zaremba-medium-drop is the
 * preset as it trains, dropout 0.5 drawn per step; medium-reg the same
 * model tied with AWD-LSTM's regularizers as its preset sets them (locked
 * dropout, embedding dropout, weight drop, AR, TAR).  Their ratio is the
 * cost of the regularizers (issue 18: at most 10%).
 *
 * Output: a human line per result and a machine line starting "RESULT".
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <cblas.h>
#include <mpi.h>

#include "comm/allreduce.h"
#include "comm/comm.h"
#include "trainer/nn/model.h"
#include "trainer/optim.h"
#include "trainer/nn/softmax.h"

typedef struct {
	const char *name;
	int V, E, H, L, B, T;
	const char *cutoffs;	/* NULL: the full softmax */
	double zipf;		/* exponent of the ids' law; 0 = uniform */
	int extra;		/* not run by default */
	int reg;		/* 1: dropout 0.5; 2: medium-reg's regularizers */
} shape_t;

static const shape_t shapes[] = {
	{ "keras-seed", 1000, 64, 64, 2, 32, 20, NULL, 0, 0 },
	{ "zaremba-small", 10000, 200, 200, 2, 20, 20, NULL, 0, 0 },
	{ "zaremba-medium", 10000, 650, 650, 2, 20, 35, NULL, 0, 0 },
	{ "char-rnn", 65, 128, 512, 2, 50, 50, NULL, 0, 0 },
	{ "large", 10000, 1024, 1024, 2, 64, 35, NULL, 0, 0 },
	{ "v33k", 33278, 512, 1024, 2, 20, 35, NULL, 1.07, 1 },
	{ "v33k-adaptive", 33278, 512, 1024, 2, 20, 35, "2000,10000", 1.07, 1 },
	{ "v268k", 267735, 512, 1024, 2, 20, 35, NULL, 1.07, 1 },
	{ "v268k-adaptive", 267735, 512, 1024, 2, 20, 35, "2800,20000,76000", 1.07, 1 },
	{ "v793k", 793471, 512, 1024, 2, 20, 35, NULL, 1.07, 1 },
	{ "v793k-adaptive", 793471, 512, 1024, 2, 20, 35, "60000,100000,640000", 1.07, 1 },
	{ "zaremba-medium-drop", 10000, 650, 650, 2, 20, 35, NULL, 0, 1, 1 },
	{ "medium-reg", 10000, 650, 650, 2, 20, 35, NULL, 0, 1, 2 },
};
#define NSHAPES ((int)(sizeof(shapes) / sizeof(shapes[0])))

static int rank, nranks = 1;
static comm_t comm;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* sorts x */
static double median(double *x, int n)
{
	qsort(x, n, sizeof(*x), cmp_double);
	return n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

static model_cfg_t shape_cfg(const shape_t *s)
{
	model_cfg_t c = { .vocab = s->V, .embed = s->E, .hidden = s->H, .layers = s->L };
	const char *p = s->cutoffs;

	if (s->reg == 1)
		c.dropout = 0.5f;
	if (s->reg == 2) {	/* trainer/config.c's medium-reg */
		c.tie = 1;
		c.drop_in = 0.5f, c.drop_hid = 0.3f, c.drop_out = 0.5f, c.drop_emb = 0.1f;
		c.weight_drop = 0.3f, c.ar = 2.0f, c.tar = 1.0f;
	}
	if (!p)
		return c;
	c.softmax = MODEL_SOFTMAX_ADAPTIVE;
	c.div_value = 4.0;
	while (*p && c.nclusters < MODEL_MAX_CLUSTERS) {
		char *end;

		c.cutoffs[c.nclusters++] = (int)strtol(p, &end, 10);
		p = *end ? end + 1 : end;
	}
	return c;
}

/* Forward GEMM FLOPs of a window whose targets are tok's (see the top). */
static double fwd_flops(const model_cfg_t *c, const int32_t *tok, int T, int B)
{
	double f = 0.0, rows = (double)T * B, H = c->hidden;

	for (int l = 0; l < c->layers; l++)
		f += rows * 2.0 * 4 * H * ((l ? H : c->embed) + H);
	if (c->softmax != MODEL_SOFTMAX_ADAPTIVE)
		return f + rows * 2.0 * H * c->vocab;
	f += rows * 2.0 * H * (c->cutoffs[0] + c->nclusters);
	for (int b = 0; b < B; b++)
		for (int t = 1; t <= T; t++) {
			int32_t y = tok[(size_t)b * (T + 1) + t];

			for (int i = 1; i <= c->nclusters; i++) {
				int lo, hi, d = model_cluster_dim(c, i);

				model_cluster(c, i, &lo, &hi);
				if (y >= lo && y < hi)
					f += 2.0 * d * (H + (hi - lo));
			}
		}
	return f;
}

/* Ids by the shape's law: cdf (V) is the cumulative Zipf weight, or NULL
 * for uniform ids. */
static double *zipf_cdf(const shape_t *s)
{
	double *cdf, sum = 0.0;

	if (s->zipf <= 0.0 || !(cdf = malloc((size_t)s->V * sizeof(double))))
		return NULL;
	for (int k = 0; k < s->V; k++)
		cdf[k] = sum += pow(k + 1.0, -s->zipf);
	for (int k = 0; k < s->V; k++)
		cdf[k] /= sum;
	return cdf;
}

static void draw_window(int32_t *tok, size_t n, int V, const double *cdf, rng_t *r)
{
	for (size_t i = 0; i < n; i++) {
		double u = rng_double(r);
		int lo = 0, hi = V - 1;

		if (!cdf) {
			tok[i] = (int32_t)(rng_u64(r) % (uint64_t)V);
			continue;
		}
		while (lo < hi) {	/* the first k with cdf[k] > u */
			int mid = (lo + hi) / 2;

			if (cdf[mid] > u)
				hi = mid;
			else
				lo = mid + 1;
		}
		tok[i] = lo;
	}
}

/* The slowest rank's time. */
static double slowest(double t)
{
	if (nranks > 1)
		MPI_Allreduce(MPI_IN_PLACE, &t, 1, MPI_DOUBLE, MPI_MAX, comm.world);
	return t;
}

static double sum_ranks(double x)
{
	if (nranks > 1)
		MPI_Allreduce(MPI_IN_PLACE, &x, 1, MPI_DOUBLE, MPI_SUM, comm.world);
	return x;
}

static void sync_ranks(void)
{
	if (nranks > 1)
		MPI_Barrier(comm.world);
}

static double peak_rss_mib(void)
{
	struct rusage ru;
	double kib;

	getrusage(RUSAGE_SELF, &ru);
	kib = (double)ru.ru_maxrss;
	if (nranks > 1)
		MPI_Allreduce(MPI_IN_PLACE, &kib, 1, MPI_DOUBLE, MPI_MAX, comm.world);
	return kib / 1024.0;
}

/* What the benchmark's training step needs besides the model. */
typedef struct {
	ar_t ar;
	optim_t opt;
	int32_t *rows;
	int nrows;	/* embedding rows the last step read, -1: unknown */
	double sent;	/* bytes into the exchange, summed over steps */
} step_t;

static grad_rows_t grad_rows(const model_t *m, const step_t *st)
{
	return (grad_rows_t){ m->n, st->ar.dense, (size_t)st->ar.width, st->rows, st->nrows };
}

/*
 * One training step as train.c's: zero what the last step left, mark the
 * rows read, forward and backward with the exchange's hook, the sum over
 * ranks, then clip by global L2 norm 0.25 and p -= lr g (the peer's loop)
 * with the clip folded into the update.
 */
static int train_window(model_t *m, model_work_t *w, model_state_t *s, step_t *st,
			const int32_t *tok, int T, int B, rng_t *drop, err_t *e)
{
	grad_rows_t r = grad_rows(m, st);
	float coef;

	grad_rows_zero(m->grads, &r);
	ar_begin(&st->ar);
	for (int b = 0; b < B; b++)
		ar_mark(&st->ar, tok + (size_t)b * (T + 1), (size_t)T);
	model_forward_train(m, w, s, tok, drop, 1.0f / ((float)T * B * nranks));
	model_backward(m, w, ar_ready, &st->ar);
	if (ar_finish(&st->ar, e))
		return -1;
	st->nrows = ar_tail_rows(&st->ar, st->rows);
	/* what this rank put into the exchange: the dense part, the bitmap,
	 * and the union's rows packed, or the whole tail */
	st->sent += 4.0 * st->ar.dense + 8.0 * st->ar.words +
		    4.0 * st->ar.width * (st->ar.npack >= 0 ? st->ar.npack : st->ar.rows);
	r = grad_rows(m, st);
	coef = grad_clip_coef(grad_rows_norm(m->grads, &r), 0.25);
	optim_step_rows(&st->opt, m->params, m->grads, coef, 1.0f, &r);
	return 0;
}

static int bench(const shape_t *sh, int threads, int reps)
{
	model_cfg_t c = shape_cfg(sh);
	int T = sh->T, B = sh->B;
	double *tt, *te, tokens = (double)T * B * nranks, ftrain = 0.0, feval = 0.0;
	double *cdf = zipf_cdf(sh);
	model_state_t s;
	model_work_t *w;
	optim_cfg_t oc;
	step_t st = { .nrows = -1 };
	int32_t *tok;
	model_t m;
	rng_t r, dr;
	err_t e;

	optim_cfg_default(&oc, OPT_SGD);
	if (model_init(&m, &c, &e) || model_state_init(&s, &c, B, &e) ||
	    !(w = model_work_new(&c, T, B, &e)) || optim_init(&st.opt, &oc, m.n, &e) ||
	    ar_init(&st.ar, &comm, m.grads, m.n, (size_t)4 << 20, 0, &e) ||
	    /* tied, the embedding is the dense output projection (train.c) */
	    (!c.tie && ar_sparse_init(&st.ar, c.vocab, c.embed, (size_t)T * B, &e)) ||
	    !(st.rows = err_malloc((size_t)c.vocab * sizeof(int32_t), "rows", &e))) {
		fprintf(stderr, "bench_model: %s: %s\n", sh->name, e.msg);
		return -1;
	}
	tt = calloc(reps, sizeof(double));
	te = calloc(reps, sizeof(double));
	tok = malloc((size_t)B * (T + 1) * sizeof(*tok));
	if (!tt || !te || !tok || (sh->zipf > 0.0 && !cdf)) {
		fprintf(stderr, "bench_model: out of memory\n");
		return -1;
	}
	model_init_params(&m, 0.1f, 0.0f, 1);
	rng_seed(&r, 2, (uint64_t)rank);
	rng_seed(&dr, 3, (uint64_t)rank);
	for (int k = -1; k < reps; k++) {
		double t0;

		draw_window(tok, (size_t)B * (T + 1), c.vocab, cdf, &r);
		if (k >= 0)
			ftrain += 3.0 * fwd_flops(&c, tok, T, B);
		if (k == 0)
			st.sent = 0.0;	/* from the first timed step */
		sync_ranks();
		t0 = now();
		if (train_window(&m, w, &s, &st, tok, T, B, sh->reg ? &dr : NULL, &e)) {
			fprintf(stderr, "bench_model: %s: %s\n", sh->name, e.msg);
			return -1;
		}
		t0 = slowest(now() - t0);
		if (k >= 0)
			tt[k] = t0;
	}
	model_state_zero(&s);
	for (int k = -1; k < reps; k++) {
		double t0;

		draw_window(tok, (size_t)B * (T + 1), c.vocab, cdf, &r);
		if (k >= 0)
			feval += fwd_flops(&c, tok, T, B);
		sync_ranks();
		t0 = now();
		model_forward_eval(&m, w, &s, tok);
		t0 = slowest(now() - t0);
		if (k >= 0)
			te[k] = t0;
	}
	/* tokens/s: median time gives the median rate, min time the max;
	 * FLOPs per token: the mean over the timed windows of all ranks */
	double tmed = median(tt, reps), emed = median(te, reps);
	double rss = peak_rss_mib();
	double ft = sum_ranks(ftrain) / (reps * tokens), fe = sum_ranks(feval) / (reps * tokens);

	if (rank == 0) {
		double sent = nranks > 1 ? st.sent / reps / 1048576.0 : 0.0;

		printf("%-15s %dx%d train %8.0f tok/s [%.0f-%.0f] %6.1f GFLOP/s | "
		       "eval %8.0f tok/s [%.0f-%.0f] %6.1f GFLOP/s | peak RSS %.0f MiB | "
		       "%.2f MiB per rank and step into the allreduce\n",
		       sh->name, nranks, threads, tokens / tmed,
		       tokens / tt[reps - 1], tokens / tt[0],
		       ft * tokens / tmed * 1e-9, tokens / emed,
		       tokens / te[reps - 1], tokens / te[0],
		       fe * tokens / emed * 1e-9, rss, sent);
		printf("RESULT model %s %dx%d train_tok_s %.1f %.1f %.1f "
		       "train_gflops %.2f eval_tok_s %.1f %.1f %.1f eval_gflops %.2f "
		       "rss_mib %.1f sent_mib %.3f\n",
		       sh->name, nranks, threads, tokens / tmed,
		       tokens / tt[reps - 1], tokens / tt[0],
		       ft * tokens / tmed * 1e-9, tokens / emed,
		       tokens / te[reps - 1], tokens / te[0],
		       fe * tokens / emed * 1e-9, rss, sent);
		fflush(stdout);
	}
	free(tok), free(tt), free(te), free(cdf), free(st.rows);
	model_work_free(w);
	model_state_free(&s);
	optim_free(&st.opt);
	ar_free(&st.ar);
	model_free(&m);
	return 0;
}

/* ---- the GEMM roof ---- */

typedef struct {
	int ta, tb, M, N, K, count;
} gemm_t;

/* Row-major C (M x N) = op(A) op(B), the way model.c calls it. */
static void run_gemm(const gemm_t *g, const float *A, const float *Bm,
		     float *C)
{
	cblas_sgemm(CblasRowMajor, g->ta ? CblasTrans : CblasNoTrans,
		    g->tb ? CblasTrans : CblasNoTrans, g->M, g->N, g->K, 1.0f,
		    A, g->ta ? g->M : g->K, Bm, g->tb ? g->K : g->N, 1.0f, C,
		    g->N);
}

/* The blocked softmax of N outputs over `rows` rows of `in` values, as
 * softmax.c runs it: per block the logits, dX and dW GEMMs. */
static int softmax_gemms(int rows, int N, int in, gemm_t *g)
{
	int R, nb, last, n = 0;

	if (rows < 1)
		return 0;
	R = sm_block_rows((size_t)rows, (size_t)N);
	nb = rows / R;
	last = rows - nb * R;
	for (int k = 0; k < 2; k++) {
		int r = k ? last : R, cnt = k ? 1 : nb;

		if (!r)
			continue;
		g[n++] = (gemm_t){ 0, 1, r, N, in, cnt };	/* logits */
		g[n++] = (gemm_t){ 0, 0, r, in, N, cnt };	/* dX */
		g[n++] = (gemm_t){ 1, 0, N, in, r, cnt };	/* dW */
	}
	return n;
}

/* The adaptive softmax's GEMMs for the rows its clusters expect under the
 * shape's Zipf law: the head over every row, per cluster its projection,
 * softmax and the projection's two backward GEMMs. */
static int adaptive_gemms(const shape_t *s, const model_cfg_t *c, gemm_t *g)
{
	int TB = s->T * s->B, H = s->H, n;
	double *cdf = zipf_cdf(s);

	n = softmax_gemms(TB, c->cutoffs[0] + c->nclusters, H, g);
	for (int i = 1; i <= c->nclusters; i++) {
		int lo, hi, d = model_cluster_dim(c, i), rows;
		double share;

		model_cluster(c, i, &lo, &hi);
		share = cdf ? cdf[hi - 1] - cdf[lo - 1] : (double)(hi - lo) / c->vocab;
		rows = (int)(share * TB + 0.5);
		if (rows < 1)
			continue;
		g[n++] = (gemm_t){ 0, 1, rows, d, H, 1 };	/* P = X proj^T */
		n += softmax_gemms(rows, hi - lo, d, g + n);
		g[n++] = (gemm_t){ 1, 0, d, H, rows, 1 };	/* g_proj */
		g[n++] = (gemm_t){ 0, 0, rows, H, d, 1 };	/* dX */
	}
	free(cdf);
	return n;
}

/* Every GEMM of one training window; returns the count of kinds. */
static int window_gemms(const shape_t *s, gemm_t *g)
{
	int T = s->T, B = s->B, H = s->H, G = 4 * s->H, TB = T * B, n = 0;
	model_cfg_t c = shape_cfg(s);

	for (int l = 0; l < s->L; l++) {
		int in = l ? H : s->E;

		g[n++] = (gemm_t){ 0, 0, TB, G, in, 1 };	/* X Wx */
		g[n++] = (gemm_t){ 0, 0, B, G, H, T };		/* h Wh */
		g[n++] = (gemm_t){ 0, 1, B, H, G, T - 1 };	/* dgate Wh^T */
		g[n++] = (gemm_t){ 1, 0, H, G, TB, 1 };		/* dWh */
		g[n++] = (gemm_t){ 1, 0, in, G, TB, 1 };	/* dWx */
		g[n++] = (gemm_t){ 0, 1, TB, in, G, 1 };	/* dX */
	}
	if (c.softmax == MODEL_SOFTMAX_ADAPTIVE)
		return n + adaptive_gemms(s, &c, g + n);
	return n + softmax_gemms(TB, s->V, H, g + n);
}

static float *rnd(size_t n)
{
	float *x = malloc(n * sizeof(float));

	if (!x) {
		fprintf(stderr, "bench_model: out of memory\n");
		exit(2);
	}
	for (size_t i = 0; i < n; i++)
		x[i] = (float)((i * 2654435761u) % 1000) * 1e-3f - 0.5f;
	return x;
}

/* Median GFLOP/s of the list of GEMMs run reps times after a warm-up. */
static double time_gemms(const gemm_t *g, int n, int reps, double *flops)
{
	size_t a = 0, b = 0, c = 0;
	double *t = calloc(reps, sizeof(double)), f = 0.0, med;

	for (int i = 0; i < n; i++) {
		size_t sa = (size_t)g[i].M * g[i].K, sb = (size_t)g[i].K * g[i].N,
		       sc = (size_t)g[i].M * g[i].N;

		a = sa > a ? sa : a;
		b = sb > b ? sb : b;
		c = sc > c ? sc : c;
		f += 2.0 * g[i].M * g[i].N * g[i].K * g[i].count;
	}
	float *A = rnd(a), *Bm = rnd(b), *C = rnd(c);
	int inner = 1;

	/* each timed sample at least 0.2 s: the mix repeated inner times */
	for (int k = -1; k < reps; k++) {
		double t0 = now();

		for (int r = 0; r < inner; r++)
			for (int i = 0; i < n; i++)
				for (int j = 0; j < g[i].count; j++)
					run_gemm(&g[i], A, Bm, C);
		t0 = now() - t0;
		if (k < 0)
			inner = t0 >= 0.2 ? 1 : (int)(0.2 / t0) + 1;
		else
			t[k] = t0 / inner;
	}
	med = median(t, reps);
	free(A), free(Bm), free(C), free(t);
	*flops = f;
	return f / med * 1e-9;
}

static void roof(const shape_t *sh, int threads, int reps)
{
	gemm_t g[12 * MODEL_MAX_LAYERS + 12 * (MODEL_MAX_CLUSTERS + 1)];
	int n = window_gemms(sh, g);
	double flops, gf = time_gemms(g, n, reps, &flops);

	printf("%-15s %dx%d sgemm mix of one training window: %6.1f GFLOP/s "
	       "(%d shapes, %.2f GFLOP)\n", sh->name, nranks, threads, gf, n,
	       flops * 1e-9);
	printf("RESULT roof %s %dx%d gflops %.2f\n", sh->name, nranks, threads,
	       gf);
}

static void roof_square(int N, int threads, int reps)
{
	gemm_t g = { 0, 0, N, N, N, 1 };
	double flops, gf = time_gemms(&g, 1, reps, &flops);

	printf("%-15s %dx%d sgemm %d^3: %6.1f GFLOP/s\n", "square", nranks,
	       threads, N, gf);
	printf("RESULT roof square%d %dx%d gflops %.2f\n", N, nranks, threads,
	       gf);
}

int main(int argc, char **argv)
{
	int threads = 1, reps = 5, do_roof = 0, square = 2048, rc = 0, named = 0;
	err_t e;

	for (int a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--threads") && a + 1 < argc)
			threads = atoi(argv[++a]);
		else if (!strcmp(argv[a], "--reps") && a + 1 < argc)
			reps = atoi(argv[++a]);
		else if (!strcmp(argv[a], "--square") && a + 1 < argc)
			square = atoi(argv[++a]);
		else if (!strcmp(argv[a], "--roof"))
			do_roof = 1;
		else if (argv[a][0] == '-') {
			fprintf(stderr, "usage: bench_model [--threads N] [--reps R] [--roof] [--square N] [SHAPE...]\n");
			return 2;
		} else
			named++;
	}
	if (threads < 1 || reps < 1) {
		fprintf(stderr, "bench_model: threads and reps must be >= 1\n");
		return 2;
	}
	if (comm_init(&comm, &argc, &argv, &e)) {
		fprintf(stderr, "bench_model: %s\n", e.msg);
		return 1;
	}
	rank = comm.rank;
	nranks = comm.size;
	openblas_set_num_threads(threads);
	if (rank == 0)
		printf("bench_model: %d rank(s) x %d thread(s), %s, median of %d after 1 warm-up\n",
		       nranks, threads, do_roof ? "GEMM roof" : "model", reps);
	for (int i = 0; i < NSHAPES; i++) {
		int want = !named && !shapes[i].extra;

		for (int a = 1; a < argc; a++)
			want |= !strcmp(argv[a], shapes[i].name);
		if (!want)
			continue;
		if (do_roof) {
			if (rank == 0)
				roof(&shapes[i], threads, reps);
		} else if (bench(&shapes[i], threads, reps)) {
			rc = 1;
		}
	}
	if (do_roof && square > 0 && rank == 0)
		roof_square(square, threads, reps);
	comm_free(&comm);
	return rc;
}
