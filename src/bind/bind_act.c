/* Activations from Lua: the listing, activation objects over the core table's array
 * kernels, Lua-defined activations (table rows whose kernels call Lua), and
 * actlab.properties over the core's measurement (al_props). */
#include <ctype.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "al_props.h"
#include "bind.h"

#define ACT_OBJ "actlab.activation"
#define CUSTOM "actlab.custom_activation"
#define REG_BYNAME "actlab.custom_activations.byname" /* name → record, current ones */
#define REG_ALL "actlab.custom_activations.all"       /* every record ever defined */
#define NAME_MAX_LEN 63

/* ---- Lua-defined activations --------------------------------------------------
 * A record is a userdata holding an al_act row whose ctx points back at it. Its
 * kernels run the Lua functions on a private thread (stack: f, df), inside a
 * protected call, so a Lua error never unwinds through core frames: the kernel
 * fills NaN, leaves the error on the thread and albind_act_raise_pending raises it
 * once the core call has returned. Records are never freed (REG_ALL anchors them):
 * a network built with an old definition keeps a valid row after redefinition. */

typedef struct custom {
  al_act row;
  lua_State *T;
  char name[NAME_MAX_LEN + 1];
  char formula[128];
  char pnames[AL_ACT_MAX_PARAMS][NAME_MAX_LEN + 1];
  int failed;       /* 1: the error object waits on T's stack; 2: T had no stack space */
  int fail_which;   /* 0: f, 1: df */
  double fail_x;
} custom;

typedef struct job {
  custom *c;
  int which;        /* 0: out = f(x); 1: out = df(x, y); 2: out = dy · df(x, y) */
  float *out;
  const float *x, *y, *dy;
  size_t n, done;
  const float *p;
} job;

/* Runs on T: arguments job, f, df. */
static int run_job(lua_State *T)
{
  job *j = lua_touserdata(T, 1);
  const al_act *a = &j->c->row;
  lua_createtable(T, 0, a->nparams);
  for (int k = 0; k < a->nparams; k++) {
    lua_pushnumber(T, j->p ? j->p[k] : a->params[k].def);
    lua_setfield(T, 4, a->params[k].name);
  }
  for (size_t i = 0; i < j->n; i++) {
    if (j->which == 0) {
      lua_pushvalue(T, 2);
      lua_pushnumber(T, j->x[i]);
      lua_pushvalue(T, 4);
      lua_call(T, 2, 1);
    } else {
      lua_pushvalue(T, 3);
      lua_pushnumber(T, j->x[i]);
      lua_pushnumber(T, j->y[i]);
      lua_pushvalue(T, 4);
      lua_call(T, 3, 1);
    }
    if (lua_type(T, -1) != LUA_TNUMBER)
      return luaL_error(T, "%s returned %s, a number expected", j->which ? "df" : "f",
                        luaL_typename(T, -1));
    float v = (float)lua_tonumber(T, -1);
    lua_pop(T, 1);
    j->out[i] = j->which == 2 ? j->dy[i] * v : v;
    j->done = i + 1;
  }
  return 0;
}

static void run(custom *c, job *j)
{
  lua_State *T = c->T;
  if (!c->failed) {
    c->fail_which = j->which ? 1 : 0;
    c->fail_x = j->n ? j->x[0] : 0.0;
    if (!lua_checkstack(T, 8)) {
      c->failed = 2; /* nothing on T's stack to raise: say so instead */
    } else {
      /* Pushing a light C function, a light userdata and two copies never allocates. */
      lua_pushcfunction(T, run_job);
      lua_pushlightuserdata(T, j);
      lua_pushvalue(T, 1);
      lua_pushvalue(T, 2);
      if (lua_pcall(T, 3, 0, 0) == LUA_OK)
        return;
      c->failed = 1;
      c->fail_x = j->x[j->done];
    }
  }
  for (size_t i = j->done; i < j->n; i++)
    j->out[i] = NAN;
}

static void custom_forward(const al_act *self, float *y, const float *x, size_t rows,
                           size_t cols, const float *p)
{
  job j = {.c = self->ctx, .which = 0, .out = y, .x = x, .n = rows * cols, .p = p};
  run(self->ctx, &j);
}

