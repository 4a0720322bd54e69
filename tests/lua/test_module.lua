-- The C module (actlab.so in $ACTLAB_MODULE_DIR) loaded by Debian's plain lua5.4:
-- require "actlab" works, the bindings run, and the Lua-side library is found.
local T = dofile((os.getenv("ACTLAB_SOURCE_DIR") or ".") .. "/tests/lua/testlib.lua")
local q = T.quote

local dir = os.getenv("ACTLAB_MODULE_DIR")
if not dir or dir == "" then T.skip("ACTLAB_MODULE_DIR is not set") end
if select(2, T.run("command -v lua5.4")) ~= 0 then T.skip("no lua5.4 interpreter") end

-- A module built with sanitizers needs their runtime loaded first into the plain
-- interpreter; take it from the module's own dependencies.
local preload = ""
local deps = T.run("ldd " .. q(dir .. "/actlab.so"))
local asan = deps:match("(/%S*libasan%.so[%.%d]*)")
if asan then preload = "LD_PRELOAD=" .. q(asan) .. " ASAN_OPTIONS=detect_leaks=0 " end

-- Runs Lua code in lua5.4 with the module directory first on package.cpath and
-- package.path left as Debian sets it.
local function lua(code, env)
  local prologue = "package.cpath = " .. string.format("%q", dir .. "/?.so;") .. " .. package.cpath; "
  return T.run("cd /tmp && " .. preload .. (env or "") .. " lua5.4 -e " .. q(prologue .. code))
end

T.test("require 'actlab' from lua5.4 gives the module table", function()
  local out, code = lua([[
local al = require "actlab"
print(type(al), al.version, type(al.git_commit), package.loaded.actlab == al, actlab)]])
  T.assert_eq({out, code}, {"table\t0.1.0\tstring\ttrue\tnil\n", 0})
end)

T.test("the bindings work inside lua5.4", function()
  local out, code = lua([[
local al = require "actlab"
local m = al.matrix{{1, 2}, {3, 4}} * al.matrix{{5, 6}, {7, 8}}
local _, err = pcall(function() return al.matrix(0, 1) end)
print(m:get(1, 1), m:get(2, 2), (err:gsub("^.-:%d+: ", "")))]])
  T.assert_eq({out, code}, {"19.0\t50.0\tbad argument #1 to 'matrix' (positive integer expected, got 0)\n", 0})
end)

T.test("the Lua-side library loads lazily as fields of the module", function()
  local out, code = lua([[
local al = require "actlab"
print(type(al.show), al.show == require "actlab.show", al.no_such_module)]])
  T.assert_eq({out, code}, {"table\ttrue\tnil\n", 0})
end)

T.test("loading the module twice adds its library path once", function()
  local out, code = lua([[
require "actlab"
local p = package.path
package.loaded.actlab = nil
require "actlab"
print(p == package.path)]])
  T.assert_eq({out, code}, {"true\n", 0})
end)

T.test("$ACTLAB_LUA_PATH comes first on package.path", function()
  local out, code = lua([[require "actlab"; print((package.path:match("^[^;]*")))]],
    "ACTLAB_LUA_PATH=/opt/x")
  T.assert_eq({out, code}, {"/opt/x/?.lua\n", 0})
end)

T.test("actlab.interrupted() is false outside the program", function()
  local out, code = lua([[print(require("actlab").interrupted())]])
  T.assert_eq({out, code}, {"false\n", 0})
end)

T.done()
