/* Weight initialisation: the init names, the automatic choice from the activation
 * that follows a layer (He for the ReLU family, LeCun for SELU, Xavier otherwise)
 * and the fills, all drawn from (seed, AL_STREAM_INIT) in layer order. */
#include <math.h>
#include <string.h>

#include "al_net.h"

static const char *const init_names[] = {
  [AL_INIT_AUTO] = "auto",     [AL_INIT_UNIFORM] = "uniform", [AL_INIT_NORMAL] = "normal",
  [AL_INIT_XAVIER] = "xavier", [AL_INIT_HE] = "he",           [AL_INIT_LECUN] = "lecun",
};
#define NINITS ((int)(sizeof init_names / sizeof init_names[0]))

al_status al_init_lookup(al_init_kind *k, const char *name, al_err *err)
{
  for (int i = 0; name && i < NINITS; i++) {
    if (strcmp(name, init_names[i]) == 0) {
      if (k)
        *k = (al_init_kind)i;
      return AL_OK;
    }
  }
  return al_fail(err, AL_ERR_NAME,
                 "unknown init '%s' (expected auto, uniform, normal, xavier, he or lecun)",
                 name ? name : "(null)");
}

const char *al_init_name(al_init_kind k)
{
  if ((int)k < 0 || (int)k >= NINITS)
    return "unknown";
  return init_names[k];
}

/* Parameter `name` of a, or p[fallback] when the row calls it otherwise. */
static float param(const al_act *a, const float *p, const char *name, int fallback)
{
  int i = fallback;
  if (al_act_param_index(&i, a, name, NULL) != AL_OK)
    i = fallback;
  return p[i];
}

/* The activation layer right after layer i, or NULL. */
static const al_layer *next_act(const al_net *net, int i)
{
  if (i + 1 < net->nlayers && net->layers[i + 1].spec.kind == AL_LAYER_ACT)
    return &net->layers[i + 1];
  return NULL;
}

/* 1 when the layer is of the ReLU family, with *gamma its negative slope (prelu: α's
 * initial value, rrelu: the mean slope (lower + upper)/2). */
static int relu_slope(const al_layer *a, float *gamma)
{
  *gamma = 0.0f;
  if (a == NULL)
    return 0;
  const al_act *f = a->spec.act;
  const float *p = a->spec.params;
  if (strcmp(f->name, "relu") == 0)
    return 1;
  if (strcmp(f->name, "leaky_relu") == 0) {
    *gamma = param(f, p, "gamma", 0);
    return 1;
  }
  if (strcmp(f->name, "prelu") == 0) {
    *gamma = p[0]; /* a trainable row's first parameter is the learned one */
    return 1;
  }
  if (strcmp(f->name, "rrelu") == 0) {
    *gamma = 0.5f * (param(f, p, "lower", 0) + param(f, p, "upper", 1));
    return 1;
  }
  return 0;
}

static int named(const al_layer *a, const char *name)
{
  return a != NULL && strcmp(a->spec.act->name, name) == 0;
}

/* Fills the weights of dense or maxout layer i. */
static void init_weights(al_net *net, int i, al_rng *rng)
{
  al_layer *l = &net->layers[i];
  const al_layer *next = next_act(net, i);
  const float fan_in = (float)l->w.rows, fan_out = (float)l->w.cols;
  float gamma = 0.0f;
  int relu = relu_slope(next, &gamma);
  al_init_kind k = l->spec.init.kind;
  if (k == AL_INIT_AUTO)
    k = relu ? AL_INIT_HE : named(next, "selu") ? AL_INIT_LECUN : AL_INIT_XAVIER;
  switch (k) {
  case AL_INIT_UNIFORM:
    al_mat_fill_uniform(&l->w, rng, l->spec.init.a, l->spec.init.b);
    break;
  case AL_INIT_NORMAL:
    al_mat_fill_normal(&l->w, rng, l->spec.init.a, l->spec.init.b);
    break;
  case AL_INIT_HE: {
    float gain = sqrtf(2.0f / (1.0f + gamma * gamma));
    al_mat_fill_normal(&l->w, rng, 0.0f, gain / sqrtf(fan_in));
    break;
  }
  case AL_INIT_LECUN:
    al_mat_fill_normal(&l->w, rng, 0.0f, 1.0f / sqrtf(fan_in));
    break;
  case AL_INIT_AUTO: /* resolved above */
  case AL_INIT_XAVIER: {
    float gain = named(next, "tanh") ? 5.0f / 3.0f : 1.0f;
    float bound = gain * sqrtf(6.0f / (fan_in + fan_out));
    al_mat_fill_uniform(&l->w, rng, -bound, bound);
    break;
  }
  }
}

void al_net_init_params(al_net *net, uint64_t seed)
{
  if (net == NULL || net->layers == NULL)
    return;
  al_rng rng;
  al_rng_seed(&rng, seed, AL_STREAM_INIT);
  for (int i = 0; i < net->nlayers; i++) {
    al_layer *l = &net->layers[i];
    if (l->spec.kind == AL_LAYER_ACT) {
      if (l->alpha.data)
        al_mat_fill(&l->alpha, l->spec.params[0]);
      continue;
    }
    init_weights(net, i, &rng);
    al_mat_fill(&l->b, 0.0f);
  }
  net->seed = seed;
  al_rng_seed(&net->noise, seed, AL_STREAM_NOISE);
}
