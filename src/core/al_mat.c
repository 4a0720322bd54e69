/* float32 matrices: aligned storage, views, elementwise kernels and gemm through cblas.
 * Loops run in AL_EACH (al_vec.h), over restrict pointers where aliasing is not allowed,
 * so gcc vectorises them at -O2 and -O3 without runtime overlap checks; the kernels a
 * training step uses are also cloned for AVX2 and AVX-512. */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "al_mat.h"
#include "al_vec.h"

/* A matrix an operation can use: storage present and both sizes at least 1. */
static int valid(const al_mat *m)
{
  return m != NULL && m->data != NULL && m->rows >= 1 && m->cols >= 1;
}

/* Nonzero when the storage of a and b shares any byte (views of one block included). */
static int overlap(const al_mat *a, const al_mat *b)
{
  uintptr_t a0 = (uintptr_t)a->data, a1 = a0 + al_mat_size(a) * sizeof(float);
  uintptr_t b0 = (uintptr_t)b->data, b1 = b0 + al_mat_size(b) * sizeof(float);
  return a0 < b1 && b0 < a1;
}

al_status al_mat_alloc(al_mat *m, int rows, int cols)
{
  if (m == NULL)
    return AL_ERR_ARG;
  *m = (al_mat){0};
  if (rows < 1 || cols < 1)
    return AL_ERR_ARG;
  /* rows and cols are ints, so each fits BLAS. The byte count, rounded up to a
   * multiple of the alignment as aligned_alloc requires, must fit ptrdiff_t: no C
   * object may be larger, and asking the allocator for more is refused here rather
   * than left to it (sanitizer allocators abort on such requests). */
  const size_t limit = (size_t)PTRDIFF_MAX - (AL_MAT_ALIGN - 1);
  size_t n = (size_t)rows;
  if ((size_t)cols > limit / sizeof(float) / n)
    return AL_ERR_NOMEM;
  size_t bytes = n * (size_t)cols * sizeof(float);
  bytes = (bytes + AL_MAT_ALIGN - 1) / AL_MAT_ALIGN * AL_MAT_ALIGN;
  float *data = aligned_alloc(AL_MAT_ALIGN, bytes);
  if (data == NULL)
    return AL_ERR_NOMEM;
  memset(data, 0, bytes);
  *m = (al_mat){.data = data, .rows = rows, .cols = cols, .owned = 1};
  return AL_OK;
}

void al_mat_release(al_mat *m)
{
  if (m == NULL)
    return;
  if (m->owned)
    free(m->data);
  *m = (al_mat){0};
}

/* Invalid arguments give the empty matrix, which every checked operation refuses. */
al_mat al_mat_wrap(float *data, int rows, int cols)
{
  if (data == NULL || rows < 1 || cols < 1 ||
      (size_t)cols > (size_t)PTRDIFF_MAX / sizeof(float) / (size_t)rows)
    return (al_mat){0};
  return (al_mat){.data = data, .rows = rows, .cols = cols, .owned = 0};
}

/* On failure *view is left as it was. */
al_status al_mat_view_rows(al_mat *view, const al_mat *m, int first, int count)
{
  if (view == NULL || !valid(m))
    return AL_ERR_ARG;
  if (first < 0 || count < 1 || first >= m->rows || count > m->rows - first)
    return AL_ERR_SHAPE;
  float *data = m->data + (size_t)first * (size_t)m->cols;
  *view = (al_mat){.data = data, .rows = count, .cols = m->cols, .owned = 0};
  return AL_OK;
}

size_t al_mat_size(const al_mat *m)
{
  if (!valid(m))
    return 0;
  return (size_t)m->rows * (size_t)m->cols;
}

int al_mat_same_shape(const al_mat *a, const al_mat *b)
{
  return a != NULL && b != NULL && a->rows == b->rows && a->cols == b->cols;
}

al_status al_mat_copy(al_mat *dst, const al_mat *src)
{
  if (!valid(dst) || !valid(src))
    return AL_ERR_ARG;
  if (!al_mat_same_shape(dst, src))
    return AL_ERR_SHAPE;
  memmove(dst->data, src->data, al_mat_size(src) * sizeof(float));
  return AL_OK;
}

void al_mat_fill(al_mat *m, float v)
{
  size_t n = al_mat_size(m);
  float *restrict p = n ? m->data : NULL;
  AL_EACH(n, i, p[i] = v);
}

/* Tiles keep both the rows read and the rows written in cache for large matrices. */
#define TILE 32

