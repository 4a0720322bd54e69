/* Tests of al_net: gradients of every layer kind and of whole networks against
 * central finite differences, initialisation statistics against their formulas,
 * spec validation messages, caches and the fused SGD backward. */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "al_net.h"

/* ---- Building blocks ---------------------------------------------------- */

static al_layer_spec dense(int units)
{
  return (al_layer_spec){.kind = AL_LAYER_DENSE, .units = units};
}

static al_layer_spec maxout(int units, int pieces)
{
  return (al_layer_spec){.kind = AL_LAYER_MAXOUT, .units = units, .pieces = pieces};
}

/* An act layer of the named activation with its default parameters. */
static al_layer_spec act(const char *name)
{
  al_layer_spec s = {.kind = AL_LAYER_ACT, .act = al_act_find(name)};
  assert_non_null(s.act);
  al_act_defaults(s.act, s.params);
  return s;
}

static al_layer_spec act_row(const al_act *a)
{
  al_layer_spec s = {.kind = AL_LAYER_ACT, .act = a};
  al_act_defaults(a, s.params);
  return s;
}

static void build(al_net *net, int in, const al_layer_spec *specs, int n, uint64_t seed)
{
  al_err e = {0};
  al_status st = al_net_create(net, in, specs, n, seed, &e);
  if (st != AL_OK)
    fail_msg("al_net_create: %s", e.msg);
}

static void fill_random(al_mat *m, uint64_t seed, float lo, float hi)
{
  al_rng r;
  al_rng_seed(&r, seed, AL_STREAM_DATA);
  al_mat_fill_uniform(m, &r, lo, hi);
}

/* ---- Finite differences -------------------------------------------------- */

enum { LOSS_MSE, LOSS_CE };

/* The loss of a forward of x, in double from the float outputs: ½Σ(p − t)² or, for
 * a network ending in softmax, −Σ t log p. */
static double loss_of(al_net *net, const al_mat *x, const al_mat *t, int kind)
{
  assert_int_equal(al_net_forward(net, x, NULL), AL_OK);
  al_mat p = al_net_output(net);
  double s = 0.0;
  for (size_t k = 0; k < al_mat_size(&p); k++) {
    double pk = p.data[k], tk = t->data[k];
    s += kind == LOSS_MSE ? 0.5 * (pk - tk) * (pk - tk) : (tk != 0.0 ? -tk * log(pk) : 0.0);
  }
  return s;
}

/* Central difference (step 1e-2) of the loss in *v, using the steps actually taken in
 * float; the difference is formed in double. */
static double numeric(al_net *net, const al_mat *x, const al_mat *t, int kind, float *v,
                      const al_rng *noise)
{
  const float v0 = *v, h = 1e-2f;
  *v = v0 + h;
  double up = (double)*v - v0;
  if (noise)
    net->noise = *noise;
  double lp = loss_of(net, x, t, kind);
  *v = v0 - h;
  double dn = (double)v0 - *v;
  if (noise)
    net->noise = *noise;
  double lm = loss_of(net, x, t, kind);
  *v = v0;
  return (lp - lm) / (up + dn);
}

static void expect_close(double analytic, double num, const char *what, size_t k)
{
  double tol = 1e-4 + 2e-3 * fmax(fabs(analytic), fabs(num));
  if (!(fabs(analytic - num) <= tol))
    fail_msg("%s[%zu]: backward %.7g, finite difference %.7g", what, k, analytic, num);
}

/* Every parameter gradient and ∂L/∂x from backward agree with central differences.
 * With noise given (training-mode rrelu) every forward redraws the same slopes. */
static void check_gradients(al_net *net, al_mat *x, const al_mat *t, int kind,
                            const al_rng *noise)
{
  const int rows = x->rows, n = net->nlayers;
  if (noise)
    net->noise = *noise;
  assert_int_equal(al_net_forward(net, x, NULL), AL_OK);
  al_mat p = al_net_output(net);
  al_mat d, dx;
  assert_int_equal(al_mat_alloc(&d, rows, net->out), AL_OK);
  assert_int_equal(al_mat_alloc(&dx, rows, net->in), AL_OK);
  /* MSE: δ = p − t at the output; softmax + CE: δ = p − t below the softmax. */
  for (size_t k = 0; k < al_mat_size(&p); k++)
    d.data[k] = p.data[k] - t->data[k];
  al_net_zero_grad(net);
  al_err e = {0};
  if (al_net_backward(net, x, &d, kind == LOSS_MSE ? n - 1 : n - 2, &dx, &e) != AL_OK)
    fail_msg("backward: %s", e.msg);
  double *g = malloc((net->nparams + 1) * sizeof *g);
  assert_non_null(g);
  for (size_t k = 0; k < net->nparams; k++)
    g[k] = net->grads[k];
  for (size_t k = 0; k < net->nparams; k++)
    expect_close(g[k], numeric(net, x, t, kind, &net->params[k], noise), "param", k);
  for (size_t k = 0; k < al_mat_size(x); k++)
    expect_close(dx.data[k], numeric(net, x, t, kind, &x->data[k], noise), "dx", k);
  free(g);
  al_mat_release(&d);
  al_mat_release(&dx);
}

