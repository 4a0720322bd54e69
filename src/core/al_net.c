/* The sequential network: layer specs checked, one parameter block and one gradient
 * block that every layer views, caches sized by al_net_reserve, forward and backward.
 * Weight initialisation lives in al_init.c. */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "al_net.h"

/* What a message calls a layer: its kind, or for an act layer its activation. */
static const char *kind_name(const al_layer_spec *s)
{
  switch (s->kind) {
  case AL_LAYER_DENSE: return "dense";
  case AL_LAYER_MAXOUT: return "maxout";
  case AL_LAYER_ACT: return s->act ? s->act->name : "act";
  }
  return "unknown kind";
}

static int is_prelu(const al_layer *l)
{
  return l->spec.kind == AL_LAYER_ACT && (l->spec.act->flags & AL_ACT_TRAINABLE);
}

static int is_rrelu(const al_layer *l)
{
  return l->spec.kind == AL_LAYER_ACT && (l->spec.act->flags & AL_ACT_STOCHASTIC);
}

/* Columns of the affine part: out for dense, out · pieces for maxout. */
static int affine_cols(const al_layer_spec *s)
{
  return s->kind == AL_LAYER_MAXOUT ? s->units * s->pieces : s->units;
}

/* rrelu's slope range, looked up by name so the table's parameter order is free. */
static void rrelu_range(const al_act *a, const float *p, float *lo, float *hi)
{
  int il = 0, ih = 1;
  if (al_act_param_index(&il, a, "lower", NULL) != AL_OK)
    il = 0;
  if (al_act_param_index(&ih, a, "upper", NULL) != AL_OK)
    ih = 1;
  *lo = p[il];
  *hi = p[ih];
}

/* Checks spec i (0-based) of n, whose input has `width` features. */
static al_status check_spec(const al_layer_spec *s, int i, int n, int width, al_err *err)
{
  const char *k = kind_name(s);
  int no = i + 1;
  switch (s->kind) {
  case AL_LAYER_DENSE:
  case AL_LAYER_MAXOUT:
    if (s->units < 1)
      return al_fail(err, AL_ERR_ARG, "layer %d (%s): units = %d, expected ≥ 1", no, k,
                     s->units);
    if (s->kind == AL_LAYER_MAXOUT) {
      if (s->pieces < 2)
        return al_fail(err, AL_ERR_ARG, "layer %d (%s): pieces = %d, expected ≥ 2", no, k,
                       s->pieces);
      if (s->units > INT_MAX / s->pieces)
        return al_fail(err, AL_ERR_ARG, "layer %d (%s): units · pieces = %d · %d is too large",
                       no, k, s->units, s->pieces);
    }
    if ((size_t)affine_cols(s) > SIZE_MAX / sizeof(float) / 4 / (size_t)width)
      return al_fail(err, AL_ERR_NOMEM, "layer %d (%s): %d × %d weights are too many", no, k,
                     width, affine_cols(s));
    switch (s->init.kind) {
    case AL_INIT_AUTO:
    case AL_INIT_XAVIER:
    case AL_INIT_HE:
    case AL_INIT_LECUN:
      break;
    case AL_INIT_UNIFORM:
      if (!isfinite(s->init.a) || !isfinite(s->init.b) || !(s->init.a < s->init.b))
        return al_fail(err, AL_ERR_ARG,
                       "layer %d (%s): uniform init range [%g, %g), expected finite lo < hi",
                       no, k, (double)s->init.a, (double)s->init.b);
      break;
    case AL_INIT_NORMAL:
      if (!isfinite(s->init.a) || !isfinite(s->init.b) || s->init.b < 0.0f)
        return al_fail(err, AL_ERR_ARG,
                       "layer %d (%s): normal init mean %g, std %g, expected finite, std ≥ 0",
                       no, k, (double)s->init.a, (double)s->init.b);
      break;
    default:
      return al_fail(err, AL_ERR_ARG, "layer %d (%s): init kind = %d, not an init", no, k,
                     (int)s->init.kind);
    }
    return AL_OK;
  case AL_LAYER_ACT: {
    if (s->act == NULL)
      return al_fail(err, AL_ERR_ARG, "layer %d (act): no activation given", no);
    al_err e = {0};
    if (al_act_check_params(s->act, s->params, &e) != AL_OK)
      return al_fail(err, e.status ? e.status : AL_ERR_ARG, "layer %d (%s): %s", no, k, e.msg);
    if ((s->act->flags & AL_ACT_OUTPUT) && i != n - 1)
      return al_fail(err, AL_ERR_ARG,
                     "layer %d (%s): %s is for output layers only, expected as the last layer",
                     no, k, k);
    if (s->per_unit && !(s->act->flags & AL_ACT_TRAINABLE))
      return al_fail(err, AL_ERR_ARG,
                     "layer %d (%s): per_unit = %d, expected 0 (only trainable activations "
                     "have per-unit parameters)", no, k, s->per_unit);
    if ((s->act->flags & AL_ACT_TRAINABLE) && s->act->nparams < 1)
      return al_fail(err, AL_ERR_ARG, "layer %d (%s): trainable but without a parameter", no,
                     k);
    return AL_OK;
  }
  }
  return al_fail(err, AL_ERR_ARG, "layer %d: kind = %d, expected dense, act or maxout", no,
                 (int)s->kind);
}

