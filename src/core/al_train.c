/* Mini-batch SGD over an al_data: every buffer is allocated before the first batch,
 * evaluation runs in batches with per-layer diagnostics on the side, and a NaN or an
 * infinity ends training as a recorded result (status AL_ERR_DIVERGED), not an error. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "al_train.h"
#include "al_vec.h"

void al_train_opts_default(al_train_opts *o)
{
  if (o == NULL)
    return;
  *o = (al_train_opts){.lr = 0.05f, .batch = 100, .epochs = 1, .eval_every = 1,
                       .loss = AL_LOSS_AUTO};
}

al_status al_train_opts_check(const al_train_opts *o, int n_train, al_err *err)
{
  if (o == NULL)
    return al_fail(err, AL_ERR_ARG, "no training options");
  if (!(o->lr > 0.0f) || !isfinite(o->lr))
    return al_fail(err, AL_ERR_ARG, "lr = %g, expected a finite number > 0", (double)o->lr);
  if (o->batch < 1 || o->batch > n_train)
    return al_fail(err, AL_ERR_ARG, "batch = %d, expected 1 to %d (the training examples)",
                   o->batch, n_train);
  if (o->epochs < 1)
    return al_fail(err, AL_ERR_ARG, "epochs = %d, expected ≥ 1", o->epochs);
  if (!(o->momentum >= 0.0f && o->momentum < 1.0f))
    return al_fail(err, AL_ERR_ARG, "momentum = %g, expected 0 ≤ momentum < 1",
                   (double)o->momentum);
  if (o->nesterov && !(o->momentum > 0.0f))
    return al_fail(err, AL_ERR_ARG, "nesterov = %d needs momentum > 0, got momentum = %g",
                   o->nesterov, (double)o->momentum);
  if (!(o->weight_decay >= 0.0f) || !isfinite(o->weight_decay))
    return al_fail(err, AL_ERR_ARG, "weight_decay = %g, expected a finite number ≥ 0",
                   (double)o->weight_decay);
  if (!(o->lr_decay >= 0.0f) || !isfinite(o->lr_decay))
    return al_fail(err, AL_ERR_ARG, "lr_decay = %g, expected a finite number ≥ 0",
                   (double)o->lr_decay);
  if (o->eval_every < 0)
    return al_fail(err, AL_ERR_ARG, "eval_every = %d, expected ≥ 0", o->eval_every);
  if (o->eval_batch < 0)
    return al_fail(err, AL_ERR_ARG, "eval_batch = %d, expected ≥ 0", o->eval_batch);
  if ((int)o->loss < (int)AL_LOSS_AUTO || (int)o->loss > (int)AL_LOSS_NLL)
    return al_fail(err, AL_ERR_ARG, "loss = %d, not a loss", (int)o->loss);
  return AL_OK;
}

/* How the loss meets the network: with a fused pairing (bce, cross_entropy, nll) the
 * loss takes the final activation's input z and δ enters below that layer; mse takes
 * the output as it is and δ goes back through every layer. */
typedef struct route {
  al_loss_kind kind;
  const al_act *out;  /* the fused final activation, or NULL */
  const float *prm;
  int last;           /* where backward starts; -1 when no layer is left below */
} route;

static al_status make_route(route *r, const al_net *net, al_loss_kind k, al_err *err)
{
  const al_layer *l = &net->layers[net->nlayers - 1];
  const al_act *fin = l->spec.kind == AL_LAYER_ACT ? l->spec.act : NULL;
  if (k == AL_LOSS_AUTO)
    k = al_loss_for_output(fin);
  al_status st = al_loss_check(k, fin, err);
  if (st != AL_OK)
    return st;
  *r = (route){.kind = k, .last = net->nlayers - 1};
  if (k == AL_LOSS_BCE || k == AL_LOSS_CE || k == AL_LOSS_NLL) {
    r->out = fin;
    r->prm = l->spec.params;
    r->last = net->nlayers - 2;
  }
  return AL_OK;
}

