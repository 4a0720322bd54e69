/* Tests of al_loss: each loss on examples worked out by hand or in python3 (double),
 * stability at huge logits, the fused δ = p − t, MSE through an activation, pairing
 * checks and names. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "al_loss.h"

/* |a − b| ≤ tol, in double (cmocka's float comparison would round the values). */
#define expect_near(a, b, tol) near_at((a), (b), (tol), __LINE__)
static void near_at(double a, double b, double tol, int line)
{
  if (!(fabs(a - b) <= tol))
    fail_msg("line %d: %.17g, expected %.17g (± %g)", line, a, b, tol);
}

static const al_act *find(const char *name)
{
  const al_act *a = al_act_find(name);
  assert_non_null(a);
  return a;
}

/* Cross-entropy of logits [1, 2, 3] with class 2 is log(e + e² + e³) − 3 =
 * 0.40760596444438013 (python3), and δ = softmax(z) − t, scaled. */
static void test_cross_entropy_by_hand(void **state)
{
  (void)state;
  float z[] = {1.0f, 2.0f, 3.0f}, t[] = {0.0f, 0.0f, 1.0f}, p[3], d[3];
  double s = exp(1.0) + exp(2.0) + exp(3.0);
  for (int j = 0; j < 3; j++)
    p[j] = (float)(exp(j + 1.0) / s);
  al_mat zm = al_mat_wrap(z, 1, 3), pm = al_mat_wrap(p, 1, 3), tm = al_mat_wrap(t, 1, 3);
  al_mat dm = al_mat_wrap(d, 1, 3);
  double sum = 0.0;
  assert_int_equal(al_loss_compute(&sum, &dm, AL_LOSS_CE, find("softmax"), NULL, &zm, &pm, &tm,
                                   0.5f, NULL),
                   AL_OK);
  expect_near(sum, 0.40760596444438013, 1e-6);
  const double want[] = {0.09003057317038048, 0.2447284710547977, 0.665240955774822 - 1.0};
  for (int j = 0; j < 3; j++)
    expect_near(d[j], 0.5 * want[j], 1e-7);
}

/* Two rows add up, and a probability target t gives logsumexp(z) − Σ t_j z_j. */
static void test_cross_entropy_rows_and_soft_targets(void **state)
{
  (void)state;
  float z[] = {1.0f, 2.0f, 3.0f, 0.0f, 0.0f, 0.0f};
  float t[] = {0.5f, 0.5f, 0.0f, 0.0f, 1.0f, 0.0f};
  float p[6] = {0};
  al_mat zm = al_mat_wrap(z, 2, 3), pm = al_mat_wrap(p, 2, 3), tm = al_mat_wrap(t, 2, 3);
  double sum = 0.0;
  assert_int_equal(al_loss_compute(&sum, NULL, AL_LOSS_CE, find("softmax"), NULL, &zm, &pm, &tm,
                                   1.0f, NULL),
                   AL_OK);
  /* row 1: 3.40760596444438 − 1.5; row 2: log 3 */
  expect_near(sum, 3.40760596444438013 - 1.5 + log(3.0), 1e-6);
}

/* BCE from logits stays finite and exact at z = ±1000: 0 when right, 1000 when wrong;
 * δ = σ(z) − t. */
static void test_bce_stable_at_huge_logits(void **state)
{
  (void)state;
  float z[] = {1000.0f, 1000.0f, -1000.0f, -1000.0f};
  float t[] = {1.0f, 0.0f, 0.0f, 1.0f};
  float p[] = {1.0f, 1.0f, 0.0f, 0.0f}; /* σ(±1000) in float */
  float d[4];
  const double want[] = {0.0, 1000.0, 0.0, 1000.0};
  for (int k = 0; k < 4; k++) {
    al_mat zm = al_mat_wrap(z + k, 1, 1), pm = al_mat_wrap(p + k, 1, 1);
    al_mat tm = al_mat_wrap(t + k, 1, 1), dm = al_mat_wrap(d + k, 1, 1);
    double sum = NAN;
    assert_int_equal(al_loss_compute(&sum, &dm, AL_LOSS_BCE, find("sigmoid"), NULL, &zm, &pm,
                                     &tm, 1.0f, NULL),
                     AL_OK);
    assert_true(isfinite(sum));
    expect_near(sum, want[k], 1e-9);
    assert_true(d[k] == p[k] - t[k]);
  }
}

