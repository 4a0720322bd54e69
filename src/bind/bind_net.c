/* Networks from Lua: actlab.mlp{...} and the general actlab.net{...} translated into
 * layer specs, the network userdata (al_net inline, released by __gc / __close), its
 * methods, and save / load through the model file. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "al_model.h"
#include "bind.h"

#define MAX_HIDDEN ((AL_NET_MAX_LAYERS - 2) / 2)

static albind_net *push_net(lua_State *L)
{
  /* Empty before anything can fail, so __gc is harmless whatever happens next. */
  albind_net *n = lua_newuserdatauv(L, sizeof *n, 0);
  memset(n, 0, sizeof *n);
  luaL_setmetatable(L, ALBIND_NET);
  return n;
}

albind_net *albind_checknet(lua_State *L, int idx)
{
  albind_net *n = luaL_checkudata(L, idx, ALBIND_NET);
  luaL_argcheck(L, n->net.layers != NULL, idx, "network is closed");
  return n;
}

/* Tells the collector about the parameter block, as matrices do for their storage. */
static void account(lua_State *L, const al_net *net)
{
  size_t kb = net->nparams * 2 * sizeof(float) / 1024;
  if (kb > 0)
    lua_gc(L, LUA_GCSTEP, kb > INT_MAX ? INT_MAX : (int)kb);
}

static void create(lua_State *L, const char *fn, int inputs, const al_layer_spec *specs,
                   int nlayers, uint64_t seed)
{
  albind_net *n = push_net(L);
  al_err err = {0};
  if (al_net_create(&n->net, inputs, specs, nlayers, seed, &err) != AL_OK)
    luaL_error(L, "%s: %s", fn, err.msg[0] ? err.msg : al_status_str(err.status));
  account(L, &n->net);
}

/* ---- options shared by mlp and net ------------------------------------------ */

static uint64_t opt_seed(lua_State *L, int idx, const char *fn)
{
  return (uint64_t)albind_optinteger(L, idx, fn, "seed", 1, 0, LUA_MAXINTEGER,
                                     "non-negative integer");
}

static int opt_required_int(lua_State *L, int idx, const char *fn, const char *key)
{
  if (albind_optfield(L, idx, key) == LUA_TNIL)
    albind_opterror(L, fn, key, "positive integer expected, got nil");
  lua_pop(L, 1);
  return (int)albind_optinteger(L, idx, fn, key, 0, 1, INT_MAX, "positive integer");
}

/* init, init_range and init_std of the table at idx, reported as `key` to fn with
 * `where` in front of the message (a layer's position, or ""). */
static al_init read_init(lua_State *L, int idx, const char *fn, const char *key,
                         const char *where)
{
  al_init init = {.kind = AL_INIT_AUTO};
  const char *ik = key ? key : "init", *rk = key ? key : "init_range",
             *sk = key ? key : "init_std";
  int t = albind_optfield(L, idx, "init");
  if (t != LUA_TNIL) {
    al_err err = {0};
    if (t != LUA_TSTRING)
      albind_opterror(L, fn, ik, "%sinit name expected, got %s", where, albind_got(L, -1));
    if (al_init_lookup(&init.kind, lua_tostring(L, -1), &err) != AL_OK)
      albind_opterror(L, fn, ik, "%s%s", where, err.msg);
  }
  lua_pop(L, 1);
  t = albind_optfield(L, idx, "init_range");
  if (t != LUA_TNIL) {
    if (init.kind != AL_INIT_UNIFORM)
      albind_opterror(L, fn, rk, "%sinit_range is only used with init = \"uniform\"", where);
    int ok = t == LUA_TTABLE && lua_rawlen(L, -1) == 2;
    double v[2] = {0, 0};
    for (int i = 0; ok && i < 2; i++) {
      ok = lua_rawgeti(L, -1, i + 1) == LUA_TNUMBER;
      v[i] = lua_tonumber(L, -1);
      lua_pop(L, 1);
    }
    if (!ok || !isfinite(v[0]) || !isfinite(v[1]) || !(v[0] < v[1]))
      albind_opterror(L, fn, rk, "%sinit_range: {lo, hi} with lo < hi expected", where);
    init.a = (float)v[0];
    init.b = (float)v[1];
  } else if (init.kind == AL_INIT_UNIFORM) {
    init.a = -0.1f;
    init.b = 0.1f;
  }
  lua_pop(L, 1);
  t = albind_optfield(L, idx, "init_std");
  if (t != LUA_TNIL) {
    if (init.kind != AL_INIT_NORMAL)
      albind_opterror(L, fn, sk, "%sinit_std is only used with init = \"normal\"", where);
    double s = lua_tonumber(L, -1);
    if (t != LUA_TNUMBER || !isfinite(s) || s < 0)
      albind_opterror(L, fn, sk, "%sinit_std: non-negative number expected, got %s", where,
                      albind_got(L, -1));
    init.b = (float)s;
  } else if (init.kind == AL_INIT_NORMAL) {
    init.b = 0.1f;
  }
  lua_pop(L, 1);
  return init;
}

