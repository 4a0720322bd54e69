/* Tests of al_mat: storage, views, gemm against a double-precision loop for every
 * transpose combination, shape checks that leave outputs untouched, elementwise
 * kernels (aliasing included), reductions and random fills. */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "al_mat.h"

/* Fills m with distinct values in [-1, 1) from a fixed seed. */
static void random_mat(al_mat *m, int rows, int cols, uint64_t seed)
{
  al_rng r;
  al_rng_seed(&r, seed, AL_STREAM_DATA);
  assert_int_equal(al_mat_alloc(m, rows, cols), AL_OK);
  al_mat_fill_uniform(m, &r, -1.0f, 1.0f);
}

/* Stored shape of an operand so that op(x) is rows × cols. */
static void alloc_op(al_mat *m, int trans, int rows, int cols, uint64_t seed)
{
  if (trans)
    random_mat(m, cols, rows, seed);
  else
    random_mat(m, rows, cols, seed);
}

/* op(x)[i][j] read through the transpose flag. */
static double op_at(const al_mat *x, int trans, int i, int j)
{
  return trans ? AL_AT(x, j, i) : AL_AT(x, i, j);
}

/* gemm matches alpha·Σ op(a)op(b) + beta·c computed in double, for all four transpose
 * combinations, several alpha/beta pairs and odd sizes (7×13 · 13×5 and others); the
 * tolerance scales with the sum of absolute terms. */
static void test_gemm_matches_naive(void **state)
{
  (void)state;
  const int sizes[][3] = {{7, 13, 5}, {1, 1, 1}, {3, 1, 4}, {17, 33, 9}, {64, 65, 63}};
  const float ab[][2] = {{1.0f, 0.0f}, {0.5f, 2.0f}, {-1.5f, 1.0f}, {2.0f, -0.5f}, {0.0f, 3.0f}};
  uint64_t seed = 1;
  for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
    const int m = sizes[s][0], k = sizes[s][1], n = sizes[s][2];
    for (int ta = 0; ta < 2; ta++)
      for (int tb = 0; tb < 2; tb++)
        for (size_t p = 0; p < sizeof ab / sizeof ab[0]; p++) {
          const float alpha = ab[p][0], beta = ab[p][1];
          al_mat a, b, c, c0;
          alloc_op(&a, ta, m, k, seed++);
          alloc_op(&b, tb, k, n, seed++);
          random_mat(&c, m, n, seed++);
          random_mat(&c0, m, n, seed - 1);
          assert_int_equal(al_mat_gemm(&c, alpha, &a, ta, &b, tb, beta), AL_OK);
          for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
              double sum = 0.0, mag = 0.0;
              for (int q = 0; q < k; q++) {
                double t = op_at(&a, ta, i, q) * op_at(&b, tb, q, j);
                sum += t;
                mag += fabs(t);
              }
              double old = AL_AT(&c0, i, j);
              double want = alpha * sum + beta * old;
              double tol = 1e-5 * (fabs(alpha) * mag + fabs(beta) * fabs(old)) + 1e-7;
              assert_true(fabs(AL_AT(&c, i, j) - want) <= tol);
            }
          al_mat_release(&a);
          al_mat_release(&b);
          al_mat_release(&c);
          al_mat_release(&c0);
        }
  }
}

/* With beta = 0 the old content of c is not read, as in BLAS: a NaN there vanishes. */
static void test_gemm_beta_zero_ignores_c(void **state)
{
  (void)state;
  float a[] = {1, 2, 3, 4}, b[] = {5, 6, 7, 8}, c[] = {NAN, NAN, INFINITY, NAN};
  al_mat ma = al_mat_wrap(a, 2, 2), mb = al_mat_wrap(b, 2, 2), mc = al_mat_wrap(c, 2, 2);
  assert_int_equal(al_mat_gemm(&mc, 1.0f, &ma, 0, &mb, 0, 0.0f), AL_OK);
  const float want[] = {19, 22, 43, 50}; /* worked by hand */
  assert_memory_equal(c, want, sizeof want);
}

/* Every kind of shape mismatch, under every transpose combination, returns
 * AL_ERR_SHAPE and leaves every byte of c as it was. */
