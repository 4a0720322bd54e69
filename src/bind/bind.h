/* Shared helpers of the Lua bindings: each area file (bind_mat.c, bind_act.c, ...)
 * adds its functions to the module table through albind_open_<area>, and
 * luaopen_actlab (bind_actlab.c) calls them all. Bindings check and translate;
 * the computing is the core's. */
#ifndef BIND_H
#define BIND_H

#include <lua.h>
#include <lauxlib.h>
#include "al_act.h"
#include "al_dataset.h"
#include "al_err.h"
#include "al_mat.h"
#include "al_net.h"

#define ALBIND_MAT "actlab.matrix"

/* The module: the table of every area below, with a metatable whose __index loads
 * the Lua-side library lazily (actlab.sweep is require "actlab.sweep"). Also puts
 * actlab's Lua library directory on package.path (once). */
int luaopen_actlab(lua_State *L);

/* Registers the metatable `name` of a userdata type: the metamethods in meta (may be
 * NULL), and methods (may be NULL) reached through __index: directly, or when index is
 * given, through the closure index whose upvalue is the methods table (for types that
 * also answer fields). Leaves the stack as it was. */
void albind_newclass(lua_State *L, const char *name, const luaL_Reg *meta,
                     const luaL_Reg *methods, lua_CFunction index);

/* Each takes the module table at the top of the stack and adds its entries. */
void albind_open_mat(lua_State *L);
void albind_open_act(lua_State *L);
void albind_open_net(lua_State *L);
void albind_open_data(lua_State *L);
void albind_open_train(lua_State *L);

/* Matrices (bind_mat.c). A matrix userdata holds its al_mat inline; the data is
 * owned by the userdata and freed by __gc / __close. */
al_mat *albind_checkmat(lua_State *L, int idx);
al_mat *albind_testmat(lua_State *L, int idx);
/* Pushes a new zero-filled rows × cols matrix and returns it; raises a Lua error
 * (not a crash) when the size is invalid or memory runs out. */
al_mat *albind_newmat(lua_State *L, int rows, int cols);

/* Raises err's message as a Lua error (with position information of level 1). */
int albind_error(lua_State *L, const al_err *err);

/* The flag SIGINT (or, for scripts, SIGTERM) sets while a script or REPL line runs
 * (actlab.c): it holds the signal number, and the program clears it before each chunk.
 * The trainer polls it between batches; actlab.interrupted() reports it to Lua.
 * Always 0 inside plain lua5.4. */
volatile int *albind_interrupt_flag(void);
/* Raises err (AL_ERR_INTERRUPTED from a C loop that saw the flag) as the error that
 * delivers the interrupt: the program's pending stop at the next Lua instruction is
 * cancelled, so a pcall around the call (a sweep finishing its row) catches it for good. */
int albind_interrupt_error(lua_State *L, const al_err *err);

/* Option tables (bind_opt.c). Errors read `bad option 'key' to 'fn' (what)`; the
 * getters return def when the field is absent and raise when it has the wrong type
 * or is out of range ("<expected> expected, got <value>"). */
#define ALBIND_OPEN_LO 1  /* optnumber: lo itself is not allowed */
#define ALBIND_OPEN_HI 2  /* optnumber: hi itself is not allowed */
int albind_opterror(lua_State *L, const char *fn, const char *key, const char *fmt, ...);
/* Pushes a short description of the value at idx for "got ...": 3, 'text', nil. */
const char *albind_got(lua_State *L, int idx);
/* Raises for a key of the table at idx that is not in valid (NULL-terminated). */
void albind_checkkeys(lua_State *L, int idx, const char *fn, const char *const valid[]);
/* Pushes t[key] without metamethods and returns its type. */
int albind_optfield(lua_State *L, int idx, const char *key);
lua_Integer albind_optinteger(lua_State *L, int idx, const char *fn, const char *key,
                              lua_Integer def, lua_Integer lo, lua_Integer hi,
                              const char *expected);
double albind_optnumber(lua_State *L, int idx, const char *fn, const char *key, double def,
                        double lo, double hi, int open, const char *expected);
int albind_optboolean(lua_State *L, int idx, const char *fn, const char *key, int def);
const char *albind_optstring(lua_State *L, int idx, const char *fn, const char *key,
                             const char *def);

/* Activations (bind_act.c). Lua-defined activations are table rows whose kernels call
 * Lua; a Lua error inside them is recorded (the kernel fills NaN) and raised by
 * albind_act_raise_pending, which every binding calls after a core call that may
 * run kernels (forward, backward, training). */
/* By name: Lua-defined ones first, then the core table; an unknown name is
 * AL_ERR_NAME with a message listing every valid name. */
al_status albind_find_act(lua_State *L, const char *name, const al_act **act, al_err *err);
void albind_act_raise_pending(lua_State *L);
/* Reads the parameter table at idx (nil or none: defaults) into p, checked against
 * act's ranges; the message names the parameter and what is valid. */
al_status albind_act_params(lua_State *L, int idx, const al_act *act,
                            float p[AL_ACT_MAX_PARAMS], al_err *err);
/* Pushes {name = value, ...} of act's parameters. */
void albind_push_act_params(lua_State *L, const al_act *act, const float *p);
/* The activation object at idx (its row and parameters into p), or NULL. */
const al_act *albind_checkact(lua_State *L, int idx, float p[AL_ACT_MAX_PARAMS]);
/* Pushes the shortest decimal that reads back as the float v (0.01f → 0.01). */
void albind_pushfloat(lua_State *L, float v);
/* For al_model_load: pushes a snapshot of the Lua-defined activations (keep it on
 * the stack during the load) and returns it as the resolver's ud. */
void *albind_act_snapshot(lua_State *L);
const al_act *albind_act_resolve(void *ud, const char *name);

/* Networks (bind_net.c). The userdata holds the al_net inline; busy is set while
 * actlab.train runs on it (on_eval may still call forward, not train or close it). */
#define ALBIND_NET "actlab.net"
typedef struct albind_net {
  al_net net;
  int busy;
} albind_net;
albind_net *albind_checknet(lua_State *L, int idx);

/* Data (bind_data.c): data sets (actlab.dataset) and in-memory data (actlab.data). */
enum { ALBIND_NOT_DATA = 0, ALBIND_DATASET, ALBIND_MEMDATA };
int albind_data_kind(lua_State *L, int idx);
/* The al_data of one part of the data object at idx (in-memory data has only
 * AL_PART_TRAIN). It borrows the object's arrays: keep the object on the stack. */
al_status albind_getdata(lua_State *L, int idx, al_part part, al_data *out, al_err *err);

#endif
