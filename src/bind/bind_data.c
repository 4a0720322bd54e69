/* Data from Lua: image data sets in IDX files (actlab.dataset, over al_dataset) with
 * their subsets and validation split, and small in-memory data (actlab.data{x =, y =})
 * such as XOR. Both hand the trainer al_data views through albind_getdata. */
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "al_dataset.h"
#include "bind.h"

#define DATASET "actlab.dataset"
#define MEMDATA "actlab.data"

typedef struct dsobj {
  al_dataset d;
  al_norm norm;
} dsobj;

/* In-memory data: the header, then the floats (and labels) inline in the userdata,
 * so the collector owns and sees everything. */
typedef struct memdata {
  al_data d;
  int classes;   /* 0 for float targets */
} memdata;

static const char *const parts[] = {"train", "test", "validation", NULL};
static const char *const norms[] = {"scale", "standardize", NULL};

/* ---- actlab.dataset ---------------------------------------------------------- */

static const char *const name_keys[] = {"dir", "normalize", "train_n", "subset", "validation",
                                        "seed", NULL};
static const char *const file_keys[] = {"train_images", "train_labels", "test_images",
                                        "test_labels", "name", "classes", "normalize",
                                        "train_n", "subset", "validation", "seed", NULL};
static const char *const subset_keys[] = {"n", "seed", NULL};

typedef struct split_req {
  al_split_opts s;
  const char *key;  /* the option that set train_n: "train_n" or "subset" */
} split_req;

/* Reads normalize, train_n, subset, validation and seed of the options at idx. */
static al_norm read_split(lua_State *L, int idx, split_req *r)
{
  const char *norm = albind_optstring(L, idx, "dataset", "normalize", "scale");
  int k = 0;
  while (norms[k] && strcmp(norms[k], norm) != 0)
    k++;
  if (norms[k] == NULL)
    albind_opterror(L, "dataset", "normalize", "\"scale\" or \"standardize\" expected, got '%s'",
                    norm);
  lua_Integer seed = albind_optinteger(L, idx, "dataset", "seed", 1, 0, LUA_MAXINTEGER,
                                       "non-negative integer");
  *r = (split_req){.key = "train_n"};
  r->s.validation_seed = (uint64_t)seed;
  r->s.subset_seed = (uint64_t)seed;
  r->s.train_n = (int)albind_optinteger(L, idx, "dataset", "train_n", 0, 1, INT_MAX,
                                        "positive integer");
  r->s.validation_n = (int)albind_optinteger(L, idx, "dataset", "validation", 0, 0, INT_MAX,
                                             "non-negative integer");
  int t = albind_optfield(L, idx, "subset");
  if (t != LUA_TNIL) {
    if (t != LUA_TTABLE)
      albind_opterror(L, "dataset", "subset", "{n =, seed =} expected, got %s",
                      albind_got(L, -1));
    if (r->s.train_n)
      albind_opterror(L, "dataset", "subset", "cannot be combined with train_n");
    albind_checkkeys(L, -1, "dataset", subset_keys);
    if (albind_optfield(L, -1, "n") == LUA_TNIL)
      albind_opterror(L, "dataset", "subset", "n: positive integer expected, got nil");
    lua_pop(L, 1);
    r->s.train_n = (int)albind_optinteger(L, -1, "dataset", "n", 0, 1, INT_MAX,
                                          "positive integer");
    r->s.subset_seed = (uint64_t)albind_optinteger(L, -1, "dataset", "seed", seed, 0,
                                                   LUA_MAXINTEGER, "non-negative integer");
    r->s.random = 1;
    r->key = "subset";
  }
  lua_pop(L, 1);
  return (al_norm)k;
}

static dsobj *push_dataset(lua_State *L)
{
  dsobj *o = lua_newuserdatauv(L, sizeof *o, 0);
  memset(o, 0, sizeof *o);
  luaL_setmetatable(L, DATASET);
  return o;
}

/* Applies the split once the files are loaded and their sizes known. */
static void apply_split(lua_State *L, dsobj *o, const split_req *r)
{
  int n = o->d.n_train_file;
  if (r->s.validation_n >= n)
    albind_opterror(L, "dataset", "validation", "fewer than the %d training rows expected, "
                    "got %d", n, r->s.validation_n);
  if (r->s.train_n > n - r->s.validation_n)
    albind_opterror(L, "dataset", r->key, "at most %d expected (the training rows%s), got %d",
                    n - r->s.validation_n, r->s.validation_n ? " not held out" : "",
                    r->s.train_n);
  al_err err = {0};
  if (al_dataset_split(&o->d, &r->s, &err) != AL_OK)
    luaL_error(L, "dataset: %s", err.msg);
  size_t kb = ((size_t)n + (size_t)o->d.n_test) * ((size_t)o->d.inputs + 1) / 1024;
  if (kb > 0)
    lua_gc(L, LUA_GCSTEP, kb > INT_MAX ? INT_MAX : (int)kb);
}