/* A block of n floats (at least one cache line), 64-byte aligned and zeroed. */
static float *alloc_floats(size_t n)
{
  size_t bytes = n * sizeof(float);
  bytes = (bytes + AL_MAT_ALIGN - 1) / AL_MAT_ALIGN * AL_MAT_ALIGN;
  if (bytes == 0)
    bytes = AL_MAT_ALIGN;
  float *p = aligned_alloc(AL_MAT_ALIGN, bytes);
  if (p)
    memset(p, 0, bytes);
  return p;
}

/* A view that owns nothing; unlike al_mat_wrap it accepts 0 rows (no forward yet). */
static al_mat view(float *data, int rows, int cols)
{
  return (al_mat){.data = data, .rows = rows, .cols = cols, .owned = 0};
}

/* Points every matrix of layer l at its slice of the blocks (*off advances). */
static void place_params(al_net *net, al_layer *l, size_t *off)
{
  const al_layer_spec *s = &l->spec;
  if (s->kind == AL_LAYER_DENSE || s->kind == AL_LAYER_MAXOUT) {
    int c = affine_cols(s);
    l->w = view(net->params + *off, l->in, c);
    l->dw = view(net->grads + *off, l->in, c);
    *off += (size_t)l->in * (size_t)c;
    l->b = view(net->params + *off, 1, c);
    l->db = view(net->grads + *off, 1, c);
    *off += (size_t)c;
  } else if (is_prelu(l)) {
    int c = s->per_unit ? l->out : 1;
    l->alpha = view(net->params + *off, 1, c);
    l->dalpha = view(net->grads + *off, 1, c);
    *off += (size_t)c;
  }
}

al_status al_net_count_params(size_t *count, int inputs, const al_layer_spec *specs,
                             int nlayers, al_err *err)
{
  size_t total = 0;
  int width = inputs;
  for (int i = 0; i < nlayers; i++) {
    al_status st = check_spec(&specs[i], i, nlayers, width, err);
    if (st != AL_OK)
      return st;
    const al_layer_spec *s = &specs[i];
    if (s->kind == AL_LAYER_ACT) {
      if (s->act->flags & AL_ACT_TRAINABLE)
        total += s->per_unit ? (size_t)width : 1;
    } else {
      total += ((size_t)width + 1) * (size_t)affine_cols(s);
      width = s->units;
    }
    if (total > SIZE_MAX / sizeof(float) / 4)
      return al_fail(err, AL_ERR_NOMEM, "layer %d (%s): too many parameters", i + 1,
                     kind_name(s));
  }
  *count = total;
  return AL_OK;
}