/* An activation layer for name with the parameter table at pidx (0: none).
 * per_unit: 0 no, 1 required (an error for an activation that cannot have it),
 * 2 where possible (mlp's per_unit applies to its trainable layers). */
static al_layer_spec act_spec(lua_State *L, const char *fn, const char *key, const char *where,
                              const char *name, int pidx, int per_unit, int hidden)
{
  al_layer_spec s = {.kind = AL_LAYER_ACT, .per_unit = per_unit};
  al_err err = {0};
  if (albind_find_act(L, name, &s.act, &err) != AL_OK)
    albind_opterror(L, fn, key, "%s%s", where, err.msg);
  if (hidden && (s.act->flags & AL_ACT_OUTPUT))
    albind_opterror(L, fn, key, "%s'%s' is for output layers only", where, name);
  /* Without a table, an index past the top reads as none: the defaults. */
  if (albind_act_params(L, pidx ? pidx : lua_gettop(L) + 1, s.act, s.params, &err) != AL_OK)
    albind_opterror(L, fn, strcmp(key, "activation") == 0 ? "params" : key, "%s%s", where,
                    err.msg);
  if (per_unit == 2)
    s.per_unit = (s.act->flags & AL_ACT_TRAINABLE) != 0;
  else if (per_unit && !(s.act->flags & AL_ACT_TRAINABLE))
    albind_opterror(L, fn, strcmp(key, "activation") == 0 ? "per_unit" : key,
                    "%sonly trainable activations (prelu) have per-unit parameters, not '%s'",
                    where, name);
  return s;
}

/* ---- actlab.mlp{...} ----------------------------------------------------------- */

static const char *const mlp_keys[] = {"inputs", "hidden", "outputs", "activation", "params",
                                       "output", "init", "init_range", "init_std",
                                       "per_unit", "seed", NULL};