/* Smallest distance from any pre-activation feeding an act layer to one of its kinks. */
static double kink_distance(al_net *net, const al_mat *x)
{
  assert_int_equal(al_net_forward(net, x, NULL), AL_OK);
  double best = INFINITY;
  for (int i = 0; i < net->nlayers; i++) {
    const al_layer *l = &net->layers[i];
    if (l->spec.kind != AL_LAYER_ACT)
      continue;
    float kinks[2];
    int nk = al_act_kinks(kinks, l->spec.act, l->spec.params);
    al_mat z = i > 0 ? al_net_layer_output(net, i - 1) : *x;
    for (size_t k = 0; k < al_mat_size(&z); k++)
      for (int q = 0; q < nk; q++)
        best = fmin(best, fabs((double)z.data[k] - kinks[q]));
  }
  return best;
}

/* Random inputs in [-1, 1) and targets, redrawn until no pre-activation sits within
 * 0.05 of a kink (the finite differences would straddle it). */
static void pick_points(al_net *net, al_mat *x, al_mat *t, int onehot)
{
  for (uint64_t seed = 1; seed < 200; seed++) {
    fill_random(x, seed, -1.0f, 1.0f);
    fill_random(t, seed + 1000, 0.0f, 1.0f);
    if (kink_distance(net, x) >= 0.05)
      break;
  }
  assert_true(kink_distance(net, x) >= 0.05);
  if (onehot) {
    al_mat_fill(t, 0.0f);
    for (int i = 0; i < t->rows; i++)
      AL_AT(t, i, i % t->cols) = 1.0f;
  }
}

/* ---- Gradients ------------------------------------------------------------ */

/* A lone dense layer: dW, db and dx match finite differences of ½Σ(xW + b − t)². */
static void test_dense_gradient(void **state)
{
  (void)state;
  al_layer_spec s[] = {dense(2)};
  al_net net;
  build(&net, 3, s, 1, 5);
  fill_random(&net.layers[0].b, 9, -0.5f, 0.5f);
  al_mat x, t;
  assert_int_equal(al_mat_alloc(&x, 4, 3), AL_OK);
  assert_int_equal(al_mat_alloc(&t, 4, 2), AL_OK);
  pick_points(&net, &x, &t, 0);
  check_gradients(&net, &x, &t, LOSS_MSE, NULL);
  al_mat_release(&x);
  al_mat_release(&t);
  al_net_release(&net);
}

/* For every elementwise activation of the table (OUTPUT rows skipped, rrelu in
 * evaluation mode), a 3-4-2 network with MSE has the gradients of finite differences. */
static void test_every_activation_gradient(void **state)
{
  (void)state;
  int tested = 0;
  for (int i = 0; i < al_act_count(); i++) {
    const al_act *a = al_act_at(i);
    if (a->flags & (AL_ACT_OUTPUT | AL_ACT_ROWWISE))
      continue;
    al_layer_spec s[] = {dense(4), act_row(a), dense(2)};
    al_net net;
    build(&net, 3, s, 3, 11 + (uint64_t)i);
    fill_random(&net.layers[0].b, 3, -0.5f, 0.5f);
    al_mat x, t;
    assert_int_equal(al_mat_alloc(&x, 3, 3), AL_OK);
    assert_int_equal(al_mat_alloc(&t, 3, 2), AL_OK);
    pick_points(&net, &x, &t, 0);
    print_message("  %s\n", a->name);
    check_gradients(&net, &x, &t, LOSS_MSE, NULL);
    al_mat_release(&x);
    al_mat_release(&t);
    al_net_release(&net);
    tested++;
  }
  assert_true(tested >= 10);
}

/* 3-4-2 networks ending in softmax: δ = p − t below it gives the gradients of −Σ t log p. */
static void test_softmax_cross_entropy_gradient(void **state)
{
  (void)state;
  const char *hidden[] = {"tanh", "relu", "gelu"};
  for (size_t h = 0; h < sizeof hidden / sizeof hidden[0]; h++) {
    al_layer_spec s[] = {dense(4), act(hidden[h]), dense(2), act("softmax")};
    al_net net;
    build(&net, 3, s, 4, 21);
    al_mat x, t;
    assert_int_equal(al_mat_alloc(&x, 3, 3), AL_OK);
    assert_int_equal(al_mat_alloc(&t, 3, 2), AL_OK);
    pick_points(&net, &x, &t, 1);
    check_gradients(&net, &x, &t, LOSS_CE, NULL);
    al_mat_release(&x);
    al_mat_release(&t);
    al_net_release(&net);
  }
}

