/* Training from Lua: actlab.train(net, data, opts) over al_train, with on_eval called
 * (protected) after every evaluation and its errors raised once the trainer has
 * returned and freed its buffers; actlab.threads for the BLAS thread count. */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <string.h>

#include <cblas.h>

#include "al_train.h"
#include "bind.h"

static const char *const train_keys[] = {
  "lr", "batch", "epochs", "momentum", "nesterov", "weight_decay", "lr_decay", "shuffle",
  "seed", "nonneg", "eval_every", "eval_train", "eval_batch", "loss", "on_eval", "test",
  "evaluate", NULL};

static const char *status_name(al_status s)
{
  return s == AL_ERR_DIVERGED ? "diverged" : s == AL_ERR_INTERRUPTED ? "interrupted" : "ok";
}

/* Sets t[key] = v unless v is NaN (not measured). */
static void set_measure(lua_State *L, const char *key, double v)
{
  if (isnan(v))
    return;
  lua_pushnumber(L, v);
  lua_setfield(L, -2, key);
}

/* The report as a Lua row; net maps layer positions to dense-layer numbers. */
static void push_report(lua_State *L, const al_train_report *r, const al_net *net)
{
  lua_createtable(L, 0, 12);
  lua_pushinteger(L, r->epoch);
  lua_setfield(L, -2, "epoch");
  lua_pushinteger(L, r->step);
  lua_setfield(L, -2, "step");
  set_measure(L, "train_loss", r->train_loss);
  set_measure(L, "train_acc", r->train_acc);
  set_measure(L, "test_loss", r->test_loss);
  set_measure(L, "test_acc", r->test_acc);
  set_measure(L, "seconds", r->seconds);
  lua_pushstring(L, status_name(r->status));
  lua_setfield(L, -2, "status");
  if (r->diverged_layer >= 0) {
    /* "diverged_layer" counts dense/maxout layers like "layers" (an activation layer
     * belongs to the dense layer before it); "diverged_net_layer" is the position in
     * net:layers(). */
    int dense = 0;
    for (int k = 0; k <= r->diverged_layer && k < net->nlayers; k++)
      if (net->layers[k].spec.kind != AL_LAYER_ACT)
        dense++;
    if (dense > 0) {
      lua_pushinteger(L, dense);
      lua_setfield(L, -2, "diverged_layer");
    }
    lua_pushinteger(L, r->diverged_layer + 1);
    lua_setfield(L, -2, "diverged_net_layer");
  }
  lua_createtable(L, r->ndiag, 0);
  for (int k = 0; k < r->ndiag && k < AL_DIAG_MAX; k++) {
    const al_layer_diag *d = &r->diag[k];
    lua_createtable(L, 0, 6);
    /* "layer" counts dense/maxout layers (hidden 1, 2, ..., output last), the
     * numbering of depth plots; "net_layer" is the position in net:layers(). */
    lua_pushinteger(L, k + 1);
    lua_setfield(L, -2, "layer");
    lua_pushinteger(L, d->layer + 1);
    lua_setfield(L, -2, "net_layer");
    set_measure(L, "dead", d->dead);
    set_measure(L, "saturated", d->saturated);
    set_measure(L, "grad_norm", d->grad_norm);
    set_measure(L, "alpha", d->alpha);
    lua_rawseti(L, -2, k + 1);
  }
  lua_setfield(L, -2, "layers");
}

/* ---- on_eval ------------------------------------------------------------------- */

typedef struct hook {
  lua_State *L;
  int fn;        /* stack index of on_eval, 0 when there is none */
  int failed;    /* 1: its error object is on top of the stack; 2: no stack space */
  const al_net *net;
} hook;

/* Protected: arguments report and net (light userdata), on_eval. */
static int call_on_eval(lua_State *L)
{
  const al_train_report *r = lua_touserdata(L, 1);
  const al_net *net = lua_touserdata(L, 2);
  lua_settop(L, 3);
  push_report(L, r, net);
  lua_call(L, 1, 1);
  return 1;
}

/* Returning false stops training; an error stops it too and is raised later: a
 * Lua error must not unwind through the trainer, which holds C memory. */
static int on_eval(void *ud, const al_train_report *r)
{
  hook *h = ud;
  if (h->fn == 0)
    return 0;
  if (h->failed)
    return 1;
  lua_State *L = h->L;
  if (!lua_checkstack(L, 5)) {
    h->failed = 2;
    return 1;
  }
  lua_pushcfunction(L, call_on_eval);
  lua_pushlightuserdata(L, (void *)r);
  lua_pushlightuserdata(L, (void *)h->net);
  lua_pushvalue(L, h->fn);
  if (lua_pcall(L, 3, 1, 0) != LUA_OK) {
    h->failed = 1;
    return 1;
  }
  int stop = lua_type(L, -1) == LUA_TBOOLEAN && !lua_toboolean(L, -1);
  lua_pop(L, 1);
  return stop;
}