static int l_mlp(lua_State *L)
{
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  albind_checkkeys(L, 1, "mlp", mlp_keys);
  int inputs = opt_required_int(L, 1, "mlp", "inputs");
  int outputs = opt_required_int(L, 1, "mlp", "outputs");
  uint64_t seed = opt_seed(L, 1, "mlp");
  int per_unit = albind_optboolean(L, 1, "mlp", "per_unit", 0);
  al_init init = read_init(L, 1, "mlp", NULL, "");

  /* stack: 1 opts, then 2 hidden, 3 activation, 4 params as pushed below */
  int hidden[MAX_HIDDEN];
  int nh = 0;
  int t = albind_optfield(L, 1, "hidden");
  if (t != LUA_TNIL && t != LUA_TTABLE)
    albind_opterror(L, "mlp", "hidden", "list of positive integers expected, got %s",
                    albind_got(L, 2));
  if (t == LUA_TTABLE) {
    lua_Unsigned len = lua_rawlen(L, 2);
    if (len > MAX_HIDDEN)
      albind_opterror(L, "mlp", "hidden", "at most %d hidden layers expected, got %d",
                      MAX_HIDDEN, (int)len);
    for (lua_Unsigned i = 1; i <= len; i++) {
      int isint = 0;
      lua_rawgeti(L, 2, (lua_Integer)i);
      lua_Integer v = lua_tointegerx(L, -1, &isint);
      if (lua_type(L, -1) != LUA_TNUMBER || !isint || v < 1 || v > INT_MAX)
        albind_opterror(L, "mlp", "hidden", "list of positive integers expected, got %s at "
                        "position %d", albind_got(L, -1), (int)i);
      hidden[nh++] = (int)v;
      lua_pop(L, 1);
    }
  }

  t = albind_optfield(L, 1, "activation");
  int act_list = t == LUA_TTABLE;
  if (t != LUA_TNIL && t != LUA_TSTRING && t != LUA_TTABLE)
    albind_opterror(L, "mlp", "activation", "name or list of names expected, got %s",
                    albind_got(L, 3));
  if (act_list && lua_rawlen(L, 3) != (lua_Unsigned)nh)
    albind_opterror(L, "mlp", "activation", "list of %d names expected (one per hidden "
                    "layer), got %d", nh, (int)lua_rawlen(L, 3));
  t = albind_optfield(L, 1, "params");
  if (t != LUA_TNIL && t != LUA_TTABLE)
    albind_opterror(L, "mlp", "params", "table expected, got %s", albind_got(L, 4));
  /* A list of tables gives each hidden layer its own; a plain table is for all. */
  int params_list = t == LUA_TTABLE && lua_rawgeti(L, 4, 1) == LUA_TTABLE;
  if (t == LUA_TTABLE)
    lua_pop(L, 1);
  if (params_list && lua_rawlen(L, 4) != (lua_Unsigned)nh)
    albind_opterror(L, "mlp", "params", "list of %d parameter tables expected (one per "
                    "hidden layer), got %d", nh, (int)lua_rawlen(L, 4));
  const char *output = albind_optstring(L, 1, "mlp", "output",
                                        outputs == 1 ? "sigmoid" : "softmax");
  if (nh == 0 && lua_type(L, 3) == LUA_TSTRING) /* unused, but a typo is still an error */
    act_spec(L, "mlp", "activation", "", lua_tostring(L, 3), 0, 0, 1);

  al_layer_spec specs[AL_NET_MAX_LAYERS];
  int n = 0, trainable = 0;
  for (int i = 0; i < nh; i++) {
    char where[48] = "";
    if (nh > 1 && (act_list || params_list))
      snprintf(where, sizeof where, "hidden layer %d: ", i + 1);
    specs[n++] = (al_layer_spec){.kind = AL_LAYER_DENSE, .units = hidden[i], .init = init};
    const char *name = "relu";
    if (act_list) {
      if (lua_rawgeti(L, 3, i + 1) != LUA_TSTRING)
        albind_opterror(L, "mlp", "activation", "%sname expected, got %s", where,
                        albind_got(L, -1));
      name = lua_tostring(L, -1);
      lua_pop(L, 1); /* the string stays alive in the list */
    } else if (lua_type(L, 3) == LUA_TSTRING) {
      name = lua_tostring(L, 3);
    }
    int pidx = 0;
    if (params_list) {
      if (lua_rawgeti(L, 4, i + 1) != LUA_TTABLE)
        albind_opterror(L, "mlp", "params", "%stable expected, got %s", where,
                        albind_got(L, -1));
      pidx = lua_gettop(L);
    } else if (lua_type(L, 4) == LUA_TTABLE) {
      pidx = 4;
    }
    specs[n] = act_spec(L, "mlp", "activation", where, name, pidx, per_unit ? 2 : 0, 1);
    trainable += specs[n++].per_unit;
    if (params_list)
      lua_pop(L, 1);
  }
  if (per_unit && !trainable)
    albind_opterror(L, "mlp", "per_unit", "a trainable hidden activation (prelu) expected");
  specs[n++] = (al_layer_spec){.kind = AL_LAYER_DENSE, .units = outputs, .init = init};
  if (strcmp(output, "none") != 0)
    specs[n++] = act_spec(L, "mlp", "output", "", output, 0, 0, 0);
  create(L, "mlp", inputs, specs, n, seed);
  return 1;
}