/* Two hidden layers with different activations and MSE through a final sigmoid. */
static void test_deep_network_gradient(void **state)
{
  (void)state;
  al_layer_spec s[] = {dense(5), act("elu"), dense(4), act("softsign"), dense(2),
                       act("sigmoid")};
  al_net net;
  build(&net, 3, s, 6, 4);
  al_mat x, t;
  assert_int_equal(al_mat_alloc(&x, 3, 3), AL_OK);
  assert_int_equal(al_mat_alloc(&t, 3, 2), AL_OK);
  pick_points(&net, &x, &t, 0);
  check_gradients(&net, &x, &t, LOSS_MSE, NULL);
  al_mat_release(&x);
  al_mat_release(&t);
  al_net_release(&net);
}

/* prelu's α gradient (one shared α, then one per unit) matches finite differences. */
static void test_prelu_alpha_gradient(void **state)
{
  (void)state;
  for (int per = 0; per < 2; per++) {
    al_layer_spec pr = act("prelu");
    pr.per_unit = per;
    pr.params[0] = 0.3f;
    al_layer_spec s[] = {dense(4), pr, dense(2)};
    al_net net;
    build(&net, 3, s, 3, 31);
    assert_int_equal(net.layers[1].alpha.cols, per ? 4 : 1);
    assert_true(net.layers[1].alpha.data[0] == 0.3f);
    if (per)
      for (int j = 0; j < 4; j++)
        net.layers[1].alpha.data[j] = 0.1f + 0.2f * (float)j - (j == 2 ? 0.9f : 0.0f);
    al_mat x, t;
    assert_int_equal(al_mat_alloc(&x, 4, 3), AL_OK);
    assert_int_equal(al_mat_alloc(&t, 4, 2), AL_OK);
    pick_points(&net, &x, &t, 0);
    check_gradients(&net, &x, &t, LOSS_MSE, NULL);
    /* The check means something only if some inputs of the prelu are negative. */
    al_mat z = al_net_layer_output(&net, 0);
    int neg = 0;
    for (size_t k = 0; k < al_mat_size(&z); k++)
      neg += z.data[k] < 0.0f;
    assert_true(neg > 0);
    al_mat_release(&x);
    al_mat_release(&t);
    al_net_release(&net);
  }
}

/* Maxout routes the gradient to the winning piece: finite differences agree when no
 * two pieces are within 0.05 of each other. */
static void test_maxout_gradient(void **state)
{
  (void)state;
  al_layer_spec s[] = {maxout(3, 3), dense(2)};
  al_net net;
  build(&net, 3, s, 2, 41);
  fill_random(&net.layers[0].b, 6, -0.5f, 0.5f);
  al_mat x, t;
  assert_int_equal(al_mat_alloc(&x, 3, 3), AL_OK);
  assert_int_equal(al_mat_alloc(&t, 3, 2), AL_OK);
  int ok = 0;
  for (uint64_t seed = 1; seed < 200 && !ok; seed++) {
    fill_random(&x, seed, -1.0f, 1.0f);
    fill_random(&t, seed + 7, 0.0f, 1.0f);
    assert_int_equal(al_net_forward(&net, &x, NULL), AL_OK);
    const al_mat *z = &net.layers[0].z;
    ok = 1;
    for (int i = 0; i < 3; i++)
      for (int j = 0; j < 3; j++) {
        float a[3] = {AL_AT(z, i, 3 * j), AL_AT(z, i, 3 * j + 1), AL_AT(z, i, 3 * j + 2)};
        for (int p = 0; p < 3; p++)
          for (int q = p + 1; q < 3; q++)
            if (fabsf(a[p] - a[q]) < 0.05f)
              ok = 0;
      }
  }
  assert_true(ok);
  check_gradients(&net, &x, &t, LOSS_MSE, NULL);
  al_mat_release(&x);
  al_mat_release(&t);
  al_net_release(&net);
}

