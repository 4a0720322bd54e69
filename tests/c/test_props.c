/* Tests of al_props: every row of the activation table against properties worked out
 * by hand from its definition, rows with other parameters, exact asymptotes, and rows
 * defined outside the core (measured through their array kernels only). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "al_props.h"

#define INF INFINITY
/* A smooth extremum lies within 0.005 of a grid sample: the measured value is off by
 * at most about |f''|·0.005²/2, below 1e-5 for every row here. */
#define TOL 1e-5

typedef struct expect {
  const char *name;
  int rowwise; /* 1: no elementwise properties, AL_ERR_ARG */
  int continuous, monotonic, nonlinear, differentiable;
  double lo, hi;
  int lo_open, hi_open;
  int zero_centred;
  double max_derivative;
} expect;

/* Defaults, by hand from the definitions in al_act.c (the kernel's conventions at the
 * kinks: relu'(0) = 0, elu'(0) = alpha, hardswish'(3) = 1). The extremes of gelu,
 * gelu_tanh, silu and mish are golden-section searches on the closed forms in python3
 * (double); selu's bound and slope are lambda·alpha = 1.0507009873554805 ×
 * 1.6732632423543772. Softplus has a jump of log1p(e^-20) = 2.1e-9 at x = 20, below
 * float's resolution there (ulp 1.9e-6), so it counts as continuous; past it f' = 1. */
static const expect defaults[] = {
  /* name          rowwise c  m  nl d   lo                 hi    (    )  zc max f' */
  {"identity",     0,      1, 1, 0, 1,  -INF,              INF,  1, 1, 1, 1.0},
  {"step",         0,      0, 1, 1, 0,  0.0,               1.0,  0, 0, 0, 0.0},
  {"sigmoid",      0,      1, 1, 1, 1,  0.0,               1.0,  1, 1, 0, 0.25},
  {"tanh",         0,      1, 1, 1, 1,  -1.0,              1.0,  1, 1, 1, 1.0},
  {"relu",         0,      1, 1, 1, 0,  0.0,               INF,  0, 1, 0, 1.0},
  {"leaky_relu",   0,      1, 1, 1, 0,  -INF,              INF,  1, 1, 1, 1.0},
  {"prelu",        0,      1, 1, 1, 0,  -INF,              INF,  1, 1, 1, 1.0},
  {"rrelu",        0,      1, 1, 1, 0,  -INF,              INF,  1, 1, 1, 1.0},
  {"elu",          0,      1, 1, 1, 1,  -1.0,              INF,  1, 1, 1, 1.0},
  {"selu",         0,      1, 1, 1, 0,  -1.7580993408473766, INF, 1, 1, 1, 1.7580993408473766},
  {"celu",         0,      1, 1, 1, 1,  -1.0,              INF,  1, 1, 1, 1.0},
  {"gelu",         0,      1, 0, 1, 1,  -0.16997120748,    INF,  0, 1, 1, 1.12890414519},
  {"gelu_tanh",    0,      1, 0, 1, 1,  -0.170040750571,   INF,  0, 1, 1, 1.12899306866},
  {"silu",         0,      1, 0, 1, 1,  -0.278464542761,   INF,  0, 1, 1, 1.09983932013},
  {"mish",         0,      1, 0, 1, 1,  -0.308843413017,   INF,  0, 1, 1, 1.08849816124},
  {"softplus",     0,      1, 1, 1, 1,  0.0,               INF,  1, 1, 0, 1.0},
  {"softsign",     0,      1, 1, 1, 1,  -1.0,              1.0,  1, 1, 1, 1.0},
  {"hardtanh",     0,      1, 1, 1, 0,  -1.0,              1.0,  0, 0, 1, 1.0},
  {"hardsigmoid",  0,      1, 1, 1, 0,  0.0,               1.0,  0, 0, 0, 1.0 / 6.0},
  {"hardswish",    0,      1, 0, 1, 0,  -0.375,            INF,  0, 1, 1, 1.5},
  {"softmax",      1,      0, 0, 0, 0,  0, 0, 0, 0, 0, 0},
  {"log_softmax",  1,      0, 0, 0, 0,  0, 0, 0, 0, 0, 0},
};

/* Other parameters, by hand: leaky_relu with gamma = 1 is x; elu's slopes at 0 are
 * alpha and 1; prelu with a negative alpha folds x < 0 up; softplus with threshold 1
 * drops from 1 + log1p(e^-1) = 1.3133 to 1 at x = 1; with beta = 2 its kink is at 10
 * and f' = sigmoid(2x) reaches 1 past it; step's surrogates: 1 on |x| <= 1, and
 * k·sigmoid'(0) = 4/4 = 1. */
