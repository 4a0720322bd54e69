/* Tests of al_train: SGD updates of a 2-1 linear net worked out on paper, reproducibility,
 * fused against general updates, XOR learned, divergence recorded, options checked,
 * stopping, evaluation and diagnostics by hand. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <cmocka.h>

#include "al_train.h"

/* ---- Helpers --------------------------------------------------------------- */

static al_data float_data(const float *x, const float *t, int n, int in, int out)
{
  return (al_data){.n = n, .in = in, .out = out, .x = x, .t = t};
}

static al_layer_spec dense(int units)
{
  return (al_layer_spec){.kind = AL_LAYER_DENSE, .units = units};
}

static al_layer_spec act(const char *name)
{
  al_layer_spec s = {.kind = AL_LAYER_ACT, .act = al_act_find(name)};
  assert_non_null(s.act);
  al_act_defaults(s.act, s.params);
  return s;
}

static void build(al_net *net, int in, const al_layer_spec *specs, int n, uint64_t seed)
{
  al_err e = {0};
  if (al_net_create(net, in, specs, n, seed, &e) != AL_OK)
    fail_msg("al_net_create: %s", e.msg);
}

/* The 2-1 linear net y = w0·x0 + w1·x1 + b with the given parameters. */
static void linear(al_net *net, float w0, float w1, float b)
{
  al_layer_spec s[] = {dense(1)};
  build(net, 2, s, 1, 1);
  net->layers[0].w.data[0] = w0;
  net->layers[0].w.data[1] = w1;
  net->layers[0].b.data[0] = b;
}

static void expect_linear(const al_net *net, double w0, double w1, double b)
{
  const float *w = net->layers[0].w.data, *bb = net->layers[0].b.data;
  if (fabs(w[0] - w0) > 1e-6 || fabs(w[1] - w1) > 1e-6 || fabs(bb[0] - b) > 1e-6)
    fail_msg("got w = (%.8g, %.8g), b = %.8g; expected (%.8g, %.8g), %.8g", (double)w[0],
             (double)w[1], (double)bb[0], w0, w1, b);
}

static al_train_opts opts(float lr, int batch, int epochs)
{
  al_train_opts o;
  al_train_opts_default(&o);
  o.lr = lr;
  o.batch = batch;
  o.epochs = epochs;
  o.eval_every = 0;
  return o;
}

static void train_ok(al_train_report *r, al_net *net, const al_data *d, const al_data *test,
                     const al_train_opts *o)
{
  al_err e = {0};
  if (al_train(r, net, d, test, o, NULL, NULL, &e) != AL_OK)
    fail_msg("al_train: %s", e.msg);
  assert_int_equal(r->status, AL_OK);
}

/* The example x = (1, 2), t = 1 and the net w = (0.5, −0.5), b = 0.1 used below:
 * y = 0.5 − 1 + 0.1 = −0.4, δ = y − t = −1.4, so ∂L/∂(w0, w1, b) = (−1.4, −2.8, −1.4). */
static const float X1[] = {1.0f, 2.0f}, T1[] = {1.0f};

/* ---- Steps against hand-computed updates -------------------------------------------- */

/* One plain SGD step, lr 0.1: w = (0.5 + 0.14, −0.5 + 0.28), b = 0.1 + 0.14. */
static void test_one_sgd_step(void **state)
{
  (void)state;
  al_net net;
  linear(&net, 0.5f, -0.5f, 0.1f);
  al_data d = float_data(X1, T1, 1, 2, 1);
  al_train_opts o = opts(0.1f, 1, 1);
  al_train_report r;
  train_ok(&r, &net, &d, NULL, &o);
  expect_linear(&net, 0.64, -0.22, 0.24);
  assert_int_equal(r.step, 1);
  assert_int_equal(r.epoch, 1);
  al_net_release(&net);
}

/* A batch of two averages: x2 = (0, 1), t2 = 0 gives y2 = −0.4, δ2 = −0.4;
 * mean gradient ½((−1.4, −2.8) + (0, −0.4)) = (−0.7, −1.6), b: ½(−1.4 − 0.4) = −0.9. */
