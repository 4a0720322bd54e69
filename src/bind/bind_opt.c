/* Option tables (mlp{...}, train(net, data, {...}), dataset(name, {...})): reading
 * typed fields and raising `bad option 'key' to 'fn' (... expected, got ...)`, with
 * unknown names refused so that a typo never passes silently. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bind.h"

int albind_opterror(lua_State *L, const char *fn, const char *key, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  char what[AL_ERR_MSG_MAX];
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  return luaL_error(L, "bad option '%s' to '%s' (%s)", key, fn, what);
}

const char *albind_got(lua_State *L, int idx)
{
  switch (lua_type(L, idx)) {
  case LUA_TNUMBER:
    if (lua_isinteger(L, idx))
      return lua_pushfstring(L, "%I", (LUAI_UACINT)lua_tointeger(L, idx));
    return lua_pushfstring(L, "%f", (LUAI_UACNUMBER)lua_tonumber(L, idx));
  case LUA_TSTRING:
    return lua_pushfstring(L, "'%s'", lua_tostring(L, idx));
  case LUA_TBOOLEAN:
    return lua_pushstring(L, lua_toboolean(L, idx) ? "true" : "false");
  default:
    return lua_pushstring(L, luaL_typename(L, idx));
  }
}

void albind_checkkeys(lua_State *L, int idx, const char *fn, const char *const valid[])
{
  idx = lua_absindex(L, idx);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    if (lua_type(L, -1) != LUA_TSTRING) {
      const char *got = albind_got(L, -1);
      luaL_argerror(L, idx, lua_pushfstring(L, "options must be named, got a value at key %s",
                                            got));
    }
    const char *key = lua_tostring(L, -1);
    int known = 0;
    for (int i = 0; valid[i] && !known; i++)
      known = strcmp(valid[i], key) == 0;
    if (!known) {
      luaL_Buffer b;
      luaL_buffinit(L, &b);
      for (int i = 0; valid[i]; i++) {
        if (i > 0)
          luaL_addstring(&b, ", ");
        luaL_addstring(&b, valid[i]);
      }
      luaL_pushresult(&b);
      albind_opterror(L, fn, key, "unknown option; valid: %s", lua_tostring(L, -1));
    }
  }
}

int albind_optfield(lua_State *L, int idx, const char *key)
{
  idx = lua_absindex(L, idx);
  lua_pushstring(L, key);
  return lua_rawget(L, idx);
}

lua_Integer albind_optinteger(lua_State *L, int idx, const char *fn, const char *key,
                              lua_Integer def, lua_Integer lo, lua_Integer hi,
                              const char *expected)
{
  if (albind_optfield(L, idx, key) == LUA_TNIL) {
    lua_pop(L, 1);
    return def;
  }
  int isint = 0;
  lua_Integer v = lua_tointegerx(L, -1, &isint);
  if (lua_type(L, -1) != LUA_TNUMBER || !isint || v < lo || v > hi)
    albind_opterror(L, fn, key, "%s expected, got %s", expected, albind_got(L, -1));
  lua_pop(L, 1);
  return v;
}

double albind_optnumber(lua_State *L, int idx, const char *fn, const char *key, double def,
                        double lo, double hi, int open, const char *expected)
{
  if (albind_optfield(L, idx, key) == LUA_TNIL) {
    lua_pop(L, 1);
    return def;
  }
  double v = lua_tonumber(L, -1);
  int ok = lua_type(L, -1) == LUA_TNUMBER && isfinite(v) && v >= lo && v <= hi &&
           !((open & ALBIND_OPEN_LO) && v == lo) && !((open & ALBIND_OPEN_HI) && v == hi);
  if (!ok)
    albind_opterror(L, fn, key, "%s expected, got %s", expected, albind_got(L, -1));
  lua_pop(L, 1);
  return v;
}

int albind_optboolean(lua_State *L, int idx, const char *fn, const char *key, int def)
{
  int t = albind_optfield(L, idx, key);
  if (t == LUA_TNIL) {
    lua_pop(L, 1);
    return def;
  }
  if (t != LUA_TBOOLEAN)
    albind_opterror(L, fn, key, "boolean expected, got %s", albind_got(L, -1));
  int v = lua_toboolean(L, -1);
  lua_pop(L, 1);
  return v;
}

const char *albind_optstring(lua_State *L, int idx, const char *fn, const char *key,
                             const char *def)
{
  int t = albind_optfield(L, idx, key);
  if (t == LUA_TNIL) {
    lua_pop(L, 1);
    return def;
  }
  if (t != LUA_TSTRING)
    albind_opterror(L, fn, key, "string expected, got %s", albind_got(L, -1));
  /* The string stays alive in the options table, which the caller holds. */
  const char *s = lua_tostring(L, -1);
  lua_pop(L, 1);
  return s;
}
