/* luaopen_actlab: the module table, built from every area of the bindings, plus
 * the path to and the lazy loading of the Lua-side library (actlab.sweep, ...). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <lualib.h>

#include "bind.h"
#include "al_version.h"

#ifndef ACTLAB_SOURCE_LUA_DIR
#define ACTLAB_SOURCE_LUA_DIR "lua"
#endif
#ifndef ACTLAB_INSTALL_LUA_DIR
#define ACTLAB_INSTALL_LUA_DIR "/usr/local/share/lua/5.4"
#endif

/* Set from a signal handler in the program, read by the trainer: a global is the
 * only place both can reach. */
static volatile int interrupt_flag;

volatile int *albind_interrupt_flag(void) { return &interrupt_flag; }

void albind_newclass(lua_State *L, const char *name, const luaL_Reg *meta,
                     const luaL_Reg *methods, lua_CFunction index)
{
  luaL_newmetatable(L, name);
  if (meta != NULL)
    luaL_setfuncs(L, meta, 0);
  if (methods != NULL) {
    lua_newtable(L);
    luaL_setfuncs(L, methods, 0);
    if (index != NULL)
      lua_pushcclosure(L, index, 1);
    lua_setfield(L, -2, "__index");
  }
  lua_pop(L, 1);
}

int albind_error(lua_State *L, const al_err *err) {
  return luaL_error(L, "%s", err->msg[0] ? err->msg : al_status_str(err->status));
}

/* The program's stop is a hook set by its signal handler (it replaced any other
 * hook then); this error takes its place. */
int albind_interrupt_error(lua_State *L, const al_err *err) {
  lua_sethook(L, NULL, 0, 0);
  return albind_error(L, err);
}

/* actlab.interrupted(): true once Ctrl-C (or SIGTERM for a script) arrived, so a
 * sweep can finish its row and stop cleanly. */
static int l_interrupted(lua_State *L) {
  lua_pushboolean(L, interrupt_flag != 0);
  return 1;
}

static int is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Pushes dir/?.lua;dir/?/init.lua. */
static void push_dir_template(lua_State *L, const char *dir) {
  lua_pushfstring(L, "%s/?.lua;%s/?/init.lua", dir, dir);
}

/* Prepends to package.path: $ACTLAB_LUA_PATH (a path template with '?', or a
 * directory), then the library directory: $ACTLAB_LUA_DIR if set, else the source
 * tree's lua/ when this build runs from its tree, else the installed directory.
 * Loading the module twice adds nothing the second time. */
static void add_lua_path(lua_State *L) {
  int top = lua_gettop(L);
  lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  if (lua_getfield(L, -1, LUA_LOADLIBNAME) != LUA_TTABLE)
    goto done; /* no package library: nothing to extend */
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  const char *env = getenv("ACTLAB_LUA_PATH");
  if (env != NULL && env[0] != '\0') {
    if (strchr(env, '?') != NULL)
      lua_pushstring(L, env);
    else
      push_dir_template(L, env);
    luaL_addvalue(&b);
    luaL_addchar(&b, ';');
  }
  const char *dir = getenv("ACTLAB_LUA_DIR");
  if (dir == NULL || dir[0] == '\0')
    dir = is_dir(ACTLAB_SOURCE_LUA_DIR "/actlab") ? ACTLAB_SOURCE_LUA_DIR : ACTLAB_INSTALL_LUA_DIR;
  push_dir_template(L, dir);
  luaL_addvalue(&b);
  luaL_addchar(&b, ';');
  luaL_pushresult(&b);
  size_t plen;
  const char *prefix = lua_tolstring(L, -1, &plen);
  if (lua_getfield(L, -2, "path") != LUA_TSTRING) {
    lua_pop(L, 1);
    lua_pushliteral(L, "");
  }
  if (strncmp(lua_tostring(L, -1), prefix, plen) != 0) {
    lua_concat(L, 2);
    lua_setfield(L, -2, "path");
  }
done:
  lua_settop(L, top);
}

/* __index of the module table: actlab.<key> loads the Lua module actlab.<key> when
 * package.path has one (and caches it), else gives nil like any missing field. */
static int l_module_index(lua_State *L) {
  if (lua_type(L, 2) != LUA_TSTRING)
    return 0;
  const char *name = lua_pushfstring(L, "actlab.%s", lua_tostring(L, 2));
  lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  if (lua_getfield(L, -1, LUA_LOADLIBNAME) != LUA_TTABLE)
    return 0;
  lua_getfield(L, -1, "searchpath");
  lua_pushstring(L, name);
  lua_getfield(L, -3, "path");
  lua_call(L, 2, 1);
  if (lua_isnil(L, -1))
    return 0;
  lua_getglobal(L, "require");
  lua_pushstring(L, name);
  lua_call(L, 1, 1);
  lua_pushvalue(L, 2);
  lua_pushvalue(L, -2);
  lua_rawset(L, 1);
  return 1;
}

int luaopen_actlab(lua_State *L) {
  add_lua_path(L);
  lua_newtable(L);
  lua_pushliteral(L, ACTLAB_VERSION);
  lua_setfield(L, -2, "version");
  lua_pushliteral(L, ACTLAB_GIT_COMMIT);
  lua_setfield(L, -2, "git_commit");
  lua_pushcfunction(L, l_interrupted);
  lua_setfield(L, -2, "interrupted");
  albind_open_mat(L);
  albind_open_act(L);
  albind_open_net(L);
  albind_open_data(L);
  albind_open_train(L);
  lua_createtable(L, 0, 1);
  lua_pushcfunction(L, l_module_index);
  lua_setfield(L, -2, "__index");
  lua_setmetatable(L, -2);
  return 1;
}