/* Maxout's forward by hand: y_j = max of z over the unit's pieces, argmax the winner. */
static void test_maxout_forward_by_hand(void **state)
{
  (void)state;
  al_layer_spec s[] = {maxout(2, 2)};
  al_net net;
  build(&net, 1, s, 1, 1);
  /* W (1 × 4) = [1, -1, 2, 0.5], b = [0, 0.5, 0, 1] */
  const float w[] = {1.0f, -1.0f, 2.0f, 0.5f}, b[] = {0.0f, 0.5f, 0.0f, 1.0f};
  memcpy(net.layers[0].w.data, w, sizeof w);
  memcpy(net.layers[0].b.data, b, sizeof b);
  float xs[] = {1.0f, -2.0f};
  al_mat x = al_mat_wrap(xs, 2, 1);
  assert_int_equal(al_net_forward(&net, &x, NULL), AL_OK);
  /* x = 1: z = [1, -0.5, 2, 1.5] → y = [1, 2]; x = -2: z = [-2, 2.5, -4, 0] → y = [2.5, 0] */
  al_mat y = al_net_output(&net);
  assert_true(AL_AT(&y, 0, 0) == 1.0f && AL_AT(&y, 0, 1) == 2.0f);
  assert_true(AL_AT(&y, 1, 0) == 2.5f && AL_AT(&y, 1, 1) == 0.0f);
  const int expect[] = {0, 0, 1, 1};
  for (int k = 0; k < 4; k++)
    assert_int_equal(net.layers[0].argmax[k], expect[k]);
  al_net_release(&net);
}

/* rrelu in evaluation mode is the table's deterministic kernel with slope (l + u)/2. */
static void test_rrelu_eval_mode(void **state)
{
  (void)state;
  al_layer_spec s[] = {act("rrelu")};
  s[0].params[0] = 0.1f;
  s[0].params[1] = 0.3f;
  al_net net;
  build(&net, 2, s, 1, 1);
  float xs[] = {-1.0f, 2.0f};
  al_mat x = al_mat_wrap(xs, 1, 2);
  for (int rep = 0; rep < 2; rep++) {
    assert_int_equal(al_net_forward(&net, &x, NULL), AL_OK);
    al_mat y = al_net_output(&net);
    assert_float_equal(y.data[0], -0.2f, 1e-7f);
    assert_true(y.data[1] == 2.0f);
  }
  al_net_release(&net);
}

/* rrelu in training mode draws one slope per element in [lower, upper], different
 * between forwards, and backward uses the drawn slopes (finite differences with the
 * noise stream rewound before every forward). */
static void test_rrelu_training_mode(void **state)
{
  (void)state;
  al_layer_spec r = act("rrelu");
  r.params[0] = 0.1f;
  r.params[1] = 0.4f;
  al_layer_spec s[] = {dense(4), r, dense(2)};
  al_net net;
  build(&net, 3, s, 3, 51);
  net.training = 1;
  al_mat x, t;
  assert_int_equal(al_mat_alloc(&x, 3, 3), AL_OK);
  assert_int_equal(al_mat_alloc(&t, 3, 2), AL_OK);
  pick_points(&net, &x, &t, 0);
  assert_int_equal(al_net_forward(&net, &x, NULL), AL_OK);
  float first[12];
  memcpy(first, net.layers[1].noise.data, sizeof first);
  for (int k = 0; k < 12; k++)
    assert_true(first[k] >= 0.1f && first[k] <= 0.4f);
  assert_int_equal(al_net_forward(&net, &x, NULL), AL_OK);
  assert_true(memcmp(first, net.layers[1].noise.data, sizeof first) != 0);
  al_rng saved = net.noise;
  check_gradients(&net, &x, &t, LOSS_MSE, &saved);
  al_mat_release(&x);
  al_mat_release(&t);
  al_net_release(&net);
}

/* Backward adds into the gradients: two calls give twice one call; zero_grad clears. */
static void test_backward_accumulates(void **state)
{
  (void)state;
  al_layer_spec s[] = {dense(3), act("tanh"), dense(2)};
  al_net net;
  build(&net, 2, s, 3, 3);
  al_mat x, d;
  assert_int_equal(al_mat_alloc(&x, 4, 2), AL_OK);
  assert_int_equal(al_mat_alloc(&d, 4, 2), AL_OK);
  fill_random(&x, 1, -1.0f, 1.0f);
  fill_random(&d, 2, -1.0f, 1.0f);
  assert_int_equal(al_net_forward(&net, &x, NULL), AL_OK);
  al_net_zero_grad(&net);
  assert_int_equal(al_net_backward(&net, &x, &d, 2, NULL, NULL), AL_OK);
  float once[64];
  assert_true(net.nparams <= 64);
  memcpy(once, net.grads, net.nparams * sizeof(float));
  assert_int_equal(al_net_backward(&net, &x, &d, 2, NULL, NULL), AL_OK);
  for (size_t k = 0; k < net.nparams; k++)
    assert_float_equal(net.grads[k], 2.0f * once[k], 1e-6f);
  /* d is not modified */
  al_mat d2;
  assert_int_equal(al_mat_alloc(&d2, 4, 2), AL_OK);
  fill_random(&d2, 2, -1.0f, 1.0f);
  assert_memory_equal(d.data, d2.data, 8 * sizeof(float));
  al_net_zero_grad(&net);
  for (size_t k = 0; k < net.nparams; k++)
    assert_true(net.grads[k] == 0.0f);
  al_mat_release(&x);
  al_mat_release(&d);
  al_mat_release(&d2);
  al_net_release(&net);
}