al_status al_net_create(al_net *net, int inputs, const al_layer_spec *specs, int nlayers,
                        uint64_t seed, al_err *err)
{
  al_status st = AL_OK;
  if (net == NULL)
    return al_fail(err, AL_ERR_ARG, "no network to create");
  *net = (al_net){0};
  if (inputs < 1)
    return al_fail(err, AL_ERR_ARG, "inputs = %d, expected ≥ 1", inputs);
  if (nlayers < 1 || nlayers > AL_NET_MAX_LAYERS)
    return al_fail(err, AL_ERR_ARG, "%d layers, expected 1 to %d", nlayers, AL_NET_MAX_LAYERS);
  if (specs == NULL)
    return al_fail(err, AL_ERR_ARG, "no layer specs");

  size_t total = 0;
  st = al_net_count_params(&total, inputs, specs, nlayers, err);
  if (st != AL_OK)
    return st;
  int width = inputs;

  net->layers = calloc((size_t)nlayers, sizeof *net->layers);
  net->params = alloc_floats(total);
  net->grads = alloc_floats(total);
  if (!net->layers || !net->params || !net->grads) {
    st = al_fail(err, AL_ERR_NOMEM, "no memory for %zu parameters", total);
    goto done;
  }
  net->in = inputs;
  net->nlayers = nlayers;
  net->nparams = total;
  size_t off = 0;
  width = inputs;
  for (int i = 0; i < nlayers; i++) {
    al_layer *l = &net->layers[i];
    l->spec = specs[i];
    l->in = width;
    l->out = specs[i].kind == AL_LAYER_ACT ? width : specs[i].units;
    place_params(net, l, &off);
    width = l->out;
  }
  net->out = width;
  al_net_init_params(net, seed);

done:
  if (st != AL_OK)
    al_net_release(net);
  return st;
}

void al_net_release(al_net *net)
{
  if (net == NULL)
    return;
  free(net->layers);
  free(net->params);
  free(net->grads);
  free(net->cache);
  free(net->argmax_cache);
  *net = (al_net){0};
}

/* Floats one cache row needs, the widest delta a backward sees, and argmax ints. */
static void cache_widths(const al_net *net, size_t *floats, size_t *ints, int *widest)
{
  size_t f = 0, n = 0;
  int w = net->in;
  for (int i = 0; i < net->nlayers; i++) {
    const al_layer *l = &net->layers[i];
    f += (size_t)l->out;
    if (l->out > w)
      w = l->out;
    if (l->spec.kind == AL_LAYER_MAXOUT) {
      int c = affine_cols(&l->spec);
      f += (size_t)c;
      n += (size_t)l->out;
      if (c > w)
        w = c;
    }
    if (is_rrelu(l))
      f += (size_t)l->out;
  }
  *floats = f + 2 * (size_t)w;
  *ints = n;
  *widest = w;
}

/* Re-points every cache view at the current block for `rows` rows. */
static void place_caches(al_net *net, int rows)
{
  size_t cap = (size_t)net->cap;
  size_t widest_floats = 0, ints = 0;
  int widest = 0;
  cache_widths(net, &widest_floats, &ints, &widest);
  float *f = net->cache;
  int *g = net->argmax_cache;
  net->scratch[0] = view(f, rows, widest);
  f += cap * (size_t)widest;
  net->scratch[1] = view(f, rows, widest);
  f += cap * (size_t)widest;
  for (int i = 0; i < net->nlayers; i++) {
    al_layer *l = &net->layers[i];
    l->y = view(f, rows, l->out);
    f += cap * (size_t)l->out;
    if (l->spec.kind == AL_LAYER_MAXOUT) {
      int c = affine_cols(&l->spec);
      l->z = view(f, rows, c);
      f += cap * (size_t)c;
      l->argmax = g;
      g += cap * (size_t)l->out;
    }
    if (is_rrelu(l)) {
      l->noise = view(f, rows, l->out);
      f += cap * (size_t)l->out;
    }
  }
}

