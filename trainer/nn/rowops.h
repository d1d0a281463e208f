/*
 * rowops.h - the row-major matrix helpers the model's kernels share
 * (model.c, softmax.c, adaptive.c): one CBLAS call shape, and the loops
 * that broadcast, sum and scatter rows.
 */
#ifndef ENGRAM_ROWOPS_H
#define ENGRAM_ROWOPS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cblas.h>

/* C := op(A) op(B) + beta C, row-major, leading dims from the shapes. */
static inline void ro_gemm(int ta, int tb, int M, int N, int K, const float *A,
			   const float *Bm, float beta, float *C)
{
	cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,
		    tb ? CblasTrans : CblasNoTrans, M, N, K, 1.0f,
		    A, ta ? M : K, Bm, tb ? K : N, beta, C, N);
}

/* Every one of rows rows of y (rows x n) set to v (n). */
static inline void ro_fill_rows(float *y, const float *v, size_t rows, int n)
{
	for (size_t r = 0; r < rows; r++)
		memcpy(y + r * n, v, n * sizeof(float));
}

/* g (n) += the column sums of x (rows x n). */
static inline void ro_add_col_sums(float *g, const float *x, size_t rows, int n)
{
	for (size_t r = 0; r < rows; r++)
		for (int j = 0; j < n; j++)
			g[j] += x[r * n + j];
}

/* Row id[r] of y (n wide) += row r of x, for each of rows rows. */
static inline void ro_add_rows_by_id(float *y, const int32_t *id,
				     const float *x, size_t rows, int n)
{
	for (size_t r = 0; r < rows; r++) {
		float *d = y + (size_t)id[r] * n;
		const float *src = x + r * n;

		for (int k = 0; k < n; k++)
			d[k] += src[k];
	}
}

#endif
