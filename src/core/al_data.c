/* Gathering mini-batches out of a data set (pixels scaled on the way), and the
 * consistency check that names the offending field. */
#include <math.h>
#include <string.h>

#include "al_data.h"
#include "al_vec.h"

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
 * cover, and fetched one after another their misses cost more than the conversion. So
 * the gather first loads a byte of every cache line of every row of the batch:
 * independent loads, whose misses and page walks overlap. On the benchmark's machine
 * this cut the gather of a shuffled full-MNIST epoch by a third (from 6.5% of the
 * GEMMs' time to 4.5%), where software prefetches alone gained nothing (a prefetch
 * seems to be dropped on a TLB miss there); they stay, AHEAD rows ahead, for a little
 * more. */
static unsigned touch_row(const al_data *d, size_t r)
{
  const size_t in = (size_t)d->in;
  unsigned sum = 0;
  if (d->pixels) {
    const uint8_t *p = d->pixels + r * in;
    for (size_t o = 0; o < in; o += 64)
      sum += p[o];
    sum += p[in - 1];
  } else {
    const float *p = d->x + r * in;
    for (size_t o = 0; o < in; o += 16)
      sum += p[o] != 0.0f;
    sum += p[in - 1] != 0.0f;
  }
  return sum;
}

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

/* x = p·scale − shift for one row, in AVX-512 where there is (AL_CLONES, al_vec.h). */
AL_CLONES static void convert_row(float *restrict xr, const uint8_t *restrict pr, size_t in,
                                  float scale, float shift)
{
  AL_EACH(in, j, xr[j] = (float)pr[j] * scale - shift);
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
  unsigned touched = 0;
  for (int k = 0; k < count; k++) {
    int r = source_row(d, order, first + k);
    if (r < 0 || (d->labels && d->labels[r] >= d->out))
      return AL_ERR_ARG;
    touched += touch_row(d, (size_t)r);
  }
  volatile unsigned sink = touched; /* keeps the loads above */
  (void)sink;

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
      for (size_t j = 0; j < out; j++) /* one pass: cheaper than memset for 10 floats */
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