static void test_gemm_shape_mismatch_untouched(void **state)
{
  (void)state;
  for (int ta = 0; ta < 2; ta++)
    for (int tb = 0; tb < 2; tb++) {
      /* cases: {op(a) rows, op(a) cols, op(b) rows, op(b) cols, c rows, c cols} */
      const int cases[][6] = {
        {4, 3, 2, 5, 4, 5}, /* inner sizes differ */
        {4, 3, 3, 5, 5, 5}, /* c has the wrong number of rows */
        {4, 3, 3, 5, 4, 4}, /* c has the wrong number of columns */
        {4, 3, 3, 5, 5, 4}, /* c is transposed */
      };
      for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const int *cs = cases[i];
        al_mat a, b, c;
        alloc_op(&a, ta, cs[0], cs[1], 1);
        alloc_op(&b, tb, cs[2], cs[3], 2);
        random_mat(&c, cs[4], cs[5], 3);
        float before[25];
        memcpy(before, c.data, al_mat_size(&c) * sizeof(float));
        assert_int_equal(al_mat_gemm(&c, 1.0f, &a, ta, &b, tb, 0.0f), AL_ERR_SHAPE);
        assert_memory_equal(c.data, before, al_mat_size(&c) * sizeof(float));
        al_mat_release(&a);
        al_mat_release(&b);
        al_mat_release(&c);
      }
    }
}

/* NULL or empty operands, and c sharing storage with a or b, are argument errors. */
static void test_gemm_bad_arguments(void **state)
{
  (void)state;
  al_mat a, b, c, empty = {0};
  random_mat(&a, 3, 3, 1);
  random_mat(&b, 3, 3, 2);
  random_mat(&c, 3, 3, 3);
  assert_int_equal(al_mat_gemm(NULL, 1.0f, &a, 0, &b, 0, 0.0f), AL_ERR_ARG);
  assert_int_equal(al_mat_gemm(&c, 1.0f, NULL, 0, &b, 0, 0.0f), AL_ERR_ARG);
  assert_int_equal(al_mat_gemm(&c, 1.0f, &a, 0, &empty, 0, 0.0f), AL_ERR_ARG);
  assert_int_equal(al_mat_gemm(&empty, 1.0f, &a, 0, &b, 0, 0.0f), AL_ERR_ARG);
  assert_int_equal(al_mat_gemm(&a, 1.0f, &a, 0, &b, 0, 0.0f), AL_ERR_ARG);
  al_mat row;
  assert_int_equal(al_mat_view_rows(&row, &b, 1, 2), AL_OK); /* overlaps b partly */
  al_mat c2;
  random_mat(&c2, 3, 3, 4);
  al_mat top;
  assert_int_equal(al_mat_view_rows(&top, &c2, 0, 2), AL_OK);
  al_mat a23;
  random_mat(&a23, 2, 3, 5);
  assert_int_equal(al_mat_gemm(&row, 1.0f, &a23, 0, &b, 0, 0.0f), AL_ERR_ARG);
  assert_int_equal(al_mat_gemm(&top, 1.0f, &a23, 0, &b, 0, 0.0f), AL_OK);
  al_mat_release(&a);
  al_mat_release(&b);
  al_mat_release(&c);
  al_mat_release(&c2);
  al_mat_release(&a23);
}

/* Allocated storage is 64-byte aligned, zero-filled and owned, for sizes that are
 * and are not multiples of the alignment. */
static void test_alloc_aligned_zeroed(void **state)
{
  (void)state;
  const int sizes[][2] = {{1, 1}, {3, 5}, {7, 13}, {100, 100}, {1, 1000}};
  for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
    al_mat m;
    assert_int_equal(al_mat_alloc(&m, sizes[s][0], sizes[s][1]), AL_OK);
    assert_int_equal((uintptr_t)m.data % AL_MAT_ALIGN, 0);
    assert_int_equal(m.rows, sizes[s][0]);
    assert_int_equal(m.cols, sizes[s][1]);
    assert_int_equal(m.owned, 1);
    assert_int_equal(al_mat_size(&m), (size_t)sizes[s][0] * (size_t)sizes[s][1]);
    for (size_t i = 0; i < al_mat_size(&m); i++)
      assert_true(m.data[i] == 0.0f);
    al_mat_release(&m);
    assert_null(m.data);
    assert_int_equal(m.rows, 0);
  }
}