static const struct {
  float p[AL_ACT_MAX_PARAMS];
  expect e;
} with_params[] = {
  {{1.0f}, {"leaky_relu", 0, 1, 1, 0, 1, -INF, INF, 1, 1, 1, 1.0}},
  {{2.0f}, {"elu", 0, 1, 1, 1, 0, -2.0, INF, 1, 1, 1, 2.0}},
  {{0.5f}, {"celu", 0, 1, 1, 1, 1, -0.5, INF, 1, 1, 1, 1.0}},
  {{-0.5f}, {"prelu", 0, 1, 0, 1, 0, 0.0, INF, 0, 1, 0, 1.0}},
  {{2.0f}, {"prelu", 0, 1, 1, 1, 0, -INF, INF, 1, 1, 1, 2.0}},
  {{-2.0f, 3.0f}, {"hardtanh", 0, 1, 1, 1, 0, -2.0, 3.0, 0, 0, 1, 1.0}},
  {{1.0f, 1.0f}, {"softplus", 0, 0, 0, 1, 0, 0.0, INF, 1, 1, 0, 1.0}},
  {{2.0f, 20.0f}, {"softplus", 0, 1, 1, 1, 1, 0.0, INF, 1, 1, 0, 1.0}},
  {{1.0f, 0.0f}, {"step", 0, 0, 1, 1, 0, 0.0, 1.0, 0, 0, 0, 1.0}},
  {{0.0f, 4.0f}, {"step", 0, 0, 1, 1, 0, 0.0, 1.0, 0, 0, 0, 1.0}},
};

/* ---- Helpers --------------------------------------------------------------- */

static int close_to(double got, double want)
{
  if (isinf(want) || isinf(got))
    return got == want;
  return fabs(got - want) <= TOL * fmax(1.0, fabs(want));
}

