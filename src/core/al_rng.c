/* xoshiro256** (Blackman and Vigna, "Scrambled linear pseudorandom number generators")
 * seeded through splitmix64, written from the published description. */
#include <math.h>
#include <stddef.h>

#include "al_rng.h"

static uint64_t rotl(uint64_t x, int k)
{
  return (x << k) | (x >> (64 - k));
}

/* One step of splitmix64: advance the Weyl sequence, then mix the new state. */
static uint64_t splitmix64(uint64_t *x)
{
  uint64_t z = (*x += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

/* The stream number is mixed into a 64-bit offset and XORed into the seed, so
 * streams of one seed start splitmix64 at unrelated points (a plain seed + stream
 * would make stream s of seed k the same as stream s-1 of seed k+1). The mixer is a
 * bijection, so four consecutive outputs are never all zero, the one state
 * xoshiro must avoid. */
void al_rng_seed(al_rng *r, uint64_t seed, uint64_t stream)
{
  if (r == NULL)
    return;
  uint64_t t = stream;
  uint64_t x = seed ^ splitmix64(&t);
  for (int i = 0; i < 4; i++)
    r->s[i] = splitmix64(&x);
}

uint64_t al_rng_next(al_rng *r)
{
  uint64_t *s = r->s;
  const uint64_t result = rotl(s[1] * 5, 7) * 9;
  const uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

/* The top bits are the best ones of xoshiro256**; k bits times 2^-k is exact. */
float al_rng_uniform(al_rng *r)
{
  return (float)(al_rng_next(r) >> 40) * 0x1.0p-24f;
}

double al_rng_uniform_double(al_rng *r)
{
  return (double)(al_rng_next(r) >> 11) * 0x1.0p-53;
}

/* 1 - u lies in (0, 1], so the logarithm never sees 0. */
float al_rng_normal(al_rng *r)
{
  const double two_pi = 6.283185307179586476925286766559;
  double u1 = 1.0 - al_rng_uniform_double(r);
  double u2 = al_rng_uniform_double(r);
  return (float)(sqrt(-2.0 * log(u1)) * cos(two_pi * u2));
}

/* Draws below 2^32 mod n are rejected, leaving a range that is a multiple of n, so
 * x % n is exactly uniform. Less than half the draws are rejected in the worst case.
 * n = 0 (a caller error) returns 0 rather than looping. */
uint32_t al_rng_below(al_rng *r, uint32_t n)
{
  if (n == 0)
    return 0;
  const uint32_t threshold = (uint32_t)(0u - n) % n; /* 2^32 mod n */
  for (;;) {
    uint32_t x = (uint32_t)(al_rng_next(r) >> 32);
    if (x >= threshold)
      return x % n;
  }
}

/* Durstenfeld's form of Fisher-Yates: position i takes a uniform pick of a[0..i]. */
void al_rng_shuffle(al_rng *r, int *a, int n)
{
  if (a == NULL || n < 2)
    return;
  for (int i = n - 1; i > 0; i--) {
    int j = (int)al_rng_below(r, (uint32_t)i + 1u);
    int tmp = a[i];
    a[i] = a[j];
    a[j] = tmp;
  }
}
