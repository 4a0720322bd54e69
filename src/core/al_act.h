/* The activation table: one row per activation function, iterated by lookup,
 * validation, listings, documentation, plots and the gradient tests.
 * Adding an activation is one row in al_act.c plus its reference values in
 * tests/c/test_act.c. */
#ifndef AL_ACT_H
#define AL_ACT_H

#include <stddef.h>
#include "al_err.h"

#define AL_ACT_MAX_PARAMS 3

enum al_act_flags {
  AL_ACT_ROWWISE = 1u << 0,    /* f depends on the whole row (softmax): no elementwise f' */
  AL_ACT_OUTPUT = 1u << 1,     /* for output layers only */
  AL_ACT_TRAINABLE = 1u << 2,  /* its first parameter is learned (prelu's alpha) */
  AL_ACT_STOCHASTIC = 1u << 3, /* training draws noise (rrelu); evaluation is deterministic */
  AL_ACT_RELU_LIKE = 1u << 4,  /* diagnostics count dead units (never positive) */
  AL_ACT_SATURATING = 1u << 5  /* diagnostics count saturated units (|f'| < 1e-3) */
};

typedef struct al_act_param {
  const char *name;
  float def;       /* default value */
  float lo, hi;    /* valid closed range; values must also be finite */
  int integer;     /* 1: only whole numbers (flags such as straight_through) */
  const char *doc;
} al_act_param;

struct al_act;
/* The array kernels below may run in place (an output equal to an input), but
 * an output must never overlap an input at an offset. p may be NULL for rows
 * without parameters. */
/* y = f(x) over a rows × cols block (row-wise activations use the row structure). */
typedef void (*al_act_forward_fn)(const struct al_act *self, float *y, const float *x,
                                  size_t rows, size_t cols, const float *p);
/* d = f'(x) elementwise, given x and y = f(x) (elementwise activations only). */
typedef void (*al_act_deriv_fn)(const struct al_act *self, float *d, const float *x,
                                const float *y, size_t n, const float *p);
/* dx = J(x)ᵀ dy for a rows × cols block, given x, y = f(x) and dy; dx may alias dy. */
typedef void (*al_act_backward_fn)(const struct al_act *self, float *dx, const float *x,
                                   const float *y, const float *dy, size_t rows,
                                   size_t cols, const float *p);

typedef struct al_act {
  const char *name;
  const char *formula;                 /* one line for listings and the docs */
  float (*f)(float x, const float *p); /* scalar forms; NULL for row-wise and custom rows */
  float (*df)(float x, float y, const float *p);
  al_act_forward_fn forward;
  al_act_deriv_fn derivative;          /* NULL for row-wise */
  al_act_backward_fn backward;
  int nparams;
  al_act_param params[AL_ACT_MAX_PARAMS];
  /* Checks relations between parameters (lower ≤ upper ...); returns NULL when
   * fine, else a sentence saying what is expected. May be NULL. */
  const char *(*check)(const float *p);
  unsigned flags;
  int nkinks;                          /* points where f or f' has a corner or jump: */
                                       /* f' there is set by a stated convention */
  float kinks[2];
  void *ctx;                           /* owner's data for rows defined outside the core */
  /* Kinks that move with the parameters (hardtanh's min and max, softplus's
   * threshold/beta), with kinks[] holding those of the defaults; NULL: kinks[]
   * holds them all. Use al_act_kinks. */
  int (*kinks_at)(const float *p, float kinks[2]);
} al_act;

int al_act_count(void);
const al_act *al_act_at(int i);                /* 0 ≤ i < al_act_count() */
const al_act *al_act_find(const char *name);   /* NULL when unknown */
/* Like al_act_find, but an unknown name is an AL_ERR_NAME whose message lists
 * every valid name. */
al_status al_act_lookup(const al_act **out, const char *name, al_err *err);
/* Index of parameter `name` of a, or AL_ERR_NAME listing a's parameters. */
al_status al_act_param_index(int *idx, const al_act *a, const char *name, al_err *err);
void al_act_defaults(const al_act *a, float p[AL_ACT_MAX_PARAMS]);
/* Every parameter finite, in range, whole where required, and a->check happy. */
al_status al_act_check_params(const al_act *a, const float *p, al_err *err);
/* The kinks of a with parameters p (NULL: the defaults); returns how many. */
int al_act_kinks(float kinks[2], const al_act *a, const float *p);

/* Step's surrogate gradient (off by default): straight_through = 1 gives f' = 1
 * on |x| ≤ 1; surrogate_k = k > 0 gives f' = k·σ(kx)(1 − σ(kx)). */

#endif