/* Softmax and cross-entropy of a training batch (z, p, t, dz: rows × cols), fused: the
 * softmax layer has just made p from z, so logsumexp(z) = z_k − log p_k for the row's
 * largest p_k (≥ 1/cols, so the log is safe): one logf per row where al_loss_compute
 * takes an exp per entry, and δ = scale·(p − t) in the same pass. δ is the same to the
 * bit; the loss agrees to float rounding, and a NaN or infinity in z still gives NaN. */
static void softmax_xent(double *sum, al_mat *dz, const al_mat *z, const al_mat *p,
                         const al_mat *t, float scale)
{
  const size_t rows = (size_t)p->rows, cols = (size_t)p->cols;
  double acc = 0.0;
  for (size_t i = 0; i < rows; i++) {
    const float *zr = z->data + i * cols, *pr = p->data + i * cols, *tr = t->data + i * cols;
    size_t k = 0;
    double tz = 0.0;
    for (size_t j = 0; j < cols; j++) {
      k = pr[j] > pr[k] ? j : k;
      tz += (double)tr[j] * (double)zr[j];
    }
    acc += ((double)zr[k] - (double)logf(pr[k])) - tz;
  }
  *sum = acc;
  /* over the whole block at once: rows of 10 would each be a scalar loop */
  float *restrict d = dz->data;
  const float *restrict pp = p->data, *restrict tt = t->data;
  AL_EACH(rows * cols, k, d[k] = scale * (pp[k] - tt[k]));
}

/* Loss of the last forward of x against t; dz (may be NULL) receives scale · ∂sum/∂z. */
static al_status batch_loss(double *sum, al_mat *dz, const al_net *net, const route *r,
                            const al_mat *x, const al_mat *t, float scale, al_err *err)
{
  al_mat p = al_net_output(net);
  al_mat z = p;
  if (r->out)
    z = r->last >= 0 ? al_net_layer_output(net, r->last) : *x;
  if (dz && r->kind == AL_LOSS_CE && al_mat_same_shape(&z, &p) &&
      al_mat_same_shape(&p, t) && al_mat_same_shape(dz, &p)) {
    softmax_xent(sum, dz, &z, &p, t, scale);
    return AL_OK;
  }
  return al_loss_compute(sum, dz, r->kind, r->out, r->prm, &z, &p, t, scale, err);
}

static al_status check_widths(const al_net *net, const al_data *d, const char *what,
                              al_err *err)
{
  if (d->in != net->in)
    return al_fail(err, AL_ERR_SHAPE, "%s: in = %d input features, the network takes %d",
                   what, d->in, net->in);
  if (d->out != net->out)
    return al_fail(err, AL_ERR_SHAPE, "%s: out = %d target columns, the network gives %d",
                   what, d->out, net->out);
  return AL_OK;
}

/* Per-unit flags for the dead and saturated fractions, gathered during evaluation. */
typedef struct tracker {
  int n;                     /* dense/maxout layers reported */
  int layer[AL_DIAG_MAX];
  size_t off[AL_DIAG_MAX];   /* each layer's first unit in the flag arrays */
  size_t units;
  unsigned char *pos;        /* the unit's input to the activation was positive once */
  unsigned char *live;       /* the activation's |f'| reached 1e-3 once */
} tracker;

static al_status tracker_init(tracker *tk, const al_net *net)
{
  *tk = (tracker){0};
  for (int i = 0; i < net->nlayers && tk->n < AL_DIAG_MAX; i++) {
    const al_layer *l = &net->layers[i];
    if (l->spec.kind == AL_LAYER_ACT)
      continue;
    tk->layer[tk->n] = i;
    tk->off[tk->n] = tk->units;
    tk->units += (size_t)l->out;
    tk->n++;
  }
  if (tk->units == 0)
    return AL_OK;
  tk->pos = calloc(tk->units, 1);
  tk->live = calloc(tk->units, 1);
  return tk->pos && tk->live ? AL_OK : AL_ERR_NOMEM;
}

static void tracker_free(tracker *tk)
{
  free(tk->pos);
  free(tk->live);
  *tk = (tracker){0};
}

static void tracker_reset(tracker *tk)
{
  if (tk->units) {
    memset(tk->pos, 0, tk->units);
    memset(tk->live, 0, tk->units);
  }
}

