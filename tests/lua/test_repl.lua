-- The REPL driven through a pseudo-terminal (util-linux `script`): expression
-- printing, multi-line chunks, errors, Ctrl-C, history; and the printer actlab.show.
local T = dofile((os.getenv("ACTLAB_SOURCE_DIR") or ".") .. "/tests/lua/testlib.lua")
local q = T.quote
local show = require("actlab.show").show

T.test("show prints numbers with %.6g and integers exactly", function()
  T.assert_eq(show(1 / 3), "0.333333")
  T.assert_eq(show(123456789), "123456789")
  T.assert_eq(show(2.5e-10), "2.5e-10")
  T.assert_eq(show(0 / 0), "nan")
  T.assert_eq(show(-math.huge), "-inf")
end)

T.test("show prints a string as itself at the top, quoted inside tables", function()
  T.assert_eq(show("hi"), "hi")
  T.assert_eq(show({"a\nb"}), '{"a\\nb"}')
end)

T.test("show prints tables readably: sequence, then sorted keys", function()
  T.assert_eq(show({}), "{}")
  T.assert_eq(show({1, 2, 3}), "{1, 2, 3}")
  T.assert_eq(show({b = 2, a = 1, 10, ["x y"] = true, [5] = 0}),
    '{10, [5] = 0, a = 1, b = 2, ["x y"] = true}')
  T.assert_eq(show({["end"] = 1}), '{["end"] = 1}')
end)

T.test("show breaks a long table over lines with indentation", function()
  local t = {name = string.rep("n", 40), values = {1, 2, 3}, more = string.rep("m", 40)}
  T.assert_eq(show(t), '{\n  more = "' .. string.rep("m", 40) .. '",\n  name = "' ..
    string.rep("n", 40) .. '",\n  values = {1, 2, 3}\n}')
end)

T.test("show marks cycles and stops at the depth limit", function()
  local t = {}
  t.self = t
  T.assert_eq(show(t), "{self = <cycle>}")
  T.assert_eq(show({{{{{1}}}}}), "{{{{{…}}}}}")
  local shared = {1}
  T.assert_eq(show({shared, shared}), "{{1}, {1}}")
end)

T.test("show limits the entries of a huge table", function()
  local t = {}
  for i = 1, 100 do t[i] = 0 end
  -- Short values share lines of at most 78 columns: "  " plus 3 per "0," or "0, "
  -- holds 25 zeros; the 40 shown take 25 + 15.
  local zeros = "  " .. string.rep("0, ", 24) .. "0,\n  " .. string.rep("0, ", 14) .. "0,\n"
  T.assert_eq(show(t), "{\n" .. zeros .. "  … (60 more)\n}")
end)

T.test("show prints a matrix in full at the top and by its first line inside tables", function()
  local m = actlab.matrix{{1, 2}, {3, 4}}
  T.assert_eq(show(m), tostring(m))
  T.assert_eq(show({w = m}), "{w = matrix 2×2 …}")
end)

-- ---- Sessions through a pseudo-terminal ----

local bin = os.getenv("ACTLAB_BIN")
if not bin or bin == "" then T.skip("ACTLAB_BIN is not set") end
if select(2, T.run("command -v script")) ~= 0 then T.skip("no util-linux script") end
local tmp = T.tmpdir() .. "/repl"
os.execute("mkdir -p " .. q(tmp))

-- printf-safe octal escapes for any text, control characters included.
local function printf(text)
  return "printf '" .. text:gsub(".", function(c) return string.format("\\%03o", c:byte()) end) .. "'"
end

