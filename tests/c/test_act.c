/* Tests of the activation table, driven by the table itself: reference values,
 * derivatives against finite differences, kink conventions, stability, the
 * row-wise kernels, lookup and parameter validation. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "al_act.h"

#define NX 7
#define MAXN 256

/* ---- Helpers --------------------------------------------------------------- */

static const al_act *row(const char *name)
{
  const al_act *a = al_act_find(name);
  if (a == NULL) {
    print_error("no activation '%s' in the table\n", name);
    fail();
  }
  return a;
}

static int is_elementwise(const al_act *a)
{
  return !(a->flags & AL_ACT_ROWWISE);
}

/* |got − want| ≤ rel·|want| + abs; NaN never passes. */
static void expect_close(double got, double want, double rel, double abs_tol, const char *name,
                         const char *what, double x)
{
  if (!(fabs(got - want) <= rel * fabs(want) + abs_tol)) {
    print_error("%s: %s at x = %.9g: got %.9g, want %.9g\n", name, what, x, got, want);
    fail();
  }
}

static void expect_substr(const char *msg, const char *part)
{
  if (strstr(msg, part) == NULL) {
    print_error("message \"%s\" lacks \"%s\"\n", msg, part);
    fail();
  }
}

/* A small fixed generator (xorshift64*), so the tests need no other module. */
static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static double uniform(double lo, double hi)
{
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  uint64_t r = rng_state * 0x2545f4914f6cdd1du;
  return lo + (hi - lo) * (double)(r >> 11) * 0x1p-53;
}

/* ---- Reference values ------------------------------------------------------ */

static const float ref_x[NX] = {-3.0f, -1.0f, -0.5f, 0.0f, 0.5f, 1.0f, 3.0f};

/* One entry per row with default parameters (custom = 0) and, for rows with
 * parameters, one with the parameters given. Softmax rows treat the seven points
 * as one row. Produced once by a python3 script written for this purpose, in
 * double precision with the math module and the plain textbook formulas (e.g.
 * sigmoid 1/(1+exp(-x)), gelu x*(1+erf(x/sqrt 2))/2, mish x*tanh(log(1+exp x)),
 * softplus log(1+exp(bx))/b or x when bx > t, hardswish x*min(max(x/6+1/2,0),1),
 * softmax exp(x-max)/sum), printed with %.9g. */
static const struct ref {
  const char *name;
  int custom;
  float p[AL_ACT_MAX_PARAMS];
  double y[NX];
} refs[] = {
  {"identity", 0, {0}, {-3, -1, -0.5, 0, 0.5, 1, 3}},
  {"step", 0, {0}, {0, 0, 0, 0, 1, 1, 1}},
  {"step", 1, {1.0f, 0.0f}, {0, 0, 0, 0, 1, 1, 1}},
  {"sigmoid", 0, {0}, {0.0474258732, 0.268941421, 0.377540669, 0.5, 0.622459331, 0.731058579, 0.952574127}},
  {"tanh", 0, {0}, {-0.995054754, -0.761594156, -0.462117157, 0, 0.462117157, 0.761594156, 0.995054754}},
  {"relu", 0, {0}, {0, 0, 0, 0, 0.5, 1, 3}},
  {"leaky_relu", 0, {0}, {-0.03, -0.01, -0.005, 0, 0.5, 1, 3}},
  {"leaky_relu", 1, {0.2f}, {-0.6, -0.2, -0.1, 0, 0.5, 1, 3}},
  {"prelu", 0, {0}, {-0.75, -0.25, -0.125, 0, 0.5, 1, 3}},
  {"prelu", 1, {-0.1f}, {0.3, 0.1, 0.05, -0, 0.5, 1, 3}},
  {"rrelu", 0, {0}, {-0.6875, -0.229166667, -0.114583333, 0, 0.5, 1, 3}},
  {"rrelu", 1, {0.1f, 0.3f}, {-0.6, -0.2, -0.1, 0, 0.5, 1, 3}},
  {"elu", 0, {0}, {-0.950212932, -0.632120559, -0.39346934, 0, 0.5, 1, 3}},
  {"elu", 1, {0.5f}, {-0.475106466, -0.316060279, -0.19673467, 0, 0.5, 1, 3}},
  {"selu", 0, {0}, {-1.67056873, -1.11133074, -0.691758188, 0, 0.525350494, 1.05070099, 3.15210296}},
  {"celu", 0, {0}, {-0.950212932, -0.632120559, -0.39346934, 0, 0.5, 1, 3}},
  {"celu", 1, {2.0f}, {-1.55373968, -0.786938681, -0.442398434, 0, 0.5, 1, 3}},
  {"gelu", 0, {0}, {-0.00404969409, -0.158655254, -0.154268769, 0, 0.345731231, 0.841344746, 2.99595031}},
  {"gelu_tanh", 0, {0}, {-0.00363739208, -0.158808009, -0.15428599, 0, 0.34571401, 0.841191991, 2.99636261}},
  {"silu", 0, {0}, {-0.14227762, -0.268941421, -0.188770334, 0, 0.311229666, 0.731058579, 2.85772238}},
  {"mish", 0, {0}, {-0.145647461, -0.303401461, -0.220743775, 0, 0.375245211, 0.865098388, 2.986535}},
  {"softplus", 0, {0}, {0.0485873516, 0.313261688, 0.474076984, 0.693147181, 0.974076984, 1.31326169, 3.04858735}},
  {"softplus", 1, {2.0f, 3.0f}, {0.00123784257, 0.0634640055, 0.156630844, 0.34657359, 0.656630844, 1.06346401, 3}},
  {"softsign", 0, {0}, {-0.75, -0.5, -0.333333333, 0, 0.333333333, 0.5, 0.75}},
  {"hardtanh", 0, {0}, {-1, -1, -0.5, 0, 0.5, 1, 1}},
  {"hardtanh", 1, {-0.5f, 2.0f}, {-0.5, -0.5, -0.5, 0, 0.5, 1, 2}},
  {"hardsigmoid", 0, {0}, {0, 0.333333333, 0.416666667, 0.5, 0.583333333, 0.666666667, 1}},
  {"hardswish", 0, {0}, {-0, -0.333333333, -0.208333333, 0, 0.291666667, 0.666666667, 3}},
  {"softmax", 0, {0}, {0.001880408, 0.0138944402, 0.0229080591, 0.0377690043, 0.0622705607, 0.102666798, 0.75861073}},
  {"log_softmax", 0, {0}, {-6.27626651, -4.27626651, -3.77626651, -3.27626651, -2.77626651, -2.27626651, -0.276266506}},
};
#define NREFS ((int)(sizeof refs / sizeof refs[0]))