/* Every mismatch is printed before the test fails, so one run shows them all. */
static int compare(const char *label, const al_act_props *g, const expect *e)
{
  int bad = 0;
#define FLAG(field)                                                                \
  if (!g->field != !e->field) {                                                    \
    print_error("%s: " #field " is %d, expected %d\n", label, g->field, e->field); \
    bad++;                                                                         \
  }
#define VALUE(field)                                                                   \
  if (!close_to(g->field, e->field)) {                                                 \
    print_error("%s: " #field " is %.9g, expected %.9g\n", label, g->field, e->field); \
    bad++;                                                                             \
  }
  FLAG(continuous)
  FLAG(monotonic)
  FLAG(nonlinear)
  FLAG(differentiable)
  VALUE(lo)
  VALUE(hi)
  FLAG(lo_open)
  FLAG(hi_open)
  FLAG(zero_centred)
  VALUE(max_derivative)
#undef FLAG
#undef VALUE
  return bad;
}

static const expect *expected_for(const char *name)
{
  for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
    if (strcmp(defaults[i].name, name) == 0)
      return &defaults[i];
  return NULL;
}

/* A row defined outside the core, like the Lua bindings' rows: no scalar forms, array
 * kernels that reach the function through ctx. */
typedef struct scalar_fns {
  float (*f)(float);
  float (*df)(float);
  int calls;
} scalar_fns;

static void ctx_forward(const al_act *self, float *y, const float *x, size_t rows,
                        size_t cols, const float *p)
{
  scalar_fns *s = self->ctx;
  (void)p;
  s->calls++;
  for (size_t i = 0; i < rows * cols; i++)
    y[i] = s->f(x[i]);
}

static void ctx_derivative(const al_act *self, float *d, const float *x, const float *y,
                           size_t n, const float *p)
{
  scalar_fns *s = self->ctx;
  (void)y, (void)p;
  s->calls++;
  for (size_t i = 0; i < n; i++)
    d[i] = s->df(x[i]);
}

static al_act outside_row(const char *name, scalar_fns *s)
{
  return (al_act){.name = name, .formula = "defined by the test", .forward = ctx_forward,
                  .derivative = ctx_derivative, .ctx = s};
}

static al_act_props measure_outside(const char *name, scalar_fns *s)
{
  al_act row = outside_row(name, s);
  al_act_props pr;
  al_err err = {0};
  if (al_act_properties(&pr, &row, NULL, &err) != AL_OK)
    fail_msg("%s: %s", name, err.msg);
  return pr;
}

static float square(float x) { return x * x; }
static float square_d(float x) { return 2.0f * x; }
static float decay(float x) { return expf(-x); }
static float decay_d(float x) { return -expf(-x); }
static float slog(float x) { return copysignf(log1pf(fabsf(x)), x); }
static float slog_d(float x) { return 1.0f / (1.0f + fabsf(x)); }
static float pi_softsign(float x) { return 3.14159265f * x / (1.0f + fabsf(x)); }
static float pi_softsign_d(float x) { return 3.14159265f / ((1.0f + fabsf(x)) * (1.0f + fabsf(x))); }
static float off_grid_step(float x) { return x > 0.005f ? 1.0f : 0.0f; }
static float zero(float x) { (void)x; return 0.0f; }
static float steep(float x) { return tanhf(100.0f * x); }
static float steep_d(float x) { float t = tanhf(100.0f * x); return 100.0f * (1.0f - t * t); }
static float root(float x) { return sqrtf(x); }
static float root_d(float x) { return 0.5f / sqrtf(x); }

/* ---- Tests ------------------------------------------------------------------ */

/* Every row of the table, with its defaults, has the properties worked out by hand;
 * a row added without expectations fails here. */
static void test_every_row_as_worked_out(void **state)
{
  (void)state;
  int bad = 0;
  for (int i = 0; i < al_act_count(); i++) {
    const al_act *a = al_act_at(i);
    const expect *e = expected_for(a->name);
    if (e == NULL) {
      print_error("%s: no expected properties in test_props.c (add a row)\n", a->name);
      bad++;
      continue;
    }
    al_act_props pr;
    al_err err = {0};
    al_status st = al_act_properties(&pr, a, NULL, &err);
    if (e->rowwise) {
      if (st != AL_ERR_ARG) {
        print_error("%s: row-wise, expected AL_ERR_ARG, got %d\n", a->name, st);
        bad++;
      }
      continue;
    }
    if (st != AL_OK) {
      print_error("%s: %s\n", a->name, err.msg);
      bad++;
      continue;
    }
    bad += compare(a->name, &pr, e);
  }
  assert_int_equal(bad, 0);
}

/* Rows with other parameters have the properties those parameters give by hand. */
static void test_rows_with_parameters(void **state)
{
  (void)state;
  int bad = 0;
  for (size_t i = 0; i < sizeof with_params / sizeof with_params[0]; i++) {
    const expect *e = &with_params[i].e;
    const al_act *a = al_act_find(e->name);
    assert_non_null(a);
    float p[AL_ACT_MAX_PARAMS];
    al_act_defaults(a, p);
    memcpy(p, with_params[i].p, (size_t)a->nparams * sizeof p[0]);
    char label[96];
    snprintf(label, sizeof label, "%s {%g, %g}", e->name, (double)p[0], (double)p[1]);
    al_act_props pr;
    al_err err = {0};
    if (al_act_properties(&pr, a, p, &err) != AL_OK) {
      print_error("%s: %s\n", label, err.msg);
      bad++;
      continue;
    }
    bad += compare(label, &pr, e);
  }
  assert_int_equal(bad, 0);
}

/* Limits at ±∞ come out exact, not as the last sample: 0 and 1, ±1, −alpha. */
static void test_asymptotes_are_exact(void **state)
{
  (void)state;
  static const struct {
    const char *name;
    float p0;
    double lo, hi;
  } cases[] = {
    {"sigmoid", 0.0f, 0.0, 1.0},  {"tanh", 0.0f, -1.0, 1.0}, {"softsign", 0.0f, -1.0, 1.0},
    {"elu", 1.0f, -1.0, INF},     {"elu", 3.0f, -3.0, INF},  {"celu", 0.25f, -0.25, INF},
    {"softplus", 1.0f, 0.0, INF},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const al_act *a = al_act_find(cases[i].name);
    float p[AL_ACT_MAX_PARAMS];
    al_act_defaults(a, p);
    p[0] = a->nparams ? cases[i].p0 : p[0];
    al_act_props pr;
    assert_int_equal(al_act_properties(&pr, a, p, NULL), AL_OK);
    if (pr.lo != cases[i].lo || pr.hi != cases[i].hi)
      fail_msg("%s: range (%.17g, %.17g), expected (%g, %g)", cases[i].name, pr.lo, pr.hi,
               cases[i].lo, cases[i].hi);
    assert_true(pr.lo_open && pr.hi_open);
  }
}

/* NULL parameters mean the defaults. */
static void test_null_params_are_defaults(void **state)
{
  (void)state;
  const al_act *a = al_act_find("hardtanh");
  float p[AL_ACT_MAX_PARAMS];
  al_act_defaults(a, p);
  al_act_props with_null, with_defaults;
  assert_int_equal(al_act_properties(&with_null, a, NULL, NULL), AL_OK);
  assert_int_equal(al_act_properties(&with_defaults, a, p, NULL), AL_OK);
  const expect e = {"hardtanh", 0, with_defaults.continuous, with_defaults.monotonic,
                    with_defaults.nonlinear, with_defaults.differentiable, with_defaults.lo,
                    with_defaults.hi, with_defaults.lo_open, with_defaults.hi_open,
                    with_defaults.zero_centred, with_defaults.max_derivative};
  assert_int_equal(compare("hardtanh with NULL", &with_null, &e), 0);
}

/* Parameters out of range and row-wise activations are refused with a message. */
static void test_refusals(void **state)
{
  (void)state;
  al_act_props pr;
  al_err err = {0};
  float p[AL_ACT_MAX_PARAMS] = {-1.0f};
  assert_int_equal(al_act_properties(&pr, al_act_find("elu"), p, &err), AL_ERR_ARG);
  assert_non_null(strstr(err.msg, "alpha"));
  assert_int_equal(al_act_properties(&pr, al_act_find("softmax"), NULL, &err), AL_ERR_ARG);
  assert_string_equal(err.msg, "elementwise activation expected, 'softmax' is row-wise");
  assert_int_equal(al_act_properties(NULL, al_act_find("relu"), NULL, &err), AL_ERR_ARG);
}

/* A row outside the core is measured through its array kernels (it has no scalar
 * forms): x² is not monotonic, [0, ∞), and f' reaches 2·10 on the grid. */
static void test_outside_row_through_kernels(void **state)
{
  (void)state;
  static scalar_fns s = {square, square_d, 0};
  al_act_props pr = measure_outside("square", &s);
  const expect e = {"square", 0, 1, 0, 1, 1, 0.0, INF, 0, 1, 0, 20.0};
  assert_int_equal(compare("square", &pr, &e), 0);
  assert_true(s.calls >= 2);
}

/* A decreasing function is monotonic too; e^-x settles at 0 as x → ∞, never reaching it. */
static void test_decreasing_is_monotonic(void **state)
{
  (void)state;
  static scalar_fns s = {decay, decay_d, 0};
  al_act_props pr = measure_outside("decay", &s);
  assert_true(pr.monotonic);
  assert_true(pr.lo == 0.0 && pr.lo_open);
  assert_true(isinf(pr.hi) && pr.hi > 0);
}

/* A logarithmic tail keeps growing: both bounds infinite. */
static void test_log_growth_is_unbounded(void **state)
{
  (void)state;
  static scalar_fns s = {slog, slog_d, 0};
  al_act_props pr = measure_outside("slog", &s);
  assert_true(isinf(pr.lo) && pr.lo < 0 && isinf(pr.hi) && pr.hi > 0);
}

/* A limit that is no short decimal (π, approached as π/x) is estimated within 1e-4 and
 * open; f(1e6) alone would be π − 3.1e-6. */
static void test_limit_estimate(void **state)
{
  (void)state;
  static scalar_fns s = {pi_softsign, pi_softsign_d, 0};
  al_act_props pr = measure_outside("pi_softsign", &s);
  assert_true(fabs(pr.hi - 3.14159265358979) <= 1e-4 && pr.hi_open);
  assert_true(fabs(pr.lo + 3.14159265358979) <= 1e-4 && pr.lo_open);
}

/* A jump between grid points (at 0.005) is found; a steep slope (tanh 100x, 76 per
 * grid step) is not a jump. */
static void test_continuity_between_grid_points(void **state)
{
  (void)state;
  static scalar_fns jump = {off_grid_step, zero, 0}, slope = {steep, steep_d, 0};
  assert_false(measure_outside("off_grid_step", &jump).continuous);
  assert_true(measure_outside("steep", &slope).continuous);
}

/* NaN on part of the grid (√x for x < 0) is neither continuous nor differentiable. */
static void test_nan_is_not_continuous(void **state)
{
  (void)state;
  static scalar_fns s = {root, root_d, 0};
  al_act_props pr = measure_outside("root", &s);
  assert_false(pr.continuous);
  assert_false(pr.differentiable);
  assert_false(pr.monotonic);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_every_row_as_worked_out),
    cmocka_unit_test(test_rows_with_parameters),
    cmocka_unit_test(test_asymptotes_are_exact),
    cmocka_unit_test(test_null_params_are_defaults),
    cmocka_unit_test(test_refusals),
    cmocka_unit_test(test_outside_row_through_kernels),
    cmocka_unit_test(test_decreasing_is_monotonic),
    cmocka_unit_test(test_log_growth_is_unbounded),
    cmocka_unit_test(test_limit_estimate),
    cmocka_unit_test(test_continuity_between_grid_points),
    cmocka_unit_test(test_nan_is_not_continuous),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
