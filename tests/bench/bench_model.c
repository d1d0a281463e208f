/*
 * bench_model.c - throughput of one training window (model_forward_train +
 * model_backward) for the usual shapes.
 *
 *   bench_model [threads [reps [shape ...]]]
 *
 * threads goes to openblas_set_num_threads (default 1), reps is the number
 * of timed windows after one warm-up (default 5; the median is printed),
 * and naming shapes runs only those.  Model FLOPs per token count the
 * GEMMs only: forward 2*4H*(in+H) per layer + 2*H*V, training 3x forward.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>

#include "trainer/model.h"

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

static int bench(const shape_t *sh, int reps)
{
	model_cfg_t c = { .vocab = sh->V, .embed = sh->E, .hidden = sh->H,
			  .layers = sh->L };
	int T = sh->T, B = sh->B;
	double *tf, *tb, *tt;
	model_state_t s;
	model_work_t *w;
	int32_t *tok;
	model_t m;
	rng_t r;
	err_t e;

	if (model_init(&m, &c, &e) || model_state_init(&s, &c, B, &e) ||
	    !(w = model_work_new(&c, T, B, &e))) {
		fprintf(stderr, "bench_model: %s: %s\n", sh->name, e.msg);
		return -1;
	}
	tf = calloc(reps, sizeof(double));
	tb = calloc(reps, sizeof(double));
	tt = calloc(reps, sizeof(double));
	tok = malloc((size_t)B * (T + 1) * sizeof(*tok));
	if (!tf || !tb || !tt || !tok) {
		fprintf(stderr, "bench_model: out of memory\n");
		return -1;
	}
	model_init_params(&m, 0.1f, 0.0f, 1);
	rng_seed(&r, 2, 0);
	for (int i = 0; i < B * (T + 1); i++)
		tok[i] = (int32_t)(rng_u64(&r) % (uint64_t)sh->V);
	for (int k = -1; k < reps; k++) {
		double t0 = now(), t1, t2;

		model_forward_train(&m, w, &s, tok, NULL, 1.0f / (T * B));
		t1 = now();
		model_backward(&m, w, NULL, NULL);
		t2 = now();
		if (k >= 0) {
			tf[k] = t1 - t0;
			tb[k] = t2 - t1;
			tt[k] = t2 - t0;
		}
	}
	double sec = median(tt, reps), tokens = (double)T * B;

	printf("%-15s V%-6d E%-5d H%-5d L%d B%-3d T%-3d %7.1f ms "
	       "(fwd %6.1f bwd %6.1f) %8.0f tok/s %6.1f GFLOP/s\n",
	       sh->name, sh->V, sh->E, sh->H, sh->L, B, T, sec * 1e3,
	       median(tf, reps) * 1e3, median(tb, reps) * 1e3, tokens / sec,
	       3.0 * fwd_flops_per_token(sh) * tokens / sec * 1e-9);
	free(tok), free(tf), free(tb), free(tt);
	model_work_free(w);
	model_state_free(&s);
	model_free(&m);
	return 0;
}

int main(int argc, char **argv)
{
	int threads = argc > 1 ? atoi(argv[1]) : 1;
	int reps = argc > 2 ? atoi(argv[2]) : 5;
	int rc = 0;

	if (threads < 1 || reps < 1) {
		fprintf(stderr, "usage: bench_model [threads [reps [shape ...]]]\n");
		return 2;
	}
	openblas_set_num_threads(threads);
	printf("bench_model: %d thread(s), median of %d windows after 1 warm-up\n",
	       threads, reps);
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		int want = argc <= 3;

		for (int a = 3; a < argc; a++)
			want |= !strcmp(argv[a], shapes[i].name);
		if (want && bench(&shapes[i], reps))
			rc = 1;
	}
	return rc;
}
