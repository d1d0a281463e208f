/*
 * gemm_small.h - C (M x N) = beta C + A (M x K) * Bp for few rows M (the
 * per-step products of the LSTM recurrence: B rows against the H x 4H
 * weight, or against its transpose), with the weight packed once and used
 * for many calls.  OpenBLAS packs B again at every call; at B = 20 rows
 * that packing is a large part of each step.  Header only (static
 * functions, no build change), like vmath.h.
 *
 * Packed layout (gs_pack, gs_pack_t): column panels of GS_NR = 16
 * columns, K-major inside a panel: element (k, j) of the K x N matrix is
 * at Bp[(j / 16) * K * 16 + k * 16 + j % 16].  The last panel is padded
 * with zeros to 16 columns, so the packed form holds gs_packed_floats(K,
 * N) = K * roundup(N, 16) floats; keep Bp 32-byte aligned (the AVX2 path
 * uses aligned loads).
 *
 * The product walks the panels, and for each panel the rows in blocks of
 * at most GS_MR = 6 (spread evenly: 20 rows are 4 blocks of 5), keeping a
 * rows x 16 block of C in registers over the whole K: with AVX2+FMA 12
 * ymm accumulators, two aligned loads of Bp and one broadcast of A per row
 * and k.  Without AVX2/FMA (the sanitizer build, -march=x86-64) the same
 * blocking in plain C (gs_gemm_generic, always compiled, so tests can run
 * both).  beta == 0: C is only written (it may hold NaN); otherwise C =
 * beta C + A Bp.
 */
#ifndef ENGRAM_GEMM_SMALL_H
#define ENGRAM_GEMM_SMALL_H

#include <stddef.h>
#include <string.h>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define GS_AVX2 1
#endif

#define GS_NR 16	/* columns per panel */
#define GS_MR 6		/* most rows per register block */

#if defined(__GNUC__)
#define GS_INLINE static inline __attribute__((always_inline))
#else
#define GS_INLINE static inline
#endif

/* Floats of the packed form of a K x N matrix. */
static inline size_t gs_packed_floats(int K, int N)
{
	return (size_t)K * ((size_t)(N + GS_NR - 1) / GS_NR * GS_NR);
}

/* Bp := B (K x N, row-major, leading dimension ldb), packed. */
static inline void gs_pack(float *Bp, const float *B, int K, int N, int ldb)
{
	for (int j0 = 0; j0 < N; j0 += GS_NR) {
		int nc = N - j0 < GS_NR ? N - j0 : GS_NR;
		float *p = Bp + (size_t)j0 * K;

		for (int k = 0; k < K; k++, p += GS_NR) {
			memcpy(p, B + (size_t)k * ldb + j0, nc * sizeof(float));
			for (int j = nc; j < GS_NR; j++)
				p[j] = 0.0f;
		}
	}
}

/* Bp := Bt^T packed, where Bt is N x K (row-major, leading dimension ldt):
 * the K x N matrix op(B) = Bt^T. */
static inline void gs_pack_t(float *Bp, const float *Bt, int K, int N,
			     int ldt)
{
	for (int j0 = 0; j0 < N; j0 += GS_NR) {
		int nc = N - j0 < GS_NR ? N - j0 : GS_NR;
		float *p = Bp + (size_t)j0 * K;

		for (int j = 0; j < GS_NR; j++) {
			const float *src = Bt + (size_t)(j0 + j) * ldt;

			if (j < nc)
				for (int k = 0; k < K; k++)
					p[(size_t)k * GS_NR + j] = src[k];
			else
				for (int k = 0; k < K; k++)
					p[(size_t)k * GS_NR + j] = 0.0f;
		}
	}
}

/* Row blocks of at most GS_MR, spread evenly: block i of nblk starts at
 * *r0 and has the returned count of rows. */
static inline int gs_rows(int M, int i, int nblk, int *r0)
{
	int base = M / nblk, extra = M % nblk;

	*r0 = i * base + (i < extra ? i : extra);
	return base + (i < extra);
}

/* ---- plain C ---- */

GS_INLINE void gs_kern_c(const int mr, int K, const float *A, int lda,
			 const float *bp, float beta, float *C, int ldc,
			 int nc)
{
	float acc[GS_MR][GS_NR];

	for (int r = 0; r < mr; r++)
		for (int j = 0; j < GS_NR; j++)
			acc[r][j] = 0.0f;
	for (int k = 0; k < K; k++, bp += GS_NR)
		for (int r = 0; r < mr; r++) {
			float a = A[(size_t)r * lda + k];

			for (int j = 0; j < GS_NR; j++)
				acc[r][j] += a * bp[j];
		}
	for (int r = 0; r < mr; r++) {
		float *c = C + (size_t)r * ldc;

		if (beta == 0.0f)
			for (int j = 0; j < nc; j++)
				c[j] = acc[r][j];
		else
			for (int j = 0; j < nc; j++)
				c[j] = beta * c[j] + acc[r][j];
	}
}