/* ---- options ------------------------------------------------------------------- */

/* Reads every option of the table at 3 into o; the test part into *test (NULL:
 * none) from opts.test or opts.evaluate. */
static void read_opts(lua_State *L, al_train_opts *o, const al_data *train, al_data *test_buf,
                      const al_data **test, int *fn)
{
  al_train_opts_default(o);
  albind_checkkeys(L, 3, "train", train_keys);
  o->lr = (float)albind_optnumber(L, 3, "train", "lr", o->lr, 0.0, FLT_MAX, ALBIND_OPEN_LO,
                                  "positive number");
  int most = train->n;
  const char *batch_what = lua_pushfstring(L, "integer from 1 to %d (the training examples)",
                                           most);
  o->batch = (int)albind_optinteger(L, 3, "train", "batch", o->batch < most ? o->batch : most,
                                    1, most, batch_what);
  lua_pop(L, 1);
  o->epochs = (int)albind_optinteger(L, 3, "train", "epochs", o->epochs, 1, INT_MAX,
                                     "positive integer");
  o->momentum = (float)albind_optnumber(L, 3, "train", "momentum", o->momentum, 0.0, 1.0,
                                        ALBIND_OPEN_HI, "number in [0, 1)");
  o->nesterov = albind_optboolean(L, 3, "train", "nesterov", o->nesterov);
  if (o->nesterov && !(o->momentum > 0.0f))
    albind_opterror(L, "train", "nesterov", "needs momentum > 0");
  o->weight_decay = (float)albind_optnumber(L, 3, "train", "weight_decay", o->weight_decay,
                                            0.0, FLT_MAX, 0, "non-negative number");
  o->lr_decay = (float)albind_optnumber(L, 3, "train", "lr_decay", o->lr_decay, 0.0, FLT_MAX,
                                        0, "non-negative number");
  o->shuffle = albind_optboolean(L, 3, "train", "shuffle", o->shuffle);
  o->seed = (uint64_t)albind_optinteger(L, 3, "train", "seed", (lua_Integer)o->seed, 0,
                                        LUA_MAXINTEGER, "non-negative integer");
  o->clamp_nonneg = albind_optboolean(L, 3, "train", "nonneg", o->clamp_nonneg);
  o->eval_every = (int)albind_optinteger(L, 3, "train", "eval_every", o->eval_every, 0,
                                         INT_MAX, "non-negative integer");
  o->eval_train = albind_optboolean(L, 3, "train", "eval_train", o->eval_train);
  o->eval_batch = (int)albind_optinteger(L, 3, "train", "eval_batch", o->eval_batch, 0,
                                         INT_MAX, "non-negative integer");
  const char *loss = albind_optstring(L, 3, "train", "loss", NULL);
  al_err err = {0};
  if (loss && al_loss_lookup(&o->loss, loss, &err) != AL_OK)
    albind_opterror(L, "train", "loss", "%s", err.msg);

  *fn = 0;
  int t = albind_optfield(L, 3, "on_eval");
  if (t != LUA_TNIL && t != LUA_TFUNCTION)
    albind_opterror(L, "train", "on_eval", "function expected, got %s", albind_got(L, -1));
  if (t == LUA_TFUNCTION)
    *fn = lua_gettop(L); /* stays on the stack for the whole run */
  else
    lua_pop(L, 1);

  *test = NULL;
  int dataset = albind_data_kind(L, 2) == ALBIND_DATASET;
  t = albind_optfield(L, 3, "test");
  if (t != LUA_TNIL) {
    if (dataset)
      albind_opterror(L, "train", "test", "only used with in-memory data (a data set "
                      "evaluates on its own test part)");
    if (albind_data_kind(L, -1) != ALBIND_MEMDATA)
      albind_opterror(L, "train", "test", "in-memory data (actlab.data) expected, got %s",
                      albind_got(L, -1));
    if (albind_getdata(L, -1, AL_PART_TRAIN, test_buf, &err) != AL_OK)
      albind_opterror(L, "train", "test", "%s", err.msg);
    *test = test_buf;
  }
  lua_pop(L, 1); /* test stays alive in the options table */
  const char *evaluate = albind_optstring(L, 3, "train", "evaluate", NULL);
  if (evaluate) {
    if (!dataset)
      albind_opterror(L, "train", "evaluate", "only used with a data set");
    if (strcmp(evaluate, "test") && strcmp(evaluate, "validation") && strcmp(evaluate, "none"))
      albind_opterror(L, "train", "evaluate", "\"test\", \"validation\" or \"none\" expected, "
                      "got '%s'", evaluate);
  }
  if (dataset && !(evaluate && strcmp(evaluate, "none") == 0)) {
    al_part part = evaluate && strcmp(evaluate, "validation") == 0 ? AL_PART_VALIDATION
                                                                    : AL_PART_TEST;
    if (albind_getdata(L, 2, part, test_buf, &err) != AL_OK)
      albind_opterror(L, "train", "evaluate", "%s", err.msg);
    *test = test_buf;
  }
}