/* Zero, negative and overflowing sizes fail with a status and leave m empty. */
static void test_alloc_invalid_sizes(void **state)
{
  (void)state;
  const struct { int rows, cols; al_status want; } cases[] = {
    {0, 5, AL_ERR_ARG}, {5, 0, AL_ERR_ARG}, {-1, 5, AL_ERR_ARG}, {5, -3, AL_ERR_ARG},
    {INT_MIN, 1, AL_ERR_ARG},
    /* over PTRDIFF_MAX bytes, the largest object C allows: (2^31 - 1)^2 · 4, and
     * (2^31 - 1)(2^30 + 1) · 4 = 2^63 + 2^32 - 4, just over */
    {INT_MAX, INT_MAX, AL_ERR_NOMEM}, {INT_MAX, INT_MAX / 2 + 2, AL_ERR_NOMEM},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    al_mat m = {(float *)&m, 9, 9, 1}; /* junk the call must clear */
    assert_int_equal(al_mat_alloc(&m, cases[i].rows, cases[i].cols), cases[i].want);
    assert_null(m.data);
    assert_int_equal(m.rows, 0);
    assert_int_equal(m.cols, 0);
    assert_int_equal(m.owned, 0);
  }
  assert_int_equal(al_mat_alloc(NULL, 2, 2), AL_ERR_ARG);
  al_mat_release(NULL);
}

/* A row view shares storage with its parent (writes show through both ways), owns
 * nothing, and release of a view leaves the parent intact. */
static void test_view_shares_storage(void **state)
{
  (void)state;
  al_mat m, v;
  assert_int_equal(al_mat_alloc(&m, 5, 3), AL_OK);
  assert_int_equal(al_mat_view_rows(&v, &m, 2, 3), AL_OK);
  assert_ptr_equal(v.data, m.data + 6);
  assert_int_equal(v.rows, 3);
  assert_int_equal(v.cols, 3);
  assert_int_equal(v.owned, 0);
  AL_AT(&v, 0, 1) = 7.0f;
  assert_true(AL_AT(&m, 2, 1) == 7.0f);
  AL_AT(&m, 4, 2) = 9.0f;
  assert_true(AL_AT(&v, 2, 2) == 9.0f);
  al_mat_release(&v);
  assert_null(v.data);
  assert_true(AL_AT(&m, 4, 2) == 9.0f); /* still readable: the view freed nothing */
  al_mat_release(&m);
}

/* Views outside the parent's rows are refused and leave *view as it was. */
static void test_view_bounds_checked(void **state)
{
  (void)state;
  al_mat m, v, empty = {0};
  assert_int_equal(al_mat_alloc(&m, 5, 3), AL_OK);
  const int bad[][2] = {{-1, 2}, {0, 0}, {0, -1}, {5, 1}, {4, 2}, {0, 6}, {2, INT_MAX},
                        {INT_MAX, 1}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    v = (al_mat){(float *)&v, 1, 1, 0};
    assert_int_equal(al_mat_view_rows(&v, &m, bad[i][0], bad[i][1]), AL_ERR_SHAPE);
    assert_ptr_equal(v.data, (float *)&v);
    assert_int_equal(v.rows, 1);
  }
  assert_int_equal(al_mat_view_rows(&v, &m, 4, 1), AL_OK);
  assert_int_equal(al_mat_view_rows(&v, &m, 0, 5), AL_OK);
  assert_int_equal(al_mat_view_rows(&v, &empty, 0, 1), AL_ERR_ARG);
  assert_int_equal(al_mat_view_rows(NULL, &m, 0, 1), AL_ERR_ARG);
  al_mat_release(&m);
}

/* wrap views caller memory; invalid arguments give the empty matrix, which the
 * checked operations refuse. */
static void test_wrap(void **state)
{
  (void)state;
  float buf[6] = {1, 2, 3, 4, 5, 6};
  al_mat w = al_mat_wrap(buf, 2, 3);
  assert_ptr_equal(w.data, buf);
  assert_int_equal(w.owned, 0);
  assert_true(AL_AT(&w, 1, 0) == 4.0f);
  al_mat bad[] = {al_mat_wrap(NULL, 2, 3), al_mat_wrap(buf, 0, 3), al_mat_wrap(buf, 2, -1)};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_null(bad[i].data);
    assert_int_equal(al_mat_size(&bad[i]), 0);
    assert_int_equal(al_mat_copy(&w, &bad[i]), AL_ERR_ARG);
    assert_int_equal(al_mat_add(&w, &w, &bad[i]), AL_ERR_ARG);
  }
  al_mat_release(&w); /* harmless on a view */
  assert_true(buf[5] == 6.0f);
}