static void test_batch_gradient_is_averaged(void **state)
{
  (void)state;
  const float x[] = {1.0f, 2.0f, 0.0f, 1.0f}, t[] = {1.0f, 0.0f};
  al_net net;
  linear(&net, 0.5f, -0.5f, 0.1f);
  al_data d = float_data(x, t, 2, 2, 1);
  al_train_opts o = opts(0.1f, 2, 1);
  al_train_report r;
  train_ok(&r, &net, &d, NULL, &o);
  expect_linear(&net, 0.57, -0.34, 0.19);
  al_net_release(&net);
}

/* Three examples in batches of two: the last batch of one is used, with its own
 * scale. After the first step (above): y3 = 0.57 − 0.34 + 0.19 = 0.42 for x3 = (1, 1),
 * t3 = 2, δ3 = −1.58, so w += 0.158·(1, 1), b += 0.158. */
static void test_last_partial_batch_used(void **state)
{
  (void)state;
  const float x[] = {1.0f, 2.0f, 0.0f, 1.0f, 1.0f, 1.0f}, t[] = {1.0f, 0.0f, 2.0f};
  al_net net;
  linear(&net, 0.5f, -0.5f, 0.1f);
  al_data d = float_data(x, t, 3, 2, 1);
  al_train_opts o = opts(0.1f, 2, 1);
  al_train_report r;
  train_ok(&r, &net, &d, NULL, &o);
  assert_int_equal(r.step, 2);
  expect_linear(&net, 0.728, -0.182, 0.348);
  al_net_release(&net);
}

/* Momentum 0.9, two steps. Step 1: v = g1 = (−1.4, −2.8, −1.4), θ1 = (0.64, −0.22, 0.24).
 * Step 2: y = 0.44, g2 = (−0.56, −1.12, −0.56), v = 0.9·g1 + g2 = (−1.82, −3.64, −1.82),
 * θ2 = θ1 − 0.1·v = (0.822, 0.144, 0.422). */
static void test_momentum_two_steps(void **state)
{
  (void)state;
  al_net net;
  linear(&net, 0.5f, -0.5f, 0.1f);
  al_data d = float_data(X1, T1, 1, 2, 1);
  al_train_opts o = opts(0.1f, 1, 2);
  o.momentum = 0.9f;
  al_train_report r;
  train_ok(&r, &net, &d, NULL, &o);
  expect_linear(&net, 0.822, 0.144, 0.422);
  al_net_release(&net);
}

/* Nesterov, μ = 0.9. Step 1: θ1 = θ0 − 0.1·1.9·g1 = (0.766, 0.032, 0.366). Step 2:
 * y = 1.196, g2 = 0.196·(1, 2, 1), v = 0.9·g1 + g2 = (−1.064, −2.128, −1.064),
 * θ2 = θ1 − 0.1·(g2 + 0.9·v) = (0.84216, 0.18432, 0.44216). */
static void test_nesterov_two_steps(void **state)
{
  (void)state;
  al_net net;
  linear(&net, 0.5f, -0.5f, 0.1f);
  al_data d = float_data(X1, T1, 1, 2, 1);
  al_train_opts o = opts(0.1f, 1, 2);
  o.momentum = 0.9f;
  o.nesterov = 1;
  al_train_report r;
  train_ok(&r, &net, &d, NULL, &o);
  expect_linear(&net, 0.84216, 0.18432, 0.44216);
  al_net_release(&net);
}

/* Weight decay 0.5 acts on weights only: g_w = (−1.4 + 0.25, −2.8 − 0.25), g_b = −1.4,
 * so w = (0.615, −0.195), b = 0.24. */