al_status al_mat_transpose(al_mat *dst, const al_mat *src)
{
  if (!valid(dst) || !valid(src))
    return AL_ERR_ARG;
  if (dst->rows != src->cols || dst->cols != src->rows)
    return AL_ERR_SHAPE;
  if (overlap(dst, src))
    return AL_ERR_ARG;
  const size_t r = (size_t)src->rows, c = (size_t)src->cols;
  const float *restrict s = src->data;
  float *restrict d = dst->data;
  for (size_t i0 = 0; i0 < r; i0 += TILE) {
    size_t i1 = i0 + TILE < r ? i0 + TILE : r;
    for (size_t j0 = 0; j0 < c; j0 += TILE) {
      size_t j1 = j0 + TILE < c ? j0 + TILE : c;
      for (size_t i = i0; i < i1; i++)
        for (size_t j = j0; j < j1; j++)
          d[j * r + i] = s[i * c + j];
    }
  }
  return AL_OK;
}

/* As in BLAS, beta = 0 overwrites c without reading it (a NaN there does not survive). */
al_status al_mat_gemm(al_mat *c, float alpha, const al_mat *a, int trans_a,
                      const al_mat *b, int trans_b, float beta)
{
  if (!valid(c) || !valid(a) || !valid(b))
    return AL_ERR_ARG;
  /* op(a): m × k, op(b): k × n, c: m × n */
  int m = trans_a ? a->cols : a->rows;
  int k = trans_a ? a->rows : a->cols;
  int kb = trans_b ? b->cols : b->rows;
  int n = trans_b ? b->rows : b->cols;
  if (k != kb || c->rows != m || c->cols != n)
    return AL_ERR_SHAPE;
  if (overlap(c, a) || overlap(c, b))
    return AL_ERR_ARG;
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
              trans_b ? CblasTrans : CblasNoTrans, m, n, k, alpha, a->data, a->cols,
              b->data, b->cols, beta, c->data, c->cols);
  return AL_OK;
}

/* m (r × c) += v (1 × c) on every row. */
AL_CLONES static void add_row_kernel(float *restrict m, const float *restrict v, size_t r,
                                     size_t c)
{
  for (size_t i = 0; i < r; i++) {
    float *p = m + i * c;
    AL_EACH(c, j, p[j] += v[j]);
  }
}

/* row must not share storage with m (AL_ERR_ARG): the loop reads it through restrict. */
al_status al_mat_add_row(al_mat *m, const al_mat *row)
{
  if (!valid(m) || !valid(row))
    return AL_ERR_ARG;
  if (row->rows != 1 || row->cols != m->cols)
    return AL_ERR_SHAPE;
  if (overlap(m, row))
    return AL_ERR_ARG;
  add_row_kernel(m->data, row->data, (size_t)m->rows, (size_t)m->cols);
  return AL_OK;
}

/* o (1 × c) = alpha · Σ_i m[i,:] + beta · o, m: r × c. */
AL_CLONES static void col_sums_kernel(float *restrict o, const float *restrict m, float alpha,
                                      float beta, size_t r, size_t c)
{
  if (beta == 0.0f)
    AL_EACH(c, j, o[j] = 0.0f);
  else if (beta != 1.0f)
    AL_EACH(c, j, o[j] *= beta);
  for (size_t i = 0; i < r; i++) {
    const float *p = m + i * c;
    AL_EACH(c, j, o[j] += alpha * p[j]);
  }
}

/* Row by row into out, so m is read in storage order; beta = 0 overwrites out (a NaN
 * there does not survive). out must not share storage with m (AL_ERR_ARG). */
al_status al_mat_col_sums(al_mat *out, const al_mat *m, float alpha, float beta)
{
  if (!valid(out) || !valid(m))
    return AL_ERR_ARG;
  if (out->rows != 1 || out->cols != m->cols)
    return AL_ERR_SHAPE;
  if (overlap(out, m))
    return AL_ERR_ARG;
  col_sums_kernel(out->data, m->data, alpha, beta, (size_t)m->rows, (size_t)m->cols);
  return AL_OK;
}

/* Shared checks of the elementwise binary operations. */
static al_status check3(const al_mat *c, const al_mat *a, const al_mat *b)
{
  if (!valid(c) || !valid(a) || !valid(b))
    return AL_ERR_ARG;
  if (!al_mat_same_shape(c, a) || !al_mat_same_shape(c, b))
    return AL_ERR_SHAPE;
  return AL_OK;
}

/* No restrict below: c may be a or b. Each element is read before it is written, so
 * exact aliasing is safe whatever the order. */
al_status al_mat_add(al_mat *c, const al_mat *a, const al_mat *b)
{
  al_status s = check3(c, a, b);
  if (s != AL_OK)
    return s;
  size_t n = al_mat_size(c);
  float *pc = c->data;
  const float *pa = a->data, *pb = b->data;
  AL_EACH(n, i, pc[i] = pa[i] + pb[i]);
  return AL_OK;
}