static void custom_derivative(const al_act *self, float *d, const float *x, const float *y,
                              size_t n, const float *p)
{
  job j = {.c = self->ctx, .which = 1, .out = d, .x = x, .y = y, .n = n, .p = p};
  run(self->ctx, &j);
}

/* Elementwise: dx_i = dy_i · f'(x_i), read before written, so dx may be dy. */
static void custom_backward(const al_act *self, float *dx, const float *x, const float *y,
                            const float *dy, size_t rows, size_t cols, const float *p)
{
  job j = {.c = self->ctx, .which = 2, .out = dx, .x = x, .y = y, .dy = dy,
           .n = rows * cols, .p = p};
  run(self->ctx, &j);
}

static int is_custom(const al_act *a)
{
  return a->forward == custom_forward;
}

/* Pushes registry[key], creating an empty table there the first time. */
static void push_registry_table(lua_State *L, const char *key)
{
  if (lua_getfield(L, LUA_REGISTRYINDEX, key) != LUA_TTABLE) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, key);
  }
}

static custom *find_custom(lua_State *L, const char *name)
{
  push_registry_table(L, REG_BYNAME);
  lua_getfield(L, -1, name);
  custom *c = luaL_testudata(L, -1, CUSTOM);
  lua_pop(L, 2);
  return c;
}

/* Pushes the list of current Lua-defined records (not superseded by a later
 * definition of the same name), in definition order; returns its length. */
static int push_current(lua_State *L)
{
  lua_newtable(L);
  push_registry_table(L, REG_ALL);
  push_registry_table(L, REG_BYNAME);
  lua_Integer all = (lua_Integer)lua_rawlen(L, -2);
  int n = 0;
  for (lua_Integer i = 1; i <= all; i++) {
    lua_rawgeti(L, -2, i);
    const custom *c = lua_touserdata(L, -1);
    lua_getfield(L, -2, c->name);
    int current = lua_rawequal(L, -1, -2);
    lua_pop(L, 1);
    if (current)
      lua_rawseti(L, -4, ++n);
    else
      lua_pop(L, 1);
  }
  lua_pop(L, 2);
  return n;
}

void albind_act_raise_pending(lua_State *L)
{
  luaL_checkstack(L, 6, "raising an activation's error");
  push_registry_table(L, REG_ALL);
  lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
  custom *first = NULL;
  int how = 0;
  for (lua_Integer i = 1; i <= n; i++) {
    lua_rawgeti(L, -1, i);
    custom *c = lua_touserdata(L, -1);
    lua_pop(L, 1);
    if (c == NULL || !c->failed)
      continue;
    /* The first error is raised; any other from the same call is dropped, so it
     * cannot surface later in an unrelated call. */
    if (first == NULL) {
      first = c;
      how = c->failed;
      if (how == 1)
        lua_xmove(c->T, L, 1);
      else
        lua_pushliteral(L, "no stack space to call it");
      lua_insert(L, -2);
    } else if (c->failed == 1) {
      lua_settop(c->T, 2);
    }
    c->failed = 0;
  }
  lua_pop(L, 1);
  if (first == NULL)
    return;
  if (lua_type(L, -1) == LUA_TSTRING) {
    char at[64];
    snprintf(at, sizeof at, "%.9g", first->fail_x);
    lua_pushfstring(L, "activation '%s': error in %s at x = %s: %s", first->name,
                    first->fail_which ? "df" : "f", at, lua_tostring(L, -1));
  }
  lua_error(L);
}

al_status albind_find_act(lua_State *L, const char *name, const al_act **act, al_err *err)
{
  custom *c = name ? find_custom(L, name) : NULL;
  if (c) {
    *act = &c->row;
    return AL_OK;
  }
  al_status st = al_act_lookup(act, name, err);
  if (st == AL_OK || err == NULL)
    return st;
  /* The core lists its own rows; add the Lua-defined ones before the closing ")". */
  size_t len = strlen(err->msg);
  if (len == 0 || err->msg[len - 1] != ')')
    return st;
  err->msg[len - 1] = '\0';
  int n = push_current(L);
  for (int i = 1; i <= n; i++) {
    lua_rawgeti(L, -1, i);
    const custom *d = lua_touserdata(L, -1);
    lua_pop(L, 1);
    len = strlen(err->msg);
    snprintf(err->msg + len, sizeof err->msg - len, ", %s", d->name);
  }
  lua_pop(L, 1);
  len = strlen(err->msg);
  snprintf(err->msg + len, sizeof err->msg - len, ")");
  return st;
}

