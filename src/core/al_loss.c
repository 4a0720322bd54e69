/* Losses of a batch, computed stably from the output's pre-activation where a
 * pairing allows it, with the fused gradient δ = p − t at that pre-activation. */
#include <math.h>
#include <string.h>

#include "al_loss.h"

static const char *const loss_names[] = {
  [AL_LOSS_AUTO] = "auto", [AL_LOSS_MSE] = "mse", [AL_LOSS_BCE] = "bce",
  [AL_LOSS_CE] = "cross_entropy", [AL_LOSS_NLL] = "nll",
};
#define NLOSSES ((int)(sizeof loss_names / sizeof loss_names[0]))

al_status al_loss_lookup(al_loss_kind *k, const char *name, al_err *err)
{
  for (int i = 0; name && i < NLOSSES; i++) {
    if (strcmp(name, loss_names[i]) == 0) {
      if (k)
        *k = (al_loss_kind)i;
      return AL_OK;
    }
  }
  return al_fail(err, AL_ERR_NAME,
                 "unknown loss '%s' (expected auto, mse, bce, cross_entropy or nll)",
                 name ? name : "(null)");
}

const char *al_loss_name(al_loss_kind k)
{
  if ((int)k < 0 || (int)k >= NLOSSES)
    return "unknown";
  return loss_names[k];
}

static int is(const al_act *a, const char *name)
{
  return a != NULL && strcmp(a->name, name) == 0;
}

al_loss_kind al_loss_for_output(const al_act *out)
{
  if (is(out, "sigmoid"))
    return AL_LOSS_BCE;
  if (is(out, "softmax"))
    return AL_LOSS_CE;
  if (is(out, "log_softmax"))
    return AL_LOSS_NLL;
  return AL_LOSS_MSE;
}

/* The output activation loss k is fused with, or NULL when it takes any. */
static const char *partner(al_loss_kind k)
{
  switch (k) {
  case AL_LOSS_BCE: return "sigmoid";
  case AL_LOSS_CE: return "softmax";
  case AL_LOSS_NLL: return "log_softmax";
  default: return NULL;
  }
}

al_status al_loss_check(al_loss_kind k, const al_act *out, al_err *err)
{
  if ((int)k < 0 || (int)k >= NLOSSES)
    return al_fail(err, AL_ERR_ARG, "loss = %d, not a loss", (int)k);
  const char *need = partner(k);
  if (need && !is(out, need))
    return al_fail(err, AL_ERR_ARG, "loss %s needs a %s output, the network ends with %s",
                   loss_names[k], need, out ? out->name : "no activation");
  return AL_OK;
}

static int valid(const al_mat *m)
{
  return m != NULL && m->data != NULL && m->rows >= 1 && m->cols >= 1;
}

/* ½ Σ (p − t)²; dz = scale·(p − t), taken back through `out` when there is one. */
static al_status mse(double *sum, al_mat *dz, const al_act *out, const float *prm,
                     const al_mat *z, const al_mat *p, const al_mat *t, float scale,
                     al_err *err)
{
  const size_t n = al_mat_size(p);
  double acc = 0.0;
  for (size_t k = 0; k < n; k++) {
    float e = p->data[k] - t->data[k];
    acc += 0.5 * (double)e * (double)e;
    if (dz)
      dz->data[k] = scale * e;
  }
  *sum = acc;
  if (dz && out) {
    if (out->backward == NULL)
      return al_fail(err, AL_ERR_ARG, "loss mse: activation %s has no backward", out->name);
    /* J(z)ᵀ(p − t): for an elementwise f this is (p − t) ⊙ f'(z). */
    out->backward(out, dz->data, z->data, p->data, dz->data, (size_t)p->rows,
                  (size_t)p->cols, prm);
  }
  return AL_OK;
}

