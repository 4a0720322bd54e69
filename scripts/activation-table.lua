-- Prints README's activation table as Markdown, generated from the activation table
-- and actlab.properties:  build/actlab scripts/activation-table.lua
-- README.md holds a copy between <!-- activations:begin --> and <!-- activations:end -->;
-- tests/lua/test_readme.lua fails when that copy is out of date.

-- Four significant digits, exponents as 1e6, infinities as ∞.
local function num(v)
  if v == math.huge then return "∞" end
  if v == -math.huge then return "-∞" end
  if v ~= v then return "?" end
  local s = string.format("%.4g", v):gsub("e%+?(%-?)0*(%d)", "e%1%2")
  return s == "-0" and "0" or s
end

-- Inside a table cell: the formula as code, with its pipes (|x|) escaped for Markdown.
local function code(s)
  return "`" .. s:gsub("|", "\\|") .. "`"
end

local function params(row)
  local parts = {}
  for _, p in ipairs(row.params) do
    local valid
    if p.integer and p.max - p.min == 1 then
      valid = string.format("{%s, %s}", num(p.min), num(p.max))
    else
      valid = string.format("[%s, %s]", num(p.min), num(p.max))
    end
    parts[#parts + 1] = string.format("`%s` = %s ∈ %s", p.name, num(p.default), valid)
  end
  return #parts > 0 and table.concat(parts, "; ") or "—"
end

local function flags(row)
  local names = {}
  for _, f in ipairs{{"output_only", "output-only"}, {"rowwise", "row-wise"},
                     {"trainable", "trainable"}, {"stochastic", "stochastic"}} do
    if row[f[1]] then names[#names + 1] = f[2] end
  end
  return #names > 0 and table.concat(names, ", ") or "—"
end

-- (lo, hi) with round brackets where a bound is approached but never reached.
local function range(pr)
  local lo, hi = pr.range[1], pr.range[2]
  return string.format("%s%s, %s%s", pr.range_open[1] and "(" or "[", num(lo), num(hi),
                       pr.range_open[2] and ")" or "]")
end

local lines = {
  "| Activation | f(x) | Parameters: default ∈ valid values | Flags | max f′ | Range |",
  "|---|---|---|---|---|---|",
}
for _, row in ipairs(actlab.activations()) do
  local maxd, rng = "—", "—"
  if not row.rowwise then
    local pr = actlab.properties(row.name)
    maxd, rng = num(pr.max_derivative), range(pr)
  end
  lines[#lines + 1] = string.format("| `%s` | %s | %s | %s | %s | %s |", row.name,
                                    code(row.formula), params(row), flags(row), maxd, rng)
end
lines[#lines + 1] = ""
lines[#lines + 1] = "max f′ and range at the parameters' defaults; a round bracket marks a " ..
                    "bound f approaches but never reaches."
io.write(table.concat(lines, "\n"), "\n")