static int l_dataset(lua_State *L)
{
  split_req r;
  al_err err = {0};
  if (lua_istable(L, 1)) {
    lua_settop(L, 1);
    albind_checkkeys(L, 1, "dataset", file_keys);
    const char *paths[4];
    for (int i = 0; i < 4; i++) {
      if (albind_optfield(L, 1, file_keys[i]) != LUA_TSTRING)
        albind_opterror(L, "dataset", file_keys[i], "path expected, got %s", albind_got(L, -1));
      paths[i] = lua_tostring(L, -1);
      lua_pop(L, 1); /* the string stays alive in the options */
    }
    const char *name = albind_optstring(L, 1, "dataset", "name", "custom");
    int classes = (int)albind_optinteger(L, 1, "dataset", "classes", 10, 1,
                                         AL_DATASET_MAX_CLASSES, "integer from 1 to 256");
    al_norm norm = read_split(L, 1, &r);
    dsobj *o = push_dataset(L);
    o->norm = norm;
    if (al_dataset_load_files(&o->d, name, paths[0], paths[1], paths[2], paths[3], classes,
                              &err) != AL_OK)
      return albind_error(L, &err);
    apply_split(L, o, &r);
    return 1;
  }
  const char *name = luaL_checkstring(L, 1);
  if (!lua_isnoneornil(L, 2))
    luaL_checktype(L, 2, LUA_TTABLE);
  lua_settop(L, 2);
  if (lua_isnil(L, 2)) {
    lua_newtable(L);
    lua_replace(L, 2);
  }
  albind_checkkeys(L, 2, "dataset", name_keys);
  const char *dir = albind_optstring(L, 2, "dataset", "dir", NULL);
  al_norm norm = read_split(L, 2, &r);
  dsobj *o = push_dataset(L);
  o->norm = norm;
  if (al_dataset_load(&o->d, name, dir, &err) != AL_OK) {
    if (err.status == AL_ERR_NAME)
      return luaL_argerror(L, 1, err.msg);
    return albind_error(L, &err);
  }
  apply_split(L, o, &r);
  return 1;
}

static dsobj *check_dataset(lua_State *L, int idx)
{
  dsobj *o = luaL_checkudata(L, idx, DATASET);
  luaL_argcheck(L, o->d.inputs > 0, idx, "data set is closed");
  return o;
}

/* which (arg), first (1-based, default 1) and count (default: the rest). */
static al_part check_range(lua_State *L, const dsobj *o, int arg, int *first, int *count)
{
  al_part part = (al_part)luaL_checkoption(L, arg, NULL, parts);
  int n = al_dataset_count(&o->d, part);
  if (n == 0)
    luaL_argerror(L, arg, lua_pushfstring(L, "%s has no %s part%s", o->d.name, parts[part],
                                          part == AL_PART_VALIDATION
                                              ? " (give the validation option)" : ""));
  lua_Integer f = luaL_optinteger(L, arg + 1, 1);
  if (f < 1 || f > n)
    luaL_argerror(L, arg + 1, lua_pushfstring(L, "index from 1 to %d expected, got %I", n,
                                              (LUAI_UACINT)f));
  lua_Integer c = luaL_optinteger(L, arg + 2, n - f + 1);
  if (c < 1 || c > n - f + 1)
    luaL_argerror(L, arg + 2, lua_pushfstring(L, "count from 1 to %d expected, got %I",
                                              (int)(n - f + 1), (LUAI_UACINT)c));
  *first = (int)f - 1;
  *count = (int)c;
  return part;
}

static int l_ds_images(lua_State *L)
{
  dsobj *o = check_dataset(L, 1);
  int first, count;
  al_part part = check_range(L, o, 2, &first, &count);
  al_data data;
  al_err err = {0};
  if (al_dataset_data(&data, &o->d, part, o->norm, &err) != AL_OK)
    return albind_error(L, &err);
  al_mat *t = albind_newmat(L, count, data.out);
  al_mat *x = albind_newmat(L, count, data.in);
  al_status st = al_data_gather(x, t, NULL, &data, NULL, first, count);
  if (st != AL_OK)
    return luaL_error(L, "images: %s", al_status_str(st));
  return 1;
}