static void test_weight_decay_on_weights_only(void **state)
{
  (void)state;
  al_net net;
  linear(&net, 0.5f, -0.5f, 0.1f);
  al_data d = float_data(X1, T1, 1, 2, 1);
  al_train_opts o = opts(0.1f, 1, 1);
  o.weight_decay = 0.5f;
  al_train_report r;
  train_ok(&r, &net, &d, NULL, &o);
  expect_linear(&net, 0.615, -0.195, 0.24);
  al_net_release(&net);
}

/* lr_decay 1: the second step uses 0.1/(1 + 1) = 0.05; with g2 = −0.56·(1, 2, 1),
 * θ2 = (0.64, −0.22, 0.24) + 0.028·(1, 2, 1) = (0.668, −0.164, 0.268). */
static void test_lr_decay(void **state)
{
  (void)state;
  al_net net;
  linear(&net, 0.5f, -0.5f, 0.1f);
  al_data d = float_data(X1, T1, 1, 2, 1);
  al_train_opts o = opts(0.1f, 1, 2);
  o.lr_decay = 1.0f;
  al_train_report r;
  train_ok(&r, &net, &d, NULL, &o);
  expect_linear(&net, 0.668, -0.164, 0.268);
  al_net_release(&net);
}

/* clamp_nonneg: with t = −5, δ = 4.6, w = (0.5 − 0.46, −0.5 − 0.92) → (0.04, 0) after the
 * clamp, while the bias 0.1 − 0.46 = −0.36 stays negative. Same on the general path. */
static void test_clamp_nonneg(void **state)
{
  (void)state;
  const float t[] = {-5.0f};
  for (int general = 0; general < 2; general++) {
    al_net net;
    linear(&net, 0.5f, -0.5f, 0.1f);
    al_data d = float_data(X1, t, 1, 2, 1);
    al_train_opts o = opts(0.1f, 1, 1);
    o.clamp_nonneg = 1;
    o.general_update = general;
    al_train_report r;
    train_ok(&r, &net, &d, NULL, &o);
    expect_linear(&net, 0.04, 0.0, -0.36);
    al_net_release(&net);
  }
}

/* ---- Whole runs ---------------------------------------------------------------- */

/* Random inputs in [-1, 1) and labels 0..classes-1, from a fixed seed. */
static void random_set(float *x, uint8_t *labels, int n, int in, int classes, uint64_t seed)
{
  al_rng r;
  al_rng_seed(&r, seed, AL_STREAM_DATA);
  for (int k = 0; k < n * in; k++)
    x[k] = 2.0f * al_rng_uniform(&r) - 1.0f;
  for (int i = 0; i < n; i++)
    labels[i] = (uint8_t)al_rng_below(&r, (uint32_t)classes);
}

/* Training twice from the same seeds (shuffling, rrelu noise, momentum) gives
 * bit-identical weights; another shuffling seed gives other weights. */
static void test_same_seed_bit_identical(void **state)
{
  (void)state;
  float x[60 * 4];
  uint8_t y[60];
  random_set(x, y, 60, 4, 3, 1);
  al_data d = {.n = 60, .in = 4, .out = 3, .x = x, .labels = y};
  al_layer_spec s[] = {dense(8), act("rrelu"), dense(3), act("softmax")};
  al_net a, b, c;
  build(&a, 4, s, 4, 7);
  build(&b, 4, s, 4, 7);
  build(&c, 4, s, 4, 7);
  al_train_opts o = opts(0.1f, 8, 3);
  o.shuffle = 1;
  o.seed = 5;
  o.momentum = 0.5f;
  o.eval_every = 1;
  al_train_report r;
  train_ok(&r, &a, &d, &d, &o);
  train_ok(&r, &b, &d, &d, &o);
  assert_memory_equal(a.params, b.params, a.nparams * sizeof(float));
  o.seed = 6;
  train_ok(&r, &c, &d, &d, &o);
  assert_true(memcmp(a.params, c.params, a.nparams * sizeof(float)) != 0);
  al_net_release(&a);
  al_net_release(&b);
  al_net_release(&c);
}

