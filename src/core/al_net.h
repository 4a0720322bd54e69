/* Layers and the sequential network. The network owns every parameter in one
 * block and every gradient in another; layers hold views into them. Forward caches
 * each layer's output for backward; backward accumulates parameter gradients
 * (al_net_zero_grad clears them). Caches are sized once by al_net_reserve, so a
 * training step allocates nothing. */
#ifndef AL_NET_H
#define AL_NET_H

#include <stdint.h>
#include "al_act.h"
#include "al_mat.h"
#include "al_rng.h"

typedef enum al_layer_kind {
  AL_LAYER_DENSE,  /* y = x·W + b */
  AL_LAYER_ACT,    /* y = f(x), elementwise or row-wise */
  AL_LAYER_MAXOUT  /* y_j = max_k (x·W + b)_{j·pieces + k} */
} al_layer_kind;

typedef enum al_init_kind {
  AL_INIT_AUTO,    /* chosen from the activation that follows the layer */
  AL_INIT_UNIFORM, /* U[a, b) */
  AL_INIT_NORMAL,  /* N(a, b²) */
  AL_INIT_XAVIER,  /* U(±gain·√(6/(in+out))), gain 5/3 before tanh, else 1 */
  AL_INIT_HE,      /* N(0, gain²/in), gain √(2/(1+γ²)) with γ the negative slope */
  AL_INIT_LECUN    /* N(0, 1/in) */
} al_init_kind;

typedef struct al_init {
  al_init_kind kind;
  float a, b;      /* uniform: bounds; normal: mean and standard deviation */
} al_init;

al_status al_init_lookup(al_init_kind *k, const char *name, al_err *err);
const char *al_init_name(al_init_kind k);

#define AL_NET_MAX_LAYERS 128

typedef struct al_layer_spec {
  al_layer_kind kind;
  int units;        /* dense, maxout: output features (≥ 1) */
  int pieces;       /* maxout: linear pieces per unit (≥ 2) */
  al_init init;     /* dense, maxout: weights; biases start at 0 */
  const al_act *act;                  /* act */
  float params[AL_ACT_MAX_PARAMS];    /* act: its parameters (prelu: alpha's initial value) */
  int per_unit;     /* act prelu: one alpha per unit instead of one shared */
} al_layer_spec;

typedef struct al_layer {
  al_layer_spec spec;
  int in, out;       /* features in and out */
  al_mat w, b;       /* dense: in × out, 1 × out; maxout: in × out·pieces, 1 × out·pieces */
  al_mat dw, db;     /* their gradients */
  al_mat alpha, dalpha; /* prelu: 1 × out (per unit) or 1 × 1 */
  al_mat y;          /* output cache: net->batch rows × out (storage for net->cap rows) */
  al_mat z;          /* maxout: pre-max values, batch × out·pieces */
  al_mat noise;      /* rrelu: slopes drawn in training, batch × out */
  int *argmax;       /* maxout: winning piece per output value, batch · out entries */
} al_layer;

typedef struct al_net {
  int in, out;
  int nlayers;
  al_layer *layers;
  float *params, *grads; /* nparams floats each, 64-byte aligned; layers view into them */
  size_t nparams;
  int cap;           /* rows the caches can hold */
  int batch;         /* rows of the last forward */
  al_mat scratch[2]; /* cap × widest layer: deltas flowing down in backward */
  float *cache;      /* one 64-byte aligned block holding every y, z, noise and scratch */
  int *argmax_cache; /* one block holding every maxout layer's argmax */
  int training;      /* 1: stochastic activations draw noise */
  al_rng noise;      /* (seed, AL_STREAM_NOISE) */
  uint64_t seed;
} al_net;

/* Builds a network of nlayers layers on `inputs` features and initialises its
 * parameters from (seed, AL_STREAM_INIT). On failure net is left empty and the
 * message names the layer (counted from 1) and field. Release with al_net_release. */
al_status al_net_create(al_net *net, int inputs, const al_layer_spec *specs, int nlayers,
                        uint64_t seed, al_err *err);
/* Checks specs as al_net_create does and counts their parameters, allocating nothing
 * (a loader compares the count with what a file holds before building the network). */
al_status al_net_count_params(size_t *count, int inputs, const al_layer_spec *specs,
                             int nlayers, al_err *err);
void al_net_release(al_net *net);
/* Reinitialises every parameter (weights per their init, biases 0, prelu alpha
 * to its initial value) from (seed, AL_STREAM_INIT); resets the noise stream. */
void al_net_init_params(al_net *net, uint64_t seed);
/* Makes the caches hold at least `rows` rows (the only place forward allocates). */
al_status al_net_reserve(al_net *net, int rows, al_err *err);
/* Runs x (batch × in) through every layer; grows the caches when batch > cap. */
al_status al_net_forward(al_net *net, const al_mat *x, al_err *err);
/* The output of layer i (batch × layers[i].out) of the last forward, as a view. */
al_mat al_net_layer_output(const al_net *net, int i);
al_mat al_net_output(const al_net *net);
/* Backpropagates dout = ∂L/∂(output of layer `last`) (batch × layers[last].out)
 * through layers last..0 of the last forward of x, adding parameter gradients
 * into grads. dx (batch × in) receives ∂L/∂x when not NULL. dout is not modified. */
al_status al_net_backward(al_net *net, const al_mat *x, const al_mat *dout, int last,
                          al_mat *dx, al_err *err);
/* Plain SGD folded into backpropagation: like al_net_backward (dx not computed),
 * but every parameter of layers last..0 moves by −lr · its gradient right away, the
 * weight update being the gradient GEMM itself (W += −lr·xᵀδ after δ·Wᵀ used the
 * old W). The gradient block is neither read nor written. */
al_status al_net_backward_sgd(al_net *net, const al_mat *x, const al_mat *dout, int last,
                              float lr, al_err *err);
void al_net_zero_grad(al_net *net);
/* Index of the first layer whose cached output holds a NaN or an infinity, or -1. */
int al_net_first_nonfinite(const al_net *net);

#endif