/* The activation layer after layer i, or NULL. */
static const al_layer *act_after(const al_net *net, int i)
{
  if (i + 1 < net->nlayers && net->layers[i + 1].spec.kind == AL_LAYER_ACT)
    return &net->layers[i + 1];
  return NULL;
}

/* Marks the units of every reported layer that were alive in the last forward. */
static void tracker_see(tracker *tk, al_net *net)
{
  const size_t rows = (size_t)net->batch;
  for (int k = 0; k < tk->n; k++) {
    const int i = tk->layer[k];
    const al_layer *a = act_after(net, i);
    if (a == NULL)
      continue;
    const al_act *f = a->spec.act;
    const al_mat z = al_net_layer_output(net, i);
    const size_t cols = (size_t)z.cols;
    if (f->flags & AL_ACT_RELU_LIKE) {
      unsigned char *pos = tk->pos + tk->off[k];
      for (size_t r = 0; r < rows; r++)
        for (size_t j = 0; j < cols; j++)
          if (z.data[r * cols + j] > 0.0f)
            pos[j] = 1;
    }
    if ((f->flags & AL_ACT_SATURATING) && f->derivative) {
      /* Evaluation runs no backward, so the scratch is free for f'(z). */
      float *d = net->scratch[0].data;
      const al_mat y = al_net_layer_output(net, i + 1);
      f->derivative(f, d, z.data, y.data, rows * cols, a->spec.params);
      unsigned char *live = tk->live + tk->off[k];
      for (size_t r = 0; r < rows; r++)
        for (size_t j = 0; j < cols; j++)
          if (fabsf(d[r * cols + j]) >= 1e-3f)
            live[j] = 1;
    }
  }
}

/* Index of the largest of v[0..n) (the first on ties). */
static int argmax(const float *v, int n)
{
  int b = 0;
  for (int j = 1; j < n; j++)
    if (v[j] > v[b])
      b = j;
  return b;
}

/* Mean loss and accuracy over d in batches of xb->rows, in evaluation mode; tk (may
 * be NULL) records which units were alive. */
static al_status eval_pass(double *loss, double *acc, al_net *net, const al_data *d,
                           const route *r, al_mat *xb, al_mat *tb, int *labels, tracker *tk,
                           al_err *err)
{
  al_status st = AL_OK;
  const int saved = net->training;
  net->training = 0;
  double total = 0.0;
  long correct = 0;
  for (int first = 0; first < d->n; first += xb->rows) {
    int count = d->n - first < xb->rows ? d->n - first : xb->rows;
    al_mat x, t;
    al_mat_view_rows(&x, xb, 0, count);
    al_mat_view_rows(&t, tb, 0, count);
    st = al_data_gather(&x, &t, labels, d, NULL, first, count);
    if (st != AL_OK) {
      st = al_fail(err, st, "evaluate: examples %d to %d could not be gathered", first,
                   first + count - 1);
      goto done;
    }
    st = al_net_forward(net, &x, err);
    if (st != AL_OK)
      goto done;
    double sum = 0.0;
    st = batch_loss(&sum, NULL, net, r, &x, &t, 1.0f, err);
    if (st != AL_OK)
      goto done;
    total += sum;
    al_mat p = al_net_output(net);
    const int k = p.cols;
    for (int i = 0; i < count; i++) {
      const float *pr = p.data + (size_t)i * (size_t)k, *tr = t.data + (size_t)i * (size_t)k;
      if (d->labels)
        correct += argmax(pr, k) == labels[i];
      else if (k > 1)
        correct += argmax(pr, k) == argmax(tr, k);
      else
        correct += (pr[0] > 0.5f) == (tr[0] > 0.5f);
    }
    if (tk)
      tracker_see(tk, net);
  }
  *loss = total / d->n;
  *acc = (double)correct / d->n;

done:
  net->training = saved;
  return st;
}

