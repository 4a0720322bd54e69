-- The matrix binding: construction, methods, operators, tostring and the exact text
-- of its argument errors. Products are checked against values worked out by hand.
local T = dofile((os.getenv("ACTLAB_SOURCE_DIR") or ".") .. "/tests/lua/testlib.lua")
local M = actlab.matrix

-- Table-driven error checks: each case is {code, message}; the code runs as
-- `return <code>` with the names in env visible (so calls are spelled as a user would).
local function errors(cases, env)
  env = setmetatable(env or {}, {__index = _G})
  for _, case in ipairs(cases) do
    local fn = assert(load("return " .. case[1], "=case", "t", env))
    T.assert_error_eq(fn, case[2], case[1])
  end
end

T.test("matrix(rows, cols) is zero-filled with that shape", function()
  local m = M(2, 3)
  local r, c = m:shape()
  T.assert_eq({r, c}, {2, 3})
  T.assert_eq(m:totable(), {{0, 0, 0}, {0, 0, 0}})
end)

T.test("matrix(rows, cols, fill) fills every entry", function()
  T.assert_eq(M(2, 2, 1.5):totable(), {{1.5, 1.5}, {1.5, 1.5}})
end)

T.test("matrix{rows} takes rows of numbers", function()
  local m = M{{1, 2, 3}, {4, 5, 6}}
  T.assert_eq({m:shape()}, {2, 3})
  T.assert_eq(m:totable(), {{1, 2, 3}, {4, 5, 6}})
end)

T.test("entries are float32", function()
  -- 0.1 is not a float32; the nearest float32 is 0.100000001490116119384765625.
  T.assert_eq(M(1, 1, 0.1):get(1, 1), 0.100000001490116119384765625)
  T.assert_eq(M{{16777217}}:get(1, 1), 16777216.0)
end)

T.test("size errors name the argument", function()
  errors{
    {"actlab.matrix(0, 2)", "bad argument #1 to 'matrix' (positive integer expected, got 0)"},
    {"actlab.matrix(2, -1)", "bad argument #2 to 'matrix' (positive integer expected, got -1)"},
    {"actlab.matrix(2, 2.5)",
     "bad argument #2 to 'matrix' (number has no integer representation)"},
    {"actlab.matrix(2)", "bad argument #2 to 'matrix' (number expected, got no value)"},
    {"actlab.matrix(2, 2, 'x')", "bad argument #3 to 'matrix' (number expected, got string)"},
    {"actlab.matrix('x')", "bad argument #1 to 'matrix' (number or table expected, got string)"},
  }
end)

T.test("an impossible size is an error, not a crash", function()
  T.assert_error_match(function() return M(2147483647, 2147483647) end,
    "not enough memory for a 2147483647×2147483647 matrix", nil, true)
end)

T.test("table errors say which row is wrong", function()
  errors{
    {"actlab.matrix{}", "bad argument #1 to 'matrix' (rows of numbers expected, got an empty table)"},
    {"actlab.matrix{{}}", "bad argument #1 to 'matrix' (row 1 has no numbers)"},
    {"actlab.matrix{{1, 2}, {3, 4, 5}}", "bad argument #1 to 'matrix' (row 2 has 3 numbers, expected 2)"},
    {"actlab.matrix{{1, 2}, {3}}", "bad argument #1 to 'matrix' (row 2 has 1 numbers, expected 2)"},
    {"actlab.matrix{{1, 2}, {3, '4'}}",
     "bad argument #1 to 'matrix' (row 2, column 2: number expected, got string)"},
    {"actlab.matrix{{1}, 2}",
     "bad argument #1 to 'matrix' (row 2: table of numbers expected, got number)"},
  }
end)

T.test("get and set are 1-based", function()
  local m = M(2, 3)
  m:set(2, 3, 7)
  m:set(1, 1, -2)
  T.assert_eq(m:get(2, 3), 7)
  T.assert_eq(m:totable(), {{-2, 0, 0}, {0, 0, 7}})
end)