static double max_rel_diff(const al_net *a, const al_net *b)
{
  double m = 0.0;
  for (size_t k = 0; k < a->nparams; k++)
    m = fmax(m, fabs((double)a->params[k] - b->params[k]) / fmax(1.0, fabs(a->params[k])));
  return m;
}

/* Plain SGD folded into the gradient GEMM gives the general path's weights within
 * 1e-6, through prelu (per unit), maxout and a partial batch, for a fused loss and for
 * MSE through a final activation. */
static void test_fused_equals_general(void **state)
{
  (void)state;
  float x[23 * 3], t[23 * 2];
  uint8_t y[23];
  random_set(x, y, 23, 3, 2, 3);
  for (int i = 0; i < 23; i++) {
    t[2 * i] = y[i] ? 0.8f : -0.3f;
    t[2 * i + 1] = y[i] ? -0.5f : 0.6f;
  }
  al_layer_spec pr = act("prelu");
  pr.per_unit = 1;
  al_layer_spec mo = {.kind = AL_LAYER_MAXOUT, .units = 4, .pieces = 2};
  al_layer_spec ce[] = {dense(6), pr, mo, dense(2), act("softmax")};
  al_layer_spec mse[] = {dense(6), act("tanh"), dense(2), act("tanh")};
  for (int which = 0; which < 2; which++) {
    al_layer_spec *s = which == 0 ? ce : mse;
    int n = which == 0 ? 5 : 4;
    al_data d = which == 0 ? (al_data){.n = 23, .in = 3, .out = 2, .x = x, .labels = y}
                           : float_data(x, t, 23, 3, 2);
    al_net a, b;
    build(&a, 3, s, n, 2);
    build(&b, 3, s, n, 2);
    al_train_opts o = opts(0.05f, 5, 3);
    o.shuffle = 1;
    al_train_report r;
    train_ok(&r, &a, &d, NULL, &o);
    o.general_update = 1;
    train_ok(&r, &b, &d, NULL, &o);
    double diff = max_rel_diff(&a, &b);
    if (!(diff <= 1e-6))
      fail_msg("net %d: fused and general paths differ by %g", which, diff);
    /* and training did move the weights */
    al_net c;
    build(&c, 3, s, n, 2);
    assert_true(max_rel_diff(&a, &c) > 1e-3);
    al_net_release(&a);
    al_net_release(&b);
    al_net_release(&c);
  }
}

static const float XOR_X[] = {0, 0, 0, 1, 1, 0, 1, 1}, XOR_T[] = {0, 1, 1, 0};

/* Every XOR output on the right side of 0.5, through al_net_forward. */
static void expect_xor(al_net *net)
{
  al_mat x = al_mat_wrap((float *)XOR_X, 4, 2);
  assert_int_equal(al_net_forward(net, &x, NULL), AL_OK);
  al_mat p = al_net_output(net);
  for (int i = 0; i < 4; i++)
    if ((p.data[i] > 0.5f) != (XOR_T[i] > 0.5f))
      fail_msg("XOR (%g, %g): output %g, target %g", (double)XOR_X[2 * i],
               (double)XOR_X[2 * i + 1], (double)p.data[i], (double)XOR_T[i]);
}

/* A 2-2-1 sigmoid net with BCE learns XOR from a fixed seed; the report agrees. */
static void test_xor_sigmoid(void **state)
{
  (void)state;
  al_layer_spec s[] = {dense(2), act("sigmoid"), dense(1), act("sigmoid")};
  al_net net;
  build(&net, 2, s, 4, 1);
  al_data d = float_data(XOR_X, XOR_T, 4, 2, 1);
  al_train_opts o = opts(2.0f, 4, 3000);
  al_train_report r;
  train_ok(&r, &net, &d, &d, &o);
  expect_xor(&net);
  assert_true(r.test_acc == 1.0);
  assert_true(r.test_loss < 0.1);
  al_net_release(&net);
}