/* The loader's view of the Lua-defined activations: a snapshot of pointers taken
 * in Lua, searched without Lua. */
typedef struct snapshot {
  int n;
  const al_act *rows[];
} snapshot;

void *albind_act_snapshot(lua_State *L)
{
  push_registry_table(L, REG_BYNAME);
  int n = 0;
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    lua_pop(L, 1);
    n++;
  }
  snapshot *s = lua_newuserdatauv(L, sizeof *s + (size_t)n * sizeof s->rows[0], 0);
  s->n = 0;
  lua_pushnil(L);
  while (lua_next(L, -3)) {
    custom *c = luaL_testudata(L, -1, CUSTOM);
    lua_pop(L, 1);
    if (c && s->n < n)
      s->rows[s->n++] = &c->row;
  }
  lua_remove(L, -2);
  return s;
}

const al_act *albind_act_resolve(void *ud, const char *name)
{
  const snapshot *s = ud;
  for (int i = 0; s && i < s->n; i++)
    if (strcmp(s->rows[i]->name, name) == 0)
      return s->rows[i];
  return al_act_find(name);
}

/* ---- parameters -------------------------------------------------------------- */

/* Pushes the shortest decimal that reads back as v, so 0.01f shows as 0.01. */
void albind_pushfloat(lua_State *L, float v)
{
  char buf[32];
  for (int prec = 6; prec <= 9; prec++) {
    snprintf(buf, sizeof buf, "%.*g", prec, (double)v);
    double d = strtod(buf, NULL);
    if ((float)d == v) {
      lua_pushnumber(L, d);
      return;
    }
  }
  lua_pushnumber(L, v);
}

void albind_push_act_params(lua_State *L, const al_act *a, const float *p)
{
  lua_createtable(L, 0, a->nparams);
  for (int k = 0; k < a->nparams; k++) {
    albind_pushfloat(L, p[k]);
    lua_setfield(L, -2, a->params[k].name);
  }
}

al_status albind_act_params(lua_State *L, int idx, const al_act *a,
                            float p[AL_ACT_MAX_PARAMS], al_err *err)
{
  al_act_defaults(a, p);
  if (lua_isnoneornil(L, idx))
    return al_act_check_params(a, p, err);
  if (!lua_istable(L, idx))
    return al_fail(err, AL_ERR_ARG, "table of parameters expected, got %s",
                   luaL_typename(L, idx));
  idx = lua_absindex(L, idx);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    int k;
    if (lua_type(L, -2) != LUA_TSTRING) {
      lua_pop(L, 2);
      return al_fail(err, AL_ERR_NAME, "parameters of %s are named, got a value at a %s key",
                     a->name, luaL_typename(L, -2));
    }
    al_status st = al_act_param_index(&k, a, lua_tostring(L, -2), err);
    if (st != AL_OK) {
      lua_pop(L, 2);
      return st;
    }
    if (lua_type(L, -1) != LUA_TNUMBER) {
      st = al_fail(err, AL_ERR_ARG, "%s: %s must be a number, got %s", a->name,
                   a->params[k].name, luaL_typename(L, -1));
      lua_pop(L, 2);
      return st;
    }
    double v = lua_tonumber(L, -1);
    /* A double beyond float range would become ±inf silently; say what it was. */
    if (isfinite(v) && fabs(v) > FLT_MAX) {
      lua_pop(L, 2);
      return al_fail(err, AL_ERR_ARG, "%s: %s = %g is too large for a float", a->name,
                     a->params[k].name, v);
    }
    p[k] = (float)v;
    lua_pop(L, 1);
  }
  return al_act_check_params(a, p, err);
}

/* ---- activation objects -------------------------------------------------------- */

typedef struct actobj {
  const al_act *act;
  float p[AL_ACT_MAX_PARAMS];
} actobj;