static void ref_params(float p[AL_ACT_MAX_PARAMS], const al_act *a, const struct ref *r)
{
  if (r->custom)
    memcpy(p, r->p, sizeof r->p);
  else
    al_act_defaults(a, p);
}

/* Every row of the table has reference values with its defaults, and every
 * reference names a row: a new row cannot go untested. */
static void test_every_row_has_reference_values(void **state)
{
  (void)state;
  for (int i = 0; i < al_act_count(); i++) {
    const al_act *a = al_act_at(i);
    int found = 0;
    for (int k = 0; k < NREFS; k++)
      found |= strcmp(refs[k].name, a->name) == 0 && !refs[k].custom;
    if (!found) {
      print_error("%s has no reference values\n", a->name);
      fail();
    }
  }
  for (int k = 0; k < NREFS; k++)
    assert_non_null(row(refs[k].name));
}

/* The forward kernel and the scalar f give the reference values (relative 1e-6),
 * on an array long enough to run both the vector blocks and the scalar tail. */
static void test_forward_matches_reference(void **state)
{
  (void)state;
  enum { REP = 3 };
  for (int k = 0; k < NREFS; k++) {
    const struct ref *r = &refs[k];
    const al_act *a = row(r->name);
    float p[AL_ACT_MAX_PARAMS];
    ref_params(p, a, r);
    assert_int_equal(al_act_check_params(a, p, NULL), AL_OK);
    float x[REP * NX], y[REP * NX];
    for (int i = 0; i < REP * NX; i++)
      x[i] = ref_x[i % NX];
    /* Row-wise rows: REP rows of the seven points; elementwise: one long row. */
    if (is_elementwise(a))
      a->forward(a, y, x, 1, REP * NX, p);
    else
      a->forward(a, y, x, REP, NX, p);
    for (int i = 0; i < REP * NX; i++)
      expect_close(y[i], r->y[i % NX], 1e-6, 1e-12, a->name, "forward", x[i]);
    if (a->f != NULL)
      for (int i = 0; i < NX; i++)
        expect_close(a->f(ref_x[i], p), r->y[i], 1e-6, 1e-12, a->name, "scalar f", ref_x[i]);
  }
}

/* The array kernels compute exactly what the scalar forms do (one definition, two
 * uses), on random points including the vector blocks and the tail. */
static void test_scalar_and_array_forms_agree(void **state)
{
  (void)state;
  enum { N = 53 };
  for (int i = 0; i < al_act_count(); i++) {
    const al_act *a = al_act_at(i);
    if (!is_elementwise(a))
      continue;
    float p[AL_ACT_MAX_PARAMS], x[N], y[N], d[N];
    al_act_defaults(a, p);
    for (int j = 0; j < N; j++)
      x[j] = (float)uniform(-6, 6);
    a->forward(a, y, x, 1, N, p);
    a->derivative(a, d, x, y, N, p);
    for (int j = 0; j < N; j++) {
      expect_close(y[j], a->f(x[j], p), 1e-6, 1e-30, a->name, "forward vs f", x[j]);
      expect_close(d[j], a->df(x[j], y[j], p), 1e-6, 1e-30, a->name, "derivative vs df", x[j]);
    }
  }
}

/* ---- Derivatives ----------------------------------------------------------- */

/* The fourth-order central difference of the float f, in double:
 * (−f(x+2h) + 8f(x+h) − 8f(x−h) + f(x−2h)) / 12h. */
static double finite_difference(const al_act *a, float x, float h, const float *p)
{
  double fp2 = a->f(x + 2 * h, p), fp1 = a->f(x + h, p);
  double fm1 = a->f(x - h, p), fm2 = a->f(x - 2 * h, p);
  return (-fp2 + 8 * fp1 - 8 * fm1 + fm2) / (12.0 * h);
}

static int near_kink(const al_act *a, const float *p, float x, float dist)
{
  float k[2];
  int nk = al_act_kinks(k, a, p);
  for (int i = 0; i < nk; i++)
    if (fabsf(x - k[i]) <= dist)
      return 1;
  return 0;
}

/* The derivative kernel and df match finite differences of f (1e-3 relative or
 * absolute) on x = −4 … 4 in steps of 1/16, away from the kinks, for the defaults
 * and each row's custom parameters. h = 2^-7 keeps every x ± h exact in float. */
