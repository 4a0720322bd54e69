/* The properties the literature asks of an activation, measured numerically through
 * a table row's array kernels (so rows defined outside the core, whose kernels call
 * a script, are measured the same way as the built-in ones). */
#ifndef AL_PROPS_H
#define AL_PROPS_H

#include "al_act.h"
#include "al_err.h"

/* How f is sampled: a grid of step 0.01 over [−10, 10] that includes 0, every declared
 * kink (al_act_kinks, wherever it lies) with a neighbour on each side at the grid's
 * spacing (scaled as |x|/10 beyond 10), and far points ±1e2, ±1e3, ±1e4, ±1e6.
 *
 * Range: the smallest and largest value sampled, widened to f's limits at ±∞. A tail
 * keeps growing (the bound is ±INFINITY) when f changes over [1e4, 1e6] by more than
 * 1e-5 relative and by no less than it did over [1e3, 1e4] (x, log x); otherwise it has
 * settled, and its limit is f(±1e6) rounded to the shortest decimal within
 * min(|f(±1e6) − f(±1e4)|, 1e-3·max(1, |f(±1e6)|)): exact where float reaches the
 * limit by 1e6 (sigmoid, tanh, elu), and for limits approached like 1/x (softsign
 * gives 0.999999, rounded to 1). A limit approached that slowly but not a short
 * decimal is reported as f(±1e6), an estimate. A bound is open when it is such a
 * limit and f does not reach it at a kink, beside one, or at a sampled finite point
 * where f′ = 0 (sigmoid's 0 is open; relu's 0 is reached on a flat piece and closed;
 * tanh's ±1, which float reaches by x = 10 while f′ is still positive, stays open). */
typedef struct al_act_props {
  int continuous;        /* f finite on the grid, no jump on [−10, 10] or at a kink */
  int monotonic;         /* never decreasing, or never increasing, over every sample */
  int nonlinear;         /* not affine: off the chord through f(−10), f(10) */
  int differentiable;    /* one-sided slopes agree at every grid point and kink */
  double lo, hi;         /* the range; ±INFINITY when f grows without bound */
  int lo_open, hi_open;  /* the bound is a limit at ±∞ that f never reaches (or infinite) */
  int zero_centred;      /* f(0) = 0 and f takes both signs (tanh yes; sigmoid, relu no) */
  double max_derivative; /* largest f′ on the grid and at the floats beside each kink,
                            so a supremum approached at a kink counts (hardswish: f′ → 1.5
                            as x → 3⁻, while f′(3) = 1 by convention) */
} al_act_props;

/* Measures a with parameters p (NULL: the defaults; otherwise checked as
 * al_act_check_params does). Row-wise activations (softmax) have no elementwise
 * properties: AL_ERR_ARG. Calls a's forward and derivative kernels on a few thousand
 * points, with scratch memory that is freed before it returns. */
al_status al_act_properties(al_act_props *out, const al_act *a, const float *p, al_err *err);

#endif
