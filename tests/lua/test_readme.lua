-- README.md's activation table is generated, not typed: scripts/activation-table.lua is
-- run here and its output compared with README's text between the markers.
-- ACTLAB_README names another file to check (a copy, while developing).
local T = dofile((os.getenv("ACTLAB_SOURCE_DIR") or ".") .. "/tests/lua/testlib.lua")

local SRC = os.getenv("ACTLAB_SOURCE_DIR") or "."
local SCRIPT = SRC .. "/scripts/activation-table.lua"
local BEGIN, END = "<!-- activations:begin -->", "<!-- activations:end -->"
local HOW = "paste the output of `build/actlab scripts/activation-table.lua` between "
            .. BEGIN .. " and " .. END

-- The table as the lead produces it: the program running the script.
local function generate()
  local bin = os.getenv("ACTLAB_BIN") or arg[-1]
  local out = T.tmpdir() .. "/activation-table.md"
  local errs, code = T.run(T.quote(bin) .. " " .. T.quote(SCRIPT) .. " > " .. T.quote(out))
  if code ~= 0 then error("activation-table.lua failed (" .. code .. "): " .. errs) end
  local f = assert(io.open(out, "r"))
  local text = f:read("a")
  f:close()
  return text
end

local function trim(s)
  return (s:gsub("^%s+", ""):gsub("%s+$", ""))
end

local function lines(s)
  local t = {}
  for line in (s .. "\n"):gmatch("(.-)\n") do t[#t + 1] = line end
  return t
end

-- nil when the file at path holds table between the markers, else why not.
local function check(path, table_text)
  local f, err = io.open(path, "r")
  if not f then return "cannot read " .. err .. "; " .. HOW end
  local text = f:read("a")
  f:close()
  local b = text:find(BEGIN, 1, true)
  local e = text:find(END, 1, true)
  if not b or not e or e < b then
    return path .. " lacks the markers " .. BEGIN .. " ... " .. END .. ": add them and " .. HOW
  end
  local between = trim(text:sub(b + #BEGIN, e - 1))
  if between == "" then return path .. " has nothing between the markers: " .. HOW end
  local have = lines(between)
  local want = lines(trim(table_text))
  for i = 1, math.max(#have, #want) do
    if have[i] ~= want[i] then
      return string.format("%s's activation table is out of date (line %d is %s, expected %s): %s",
                           path, i, have[i] and string.format("%q", have[i]) or "missing",
                           want[i] and string.format("%q", want[i]) or "nothing", HOW)
    end
  end
  return nil
end

local generated = generate()

T.test("the generated table has a row per activation, in table order", function()
  local rows = lines(trim(generated))
  local list = actlab.activations()
  T.assert_eq(rows[1]:sub(1, 14), "| Activation |")
  for i, a in ipairs(list) do
    T.assert_eq(rows[i + 2]:match("^| `([%w_]+)` |"), a.name, "row " .. i)
  end
  T.assert_eq(rows[#list + 3], "", "a blank line after the last row")
end)

T.test("the generated table shows formulas, parameters, flags and properties", function()
  local by_name = {}
  for _, row in ipairs(lines(generated)) do
    local name = row:match("^| `([%w_]+)` |")
    if name then by_name[name] = row end
  end
  T.assert_eq(by_name.sigmoid, "| `sigmoid` | `1/(1 + e^-x)` | — | — | 0.25 | (0, 1) |")
  T.assert_eq(by_name.relu, "| `relu` | `max(0, x)` | — | — | 1 | [0, ∞) |")
  T.assert_eq(by_name.softsign, "| `softsign` | `x/(1 + \\|x\\|)` | — | — | 1 | (-1, 1) |")
  T.assert_eq(by_name.leaky_relu,
    "| `leaky_relu` | `x if x > 0 else gamma*x` | `gamma` = 0.01 ∈ [0, 1e6] | — | 1 | (-∞, ∞) |")
  T.assert_true(by_name.prelu:find("| trainable |", 1, true), "prelu is trainable")
  T.assert_true(by_name.rrelu:find("| stochastic |", 1, true), "rrelu is stochastic")
  T.assert_true(by_name.step:find("`straight_through` = 0 ∈ {0, 1}", 1, true), "step's flag")
  T.assert_eq(by_name.softmax:sub(-#"| output-only, row-wise | — | — |"),
              "| output-only, row-wise | — | — |", "softmax")
end)

T.test("the check accepts the table between the markers and names what is wrong", function()
  local dir = T.tmpdir()
  local function readme(name, body) return T.write(dir .. "/" .. name, body) end
  local good = readme("good.md", "# actlab\n\n" .. BEGIN .. "\n" .. generated .. END .. "\n\nmore\n")
  T.assert_eq(check(good, generated), nil)
  local stale = readme("stale.md", BEGIN .. "\n" .. generated:gsub("0%.25", "0.3") .. END .. "\n")
  local msg = check(stale, generated)
  T.assert_true(msg and msg:find("out of date (line ", 1, true), msg)
  T.assert_true(msg:find('"| `sigmoid` | `1/(1 + e^-x)` | — | — | 0.3 | (0, 1) |"', 1, true), msg)
  local empty = readme("empty.md", BEGIN .. "\n" .. END .. "\n")
  T.assert_eq(check(empty, generated), empty .. " has nothing between the markers: " .. HOW)
  local bare = readme("bare.md", "# actlab\n")
  T.assert_eq(check(bare, generated), bare .. " lacks the markers " .. BEGIN .. " ... " .. END
              .. ": add them and " .. HOW)
  T.assert_true(check(dir .. "/absent.md", generated):find("^cannot read "), "a missing file")
end)

T.test("README.md's activation table is up to date", function()
  local path = os.getenv("ACTLAB_README") or (SRC .. "/README.md")
  local msg = check(path, generated)
  if msg then error(msg, 0) end
end)

T.done()