static void test_derivative_matches_finite_differences(void **state)
{
  (void)state;
  const float h = 0x1p-7f;
  enum { N = 129 };
  for (int k = 0; k < NREFS; k++) {
    const al_act *a = row(refs[k].name);
    if (!is_elementwise(a))
      continue;
    float p[AL_ACT_MAX_PARAMS], x[N], y[N], d[N];
    ref_params(p, a, &refs[k]);
    /* A surrogate is by design not f', which is 0 (tested in test_step_surrogates). */
    if (strcmp(a->name, "step") == 0 && (p[0] != 0.0f || p[1] != 0.0f))
      continue;
    for (int j = 0; j < N; j++)
      x[j] = -4.0f + (float)j / 16.0f;
    a->forward(a, y, x, 1, N, p);
    a->derivative(a, d, x, y, N, p);
    for (int j = 0; j < N; j++) {
      if (near_kink(a, p, x[j], 2 * h * 1.001f))
        continue;
      double fd = finite_difference(a, x[j], h, p);
      double tol = 1e-3 * fmax(1.0, fabs(fd));
      if (!(fabs(d[j] - fd) <= tol) || !(fabs(a->df(x[j], y[j], p) - fd) <= tol)) {
        print_error("%s%s: f'(%g) = %.7g (df %.7g), finite difference %.7g\n", a->name,
                    refs[k].custom ? " (custom parameters)" : "", (double)x[j], (double)d[j],
                    (double)a->df(x[j], y[j], p), fd);
        fail();
      }
    }
  }
}

/* backward is dy ⊙ derivative for every elementwise row. */
static void test_backward_is_dy_times_derivative(void **state)
{
  (void)state;
  enum { N = 41 };
  for (int i = 0; i < al_act_count(); i++) {
    const al_act *a = al_act_at(i);
    if (!is_elementwise(a))
      continue;
    float p[AL_ACT_MAX_PARAMS], x[N], y[N], d[N], dy[N], dx[N];
    al_act_defaults(a, p);
    for (int j = 0; j < N; j++) {
      x[j] = (float)uniform(-5, 5);
      dy[j] = (float)uniform(-2, 2);
    }
    a->forward(a, y, x, 1, N, p);
    a->derivative(a, d, x, y, N, p);
    a->backward(a, dx, x, y, dy, 1, N, p);
    for (int j = 0; j < N; j++)
      expect_close(dx[j], (double)dy[j] * d[j], 1e-6, 1e-30, a->name, "backward", x[j]);
  }
}

/* Every kernel may run in place: forward with y = x and backward with dx = dy give
 * the same as with separate buffers, for every row. */
static void test_kernels_may_run_in_place(void **state)
{
  (void)state;
  enum { ROWS = 3, COLS = 11, N = ROWS * COLS };
  for (int i = 0; i < al_act_count(); i++) {
    const al_act *a = al_act_at(i);
    float p[AL_ACT_MAX_PARAMS], x[N], y[N], dy[N], dx[N], buf[N];
    al_act_defaults(a, p);
    for (int j = 0; j < N; j++) {
      x[j] = (float)uniform(-4, 4);
      dy[j] = (float)uniform(-1, 1);
    }
    a->forward(a, y, x, ROWS, COLS, p);
    memcpy(buf, x, sizeof x);
    a->forward(a, buf, buf, ROWS, COLS, p);
    assert_memory_equal(buf, y, sizeof y);
    a->backward(a, dx, x, y, dy, ROWS, COLS, p);
    memcpy(buf, dy, sizeof dy);
    a->backward(a, buf, x, y, buf, ROWS, COLS, p);
    assert_memory_equal(buf, dx, sizeof dx);
  }
}

/* ---- Kinks and surrogates -------------------------------------------------- */

/* f' at the kinks, by PyTorch's conventions (hardswish as in PyTorch ≥ 2.7). */
static const struct kink {
  const char *name;
  int custom;
  float p[AL_ACT_MAX_PARAMS];
  float x;
  double df;
} kinks[] = {
  {"step", 0, {0}, 0.0f, 0.0},
  {"step", 1, {1.0f, 0.0f}, 0.0f, 1.0}, /* straight-through */
  {"relu", 0, {0}, 0.0f, 0.0},
  {"leaky_relu", 0, {0}, 0.0f, 0.01},
  {"leaky_relu", 1, {0.2f}, 0.0f, 0.2},
  {"prelu", 0, {0}, 0.0f, 0.25},
  {"prelu", 1, {-0.1f}, 0.0f, -0.1},
  {"rrelu", 0, {0}, 0.0f, (1.0 / 8 + 1.0 / 3) / 2},
  {"rrelu", 1, {0.1f, 0.3f}, 0.0f, 0.2},
  {"elu", 0, {0}, 0.0f, 1.0},
  {"elu", 1, {0.5f}, 0.0f, 0.5},
  {"selu", 0, {0}, 0.0f, 1.0507009873554805 * 1.6732632423543772},
  {"celu", 0, {0}, 0.0f, 1.0}, /* f' is continuous here but has a corner */
  {"celu", 1, {2.0f}, 0.0f, 1.0},
  {"softsign", 0, {0}, 0.0f, 1.0}, /* likewise */
  {"softplus", 0, {0}, 20.0f, 1.0 / (1.0 + 2.061153622438558e-09)}, /* σ(20) */
  {"softplus", 1, {2.0f, 3.0f}, 1.5f, 0.9525741268224334},          /* σ(3): not yet linear */
  {"hardtanh", 0, {0}, -1.0f, 0.0},
  {"hardtanh", 0, {0}, 1.0f, 0.0},
  {"hardtanh", 1, {-0.5f, 2.0f}, -0.5f, 0.0},
  {"hardtanh", 1, {-0.5f, 2.0f}, 2.0f, 0.0},
  {"hardsigmoid", 0, {0}, -3.0f, 0.0},
  {"hardsigmoid", 0, {0}, 3.0f, 0.0},
  {"hardswish", 0, {0}, -3.0f, 0.0},
  {"hardswish", 0, {0}, 3.0f, 1.0},
};
#define NKINKS ((int)(sizeof kinks / sizeof kinks[0]))

/* The derivative kernel (on a block of copies) and df give the conventional value
 * at each kink. */
