-- Tiny helpers shared by tests/lua/test_*.lua. Load with
--   local T = dofile((os.getenv("ACTLAB_SOURCE_DIR") or ".") .. "/tests/lua/testlib.lua")
-- then T.test("name", function() ... end) for each behaviour and T.done() at the end.
local T = {}

local passed, failed = 0, 0

local function show(v, depth)
  if type(v) == "string" then return string.format("%q", v) end
  if type(v) ~= "table" or (depth or 0) > 3 then return tostring(v) end
  local parts = {}
  for k, x in pairs(v) do parts[#parts + 1] = "[" .. show(k, 4) .. "]=" .. show(x, (depth or 0) + 1) end
  table.sort(parts)
  return "{" .. table.concat(parts, ", ") .. "}"
end

-- Deep equality for tables (keys and values), == for everything else.
local function deep_eq(a, b)
  if type(a) ~= "table" or type(b) ~= "table" then return a == b end
  for k, v in pairs(a) do
    if not deep_eq(v, b[k]) then return false end
  end
  for k in pairs(b) do
    if a[k] == nil then return false end
  end
  return true
end

local function fail(msg, what)
  error((what and what .. ": " or "") .. msg, 3)
end

function T.assert_true(v, what)
  if not v then fail("expected a true value, got " .. show(v), what) end
end

-- Equal, deep for tables.
function T.assert_eq(got, expected, what)
  if not deep_eq(got, expected) then
    fail("expected " .. show(expected) .. ", got " .. show(got), what)
  end
end

-- |got - expected| <= tol (default 1e-6), elementwise for (nested) tables of numbers;
-- a matrix is compared through its :totable().
local function near(got, expected, tol, path)
  if type(got) == "userdata" and got.totable then got = got:totable() end
  if type(expected) == "table" then
    if type(got) ~= "table" then return path .. ": expected a table, got " .. show(got) end
    if #got ~= #expected then
      return path .. ": expected " .. #expected .. " entries, got " .. #got
    end
    for i = 1, #expected do
      local err = near(got[i], expected[i], tol, path .. "[" .. i .. "]")
      if err then return err end
    end
    return nil
  end
  if type(got) ~= "number" or math.abs(got - expected) > tol
      or (got ~= got) ~= (expected ~= expected) then
    return path .. ": expected " .. show(expected) .. " (±" .. tol .. "), got " .. show(got)
  end
  return nil
end

function T.assert_near(got, expected, tol, what)
  local err = near(got, expected, tol or 1e-6, "value")
  if err then fail(err, what) end
end

-- Calls fn (with the extra arguments); it must raise an error. Returns the message
-- with any leading "chunk:line: " position removed.
local function error_of(fn, ...)
  local ok, msg = pcall(fn, ...)
  if ok then error("expected an error, got none", 3) end
  msg = tostring(msg)
  return (msg:gsub("^[^\n]-:%d+: ", "", 1))
end

-- The error message (position removed) equals expected exactly.
function T.assert_error_eq(fn, expected, what)
  local msg = error_of(fn)
  if msg ~= expected then
    fail("expected error " .. show(expected) .. ", got " .. show(msg), what)
  end
end

-- The error message matches a Lua pattern (plain = true for a plain substring).
function T.assert_error_match(fn, pattern, what, plain)
  local msg = error_of(fn)
  if not msg:find(pattern, 1, plain) then
    fail("expected error matching " .. show(pattern) .. ", got " .. show(msg), what)
  end
end

-- Runs one named test; a failure is reported and counted, the file goes on.
function T.test(name, fn)
  local ok, err = xpcall(fn, debug.traceback)
  if ok then
    passed = passed + 1
    print("ok    " .. name)
  else
    failed = failed + 1
    print("FAIL  " .. name .. "\n" .. tostring(err))
  end
end

-- Prints the closing line; raises an error (so the file exits non-zero) on failure.
function T.done()
  print(string.format("%d passed, %d failed", passed, failed))
  if failed > 0 then error(failed .. " test(s) failed", 0) end
end

-- Ends the file as skipped (ctest's SKIP_RETURN_CODE is 77), e.g. data not installed.
function T.skip(reason)
  print("skipped: " .. reason)
  os.exit(77)
end

-- A scratch directory: $ACTLAB_TEST_TMP (created if needed) or a fresh one under /tmp.
function T.tmpdir()
  local dir = os.getenv("ACTLAB_TEST_TMP")
  if not dir or dir == "" then
    local name = os.tmpname()
    os.remove(name)
    dir = name .. ".d"
  end
  os.execute("mkdir -p '" .. dir .. "'")
  return dir
end

-- Shell-quotes a string for use in a command line.
function T.quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

-- Writes text to path (raising an error if it cannot) and returns path.
function T.write(path, text)
  local f = assert(io.open(path, "wb"))
  assert(f:write(text))
  assert(f:close())
  return path
end

-- The whole content of path, or nil when it cannot be opened.
function T.read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

-- Wall-clock seconds (fractional), for tests that scale their work to the build's speed.
function T.now()
  local p = io.popen("date +%s.%N")
  local t = tonumber(p:read("l"))
  p:close()
  return t
end

-- Runs a shell command; returns its output (stderr merged into stdout) and exit code.
function T.run(cmd)
  local p = assert(io.popen("(" .. cmd .. ") 2>&1", "r"))
  local out = p:read("a")
  local _, how, code = p:close()
  if how == "signal" then code = 128 + code end
  return out, code
end

return T
