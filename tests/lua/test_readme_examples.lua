-- README's Lua examples run as written, and print what README says they print
-- ("--> " lines), so the documentation cannot drift from the program.
local T = dofile((os.getenv("ACTLAB_SOURCE_DIR") or ".") .. "/tests/lua/testlib.lua")

local bin = os.getenv("ACTLAB_BIN") or T.skip("ACTLAB_BIN not set")
local source = os.getenv("ACTLAB_SOURCE_DIR") or "."

-- The ```lua blocks of README, each with its expected output lines: a line "--> text",
-- or the text after "-->" at the end of a code line.
local function examples(text)
  local blocks = {}
  for code in text:gmatch("```lua\n(.-)```") do
    local expected = {}
    for line in code:gmatch("[^\n]*") do
      local shown = line:match("%-%->%s*(.-)%s*$")
      if shown then expected[#expected + 1] = shown end
    end
    blocks[#blocks + 1] = {code = code, expected = expected}
  end
  return blocks
end

local function words(s)
  local w = {}
  for x in s:gmatch("%S+") do w[#w + 1] = x end
  return w
end

-- A printed line matches a shown one when their words agree, numbers to within two
-- units of the last digit README shows (the output may print more digits).
local function matches(printed, shown)
  local a, b = words(printed), words(shown)
  if #a ~= #b then return false end
  for i = 1, #b do
    local x, y = tonumber(a[i]), tonumber(b[i])
    if y then
      local decimals = #(b[i]:match("%.(%d+)") or "")
      if not x or math.abs(x - y) > 2 * 10 ^ -decimals then return false end
    elseif a[i] ~= b[i] then
      return false
    end
  end
  return true
end

local f = assert(io.open(source .. "/README.md"))
local blocks = examples(f:read("a"))
f:close()

T.test("README has Lua examples with shown output", function()
  T.assert_true(#blocks >= 2, "lua blocks in README")
  local shown = 0
  for _, b in ipairs(blocks) do shown = shown + #b.expected end
  T.assert_true(shown >= 5, "--> lines in README")
end)

for i, b in ipairs(blocks) do
  T.test("README example " .. i .. " runs and prints what README shows", function()
    local dir = T.tmpdir()
    local path = dir .. "/example.lua"
    local out = assert(io.open(path, "w"))
    out:write(b.code)
    out:close()
    -- one BLAS thread: the numbers README shows were made that way
    local text, code = T.run("cd " .. T.quote(dir) .. " && " .. T.quote(bin) ..
      " --threads 1 example.lua")
    T.assert_eq(code, 0, "exit status of example " .. i .. ":\n" .. text)
    local lines = {}
    for line in text:gmatch("[^\n]+") do lines[#lines + 1] = line end
    local at = 1
    for _, want in ipairs(b.expected) do
      while at <= #lines and not matches(lines[at], want) do at = at + 1 end
      if at > #lines then
        error("README shows '" .. want .. "' but example " .. i .. " printed:\n" .. text, 0)
      end
      at = at + 1
    end
  end)
end

T.done()