/* ---- actlab.net{inputs =, seed =, layers = {...}} ----------------------------------- */

static const char *const net_keys[] = {"inputs", "layers", "seed", NULL};

/* Refuses any field of layer entry idx other than [1], [2] and the named ones. */
static void check_layer_keys(lua_State *L, int idx, const char *where,
                             const char *const valid[])
{
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    if (lua_isinteger(L, -1) && (lua_tointeger(L, -1) == 1 || lua_tointeger(L, -1) == 2))
      continue;
    int known = 0;
    if (lua_type(L, -1) == LUA_TSTRING)
      for (int i = 0; valid[i] && !known; i++)
        known = strcmp(valid[i], lua_tostring(L, -1)) == 0;
    if (!known) {
      luaL_Buffer b;
      luaL_buffinit(L, &b);
      for (int i = 0; valid[i]; i++) {
        luaL_addstring(&b, i ? ", " : "");
        luaL_addstring(&b, valid[i]);
      }
      luaL_pushresult(&b);
      albind_opterror(L, "net", "layers", "%sunknown field %s (valid: %s)", where,
                      albind_got(L, -2), lua_tostring(L, -1));
    }
  }
}

static const char *const dense_keys[] = {"init", "init_range", "init_std", NULL};
static const char *const maxout_keys[] = {"pieces", "init", "init_range", "init_std", NULL};
static const char *const act_keys[] = {"params", "per_unit", NULL};

static al_layer_spec read_layer(lua_State *L, int idx, int no, int last)
{
  char where[32];
  snprintf(where, sizeof where, "layer %d: ", no);
  if (lua_type(L, idx) != LUA_TTABLE)
    albind_opterror(L, "net", "layers", "%s{kind, ...} expected, got %s", where,
                    albind_got(L, idx));
  const char *kind = lua_rawgeti(L, idx, 1) == LUA_TSTRING ? lua_tostring(L, -1) : "";
  if (strcmp(kind, "dense") && strcmp(kind, "maxout") && strcmp(kind, "act"))
    albind_opterror(L, "net", "layers", "%skind \"dense\", \"maxout\" or \"act\" expected, "
                    "got %s", where, albind_got(L, -1));
  lua_pop(L, 1); /* kind stays alive in the entry */
  al_layer_spec s = {0};
  if (strcmp(kind, "act") == 0) {
    check_layer_keys(L, idx, where, act_keys);
    if (lua_rawgeti(L, idx, 2) != LUA_TSTRING)
      albind_opterror(L, "net", "layers", "%sactivation name expected, got %s", where,
                      albind_got(L, -1));
    const char *name = lua_tostring(L, -1);
    int t = albind_optfield(L, idx, "params");
    if (t != LUA_TNIL && t != LUA_TTABLE)
      albind_opterror(L, "net", "layers", "%sparams: table expected, got %s", where,
                      albind_got(L, -1));
    int per_unit = 0;
    if (albind_optfield(L, idx, "per_unit") != LUA_TNIL) {
      if (lua_type(L, -1) != LUA_TBOOLEAN)
        albind_opterror(L, "net", "layers", "%sper_unit: boolean expected, got %s", where,
                        albind_got(L, -1));
      per_unit = lua_toboolean(L, -1);
    }
    lua_pop(L, 1);
    s = act_spec(L, "net", "layers", where, name, t == LUA_TTABLE ? lua_gettop(L) : 0,
                 per_unit, !last);
    lua_pop(L, 2);
    return s;
  }
  int isint = 0;
  lua_rawgeti(L, idx, 2);
  lua_Integer units = lua_tointegerx(L, -1, &isint);
  if (lua_type(L, -1) != LUA_TNUMBER || !isint || units < 1 || units > INT_MAX)
    albind_opterror(L, "net", "layers", "%sunits: positive integer expected, got %s", where,
                    albind_got(L, -1));
  lua_pop(L, 1);
  s.units = (int)units;
  if (strcmp(kind, "dense") == 0) {
    check_layer_keys(L, idx, where, dense_keys);
    s.kind = AL_LAYER_DENSE;
  } else {
    check_layer_keys(L, idx, where, maxout_keys);
    s.kind = AL_LAYER_MAXOUT;
    lua_Integer pieces = 0;
    if (albind_optfield(L, idx, "pieces") != LUA_TNIL)
      pieces = lua_tointegerx(L, -1, &isint);
    if (lua_type(L, -1) != LUA_TNUMBER || !isint || pieces < 2 || pieces > INT_MAX)
      albind_opterror(L, "net", "layers", "%spieces: integer ≥ 2 expected, got %s", where,
                      albind_got(L, -1));
    lua_pop(L, 1);
    s.pieces = (int)pieces;
  }
  s.init = read_init(L, idx, "net", "layers", where);
  return s;
}