/* A 2-8-1 ReLU net with a sigmoid output learns XOR too. */
static void test_xor_relu(void **state)
{
  (void)state;
  al_layer_spec s[] = {dense(8), act("relu"), dense(1), act("sigmoid")};
  al_net net;
  build(&net, 2, s, 4, 1);
  al_data d = float_data(XOR_X, XOR_T, 4, 2, 1);
  al_train_opts o = opts(0.5f, 4, 1000);
  al_train_report r;
  train_ok(&r, &net, &d, &d, &o);
  expect_xor(&net);
  assert_true(r.test_acc == 1.0);
  al_net_release(&net);
}

typedef struct seen {
  int calls;
  al_train_report last;
  int stop_at; /* return nonzero on this call (1-based); 0: never */
} seen;

static int record(void *ud, const al_train_report *r)
{
  seen *s = ud;
  s->calls++;
  s->last = *r;
  return s->stop_at && s->calls == s->stop_at;
}

/* A huge learning rate is a recorded result: status diverged with an epoch and a
 * layer, the callback sees that report, and al_train returns AL_OK. */
static void test_divergence_recorded(void **state)
{
  (void)state;
  float x[20 * 2], t[20];
  uint8_t y[20];
  random_set(x, y, 20, 2, 2, 9);
  for (int i = 0; i < 20; i++)
    t[i] = 3.0f * x[2 * i] - x[2 * i + 1];
  al_layer_spec s[] = {dense(8), act("relu"), dense(1)};
  al_net net;
  build(&net, 2, s, 3, 1);
  al_data d = float_data(x, t, 20, 2, 1);
  al_train_opts o = opts(1e4f, 4, 50);
  o.eval_every = 1;
  seen sn = {0};
  al_train_report r;
  al_err e = {0};
  assert_int_equal(al_train(&r, &net, &d, &d, &o, record, &sn, &e), AL_OK);
  assert_int_equal(r.status, AL_ERR_DIVERGED);
  assert_true(r.epoch >= 1 && r.epoch <= 50);
  assert_true(r.diverged_layer >= 0 && r.diverged_layer < 3);
  assert_true(sn.calls >= 1);
  assert_int_equal(sn.last.status, AL_ERR_DIVERGED);
  assert_int_equal(sn.last.epoch, r.epoch);
  assert_int_equal(sn.last.diverged_layer, r.diverged_layer);
  assert_int_equal(net.training, 0);
  al_net_release(&net);
}

/* Bad options are AL_ERR_ARG and bad widths AL_ERR_SHAPE, with the option named,
 * before anything of the network changes. */
