/*
 * bench_model.c - throughput of the model on the presets' shapes, and the
 * GEMM roof at the same shapes.
 *
 *   bench_model [--threads N] [--reps R] [--roof] [--square N] [PRESET...]
 *
 * Training: one window per step as train.c and the PyTorch peer do it:
 * zero grads, model_forward_train, model_backward, (2+ ranks: allreduce
 * of the gradients), clip by global norm 0.25, SGD p -= lr g.  Eval: one
 * model_forward_eval per window.  One warm-up window each, then R timed
 * windows; median, min and max tokens/s (over all ranks: P*T*B tokens per
 * step, the slowest rank's time).  Model FLOPs per token count the GEMMs
 * only: forward 2*4H*(in+H) per layer + 2*H*V, training 3x forward.
 * Peak RSS is getrusage's ru_maxrss (the max over ranks); run one preset
 * per process for a per-preset figure.
 *
 * Under mpirun (OMPI_COMM_WORLD_SIZE set) every rank runs its own batch
 * and the gradients are summed with one blocking MPI_Allreduce per step
 * (engram train overlaps it with backward; this is the conservative
 * figure).  --threads goes to openblas_set_num_threads (default 1).
 *
 * --roof: instead of the model, cblas_sgemm alone at every GEMM shape one
 * training window of each named preset runs (same transposes, counts and
 * output-layer blocks as model.c), timed R times (each sample repeats the
 * mix for at least 0.2 s): the median GFLOP/s of
 * the whole mix is the best the model could reach with this BLAS; and a
 * square N x N x N sgemm (--square, default 2048).
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

#include "trainer/model.h"
#include "trainer/optim.h"

typedef struct {
	const char *name;
	int V, E, H, L, B, T;
} shape_t;

static const shape_t shapes[] = {
	{ "keras-seed", 1000, 64, 64, 2, 32, 20 },
	{ "zaremba-small", 10000, 200, 200, 2, 20, 20 },
	{ "zaremba-medium", 10000, 650, 650, 2, 20, 35 },
	{ "char-rnn", 65, 128, 512, 2, 50, 50 },
	{ "large", 10000, 1024, 1024, 2, 64, 35 },
};
#define NSHAPES ((int)(sizeof(shapes) / sizeof(shapes[0])))

static int rank, nranks = 1, use_mpi;

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

static double fwd_flops_per_token(const shape_t *s)
{
	double f = 2.0 * s->H * s->V;

	for (int l = 0; l < s->L; l++)
		f += 2.0 * 4 * s->H * ((l ? s->H : s->E) + s->H);
	return f;
}

/* The slowest rank's time. */
static double slowest(double t)
{
	if (use_mpi)
		MPI_Allreduce(MPI_IN_PLACE, &t, 1, MPI_DOUBLE, MPI_MAX,
			      MPI_COMM_WORLD);
	return t;
}

static void sync_ranks(void)
{
	if (use_mpi)
		MPI_Barrier(MPI_COMM_WORLD);
}

static double peak_rss_mib(void)
{
	struct rusage ru;
	double kib;

	getrusage(RUSAGE_SELF, &ru);
	kib = (double)ru.ru_maxrss;
	if (use_mpi)
		MPI_Allreduce(MPI_IN_PLACE, &kib, 1, MPI_DOUBLE, MPI_MAX,
			      MPI_COMM_WORLD);
	return kib / 1024.0;
}

/*
 * Clip by global L2 norm, then p -= lr g (the peer's loop), with the calls
 * train.c makes: grad_norm, and the clip coefficient folded into the SGD
 * update.
 */
static void sgd_step(model_t *m, optim_t *o, float clip, float lr)
{
	float coef = grad_clip_coef(grad_norm(m->grads, m->n), clip);

	optim_step_scaled(o, m->params, m->grads, coef, lr);
}