static void test_kink_values_follow_conventions(void **state)
{
  (void)state;
  enum { N = 17 };
  for (int k = 0; k < NKINKS; k++) {
    const al_act *a = row(kinks[k].name);
    float p[AL_ACT_MAX_PARAMS], x[N], y[N], d[N];
    if (kinks[k].custom)
      memcpy(p, kinks[k].p, sizeof p);
    else
      al_act_defaults(a, p);
    for (int j = 0; j < N; j++)
      x[j] = kinks[k].x;
    a->forward(a, y, x, 1, N, p);
    a->derivative(a, d, x, y, N, p);
    for (int j = 0; j < N; j++)
      expect_close(d[j], kinks[k].df, 1e-6, 0.0, a->name, "f' at kink", x[j]);
    expect_close(a->df(x[0], y[0], p), kinks[k].df, 1e-6, 0.0, a->name, "df at kink", x[0]);
  }
}

/* Every kink a row declares (defaults and the custom parameters of the reference
 * table) has its convention in the table above. */
static void test_every_kink_has_a_convention(void **state)
{
  (void)state;
  for (int r = 0; r < NREFS; r++) {
    const al_act *a = row(refs[r].name);
    float p[AL_ACT_MAX_PARAMS], ks[2];
    ref_params(p, a, &refs[r]);
    int nk = al_act_kinks(ks, a, p);
    for (int i = 0; i < nk; i++) {
      int found = 0;
      for (int k = 0; k < NKINKS; k++) {
        float q[AL_ACT_MAX_PARAMS];
        if (kinks[k].custom)
          memcpy(q, kinks[k].p, sizeof q);
        else
          al_act_defaults(a, q);
        found |= strcmp(kinks[k].name, a->name) == 0 && kinks[k].x == ks[i] &&
                 memcmp(q, p, sizeof q) == 0;
      }
      if (!found) {
        print_error("%s: no convention tested for the kink at %g\n", a->name, (double)ks[i]);
        fail();
      }
    }
  }
}

/* Kinks move with the parameters where they should. */
static void test_kinks_follow_parameters(void **state)
{
  (void)state;
  float ks[2];
  const float ht[AL_ACT_MAX_PARAMS] = {-0.5f, 2.0f, 0.0f};
  assert_int_equal(al_act_kinks(ks, row("hardtanh"), ht), 2);
  assert_true(ks[0] == -0.5f && ks[1] == 2.0f);
  assert_int_equal(al_act_kinks(ks, row("hardtanh"), NULL), 2);
  assert_true(ks[0] == -1.0f && ks[1] == 1.0f);
  const float sp[AL_ACT_MAX_PARAMS] = {2.0f, 3.0f, 0.0f};
  assert_int_equal(al_act_kinks(ks, row("softplus"), sp), 1);
  assert_true(ks[0] == 1.5f);
  assert_int_equal(al_act_kinks(ks, row("relu"), NULL), 1);
  assert_true(ks[0] == 0.0f);
  assert_int_equal(al_act_kinks(ks, row("sigmoid"), NULL), 0);
}

/* Step's derivative is 0 everywhere by default; straight_through gives 1 on the
 * closed interval [−1, 1]; surrogate_k = k gives k·σ(kx)(1 − σ(kx)) (evaluated
 * here in double). The forward is the step in every case. */
static void test_step_surrogates(void **state)
{
  (void)state;
  const al_act *a = row("step");
  enum { N = 9 };
  const float x[N] = {-3.0f, -1.5f, -1.0f, -0.5f, 0.0f, 0.5f, 1.0f, 1.5f, 3.0f};
  const double st_want[N] = {0, 0, 1, 1, 1, 1, 1, 0, 0};
  float y[N], d[N];
  const float off[AL_ACT_MAX_PARAMS] = {0.0f, 0.0f, 0.0f};
  const float st[AL_ACT_MAX_PARAMS] = {1.0f, 0.0f, 0.0f};
  const float sk[AL_ACT_MAX_PARAMS] = {0.0f, 4.0f, 0.0f};
  assert_int_equal(al_act_check_params(a, st, NULL), AL_OK);
  assert_int_equal(al_act_check_params(a, sk, NULL), AL_OK);

  a->forward(a, y, x, 1, N, off);
  a->derivative(a, d, x, y, N, off);
  for (int i = 0; i < N; i++) {
    assert_true(y[i] == (x[i] > 0 ? 1.0f : 0.0f));
    assert_true(d[i] == 0.0f);
  }
  a->forward(a, y, x, 1, N, st);
  a->derivative(a, d, x, y, N, st);
  for (int i = 0; i < N; i++) {
    assert_true(y[i] == (x[i] > 0 ? 1.0f : 0.0f));
    expect_close(d[i], st_want[i], 0.0, 0.0, "step", "straight-through f'", x[i]);
  }
  a->forward(a, y, x, 1, N, sk);
  a->derivative(a, d, x, y, N, sk);
  for (int i = 0; i < N; i++) {
    assert_true(y[i] == (x[i] > 0 ? 1.0f : 0.0f));
    double s = 1.0 / (1.0 + exp(-4.0 * x[i]));
    expect_close(d[i], 4.0 * s * (1.0 - s), 1e-6, 1e-12, "step", "sigmoid surrogate f'", x[i]);
    expect_close(a->df(x[i], y[i], sk), 4.0 * s * (1.0 - s), 1e-6, 1e-12, "step",
                 "sigmoid surrogate df", x[i]);
  }
}

/* ---- Stability ------------------------------------------------------------- */

/* At x = ±1000 every elementwise row's f and f' are finite, and the saturating
 * ones reach their limits exactly. */