al_status al_net_reserve(al_net *net, int rows, al_err *err)
{
  float *cache = NULL;
  int *ints = NULL;
  al_status st = AL_OK;
  if (net == NULL || net->layers == NULL)
    return al_fail(err, AL_ERR_ARG, "reserve: no network");
  if (rows < 1)
    return al_fail(err, AL_ERR_ARG, "reserve: rows = %d, expected ≥ 1", rows);
  if (rows <= net->cap)
    return AL_OK;

  size_t floats = 0, nints = 0;
  int widest = 0;
  cache_widths(net, &floats, &nints, &widest);
  if (floats > SIZE_MAX / sizeof(float) / 2 / (size_t)rows ||
      (nints && nints > SIZE_MAX / sizeof(int) / (size_t)rows)) {
    st = al_fail(err, AL_ERR_NOMEM, "reserve: %d rows of caches are too large", rows);
    goto done;
  }
  cache = alloc_floats(floats * (size_t)rows);
  if (nints)
    ints = malloc(nints * (size_t)rows * sizeof *ints);
  if (!cache || (nints && !ints)) {
    st = al_fail(err, AL_ERR_NOMEM, "reserve: no memory for caches of %d rows", rows);
    goto done;
  }
  free(net->cache);
  free(net->argmax_cache);
  net->cache = cache;
  net->argmax_cache = ints;
  cache = NULL;
  ints = NULL;
  net->cap = rows;
  net->batch = 0; /* the old cached outputs are gone */
  place_caches(net, 0);

done:
  free(cache);
  free(ints);
  return st;
}

/* y = x > 0 ? x : α·x with α shared (1 × 1) or per unit (1 × out). */
static void prelu_forward(al_layer *l, const al_mat *x)
{
  const size_t rows = (size_t)x->rows, cols = (size_t)x->cols;
  const float *a = l->alpha.data;
  const int per = l->alpha.cols > 1;
  for (size_t i = 0; i < rows; i++) {
    const float *xr = x->data + i * cols;
    float *yr = l->y.data + i * cols;
    for (size_t j = 0; j < cols; j++) {
      float s = per ? a[j] : a[0];
      yr[j] = xr[j] > 0.0f ? xr[j] : s * xr[j];
    }
  }
}

/* Training-mode rrelu: one slope per element from U(lower, upper), kept for backward;
 * x = 0 takes the slope side, as the table's kinks do. */
static void rrelu_forward(al_net *net, al_layer *l, const al_mat *x)
{
  float lo, hi;
  rrelu_range(l->spec.act, l->spec.params, &lo, &hi);
  const size_t n = al_mat_size(x);
  float *a = l->noise.data;
  for (size_t k = 0; k < n; k++) {
    a[k] = lo + (hi - lo) * al_rng_uniform(&net->noise);
    l->y.data[k] = x->data[k] > 0.0f ? x->data[k] : a[k] * x->data[k];
  }
}

/* z = x·W + b, then each unit takes the largest of its `pieces` consecutive columns. */
static al_status maxout_forward(al_layer *l, const al_mat *x)
{
  al_status st = al_mat_gemm(&l->z, 1.0f, x, 0, &l->w, 0, 0.0f);
  if (st == AL_OK)
    st = al_mat_add_row(&l->z, &l->b);
  if (st != AL_OK)
    return st;
  const size_t rows = (size_t)x->rows, out = (size_t)l->out, p = (size_t)l->spec.pieces;
  for (size_t i = 0; i < rows; i++) {
    const float *zr = l->z.data + i * out * p;
    for (size_t j = 0; j < out; j++) {
      const float *zj = zr + j * p;
      size_t best = 0;
      for (size_t k = 1; k < p; k++)
        if (zj[k] > zj[best])
          best = k;
      l->y.data[i * out + j] = zj[best];
      l->argmax[i * out + j] = (int)best;
    }
  }
  return AL_OK;
}

/* Whether act layer a computes through its table kernels (prelu and training-mode rrelu
 * have paths of their own): then a dense layer below it can hand over rows in chunks. */
static int plain_act(const al_net *net, const al_layer *a)
{
  return a->spec.kind == AL_LAYER_ACT && !is_prelu(a) && !(is_rrelu(a) && net->training);
}

/* Rows per chunk of a fused pass: about 2,048 floats, so that the chunk the first
 * operation leaves behind is still in L1 for the second (whole rows: row-wise
 * activations need them, and each chunk is one contiguous block). */
static int chunk_rows(int cols)
{
  int r = 2048 / cols;
  return r < 1 ? 1 : r;
}

/* The dense layer l's bias and the activation layer a above it in one sweep over the
 * GEMM's output: chunk by chunk, z += b, then y = f(z) while z is still in cache. The
 * same operations in the same order as two full passes, so the same numbers. */
