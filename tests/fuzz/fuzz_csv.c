/* libFuzzer target for the CSV reader that resume and merge rely on (lua/actlab/csv.lua),
 * run in an embedded Lua 5.4. A Lua error is allowed; a crash, a hang or a broken promise
 * of csv.parse is a finding (the properties are in DRIVER below). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#ifndef CSV_LUA_PATH
#define CSV_LUA_PATH "lua/actlab/csv.lua"
#endif

/* Debian's liblua is not instrumented, so libFuzzer would be blind inside csv.lua: a
 * line hook feeds it "coverage" instead, one counter per (previous line, line) pair. */
#define NCOUNTERS 4096
__attribute__((used, section("__libfuzzer_extra_counters")))
static uint8_t counters[NCOUNTERS];
static int prev_line;

/* Given csv (the module) returns check(text) -> nil, or a message when a property fails. */
static const char DRIVER[] =
  "local csv = ...\n"
  "local function same(a, b)\n"
  "  if #a ~= #b then return false end\n"
  "  for i = 1, #a do\n"
  "    if type(a[i]) == 'table' then\n"
  "      if not same(a[i], b[i]) then return false end\n"
  "    elseif a[i] ~= b[i] then return false end\n"
  "  end\n"
  "  return true\n"
  "end\n"
  "return function(text)\n"
  "  local ok, header, rows, fault = pcall(csv.parse, text, 'fuzz')\n"
  "  if not ok then return nil end -- a Lua error is allowed\n"
  "  if header then\n"
  "    -- What was read writes back out and reads back the same.\n"
  "    local again_h, again_rows = csv.parse(csv.format(header, rows), 'again')\n"
  "    if not again_h then return 'format output does not parse: ' .. tostring(again_rows) end\n"
  "    if not same(header, again_h) or not same(rows, again_rows) then\n"
  "      return 'format/parse round trip changed the data'\n"
  "    end\n"
  "    for i, r in ipairs(rows) do\n"
  "      if #r ~= #header then return 'row ' .. i .. ' is not as wide as the header' end\n"
  "    end\n"
  "    return nil\n"
  "  end\n"
  "  -- Refused: a message naming the source and line, and a fault table whose good\n"
  "  -- part (the text before fault.offset) parses to exactly the rows it reports.\n"
  "  if type(rows) ~= 'string' or not rows:find('^fuzz:%d+: ') then\n"
  "    return 'refusal without a fuzz:<line>: message: ' .. tostring(rows)\n"
  "  end\n"
  "  if type(fault) ~= 'table' then return 'refusal without a fault table' end\n"
  "  local off = fault.offset\n"
  "  if math.type(off) ~= 'integer' or off < 1 or off > #text + 1 then\n"
  "    return 'fault.offset out of range: ' .. tostring(off)\n"
  "  end\n"
  "  if fault.header then\n"
  "    local good_h, good_rows = csv.parse(text:sub(1, off - 1), 'good')\n"
  "    if not good_h then return 'the good part does not parse: ' .. tostring(good_rows) end\n"
  "    if not same(good_h, fault.header) or not same(good_rows, fault.rows) then\n"
  "      return 'the good part parses to other rows than the fault reports'\n"
  "    end\n"
  "  elseif #fault.rows ~= 0 then\n"
  "    return 'rows reported without a header'\n"
  "  end\n"
  "  return nil\n"
  "end\n";

static lua_State *L;
static int check_ref = LUA_NOREF;

static void line_hook(lua_State *l, lua_Debug *ar)
{
  (void)l;
  unsigned edge = ((unsigned)prev_line * 2654435761u) ^ (unsigned)ar->currentline;
  counters[edge % NCOUNTERS]++;
  prev_line = ar->currentline;
}

/* Loads csv.lua ($ACTLAB_CSV_LUA or the path compiled in) and the driver, once. */
static int setup(void)
{
  if (L)
    return 1;
  const char *path = getenv("ACTLAB_CSV_LUA");
  if (path == NULL || *path == '\0')
    path = CSV_LUA_PATH;
  L = luaL_newstate();
  if (L == NULL)
    return 0;
  luaL_openlibs(L);
  if (luaL_dofile(L, path) != LUA_OK || !lua_istable(L, -1) ||
      luaL_loadbuffer(L, DRIVER, sizeof DRIVER - 1, "=driver") != LUA_OK) {
    fprintf(stderr, "fuzz_csv: cannot load %s: %s\n", path, lua_tostring(L, -1));
    exit(2);
  }
  lua_insert(L, -2);                /* driver, csv */
  if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
    fprintf(stderr, "fuzz_csv: driver: %s\n", lua_tostring(L, -1));
    exit(2);
  }
  check_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_sethook(L, line_hook, LUA_MASKLINE, 0);
  return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (!setup())
    return 0;
  prev_line = 0;
  lua_rawgeti(L, LUA_REGISTRYINDEX, check_ref);
  lua_pushlstring(L, (const char *)data, size);
  int st = lua_pcall(L, 1, 1, 0);
  if (st == LUA_ERRMEM) {
    lua_pop(L, 1);
    return 0;
  }
  if (st != LUA_OK || !lua_isnil(L, -1)) {
    fprintf(stderr, "fuzz_csv: %s: %s\n", st == LUA_OK ? "property failed" : "driver error",
            lua_tostring(L, -1));
    __builtin_trap();
  }
  lua_pop(L, 1);
  return 0;
}