static actobj *push_actobj(lua_State *L, const al_act *a, const float *p)
{
  actobj *o = lua_newuserdatauv(L, sizeof *o, 0);
  o->act = a;
  memcpy(o->p, p, sizeof o->p);
  luaL_setmetatable(L, ACT_OBJ);
  return o;
}

static actobj *check_actobj(lua_State *L, int idx)
{
  return luaL_checkudata(L, idx, ACT_OBJ);
}

/* The activation named at arg with its parameter table at arg + 1. */
static const al_act *check_named(lua_State *L, int arg, float p[AL_ACT_MAX_PARAMS])
{
  const char *name = luaL_checkstring(L, arg);
  const al_act *a = NULL;
  al_err err = {0};
  if (albind_find_act(L, name, &a, &err) != AL_OK)
    luaL_argerror(L, arg, err.msg);
  if (albind_act_params(L, arg + 1, a, p, &err) != AL_OK)
    luaL_argerror(L, arg + 1, err.msg);
  return a;
}

/* hint: what to use instead, or "". */
static void check_elementwise(lua_State *L, const al_act *a, const char *hint)
{
  if (a->flags & AL_ACT_ROWWISE)
    luaL_argerror(L, 1, lua_pushfstring(L, "elementwise activation expected, '%s' is row-wise%s",
                                        a->name, hint));
}

static int l_act_forward(lua_State *L)
{
  actobj *o = check_actobj(L, 1);
  al_mat *x = albind_checkmat(L, 2);
  al_mat *y = albind_newmat(L, x->rows, x->cols);
  o->act->forward(o->act, y->data, x->data, (size_t)x->rows, (size_t)x->cols, o->p);
  albind_act_raise_pending(L);
  return 1;
}

static int l_act_backward(lua_State *L)
{
  actobj *o = check_actobj(L, 1);
  al_mat *x = albind_checkmat(L, 2);
  al_mat *dy = albind_checkmat(L, 3);
  if (!al_mat_same_shape(x, dy))
    luaL_argerror(L, 3, lua_pushfstring(L, "matrix of %d×%d expected (the shape of x), got %d×%d",
                                        x->rows, x->cols, dy->rows, dy->cols));
  al_mat *y = albind_newmat(L, x->rows, x->cols);
  al_mat *dx = albind_newmat(L, x->rows, x->cols);
  const size_t r = (size_t)x->rows, c = (size_t)x->cols;
  o->act->forward(o->act, y->data, x->data, r, c, o->p);
  o->act->backward(o->act, dx->data, x->data, y->data, dy->data, r, c, o->p);
  albind_act_raise_pending(L);
  return 1;
}

static int l_act_derivative(lua_State *L)
{
  actobj *o = check_actobj(L, 1);
  check_elementwise(L, o->act, "; use backward");
  al_mat *x = albind_checkmat(L, 2);
  al_mat *y = albind_newmat(L, x->rows, x->cols);
  al_mat *d = albind_newmat(L, x->rows, x->cols);
  o->act->forward(o->act, y->data, x->data, (size_t)x->rows, (size_t)x->cols, o->p);
  o->act->derivative(o->act, d->data, x->data, y->data, al_mat_size(x), o->p);
  albind_act_raise_pending(L);
  return 1;
}

static int l_act_f(lua_State *L)
{
  actobj *o = check_actobj(L, 1);
  check_elementwise(L, o->act, "; use forward on a matrix");
  float x = (float)luaL_checknumber(L, 2), y;
  o->act->forward(o->act, &y, &x, 1, 1, o->p);
  albind_act_raise_pending(L);
  lua_pushnumber(L, y);
  return 1;
}

static int l_act_df(lua_State *L)
{
  actobj *o = check_actobj(L, 1);
  check_elementwise(L, o->act, "; use backward");
  float x = (float)luaL_checknumber(L, 2), y, d;
  o->act->forward(o->act, &y, &x, 1, 1, o->p);
  o->act->derivative(o->act, &d, &x, &y, 1, o->p);
  albind_act_raise_pending(L);
  lua_pushnumber(L, d);
  return 1;
}