static void bias_act_forward(al_layer *l, al_layer *a, int rows)
{
  const int cols = l->out, step = chunk_rows(cols);
  const al_act *f = a->spec.act;
  for (int r0 = 0; r0 < rows; r0 += step) {
    const int n = rows - r0 < step ? rows - r0 : step;
    const size_t off = (size_t)r0 * (size_t)cols;
    al_mat z = view(l->y.data + off, n, cols);
    al_mat_add_row(&z, &l->b);
    f->forward(f, a->y.data + off, z.data, (size_t)n, (size_t)cols, a->spec.params);
  }
}

al_status al_net_forward(al_net *net, const al_mat *x, al_err *err)
{
  if (net == NULL || net->layers == NULL)
    return al_fail(err, AL_ERR_ARG, "forward: no network");
  if (x == NULL || x->data == NULL || x->rows < 1 || x->cols != net->in)
    return al_fail(err, AL_ERR_SHAPE, "forward: input of %d columns expected, got %d", net->in,
                   x && x->data ? x->cols : 0);
  al_status st = al_net_reserve(net, x->rows, err);
  if (st != AL_OK)
    return st;
  net->batch = x->rows;
  place_caches(net, x->rows);
  const al_mat *in = x;
  for (int i = 0; i < net->nlayers; i++) {
    al_layer *l = &net->layers[i];
    switch (l->spec.kind) {
    case AL_LAYER_DENSE:
      st = al_mat_gemm(&l->y, 1.0f, in, 0, &l->w, 0, 0.0f);
      if (st == AL_OK && i + 1 < net->nlayers && plain_act(net, &net->layers[i + 1])) {
        bias_act_forward(l, &net->layers[i + 1], x->rows);
        l = &net->layers[++i];
      } else if (st == AL_OK) {
        st = al_mat_add_row(&l->y, &l->b);
      }
      break;
    case AL_LAYER_MAXOUT:
      st = maxout_forward(l, in);
      break;
    case AL_LAYER_ACT:
      if (is_prelu(l))
        prelu_forward(l, in);
      else if (is_rrelu(l) && net->training)
        rrelu_forward(net, l, in);
      else
        l->spec.act->forward(l->spec.act, l->y.data, in->data, (size_t)in->rows,
                             (size_t)in->cols, l->spec.params);
      break;
    }
    if (st != AL_OK) {
      net->batch = 0;
      return al_fail(err, st, "forward: layer %d (%s): %s", i + 1, kind_name(&l->spec),
                     al_status_str(st));
    }
    in = &l->y;
  }
  return AL_OK;
}

al_mat al_net_layer_output(const al_net *net, int i)
{
  if (net == NULL || i < 0 || i >= net->nlayers)
    return (al_mat){0};
  const al_layer *l = &net->layers[i];
  return view(l->y.data, net->batch, l->out);
}

al_mat al_net_output(const al_net *net)
{
  return al_net_layer_output(net, net ? net->nlayers - 1 : -1);
}

/* prelu backward: dx = δ ⊙ (x > 0 ? 1 : α); α's gradient Σ δ·x over x ≤ 0, per unit or
 * over all units, is added to dalpha (lr = 0) or applied as α −= lr·gradient after dx
 * used the old α. Each column is summed in double, the same way on both paths. */
static void prelu_backward(al_layer *l, float *dx, const al_mat *x, const al_mat *d, float lr)
{
  const size_t rows = (size_t)x->rows, cols = (size_t)x->cols;
  float *a = l->alpha.data;
  const int per = l->alpha.cols > 1;
  if (dx) {
    for (size_t i = 0; i < rows; i++) {
      const float *xr = x->data + i * cols, *dr = d->data + i * cols;
      float *o = dx + i * cols;
      for (size_t j = 0; j < cols; j++)
        o[j] = xr[j] > 0.0f ? dr[j] : (per ? a[j] : a[0]) * dr[j];
    }
  }
  double all = 0.0;
  for (size_t j = 0; j < cols; j++) {
    double s = 0.0;
    for (size_t i = 0; i < rows; i++) {
      float xv = x->data[i * cols + j];
      if (!(xv > 0.0f))
        s += (double)d->data[i * cols + j] * (double)xv;
    }
    if (per) {
      if (lr > 0.0f)
        a[j] -= lr * (float)s;
      else
        l->dalpha.data[j] += (float)s;
    } else {
      all += s;
    }
  }
  if (!per) {
    if (lr > 0.0f)
      a[0] -= lr * (float)all;
    else
      l->dalpha.data[0] += (float)all;
  }
}