static inline void gs_gemm_generic(int M, int N, int K, const float *A,
				   int lda, const float *Bp, float beta,
				   float *C, int ldc)
{
	int nblk = (M + GS_MR - 1) / GS_MR;

	for (int j0 = 0; j0 < N; j0 += GS_NR) {
		int nc = N - j0 < GS_NR ? N - j0 : GS_NR;
		const float *bp = Bp + (size_t)j0 * K;

		for (int i = 0; i < nblk; i++) {
			int r0, mr = gs_rows(M, i, nblk, &r0);
			const float *a = A + (size_t)r0 * lda;
			float *c = C + (size_t)r0 * ldc + j0;

			switch (mr) {
			case 1: gs_kern_c(1, K, a, lda, bp, beta, c, ldc, nc); break;
			case 2: gs_kern_c(2, K, a, lda, bp, beta, c, ldc, nc); break;
			case 3: gs_kern_c(3, K, a, lda, bp, beta, c, ldc, nc); break;
			case 4: gs_kern_c(4, K, a, lda, bp, beta, c, ldc, nc); break;
			case 5: gs_kern_c(5, K, a, lda, bp, beta, c, ldc, nc); break;
			default: gs_kern_c(6, K, a, lda, bp, beta, c, ldc, nc); break;
			}
		}
	}
}

/* ---- AVX2 + FMA ---- */

#ifdef GS_AVX2
GS_INLINE void gs_store8(float *c, __m256 acc, float beta)
{
	if (beta == 0.0f)
		_mm256_storeu_ps(c, acc);
	else if (beta == 1.0f)
		_mm256_storeu_ps(c, _mm256_add_ps(_mm256_loadu_ps(c), acc));
	else
		_mm256_storeu_ps(c, _mm256_fmadd_ps(_mm256_set1_ps(beta),
						    _mm256_loadu_ps(c), acc));
}

/* mr (1..6, a constant after inlining) rows x 16 columns of C. */
GS_INLINE void gs_kern_avx2(const int mr, int K, const float *A, int lda,
			    const float *bp, float beta, float *C, int ldc,
			    int nc)
{
	__m256 c0[GS_MR], c1[GS_MR];
	int k = 0;

	for (int r = 0; r < mr; r++)
		c0[r] = c1[r] = _mm256_setzero_ps();
#define GS_STEP(kk)                                                         \
	do {                                                                \
		__m256 b0 = _mm256_load_ps(bp + (kk) * GS_NR);              \
		__m256 b1 = _mm256_load_ps(bp + (kk) * GS_NR + 8);          \
		for (int r = 0; r < mr; r++) {                              \
			__m256 a = _mm256_broadcast_ss(A + (size_t)r * lda + \
						       k + (kk));           \
			c0[r] = _mm256_fmadd_ps(a, b0, c0[r]);              \
			c1[r] = _mm256_fmadd_ps(a, b1, c1[r]);              \
		}                                                           \
	} while (0)
	for (; k + 4 <= K; k += 4, bp += 4 * GS_NR) {
		GS_STEP(0);
		GS_STEP(1);
		GS_STEP(2);
		GS_STEP(3);
	}
	for (; k < K; k++, bp += GS_NR)
		GS_STEP(0);
#undef GS_STEP
	if (nc == GS_NR) {
		for (int r = 0; r < mr; r++) {
			gs_store8(C + (size_t)r * ldc, c0[r], beta);
			gs_store8(C + (size_t)r * ldc + 8, c1[r], beta);
		}
		return;
	}
	for (int r = 0; r < mr; r++) {
		float t[GS_NR], *c = C + (size_t)r * ldc;

		_mm256_storeu_ps(t, c0[r]);
		_mm256_storeu_ps(t + 8, c1[r]);
		if (beta == 0.0f)
			for (int j = 0; j < nc; j++)
				c[j] = t[j];
		else
			for (int j = 0; j < nc; j++)
				c[j] = __builtin_fmaf(beta, c[j], t[j]);
	}
}

static inline void gs_gemm_avx2(int M, int N, int K, const float *A, int lda,
				const float *Bp, float beta, float *C, int ldc)
{
	int nblk = (M + GS_MR - 1) / GS_MR;

	for (int j0 = 0; j0 < N; j0 += GS_NR) {
		int nc = N - j0 < GS_NR ? N - j0 : GS_NR;
		const float *bp = Bp + (size_t)j0 * K;

		for (int i = 0; i < nblk; i++) {
			int r0, mr = gs_rows(M, i, nblk, &r0);
			const float *a = A + (size_t)r0 * lda;
			float *c = C + (size_t)r0 * ldc + j0;

			switch (mr) {
			case 1: gs_kern_avx2(1, K, a, lda, bp, beta, c, ldc, nc); break;
			case 2: gs_kern_avx2(2, K, a, lda, bp, beta, c, ldc, nc); break;
			case 3: gs_kern_avx2(3, K, a, lda, bp, beta, c, ldc, nc); break;
			case 4: gs_kern_avx2(4, K, a, lda, bp, beta, c, ldc, nc); break;
			case 5: gs_kern_avx2(5, K, a, lda, bp, beta, c, ldc, nc); break;
			default: gs_kern_avx2(6, K, a, lda, bp, beta, c, ldc, nc); break;
			}
		}
	}
}
#endif

/* C (M x N, ldc) = beta C + A (M x K, lda) * Bp (packed K x N). */
static inline void gs_gemm(int M, int N, int K, const float *A, int lda,
			   const float *Bp, float beta, float *C, int ldc)
{
	if (M <= 0 || N <= 0)
		return;
#ifdef GS_AVX2
	gs_gemm_avx2(M, N, K, A, lda, Bp, beta, C, ldc);
#else
	gs_gemm_generic(M, N, K, A, lda, Bp, beta, C, ldc);
#endif
}

#endif