al_status al_mat_sub(al_mat *c, const al_mat *a, const al_mat *b)
{
  al_status s = check3(c, a, b);
  if (s != AL_OK)
    return s;
  size_t n = al_mat_size(c);
  float *pc = c->data;
  const float *pa = a->data, *pb = b->data;
  AL_EACH(n, i, pc[i] = pa[i] - pb[i]);
  return AL_OK;
}

al_status al_mat_mul(al_mat *c, const al_mat *a, const al_mat *b)
{
  al_status s = check3(c, a, b);
  if (s != AL_OK)
    return s;
  size_t n = al_mat_size(c);
  float *pc = c->data;
  const float *pa = a->data, *pb = b->data;
  AL_EACH(n, i, pc[i] = pa[i] * pb[i]);
  return AL_OK;
}

/* x may be y (y += alpha · y). */
al_status al_mat_axpy(al_mat *y, float alpha, const al_mat *x)
{
  if (!valid(y) || !valid(x))
    return AL_ERR_ARG;
  if (!al_mat_same_shape(y, x))
    return AL_ERR_SHAPE;
  size_t n = al_mat_size(y);
  float *py = y->data;
  const float *px = x->data;
  AL_EACH(n, i, py[i] += alpha * px[i]);
  return AL_OK;
}

void al_mat_scale(al_mat *m, float s)
{
  size_t n = al_mat_size(m);
  float *restrict p = n ? m->data : NULL;
  AL_EACH(n, i, p[i] *= s);
}

AL_CLONES static void clamp_min_kernel(float *restrict p, float lo, size_t n)
{
  AL_EACH(n, i, p[i] = p[i] < lo ? lo : p[i]);
}

/* A NaN entry stays NaN (NaN < lo is false), so a diverged value is not hidden. */
void al_mat_clamp_min(al_mat *m, float lo)
{
  size_t n = al_mat_size(m);
  if (n)
    clamp_min_kernel(m->data, lo, n);
}

/* Ties go to the first index. A NaN never wins against a number: it is skipped, and
 * a row that is all NaN gives index 0. */
al_status al_mat_argmax_rows(int *out, const al_mat *m)
{
  if (out == NULL || !valid(m))
    return AL_ERR_ARG;
  const size_t c = (size_t)m->cols;
  for (int i = 0; i < m->rows; i++) {
    const float *p = m->data + (size_t)i * c;
    size_t best = 0;
    float v = p[0];
    for (size_t j = 1; j < c; j++) {
      if (p[j] > v || (isnan(v) && !isnan(p[j]))) {
        v = p[j];
        best = j;
      }
    }
    out[i] = (int)best;
  }
  return AL_OK;
}

/* Values are formed in double and rounded once; one that rounds up onto hi is
 * moved to the float just below it, keeping the interval half-open. */
void al_mat_fill_uniform(al_mat *m, al_rng *rng, float lo, float hi)
{
  size_t n = al_mat_size(m);
  if (n == 0 || rng == NULL)
    return;
  const double base = lo, width = (double)hi - (double)lo;
  for (size_t i = 0; i < n; i++) {
    float v = (float)(base + width * (double)al_rng_uniform(rng));
    if (v >= hi && hi > lo)
      v = nextafterf(hi, lo);
    m->data[i] = v;
  }
}

void al_mat_fill_normal(al_mat *m, al_rng *rng, float mean, float std)
{
  size_t n = al_mat_size(m);
  if (n == 0 || rng == NULL)
    return;
  for (size_t i = 0; i < n; i++)
    m->data[i] = mean + std * al_rng_normal(rng);
}

/* Tested on the bits (exponent all ones means Inf or NaN): an integer OR reduction
 * that vectorises, with an early exit between blocks. An empty matrix counts as finite. */
int al_mat_all_finite(const al_mat *m)
{
  size_t n = al_mat_size(m);
  const size_t block = 1024;
  for (size_t i0 = 0; i0 < n; i0 += block) {
    size_t i1 = i0 + block < n ? i0 + block : n;
    uint32_t bad = 0;
    for (size_t i = i0; i < i1; i++) {
      uint32_t u;
      memcpy(&u, &m->data[i], sizeof u);
      bad |= (uint32_t)((u & 0x7f800000u) == 0x7f800000u);
    }
    if (bad)
      return 0;
  }
  return 1;
}

/* Sum of squares in double: no overflow for any float entries, and little rounding
 * over millions of terms. Four partial sums shorten the dependency chain. */
double al_mat_norm(const al_mat *m)
{
  size_t n = al_mat_size(m);
  double s[4] = {0.0, 0.0, 0.0, 0.0};
  size_t i = 0;
  for (; i + 4 <= n; i += 4)
    for (size_t k = 0; k < 4; k++)
      s[k] += (double)m->data[i + k] * (double)m->data[i + k];
  for (; i < n; i++)
    s[0] += (double)m->data[i] * (double)m->data[i];
  return sqrt((s[0] + s[1]) + (s[2] + s[3]));
}