static int l_net(lua_State *L)
{
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  albind_checkkeys(L, 1, "net", net_keys);
  int inputs = opt_required_int(L, 1, "net", "inputs");
  uint64_t seed = opt_seed(L, 1, "net");
  if (albind_optfield(L, 1, "layers") != LUA_TTABLE)
    albind_opterror(L, "net", "layers", "list of layers expected, got %s", albind_got(L, 2));
  lua_Unsigned len = lua_rawlen(L, 2);
  if (len < 1 || len > AL_NET_MAX_LAYERS)
    albind_opterror(L, "net", "layers", "1 to %d layers expected, got %d", AL_NET_MAX_LAYERS,
                    (int)len);
  al_layer_spec specs[AL_NET_MAX_LAYERS];
  for (int i = 0; i < (int)len; i++) {
    lua_rawgeti(L, 2, i + 1);
    specs[i] = read_layer(L, lua_gettop(L), i + 1, i + 1 == (int)len);
    lua_pop(L, 1);
  }
  create(L, "net", inputs, specs, (int)len, seed);
  return 1;
}

/* ---- methods ------------------------------------------------------------------------- */

/* Index into net->layers of the i-th layer with weights (dense or maxout), 1-based
 * argument at arg. */
static int weight_layer(lua_State *L, const al_net *net, int arg)
{
  lua_Integer want = luaL_checkinteger(L, arg);
  int count = 0, found = -1;
  for (int i = 0; i < net->nlayers; i++) {
    al_layer_kind k = net->layers[i].spec.kind;
    if (k == AL_LAYER_DENSE || k == AL_LAYER_MAXOUT) {
      count++;
      if (count == want)
        found = i;
    }
  }
  if (found < 0)
    luaL_argerror(L, arg, lua_pushfstring(L, "index of a dense or maxout layer from 1 to %d "
                                             "expected, got %I", count, (LUAI_UACINT)want));
  return found;
}

static int copy_out(lua_State *L, const al_mat *m)
{
  al_mat_copy(albind_newmat(L, m->rows, m->cols), m); /* same shape: cannot fail */
  return 1;
}

static int l_net_weights(lua_State *L)
{
  albind_net *n = albind_checknet(L, 1);
  return copy_out(L, &n->net.layers[weight_layer(L, &n->net, 2)].w);
}

