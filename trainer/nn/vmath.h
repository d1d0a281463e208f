/*
 * vmath.h - branch-free exp, sigmoid and tanh for the fast path's
 * elementwise kernels (header only: static inline, no build change).
 *
 * exp: Cody-Waite reduction x = n ln2 + r, |r| <= ln2/2, degree-6
 * polynomial (Cephes expf), 2^n built in the exponent bits; the input is
 * clamped to [-87.3, 88.3], so the result is a normal float (e^-87.3 =
 * 1.2e-38 stands in for anything smaller).  Relative error ~2 ulp.
 * tanh: odd polynomial (Cephes tanhf) below |x| = 0.625, 1 - 2/(e^2|x|+1)
 * above, sign restored: relative error ~2e-7 everywhere, no cancellation
 * near 0.  sigmoid: 1/(1+e^-x).
 *
 * With AVX2+FMA (-march=native on x86-64) 8 lanes at a time; otherwise,
 * and for the tails, the same formulas one float at a time, so a value's
 * result does not depend on its position.
 */
#ifndef ENGRAM_VMATH_H
#define ENGRAM_VMATH_H

#include <stdint.h>
#include <string.h>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define VMATH_AVX2 1
#endif

#define VM_EXP_HI 88.3f
#define VM_EXP_LO -87.3f
#define VM_LOG2E 1.44269504088896341f
#define VM_LN2_HI 0.693359375f
#define VM_LN2_LO -2.12194440e-4f
#define VM_P0 1.9875691500e-4f
#define VM_P1 1.3981999507e-3f
#define VM_P2 8.3334519073e-3f
#define VM_P3 4.1665795894e-2f
#define VM_P4 1.6666665459e-1f
#define VM_P5 5.0000001201e-1f
#define VM_T0 -5.70498872745e-3f
#define VM_T1 2.06390887954e-2f
#define VM_T2 -5.37397155531e-2f
#define VM_T3 1.33314422036e-1f
#define VM_T4 -3.33332819422e-1f

static inline float vm_exp1(float x)
{
	float n, r, p;
	int32_t e;
	uint32_t bits;
	float s;

	x = x > VM_EXP_HI ? VM_EXP_HI : x;
	x = x < VM_EXP_LO ? VM_EXP_LO : x;
	n = __builtin_rintf(x * VM_LOG2E);
	r = __builtin_fmaf(n, -VM_LN2_HI, x);
	r = __builtin_fmaf(n, -VM_LN2_LO, r);
	p = __builtin_fmaf(VM_P0, r, VM_P1);
	p = __builtin_fmaf(p, r, VM_P2);
	p = __builtin_fmaf(p, r, VM_P3);
	p = __builtin_fmaf(p, r, VM_P4);
	p = __builtin_fmaf(p, r, VM_P5);
	p = __builtin_fmaf(p, r * r, r) + 1.0f;
	e = (int32_t)n + 127;
	bits = (uint32_t)e << 23;
	memcpy(&s, &bits, sizeof(s));
	return p * s;
}

static inline float vm_sigm1(float x)
{
	return 1.0f / (1.0f + vm_exp1(-x));
}

static inline float vm_tanh1(float x)
{
	float a = x < 0.0f ? -x : x, z, y;

	if (a < 0.625f) {
		z = x * x;
		y = __builtin_fmaf(VM_T0, z, VM_T1);
		y = __builtin_fmaf(y, z, VM_T2);
		y = __builtin_fmaf(y, z, VM_T3);
		y = __builtin_fmaf(y, z, VM_T4);
		return __builtin_fmaf(y * z, x, x);
	}
	y = 1.0f - 2.0f / (vm_exp1(2.0f * a) + 1.0f);
	return x < 0.0f ? -y : y;
}

#ifdef VMATH_AVX2
static inline __m256 vm_exp8(__m256 x)
{
	__m256 n, r, p, s;
	__m256i e;

	x = _mm256_min_ps(x, _mm256_set1_ps(VM_EXP_HI));
	x = _mm256_max_ps(x, _mm256_set1_ps(VM_EXP_LO));
	n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(VM_LOG2E)),
			    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
	r = _mm256_fmadd_ps(n, _mm256_set1_ps(-VM_LN2_HI), x);
	r = _mm256_fmadd_ps(n, _mm256_set1_ps(-VM_LN2_LO), r);
	p = _mm256_fmadd_ps(_mm256_set1_ps(VM_P0), r, _mm256_set1_ps(VM_P1));
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(VM_P2));
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(VM_P3));
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(VM_P4));
	p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(VM_P5));
	p = _mm256_add_ps(_mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r),
			  _mm256_set1_ps(1.0f));
	e = _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127));
	s = _mm256_castsi256_ps(_mm256_slli_epi32(e, 23));
	return _mm256_mul_ps(p, s);
}

static inline __m256 vm_sigm8(__m256 x)
{
	__m256 one = _mm256_set1_ps(1.0f);

	return _mm256_div_ps(one, _mm256_add_ps(one, vm_exp8(_mm256_sub_ps(
						     _mm256_setzero_ps(), x))));
}

static inline __m256 vm_tanh8(__m256 x)
{
	__m256 sign = _mm256_set1_ps(-0.0f);
	__m256 a = _mm256_andnot_ps(sign, x), z, y, big;
	__m256 one = _mm256_set1_ps(1.0f);

	z = _mm256_mul_ps(x, x);
	y = _mm256_fmadd_ps(_mm256_set1_ps(VM_T0), z, _mm256_set1_ps(VM_T1));
	y = _mm256_fmadd_ps(y, z, _mm256_set1_ps(VM_T2));
	y = _mm256_fmadd_ps(y, z, _mm256_set1_ps(VM_T3));
	y = _mm256_fmadd_ps(y, z, _mm256_set1_ps(VM_T4));
	y = _mm256_fmadd_ps(_mm256_mul_ps(y, z), x, x);
	big = _mm256_sub_ps(one, _mm256_div_ps(_mm256_set1_ps(2.0f),
			_mm256_add_ps(vm_exp8(_mm256_add_ps(a, a)), one)));
	big = _mm256_or_ps(big, _mm256_and_ps(sign, x));
	return _mm256_blendv_ps(y, big,
				_mm256_cmp_ps(a, _mm256_set1_ps(0.625f),
					      _CMP_GE_OQ));
}
#endif

#endif
