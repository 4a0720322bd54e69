-- Readable text for any Lua value, as the REPL prints results: matrices through
-- tostring, tables recursively (depth-limited, cycles marked), numbers with %.6g.
local M = {}

M.max_depth = 4   -- deeper tables print as {…}
M.max_items = 40  -- entries shown per table before "… (n more)"
M.width = 78      -- a table that fits on one line within this prints on one line

local keywords = {}
for w in ([[and break do else elseif end false for function goto if in local nil not
            or repeat return then true until while]]):gmatch("%a+") do
  keywords[w] = true
end

local function number(v)
  if math.type(v) == "integer" then return tostring(v) end
  if v ~= v then return "nan" end
  if v == math.huge then return "inf" end
  if v == -math.huge then return "-inf" end
  return string.format("%.6g", v)
end

local function quote(s)
  return (string.format("%q", s):gsub("\\\n", "\\n"))
end

-- Keys in a stable order: numbers by value, then strings, then the rest by their text.
local type_rank = { number = 1, string = 2 }
local function key_less(a, b)
  local ra, rb = type_rank[type(a)] or 3, type_rank[type(b)] or 3
  if ra ~= rb then return ra < rb end
  if ra < 3 then return a < b end
  return tostring(a) < tostring(b)
end

local function key_text(k)
  if type(k) == "string" and k:match("^[%a_][%w_]*$") and not keywords[k] then return k end
  if type(k) == "number" then return "[" .. number(k) .. "]" end
  if type(k) == "string" then return "[" .. quote(k) .. "]" end
  return "[" .. tostring(k) .. "]"
end

local render

-- A table's entries as text: the sequence part 1..n as values, then the other keys.
local function entries(t, indent, depth, seen)
  local items, n = {}, 0
  while rawget(t, n + 1) ~= nil do n = n + 1 end
  local keys = {}
  for k in pairs(t) do
    if not (math.type(k) == "integer" and k >= 1 and k <= n) then keys[#keys + 1] = k end
  end
  table.sort(keys, key_less)
  local total = n + #keys
  for i = 1, math.min(total, M.max_items) do
    if i <= n then
      items[i] = render(t[i], indent, depth, seen)
    else
      local k = keys[i - n]
      items[i] = key_text(k) .. " = " .. render(t[k], indent, depth, seen)
    end
  end
  if total > M.max_items then items[#items + 1] = "… (" .. (total - M.max_items) .. " more)" end
  return items, math.min(n, M.max_items)
end

-- Multi-line layout: one keyed entry per line, but short sequence values share
-- lines up to the width, so a long list of numbers stays compact.
local function layout(items, nseq, indent)
  local pad = string.rep(" ", indent + 2)
  local lines, cur = {}, nil
  for i, item in ipairs(items) do
    local packable = i <= nseq and not item:find("\n", 1, true)
    -- The joined line, its trailing comma included, must fit the width.
    if packable and cur and #pad + #cur + 2 + #item + 1 <= M.width then
      cur = cur .. ", " .. item
    else
      if cur then lines[#lines + 1] = cur end
      cur = item
    end
    if not packable then lines[#lines + 1] = cur; cur = nil end
  end
  if cur then lines[#lines + 1] = cur end
  return "{\n" .. pad .. table.concat(lines, ",\n" .. pad) .. "\n" .. string.rep(" ", indent) .. "}"
end

local function render_table(t, indent, depth, seen)
  if seen[t] then return "<cycle>" end
  if next(t) == nil then return "{}" end
  if depth >= M.max_depth then return "{…}" end
  seen[t] = true
  local items, nseq = entries(t, indent + 2, depth + 1, seen)
  seen[t] = nil
  local line = "{" .. table.concat(items, ", ") .. "}"
  if indent + #line <= M.width and not line:find("\n", 1, true) then return line end
  return layout(items, nseq, indent)
end

-- Nested values: strings quoted, and only the first line of a multi-line tostring
-- (a matrix's shape) so a table of matrices stays readable.
function render(v, indent, depth, seen)
  local tv = type(v)
  if tv == "number" then return number(v) end
  if tv == "string" then return quote(v) end
  local mt = getmetatable(v)
  if tv == "table" and not (type(mt) == "table" and rawget(mt, "__tostring")) then
    return render_table(v, indent, depth, seen)
  end
  local s = tostring(v)
  local first = s:match("^[^\n]*")
  return #first < #s and first .. " …" or s
end

-- The text of one value at the top level: a string as itself, a matrix in full.
function M.show(v)
  local tv = type(v)
  if tv == "string" then return v end
  if tv == "table" then return render(v, 0, 0, {}) end
  if tv == "number" then return number(v) end
  return tostring(v)
end

-- print(...) with show: values separated by tabs, one line per call.
function M.print(...)
  local parts = {}
  for i = 1, select("#", ...) do parts[i] = M.show((select(i, ...))) end
  io.stdout:write(table.concat(parts, "\t"), "\n")
end

return M
