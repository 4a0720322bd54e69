/* Tests of al_data: gathering batches (pixel scaling, one-hot targets, row and order
 * indirection, shape checks that write nothing) and al_data_check's messages. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "al_data.h"

/* Four source rows of three pixels and a label each; classes 0..3. */
static const uint8_t pixels[4 * 3] = {
  0, 255, 51,
  2, 4, 6,
  10, 20, 30,
  128, 1, 254,
};
static const uint8_t labels[4] = {2, 0, 3, 1};

static al_data pixel_data(void)
{
  return (al_data){.n = 4, .in = 3, .out = 4, .pixels = pixels, .scale = 0.5f,
                   .shift = 1.0f, .labels = labels};
}

/* x = byte · scale − shift: with scale 1/2 and shift 1 every value is exact (worked by
 * hand: 0 → −1, 255 → 126.5, 51 → 24.5); with scale 1/255 and shift 0.5 the values
 * match byte/255 − 0.5 computed in double within float rounding. */
static void test_gather_pixels_scale_shift(void **state)
{
  (void)state;
  al_data d = pixel_data();
  float xb[2 * 3], tb[2 * 4];
  al_mat x = al_mat_wrap(xb, 2, 3), t = al_mat_wrap(tb, 2, 4);
  assert_int_equal(al_data_gather(&x, &t, NULL, &d, NULL, 0, 2), AL_OK);
  const float want[] = {-1.0f, 126.5f, 24.5f, 0.0f, 1.0f, 2.0f};
  assert_memory_equal(xb, want, sizeof want);

  d.scale = 1.0f / 255.0f;
  d.shift = 0.5f;
  assert_int_equal(al_data_gather(&x, &t, NULL, &d, NULL, 2, 2), AL_OK);
  for (int k = 0; k < 2; k++)
    for (int j = 0; j < 3; j++) {
      double ref = pixels[(2 + k) * 3 + j] / 255.0 - 0.5;
      assert_true(fabs(xb[k * 3 + j] - ref) < 1e-6);
    }
}

/* Labels become one-hot rows, and labels_out receives each example's class. */
static void test_gather_one_hot(void **state)
{
  (void)state;
  al_data d = pixel_data();
  float xb[4 * 3], tb[4 * 4];
  memset(tb, 0xff, sizeof tb); /* NaN junk: every target entry must be written */
  al_mat x = al_mat_wrap(xb, 4, 3), t = al_mat_wrap(tb, 4, 4);
  int lab[4] = {-7, -7, -7, -7};
  assert_int_equal(al_data_gather(&x, &t, lab, &d, NULL, 0, 4), AL_OK);
  const float want[] = {
    0, 0, 1, 0,
    1, 0, 0, 0,
    0, 0, 0, 1,
    0, 1, 0, 0,
  };
  assert_memory_equal(tb, want, sizeof want);
  assert_memory_equal(lab, ((int[]){2, 0, 3, 1}), sizeof lab);
}

/* rows maps example i to source row rows[i]; order picks examples order[first..]. */
static void test_gather_rows_and_order(void **state)
{
  (void)state;
  al_data d = pixel_data();
  const int rows[3] = {3, 1, 2}; /* a subset of three source rows */
  d.rows = rows;
  d.n = 3;
  d.n_src = 4;
  float xb[2 * 3], tb[2 * 4];
  al_mat x = al_mat_wrap(xb, 2, 3), t = al_mat_wrap(tb, 2, 4);
  int lab[2];
  /* examples 1, 2 → source rows 1, 2 */
  assert_int_equal(al_data_gather(&x, &t, lab, &d, NULL, 1, 2), AL_OK);
  assert_memory_equal(xb, ((float[]){0, 1, 2, 4, 9, 14}), sizeof xb);
  assert_memory_equal(lab, ((int[]){0, 3}), sizeof lab);
  /* order positions 1, 2 → examples 0, 1 → source rows 3, 1 */
  const int order[3] = {2, 0, 1};
  assert_int_equal(al_data_gather(&x, &t, lab, &d, order, 1, 2), AL_OK);
  assert_memory_equal(xb, ((float[]){63, -0.5f, 126, 0, 1, 2}), sizeof xb);
  assert_memory_equal(lab, ((int[]){1, 0}), sizeof lab);
  assert_memory_equal(tb, ((float[]){0, 1, 0, 0, 1, 0, 0, 0}), sizeof tb);
  /* order alone, without rows */
  d = pixel_data();
  const int order4[4] = {3, 2, 1, 0};
  assert_int_equal(al_data_gather(&x, &t, lab, &d, order4, 0, 2), AL_OK);
  assert_memory_equal(xb, ((float[]){63, -0.5f, 126, 4, 9, 14}), sizeof xb);
  assert_memory_equal(lab, ((int[]){1, 3}), sizeof lab);
}