static int l_act_tostring(lua_State *L)
{
  actobj *o = check_actobj(L, 1);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  luaL_addstring(&b, "activation ");
  luaL_addstring(&b, o->act->name);
  for (int k = 0; k < o->act->nparams; k++) {
    char v[48];
    snprintf(v, sizeof v, "%s%s = %g", k ? ", " : " {", o->act->params[k].name,
             (double)o->p[k]);
    luaL_addstring(&b, v);
  }
  if (o->act->nparams)
    luaL_addstring(&b, "}");
  luaL_pushresult(&b);
  return 1;
}

static const luaL_Reg act_methods[] = {
  {"forward", l_act_forward},
  {"backward", l_act_backward},
  {"derivative", l_act_derivative},
  {"f", l_act_f},
  {"df", l_act_df},
  {NULL, NULL},
};

/* Fields first (name, params, formula), then methods (upvalue 1). */
static int l_act_index(lua_State *L)
{
  actobj *o = check_actobj(L, 1);
  const char *k = luaL_checkstring(L, 2);
  if (strcmp(k, "name") == 0)
    lua_pushstring(L, o->act->name);
  else if (strcmp(k, "params") == 0)
    albind_push_act_params(L, o->act, o->p);
  else if (strcmp(k, "formula") == 0)
    lua_pushstring(L, o->act->formula ? o->act->formula : "");
  else
    lua_getfield(L, lua_upvalueindex(1), k);
  return 1;
}

const al_act *albind_checkact(lua_State *L, int idx, float p[AL_ACT_MAX_PARAMS])
{
  actobj *o = luaL_testudata(L, idx, ACT_OBJ);
  if (o == NULL)
    return NULL;
  memcpy(p, o->p, sizeof o->p);
  return o->act;
}

/* ---- defining activations in Lua ----------------------------------------------- */

static int is_identifier(const char *s)
{
  if (!(isalpha((unsigned char)*s) || *s == '_'))
    return 0;
  for (; *s; s++)
    if (!(isalnum((unsigned char)*s) || *s == '_'))
      return 0;
  return 1;
}

/* Reads params = {name = default | {default =, min =, max =}} into the row, sorted by
 * name so the order does not depend on the table's. */
static void read_custom_params(lua_State *L, custom *c)
{
  al_act *a = &c->row;
  if (lua_getfield(L, 1, "params") == LUA_TNIL) {
    lua_pop(L, 1);
    return;
  }
  if (!lua_istable(L, -1))
    luaL_argerror(L, 1, lua_pushfstring(L, "params: table expected, got %s",
                                        luaL_typename(L, -1)));
  int t = lua_gettop(L);
  lua_pushnil(L);
  while (lua_next(L, t)) {
    if (lua_type(L, -2) != LUA_TSTRING || !is_identifier(lua_tostring(L, -2)) ||
        strlen(lua_tostring(L, -2)) > NAME_MAX_LEN)
      luaL_argerror(L, 1, "params: names must be identifiers (letters, digits, _)");
    if (a->nparams == AL_ACT_MAX_PARAMS)
      luaL_argerror(L, 1, lua_pushfstring(L, "params: at most %d parameters",
                                          AL_ACT_MAX_PARAMS));
    const char *pname = lua_tostring(L, -2);
    al_act_param d = {.lo = -FLT_MAX, .hi = FLT_MAX, .doc = ""};
    if (lua_type(L, -1) == LUA_TNUMBER) {
      d.def = (float)lua_tonumber(L, -1);
    } else if (lua_istable(L, -1)) {
      static const char *const keys[] = {"default", "min", "max", NULL};
      albind_checkkeys(L, -1, "activation", keys);
      float *dst[] = {&d.def, &d.lo, &d.hi};
      for (int i = 0; keys[i]; i++) {
        int ty = lua_getfield(L, -1, keys[i]);
        if (ty == LUA_TNUMBER)
          *dst[i] = (float)lua_tonumber(L, -1);
        else if (ty != LUA_TNIL || i == 0)
          luaL_argerror(L, 1, lua_pushfstring(L, "params: %s.%s must be a number, got %s",
                                              pname, keys[i], luaL_typename(L, -1)));
        lua_pop(L, 1);
      }
    } else {
      luaL_argerror(L, 1, lua_pushfstring(L, "params: %s must be a number or "
                                             "{default =, min =, max =}, got %s",
                                          pname, luaL_typename(L, -1)));
    }
    if (!isfinite(d.def) || !isfinite(d.lo) || !isfinite(d.hi) || !(d.lo <= d.def) ||
        !(d.def <= d.hi))
      luaL_argerror(L, 1, lua_pushfstring(L, "params: %s needs finite min <= default <= max",
                                          pname));
    /* Insertion in name order. */
    int at = a->nparams;
    while (at > 0 && strcmp(c->pnames[at - 1], pname) > 0) {
      memcpy(c->pnames[at], c->pnames[at - 1], sizeof c->pnames[0]);
      a->params[at] = a->params[at - 1];
      at--;
    }
    snprintf(c->pnames[at], sizeof c->pnames[0], "%s", pname);
    a->params[at] = d;
    a->nparams++;
    lua_pop(L, 1);
  }
  for (int k = 0; k < a->nparams; k++)
    a->params[k].name = c->pnames[k];
  lua_pop(L, 1);
}