al_status al_evaluate(double *loss, double *acc, al_net *net, const al_data *d,
                      al_loss_kind loss_kind, int batch, al_err *err)
{
  al_mat x = {0}, t = {0};
  int *labels = NULL;
  route r;
  if (net == NULL || net->layers == NULL)
    return al_fail(err, AL_ERR_ARG, "evaluate: no network");
  al_status st = al_data_check(d, "evaluate", err);
  if (st == AL_OK)
    st = check_widths(net, d, "evaluate", err);
  if (st == AL_OK && batch < 1)
    st = al_fail(err, AL_ERR_ARG, "evaluate: batch = %d, expected ≥ 1", batch);
  if (st == AL_OK)
    st = make_route(&r, net, loss_kind, err);
  if (st != AL_OK)
    return st;

  int rows = batch < d->n ? batch : d->n;
  labels = malloc((size_t)rows * sizeof *labels);
  if (!labels || al_mat_alloc(&x, rows, d->in) != AL_OK ||
      al_mat_alloc(&t, rows, d->out) != AL_OK) {
    st = al_fail(err, AL_ERR_NOMEM, "evaluate: no memory for a batch of %d rows", rows);
    goto done;
  }
  double l = NAN, a = NAN;
  st = eval_pass(&l, &a, net, d, &r, &x, &t, labels, NULL, err);
  if (loss)
    *loss = l;
  if (acc)
    *acc = a;

done:
  al_mat_release(&x);
  al_mat_release(&t);
  free(labels);
  return st;
}

/* Everything one al_train call allocates, before its first batch. */
typedef struct trainer {
  al_net *net;
  const al_data *train, *test;
  const al_train_opts *o;
  route r;
  int *order;          /* the epoch's order of examples (shuffling only) */
  al_mat x, t, delta;  /* batch × in, batch × out, batch × out */
  al_mat ex, et;       /* evaluation batches */
  int *labels;
  float *velocity;     /* momentum only, laid out like the parameter block */
  tracker tk;
  struct timespec start;
  int steps;
} trainer;

static double elapsed(const trainer *tr)
{
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)(now.tv_sec - tr->start.tv_sec) + 1e-9 * (double)(now.tv_nsec - tr->start.tv_nsec);
}

/* p −= lr·(g + wd·p), through the velocity when there is momentum. */
static void update_mat(trainer *tr, al_mat *p, const al_mat *g, float lr, float wd)
{
  const size_t n = al_mat_size(p);
  const float mu = tr->o->momentum;
  float *w = p->data;
  const float *gr = g->data;
  if (mu > 0.0f) {
    float *v = tr->velocity + (w - tr->net->params);
    const int nesterov = tr->o->nesterov;
    for (size_t k = 0; k < n; k++) {
      float gk = gr[k] + wd * w[k];
      v[k] = mu * v[k] + gk;
      w[k] -= lr * (nesterov ? gk + mu * v[k] : v[k]);
    }
  } else {
    for (size_t k = 0; k < n; k++)
      w[k] -= lr * (gr[k] + wd * w[k]);
  }
}

/* The general update: one pass over the accumulated gradients. Weight decay acts on
 * weights, not on biases or prelu's α. */
static void update(trainer *tr, float lr)
{
  al_net *net = tr->net;
  for (int i = 0; i < net->nlayers; i++) {
    al_layer *l = &net->layers[i];
    if (l->spec.kind == AL_LAYER_ACT) {
      if (l->alpha.data)
        update_mat(tr, &l->alpha, &l->dalpha, lr, 0.0f);
      continue;
    }
    update_mat(tr, &l->w, &l->dw, lr, tr->o->weight_decay);
    update_mat(tr, &l->b, &l->db, lr, 0.0f);
  }
}

/* One SGD step on the first count rows of the batch buffers. AL_ERR_DIVERGED (with
 * no message) when the batch loss is not finite; nothing is updated then. */
