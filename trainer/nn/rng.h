/*
 * rng.h - the project's random numbers: xoshiro256** seeded by splitmix64.
 *
 * Small, fast, with a state of four words that checkpoints can save and
 * restore exactly.  Every consumer (init, dropout, sampling) owns its own
 * rng_t; there is no global generator.
 */
#ifndef ENGRAM_RNG_H
#define ENGRAM_RNG_H

#include <stdint.h>

typedef struct {
	uint64_t s[4];
} rng_t;

static inline uint64_t rng_splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Seed from (seed, stream): different streams (e.g. ranks) are independent. */
static inline void rng_seed(rng_t *r, uint64_t seed, uint64_t stream)
{
	uint64_t x = seed ^ (0xd1b54a32d192ed03ULL * (stream + 1));

	for (int i = 0; i < 4; i++)
		r->s[i] = rng_splitmix64(&x);
}

static inline uint64_t rng_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t rng_u64(rng_t *r)
{
	uint64_t *s = r->s;
	uint64_t out = rng_rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rng_rotl(s[3], 45);
	return out;
}

/* Uniform float in [0, 1) with 24 random bits. */
static inline float rng_float(rng_t *r)
{
	return (float)(rng_u64(r) >> 40) * (1.0f / 16777216.0f);
}

/* Uniform double in [0, 1) with 53 random bits. */
static inline double rng_double(rng_t *r)
{
	return (double)(rng_u64(r) >> 11) * (1.0 / 9007199254740992.0);
}

#endif