/* f(x, p) or df(x, y, p) called from the registration check, in double; an error
 * inside is raised again with the point and the function named. */
static double call_lua(lua_State *L, const custom *c, int fn, int ptab, double x,
                       const double *y)
{
  char at[32];
  snprintf(at, sizeof at, "%.9g", x);
  lua_pushvalue(L, fn);
  lua_pushnumber(L, x);
  if (y)
    lua_pushnumber(L, *y);
  lua_pushvalue(L, ptab);
  if (lua_pcall(L, y ? 3 : 2, 1, 0) != LUA_OK) {
    if (lua_type(L, -1) == LUA_TSTRING)
      lua_pushfstring(L, "activation '%s': error in %s at x = %s (checking df): %s", c->name,
                      y ? "df" : "f", at, lua_tostring(L, -1));
    lua_error(L);
  }
  if (lua_type(L, -1) != LUA_TNUMBER)
    luaL_argerror(L, 1, lua_pushfstring(L, "%s of '%s' returned %s at x = %s, a number "
                                           "expected", y ? "df" : "f", c->name,
                                        luaL_typename(L, -1), at));
  double v = lua_tonumber(L, -1);
  lua_pop(L, 1);
  return v;
}

/* Compares df with central differences of f at points chosen off the usual kinks;
 * refuses the definition with the worst disagreement named. */
static void check_derivative(lua_State *L, custom *c, int f, int df)
{
  static const double xs[] = {-3.7, -2.2, -1.3, -0.77, -0.41, -0.13,
                              0.13, 0.41, 0.77, 1.3, 2.2, 3.7};
  const al_act *a = &c->row;
  lua_createtable(L, 0, a->nparams);
  for (int k = 0; k < a->nparams; k++) {
    lua_pushnumber(L, a->params[k].def);
    lua_setfield(L, -2, a->params[k].name);
  }
  int ptab = lua_gettop(L);
  double worst = 0.0, wx = 0.0, wd = 0.0, wfd = 0.0;
  int checked = 0;
  for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
    double x = xs[i], h = 1e-5 * (fabs(x) > 1.0 ? fabs(x) : 1.0);
    double y = call_lua(L, c, f, ptab, x, NULL);
    double fp = call_lua(L, c, f, ptab, x + h, NULL), fm = call_lua(L, c, f, ptab, x - h, NULL);
    double fd = (fp - fm) / (2.0 * h);
    if (!isfinite(y) || !isfinite(fd))
      continue; /* outside f's domain: nothing to compare */
    double d = call_lua(L, c, df, ptab, x, &y);
    double bad = isfinite(d) ? fabs(d - fd) / (1e-3 * (fabs(fd) > 1.0 ? fabs(fd) : 1.0)) : 1e300;
    checked++;
    if (bad > worst) {
      worst = bad;
      wx = x;
      wd = d;
      wfd = fd;
    }
  }
  lua_pop(L, 1);
  if (checked == 0)
    luaL_argerror(L, 1, lua_pushfstring(L, "f of '%s' is not finite at any check point",
                                        c->name));
  if (worst > 1.0) {
    char msg[256];
    snprintf(msg, sizeof msg,
             "df of '%s' does not match f: at x = %g df gives %.6g, finite differences of f "
             "give %.6g",
             c->name, wx, wd, wfd);
    luaL_argerror(L, 1, msg);
  }
}