/* Float inputs and targets are copied as they are; labels_out gets -1. */
static void test_gather_float_sources(void **state)
{
  (void)state;
  const float xs[3 * 2] = {0.5f, -1, 2, 3, NAN, 7};
  const float ts[3 * 1] = {10, 20, 30};
  al_data d = {.n = 3, .in = 2, .out = 1, .x = xs, .t = ts};
  float xb[2 * 2], tb[2 * 1];
  al_mat x = al_mat_wrap(xb, 2, 2), t = al_mat_wrap(tb, 2, 1);
  int lab[2] = {5, 5};
  assert_int_equal(al_data_gather(&x, &t, lab, &d, NULL, 1, 2), AL_OK);
  assert_true(xb[0] == 2 && xb[1] == 3 && isnan(xb[2]) && xb[3] == 7);
  assert_true(tb[0] == 20 && tb[1] == 30);
  assert_memory_equal(lab, ((int[]){-1, -1}), sizeof lab);
}

/* Wrong shapes (AL_ERR_SHAPE), a range outside n, a bad order entry, a label outside
 * 0..out-1 and inconsistent sources (AL_ERR_ARG) all leave x, t and labels_out
 * untouched. */
static void test_gather_checks_write_nothing(void **state)
{
  (void)state;
  al_data d = pixel_data();
  float xb[4 * 4], tb[4 * 4];
  int lab[4] = {9, 9, 9, 9};
  for (int i = 0; i < 16; i++)
    xb[i] = tb[i] = 42.0f;
  al_mat x23 = al_mat_wrap(xb, 2, 3), t24 = al_mat_wrap(tb, 2, 4);
  al_mat x33 = al_mat_wrap(xb, 3, 3), x24 = al_mat_wrap(xb, 2, 4);
  al_mat t23 = al_mat_wrap(tb, 2, 3), t34 = al_mat_wrap(tb, 3, 4), empty = {0};
  assert_int_equal(al_data_gather(&x33, &t24, lab, &d, NULL, 0, 2), AL_ERR_SHAPE);
  assert_int_equal(al_data_gather(&x24, &t24, lab, &d, NULL, 0, 2), AL_ERR_SHAPE);
  assert_int_equal(al_data_gather(&x23, &t23, lab, &d, NULL, 0, 2), AL_ERR_SHAPE);
  assert_int_equal(al_data_gather(&x23, &t34, lab, &d, NULL, 0, 2), AL_ERR_SHAPE);
  assert_int_equal(al_data_gather(&x23, &t24, lab, &d, NULL, 3, 2), AL_ERR_ARG);
  assert_int_equal(al_data_gather(&x23, &t24, lab, &d, NULL, -1, 2), AL_ERR_ARG);
  assert_int_equal(al_data_gather(&x23, &t24, lab, &d, NULL, 0, 0), AL_ERR_ARG);
  assert_int_equal(al_data_gather(&empty, &t24, lab, &d, NULL, 0, 2), AL_ERR_ARG);
  assert_int_equal(al_data_gather(&x23, &t24, lab, NULL, NULL, 0, 2), AL_ERR_ARG);
  const int bad_order[4] = {0, 4, 1, 2};
  assert_int_equal(al_data_gather(&x23, &t24, lab, &d, bad_order, 0, 2), AL_ERR_ARG);
  const int neg_rows[4] = {0, -1, 1, 2};
  d.rows = neg_rows;
  assert_int_equal(al_data_gather(&x23, &t24, lab, &d, NULL, 0, 2), AL_ERR_ARG);
  d.rows = NULL;
  const uint8_t bad_labels[4] = {1, 4, 0, 0}; /* 4 is outside 0..3 */
  d.labels = bad_labels;
  assert_int_equal(al_data_gather(&x23, &t24, lab, &d, NULL, 0, 2), AL_ERR_ARG);
  d = pixel_data();
  const float xs[12] = {0};
  d.x = xs; /* both pixels and x */
  assert_int_equal(al_data_gather(&x23, &t24, lab, &d, NULL, 0, 2), AL_ERR_ARG);
  for (int i = 0; i < 16; i++)
    assert_true(xb[i] == 42.0f && tb[i] == 42.0f);
  assert_memory_equal(lab, ((int[]){9, 9, 9, 9}), sizeof lab);
}