/* BCE at z = 0.5, t = 0.3: −(0.3 log σ + 0.7 log(1 − σ)) = 0.8240769841801067. */
static void test_bce_by_hand(void **state)
{
  (void)state;
  float z = 0.5f, t = 0.3f, p = (float)(1.0 / (1.0 + exp(-0.5))), d;
  al_mat zm = al_mat_wrap(&z, 1, 1), pm = al_mat_wrap(&p, 1, 1), tm = al_mat_wrap(&t, 1, 1);
  al_mat dm = al_mat_wrap(&d, 1, 1);
  double sum = 0.0;
  assert_int_equal(al_loss_compute(&sum, &dm, AL_LOSS_BCE, find("sigmoid"), NULL, &zm, &pm, &tm,
                                   0.25f, NULL),
                   AL_OK);
  expect_near(sum, 0.8240769841801067, 1e-6);
  expect_near(d, 0.25 * (0.6224593312018546 - 0.3), 1e-7);
}

/* MSE with no activation: ½Σ(p − t)² and δ = scale·(p − t). */
static void test_mse_by_hand(void **state)
{
  (void)state;
  float p[] = {1.0f, 2.0f, -1.0f, 0.5f}, t[] = {0.0f, 0.0f, 0.0f, 1.5f}, d[4];
  al_mat pm = al_mat_wrap(p, 2, 2), tm = al_mat_wrap(t, 2, 2), dm = al_mat_wrap(d, 2, 2);
  double sum = 0.0;
  assert_int_equal(al_loss_compute(&sum, &dm, AL_LOSS_MSE, NULL, NULL, &pm, &pm, &tm, 0.5f,
                                   NULL),
                   AL_OK);
  /* ½(1 + 4 + 1 + 1) */
  expect_near(sum, 3.5, 1e-12);
  const float want[] = {0.5f, 1.0f, -0.5f, -0.5f};
  for (int k = 0; k < 4; k++)
    assert_true(d[k] == want[k]);
}

/* MSE after sigmoid and after tanh: δ = (p − t)·f'(z) with f' written out here. */
static void test_mse_through_activation(void **state)
{
  (void)state;
  const float z[] = {-1.0f, 0.3f, 2.0f};
  const float t[] = {0.2f, 0.9f, -0.4f};
  for (int which = 0; which < 2; which++) {
    float p[3], d[3];
    double want_sum = 0.0, want_d[3];
    for (int k = 0; k < 3; k++) {
      double pk = which == 0 ? 1.0 / (1.0 + exp(-(double)z[k])) : tanh((double)z[k]);
      double fp = which == 0 ? pk * (1.0 - pk) : 1.0 - pk * pk;
      p[k] = (float)pk;
      want_sum += 0.5 * (pk - t[k]) * (pk - t[k]);
      want_d[k] = (pk - t[k]) * fp;
    }
    al_mat zm = al_mat_wrap((float *)z, 1, 3), pm = al_mat_wrap(p, 1, 3);
    al_mat tm = al_mat_wrap((float *)t, 1, 3), dm = al_mat_wrap(d, 1, 3);
    double sum = 0.0;
    const al_act *f = find(which == 0 ? "sigmoid" : "tanh");
    assert_int_equal(al_loss_compute(&sum, &dm, AL_LOSS_MSE, f, NULL, &zm, &pm, &tm, 1.0f, NULL),
                     AL_OK);
    expect_near(sum, want_sum, 1e-6);
    for (int k = 0; k < 3; k++)
      expect_near(d[k], want_d[k], 1e-6);
  }
}

/* NLL of p = log_softmax([1, 2, 3]) with class 0 is log(e + e² + e³) − 1; δ = softmax − t. */
static void test_nll_by_hand(void **state)
{
  (void)state;
  float z[] = {1.0f, 2.0f, 3.0f}, t[] = {1.0f, 0.0f, 0.0f}, p[3], d[3];
  double lse = log(exp(1.0) + exp(2.0) + exp(3.0));
  for (int j = 0; j < 3; j++)
    p[j] = (float)(j + 1.0 - lse);
  al_mat zm = al_mat_wrap(z, 1, 3), pm = al_mat_wrap(p, 1, 3), tm = al_mat_wrap(t, 1, 3);
  al_mat dm = al_mat_wrap(d, 1, 3);
  double sum = 0.0;
  assert_int_equal(al_loss_compute(&sum, &dm, AL_LOSS_NLL, find("log_softmax"), NULL, &zm, &pm,
                                   &tm, 1.0f, NULL),
                   AL_OK);
  expect_near(sum, 2.40760596444438, 1e-6);
  const double want[] = {0.09003057317038048 - 1.0, 0.2447284710547977, 0.665240955774822};
  for (int j = 0; j < 3; j++)
    expect_near(d[j], want[j], 1e-6);
}