static void test_large_inputs_stay_finite(void **state)
{
  (void)state;
  const float x[4] = {-1000.0f, -100.0f, 100.0f, 1000.0f};
  for (int i = 0; i < al_act_count(); i++) {
    const al_act *a = al_act_at(i);
    if (!is_elementwise(a))
      continue;
    float p[AL_ACT_MAX_PARAMS], y[4], d[4];
    al_act_defaults(a, p);
    a->forward(a, y, x, 1, 4, p);
    a->derivative(a, d, x, y, 4, p);
    for (int j = 0; j < 4; j++) {
      if (!isfinite(y[j]) || !isfinite(d[j])) {
        print_error("%s at %g: f = %g, f' = %g\n", a->name, (double)x[j], (double)y[j],
                    (double)d[j]);
        fail();
      }
    }
  }
  const al_act *s = row("sigmoid"), *t = row("tanh");
  assert_true(s->f(-1000.0f, NULL) == 0.0f);
  assert_true(s->f(1000.0f, NULL) == 1.0f);
  assert_true(s->f(-80.0f, NULL) > 0.0f); /* e^-80 ≈ 1.8e-35 is still a float */
  assert_true(t->f(-1000.0f, NULL) == -1.0f);
  assert_true(t->f(1000.0f, NULL) == 1.0f);
  assert_true(row("elu")->f(-1000.0f, (const float[]){1.0f}) == -1.0f);
  assert_true(row("softplus")->f(1000.0f, (const float[]){1.0f, 20.0f}) == 1000.0f);
  assert_true(row("softplus")->f(-1000.0f, (const float[]){1.0f, 20.0f}) == 0.0f);
}

/* Closed forms in double for the sweep below (default parameters). */
static double d_sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }
static double d_sigmoid_df(double x) { return d_sigmoid(x) * d_sigmoid(-x); }
static double d_tanh(double x) { return tanh(x); }
static double d_tanh_df(double x) { return 1.0 / (cosh(x) * cosh(x)); }
static double d_elu(double x) { return x > 0 ? x : expm1(x); }
static double d_elu_df(double x) { return x > 0 ? 1.0 : exp(x); }
static double d_selu(double x) { return 1.0507009873554805 * (x > 0 ? x : 1.6732632423543772 * expm1(x)); }
static double d_selu_df(double x) { return 1.0507009873554805 * (x > 0 ? 1.0 : 1.6732632423543772 * exp(x)); }
static double d_silu(double x) { return x * d_sigmoid(x); }
static double d_silu_df(double x) { return d_sigmoid(x) + x * d_sigmoid_df(x); }
static double d_mish(double x) { return x * tanh(log1p(exp(x))); }
static double d_mish_df(double x)
{
  double t = tanh(log1p(exp(x)));
  return t + x * (1.0 - t * t) * d_sigmoid(x);
}
static double d_softplus(double x) { return x > 20 ? x : log1p(exp(x)); }
static double d_softplus_df(double x) { return x > 20 ? 1.0 : d_sigmoid(x); }
static double d_gelu(double x) { return 0.5 * x * erfc(-x / sqrt(2.0)); }
static double d_gelu_df(double x)
{
  return 0.5 * erfc(-x / sqrt(2.0)) + x * exp(-0.5 * x * x) / sqrt(2.0 * 3.14159265358979323846);
}
/* (1 + tanh u)/2 written as 1/(1 + e^{−2u}): 1 + tanh u is 0 in double once x < −9. */
static double d_gelu_tanh(double x)
{
  double u = sqrt(2.0 / 3.14159265358979323846) * (x + 0.044715 * x * x * x);
  return x / (1.0 + exp(-2.0 * u));
}
static double d_gelu_tanh_df(double x)
{
  double c = sqrt(2.0 / 3.14159265358979323846), u = c * (x + 0.044715 * x * x * x);
  return 0.5 * (1.0 + tanh(u)) + 0.5 * x * c * (1.0 + 3 * 0.044715 * x * x) / (cosh(u) * cosh(u));
}

/* Over a dense sweep of −30 … 30 and ±10^-1 … ±10^-12 the exponential rows stay
 * within 2e-6 relative of their closed forms in double, and their derivatives
 * within 1e-5: far into the tails (where 1 − σ and 1 − tanh² must not be formed
 * from a rounded y) and very close to 0 (where tanh, elu and celu need e^x − 1
 * without cancellation). The gelus' far left tails (below 1e-12) are checked
 * absolutely: there rounding the argument of erfc or σ to float alone moves the
 * result by more than 2e-6. Derivatives that cross 0 (silu, mish, the gelus) get
 * an absolute 1e-6 too. */
static void test_dense_sweep_matches_closed_forms(void **state)
{
  (void)state;
  static const struct {
    const char *name;
    double (*f)(double), (*df)(double);
    double abs_f, abs_df;
  } forms[] = {
    {"sigmoid", d_sigmoid, d_sigmoid_df, 1e-37, 1e-37},
    {"tanh", d_tanh, d_tanh_df, 1e-37, 1e-37},
    {"elu", d_elu, d_elu_df, 1e-37, 1e-37},
    {"celu", d_elu, d_elu_df, 1e-37, 1e-37},
    {"selu", d_selu, d_selu_df, 1e-37, 1e-37},
    {"silu", d_silu, d_silu_df, 1e-37, 1e-6},
    {"mish", d_mish, d_mish_df, 1e-37, 1e-6},
    {"softplus", d_softplus, d_softplus_df, 1e-37, 1e-37},
    {"gelu", d_gelu, d_gelu_df, 1e-12, 1e-6},
    {"gelu_tanh", d_gelu_tanh, d_gelu_tanh_df, 1e-12, 1e-6},
  };
  enum { N = 1201 + 2 * 12 };
  static float x[N], y[N], d[N];
  int n = 0;
  for (int j = 0; j <= 1200; j++)
    x[n++] = (float)(-30.0 + j * 0.05);
  for (int e = 1; e <= 12; e++) {
    x[n++] = (float)pow(10.0, -e);
    x[n++] = (float)-pow(10.0, -e);
  }
  for (size_t k = 0; k < sizeof forms / sizeof forms[0]; k++) {
    const al_act *a = row(forms[k].name);
    float p[AL_ACT_MAX_PARAMS];
    al_act_defaults(a, p);
    a->forward(a, y, x, 1, (size_t)n, p);
    a->derivative(a, d, x, y, (size_t)n, p);
    for (int j = 0; j < n; j++) {
      expect_close(y[j], forms[k].f(x[j]), 2e-6, forms[k].abs_f, a->name, "sweep f", x[j]);
      expect_close(d[j], forms[k].df(x[j]), 1e-5, forms[k].abs_df, a->name, "sweep f'", x[j]);
    }
  }
}