/* Checks that data d fits the network, with a message in the user's terms (inputs,
 * classes, target columns) rather than the trainer's. `what` names the argument. */
static void check_fit(lua_State *L, int arg, const char *what, const al_net *net,
                      const al_data *d)
{
  if (d->in != net->in)
    luaL_argerror(L, arg, lua_pushfstring(L, "%s of %d inputs expected for this network, got %d",
                                          what, net->in, d->in));
  if (d->out == net->out)
    return;
  if (d->labels && net->out == 1)
    luaL_argerror(L, arg, lua_pushfstring(L, "%s: class labels need one output per class, and "
                                          "this network has 1 output; give y as a matrix of "
                                          "0/1 targets instead", what));
  if (d->labels)
    luaL_argerror(L, arg, lua_pushfstring(L, "%s: labels 0 to %d expected for a network of %d "
                                          "outputs, got labels of %d classes", what,
                                          net->out - 1, net->out, d->out));
  luaL_argerror(L, arg, lua_pushfstring(L, "%s: targets of %d columns expected for a network "
                                        "of %d outputs, got %d", what, net->out, net->out,
                                        d->out));
}

static int l_train(lua_State *L)
{
  albind_net *n = albind_checknet(L, 1);
  if (n->busy)
    return luaL_error(L, "train: this network is already being trained");
  if (albind_data_kind(L, 2) == ALBIND_NOT_DATA)
    return luaL_typeerror(L, 2, "data set or data");
  if (!lua_isnoneornil(L, 3))
    luaL_checktype(L, 3, LUA_TTABLE);
  lua_settop(L, 3);
  if (lua_isnil(L, 3)) {
    lua_newtable(L);
    lua_replace(L, 3);
  }
  al_data train, test_buf;
  const al_data *test = NULL;
  al_err err = {0};
  if (albind_getdata(L, 2, AL_PART_TRAIN, &train, &err) != AL_OK)
    return luaL_argerror(L, 2, err.msg);
  al_train_opts o;
  hook h = {.L = L, .net = &n->net};
  read_opts(L, &o, &train, &test_buf, &test, &h.fn);
  o.interrupt = albind_interrupt_flag();
  check_fit(L, 2, "training data", &n->net, &train);
  if (test)
    check_fit(L, 3, "test data", &n->net, test);

  al_train_report final;
  n->busy = 1;
  al_status st = al_train(&final, &n->net, &train, test, &o, on_eval, &h, &err);
  n->busy = 0;

  albind_act_raise_pending(L);
  if (h.failed == 1)
    return lua_error(L); /* on_eval's error, as it was raised */
  if (h.failed == 2)
    return luaL_error(L, "train: no stack space to call on_eval");
  if (st == AL_ERR_INTERRUPTED && *o.interrupt)
    return albind_interrupt_error(L, &err); /* Ctrl-C: "training interrupted in epoch ..." */
  if (st != AL_OK && st != AL_ERR_INTERRUPTED)
    return albind_error(L, &err); /* the trainer's messages name their part */
  push_report(L, &final, &n->net);
  lua_pushstring(L, status_name(final.status));
  return 2;
}

/* actlab.threads([n]): sets the BLAS thread count when n is given; returns it. */
static int l_threads(lua_State *L)
{
  if (!lua_isnoneornil(L, 1)) {
    lua_Integer v = luaL_checkinteger(L, 1);
    luaL_argcheck(L, v >= 1 && v <= 1024, 1, "thread count from 1 to 1024 expected");
    openblas_set_num_threads((int)v);
  }
  lua_pushinteger(L, openblas_get_num_threads());
  return 1;
}

static const luaL_Reg train_functions[] = {
  {"train", l_train},
  {"threads", l_threads},
  {NULL, NULL},
};

void albind_open_train(lua_State *L)
{
  luaL_setfuncs(L, train_functions, 0);
}