static int l_ds_labels(lua_State *L)
{
  dsobj *o = check_dataset(L, 1);
  int first, count;
  al_part part = check_range(L, o, 2, &first, &count);
  lua_createtable(L, count, 0);
  for (int i = 0; i < count; i++) {
    lua_pushinteger(L, al_dataset_label(&o->d, part, first + i));
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

static int l_ds_class_names(lua_State *L)
{
  dsobj *o = check_dataset(L, 1);
  lua_createtable(L, o->d.classes, 0);
  for (int k = 0; k < o->d.classes; k++) {
    lua_pushstring(L, al_dataset_class_name(&o->d, k));
    lua_rawseti(L, -2, k + 1);
  }
  return 1;
}

static int l_ds_tostring(lua_State *L)
{
  dsobj *o = luaL_checkudata(L, 1, DATASET);
  if (o->d.inputs == 0) {
    lua_pushliteral(L, "dataset (closed)");
    return 1;
  }
  lua_pushfstring(L, "dataset %s: %d train, %d test, %d validation (%d×%d, %d classes, %s)",
                  o->d.name, o->d.n_train, o->d.n_test, o->d.n_validation, o->d.height,
                  o->d.width, o->d.classes, norms[o->norm]);
  return 1;
}

static int l_ds_gc(lua_State *L)
{
  dsobj *o = luaL_checkudata(L, 1, DATASET);
  al_dataset_release(&o->d);
  return 0;
}

static const luaL_Reg ds_methods[] = {
  {"images", l_ds_images},
  {"labels", l_ds_labels},
  {"class_names", l_ds_class_names},
  {NULL, NULL},
};

static int l_ds_index(lua_State *L)
{
  dsobj *o = luaL_checkudata(L, 1, DATASET);
  const char *k = luaL_checkstring(L, 2);
  const struct {
    const char *key;
    int value;
  } ints[] = {{"n_train", o->d.n_train}, {"n_test", o->d.n_test},
              {"n_validation", o->d.n_validation}, {"inputs", o->d.inputs},
              {"classes", o->d.classes}, {"height", o->d.height}, {"width", o->d.width}};
  for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
    if (strcmp(k, ints[i].key) == 0) {
      lua_pushinteger(L, ints[i].value);
      return 1;
    }
  }
  if (strcmp(k, "name") == 0)
    lua_pushstring(L, o->d.name);
  else if (strcmp(k, "normalize") == 0)
    lua_pushstring(L, norms[o->norm]);
  else
    lua_getfield(L, lua_upvalueindex(1), k);
  return 1;
}

/* ---- actlab.data{x =, y =, classes =} ------------------------------------------- */

static const char *const data_keys[] = {"x", "y", "classes", NULL};

static int l_data(lua_State *L)
{
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  albind_checkkeys(L, 1, "data", data_keys);
  albind_optfield(L, 1, "x"); /* 2 */
  al_mat *x = albind_testmat(L, 2);
  if (x == NULL || x->data == NULL)
    albind_opterror(L, "data", "x", "matrix expected, got %s", albind_got(L, 2));
  int yt = albind_optfield(L, 1, "y"); /* 3 */
  al_mat *y = albind_testmat(L, 3);
  int classes = 0, n = x->rows, width;
  if (y) {
    if (y->data == NULL || y->rows != n)
      albind_opterror(L, "data", "y", "matrix of %d rows (one per row of x) expected, got %d",
                      n, y->rows);
    if (albind_optfield(L, 1, "classes") != LUA_TNIL)
      albind_opterror(L, "data", "classes", "only used with labels, y is a matrix");
    lua_pop(L, 1);
    width = y->cols;
  } else {
    if (yt != LUA_TTABLE)
      albind_opterror(L, "data", "y", "matrix or list of class labels expected, got %s",
                      albind_got(L, 3));
    if (lua_rawlen(L, 3) != (lua_Unsigned)n)
      albind_opterror(L, "data", "y", "%d labels (one per row of x) expected, got %d", n,
                      (int)lua_rawlen(L, 3));
    int most = 0;
    for (int i = 1; i <= n; i++) {
      int isint = 0;
      lua_rawgeti(L, 3, i);
      lua_Integer v = lua_tointegerx(L, -1, &isint);
      if (lua_type(L, -1) != LUA_TNUMBER || !isint || v < 0 || v >= AL_DATASET_MAX_CLASSES)
        albind_opterror(L, "data", "y", "labels 0 to %d expected, got %s at position %d",
                        AL_DATASET_MAX_CLASSES - 1, albind_got(L, -1), i);
      most = v > most ? (int)v : most;
      lua_pop(L, 1);
    }
    classes = (int)albind_optinteger(L, 1, "data", "classes", most + 1 > 2 ? most + 1 : 2,
                                     most + 1, AL_DATASET_MAX_CLASSES,
                                     "integer above every label (and at most 256)");
    width = classes;
  }
  size_t nx = al_mat_size(x), nt = y ? al_mat_size(y) : 0;
  size_t bytes = sizeof(memdata) + (nx + nt) * sizeof(float) + (y ? 0 : (size_t)n);
  memdata *m = lua_newuserdatauv(L, bytes, 0);
  luaL_setmetatable(L, MEMDATA);
  float *xs = (float *)(m + 1), *ts = xs + nx;
  memcpy(xs, x->data, nx * sizeof(float));
  m->d = (al_data){.n = n, .in = x->cols, .out = width, .x = xs};
  m->classes = classes;
  if (y) {
    memcpy(ts, y->data, nt * sizeof(float));
    m->d.t = ts;
  } else {
    uint8_t *labels = (uint8_t *)ts;
    for (int i = 0; i < n; i++) {
      lua_rawgeti(L, 3, i + 1);
      labels[i] = (uint8_t)lua_tointeger(L, -1);
      lua_pop(L, 1);
    }
    m->d.labels = labels;
  }
  return 1;
}

static int l_mem_index(lua_State *L)
{
  memdata *m = luaL_checkudata(L, 1, MEMDATA);
  const char *k = luaL_checkstring(L, 2);
  if (strcmp(k, "n") == 0)
    lua_pushinteger(L, m->d.n);
  else if (strcmp(k, "inputs") == 0)
    lua_pushinteger(L, m->d.in);
  else if (strcmp(k, "outputs") == 0)
    lua_pushinteger(L, m->d.out);
  else if (strcmp(k, "classes") == 0 && m->classes)
    lua_pushinteger(L, m->classes);
  else
    lua_pushnil(L);
  return 1;
}

static int l_mem_tostring(lua_State *L)
{
  memdata *m = luaL_checkudata(L, 1, MEMDATA);
  if (m->classes)
    lua_pushfstring(L, "data: %d examples of %d inputs, labels of %d classes", m->d.n, m->d.in,
                    m->classes);
  else
    lua_pushfstring(L, "data: %d examples of %d inputs, %d targets", m->d.n, m->d.in, m->d.out);
  return 1;
}

/* ---- the trainer's view ------------------------------------------------------------ */

int albind_data_kind(lua_State *L, int idx)
{
  if (luaL_testudata(L, idx, DATASET))
    return ALBIND_DATASET;
  if (luaL_testudata(L, idx, MEMDATA))
    return ALBIND_MEMDATA;
  return ALBIND_NOT_DATA;
}

al_status albind_getdata(lua_State *L, int idx, al_part part, al_data *out, al_err *err)
{
  dsobj *o = luaL_testudata(L, idx, DATASET);
  if (o) {
    if (o->d.inputs == 0)
      return al_fail(err, AL_ERR_ARG, "data set is closed");
    return al_dataset_data(out, &o->d, part, o->norm, err);
  }
  memdata *m = luaL_testudata(L, idx, MEMDATA);
  if (m == NULL)
    return al_fail(err, AL_ERR_ARG, "data set or in-memory data expected");
  if (part != AL_PART_TRAIN)
    return al_fail(err, AL_ERR_ARG, "in-memory data has no %s part",
                   al_dataset_part_name(part));
  *out = m->d;
  return AL_OK;
}

static const luaL_Reg data_functions[] = {
  {"dataset", l_dataset},
  {"data", l_data},
  {NULL, NULL},
};

/* No __close: a training run borrows the arrays, and the collector cannot free
 * them while the data set is an argument of that run. */
static const luaL_Reg ds_meta[] = {
  {"__tostring", l_ds_tostring},
  {"__gc", l_ds_gc},
  {NULL, NULL},
};

static const luaL_Reg mem_meta[] = {
  {"__index", l_mem_index},
  {"__tostring", l_mem_tostring},
  {NULL, NULL},
};

void albind_open_data(lua_State *L)
{
  albind_newclass(L, DATASET, ds_meta, ds_methods, l_ds_index);
  albind_newclass(L, MEMDATA, mem_meta, NULL, NULL);
  luaL_setfuncs(L, data_functions, 0);
}