/* A NaN input gives a NaN output in every row, so divergence is never hidden. */
static void test_nan_propagates(void **state)
{
  (void)state;
  enum { N = 3 };
  for (int i = 0; i < al_act_count(); i++) {
    const al_act *a = al_act_at(i);
    float p[AL_ACT_MAX_PARAMS], x[N] = {0.5f, NAN, -0.5f}, y[N];
    al_act_defaults(a, p);
    a->forward(a, y, x, 1, N, p);
    if (!isnan(y[1])) {
      print_error("%s(NaN) = %g\n", a->name, (double)y[1]);
      fail();
    }
  }
}

/* ---- Row-wise rows --------------------------------------------------------- */

/* softmax of [1000, 999, 0] is [1/(1+e^-1), e^-1/(1+e^-1), e^-1000/…] without
 * overflow; log_softmax is [−log(1+e^-1), −1 − log(1+e^-1), −1000 − log(1+e^-1)]
 * (python3, double). */
static void test_softmax_extreme_row(void **state)
{
  (void)state;
  const float x[3] = {1000.0f, 999.0f, 0.0f};
  const double sm[3] = {0.7310585786300049, 0.2689414213699951, 0.0};
  const double lsm[3] = {-0.31326168751822286, -1.3132616875182228, -1000.3132616875182};
  float y[3];
  const al_act *s = row("softmax"), *l = row("log_softmax");
  s->forward(s, y, x, 1, 3, NULL);
  for (int i = 0; i < 3; i++)
    expect_close(y[i], sm[i], 1e-6, 1e-30, "softmax", "extreme row", x[i]);
  l->forward(l, y, x, 1, 3, NULL);
  for (int i = 0; i < 3; i++)
    expect_close(y[i], lsm[i], 1e-6, 0.0, "log_softmax", "extreme row", x[i]);
}

/* Each softmax row sums to 1 and log_softmax is the log of softmax, on random
 * rows of several widths. */
static void test_softmax_rows_sum_to_one_and_log_agrees(void **state)
{
  (void)state;
  const al_act *s = row("softmax"), *l = row("log_softmax");
  const size_t widths[] = {1, 2, 10, 17, 40};
  for (size_t w = 0; w < sizeof widths / sizeof widths[0]; w++) {
    enum { ROWS = 4 };
    size_t cols = widths[w];
    float x[ROWS * 40], y[ROWS * 40], ly[ROWS * 40];
    for (size_t i = 0; i < ROWS * cols; i++)
      x[i] = (float)uniform(-10, 10);
    s->forward(s, y, x, ROWS, cols, NULL);
    l->forward(l, ly, x, ROWS, cols, NULL);
    for (size_t r = 0; r < ROWS; r++) {
      double sum = 0;
      for (size_t j = 0; j < cols; j++) {
        sum += y[r * cols + j];
        expect_close(ly[r * cols + j], log(y[r * cols + j]), 1e-6, 1e-5, "log_softmax",
                     "log of softmax", x[r * cols + j]);
      }
      expect_close(sum, 1.0, 0.0, 2e-6, "softmax", "row sum", (double)cols);
    }
  }
}

/* For every row-wise row, backward with dy = w matches finite differences of
 * L(x) = Σ w ⊙ f(x) over a block of several rows (so rows must stay separate). */
static void test_rowwise_backward_matches_finite_differences(void **state)
{
  (void)state;
  enum { ROWS = 3, COLS = 6, N = ROWS * COLS };
  const float h = 0x1p-7f;
  for (int i = 0; i < al_act_count(); i++) {
    const al_act *a = al_act_at(i);
    if (is_elementwise(a))
      continue;
    float x[N], y[N], w[N], dx[N], xs[N], ys[N];
    for (int j = 0; j < N; j++) {
      x[j] = (float)uniform(-2, 2);
      w[j] = (float)uniform(-1, 1);
    }
    a->forward(a, y, x, ROWS, COLS, NULL);
    a->backward(a, dx, x, y, w, ROWS, COLS, NULL);
    for (int k = 0; k < N; k++) {
      double L[4];
      const float steps[4] = {2 * h, h, -h, -2 * h};
      for (int s = 0; s < 4; s++) {
        memcpy(xs, x, sizeof x);
        xs[k] += steps[s];
        a->forward(a, ys, xs, ROWS, COLS, NULL);
        L[s] = 0;
        for (int j = 0; j < N; j++)
          L[s] += (double)w[j] * ys[j];
      }
      double fd = (-L[0] + 8 * L[1] - 8 * L[2] + L[3]) / (12.0 * h);
      expect_close(dx[k], fd, 1e-3, 1e-3, a->name, "backward vs finite difference", x[k]);
    }
  }
}

/* ---- The table's shape ----------------------------------------------------- */

/* The table starts with the documented rows in the documented order, and names
 * are unique. */