static int bench(const shape_t *sh, int threads, int reps)
{
	model_cfg_t c = { .vocab = sh->V, .embed = sh->E, .hidden = sh->H,
			  .layers = sh->L };
	int T = sh->T, B = sh->B;
	double *tt, *te, tokens = (double)T * B * nranks;
	double fwd = fwd_flops_per_token(sh);
	model_state_t s;
	model_work_t *w;
	optim_cfg_t oc;
	optim_t opt;
	int32_t *tok;
	model_t m;
	rng_t r;
	err_t e;

	optim_cfg_default(&oc, OPT_SGD);
	if (model_init(&m, &c, &e) || model_state_init(&s, &c, B, &e) ||
	    !(w = model_work_new(&c, T, B, &e)) ||
	    optim_init(&opt, &oc, m.n, &e)) {
		fprintf(stderr, "bench_model: %s: %s\n", sh->name, e.msg);
		return -1;
	}
	tt = calloc(reps, sizeof(double));
	te = calloc(reps, sizeof(double));
	tok = malloc((size_t)B * (T + 1) * sizeof(*tok));
	if (!tt || !te || !tok) {
		fprintf(stderr, "bench_model: out of memory\n");
		return -1;
	}
	model_init_params(&m, 0.1f, 0.0f, 1);
	rng_seed(&r, 2, (uint64_t)rank);
	for (int k = -1; k < reps; k++) {
		double t0;

		for (int i = 0; i < B * (T + 1); i++)
			tok[i] = (int32_t)(rng_u64(&r) % (uint64_t)sh->V);
		sync_ranks();
		t0 = now();
		memset(m.grads, 0, m.n * sizeof(float));
		model_forward_train(&m, w, &s, tok, NULL, 1.0f / (T * B * nranks));
		model_backward(&m, w, NULL, NULL);
		if (use_mpi)
			MPI_Allreduce(MPI_IN_PLACE, m.grads, (int)m.n, MPI_FLOAT,
				      MPI_SUM, MPI_COMM_WORLD);
		sgd_step(&m, &opt, 0.25f, 1.0f);
		t0 = slowest(now() - t0);
		if (k >= 0)
			tt[k] = t0;
	}
	model_state_zero(&s);
	for (int k = -1; k < reps; k++) {
		double t0;

		for (int i = 0; i < B * (T + 1); i++)
			tok[i] = (int32_t)(rng_u64(&r) % (uint64_t)sh->V);
		sync_ranks();
		t0 = now();
		model_forward_eval(&m, w, &s, tok);
		t0 = slowest(now() - t0);
		if (k >= 0)
			te[k] = t0;
	}
	/* tokens/s: median time gives the median rate, min time the max */
	double tmed = median(tt, reps), emed = median(te, reps);
	double rss = peak_rss_mib();

	if (rank == 0) {
		printf("%-15s %dx%d train %8.0f tok/s [%.0f-%.0f] %6.1f GFLOP/s | "
		       "eval %8.0f tok/s [%.0f-%.0f] %6.1f GFLOP/s | peak RSS %.0f MiB\n",
		       sh->name, nranks, threads, tokens / tmed,
		       tokens / tt[reps - 1], tokens / tt[0],
		       3.0 * fwd * tokens / tmed * 1e-9, tokens / emed,
		       tokens / te[reps - 1], tokens / te[0],
		       fwd * tokens / emed * 1e-9, rss);
		printf("RESULT model %s %dx%d train_tok_s %.1f %.1f %.1f "
		       "train_gflops %.2f eval_tok_s %.1f %.1f %.1f eval_gflops %.2f "
		       "rss_mib %.1f\n",
		       sh->name, nranks, threads, tokens / tmed,
		       tokens / tt[reps - 1], tokens / tt[0],
		       3.0 * fwd * tokens / tmed * 1e-9, tokens / emed,
		       tokens / te[reps - 1], tokens / te[0],
		       fwd * tokens / emed * 1e-9, rss);
		fflush(stdout);
	}
	free(tok), free(tt), free(te);
	model_work_free(w);
	model_state_free(&s);
	optim_free(&opt);
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

/* The output layer's row block, as model.c picks it (>= 128 rows). */
static int block_rows(int TB, int V)
{
	int cap = (int)(MODEL_OUT_BLOCK_BYTES / ((size_t)V * 4)), nblk;

	if (cap < 128)
		cap = 128;
	if (TB <= cap)
		return TB;
	nblk = (TB + cap - 1) / cap;
	return (TB + nblk - 1) / nblk;
}

/* Every GEMM of one training window; returns the count of kinds. */
static int window_gemms(const shape_t *s, gemm_t *g)
{
	int T = s->T, B = s->B, H = s->H, G = 4 * s->H, V = s->V, TB = T * B;
	int R = block_rows(TB, V), nb = TB / R, last = TB - nb * R, n = 0;

	for (int l = 0; l < s->L; l++) {
		int in = l ? H : s->E;

		g[n++] = (gemm_t){ 0, 0, TB, G, in, 1 };	/* X Wx */
		g[n++] = (gemm_t){ 0, 0, B, G, H, T };		/* h Wh */
		g[n++] = (gemm_t){ 0, 1, B, H, G, T - 1 };	/* dgate Wh^T */
		g[n++] = (gemm_t){ 1, 0, H, G, TB, 1 };		/* dWh */
		g[n++] = (gemm_t){ 1, 0, in, G, TB, 1 };	/* dWx */
		g[n++] = (gemm_t){ 0, 1, TB, in, G, 1 };	/* dX */
	}
	for (int k = 0; k < 2; k++) {
		int rows = k ? last : R, cnt = k ? 1 : nb;

		if (!rows)
			continue;
		g[n++] = (gemm_t){ 0, 1, rows, V, H, cnt };	/* logits */
		g[n++] = (gemm_t){ 0, 0, rows, H, V, cnt };	/* dh */
		g[n++] = (gemm_t){ 1, 0, V, H, rows, cnt };	/* dW_out */
	}
	return n;
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
	gemm_t g[32];
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
	const char *env = getenv("OMPI_COMM_WORLD_SIZE");

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
			fprintf(stderr, "usage: bench_model [--threads N] [--reps R] [--roof] [--square N] [PRESET...]\n");
			return 2;
		} else
			named++;
	}
	if (threads < 1 || reps < 1) {
		fprintf(stderr, "bench_model: threads and reps must be >= 1\n");
		return 2;
	}
	if (env && atoi(env) > 1) {
		use_mpi = 1;
		MPI_Init(&argc, &argv);
		MPI_Comm_rank(MPI_COMM_WORLD, &rank);
		MPI_Comm_size(MPI_COMM_WORLD, &nranks);
	}
	openblas_set_num_threads(threads);
	if (rank == 0)
		printf("bench_model: %d rank(s) x %d thread(s), %s, median of %d after 1 warm-up\n",
		       nranks, threads, do_roof ? "GEMM roof" : "model", reps);
	for (int i = 0; i < NSHAPES; i++) {
		int want = !named;

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
	if (use_mpi)
		MPI_Finalize();
	return rc;
}