/* Σ max(z, 0) − z·t + log(1 + e^{−|z|}), which never takes the log of a rounded p. */
static void bce(double *sum, al_mat *dz, const al_mat *z, const al_mat *p, const al_mat *t,
                float scale)
{
  const size_t n = al_mat_size(p);
  double acc = 0.0;
  for (size_t k = 0; k < n; k++) {
    float zk = z->data[k], tk = t->data[k];
    acc += (double)(fmaxf(zk, 0.0f) - zk * tk) + (double)log1pf(expf(-fabsf(zk)));
    if (dz)
      dz->data[k] = scale * (p->data[k] - tk);
  }
  *sum = acc;
}

/* Per row logsumexp(z) − Σ t_j z_j, for t one-hot or a probability row. */
static void cross_entropy(double *sum, al_mat *dz, const al_mat *z, const al_mat *p,
                          const al_mat *t, float scale)
{
  const size_t rows = (size_t)z->rows, cols = (size_t)z->cols;
  double acc = 0.0;
  for (size_t i = 0; i < rows; i++) {
    const float *zr = z->data + i * cols, *tr = t->data + i * cols;
    float m = zr[0];
    for (size_t j = 1; j < cols; j++)
      m = fmaxf(m, zr[j]);
    double s = 0.0, tz = 0.0;
    for (size_t j = 0; j < cols; j++) {
      s += (double)expf(zr[j] - m);
      tz += (double)tr[j] * (double)zr[j];
    }
    acc += (double)m + log(s) - tz;
  }
  *sum = acc;
  if (dz) {
    for (size_t k = 0; k < rows * cols; k++)
      dz->data[k] = scale * (p->data[k] - t->data[k]);
  }
}

/* −Σ t_j p_j with p = log_softmax(z); δ = softmax(z) − t = e^p − t. */
static void nll(double *sum, al_mat *dz, const al_mat *p, const al_mat *t, float scale)
{
  const size_t n = al_mat_size(p);
  double acc = 0.0;
  for (size_t k = 0; k < n; k++) {
    acc -= (double)t->data[k] * (double)p->data[k];
    if (dz)
      dz->data[k] = scale * (expf(p->data[k]) - t->data[k]);
  }
  *sum = acc;
}

al_status al_loss_compute(double *sum, al_mat *dz, al_loss_kind k, const al_act *out,
                          const float *out_params, const al_mat *z, const al_mat *p,
                          const al_mat *t, float scale, al_err *err)
{
  if (sum == NULL)
    return al_fail(err, AL_ERR_ARG, "loss: no place for the sum");
  if (k == AL_LOSS_AUTO)
    k = al_loss_for_output(out);
  al_status st = al_loss_check(k, out, err);
  if (st != AL_OK)
    return st;
  if (!valid(z) || !valid(p) || !valid(t))
    return al_fail(err, AL_ERR_ARG, "loss %s: z, p and t must be non-empty matrices",
                   loss_names[k]);
  if (!al_mat_same_shape(z, p) || !al_mat_same_shape(p, t))
    return al_fail(err, AL_ERR_SHAPE, "loss %s: z %d × %d, p %d × %d, t %d × %d, expected one shape",
                   loss_names[k], z->rows, z->cols, p->rows, p->cols, t->rows, t->cols);
  if (dz && (!valid(dz) || !al_mat_same_shape(dz, p)))
    return al_fail(err, AL_ERR_SHAPE, "loss %s: dz %d × %d, expected %d × %d", loss_names[k],
                   dz->rows, dz->cols, p->rows, p->cols);
  switch (k) {
  case AL_LOSS_MSE:
    return mse(sum, dz, out, out_params, z, p, t, scale, err);
  case AL_LOSS_BCE:
    bce(sum, dz, z, p, t, scale);
    return AL_OK;
  case AL_LOSS_CE:
    cross_entropy(sum, dz, z, p, t, scale);
    return AL_OK;
  case AL_LOSS_NLL:
    nll(sum, dz, p, t, scale);
    return AL_OK;
  case AL_LOSS_AUTO:
    break;
  }
  return al_fail(err, AL_ERR_ARG, "loss = %d, not a loss", (int)k);
}