static void test_table_order_and_names(void **state)
{
  (void)state;
  static const char *const order[] = {
    "identity", "step", "sigmoid", "tanh", "relu", "leaky_relu", "prelu", "rrelu",
    "elu", "selu", "celu", "gelu", "gelu_tanh", "silu", "mish", "softplus", "softsign",
    "hardtanh", "hardsigmoid", "hardswish", "softmax", "log_softmax"};
  const int n = (int)(sizeof order / sizeof order[0]);
  assert_true(al_act_count() >= n);
  for (int i = 0; i < n; i++)
    assert_string_equal(al_act_at(i)->name, order[i]);
  for (int i = 0; i < al_act_count(); i++) {
    assert_ptr_equal(al_act_find(al_act_at(i)->name), al_act_at(i));
    assert_non_null(al_act_at(i)->formula);
    assert_true(strchr(al_act_at(i)->formula, '\n') == NULL);
  }
  assert_null(al_act_at(-1));
  assert_null(al_act_at(al_act_count()));
  assert_null(al_act_find("RELU"));
  assert_null(al_act_find(""));
  assert_null(al_act_find(NULL));
}

static int has_name(const char *const *names, const char *name)
{
  for (; *names != NULL; names++)
    if (strcmp(*names, name) == 0)
      return 1;
  return 0;
}

/* The flags are on exactly the documented rows; elementwise rows have every
 * kernel and scalar form, row-wise rows have no elementwise derivative. */
static void test_flags_and_kernels(void **state)
{
  (void)state;
  static const char *const relu_like[] = {"relu", "leaky_relu", "prelu", "rrelu", "elu",
                                          "selu", "celu", NULL};
  static const char *const saturating[] = {"sigmoid", "tanh", "hardtanh", "hardsigmoid",
                                           "softsign", "step", NULL};
  static const char *const rowwise[] = {"softmax", "log_softmax", NULL};
  static const char *const trainable[] = {"prelu", NULL};
  static const char *const stochastic[] = {"rrelu", NULL};
  for (int i = 0; i < al_act_count(); i++) {
    const al_act *a = al_act_at(i);
    assert_int_equal(!!(a->flags & AL_ACT_RELU_LIKE), has_name(relu_like, a->name));
    assert_int_equal(!!(a->flags & AL_ACT_SATURATING), has_name(saturating, a->name));
    assert_int_equal(!!(a->flags & AL_ACT_ROWWISE), has_name(rowwise, a->name));
    assert_int_equal(!!(a->flags & AL_ACT_OUTPUT), has_name(rowwise, a->name));
    assert_int_equal(!!(a->flags & AL_ACT_TRAINABLE), has_name(trainable, a->name));
    assert_int_equal(!!(a->flags & AL_ACT_STOCHASTIC), has_name(stochastic, a->name));
    assert_non_null(a->forward);
    assert_non_null(a->backward);
    if (is_elementwise(a)) {
      assert_non_null(a->f);
      assert_non_null(a->df);
      assert_non_null(a->derivative);
    } else {
      assert_null(a->derivative);
    }
  }
}

/* ---- Lookup and parameters ------------------------------------------------- */

/* An unknown name is AL_ERR_NAME and the message lists every valid name. */
static void test_lookup_unknown_name_lists_valid_names(void **state)
{
  (void)state;
  al_err err = {0};
  const al_act *a = row("relu");
  assert_int_equal(al_act_lookup(&a, "relux", &err), AL_ERR_NAME);
  assert_null(a);
  assert_int_equal(err.status, AL_ERR_NAME);
  expect_substr(err.msg, "unknown activation 'relux' (valid: identity, step, sigmoid, ");
  for (int i = 0; i < al_act_count(); i++)
    expect_substr(err.msg, al_act_at(i)->name);
  assert_true(err.msg[strlen(err.msg) - 1] == ')');
  assert_int_equal(al_act_lookup(&a, "tanh", &err), AL_OK);
  assert_ptr_equal(a, row("tanh"));
  assert_int_equal(al_act_lookup(&a, "relux", NULL), AL_ERR_NAME);
}

/* Parameter names resolve to their index; an unknown one lists the row's
 * parameters, or says it has none. */
static void test_param_index(void **state)
{
  (void)state;
  al_err err = {0};
  int idx = 7;
  assert_int_equal(al_act_param_index(&idx, row("leaky_relu"), "gamma", &err), AL_OK);
  assert_int_equal(idx, 0);
  assert_int_equal(al_act_param_index(&idx, row("hardtanh"), "max", &err), AL_OK);
  assert_int_equal(idx, 1);
  assert_int_equal(al_act_param_index(&idx, row("softplus"), "alpha", &err), AL_ERR_NAME);
  assert_int_equal(idx, -1);
  expect_substr(err.msg, "'alpha'");
  expect_substr(err.msg, "softplus");
  expect_substr(err.msg, "beta, threshold");
  assert_int_equal(al_act_param_index(&idx, row("relu"), "gamma", &err), AL_ERR_NAME);
  expect_substr(err.msg, "'gamma'");
  expect_substr(err.msg, "no parameters");
}

/* Every row's defaults pass its own checks; every parameter is documented and its
 * default lies in its range. */
static void test_defaults_are_valid(void **state)
{
  (void)state;
  for (int i = 0; i < al_act_count(); i++) {
    const al_act *a = al_act_at(i);
    float p[AL_ACT_MAX_PARAMS];
    al_act_defaults(a, p);
    assert_int_equal(al_act_check_params(a, p, NULL), AL_OK);
    assert_true(a->nparams >= 0 && a->nparams <= AL_ACT_MAX_PARAMS);
    for (int k = 0; k < a->nparams; k++) {
      const al_act_param *d = &a->params[k];
      assert_true(d->name != NULL && d->doc != NULL && d->doc[0] != '\0');
      assert_true(d->lo <= d->def && d->def <= d->hi);
      assert_true(isfinite(d->lo) && isfinite(d->hi));
      int idx = -1;
      assert_int_equal(al_act_param_index(&idx, a, d->name, NULL), AL_OK);
      assert_int_equal(idx, k);
    }
  }
  assert_int_equal(al_act_check_params(row("relu"), NULL, NULL), AL_OK);
}