/* copy and fill write every element; copy checks shapes and leaves dst untouched on
 * a mismatch. */
static void test_copy_fill(void **state)
{
  (void)state;
  float a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {0}, c[6] = {9, 9, 9, 9, 9, 9};
  al_mat ma = al_mat_wrap(a, 2, 3), mb = al_mat_wrap(b, 2, 3), mc = al_mat_wrap(c, 3, 2);
  assert_int_equal(al_mat_copy(&mb, &ma), AL_OK);
  assert_memory_equal(a, b, sizeof a);
  assert_int_equal(al_mat_copy(&mc, &ma), AL_ERR_SHAPE);
  const float nines[6] = {9, 9, 9, 9, 9, 9};
  assert_memory_equal(c, nines, sizeof c);
  al_mat_fill(&ma, -2.5f);
  for (int i = 0; i < 6; i++)
    assert_true(a[i] == -2.5f);
  assert_true(al_mat_same_shape(&ma, &mb));
  assert_false(al_mat_same_shape(&ma, &mc));
  assert_false(al_mat_same_shape(&ma, NULL));
}

/* Transposing puts (i, j) at (j, i), across tile edges (37 × 45), and twice gives
 * back the original; wrong shapes and dst sharing storage with src are refused. */
static void test_transpose_round_trip(void **state)
{
  (void)state;
  al_mat a, t, back;
  random_mat(&a, 37, 45, 8);
  assert_int_equal(al_mat_alloc(&t, 45, 37), AL_OK);
  assert_int_equal(al_mat_alloc(&back, 37, 45), AL_OK);
  assert_int_equal(al_mat_transpose(&t, &a), AL_OK);
  for (int i = 0; i < 37; i++)
    for (int j = 0; j < 45; j++)
      assert_true(AL_AT(&t, j, i) == AL_AT(&a, i, j));
  assert_int_equal(al_mat_transpose(&back, &t), AL_OK);
  assert_memory_equal(back.data, a.data, al_mat_size(&a) * sizeof(float));
  assert_int_equal(al_mat_transpose(&back, &a), AL_ERR_SHAPE);
  al_mat sq;
  random_mat(&sq, 4, 4, 9);
  assert_int_equal(al_mat_transpose(&sq, &sq), AL_ERR_ARG);
  al_mat_release(&a);
  al_mat_release(&t);
  al_mat_release(&back);
  al_mat_release(&sq);
}

/* add_row adds the row to every row of m; a row of the wrong width (AL_ERR_SHAPE) or
 * one inside m (AL_ERR_ARG) is refused and m is untouched. */
static void test_add_row(void **state)
{
  (void)state;
  float m[6] = {1, 2, 3, 4, 5, 6}, r[3] = {10, 20, 30}, r2[2] = {1, 1};
  al_mat mm = al_mat_wrap(m, 2, 3), mr = al_mat_wrap(r, 1, 3), mr2 = al_mat_wrap(r2, 1, 2);
  assert_int_equal(al_mat_add_row(&mm, &mr), AL_OK);
  const float want[6] = {11, 22, 33, 14, 25, 36};
  assert_memory_equal(m, want, sizeof want);
  assert_int_equal(al_mat_add_row(&mm, &mr2), AL_ERR_SHAPE);
  al_mat two = al_mat_wrap(m, 2, 3);
  al_mat two_rows = al_mat_wrap(r, 3, 1);
  assert_int_equal(al_mat_add_row(&two, &two_rows), AL_ERR_SHAPE);
  al_mat own_row;
  assert_int_equal(al_mat_view_rows(&own_row, &mm, 1, 1), AL_OK);
  assert_int_equal(al_mat_add_row(&mm, &own_row), AL_ERR_ARG); /* row inside m */
  assert_memory_equal(m, want, sizeof want);
}

/* col_sums gives alpha·(column sums) + beta·out; beta = 0 ignores a NaN in out; a
 * wrong shape or an out inside m is refused, writing nothing. */