/* The fused SGD backward moves every parameter by −lr · the gradient that
 * al_net_backward computes, and leaves the gradient block alone. */
static void test_backward_sgd_is_a_gradient_step(void **state)
{
  (void)state;
  al_layer_spec pr = act("prelu");
  pr.per_unit = 1;
  al_layer_spec s[] = {dense(5), pr, maxout(3, 2), dense(2)};
  al_net a, b;
  build(&a, 3, s, 4, 8);
  build(&b, 3, s, 4, 8);
  al_mat x, d;
  assert_int_equal(al_mat_alloc(&x, 6, 3), AL_OK);
  assert_int_equal(al_mat_alloc(&d, 6, 2), AL_OK);
  fill_random(&x, 1, -1.0f, 1.0f);
  fill_random(&d, 2, -1.0f, 1.0f);
  const float lr = 0.1f;
  assert_int_equal(al_net_forward(&a, &x, NULL), AL_OK);
  al_net_zero_grad(&a);
  assert_int_equal(al_net_backward(&a, &x, &d, 3, NULL, NULL), AL_OK);
  assert_int_equal(al_net_forward(&b, &x, NULL), AL_OK);
  assert_int_equal(al_net_backward_sgd(&b, &x, &d, 3, lr, NULL), AL_OK);
  for (size_t k = 0; k < a.nparams; k++) {
    float want = a.params[k] - lr * a.grads[k];
    assert_float_equal(b.params[k], want, 1e-6f);
    assert_true(b.grads[k] == 0.0f);
  }
  assert_int_equal(al_net_backward_sgd(&b, &x, &d, 3, 0.0f, NULL), AL_ERR_ARG);
  al_mat_release(&x);
  al_mat_release(&d);
  al_net_release(&a);
  al_net_release(&b);
}

/* ---- Initialisation ------------------------------------------------------- */

/* The same seed gives bit-identical parameters; another seed gives others. */
static void test_init_same_seed_identical(void **state)
{
  (void)state;
  al_layer_spec s[] = {dense(16), act("relu"), maxout(4, 3), dense(3), act("softmax")};
  al_net a, b, c;
  build(&a, 8, s, 5, 77);
  build(&b, 8, s, 5, 77);
  build(&c, 8, s, 5, 78);
  assert_int_equal(a.nparams, b.nparams);
  assert_memory_equal(a.params, b.params, a.nparams * sizeof(float));
  assert_true(memcmp(a.params, c.params, a.nparams * sizeof(float)) != 0);
  /* reinitialising with the first seed gives the first parameters back */
  al_net_init_params(&c, 77);
  assert_memory_equal(a.params, c.params, a.nparams * sizeof(float));
  al_net_release(&a);
  al_net_release(&b);
  al_net_release(&c);
}

static void moments(const al_mat *m, double *mean, double *std, double *maxabs)
{
  double s = 0.0, s2 = 0.0, mx = 0.0;
  const size_t n = al_mat_size(m);
  for (size_t k = 0; k < n; k++) {
    s += m->data[k];
    mx = fmax(mx, fabs(m->data[k]));
  }
  *mean = s / (double)n;
  for (size_t k = 0; k < n; k++)
    s2 += (m->data[k] - *mean) * (m->data[k] - *mean);
  *std = sqrt(s2 / (double)(n - 1));
  *maxabs = mx;
}

/* A 1000 × 500 layer initialised before `next` (NULL: nothing after; params: all of
 * its parameters, or NULL for defaults) has weights of standard deviation within
 * 1.5 % of `std`; for uniform draws, |w| ≤ bound. */
static void check_init(al_init init, const char *next, const float *params, double std,
                       double bound)
{
  al_layer_spec s[2] = {dense(500)};
  s[0].init = init;
  int n = 1;
  if (next) {
    s[1] = act(next);
    if (params)
      memcpy(s[1].params, params, sizeof s[1].params);
    n = 2;
  }
  al_net net;
  build(&net, 1000, s, n, 3);
  double mean, sd, mx;
  moments(&net.layers[0].w, &mean, &sd, &mx);
  if (fabs(sd - std) > 0.015 * std || fabs(mean) > 0.01 * std)
    fail_msg("init %s before %s: std %.6g (expected %.6g), mean %.3g", al_init_name(init.kind),
             next ? next : "nothing", sd, std, mean);
  if (bound > 0.0)
    assert_true(mx <= bound * (1.0 + 1e-6)); /* the bound is computed in float */
  for (int j = 0; j < 500; j++)
    assert_true(net.layers[0].b.data[j] == 0.0f);
  al_net_release(&net);
}