static const char *const define_keys[] = {"name", "f", "df", "params", "formula", NULL};

/* actlab.activation{name =, f =, df =, params =, formula =}: checks everything
 * before creating the record, then registers it and returns an activation object. */
static int define(lua_State *L)
{
  albind_checkkeys(L, 1, "activation", define_keys);
  lua_settop(L, 1);
  if (lua_getfield(L, 1, "name") != LUA_TSTRING)
    luaL_argerror(L, 1, lua_pushfstring(L, "name: string expected, got %s",
                                        luaL_typename(L, -1)));
  const char *name = lua_tostring(L, -1);
  if (!is_identifier(name) || strlen(name) > NAME_MAX_LEN)
    luaL_argerror(L, 1, lua_pushfstring(L, "name: identifier of at most %d characters "
                                           "expected (letters, digits, _), got '%s'",
                                        NAME_MAX_LEN, name));
  if (al_act_find(name))
    luaL_argerror(L, 1, lua_pushfstring(L, "name: '%s' is a built-in activation", name));
  if (lua_getfield(L, 1, "f") != LUA_TFUNCTION)
    luaL_argerror(L, 1, lua_pushfstring(L, "f: function expected, got %s",
                                        luaL_typename(L, -1)));
  if (lua_getfield(L, 1, "df") != LUA_TFUNCTION)
    luaL_argerror(L, 1, lua_pushfstring(L, "df: function expected, got %s",
                                        luaL_typename(L, -1)));
  int ft = lua_getfield(L, 1, "formula");
  if (ft != LUA_TNIL && ft != LUA_TSTRING)
    luaL_argerror(L, 1, lua_pushfstring(L, "formula: string expected, got %s",
                                        luaL_typename(L, -1)));
  /* stack: 1 spec, 2 name, 3 f, 4 df, 5 formula, 6 record */
  custom *c = lua_newuserdatauv(L, sizeof *c, 1);
  memset(c, 0, sizeof *c);
  luaL_setmetatable(L, CUSTOM);
  snprintf(c->name, sizeof c->name, "%s", name);
  snprintf(c->formula, sizeof c->formula, "%s", ft == LUA_TSTRING ? lua_tostring(L, 5)
                                                                  : "defined in Lua");
  c->row = (al_act){.name = c->name, .formula = c->formula, .forward = custom_forward,
                    .derivative = custom_derivative, .backward = custom_backward, .ctx = c};
  read_custom_params(L, c);
  check_derivative(L, c, 3, 4);

  c->T = lua_newthread(L);
  lua_setiuservalue(L, 6, 1);
  lua_pushvalue(L, 3);
  lua_pushvalue(L, 4);
  lua_xmove(L, c->T, 2);

  push_registry_table(L, REG_ALL);
  lua_pushvalue(L, 6);
  lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
  push_registry_table(L, REG_BYNAME);
  lua_pushvalue(L, 6);
  lua_setfield(L, -2, c->name);
  lua_pop(L, 2);

  float p[AL_ACT_MAX_PARAMS];
  al_act_defaults(&c->row, p);
  push_actobj(L, &c->row, p);
  return 1;
}

/* actlab.activation(name [, params]) or actlab.activation{...} (defines one). */
static int l_activation(lua_State *L)
{
  if (lua_istable(L, 1))
    return define(L);
  float p[AL_ACT_MAX_PARAMS];
  const al_act *a = check_named(L, 1, p);
  push_actobj(L, a, p);
  return 1;
}

/* ---- listing -------------------------------------------------------------------- */