static void test_col_sums_alpha_beta(void **state)
{
  (void)state;
  float m[6] = {1, 2, 3, 4, 5, 6}, o[3] = {1, -1, 2};
  al_mat mm = al_mat_wrap(m, 2, 3), mo = al_mat_wrap(o, 1, 3);
  /* column sums 5, 7, 9 */
  assert_int_equal(al_mat_col_sums(&mo, &mm, 2.0f, 0.5f), AL_OK);
  const float want1[3] = {10.5f, 13.5f, 19.0f};
  assert_memory_equal(o, want1, sizeof want1);
  o[1] = NAN;
  assert_int_equal(al_mat_col_sums(&mo, &mm, 1.0f, 0.0f), AL_OK);
  const float want2[3] = {5, 7, 9};
  assert_memory_equal(o, want2, sizeof want2);
  assert_int_equal(al_mat_col_sums(&mo, &mm, -1.0f, 1.0f), AL_OK);
  const float want3[3] = {0, 0, 0};
  assert_memory_equal(o, want3, sizeof want3);
  float o2[2] = {4, 4};
  al_mat mo2 = al_mat_wrap(o2, 1, 2);
  assert_int_equal(al_mat_col_sums(&mo2, &mm, 1.0f, 0.0f), AL_ERR_SHAPE);
  assert_true(o2[0] == 4.0f && o2[1] == 4.0f);
  al_mat own_row;
  assert_int_equal(al_mat_view_rows(&own_row, &mm, 0, 1), AL_OK);
  assert_int_equal(al_mat_col_sums(&own_row, &mm, 1.0f, 0.0f), AL_ERR_ARG);
  assert_memory_equal(m, ((float[]){1, 2, 3, 4, 5, 6}), sizeof m);
}

/* add, sub and mul work elementwise, also when c is a, b or both; shape mismatches
 * leave c untouched. */
static void test_elementwise_with_aliasing(void **state)
{
  (void)state;
  float a[4] = {1, 2, 3, 4}, b[4] = {10, 20, 30, 40}, c[4] = {0};
  al_mat ma = al_mat_wrap(a, 2, 2), mb = al_mat_wrap(b, 2, 2), mc = al_mat_wrap(c, 2, 2);
  assert_int_equal(al_mat_add(&mc, &ma, &mb), AL_OK);
  assert_memory_equal(c, ((float[]){11, 22, 33, 44}), sizeof c);
  assert_int_equal(al_mat_sub(&mc, &ma, &mb), AL_OK);
  assert_memory_equal(c, ((float[]){-9, -18, -27, -36}), sizeof c);
  assert_int_equal(al_mat_mul(&mc, &ma, &mb), AL_OK);
  assert_memory_equal(c, ((float[]){10, 40, 90, 160}), sizeof c);
  assert_int_equal(al_mat_sub(&ma, &mb, &ma), AL_OK); /* c is b of the call */
  assert_memory_equal(a, ((float[]){9, 18, 27, 36}), sizeof a);
  assert_int_equal(al_mat_add(&ma, &ma, &mb), AL_OK); /* c is a */
  assert_memory_equal(a, ((float[]){19, 38, 57, 76}), sizeof a);
  assert_int_equal(al_mat_mul(&mb, &mb, &mb), AL_OK); /* all three */
  assert_memory_equal(b, ((float[]){100, 400, 900, 1600}), sizeof b);
  float d[6] = {5, 5, 5, 5, 5, 5};
  al_mat md = al_mat_wrap(d, 2, 3), md3 = al_mat_wrap(d, 3, 2);
  assert_int_equal(al_mat_add(&md, &ma, &mb), AL_ERR_SHAPE);
  assert_int_equal(al_mat_sub(&mc, &md, &mb), AL_ERR_SHAPE);
  assert_int_equal(al_mat_mul(&md3, &md, &md), AL_ERR_SHAPE);
  assert_memory_equal(d, ((float[]){5, 5, 5, 5, 5, 5}), sizeof d);
  assert_memory_equal(c, ((float[]){10, 40, 90, 160}), sizeof c);
}

/* axpy adds alpha·x (x may be y itself); scale multiplies; clamp_min raises entries
 * below lo and keeps NaN. */