static int l_net_bias(lua_State *L)
{
  albind_net *n = albind_checknet(L, 1);
  return copy_out(L, &n->net.layers[weight_layer(L, &n->net, 2)].b);
}

static int copy_in(lua_State *L, al_mat *dst)
{
  al_mat *src = albind_checkmat(L, 3);
  if (!al_mat_same_shape(src, dst))
    luaL_argerror(L, 3, lua_pushfstring(L, "matrix of %d×%d expected, got %d×%d", dst->rows,
                                        dst->cols, src->rows, src->cols));
  al_mat_copy(dst, src); /* shapes checked above */
  return 0;
}

static int l_net_set_weights(lua_State *L)
{
  albind_net *n = albind_checknet(L, 1);
  return copy_in(L, &n->net.layers[weight_layer(L, &n->net, 2)].w);
}

static int l_net_set_bias(lua_State *L)
{
  albind_net *n = albind_checknet(L, 1);
  return copy_in(L, &n->net.layers[weight_layer(L, &n->net, 2)].b);
}

/* In evaluation mode (no rrelu noise), leaving a training run in progress (forward
 * called from on_eval) exactly as it was. */
static int l_net_forward(lua_State *L)
{
  albind_net *n = albind_checknet(L, 1);
  al_mat *x = albind_checkmat(L, 2);
  al_net *net = &n->net;
  if (x->cols != net->in)
    luaL_argerror(L, 2, lua_pushfstring(L, "matrix of %d columns expected, got %d", net->in,
                                        x->cols));
  al_mat *y = albind_newmat(L, x->rows, net->out);
  int training = net->training;
  al_rng noise = net->noise;
  net->training = 0;
  al_err err = {0};
  al_status st = al_net_forward(net, x, &err);
  net->training = training;
  net->noise = noise;
  albind_act_raise_pending(L);
  if (st != AL_OK)
    return albind_error(L, &err);
  al_mat out = al_net_output(net);
  al_mat_copy(y, &out); /* y was made in the output's shape */
  return 1;
}

static const char *kind_name(al_layer_kind k)
{
  return k == AL_LAYER_DENSE ? "dense" : k == AL_LAYER_MAXOUT ? "maxout" : "act";
}