T.test("get and set check their indices", function()
  local m = M(2, 3)
  errors({
    {"m:get(3, 1)", "bad argument #1 to 'get' (row index in 1..2 expected, got 3)"},
    {"m:get(1, 0)", "bad argument #2 to 'get' (column index in 1..3 expected, got 0)"},
    {"m:set(0, 1, 1)", "bad argument #1 to 'set' (row index in 1..2 expected, got 0)"},
    {"m:set(1, 4, 1)", "bad argument #2 to 'set' (column index in 1..3 expected, got 4)"},
    {"m:set(1, 1, 'x')", "bad argument #3 to 'set' (number expected, got string)"},
    {"m:set(1, 1)", "bad argument #3 to 'set' (number expected, got no value)"},
    {"m.get(5, 1, 1)", "bad argument #1 to 'get' (matrix expected, got number)"},
  }, {m = m})
end)

T.test("t transposes into a new matrix", function()
  local m = M{{1, 2, 3}, {4, 5, 6}}
  local t = m:t()
  T.assert_eq(t:totable(), {{1, 4}, {2, 5}, {3, 6}})
  t:set(1, 1, 9)
  T.assert_eq(m:get(1, 1), 1)
end)

T.test("copy is independent of the original", function()
  local m = M{{1, 2}}
  local c = m:copy()
  c:set(1, 2, 5)
  T.assert_eq(m:totable(), {{1, 2}})
  T.assert_eq(c:totable(), {{1, 5}})
end)

T.test("rows copies a block of rows", function()
  local m = M{{1, 2}, {3, 4}, {5, 6}}
  T.assert_eq(m:rows(2, 2):totable(), {{3, 4}, {5, 6}})
  T.assert_eq(m:rows(1, 1):totable(), {{1, 2}})
  errors({
    {"m:rows(4, 1)", "bad argument #1 to 'rows' (row index in 1..3 expected, got 4)"},
    {"m:rows(2, 3)", "bad argument #2 to 'rows' (count in 1..2 expected, got 3)"},
    {"m:rows(2, 0)", "bad argument #2 to 'rows' (count in 1..2 expected, got 0)"},
  }, {m = m})
end)

T.test("m * n is the matrix product", function()
  -- Worked by hand: [1 2; 3 4] [5 6; 7 8] = [19 22; 43 50].
  local p = M{{1, 2}, {3, 4}} * M{{5, 6}, {7, 8}}
  T.assert_eq(p:totable(), {{19, 22}, {43, 50}})
  -- (1×3)(3×1) = 1·4 + 2·5 + 3·6 = 32; (3×1)(1×3) is the outer product.
  T.assert_eq((M{{1, 2, 3}} * M{{4}, {5}, {6}}):totable(), {{32}})
  T.assert_eq((M{{1}, {2}} * M{{3, 4}}):totable(), {{3, 4}, {6, 8}})
end)

T.test("a product of mismatched shapes says what was expected", function()
  local a, b = M(2, 3), M(4, 5)
  errors({{"a * b", "bad argument #2 to 'mul' (matrix of 3 rows expected, got 4)"}}, {a = a, b = b})
end)

T.test("a number scales from either side", function()
  local m = M{{1, -2}, {3, 0.5}}
  T.assert_eq((m * 2):totable(), {{2, -4}, {6, 1}})
  T.assert_eq((2 * m):totable(), {{2, -4}, {6, 1}})
  T.assert_eq(m:totable(), {{1, -2}, {3, 0.5}})
end)

T.test("+, - and unary - are elementwise", function()
  local a, b = M{{1, 2}, {3, 4}}, M{{10, 20}, {30, 40}}
  T.assert_eq((a + b):totable(), {{11, 22}, {33, 44}})
  T.assert_eq((b - a):totable(), {{9, 18}, {27, 36}})
  T.assert_eq((-a):totable(), {{-1, -2}, {-3, -4}})
end)

T.test("operator errors name the operation and the operand", function()
  local a = M(2, 3)
  errors({
    {"a + M(3, 2)", "bad argument #2 to 'add' (matrix of 2×3 expected, got 3×2)"},
    {"a - M(2, 2)", "bad argument #2 to 'sub' (matrix of 2×3 expected, got 2×2)"},
    {"a + 1", "bad argument #2 to 'add' (matrix expected, got number)"},
    {"1 - a", "bad argument #1 to 'sub' (matrix expected, got number)"},
    {"a * 'x'", "bad argument #2 to 'mul' (matrix or number expected, got string)"},
    {"{} * a", "bad argument #1 to 'mul' (matrix or number expected, got table)"},
  }, {a = a, M = M})
end)