static void test_axpy_scale_clamp(void **state)
{
  (void)state;
  float y[3] = {1, 2, 3}, x[3] = {4, -5, 6}, z[2] = {0};
  al_mat my = al_mat_wrap(y, 1, 3), mx = al_mat_wrap(x, 1, 3), mz = al_mat_wrap(z, 1, 2);
  assert_int_equal(al_mat_axpy(&my, 0.5f, &mx), AL_OK);
  assert_memory_equal(y, ((float[]){3, -0.5f, 6}), sizeof y);
  assert_int_equal(al_mat_axpy(&my, 1.0f, &my), AL_OK);
  assert_memory_equal(y, ((float[]){6, -1, 12}), sizeof y);
  assert_int_equal(al_mat_axpy(&mz, 1.0f, &mx), AL_ERR_SHAPE);
  assert_true(z[0] == 0.0f && z[1] == 0.0f);
  al_mat_scale(&my, -0.25f);
  assert_memory_equal(y, ((float[]){-1.5f, 0.25f, -3}), sizeof y);
  float c[5] = {-3, 0.5f, NAN, -INFINITY, 2};
  al_mat mc = al_mat_wrap(c, 1, 5);
  al_mat_clamp_min(&mc, 0.0f);
  assert_true(c[0] == 0.0f && c[1] == 0.5f && isnan(c[2]) && c[3] == 0.0f && c[4] == 2.0f);
  al_mat empty = {0};
  al_mat_scale(&empty, 2.0f); /* no-ops on the empty matrix */
  al_mat_clamp_min(&empty, 0.0f);
  al_mat_fill(&empty, 1.0f);
}

/* argmax_rows picks the first maximum; a NaN never wins against a number, and an
 * all-NaN row gives 0. */
static void test_argmax_ties_and_nan(void **state)
{
  (void)state;
  float m[] = {
    1, 3, 3, 0,                 /* tie: first of the two 3s */
    NAN, 1, 2, NAN,             /* NaN first: the largest number */
    2, NAN, 2, 1,               /* NaN between tied maxima */
    NAN, NAN, NAN, NAN,         /* all NaN */
    -INFINITY, -INFINITY, -5, -INFINITY,
    INFINITY, NAN, INFINITY, 7,
    0, 0, 0, 0,
  };
  const int want[] = {1, 2, 0, 0, 2, 0, 0};
  al_mat mm = al_mat_wrap(m, 7, 4);
  int out[7] = {-1, -1, -1, -1, -1, -1, -1};
  assert_int_equal(al_mat_argmax_rows(out, &mm), AL_OK);
  assert_memory_equal(out, want, sizeof want);
  assert_int_equal(al_mat_argmax_rows(NULL, &mm), AL_ERR_ARG);
}

/* all_finite is 0 as soon as one entry is NaN, +Inf or -Inf, wherever it sits (also
 * past the first block of 1024), and 1 for large but finite values. */
static void test_all_finite(void **state)
{
  (void)state;
  al_mat m;
  assert_int_equal(al_mat_alloc(&m, 3, 1000), AL_OK);
  al_mat_fill(&m, FLT_MAX);
  assert_true(al_mat_all_finite(&m));
  const float bad[] = {NAN, INFINITY, -INFINITY};
  const size_t where[] = {0, 1023, 1024, 2999};
  for (size_t b = 0; b < 3; b++)
    for (size_t w = 0; w < 4; w++) {
      m.data[where[w]] = bad[b];
      assert_false(al_mat_all_finite(&m));
      m.data[where[w]] = -FLT_MAX;
      assert_true(al_mat_all_finite(&m));
    }
  al_mat_release(&m);
}

/* norm is the Frobenius norm: 3-4-5 by hand, 1e30-sized entries whose float squares
 * would overflow, and sqrt(n) for n ones. */
static void test_norm(void **state)
{
  (void)state;
  float a[] = {3, 0, 0, -4};
  al_mat ma = al_mat_wrap(a, 2, 2);
  assert_true(fabs(al_mat_norm(&ma) - 5.0) < 1e-12);
  float big[] = {3e30f, 4e30f, 0};
  al_mat mb = al_mat_wrap(big, 1, 3);
  assert_true(fabs(al_mat_norm(&mb) / 5e30 - 1.0) < 1e-6);
  al_mat m;
  assert_int_equal(al_mat_alloc(&m, 7, 1001), AL_OK);
  al_mat_fill(&m, 1.0f);
  assert_true(fabs(al_mat_norm(&m) - sqrt(7007.0)) < 1e-9);
  al_mat_release(&m);
}