static int l_net_layers(lua_State *L)
{
  albind_net *n = albind_checknet(L, 1);
  const al_net *net = &n->net;
  lua_createtable(L, net->nlayers, 0);
  for (int i = 0; i < net->nlayers; i++) {
    const al_layer *l = &net->layers[i];
    const al_layer_spec *s = &l->spec;
    lua_createtable(L, 0, 8);
    lua_pushstring(L, kind_name(s->kind));
    lua_setfield(L, -2, "kind");
    lua_pushinteger(L, l->out);
    lua_setfield(L, -2, "units");
    lua_pushinteger(L, l->in);
    lua_setfield(L, -2, "inputs");
    if (s->kind == AL_LAYER_ACT) {
      lua_pushstring(L, s->act->name);
      lua_setfield(L, -2, "activation");
      albind_push_act_params(L, s->act, s->params);
      lua_setfield(L, -2, "params");
      if (l->alpha.data) {
        /* prelu: the learned slopes as they are now. */
        lua_createtable(L, l->alpha.cols, 0);
        for (int j = 0; j < l->alpha.cols; j++) {
          lua_pushnumber(L, l->alpha.data[j]);
          lua_rawseti(L, -2, j + 1);
        }
        lua_setfield(L, -2, "alpha");
        lua_pushboolean(L, s->per_unit);
        lua_setfield(L, -2, "per_unit");
      }
    } else {
      lua_pushstring(L, al_init_name(s->init.kind));
      lua_setfield(L, -2, "init");
      if (s->kind == AL_LAYER_MAXOUT) {
        lua_pushinteger(L, s->pieces);
        lua_setfield(L, -2, "pieces");
      }
    }
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

static int l_net_nparams(lua_State *L)
{
  albind_net *n = albind_checknet(L, 1);
  lua_pushinteger(L, (lua_Integer)n->net.nparams);
  return 1;
}

static int l_net_save(lua_State *L)
{
  albind_net *n = albind_checknet(L, 1);
  const char *path = luaL_checkstring(L, 2);
  al_err err = {0};
  if (al_model_save(&n->net, path, &err) != AL_OK)
    return albind_error(L, &err);
  return 0;
}

static int l_load(lua_State *L)
{
  const char *path = luaL_checkstring(L, 1);
  void *snap = albind_act_snapshot(L);
  albind_net *n = push_net(L);
  al_err err = {0};
  if (al_model_load(&n->net, path, albind_act_resolve, snap, &err) != AL_OK)
    return albind_error(L, &err);
  account(L, &n->net);
  return 1;
}

static int l_net_tostring(lua_State *L)
{
  albind_net *n = luaL_checkudata(L, 1, ALBIND_NET);
  const al_net *net = &n->net;
  if (net->layers == NULL) {
    lua_pushliteral(L, "net (closed)");
    return 1;
  }
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  lua_pushfstring(L, "net %d", net->in);
  luaL_addvalue(&b);
  for (int i = 0; i < net->nlayers; i++) {
    const al_layer_spec *s = &net->layers[i].spec;
    if (s->kind == AL_LAYER_ACT)
      lua_pushfstring(L, " → %s", s->act->name);
    else if (s->kind == AL_LAYER_MAXOUT)
      lua_pushfstring(L, " → maxout %d×%d", s->units, s->pieces);
    else
      lua_pushfstring(L, " → dense %d", s->units);
    luaL_addvalue(&b);
  }
  lua_pushfstring(L, " (%I parameters)", (LUAI_UACINT)net->nparams);
  luaL_addvalue(&b);
  luaL_pushresult(&b);
  return 1;
}

static int l_net_gc(lua_State *L)
{
  albind_net *n = luaL_checkudata(L, 1, ALBIND_NET);
  al_net_release(&n->net);
  return 0;
}

static int l_net_close(lua_State *L)
{
  albind_net *n = luaL_checkudata(L, 1, ALBIND_NET);
  if (n->busy)
    return luaL_error(L, "cannot close a network while it is being trained");
  al_net_release(&n->net);
  return 0;
}

static const luaL_Reg net_methods[] = {
  {"forward", l_net_forward},
  {"layers", l_net_layers},
  {"weights", l_net_weights},
  {"bias", l_net_bias},
  {"set_weights", l_net_set_weights},
  {"set_bias", l_net_set_bias},
  {"nparams", l_net_nparams},
  {"save", l_net_save},
  {NULL, NULL},
};

/* net.inputs and net.outputs, then methods (upvalue 1). */
static int l_net_index(lua_State *L)
{
  albind_net *n = luaL_checkudata(L, 1, ALBIND_NET);
  const char *k = luaL_checkstring(L, 2);
  if (strcmp(k, "inputs") == 0 && n->net.layers)
    lua_pushinteger(L, n->net.in);
  else if (strcmp(k, "outputs") == 0 && n->net.layers)
    lua_pushinteger(L, n->net.out);
  else
    lua_getfield(L, lua_upvalueindex(1), k);
  return 1;
}

static const luaL_Reg net_functions[] = {
  {"mlp", l_mlp},
  {"net", l_net},
  {"load", l_load},
  {NULL, NULL},
};

static const luaL_Reg net_meta[] = {
  {"__tostring", l_net_tostring},
  {"__gc", l_net_gc},
  {"__close", l_net_close},
  {NULL, NULL},
};

void albind_open_net(lua_State *L)
{
  albind_newclass(L, ALBIND_NET, net_meta, net_methods, l_net_index);
  luaL_setfuncs(L, net_functions, 0);
}