static al_status step(double *sum, trainer *tr, int count, al_err *err)
{
  al_net *net = tr->net;
  const al_train_opts *o = tr->o;
  al_mat x, t, dz;
  al_mat_view_rows(&x, &tr->x, 0, count);
  al_mat_view_rows(&t, &tr->t, 0, count);
  al_mat_view_rows(&dz, &tr->delta, 0, count);
  al_status st = al_net_forward(net, &x, err);
  if (st == AL_OK)
    st = batch_loss(sum, &dz, net, &tr->r, &x, &t, 1.0f / (float)count, err);
  if (st != AL_OK)
    return st;
  if (!isfinite(*sum))
    return AL_ERR_DIVERGED;
  const float lr = (float)((double)o->lr / (1.0 + (double)tr->steps * (double)o->lr_decay));
  if (tr->r.last >= 0) {
    if (o->momentum == 0.0f && o->weight_decay == 0.0f && !o->general_update) {
      st = al_net_backward_sgd(net, &x, &dz, tr->r.last, lr, err);
    } else {
      al_net_zero_grad(net);
      st = al_net_backward(net, &x, &dz, tr->r.last, NULL, err);
      if (st == AL_OK)
        update(tr, lr);
    }
    if (st != AL_OK)
      return st;
  }
  if (o->clamp_nonneg)
    for (int i = 0; i < net->nlayers; i++)
      if (net->layers[i].spec.kind != AL_LAYER_ACT)
        al_mat_clamp_min(&net->layers[i].w, 0.0f);
  tr->steps++;
  return AL_OK;
}

/* Gradient norms of the weights on the first `batch` training rows, in evaluation
 * mode (no noise drawn), between two zero_grads: training state is left alone. */
static al_status probe(al_train_report *rep, trainer *tr, al_err *err)
{
  al_net *net = tr->net;
  const int count = tr->o->batch;
  al_mat x, t, dz;
  al_mat_view_rows(&x, &tr->x, 0, count);
  al_mat_view_rows(&t, &tr->t, 0, count);
  al_mat_view_rows(&dz, &tr->delta, 0, count);
  al_status st = al_data_gather(&x, &t, NULL, tr->train, NULL, 0, count);
  if (st != AL_OK)
    return al_fail(err, st, "train: the probe batch could not be gathered");
  const int saved = net->training;
  net->training = 0;
  double sum = 0.0;
  st = al_net_forward(net, &x, err);
  if (st == AL_OK)
    st = batch_loss(&sum, &dz, net, &tr->r, &x, &t, 1.0f / (float)count, err);
  al_net_zero_grad(net);
  if (st == AL_OK && tr->r.last >= 0)
    st = al_net_backward(net, &x, &dz, tr->r.last, NULL, err);
  for (int k = 0; st == AL_OK && k < rep->ndiag; k++)
    rep->diag[k].grad_norm = al_mat_norm(&net->layers[rep->diag[k].layer].dw);
  al_net_zero_grad(net);
  net->training = saved;
  return st;
}

/* The first layer that holds a non-finite value after the probe batch goes forward,
 * or else the first whose parameters are not finite. */
static int broken_layer(trainer *tr)
{
  al_net *net = tr->net;
  al_mat x, t;
  al_mat_view_rows(&x, &tr->x, 0, tr->o->batch);
  al_mat_view_rows(&t, &tr->t, 0, tr->o->batch);
  int saved = net->training;
  net->training = 0;
  int at = -1;
  if (al_data_gather(&x, &t, NULL, tr->train, NULL, 0, tr->o->batch) == AL_OK &&
      al_net_forward(net, &x, NULL) == AL_OK)
    at = al_net_first_nonfinite(net);
  net->training = saved;
  for (int i = 0; at < 0 && i < net->nlayers; i++) {
    const al_layer *l = &net->layers[i];
    if ((l->w.data && !al_mat_all_finite(&l->w)) || (l->b.data && !al_mat_all_finite(&l->b)) ||
        (l->alpha.data && !al_mat_all_finite(&l->alpha)))
      at = i;
  }
  return at;
}

static int params_finite(const al_net *net)
{
  for (size_t k = 0; k < net->nparams; k++)
    if (!isfinite(net->params[k]))
      return 0;
  return 1;
}

/* A report with nothing measured yet. */
static void blank(al_train_report *r, const trainer *tr, int epoch)
{
  *r = (al_train_report){.epoch = epoch, .step = tr->steps, .train_loss = NAN,
                         .train_acc = NAN, .test_loss = NAN, .test_acc = NAN,
                         .seconds = elapsed(tr), .status = AL_OK, .diverged_layer = -1};
}

/* Fills r after `epoch`: losses, accuracies and diagnostics. epoch_loss is the mean
 * loss of the epoch's batches, reported when the training set is not evaluated. */