/* Random fills repeat from the same seed and stream, differ across streams, stay in
 * [lo, hi), and normal fills have the requested mean and spread (1e4 draws: mean
 * within 0.1 of 3, std within 0.1 of 2, about five standard errors). */
static void test_random_fills(void **state)
{
  (void)state;
  al_mat a, b, c;
  al_rng ra, rb, rc;
  assert_int_equal(al_mat_alloc(&a, 100, 100), AL_OK);
  assert_int_equal(al_mat_alloc(&b, 100, 100), AL_OK);
  assert_int_equal(al_mat_alloc(&c, 100, 100), AL_OK);
  al_rng_seed(&ra, 5, AL_STREAM_INIT);
  al_rng_seed(&rb, 5, AL_STREAM_INIT);
  al_rng_seed(&rc, 5, AL_STREAM_NOISE);
  al_mat_fill_uniform(&a, &ra, -0.5f, 0.25f);
  al_mat_fill_uniform(&b, &rb, -0.5f, 0.25f);
  al_mat_fill_uniform(&c, &rc, -0.5f, 0.25f);
  assert_memory_equal(a.data, b.data, al_mat_size(&a) * sizeof(float));
  assert_memory_not_equal(a.data, c.data, al_mat_size(&a) * sizeof(float));
  for (size_t i = 0; i < al_mat_size(&a); i++)
    assert_true(a.data[i] >= -0.5f && a.data[i] < 0.25f);
  al_mat_fill_normal(&a, &ra, 3.0f, 2.0f);
  al_mat_fill_normal(&b, &rb, 3.0f, 2.0f);
  assert_memory_equal(a.data, b.data, al_mat_size(&a) * sizeof(float));
  double sum = 0.0, sum2 = 0.0, n = (double)al_mat_size(&a);
  for (size_t i = 0; i < al_mat_size(&a); i++) {
    sum += a.data[i];
    sum2 += (double)a.data[i] * a.data[i];
  }
  double mean = sum / n, std = sqrt(sum2 / n - mean * mean);
  assert_true(fabs(mean - 3.0) < 0.1);
  assert_true(fabs(std - 2.0) < 0.1);
  al_mat_release(&a);
  al_mat_release(&b);
  al_mat_release(&c);
}

/* A uniform fill whose rounding would land on hi stays below it: on [1, 1 + 2^-23)
 * only 1 is a valid float, and every entry must be exactly 1. */
static void test_fill_uniform_half_open(void **state)
{
  (void)state;
  al_mat m;
  al_rng r;
  al_rng_seed(&r, 1, AL_STREAM_INIT);
  assert_int_equal(al_mat_alloc(&m, 10, 100), AL_OK);
  al_mat_fill_uniform(&m, &r, 1.0f, nextafterf(1.0f, 2.0f));
  for (size_t i = 0; i < al_mat_size(&m); i++)
    assert_true(m.data[i] == 1.0f);
  al_mat_release(&m);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_gemm_matches_naive),
    cmocka_unit_test(test_gemm_beta_zero_ignores_c),
    cmocka_unit_test(test_gemm_shape_mismatch_untouched),
    cmocka_unit_test(test_gemm_bad_arguments),
    cmocka_unit_test(test_alloc_aligned_zeroed),
    cmocka_unit_test(test_alloc_invalid_sizes),
    cmocka_unit_test(test_view_shares_storage),
    cmocka_unit_test(test_view_bounds_checked),
    cmocka_unit_test(test_wrap),
    cmocka_unit_test(test_copy_fill),
    cmocka_unit_test(test_transpose_round_trip),
    cmocka_unit_test(test_add_row),
    cmocka_unit_test(test_col_sums_alpha_beta),
    cmocka_unit_test(test_elementwise_with_aliasing),
    cmocka_unit_test(test_axpy_scale_clamp),
    cmocka_unit_test(test_argmax_ties_and_nan),
    cmocka_unit_test(test_all_finite),
    cmocka_unit_test(test_norm),
    cmocka_unit_test(test_random_fills),
    cmocka_unit_test(test_fill_uniform_half_open),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
