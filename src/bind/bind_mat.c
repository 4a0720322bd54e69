/* The matrix userdata: actlab.matrix(...), its methods and operators. The al_mat
 * header lives inline in the userdata; its float storage is the core's, freed by
 * __gc or __close, and reported to the collector so big matrices are collected promptly. */
#include <float.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "bind.h"

/* tostring shows at most this many rows and columns: the top-left corner. */
#define CORNER 6

al_mat *albind_testmat(lua_State *L, int idx)
{
  return luaL_testudata(L, idx, ALBIND_MAT);
}

al_mat *albind_checkmat(lua_State *L, int idx)
{
  al_mat *m = albind_testmat(L, idx);
  if (m == NULL)
    luaL_typeerror(L, idx, "matrix");
  luaL_argcheck(L, m->data != NULL, idx, "matrix is closed");
  return m;
}

al_mat *albind_newmat(lua_State *L, int rows, int cols)
{
  /* Empty before anything can fail, so __gc is harmless whatever happens next. */
  al_mat *m = lua_newuserdatauv(L, sizeof *m, 0);
  *m = (al_mat){0};
  luaL_setmetatable(L, ALBIND_MAT);
  if (rows < 1 || cols < 1)
    luaL_error(L, "invalid matrix size %d×%d", rows, cols);
  if (al_mat_alloc(m, rows, cols) != AL_OK)
    luaL_error(L, "not enough memory for a %d×%d matrix", rows, cols);
  /* The collector sees only the small header: tell it about the storage too, or a
   * loop making large temporaries would hold gigabytes before the next cycle. */
  size_t kb = al_mat_size(m) * sizeof(float) / 1024;
  if (kb > 0)
    lua_gc(L, LUA_GCSTEP, kb > INT_MAX ? INT_MAX : (int)kb);
  return m;
}

/* A size argument: an integer in 1..INT_MAX. */
static int check_size(lua_State *L, int arg)
{
  lua_Integer v = luaL_checkinteger(L, arg);
  if (v < 1 || v > INT_MAX)
    luaL_argerror(L, arg, lua_pushfstring(L, "positive integer expected, got %I", v));
  return (int)v;
}

/* A 1-based index argument in 1..n; returns it 0-based. */
static int check_index(lua_State *L, int arg, const char *what, int n)
{
  lua_Integer v = luaL_checkinteger(L, arg);
  if (v < 1 || v > n)
    luaL_argerror(L, arg, lua_pushfstring(L, "%s index in 1..%d expected, got %I", what, n, v));
  return (int)(v - 1);
}

static void check_status(lua_State *L, al_status st)
{
  if (st != AL_OK)
    luaL_error(L, "%s", al_status_str(st));
}

/* Checks that the table at arg is a non-empty list of equally long lists of numbers;
 * returns its shape. Nothing is allocated, so errors leak nothing. */