static al_status evaluate(al_train_report *r, trainer *tr, int epoch, double epoch_loss,
                          al_err *err)
{
  al_net *net = tr->net;
  const al_train_opts *o = tr->o;
  al_status st = AL_OK;
  blank(r, tr, epoch);
  tracker_reset(&tr->tk);
  /* Dead and saturated units are counted on the test set, or on the training set
   * when there is none. */
  if (o->eval_train || !tr->test) {
    double l = NAN, a = NAN;
    st = eval_pass(&l, &a, net, tr->train, &tr->r, &tr->ex, &tr->et, tr->labels,
                   tr->test ? NULL : &tr->tk, err);
    if (st != AL_OK)
      return st;
    if (o->eval_train) {
      r->train_loss = l;
      r->train_acc = a;
    }
  }
  if (!o->eval_train)
    r->train_loss = epoch_loss;
  if (tr->test) {
    st = eval_pass(&r->test_loss, &r->test_acc, net, tr->test, &tr->r, &tr->ex, &tr->et,
                   tr->labels, &tr->tk, err);
    if (st != AL_OK)
      return st;
  }
  r->ndiag = tr->tk.n;
  for (int k = 0; k < tr->tk.n; k++) {
    const int i = tr->tk.layer[k];
    const al_layer *a = act_after(net, i);
    const int units = net->layers[i].out;
    al_layer_diag *dg = &r->diag[k];
    *dg = (al_layer_diag){.layer = i, .dead = NAN, .saturated = NAN, .grad_norm = NAN,
                          .alpha = NAN};
    if (a == NULL)
      continue;
    const unsigned flags = a->spec.act->flags;
    int dead = 0, sat = 0;
    for (int j = 0; j < units; j++) {
      dead += !tr->tk.pos[tr->tk.off[k] + (size_t)j];
      sat += !tr->tk.live[tr->tk.off[k] + (size_t)j];
    }
    if (flags & AL_ACT_RELU_LIKE)
      dg->dead = (double)dead / units;
    if ((flags & AL_ACT_SATURATING) && a->spec.act->derivative)
      dg->saturated = (double)sat / units;
    if (a->alpha.data) {
      double s = 0.0;
      for (int j = 0; j < a->alpha.cols; j++)
        s += a->alpha.data[j];
      dg->alpha = s / a->alpha.cols;
    }
  }
  st = probe(r, tr, err);
  r->seconds = elapsed(tr);
  return st;
}

static void trainer_free(trainer *tr)
{
  free(tr->order);
  al_mat_release(&tr->x);
  al_mat_release(&tr->t);
  al_mat_release(&tr->delta);
  al_mat_release(&tr->ex);
  al_mat_release(&tr->et);
  free(tr->labels);
  free(tr->velocity);
  tracker_free(&tr->tk);
}

/* Checks everything and allocates every buffer; nothing of net changes yet. */
static al_status trainer_init(trainer *tr, al_net *net, const al_data *train,
                              const al_data *test, const al_train_opts *o, al_err *err)
{
  *tr = (trainer){.net = net, .train = train, .test = test, .o = o};
  if (net == NULL || net->layers == NULL)
    return al_fail(err, AL_ERR_ARG, "train: no network");
  al_status st = al_data_check(train, "train", err);
  if (st == AL_OK && test)
    st = al_data_check(test, "test", err);
  if (st == AL_OK)
    st = al_train_opts_check(o, train->n, err);
  if (st == AL_OK)
    st = check_widths(net, train, "train", err);
  if (st == AL_OK && test)
    st = check_widths(net, test, "test", err);
  if (st == AL_OK)
    st = make_route(&tr->r, net, o->loss, err);
  if (st != AL_OK)
    return st;

  int eb = o->eval_batch ? o->eval_batch : (o->batch > 1000 ? o->batch : 1000);
  int most = test && test->n > train->n ? test->n : train->n;
  if (eb > most)
    eb = most;
  int ok = al_mat_alloc(&tr->x, o->batch, net->in) == AL_OK &&
           al_mat_alloc(&tr->t, o->batch, net->out) == AL_OK &&
           al_mat_alloc(&tr->delta, o->batch, net->out) == AL_OK &&
           al_mat_alloc(&tr->ex, eb, net->in) == AL_OK &&
           al_mat_alloc(&tr->et, eb, net->out) == AL_OK &&
           (tr->labels = malloc((size_t)eb * sizeof *tr->labels)) != NULL &&
           tracker_init(&tr->tk, net) == AL_OK;
  if (ok && o->shuffle)
    ok = (tr->order = malloc((size_t)train->n * sizeof *tr->order)) != NULL;
  if (ok && o->momentum > 0.0f && net->nparams)
    ok = (tr->velocity = calloc(net->nparams, sizeof *tr->velocity)) != NULL;
  if (!ok)
    return al_fail(err, AL_ERR_NOMEM, "train: no memory for the batch buffers");
  return al_net_reserve(net, o->batch > eb ? o->batch : eb, err);
}