/* He, LeCun and Xavier, chosen by auto or asked for, have the formula's spread. */
static void test_init_statistics(void **state)
{
  (void)state;
  const al_init autoi = {AL_INIT_AUTO, 0, 0};
  const double in = 1000.0, out = 500.0;
  /* auto before relu: He, gain √2 */
  check_init(autoi, "relu", NULL, sqrt(2.0 / in), 0);
  /* auto before leaky_relu γ = 0.5: gain √(2/(1 + 0.25)) */
  const float g[AL_ACT_MAX_PARAMS] = {0.5f};
  check_init(autoi, "leaky_relu", g, sqrt(2.0 / 1.25) / sqrt(in), 0);
  /* auto before prelu with α initially 0.25: gain √(2/(1 + 0.0625)) */
  check_init(autoi, "prelu", NULL, sqrt(2.0 / 1.0625) / sqrt(in), 0);
  /* auto before rrelu (lower 0.2, upper 0.6): γ = 0.4 */
  const float r[AL_ACT_MAX_PARAMS] = {0.2f, 0.6f};
  check_init(autoi, "rrelu", r, sqrt(2.0 / 1.16) / sqrt(in), 0);
  /* auto before selu: LeCun */
  check_init(autoi, "selu", NULL, sqrt(1.0 / in), 0);
  /* auto before tanh: Xavier with gain 5/3; U(±a) has std a/√3 */
  double a = 5.0 / 3.0 * sqrt(6.0 / (in + out));
  check_init(autoi, "tanh", NULL, a / sqrt(3.0), a);
  /* auto before sigmoid, and with nothing after: Xavier, gain 1 */
  a = sqrt(6.0 / (in + out));
  check_init(autoi, "sigmoid", NULL, a / sqrt(3.0), a);
  check_init(autoi, NULL, NULL, a / sqrt(3.0), a);
  /* asked for: he before sigmoid has γ = 0, lecun and xavier whatever follows */
  check_init((al_init){AL_INIT_HE, 0, 0}, "sigmoid", NULL, sqrt(2.0 / in), 0);
  check_init((al_init){AL_INIT_LECUN, 0, 0}, "relu", NULL, sqrt(1.0 / in), 0);
  check_init((al_init){AL_INIT_XAVIER, 0, 0}, "relu", NULL, a / sqrt(3.0), a);
  /* normal(mean 0, std 0.2) */
  check_init((al_init){AL_INIT_NORMAL, 0.0f, 0.2f}, "relu", NULL, 0.2, 0);
}

/* Uniform init stays within [lo, hi) and reaches near both ends. */
static void test_init_uniform_bounds(void **state)
{
  (void)state;
  al_layer_spec s[] = {dense(200)};
  s[0].init = (al_init){AL_INIT_UNIFORM, -0.3f, 0.7f};
  al_net net;
  build(&net, 100, s, 1, 9);
  float lo = INFINITY, hi = -INFINITY;
  for (size_t k = 0; k < al_mat_size(&net.layers[0].w); k++) {
    lo = fminf(lo, net.layers[0].w.data[k]);
    hi = fmaxf(hi, net.layers[0].w.data[k]);
  }
  assert_true(lo >= -0.3f && hi < 0.7f);
  assert_true(lo < -0.29f && hi > 0.69f);
  al_net_release(&net);
}

/* Init names round-trip; an unknown one is AL_ERR_NAME listing the valid names. */
static void test_init_names(void **state)
{
  (void)state;
  const char *names[] = {"auto", "uniform", "normal", "xavier", "he", "lecun"};
  for (int i = 0; i < 6; i++) {
    al_init_kind k;
    assert_int_equal(al_init_lookup(&k, names[i], NULL), AL_OK);
    assert_string_equal(al_init_name(k), names[i]);
  }
  al_err e = {0};
  al_init_kind k;
  assert_int_equal(al_init_lookup(&k, "glorot", &e), AL_ERR_NAME);
  assert_non_null(strstr(e.msg, "glorot"));
  assert_non_null(strstr(e.msg, "xavier"));
  assert_non_null(strstr(e.msg, "lecun"));
}

/* ---- Specs, layout and caches ------------------------------------------------ */

/* Bad specs give a status and a message naming the layer (from 1) and field; the
 * network is left empty. */