/* auto picks the pairing of the output activation (sigmoid → bce, none → mse). */
static void test_auto_pairing(void **state)
{
  (void)state;
  assert_int_equal(al_loss_for_output(NULL), AL_LOSS_MSE);
  assert_int_equal(al_loss_for_output(find("sigmoid")), AL_LOSS_BCE);
  assert_int_equal(al_loss_for_output(find("softmax")), AL_LOSS_CE);
  assert_int_equal(al_loss_for_output(find("log_softmax")), AL_LOSS_NLL);
  assert_int_equal(al_loss_for_output(find("tanh")), AL_LOSS_MSE);
  float z = 0.5f, t = 0.3f, p = (float)(1.0 / (1.0 + exp(-0.5)));
  al_mat zm = al_mat_wrap(&z, 1, 1), pm = al_mat_wrap(&p, 1, 1), tm = al_mat_wrap(&t, 1, 1);
  double sum = 0.0;
  assert_int_equal(al_loss_compute(&sum, NULL, AL_LOSS_AUTO, find("sigmoid"), NULL, &zm, &pm,
                                   &tm, 1.0f, NULL),
                   AL_OK);
  expect_near(sum, 0.8240769841801067, 1e-6);
}

/* A loss paired with the wrong output is AL_ERR_ARG naming both. */
static void test_mismatched_pairing(void **state)
{
  (void)state;
  float v[3] = {0.1f, 0.2f, 0.7f};
  al_mat m = al_mat_wrap(v, 1, 3);
  double sum = 0.0;
  al_err e = {0};
  assert_int_equal(al_loss_compute(&sum, NULL, AL_LOSS_BCE, find("softmax"), NULL, &m, &m, &m,
                                   1.0f, &e),
                   AL_ERR_ARG);
  assert_non_null(strstr(e.msg, "bce"));
  assert_non_null(strstr(e.msg, "softmax"));
  assert_non_null(strstr(e.msg, "sigmoid"));
  assert_int_equal(al_loss_compute(&sum, NULL, AL_LOSS_CE, NULL, NULL, &m, &m, &m, 1.0f, &e),
                   AL_ERR_ARG);
  assert_non_null(strstr(e.msg, "cross_entropy"));
  assert_non_null(strstr(e.msg, "no activation"));
  assert_int_equal(al_loss_check(AL_LOSS_NLL, find("softmax"), &e), AL_ERR_ARG);
  assert_non_null(strstr(e.msg, "log_softmax"));
  assert_int_equal(al_loss_check(AL_LOSS_MSE, find("softmax"), NULL), AL_OK);
  assert_int_equal(al_loss_check((al_loss_kind)17, NULL, &e), AL_ERR_ARG);
}

/* z, p, t (and dz) must share one shape. */
static void test_shape_mismatch(void **state)
{
  (void)state;
  float a[6] = {0}, b[6] = {0};
  al_mat m23 = al_mat_wrap(a, 2, 3), m32 = al_mat_wrap(b, 3, 2);
  double sum = 0.0;
  assert_int_equal(al_loss_compute(&sum, NULL, AL_LOSS_MSE, NULL, NULL, &m23, &m23, &m32, 1.0f,
                                   NULL),
                   AL_ERR_SHAPE);
  assert_int_equal(al_loss_compute(&sum, &m32, AL_LOSS_MSE, NULL, NULL, &m23, &m23, &m23, 1.0f,
                                   NULL),
                   AL_ERR_SHAPE);
}

/* Names round-trip; an unknown name is AL_ERR_NAME listing the valid ones. */
static void test_names(void **state)
{
  (void)state;
  const char *names[] = {"auto", "mse", "bce", "cross_entropy", "nll"};
  for (int i = 0; i < 5; i++) {
    al_loss_kind k;
    assert_int_equal(al_loss_lookup(&k, names[i], NULL), AL_OK);
    assert_int_equal(k, i);
    assert_string_equal(al_loss_name(k), names[i]);
  }
  al_err e = {0};
  al_loss_kind k;
  assert_int_equal(al_loss_lookup(&k, "hinge", &e), AL_ERR_NAME);
  assert_non_null(strstr(e.msg, "hinge"));
  assert_non_null(strstr(e.msg, "cross_entropy"));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_cross_entropy_by_hand),
    cmocka_unit_test(test_cross_entropy_rows_and_soft_targets),
    cmocka_unit_test(test_bce_stable_at_huge_logits),
    cmocka_unit_test(test_bce_by_hand),
    cmocka_unit_test(test_mse_by_hand),
    cmocka_unit_test(test_mse_through_activation),
    cmocka_unit_test(test_nll_by_hand),
    cmocka_unit_test(test_auto_pairing),
    cmocka_unit_test(test_mismatched_pairing),
    cmocka_unit_test(test_shape_mismatch),
    cmocka_unit_test(test_names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