/* A consistent data set passes; each inconsistency fails with a message that starts
 * with `what` and names the field and the value. */
static void test_check_messages(void **state)
{
  (void)state;
  uint8_t lab13[13] = {0};
  lab13[12] = 11;
  uint8_t pix13[13] = {0};
  const float xs[4] = {0}, ts[4] = {0};
  const int neg_rows[2] = {0, -3};
  al_data good = {.n = 13, .in = 1, .out = 10, .pixels = pix13, .scale = 1.0f,
                  .labels = lab13};
  al_data cases[10];
  for (int i = 0; i < 10; i++)
    cases[i] = good;
  cases[1].n = 0;
  cases[2].in = -2;
  cases[3].out = 0;
  cases[4].x = xs;
  cases[5].pixels = NULL;
  cases[6].t = ts;
  cases[7].labels = NULL;
  cases[8].rows = neg_rows;
  cases[8].n = 2;
  cases[8].n_src = 13;
  cases[9].shift = NAN;
  const char *want[10] = {
    "train: labels[12] = 11 outside 0..9",
    "train: n = 0, at least 1 example expected",
    "train: in = -2, at least 1 input feature expected",
    "train: out = 0, at least 1 target column expected",
    "train: both pixels and x are set, one input source expected",
    "train: neither pixels nor x is set, one input source expected",
    "train: both labels and t are set, one target source expected",
    "train: neither labels nor t is set, one target source expected",
    "train: rows[1] = -3 outside the 13 source rows",
    "train: shift = nan is not finite",
  };
  for (int i = 0; i < 10; i++) {
    al_err err;
    al_err_clear(&err);
    assert_int_equal(al_data_check(&cases[i], "train", &err), AL_ERR_ARG);
    assert_int_equal(err.status, AL_ERR_ARG);
    assert_string_equal(err.msg, want[i]);
  }
  lab13[12] = 9;
  al_err err;
  al_err_clear(&err);
  assert_int_equal(al_data_check(&good, "train", &err), AL_OK);
  assert_int_equal(err.status, AL_OK);
  /* labels are checked through rows: only the rows in use matter */
  const int rows[2] = {0, 12};
  lab13[3] = 200;
  good.rows = rows;
  good.n = 2;
  good.n_src = 12; /* row 12 lies past a 12-row source */
  assert_int_equal(al_data_check(&good, "test", &err), AL_ERR_ARG);
  assert_string_equal(err.msg, "test: rows[1] = 12 outside the 12 source rows");
  good.n_src = 13;
  assert_int_equal(al_data_check(&good, "test", &err), AL_OK);
  lab13[12] = 10;
  assert_int_equal(al_data_check(&good, "test", &err), AL_ERR_ARG);
  assert_string_equal(err.msg, "test: labels[12] = 10 outside 0..9");
  assert_int_equal(al_data_check(&good, "test", NULL), AL_ERR_ARG); /* err optional */
  assert_int_equal(al_data_check(NULL, "validation", &err), AL_ERR_ARG);
  assert_string_equal(err.msg, "validation: no data");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_gather_pixels_scale_shift),
    cmocka_unit_test(test_gather_one_hot),
    cmocka_unit_test(test_gather_rows_and_order),
    cmocka_unit_test(test_gather_float_sources),
    cmocka_unit_test(test_gather_checks_write_nothing),
    cmocka_unit_test(test_check_messages),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