static void test_bad_specs(void **state)
{
  (void)state;
  al_err e;
  al_net net;
  al_layer_spec s[4] = {dense(4), act("relu"), dense(0), act("sigmoid")};
  assert_int_equal(al_net_create(&net, 3, s, 4, 1, &e), AL_ERR_ARG);
  assert_string_equal(e.msg, "layer 3 (dense): units = 0, expected ≥ 1");
  assert_null(net.layers);
  assert_null(net.params);

  s[2] = maxout(2, 1);
  assert_int_equal(al_net_create(&net, 3, s, 4, 1, &e), AL_ERR_ARG);
  assert_string_equal(e.msg, "layer 3 (maxout): pieces = 1, expected ≥ 2");

  s[2] = dense(2);
  s[1].act = NULL;
  assert_int_equal(al_net_create(&net, 3, s, 4, 1, &e), AL_ERR_ARG);
  assert_non_null(strstr(e.msg, "layer 2 (act)"));

  s[1] = act("softmax");
  assert_int_equal(al_net_create(&net, 3, s, 4, 1, &e), AL_ERR_ARG);
  assert_non_null(strstr(e.msg, "layer 2 (softmax)"));
  assert_non_null(strstr(e.msg, "last layer"));

  s[1] = act("leaky_relu");
  s[1].params[0] = -1.0f;
  assert_int_equal(al_net_create(&net, 3, s, 4, 1, &e), AL_ERR_ARG);
  assert_non_null(strstr(e.msg, "layer 2 (leaky_relu)"));
  assert_non_null(strstr(e.msg, "gamma"));

  s[1] = act("relu");
  s[1].per_unit = 1;
  assert_int_equal(al_net_create(&net, 3, s, 4, 1, &e), AL_ERR_ARG);
  assert_non_null(strstr(e.msg, "per_unit"));

  s[1].per_unit = 0;
  s[0].init = (al_init){AL_INIT_UNIFORM, 0.5f, 0.5f};
  assert_int_equal(al_net_create(&net, 3, s, 4, 1, &e), AL_ERR_ARG);
  assert_non_null(strstr(e.msg, "layer 1 (dense)"));
  assert_non_null(strstr(e.msg, "uniform"));

  s[0].init = (al_init){AL_INIT_NORMAL, 0.0f, -1.0f};
  assert_int_equal(al_net_create(&net, 3, s, 4, 1, &e), AL_ERR_ARG);
  assert_non_null(strstr(e.msg, "std"));

  s[0].init = (al_init){(al_init_kind)42, 0, 0};
  assert_int_equal(al_net_create(&net, 3, s, 4, 1, &e), AL_ERR_ARG);
  assert_non_null(strstr(e.msg, "init"));

  s[0] = dense(4);
  s[0].kind = (al_layer_kind)9;
  assert_int_equal(al_net_create(&net, 3, s, 4, 1, &e), AL_ERR_ARG);
  assert_non_null(strstr(e.msg, "layer 1"));

  s[0] = dense(4);
  assert_int_equal(al_net_create(&net, 0, s, 4, 1, &e), AL_ERR_ARG);
  assert_non_null(strstr(e.msg, "inputs"));
  assert_int_equal(al_net_create(&net, 3, s, 0, 1, &e), AL_ERR_ARG);
  assert_int_equal(al_net_create(&net, 3, s, AL_NET_MAX_LAYERS + 1, 1, &e), AL_ERR_ARG);
  /* and the fixed spec builds */
  assert_int_equal(al_net_create(&net, 3, s, 4, 1, &e), AL_OK);
  al_net_release(&net);
}

/* One aligned block each for parameters and gradients, layer by layer (W, b, α), with
 * every view inside it at the same offsets. */
static void test_parameter_layout(void **state)
{
  (void)state;
  al_layer_spec pr = act("prelu");
  pr.per_unit = 1;
  al_layer_spec s[] = {dense(4), pr, maxout(2, 3), act("prelu"), dense(2)};
  al_net net;
  build(&net, 3, s, 5, 1);
  /* 3·4 + 4, 4, 4·6 + 6, 1, 2·2 + 2 */
  assert_int_equal(net.nparams, 16 + 4 + 30 + 1 + 6);
  assert_int_equal(net.in, 3);
  assert_int_equal(net.out, 2);
  assert_int_equal((uintptr_t)net.params % 64, 0);
  assert_int_equal((uintptr_t)net.grads % 64, 0);
  const al_layer *l = net.layers;
  assert_ptr_equal(l[0].w.data, net.params);
  assert_ptr_equal(l[0].b.data, net.params + 12);
  assert_ptr_equal(l[1].alpha.data, net.params + 16);
  assert_ptr_equal(l[2].w.data, net.params + 20);
  assert_int_equal(l[2].w.rows, 4);
  assert_int_equal(l[2].w.cols, 6);
  assert_ptr_equal(l[2].b.data, net.params + 44);
  assert_ptr_equal(l[3].alpha.data, net.params + 50);
  assert_ptr_equal(l[4].w.data, net.params + 51);
  assert_int_equal(l[4].w.rows, 2);
  assert_ptr_equal(l[4].db.data, net.grads + 55);
  assert_ptr_equal(l[2].dw.data, net.grads + 20);
  assert_true(l[1].alpha.data[3] == 0.25f && l[3].alpha.data[0] == 0.25f);
  assert_int_equal(l[2].out, 2);
  assert_int_equal(l[3].in, 2);
  al_net_release(&net);
}