/* The activation layer a's backward and the bias gradient of the dense layer l below
 * it in one sweep: chunk by chunk, δ = J(z)ᵀ·d, then its column sums go into l's bias
 * (b −= lr·Σ with lr > 0, else db += Σ) while δ is still in cache. Row by row in order,
 * as al_mat_col_sums over the whole δ would add them. */
static void act_bias_backward(al_layer *a, al_layer *l, float *dprev, const al_mat *in,
                              const al_mat *d, int rows, float lr)
{
  const int cols = a->out, step = chunk_rows(cols);
  const al_act *f = a->spec.act;
  al_mat *bias = lr > 0.0f ? &l->b : &l->db;
  const float alpha = lr > 0.0f ? -lr : 1.0f;
  for (int r0 = 0; r0 < rows; r0 += step) {
    const int n = rows - r0 < step ? rows - r0 : step;
    const size_t off = (size_t)r0 * (size_t)cols;
    f->backward(f, dprev + off, in->data + off, a->y.data + off, d->data + off, (size_t)n,
                (size_t)cols, a->spec.params);
    al_mat dz = view(dprev + off, n, cols);
    al_mat_col_sums(bias, &dz, alpha, 1.0f);
  }
}

/* Backpropagates through layers last..0. lr = 0 accumulates parameter gradients;
 * lr > 0 applies plain SGD at once (see al_net_backward_sgd). */
