-- Compact range lists of run indices, "5,7-19,22", both ways: what --missing prints,
-- what --runs and Slurm's --array take.
local M = {}

-- Sorted, deduplicated list of integers → "a,b-c,...". An empty list gives "".
function M.format(list)
  local xs = {}
  for _, v in ipairs(list) do xs[#xs + 1] = v end
  table.sort(xs)
  local parts, i = {}, 1
  while i <= #xs do
    local j = i
    while j < #xs and (xs[j + 1] == xs[j] or xs[j + 1] == xs[j] + 1) do j = j + 1 end
    if xs[j] == xs[i] then
      parts[#parts + 1] = string.format("%d", xs[i])
    else
      parts[#parts + 1] = string.format("%d-%d", xs[i], xs[j])
    end
    i = j + 1
  end
  return table.concat(parts, ",")
end

-- "5,7-19,22" → {5, 7, 8, ..., 19, 22} (sorted, no duplicates). Returns nil and a
-- message for anything else: a malformed item, a descending range.
function M.parse(s)
  if type(s) ~= "string" then return nil, "range list expected, got " .. type(s) end
  local seen, out = {}, {}
  if s == "" then return out end
  for item in (s .. ","):gmatch("([^,]*),") do
    local a, b = item:match("^%s*(%d+)%s*%-%s*(%d+)%s*$")
    if not a then a = item:match("^%s*(%d+)%s*$"); b = a end
    if not a then return nil, string.format("bad item '%s' in range list '%s'", item, s) end
    a, b = math.tointeger(tonumber(a)), math.tointeger(tonumber(b))
    if not a or not b then return nil, string.format("number too large in range list '%s'", s) end
    if b < a then
      return nil, string.format("descending range '%s' in range list '%s'", item, s)
    end
    if b - a > 10000000 then
      return nil, string.format("range '%s' too long in range list '%s'", item, s)
    end
    for v = a, b do
      if not seen[v] then seen[v] = true; out[#out + 1] = v end
    end
  end
  table.sort(out)
  return out
end

return M