T.test("tostring shows the shape and the values", function()
  T.assert_eq(tostring(M{{1, 2}, {3, 4}}), "matrix 2×2\n  1 2\n  3 4")
  -- Right-aligned to the widest value shown.
  T.assert_eq(tostring(M{{1.5, -20}, {3, 4}}), "matrix 2×2\n  1.5 -20\n    3   4")
end)

T.test("tostring of a large matrix shows a 6×6 corner with ellipses", function()
  local m = M(8, 7, 1)
  local expected = "matrix 8×7" .. string.rep("\n  1 1 1 1 1 1 …", 6) .. "\n  …"
  T.assert_eq(tostring(m), expected)
end)

T.test("a closed matrix refuses use and prints as closed", function()
  local m = M(2, 2)
  do
    local c <close> = m
  end
  T.assert_eq(tostring(m), "matrix (closed)")
  errors({
    {"m:get(1, 1)", "calling 'get' on bad self (matrix is closed)"},
    {"m + m", "bad argument #1 to 'add' (matrix is closed)"},
  }, {m = m})
end)

T.test("random is seeded: same seed same values, uniform within [lo, hi)", function()
  local a = M.random(20, 30, {seed = 7, lo = -2, hi = 3})
  local b = M.random(20, 30, {seed = 7, lo = -2, hi = 3})
  local c = M.random(20, 30, {seed = 8, lo = -2, hi = 3})
  T.assert_eq(a:totable(), b:totable())
  T.assert_true(a:get(1, 1) ~= c:get(1, 1) or a:get(1, 2) ~= c:get(1, 2), "seeds differ")
  local lo, hi = math.huge, -math.huge
  for _, row in ipairs(a:totable()) do
    for _, v in ipairs(row) do lo, hi = math.min(lo, v), math.max(hi, v) end
  end
  T.assert_true(lo >= -2 and hi < 3, "range")
  T.assert_true(lo < -1.5 and hi > 2.5, "spread over the range")
end)

T.test("random normal has the requested mean and std", function()
  local n = 20000
  local t = M.random(n, 1, {dist = "normal", mean = 3, std = 2, seed = 1}):totable()
  local s, s2 = 0, 0
  for i = 1, n do s = s + t[i][1]; s2 = s2 + t[i][1] ^ 2 end
  local mean = s / n
  local std = math.sqrt(s2 / n - mean ^ 2)
  -- Standard errors: 2/sqrt(n) ≈ 0.014 for the mean, ≈ 0.01 for the std.
  T.assert_near(mean, 3, 0.07)
  T.assert_near(std, 2, 0.06)
end)

T.test("random checks its options", function()
  errors{
    {"actlab.matrix.random(2, 2, {dist = 'poisson'})",
     "bad option 'dist' to 'random' ('uniform' or 'normal' expected, got 'poisson')"},
    {"actlab.matrix.random(2, 2, {lo = 1, hi = 1})",
     "bad option 'hi' to 'random' (number above lo expected, got 1)"},
    {"actlab.matrix.random(2, 2, {std = -1})",
     "bad option 'std' to 'random' (non-negative number expected, got -1)"},
    {"actlab.matrix.random(2, 2, {seed = 1.5})",
     "bad option 'seed' to 'random' (non-negative integer expected, got 1.5)"},
    {"actlab.matrix.random(2, 2, {sigma = 1})",
     "bad option 'sigma' to 'random' (unknown option; valid: seed, dist, lo, hi, mean, std)"},
    {"actlab.matrix.random(2, 2, {mean = 'x'})",
     "bad option 'mean' to 'random' (finite number expected, got 'x')"},
    {"actlab.matrix.random(2, 2, {mean = 1 / 0})",
     "bad option 'mean' to 'random' (finite number expected, got inf)"},
    {"actlab.matrix.random(2, 2, 5)", "bad argument #3 to 'random' (table expected, got number)"},
  }
end)

T.test("the collector frees matrices dropped in a loop", function()
  -- 600 matrices of 1 MiB each: without telling the collector about their storage
  -- the small userdata would never trigger a cycle and all 600 MiB would stay alive.
  local function rss_mb()
    local f = io.open("/proc/self/statm")
    if not f then return nil end
    local pages = f:read("n")
    pages = f:read("n")
    f:close()
    return pages * 4096 / 2 ^ 20
  end
  local before = rss_mb()
  if not before then return end
  for _ = 1, 600 do local _ = M(512, 512) end
  local grown = rss_mb() - before
  T.assert_true(grown < 350, string.format("resident memory grew by %.0f MiB", grown))
end)

T.done()