/* Records divergence in *r: the epoch, the first layer at fault, nothing measured. */
static void diverge(al_train_report *r, trainer *tr, int epoch, int layer)
{
  blank(r, tr, epoch);
  r->status = AL_ERR_DIVERGED;
  r->diverged_layer = layer;
}

al_status al_train(al_train_report *final, al_net *net, const al_data *train,
                   const al_data *test, const al_train_opts *o, al_train_callback cb,
                   void *ud, al_err *err)
{
  trainer tr;
  al_train_report rep, last = {0};
  int started = 0;
  al_status st = trainer_init(&tr, net, train, test, o, err);
  if (st != AL_OK)
    goto done;
  started = 1;
  clock_gettime(CLOCK_MONOTONIC, &tr.start);
  blank(&last, &tr, 0);
  al_rng shuffler;
  al_rng_seed(&shuffler, o->seed, AL_STREAM_SHUFFLE);
  al_rng_seed(&net->noise, o->seed, AL_STREAM_NOISE);
  net->training = 1;

  for (int epoch = 1; epoch <= o->epochs; epoch++) {
    if (o->shuffle) {
      for (int i = 0; i < train->n; i++)
        tr.order[i] = i;
      al_rng_shuffle(&shuffler, tr.order, train->n);
    }
    double epoch_sum = 0.0;
    for (int first = 0; first < train->n; first += o->batch) {
      int count = train->n - first < o->batch ? train->n - first : o->batch;
      al_mat x, t;
      al_mat_view_rows(&x, &tr.x, 0, count);
      al_mat_view_rows(&t, &tr.t, 0, count);
      st = al_data_gather(&x, &t, NULL, train, tr.order, first, count);
      if (st != AL_OK) {
        st = al_fail(err, st, "train: examples %d to %d could not be gathered", first,
                     first + count - 1);
        goto done;
      }
      double sum = 0.0;
      st = step(&sum, &tr, count, err);
      if (st == AL_ERR_DIVERGED) {
        /* The caches hold the forward of the offending batch. */
        diverge(&last, &tr, epoch, al_net_first_nonfinite(net));
        goto diverged;
      }
      if (st != AL_OK)
        goto done;
      epoch_sum += sum;
      if (o->interrupt && *o->interrupt) {
        last.epoch = epoch;
        last.step = tr.steps;
        last.seconds = elapsed(&tr);
        st = al_fail(err, AL_ERR_INTERRUPTED, "training interrupted in epoch %d, step %d",
                     epoch, tr.steps);
        goto stopped;
      }
    }
    if (!(o->eval_every > 0 && epoch % o->eval_every == 0) && epoch != o->epochs)
      continue;
    if (!params_finite(net)) {
      diverge(&last, &tr, epoch, broken_layer(&tr));
      goto diverged;
    }
    st = evaluate(&rep, &tr, epoch, epoch_sum / train->n, err);
    if (st != AL_OK)
      goto done;
    last = rep;
    if (cb && cb(ud, &rep)) {
      st = al_fail(err, AL_ERR_INTERRUPTED, "training stopped by the callback after epoch %d",
                   epoch);
      goto stopped;
    }
  }
  goto done;

diverged:
  if (cb)
    cb(ud, &last);
  st = AL_OK;
  goto done;
stopped:
  last.status = AL_ERR_INTERRUPTED;
done:
  if (started)
    net->training = 0;
  if (final && (st == AL_OK || st == AL_ERR_INTERRUPTED))
    *final = last;
  trainer_free(&tr);
  return st;
}