/* A parameter outside its range is AL_ERR_ARG naming the row, the parameter, the
 * value and the range; the ends of the range are accepted. */
static void test_check_params_range(void **state)
{
  (void)state;
  al_err err = {0};
  const al_act *a = row("leaky_relu");
  assert_int_equal(al_act_check_params(a, (const float[]){-1.0f}, &err), AL_ERR_ARG);
  assert_string_equal(err.msg, "leaky_relu: gamma = -1 outside [0, 1e+06]");
  assert_int_equal(al_act_check_params(a, (const float[]){2e6f}, &err), AL_ERR_ARG);
  assert_int_equal(al_act_check_params(a, (const float[]){0.0f}, NULL), AL_OK);
  assert_int_equal(al_act_check_params(a, (const float[]){1.0f}, NULL), AL_OK);
  assert_int_equal(al_act_check_params(a, (const float[]){1e6f}, NULL), AL_OK);
  /* Parameters that must be > 0 reject 0. */
  assert_int_equal(al_act_check_params(row("elu"), (const float[]){0.0f}, &err), AL_ERR_ARG);
  expect_substr(err.msg, "elu: alpha = 0 outside [");
  assert_int_equal(al_act_check_params(row("celu"), (const float[]){0.0f}, NULL), AL_ERR_ARG);
  assert_int_equal(al_act_check_params(row("softplus"), (const float[]){0.0f, 20.0f}, &err),
                   AL_ERR_ARG);
  expect_substr(err.msg, "softplus: beta = 0");
  assert_int_equal(al_act_check_params(row("softplus"), (const float[]){1.0f, 0.0f}, &err),
                   AL_ERR_ARG);
  expect_substr(err.msg, "threshold = 0");
}

/* NaN and infinities are rejected with the parameter and value named. */
static void test_check_params_not_finite(void **state)
{
  (void)state;
  al_err err = {0};
  const al_act *a = row("leaky_relu");
  assert_int_equal(al_act_check_params(a, (const float[]){NAN}, &err), AL_ERR_ARG);
  expect_substr(err.msg, "leaky_relu: gamma = nan");
  expect_substr(err.msg, "finite");
  assert_int_equal(al_act_check_params(a, (const float[]){INFINITY}, &err), AL_ERR_ARG);
  expect_substr(err.msg, "gamma = inf");
  assert_int_equal(al_act_check_params(row("hardtanh"), (const float[]){-INFINITY, 1.0f}, &err),
                   AL_ERR_ARG);
  expect_substr(err.msg, "hardtanh: min = -inf");
}

/* Whole-number parameters reject fractions. */
static void test_check_params_integer(void **state)
{
  (void)state;
  al_err err = {0};
  assert_int_equal(al_act_check_params(row("step"), (const float[]){0.5f, 0.0f}, &err),
                   AL_ERR_ARG);
  expect_substr(err.msg, "step: straight_through = 0.5");
  expect_substr(err.msg, "whole number");
}

/* Relations between parameters: rrelu lower ≤ upper, hardtanh min < max, step's
 * two surrogates not both on. The message gives the rule and the values. */
static void test_check_params_relations(void **state)
{
  (void)state;
  al_err err = {0};
  const al_act *rr = row("rrelu"), *ht = row("hardtanh"), *st = row("step");
  assert_int_equal(al_act_check_params(rr, (const float[]){0.5f, 0.25f}, &err), AL_ERR_ARG);
  assert_string_equal(err.msg, "rrelu: lower must not exceed upper (lower = 0.5, upper = 0.25)");
  assert_int_equal(al_act_check_params(rr, (const float[]){0.25f, 0.25f}, NULL), AL_OK);
  assert_int_equal(al_act_check_params(ht, (const float[]){1.0f, 1.0f}, &err), AL_ERR_ARG);
  expect_substr(err.msg, "hardtanh: min must be less than max");
  expect_substr(err.msg, "min = 1, max = 1");
  assert_int_equal(al_act_check_params(ht, (const float[]){2.0f, 1.0f}, &err), AL_ERR_ARG);
  assert_int_equal(al_act_check_params(st, (const float[]){1.0f, 4.0f}, &err), AL_ERR_ARG);
  expect_substr(err.msg, "cannot both be on");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_every_row_has_reference_values),
    cmocka_unit_test(test_forward_matches_reference),
    cmocka_unit_test(test_scalar_and_array_forms_agree),
    cmocka_unit_test(test_derivative_matches_finite_differences),
    cmocka_unit_test(test_backward_is_dy_times_derivative),
    cmocka_unit_test(test_kernels_may_run_in_place),
    cmocka_unit_test(test_kink_values_follow_conventions),
    cmocka_unit_test(test_every_kink_has_a_convention),
    cmocka_unit_test(test_kinks_follow_parameters),
    cmocka_unit_test(test_step_surrogates),
    cmocka_unit_test(test_large_inputs_stay_finite),
    cmocka_unit_test(test_dense_sweep_matches_closed_forms),
    cmocka_unit_test(test_nan_propagates),
    cmocka_unit_test(test_softmax_extreme_row),
    cmocka_unit_test(test_softmax_rows_sum_to_one_and_log_agrees),
    cmocka_unit_test(test_rowwise_backward_matches_finite_differences),
    cmocka_unit_test(test_table_order_and_names),
    cmocka_unit_test(test_flags_and_kernels),
    cmocka_unit_test(test_lookup_unknown_name_lists_valid_names),
    cmocka_unit_test(test_param_index),
    cmocka_unit_test(test_defaults_are_valid),
    cmocka_unit_test(test_check_params_range),
    cmocka_unit_test(test_check_params_not_finite),
    cmocka_unit_test(test_check_params_integer),
    cmocka_unit_test(test_check_params_relations),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
