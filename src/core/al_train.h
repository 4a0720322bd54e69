/* Mini-batch SGD with momentum, Nesterov, weight decay, learning-rate decay and a
 * non-negativity constraint; evaluation in batches; per-layer diagnostics; and
 * divergence detection that turns a NaN into a recorded result, not a crash. */
#ifndef AL_TRAIN_H
#define AL_TRAIN_H

#include <stdint.h>
#include "al_data.h"
#include "al_loss.h"
#include "al_net.h"

typedef struct al_train_opts {
  float lr;             /* > 0 */
  int batch;            /* 1 .. training examples */
  int epochs;           /* ≥ 1 */
  float momentum;       /* [0, 1): v = μv + g; w -= lr·v (PyTorch, dampening 0) */
  int nesterov;         /* w -= lr·(g + μv); needs momentum > 0 */
  float weight_decay;   /* ≥ 0: g += wd·w for weights (not biases) */
  float lr_decay;       /* ≥ 0: lr_t = lr / (1 + t·lr_decay), t = steps taken */
  int shuffle;          /* 1: a new order every epoch from (seed, AL_STREAM_SHUFFLE); 0: in order */
  uint64_t seed;        /* shuffling and rrelu noise */
  int clamp_nonneg;     /* 1: every weight clamped ≥ 0 after each step */
  int eval_every;       /* evaluate every this many epochs and after the last; 0: only the last */
  int eval_train;       /* 1: measure train loss/accuracy over the whole training set;
                           0: train loss is the mean over the epoch's batches, train acc NaN */
  int eval_batch;       /* rows per evaluation batch; 0: max(batch, 1000) */
  al_loss_kind loss;    /* AL_LOSS_AUTO: paired with the output activation */
  const volatile int *interrupt; /* not NULL: stop after the batch in which *interrupt != 0 */
  int general_update;   /* 1: plain SGD too accumulates gradients, then updates in a second
                           pass (as momentum and weight decay do), instead of folding the
                           update into the gradient GEMM; same numbers to float rounding */
} al_train_opts;

/* lr 0.05, batch 100, epochs 1, no momentum, decay or shuffle, eval_every 1. */
void al_train_opts_default(al_train_opts *o);
al_status al_train_opts_check(const al_train_opts *o, int n_train, al_err *err);

#define AL_DIAG_MAX 64

/* Per dense or maxout layer ("hidden layer 1", ..., then the output layer). */
typedef struct al_layer_diag {
  int layer;         /* index of the dense/maxout layer in net->layers */
  double dead;       /* ReLU-like activation after it: fraction of units never positive
                        over the evaluated set; else NaN */
  double saturated;  /* saturating activation: fraction of units with |f'| < 1e-3 on every
                        evaluated example; else NaN */
  double grad_norm;  /* ‖∂L/∂W‖_F on a fixed probe batch (the first `batch` training rows) */
  double alpha;      /* prelu after it: mean α; else NaN */
} al_layer_diag;

typedef struct al_train_report {
  int epoch;
  int step;                /* SGD steps taken */
  double train_loss, train_acc, test_loss, test_acc; /* NaN when not measured */
  double seconds;          /* wall time since training began */
  int ndiag;
  al_layer_diag diag[AL_DIAG_MAX];
  al_status status;        /* AL_OK, AL_ERR_DIVERGED or AL_ERR_INTERRUPTED */
  int diverged_layer;      /* first layer with a non-finite value, or -1 */
} al_train_report;

/* Called after every evaluation; a nonzero return stops training (INTERRUPTED). */
typedef int (*al_train_callback)(void *ud, const al_train_report *r);

/* Trains net on `train`, evaluating on `test` (may be NULL). Divergence is a
 * result: final->status = AL_ERR_DIVERGED, the function returns AL_OK. Bad
 * options or data return AL_ERR_ARG / AL_ERR_SHAPE before anything changes.
 * Interruption returns AL_ERR_INTERRUPTED with final filled so far. */
al_status al_train(al_train_report *final, al_net *net, const al_data *train,
                   const al_data *test, const al_train_opts *o, al_train_callback cb,
                   void *ud, al_err *err);

/* Mean loss and accuracy of net over d, in batches of `batch` rows. Accuracy is
 * argmax agreement for labels or several outputs, p > 0.5 vs t > 0.5 for one. */
al_status al_evaluate(double *loss, double *acc, al_net *net, const al_data *d,
                      al_loss_kind loss_kind, int batch, al_err *err);

#endif