static al_status backprop(al_net *net, const al_mat *x, const al_mat *dout, int last,
                          al_mat *dx, float lr, al_err *err)
{
  const char *fn = lr > 0.0f ? "backward_sgd" : "backward";
  if (net == NULL || net->layers == NULL)
    return al_fail(err, AL_ERR_ARG, "%s: no network", fn);
  if (last < 0 || last >= net->nlayers)
    return al_fail(err, AL_ERR_ARG, "%s: last = %d, expected 0 to %d", fn, last,
                   net->nlayers - 1);
  const int batch = net->batch;
  if (batch < 1)
    return al_fail(err, AL_ERR_ARG, "%s: no forward to backpropagate", fn);
  if (x == NULL || x->data == NULL || x->rows != batch || x->cols != net->in)
    return al_fail(err, AL_ERR_SHAPE, "%s: x of %d × %d expected, got %d × %d", fn, batch,
                   net->in, x ? x->rows : 0, x ? x->cols : 0);
  const int wout = net->layers[last].out;
  if (dout == NULL || dout->data == NULL || dout->rows != batch || dout->cols != wout)
    return al_fail(err, AL_ERR_SHAPE, "%s: dout of %d × %d expected, got %d × %d", fn, batch,
                   wout, dout ? dout->rows : 0, dout ? dout->cols : 0);
  if (dx && (dx->data == NULL || dx->rows != batch || dx->cols != net->in))
    return al_fail(err, AL_ERR_SHAPE, "%s: dx of %d × %d expected, got %d × %d", fn, batch,
                   net->in, dx->rows, dx->cols);

  al_status st = AL_OK;
  al_mat d = *dout;
  int cur = -1;       /* scratch holding d, or -1 for the caller's dout */
  int bias_done = -1; /* the dense layer whose bias the act layer above already did */
  for (int i = last; i >= 0; i--) {
    al_layer *l = &net->layers[i];
    const al_mat *in = i > 0 ? &net->layers[i - 1].y : x;
    const int need_dx = i > 0 || dx != NULL;
    int next = cur == 0 ? 1 : 0;
    al_mat prev = i == 0 && dx ? *dx : view(net->scratch[next].data, batch, l->in);
    switch (l->spec.kind) {
    case AL_LAYER_MAXOUT: {
      /* Route δ to the winning piece of each unit: dz is batch × out·pieces. */
      const int p = l->spec.pieces, c = affine_cols(&l->spec);
      al_mat dz = view(net->scratch[next].data, batch, c);
      memset(dz.data, 0, al_mat_size(&dz) * sizeof(float));
      for (size_t k = 0; k < (size_t)batch * (size_t)l->out; k++)
        dz.data[k * (size_t)p + (size_t)l->argmax[k]] = d.data[k];
      /* d is spent, so δ_prev may take its scratch (the other one when d is dout). */
      int pi = cur >= 0 ? cur : 1 - next;
      if (!(i == 0 && dx))
        prev = view(net->scratch[pi].data, batch, l->in);
      if (need_dx)
        st = al_mat_gemm(&prev, 1.0f, &dz, 0, &l->w, 1, 0.0f);
      if (st == AL_OK)
        st = lr > 0.0f ? al_mat_gemm(&l->w, -lr, in, 1, &dz, 0, 1.0f)
                       : al_mat_gemm(&l->dw, 1.0f, in, 1, &dz, 0, 1.0f);
      if (st == AL_OK)
        st = lr > 0.0f ? al_mat_col_sums(&l->b, &dz, -lr, 1.0f)
                       : al_mat_col_sums(&l->db, &dz, 1.0f, 1.0f);
      next = pi;
      break;
    }
    case AL_LAYER_DENSE:
      if (need_dx)
        st = al_mat_gemm(&prev, 1.0f, &d, 0, &l->w, 1, 0.0f);
      if (st == AL_OK)
        st = lr > 0.0f ? al_mat_gemm(&l->w, -lr, in, 1, &d, 0, 1.0f)
                       : al_mat_gemm(&l->dw, 1.0f, in, 1, &d, 0, 1.0f);
      if (st == AL_OK && bias_done != i)
        st = lr > 0.0f ? al_mat_col_sums(&l->b, &d, -lr, 1.0f)
                       : al_mat_col_sums(&l->db, &d, 1.0f, 1.0f);
      break;
    case AL_LAYER_ACT: {
      const al_act *a = l->spec.act;
      if (is_prelu(l)) {
        prelu_backward(l, need_dx ? prev.data : NULL, in, &d, lr);
      } else if (!need_dx) {
        break;
      } else if (is_rrelu(l) && net->training) {
        const size_t n = al_mat_size(&d);
        for (size_t k = 0; k < n; k++)
          prev.data[k] = in->data[k] > 0.0f ? d.data[k] : l->noise.data[k] * d.data[k];
      } else if (i > 0 && net->layers[i - 1].spec.kind == AL_LAYER_DENSE) {
        act_bias_backward(l, &net->layers[i - 1], prev.data, in, &d, batch, lr);
        bias_done = i - 1;
      } else {
        a->backward(a, prev.data, in->data, l->y.data, d.data, (size_t)batch,
                    (size_t)l->out, l->spec.params);
      }
      break;
    }
    }
    if (st != AL_OK)
      return al_fail(err, st, "%s: layer %d (%s): %s", fn, i + 1, kind_name(&l->spec),
                     al_status_str(st));
    d = prev;
    cur = next;
  }
  return AL_OK;
}

al_status al_net_backward(al_net *net, const al_mat *x, const al_mat *dout, int last,
                          al_mat *dx, al_err *err)
{
  return backprop(net, x, dout, last, dx, 0.0f, err);
}

al_status al_net_backward_sgd(al_net *net, const al_mat *x, const al_mat *dout, int last,
                              float lr, al_err *err)
{
  if (!(lr > 0.0f) || !isfinite(lr))
    return al_fail(err, AL_ERR_ARG, "backward_sgd: lr = %g, expected a finite number > 0",
                   (double)lr);
  return backprop(net, x, dout, last, NULL, lr, err);
}

void al_net_zero_grad(al_net *net)
{
  if (net && net->grads)
    memset(net->grads, 0, net->nparams * sizeof(float));
}

int al_net_first_nonfinite(const al_net *net)
{
  if (net == NULL || net->batch < 1)
    return -1;
  for (int i = 0; i < net->nlayers; i++) {
    al_mat y = al_net_layer_output(net, i);
    if (!al_mat_all_finite(&y))
      return i;
  }
  return -1;
}
