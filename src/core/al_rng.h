/* The project's own seeded random numbers: xoshiro256** seeded through splitmix64.
 * Never rand() or the clock: the same (seed, stream) gives the same sequence on
 * every machine. Streams keep initialisation, shuffling and noise independent. */
#ifndef AL_RNG_H
#define AL_RNG_H

#include <stdint.h>

typedef struct al_rng {
  uint64_t s[4];
} al_rng;

/* Independent streams derived from one seed. */
enum {
  AL_STREAM_INIT = 1,    /* weight initialisation */
  AL_STREAM_SHUFFLE = 2, /* per-epoch order of examples */
  AL_STREAM_NOISE = 3,   /* RReLU slopes in training */
  AL_STREAM_DATA = 4     /* random subsets and validation splits */
};

void al_rng_seed(al_rng *r, uint64_t seed, uint64_t stream);
uint64_t al_rng_next(al_rng *r);
/* Uniform in [0, 1) with 24 random bits (every value exactly representable). */
float al_rng_uniform(al_rng *r);
/* Uniform in [0, 1) with 53 random bits. */
double al_rng_uniform_double(al_rng *r);
/* Standard normal (Box-Muller on doubles, no cached second value). */
float al_rng_normal(al_rng *r);
/* Uniform integer in [0, n), unbiased; n must be > 0. */
uint32_t al_rng_below(al_rng *r, uint32_t n);
/* Fisher-Yates shuffle of a[0..n). */
void al_rng_shuffle(al_rng *r, int *a, int n);

#endif