/* Caches grow only when a forward needs more rows than reserved; a smaller batch
 * reuses them without allocating; bad input shapes are refused. */
static void test_reserve_and_forward_shapes(void **state)
{
  (void)state;
  al_layer_spec s[] = {dense(4), act("relu"), dense(2)};
  al_net net;
  build(&net, 3, s, 3, 1);
  assert_int_equal(al_net_reserve(&net, 50, NULL), AL_OK);
  assert_int_equal(net.cap, 50);
  float *cache = net.cache;
  al_mat x;
  assert_int_equal(al_mat_alloc(&x, 80, 3), AL_OK);
  al_mat v;
  assert_int_equal(al_mat_view_rows(&v, &x, 0, 20), AL_OK);
  assert_int_equal(al_net_forward(&net, &v, NULL), AL_OK);
  assert_ptr_equal(net.cache, cache);
  assert_int_equal(net.batch, 20);
  assert_int_equal(al_net_output(&net).rows, 20);
  assert_int_equal(al_net_layer_output(&net, 0).cols, 4);
  assert_int_equal(al_net_forward(&net, &x, NULL), AL_OK);
  assert_true(net.cap >= 80);
  assert_int_equal(al_net_output(&net).rows, 80);

  al_err e;
  al_mat bad;
  assert_int_equal(al_mat_alloc(&bad, 5, 4), AL_OK);
  assert_int_equal(al_net_forward(&net, &bad, &e), AL_ERR_SHAPE);
  assert_non_null(strstr(e.msg, "3 columns"));
  al_mat d;
  assert_int_equal(al_mat_alloc(&d, 80, 3), AL_OK);
  assert_int_equal(al_net_backward(&net, &x, &d, 2, NULL, &e), AL_ERR_SHAPE);
  assert_int_equal(al_net_backward(&net, &x, &d, 3, NULL, &e), AL_ERR_ARG);
  assert_int_equal(al_net_reserve(&net, 0, &e), AL_ERR_ARG);
  al_mat_release(&x);
  al_mat_release(&bad);
  al_mat_release(&d);
  al_net_release(&net);

  /* backward before any forward is refused */
  build(&net, 3, s, 3, 1);
  assert_int_equal(al_mat_alloc(&x, 2, 3), AL_OK);
  assert_int_equal(al_mat_alloc(&d, 2, 2), AL_OK);
  assert_int_equal(al_net_backward(&net, &x, &d, 2, NULL, &e), AL_ERR_ARG);
  al_mat_release(&x);
  al_mat_release(&d);
  al_net_release(&net);
}

/* first_nonfinite names the first layer whose output holds a NaN or an infinity. */
static void test_first_nonfinite(void **state)
{
  (void)state;
  al_layer_spec s[] = {dense(3), act("tanh"), dense(3), act("relu"), dense(1)};
  al_net net;
  build(&net, 2, s, 5, 1);
  float xs[] = {0.5f, -0.5f};
  al_mat x = al_mat_wrap(xs, 1, 2);
  assert_int_equal(al_net_forward(&net, &x, NULL), AL_OK);
  assert_int_equal(al_net_first_nonfinite(&net), -1);
  net.layers[2].w.data[0] = NAN;
  assert_int_equal(al_net_forward(&net, &x, NULL), AL_OK);
  assert_int_equal(al_net_first_nonfinite(&net), 2);
  net.layers[0].b.data[1] = INFINITY;
  assert_int_equal(al_net_forward(&net, &x, NULL), AL_OK);
  assert_int_equal(al_net_first_nonfinite(&net), 0);
  al_net_release(&net);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_dense_gradient),
    cmocka_unit_test(test_every_activation_gradient),
    cmocka_unit_test(test_softmax_cross_entropy_gradient),
    cmocka_unit_test(test_deep_network_gradient),
    cmocka_unit_test(test_prelu_alpha_gradient),
    cmocka_unit_test(test_maxout_gradient),
    cmocka_unit_test(test_maxout_forward_by_hand),
    cmocka_unit_test(test_rrelu_eval_mode),
    cmocka_unit_test(test_rrelu_training_mode),
    cmocka_unit_test(test_backward_accumulates),
    cmocka_unit_test(test_backward_sgd_is_a_gradient_step),
    cmocka_unit_test(test_init_same_seed_identical),
    cmocka_unit_test(test_init_statistics),
    cmocka_unit_test(test_init_uniform_bounds),
    cmocka_unit_test(test_init_names),
    cmocka_unit_test(test_bad_specs),
    cmocka_unit_test(test_parameter_layout),
    cmocka_unit_test(test_reserve_and_forward_shapes),
    cmocka_unit_test(test_first_nonfinite),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