static void test_bad_options(void **state)
{
  (void)state;
  float x[10 * 2], t[10];
  memset(x, 0, sizeof x);
  memset(t, 0, sizeof t);
  al_data d = float_data(x, t, 10, 2, 1);
  al_layer_spec s[] = {dense(3), act("tanh"), dense(1)};
  al_net net;
  build(&net, 2, s, 3, 1);
  float before[64];
  assert_true(net.nparams <= 64);
  memcpy(before, net.params, net.nparams * sizeof(float));
  al_train_opts o;
  al_err e;
  al_train_report r;
#define BAD(field, stmt, status)                                                        \
  do {                                                                                  \
    o = opts(0.1f, 2, 1);                                                               \
    stmt;                                                                               \
    e = (al_err){0};                                                                    \
    assert_int_equal(al_train(&r, &net, &d, NULL, &o, NULL, NULL, &e), status);         \
    if (strstr(e.msg, field) == NULL)                                                   \
      fail_msg("message '%s' does not name %s", e.msg, field);                          \
  } while (0)
  BAD("lr", o.lr = 0.0f, AL_ERR_ARG);
  BAD("lr", o.lr = NAN, AL_ERR_ARG);
  BAD("lr", o.lr = INFINITY, AL_ERR_ARG);
  BAD("batch", o.batch = 0, AL_ERR_ARG);
  BAD("batch", o.batch = 11, AL_ERR_ARG);
  BAD("epochs", o.epochs = 0, AL_ERR_ARG);
  BAD("momentum", o.momentum = 1.0f, AL_ERR_ARG);
  BAD("momentum", o.momentum = -0.1f, AL_ERR_ARG);
  BAD("nesterov", o.nesterov = 1, AL_ERR_ARG);
  BAD("weight_decay", o.weight_decay = -1.0f, AL_ERR_ARG);
  BAD("lr_decay", o.lr_decay = NAN, AL_ERR_ARG);
  BAD("eval_every", o.eval_every = -1, AL_ERR_ARG);
  BAD("eval_batch", o.eval_batch = -5, AL_ERR_ARG);
  BAD("loss", o.loss = AL_LOSS_BCE, AL_ERR_ARG); /* the net ends with a dense layer */
  BAD("loss", o.loss = (al_loss_kind)99, AL_ERR_ARG);
  al_data wide = float_data(x, t, 5, 4, 1);
  o = opts(0.1f, 2, 1);
  assert_int_equal(al_train(&r, &net, &wide, NULL, &o, NULL, NULL, &e), AL_ERR_SHAPE);
  assert_non_null(strstr(e.msg, "in"));
  al_data tall = float_data(x, t, 5, 2, 2);
  assert_int_equal(al_train(&r, &net, &d, &tall, &o, NULL, NULL, &e), AL_ERR_SHAPE);
  assert_non_null(strstr(e.msg, "test"));
  assert_non_null(strstr(e.msg, "out"));
  assert_memory_equal(before, net.params, net.nparams * sizeof(float));
  assert_int_equal(al_train_opts_check(&o, 10, NULL), AL_OK);
  al_net_release(&net);
}

/* A callback returning nonzero stops training after that evaluation: AL_ERR_INTERRUPTED,
 * with the report filled so far. */
static void test_callback_stops(void **state)
{
  (void)state;
  al_net net;
  linear(&net, 0.5f, -0.5f, 0.1f);
  al_data d = float_data(X1, T1, 1, 2, 1);
  al_train_opts o = opts(0.01f, 1, 10);
  o.eval_every = 1;
  seen sn = {.stop_at = 2};
  al_train_report r;
  al_err e = {0};
  assert_int_equal(al_train(&r, &net, &d, &d, &o, record, &sn, &e), AL_ERR_INTERRUPTED);
  assert_int_equal(sn.calls, 2);
  assert_int_equal(r.status, AL_ERR_INTERRUPTED);
  assert_int_equal(r.epoch, 2);
  assert_int_equal(r.step, 2);
  assert_true(isfinite(r.test_loss));
  assert_true(e.msg[0] != '\0');
  al_net_release(&net);
}

/* The interrupt flag stops training after the batch in which it is seen. */
static void test_interrupt_flag(void **state)
{
  (void)state;
  const float x[] = {1, 2, 0, 1, 1, 1}, t[] = {1, 0, 2};
  al_net net;
  linear(&net, 0.5f, -0.5f, 0.1f);
  al_data d = float_data(x, t, 3, 2, 1);
  al_train_opts o = opts(0.1f, 1, 10);
  volatile int flag = 1;
  o.interrupt = &flag;
  al_train_report r;
  assert_int_equal(al_train(&r, &net, &d, NULL, &o, NULL, NULL, NULL), AL_ERR_INTERRUPTED);
  assert_int_equal(r.status, AL_ERR_INTERRUPTED);
  assert_int_equal(r.step, 1);
  assert_int_equal(r.epoch, 1);
  expect_linear(&net, 0.64, -0.22, 0.24);
  al_net_release(&net);
}

/* al_evaluate: mean loss and accuracy by hand, for one output (p > 0.5 vs t > 0.5)
 * and for labels (argmax), in batches smaller than the set. */
