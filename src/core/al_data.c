/* Gathering mini-batches out of a data set (pixels scaled on the way), and the
 * consistency check that names the offending field. */
#include <math.h>
#include <string.h>

#include "al_data.h"

/* The pixel conversion compiled for SSE2, AVX2 and AVX-512, picked at load time (as
 * in al_act.c; the same results on every path). */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11 && defined(__x86_64__) && \
    defined(__GLIBC__) && !defined(AL_NO_CLONES)
#define CLONES __attribute__((target_clones("default", "arch=x86-64-v3", "arch=x86-64-v4")))
#else
#define CLONES
#endif

/* Source row of example position p of the batch; -1 when an index is out of range. */
static int source_row(const al_data *d, const int *order, int p)
{
  int e = order ? order[p] : p;
  if (e < 0 || e >= d->n)
    return -1;
  int r = d->rows ? d->rows[e] : e;
  int n_src = d->n_src > 0 ? d->n_src : d->n;
  return r < 0 || r >= n_src ? -1 : r;
}

/* A shuffled order reads rows scattered over more memory than the caches and the TLB
 * cover; fetched one after another, their misses cost more than the conversion (a
 * quarter of an epoch's non-GEMM time on MNIST). So the gather first loads one byte of
 * every row, all at once (independent loads: their misses and page walks overlap),
 * and while copying a row it prefetches the whole of the row AHEAD of it. A software
 * prefetch alone does not help much here: it is dropped when the page is not in the TLB. */
#define AHEAD 4

static void prefetch_row(const al_data *d, size_t r)
{
#if defined(__GNUC__)
  const char *p = d->pixels ? (const char *)(d->pixels + r * (size_t)d->in)
                            : (const char *)(d->x + r * (size_t)d->in);
  const size_t bytes = (size_t)d->in * (d->pixels ? 1 : sizeof(float));
  for (size_t o = 0; o < bytes; o += 64)
    __builtin_prefetch(p + o);
#else
  (void)d, (void)r;
#endif
}

CLONES static void convert_row(float *restrict xr, const uint8_t *restrict pr, size_t in,
                               float scale, float shift)
{
  for (size_t j = 0; j < in; j++)
    xr[j] = (float)pr[j] * scale - shift;
}

/* Every index and label is validated before anything is written, so a failure
 * leaves x, t and labels_out as they were. */
al_status al_data_gather(al_mat *x, al_mat *t, int *labels_out, const al_data *d,
                         const int *order, int first, int count)
{
  if (d == NULL || x == NULL || t == NULL || x->data == NULL || t->data == NULL)
    return AL_ERR_ARG;
  if (d->n < 1 || d->in < 1 || d->out < 1 || (d->pixels == NULL) == (d->x == NULL) ||
      (d->labels == NULL) == (d->t == NULL))
    return AL_ERR_ARG;
  if (first < 0 || count < 1 || first >= d->n || count > d->n - first)
    return AL_ERR_ARG;
  if (x->rows != count || x->cols != d->in || t->rows != count || t->cols != d->out)
    return AL_ERR_SHAPE;
  const size_t in = (size_t)d->in, out = (size_t)d->out;
  unsigned first_bytes = 0;
  for (int k = 0; k < count; k++) {
    int r = source_row(d, order, first + k);
    if (r < 0 || (d->labels && d->labels[r] >= d->out))
      return AL_ERR_ARG;
    first_bytes += d->pixels ? d->pixels[(size_t)r * in] : d->x[(size_t)r * in] != 0.0f;
  }
  volatile unsigned touched = first_bytes; /* keeps the loads above */
  (void)touched;

  const float scale = d->scale, shift = d->shift;
  for (int k = 0; k < count; k++) {
    const size_t r = (size_t)source_row(d, order, first + k);
    float *restrict xr = x->data + (size_t)k * in;
    if (k + AHEAD < count)
      prefetch_row(d, (size_t)source_row(d, order, first + k + AHEAD));
    if (d->pixels) {
      convert_row(xr, d->pixels + r * in, in, scale, shift);
    } else {
      memcpy(xr, d->x + r * in, in * sizeof(float));
    }
    float *tr = t->data + (size_t)k * out;
    if (d->labels) {
      const size_t c = d->labels[r];
      for (size_t j = 0; j < out; j++) /* one pass; a memset call costs more for 10 floats */
        tr[j] = j == c ? 1.0f : 0.0f;
    } else {
      memcpy(tr, d->t + r * out, out * sizeof(float));
    }
    if (labels_out)
      labels_out[k] = d->labels ? d->labels[r] : -1;
  }
  return AL_OK;
}

al_status al_data_check(const al_data *d, const char *what, al_err *err)
{
  const char *w = what ? what : "data";
  if (d == NULL)
    return al_fail(err, AL_ERR_ARG, "%s: no data", w);
  if (d->n < 1)
    return al_fail(err, AL_ERR_ARG, "%s: n = %d, at least 1 example expected", w, d->n);
  if (d->in < 1)
    return al_fail(err, AL_ERR_ARG, "%s: in = %d, at least 1 input feature expected", w,
                   d->in);
  if (d->out < 1)
    return al_fail(err, AL_ERR_ARG, "%s: out = %d, at least 1 target column expected", w,
                   d->out);
  if (d->pixels && d->x)
    return al_fail(err, AL_ERR_ARG, "%s: both pixels and x are set, one input source expected",
                   w);
  if (!d->pixels && !d->x)
    return al_fail(err, AL_ERR_ARG, "%s: neither pixels nor x is set, one input source expected",
                   w);
  if (d->labels && d->t)
    return al_fail(err, AL_ERR_ARG, "%s: both labels and t are set, one target source expected",
                   w);
  if (!d->labels && !d->t)
    return al_fail(err, AL_ERR_ARG, "%s: neither labels nor t is set, one target source expected",
                   w);
  if (d->pixels && !isfinite(d->scale))
    return al_fail(err, AL_ERR_ARG, "%s: scale = %g is not finite", w, (double)d->scale);
  if (d->pixels && !isfinite(d->shift))
    return al_fail(err, AL_ERR_ARG, "%s: shift = %g is not finite", w, (double)d->shift);
  for (int i = 0; i < d->n; i++) {
    int r = i;
    if (d->rows) {
      r = d->rows[i];
      int n_src = d->n_src > 0 ? d->n_src : d->n;
      if (r < 0 || r >= n_src)
        return al_fail(err, AL_ERR_ARG, "%s: rows[%d] = %d outside the %d source rows", w, i,
                       r, n_src);
    }
    if (d->labels && d->labels[r] >= d->out)
      return al_fail(err, AL_ERR_ARG, "%s: labels[%d] = %d outside 0..%d", w, r,
                     d->labels[r], d->out - 1);
  }
  return AL_OK;
}