-- Runs the REPL on a terminal. Each step is a string to type or {text, n}: wait until
-- the terminal has shown text n times (default 1), so control keys go to a REPL that
-- is ready for them. Returns the terminal's output (\r\n made \n) and exit status.
local function session(steps, history)
  local ts = tmp .. "/typescript"
  os.remove(ts)
  local feed = {"wait_for() { i=0; while [ \"$(grep -o -F -e \"$1\" " .. q(ts) ..
    " 2>/dev/null | wc -l)\" -lt \"$2\" ] && [ $i -lt 500 ]; do sleep 0.02; i=$((i+1)); done; }"}
  for _, s in ipairs(steps) do
    feed[#feed + 1] = type(s) == "table" and ("wait_for " .. q(s[1]) .. " " .. (s[2] or 1))
      or printf(s)
  end
  local env = "INPUTRC=/dev/null TERM=dumb ACTLAB_HISTORY=" .. q(history or "")
  -- script runs the command through $SHELL -c; exec makes actlab the terminal's only
  -- process, so Ctrl-C reaches it alone (dash would otherwise stay, take the SIGINT
  -- and die of it).
  local cmd = "{ " .. table.concat(feed, "; ") .. "; } | timeout 30 script -qfec " ..
    q("exec env " .. env .. " " .. q(bin)) .. " " .. q(ts) .. " >/dev/null"
  local _, code = T.run(cmd)
  local f = assert(io.open(ts))
  local out = f:read("a")
  f:close()
  return (out:gsub("\r\n", "\n")), code
end

local function has(out, text)
  T.assert_true(out:find(text, 1, true), "output lacks " .. string.format("%q", text) ..
    ":\n" .. out)
end

T.test("the REPL prints expressions, runs multi-line chunks, survives errors", function()
  local out, code = session({
    "1 + 1\n",
    "{1, 2, x = 'y'}\n",
    "function f(a)\n", "return a * 2\n", "end\n",
    "f(21)\n",
    "error('boom')\n",
    "'still ' .. 'here'\n",
    "local a = 1\n",
    "actlab.matrix{{1, 2}, {3, 4}}\n",
    "1, nil, 3\n",
    "os.exit(0)\n",
  })
  T.assert_eq(code, 0)
  has(out, "actlab 0.1.0 (commit ")
  has(out, "> 1 + 1\n2\n")
  has(out, "\n{1, 2, x = \"y\"}\n")
  has(out, "> function f(a)\n>> return a * 2\n>> end\n> f(21)\n42\n")
  has(out, "actlab: stdin:1: boom\nstack traceback:")
  has(out, "\nstill here\n")
  has(out, "> local a = 1\n> actlab")
  has(out, "matrix 2×2\n  1 2\n  3 4\n")
  has(out, "\n1\tnil\t3\n")
end)

T.test("an incomplete chunk at end of input is reported, then the REPL exits", function()
  local out, code = session({"for i = 1, 2 do\n", {">> "}, "\004", {"<eof>"}, {"> ", 3}, "\004"})
  T.assert_eq(code, 0)
  has(out, "actlab: stdin:1: 'end' expected near <eof>")
end)

T.test("Ctrl-C cancels the line being typed and stops a running chunk", function()
  local out, code = session({
    {"> "}, "error('cancelled line ran')", {"ran')"}, "\003", {"> ", 2},
    "io.write('LOOP' .. 'ING\\n') io.flush() while true do end\n", {"LOOPING"}, "\003",
    {"interrupted!"}, "6 * 7\n", "os.exit(0)\n",
  })
  T.assert_eq(code, 0)
  T.assert_true(not out:find("actlab: stdin:1: cancelled line ran", 1, true), out)
  has(out, "actlab: interrupted!")
  has(out, "> 6 * 7\n42\n")
end)

T.test("Ctrl-C stops a training run in C and returns to the prompt", function()
  -- 100000 epochs would take far longer than the session's 30 s.
  local out, code = session({
    "net = actlab.mlp{inputs = 20, hidden = {50}, outputs = 3, activation = 'relu'}\n",
    "y = {} for i = 1, 500 do y[i] = i % 3 end\n",
    "data = actlab.data{x = actlab.matrix.random(500, 20, {seed = 1}), y = y, classes = 3}\n",
    "io.write('TRAIN' .. 'ING\\n') io.flush() actlab.train(net, data, {lr = 0.01, batch = 10, epochs = 100000})\n",
    {"TRAINING"}, "\003", {"training interrupted"}, "6 * 7\n", "os.exit(0)\n",
  })
  T.assert_eq(code, 0)
  has(out, "actlab: stdin:1: training interrupted in epoch ")
  has(out, "> 6 * 7\n42\n")
end)

T.test("Ctrl-D at an empty prompt ends the REPL with status 0", function()
  local out, code = session({{"> "}, "\004"})
  T.assert_eq(code, 0)
  has(out, "> ")
end)

T.test("history is kept across sessions", function()
  local hist = tmp .. "/history"
  os.remove(hist)
  session({"function g()\n", "return 'g ran'\n", "end\n", "6 * 7\n", "os.exit(0)\n"}, hist)
  local f = assert(io.open(hist))
  local text = f:read("a")
  f:close()
  has(text, "\n6 * 7\n")
  has(text, "\nfunction g()\nreturn 'g ran'\nend\n")
  -- Ctrl-P recalls the previous session's entries, newest first; the multi-line
  -- chunk comes back whole.
  local out = session({{"> "}, "\016\016\n", {"42"}, "\016\016\016\016\n", {"> ", 3}, "g()\n",
    "os.exit(0)\n"}, hist)
  has(out, "\n42\n")
  has(out, "\ng ran\n")
end)

T.done()