static void test_evaluate_by_hand(void **state)
{
  (void)state;
  al_layer_spec s[] = {dense(1)};
  al_net net;
  build(&net, 1, s, 1, 1);
  net.layers[0].w.data[0] = 1.0f;
  net.layers[0].b.data[0] = 0.0f;
  const float x[] = {0.2f, 0.7f, 0.9f}, t[] = {0.0f, 1.0f, 0.0f};
  al_data d = float_data(x, t, 3, 1, 1);
  double loss = 0, acc = 0;
  assert_int_equal(al_evaluate(&loss, &acc, &net, &d, AL_LOSS_AUTO, 2, NULL), AL_OK);
  /* p = x; ½(0.04 + 0.09 + 0.81)/3; right: 0.2 → 0, 0.7 → 1; wrong: 0.9 → 0 */
  assert_true(fabs(loss - 0.47 / 3.0) < 1e-6);
  assert_true(fabs(acc - 2.0 / 3.0) < 1e-12);
  al_net_release(&net);

  /* two classes by labels: W = I, b = 0; rows (1, 0) → 0, (0.2, 0.9) → 1, (0.6, 0.4) → 0 */
  build(&net, 2, (al_layer_spec[]){dense(2)}, 1, 1);
  const float w[] = {1, 0, 0, 1};
  memcpy(net.layers[0].w.data, w, sizeof w);
  const float x2[] = {1.0f, 0.0f, 0.2f, 0.9f, 0.6f, 0.4f};
  const uint8_t lab[] = {0, 1, 1};
  al_data d2 = {.n = 3, .in = 2, .out = 2, .x = x2, .labels = lab};
  assert_int_equal(al_evaluate(&loss, &acc, &net, &d2, AL_LOSS_MSE, 1, NULL), AL_OK);
  assert_true(fabs(acc - 2.0 / 3.0) < 1e-12);
  al_err e;
  assert_int_equal(al_evaluate(&loss, &acc, &net, &d2, AL_LOSS_MSE, 0, &e), AL_ERR_ARG);
  assert_non_null(strstr(e.msg, "batch"));
  al_net_release(&net);
}

/* Diagnostics by hand on a 2-2-1 ReLU net whose unit 0 is dead (pre-activation −2 on
 * every input): dead 1/2, and with lr too small to move anything, the probe
 * gradients are those on paper. h = (0, 1) on both inputs, y = 2, δ = 1 (mean of
 * two), dW2 = (0, 2) → ‖·‖ = 2; dW1 = ((0, 2), (0, 2)) → √8. */
static void test_diagnostics_by_hand(void **state)
{
  (void)state;
  al_layer_spec s[] = {dense(2), act("relu"), dense(1)};
  al_net net;
  build(&net, 2, s, 3, 1);
  const float w1[] = {-1, 1, -1, 1}, b1[] = {-1, 0}, w2[] = {0.5f, 2.0f};
  memcpy(net.layers[0].w.data, w1, sizeof w1);
  memcpy(net.layers[0].b.data, b1, sizeof b1);
  memcpy(net.layers[2].w.data, w2, sizeof w2);
  net.layers[2].b.data[0] = 0.0f;
  const float x[] = {1, 0, 0, 1}, t[] = {0, 0};
  al_data d = float_data(x, t, 2, 2, 1);
  al_train_opts o = opts(1e-30f, 2, 1);
  al_train_report r;
  train_ok(&r, &net, &d, &d, &o);
  assert_int_equal(r.ndiag, 2);
  assert_int_equal(r.diag[0].layer, 0);
  assert_int_equal(r.diag[1].layer, 2);
  assert_true(r.diag[0].dead == 0.5);
  assert_true(isnan(r.diag[0].saturated) && isnan(r.diag[0].alpha));
  assert_true(isnan(r.diag[1].dead));
  assert_true(fabs(r.diag[0].grad_norm - sqrt(8.0)) < 1e-6);
  assert_true(fabs(r.diag[1].grad_norm - 2.0) < 1e-6);
  /* loss ½·2² per example; train loss from the epoch's batch equals it */
  assert_true(fabs(r.test_loss - 2.0) < 1e-6);
  assert_true(fabs(r.train_loss - 2.0) < 1e-6);
  assert_true(isnan(r.train_acc));
  for (size_t k = 0; k < net.nparams; k++)
    assert_true(net.grads[k] == 0.0f);
  al_net_release(&net);
}

