/* Losses paired with output activations, as in the literature's table:
 * identity + mean squared error, sigmoid + binary cross-entropy (from logits),
 * softmax + cross-entropy and log_softmax + negative log-likelihood, each fused so
 * that the gradient at the output's pre-activation is δ = p − t.
 * Per-example losses are summed over outputs; callers average over the batch. */
#ifndef AL_LOSS_H
#define AL_LOSS_H

#include "al_act.h"
#include "al_mat.h"

typedef enum al_loss_kind {
  AL_LOSS_AUTO = 0, /* the pairing of the network's output activation */
  AL_LOSS_MSE,      /* ½ Σ_j (p_j − t_j)² */
  AL_LOSS_BCE,      /* −Σ_j t_j log p_j + (1 − t_j) log(1 − p_j), p = σ(z); needs sigmoid */
  AL_LOSS_CE,       /* −Σ_j t_j log p_j, p = softmax(z); needs softmax */
  AL_LOSS_NLL       /* −Σ_j t_j p_j, p = log_softmax(z); needs log_softmax */
} al_loss_kind;

al_status al_loss_lookup(al_loss_kind *k, const char *name, al_err *err);
const char *al_loss_name(al_loss_kind k);
/* The loss paired with output activation `out` (NULL: no final activation). */
al_loss_kind al_loss_for_output(const al_act *out);

/* AL_OK when loss k can follow output activation `out` (NULL: none): bce needs
 * sigmoid, cross_entropy softmax, nll log_softmax; mse and auto go with anything.
 * A mismatch is AL_ERR_ARG naming both. */
al_status al_loss_check(al_loss_kind k, const al_act *out, al_err *err);

/* Loss of a batch. `out` is the network's final activation with parameters
 * out_params (NULL when the network ends with a dense layer); z is its input and
 * p its output (z == p when out is NULL), t the targets, all batch × k.
 * *sum receives Σ_i of each example's loss (in double).
 * When dz is not NULL it receives scale · ∂sum/∂z: the fused δ = p − t for the
 * natural pairings, (p − t) ⊙ f'(z) for MSE after another elementwise activation.
 * A loss that needs an activation the network does not end with is AL_ERR_ARG. */
al_status al_loss_compute(double *sum, al_mat *dz, al_loss_kind k, const al_act *out,
                          const float *out_params, const al_mat *z, const al_mat *p,
                          const al_mat *t, float scale, al_err *err);

#endif