static void table_shape(lua_State *L, int arg, int *rows, int *cols)
{
  lua_Unsigned n = lua_rawlen(L, arg);
  luaL_argcheck(L, n >= 1, arg, "rows of numbers expected, got an empty table");
  luaL_argcheck(L, n <= INT_MAX, arg, "too many rows");
  lua_Unsigned width = 0;
  for (lua_Unsigned i = 1; i <= n; i++) {
    if (lua_rawgeti(L, arg, (lua_Integer)i) != LUA_TTABLE)
      luaL_argerror(L, arg, lua_pushfstring(L, "row %d: table of numbers expected, got %s",
                                            (int)i, luaL_typename(L, -1)));
    lua_Unsigned len = lua_rawlen(L, -1);
    if (i == 1) {
      luaL_argcheck(L, len >= 1, arg, "row 1 has no numbers");
      luaL_argcheck(L, len <= INT_MAX, arg, "too many columns");
      width = len;
    } else if (len != width) {
      luaL_argerror(L, arg, lua_pushfstring(L, "row %d has %d numbers, expected %d",
                                            (int)i, (int)len, (int)width));
    }
    for (lua_Unsigned j = 1; j <= len; j++) {
      if (lua_rawgeti(L, -1, (lua_Integer)j) != LUA_TNUMBER)
        luaL_argerror(L, arg, lua_pushfstring(L, "row %d, column %d: number expected, got %s",
                                              (int)i, (int)j, luaL_typename(L, -1)));
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  }
  *rows = (int)n;
  *cols = (int)width;
}

/* actlab.matrix(rows, cols [, fill]) or actlab.matrix{{...}, ...}; called through the
 * __call of the actlab.matrix table, whose first argument is that table. */
static int l_matrix_new(lua_State *L)
{
  lua_remove(L, 1);
  if (lua_type(L, 1) == LUA_TTABLE) {
    int rows, cols;
    table_shape(L, 1, &rows, &cols);
    al_mat *m = albind_newmat(L, rows, cols);
    for (int i = 0; i < rows; i++) {
      lua_rawgeti(L, 1, i + 1);
      for (int j = 0; j < cols; j++) {
        lua_rawgeti(L, -1, j + 1);
        AL_AT(m, i, j) = (float)lua_tonumber(L, -1);
        lua_pop(L, 1);
      }
      lua_pop(L, 1);
    }
    return 1;
  }
  if (lua_type(L, 1) != LUA_TNUMBER)
    return luaL_typeerror(L, 1, "number or table");
  int rows = check_size(L, 1);
  int cols = check_size(L, 2);
  float fill = (float)luaL_optnumber(L, 3, 0.0);
  al_mat *m = albind_newmat(L, rows, cols);
  if (fill != 0.0f)
    al_mat_fill(m, fill);
  return 1;
}

/* actlab.matrix.random(rows, cols [, {seed=, dist=, lo=, hi=, mean=, std=}]) */
static int l_matrix_random(lua_State *L)
{
  static const char *const valid[] = {"seed", "dist", "lo", "hi", "mean", "std", NULL};
  int rows = check_size(L, 1);
  int cols = check_size(L, 2);
  lua_Integer seed = 1;
  int normal = 0;
  double lo = 0.0, hi = 1.0, mean = 0.0, std = 1.0;
  if (!lua_isnoneornil(L, 3)) {
    luaL_checktype(L, 3, LUA_TTABLE);
    albind_checkkeys(L, 3, "random", valid);
    seed = albind_optinteger(L, 3, "random", "seed", seed, 0, LUA_MAXINTEGER,
                             "non-negative integer");
    const char *dist = albind_optstring(L, 3, "random", "dist", "uniform");
    normal = strcmp(dist, "normal") == 0;
    if (!normal && strcmp(dist, "uniform") != 0) {
      albind_optfield(L, 3, "dist");
      albind_opterror(L, "random", "dist", "'uniform' or 'normal' expected, got %s",
                      albind_got(L, -1));
    }
    lo = albind_optnumber(L, 3, "random", "lo", lo, -FLT_MAX, FLT_MAX, 0, "finite number");
    hi = albind_optnumber(L, 3, "random", "hi", hi, -FLT_MAX, FLT_MAX, 0, "finite number");
    if (!((float)lo < (float)hi)) {
      albind_optfield(L, 3, "hi");
      albind_opterror(L, "random", "hi", "number above lo expected, got %s", albind_got(L, -1));
    }
    mean = albind_optnumber(L, 3, "random", "mean", mean, -FLT_MAX, FLT_MAX, 0, "finite number");
    std = albind_optnumber(L, 3, "random", "std", std, 0.0, FLT_MAX, 0, "non-negative number");
  }
  al_mat *m = albind_newmat(L, rows, cols);
  al_rng rng;
  al_rng_seed(&rng, (uint64_t)seed, AL_STREAM_DATA);
  if (normal)
    al_mat_fill_normal(m, &rng, (float)mean, (float)std);
  else
    al_mat_fill_uniform(m, &rng, (float)lo, (float)hi);
  return 1;
}

static int l_mat_shape(lua_State *L)
{
  al_mat *m = albind_checkmat(L, 1);
  lua_pushinteger(L, m->rows);
  lua_pushinteger(L, m->cols);
  return 2;
}

static int l_mat_get(lua_State *L)
{
  al_mat *m = albind_checkmat(L, 1);
  int i = check_index(L, 2, "row", m->rows);
  int j = check_index(L, 3, "column", m->cols);
  lua_pushnumber(L, AL_AT(m, i, j));
  return 1;
}

static int l_mat_set(lua_State *L)
{
  al_mat *m = albind_checkmat(L, 1);
  int i = check_index(L, 2, "row", m->rows);
  int j = check_index(L, 3, "column", m->cols);
  AL_AT(m, i, j) = (float)luaL_checknumber(L, 4);
  return 0;
}

static int l_mat_totable(lua_State *L)
{
  al_mat *m = albind_checkmat(L, 1);
  lua_createtable(L, m->rows, 0);
  for (int i = 0; i < m->rows; i++) {
    lua_createtable(L, m->cols, 0);
    for (int j = 0; j < m->cols; j++) {
      lua_pushnumber(L, AL_AT(m, i, j));
      lua_rawseti(L, -2, j + 1);
    }
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

static int l_mat_t(lua_State *L)
{
  al_mat *m = albind_checkmat(L, 1);
  al_mat *t = albind_newmat(L, m->cols, m->rows);
  check_status(L, al_mat_transpose(t, m));
  return 1;
}

static int l_mat_copy(lua_State *L)
{
  al_mat *m = albind_checkmat(L, 1);
  al_mat *c = albind_newmat(L, m->rows, m->cols);
  check_status(L, al_mat_copy(c, m));
  return 1;
}

/* m:rows(first, count): a new matrix holding rows first .. first+count-1 (1-based). */
static int l_mat_rows(lua_State *L)
{
  al_mat *m = albind_checkmat(L, 1);
  int first = check_index(L, 2, "row", m->rows);
  lua_Integer count = luaL_checkinteger(L, 3);
  int left = m->rows - first;
  if (count < 1 || count > left)
    luaL_argerror(L, 3, lua_pushfstring(L, "count in 1..%d expected, got %I", left, count));
  al_mat view = {0};
  check_status(L, al_mat_view_rows(&view, m, first, (int)count));
  al_mat *c = albind_newmat(L, (int)count, m->cols);
  check_status(L, al_mat_copy(c, &view));
  return 1;
}

/* __gc and __close: frees the storage once and leaves the matrix empty (closed). */
static int l_mat_release(lua_State *L)
{
  al_mat *m = albind_testmat(L, 1);
  if (m != NULL)
    al_mat_release(m);
  return 0;
}

/* Formats one value for tostring; returns its length. */
static int format_value(char *buf, size_t size, float v)
{
  return snprintf(buf, size, "%.4g", (double)v);
}

static int l_mat_tostring(lua_State *L)
{
  al_mat *m = albind_testmat(L, 1);
  if (m == NULL || m->data == NULL) {
    lua_pushliteral(L, "matrix (closed)");
    return 1;
  }
  int nr = m->rows < CORNER ? m->rows : CORNER;
  int nc = m->cols < CORNER ? m->cols : CORNER;
  char cell[32];
  int width = 1;
  for (int i = 0; i < nr; i++)
    for (int j = 0; j < nc; j++) {
      int w = format_value(cell, sizeof cell, AL_AT(m, i, j));
      if (w > width)
        width = w;
    }
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  lua_pushfstring(L, "matrix %d×%d", m->rows, m->cols);
  luaL_addvalue(&b);
  for (int i = 0; i < nr; i++) {
    luaL_addstring(&b, "\n ");
    for (int j = 0; j < nc; j++) {
      format_value(cell, sizeof cell, AL_AT(m, i, j));
      char padded[64];
      snprintf(padded, sizeof padded, " %*s", width, cell);
      luaL_addstring(&b, padded);
    }
    if (nc < m->cols)
      luaL_addstring(&b, " …");
  }
  if (nr < m->rows)
    luaL_addstring(&b, "\n  …");
  luaL_pushresult(&b);
  return 1;
}

/* The matrix operand of a binary metamethod, or a type error naming the bad one. */
static al_mat *operand(lua_State *L, int idx, const char *expected)
{
  al_mat *m = albind_testmat(L, idx);
  if (m == NULL)
    luaL_typeerror(L, idx, expected);
  luaL_argcheck(L, m->data != NULL, idx, "matrix is closed");
  return m;
}

/* m * n (product), m * s, s * m (scaling). */
static int l_mat_mul(lua_State *L)
{
  if (lua_type(L, 1) == LUA_TNUMBER || lua_type(L, 2) == LUA_TNUMBER) {
    int mi = lua_type(L, 1) == LUA_TNUMBER ? 2 : 1;
    float s = (float)lua_tonumber(L, mi == 1 ? 2 : 1);
    al_mat *m = operand(L, mi, "matrix or number");
    al_mat *c = albind_newmat(L, m->rows, m->cols);
    check_status(L, al_mat_copy(c, m));
    al_mat_scale(c, s);
    return 1;
  }
  al_mat *a = operand(L, 1, "matrix or number");
  al_mat *b = operand(L, 2, "matrix or number");
  if (b->rows != a->cols)
    luaL_argerror(L, 2, lua_pushfstring(L, "matrix of %d rows expected, got %d", a->cols,
                                        b->rows));
  al_mat *c = albind_newmat(L, a->rows, b->cols);
  check_status(L, al_mat_gemm(c, 1.0f, a, 0, b, 0, 0.0f));
  return 1;
}

/* m + n and m - n: elementwise, same shapes. */
static int elementwise(lua_State *L, al_status (*op)(al_mat *, const al_mat *, const al_mat *))
{
  al_mat *a = operand(L, 1, "matrix");
  al_mat *b = operand(L, 2, "matrix");
  if (!al_mat_same_shape(a, b))
    luaL_argerror(L, 2, lua_pushfstring(L, "matrix of %d×%d expected, got %d×%d", a->rows,
                                        a->cols, b->rows, b->cols));
  al_mat *c = albind_newmat(L, a->rows, a->cols);
  check_status(L, op(c, a, b));
  return 1;
}

static int l_mat_add(lua_State *L)
{
  return elementwise(L, al_mat_add);
}

static int l_mat_sub(lua_State *L)
{
  return elementwise(L, al_mat_sub);
}

static int l_mat_unm(lua_State *L)
{
  al_mat *m = operand(L, 1, "matrix");
  al_mat *c = albind_newmat(L, m->rows, m->cols);
  check_status(L, al_mat_copy(c, m));
  al_mat_scale(c, -1.0f);
  return 1;
}

static const luaL_Reg mat_methods[] = {
  {"shape", l_mat_shape},
  {"get", l_mat_get},
  {"set", l_mat_set},
  {"totable", l_mat_totable},
  {"t", l_mat_t},
  {"copy", l_mat_copy},
  {"rows", l_mat_rows},
  {NULL, NULL}
};

static const luaL_Reg mat_meta[] = {
  {"__gc", l_mat_release},
  {"__close", l_mat_release},
  {"__tostring", l_mat_tostring},
  {"__mul", l_mat_mul},
  {"__add", l_mat_add},
  {"__sub", l_mat_sub},
  {"__unm", l_mat_unm},
  {NULL, NULL}
};

void albind_open_mat(lua_State *L)
{
  albind_newclass(L, ALBIND_MAT, mat_meta, mat_methods, NULL);

  /* actlab.matrix: a callable table, so it can carry actlab.matrix.random. */
  lua_createtable(L, 0, 1);
  lua_pushcfunction(L, l_matrix_random);
  lua_setfield(L, -2, "random");
  lua_createtable(L, 0, 1);
  lua_pushcfunction(L, l_matrix_new);
  lua_setfield(L, -2, "__call");
  lua_setmetatable(L, -2);
  lua_setfield(L, -2, "matrix");
}