/* A sigmoid unit with bias 100 is saturated (σ' ≈ 4e-44), its neighbour is not;
 * prelu's mean α is reported. */
static void test_saturation_and_alpha(void **state)
{
  (void)state;
  al_layer_spec pr = act("prelu");
  pr.per_unit = 1;
  pr.params[0] = 0.2f;
  al_layer_spec s[] = {dense(2), act("sigmoid"), dense(2), pr, dense(1)};
  al_net net;
  build(&net, 2, s, 5, 1);
  net.layers[0].b.data[0] = 100.0f;
  net.layers[3].alpha.data[1] = 0.4f;
  const float x[] = {1, 0, 0, 1, 0.5f, 0.5f}, t[] = {0, 1, 0};
  al_data d = float_data(x, t, 3, 2, 1);
  al_train_opts o = opts(1e-30f, 3, 1);
  o.eval_train = 1;
  al_train_report r;
  train_ok(&r, &net, &d, NULL, &o);
  assert_int_equal(r.ndiag, 3);
  assert_true(r.diag[0].saturated == 0.5);
  assert_true(isnan(r.diag[0].dead));
  assert_true(fabs(r.diag[1].alpha - 0.3) < 1e-6);
  assert_true(isnan(r.diag[2].alpha));
  assert_true(isfinite(r.train_loss) && isfinite(r.train_acc));
  assert_true(isnan(r.test_loss));
  al_net_release(&net);
}

/* Evaluations and probes between epochs leave training untouched: evaluating every
 * epoch or only at the end gives bit-identical weights (with shuffling, momentum
 * and rrelu noise). */
static void test_evaluation_does_not_disturb_training(void **state)
{
  (void)state;
  float x[40 * 3];
  uint8_t y[40];
  random_set(x, y, 40, 3, 3, 4);
  al_data d = {.n = 40, .in = 3, .out = 3, .x = x, .labels = y};
  al_layer_spec s[] = {dense(6), act("rrelu"), dense(3), act("softmax")};
  al_net a, b;
  build(&a, 3, s, 4, 3);
  build(&b, 3, s, 4, 3);
  al_train_opts o = opts(0.1f, 7, 4);
  o.shuffle = 1;
  o.momentum = 0.8f;
  o.eval_every = 1;
  o.eval_train = 1;
  o.eval_batch = 9;
  al_train_report r;
  train_ok(&r, &a, &d, &d, &o);
  o.eval_every = 0;
  train_ok(&r, &b, &d, NULL, &o);
  assert_memory_equal(a.params, b.params, a.nparams * sizeof(float));
  al_net_release(&a);
  al_net_release(&b);
}

int main(void)
{
  openblas_set_num_threads(1);
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_one_sgd_step),
    cmocka_unit_test(test_batch_gradient_is_averaged),
    cmocka_unit_test(test_last_partial_batch_used),
    cmocka_unit_test(test_momentum_two_steps),
    cmocka_unit_test(test_nesterov_two_steps),
    cmocka_unit_test(test_weight_decay_on_weights_only),
    cmocka_unit_test(test_lr_decay),
    cmocka_unit_test(test_clamp_nonneg),
    cmocka_unit_test(test_same_seed_bit_identical),
    cmocka_unit_test(test_fused_equals_general),
    cmocka_unit_test(test_xor_sigmoid),
    cmocka_unit_test(test_xor_relu),
    cmocka_unit_test(test_divergence_recorded),
    cmocka_unit_test(test_bad_options),
    cmocka_unit_test(test_callback_stops),
    cmocka_unit_test(test_interrupt_flag),
    cmocka_unit_test(test_evaluate_by_hand),
    cmocka_unit_test(test_diagnostics_by_hand),
    cmocka_unit_test(test_saturation_and_alpha),
    cmocka_unit_test(test_evaluation_does_not_disturb_training),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