static void push_row(lua_State *L, const al_act *a)
{
  lua_createtable(L, 0, 8);
  lua_pushstring(L, a->name);
  lua_setfield(L, -2, "name");
  lua_pushstring(L, a->formula ? a->formula : "");
  lua_setfield(L, -2, "formula");
  lua_createtable(L, a->nparams, 0);
  for (int k = 0; k < a->nparams; k++) {
    const al_act_param *d = &a->params[k];
    lua_createtable(L, 0, 6);
    lua_pushstring(L, d->name);
    lua_setfield(L, -2, "name");
    albind_pushfloat(L, d->def);
    lua_setfield(L, -2, "default");
    albind_pushfloat(L, d->lo);
    lua_setfield(L, -2, "min");
    albind_pushfloat(L, d->hi);
    lua_setfield(L, -2, "max");
    lua_pushboolean(L, d->integer);
    lua_setfield(L, -2, "integer");
    lua_pushstring(L, d->doc ? d->doc : "");
    lua_setfield(L, -2, "doc");
    lua_rawseti(L, -2, k + 1);
  }
  lua_setfield(L, -2, "params");
  static const struct {
    const char *key;
    unsigned flag;
  } flags[] = {{"output_only", AL_ACT_OUTPUT}, {"rowwise", AL_ACT_ROWWISE},
               {"trainable", AL_ACT_TRAINABLE}, {"stochastic", AL_ACT_STOCHASTIC}};
  for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
    lua_pushboolean(L, (a->flags & flags[i].flag) != 0);
    lua_setfield(L, -2, flags[i].key);
  }
  lua_pushboolean(L, is_custom(a));
  lua_setfield(L, -2, "custom");
}

/* Built-in rows in table order, then the current Lua-defined ones in definition order. */
static int l_activations(lua_State *L)
{
  lua_newtable(L);
  int n = 0;
  for (int i = 0; i < al_act_count(); i++) {
    push_row(L, al_act_at(i));
    lua_rawseti(L, -2, ++n);
  }
  int m = push_current(L);
  for (int i = 1; i <= m; i++) {
    lua_rawgeti(L, -1, i);
    const custom *c = lua_touserdata(L, -1);
    lua_pop(L, 1);
    push_row(L, &c->row);
    lua_rawseti(L, -3, ++n);
  }
  lua_pop(L, 1);
  return 1;
}

/* ---- properties ------------------------------------------------------------------
 * Measured by the core (al_props.h says how); here only translated to a table. */

static void push_bool_pair(lua_State *L, int first, int second)
{
  lua_createtable(L, 2, 0);
  lua_pushboolean(L, first);
  lua_rawseti(L, -2, 1);
  lua_pushboolean(L, second);
  lua_rawseti(L, -2, 2);
}

static int l_properties(lua_State *L)
{
  float p[AL_ACT_MAX_PARAMS];
  const al_act *a = albind_checkact(L, 1, p);
  if (a == NULL)
    a = check_named(L, 1, p);
  check_elementwise(L, a, "");
  al_act_props pr;
  al_err err = {0};
  al_status st = al_act_properties(&pr, a, p, &err);
  albind_act_raise_pending(L); /* a Lua-defined f that failed made pr meaningless */
  if (st != AL_OK)
    return albind_error(L, &err);

  lua_createtable(L, 0, 8);
  lua_pushboolean(L, pr.continuous);
  lua_setfield(L, -2, "continuous");
  lua_pushboolean(L, pr.monotonic);
  lua_setfield(L, -2, "monotonic");
  lua_pushboolean(L, pr.nonlinear);
  lua_setfield(L, -2, "nonlinear");
  lua_pushboolean(L, pr.differentiable);
  lua_setfield(L, -2, "differentiable");
  lua_createtable(L, 2, 0);
  lua_pushnumber(L, pr.lo);
  lua_rawseti(L, -2, 1);
  lua_pushnumber(L, pr.hi);
  lua_rawseti(L, -2, 2);
  lua_setfield(L, -2, "range");
  push_bool_pair(L, pr.lo_open, pr.hi_open);
  lua_setfield(L, -2, "range_open");
  lua_pushboolean(L, pr.zero_centred);
  lua_setfield(L, -2, "zero_centred");
  lua_pushnumber(L, pr.max_derivative);
  lua_setfield(L, -2, "max_derivative");
  return 1;
}

static const luaL_Reg act_functions[] = {
  {"activations", l_activations},
  {"activation", l_activation},
  {"properties", l_properties},
  {NULL, NULL},
};

static const luaL_Reg act_meta[] = {
  {"__tostring", l_act_tostring},
  {NULL, NULL},
};

void albind_open_act(lua_State *L)
{
  albind_newclass(L, ACT_OBJ, act_meta, act_methods, l_act_index);
  albind_newclass(L, CUSTOM, NULL, NULL, NULL);
  luaL_setfuncs(L, act_functions, 0);
}
