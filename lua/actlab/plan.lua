-- A sweep's plan: the grid expanded into numbered runs with stable ids, and the choice of
-- which of them this process runs (--shard, --only, --runs).
local runid = require "actlab.runid"
local columns = require "actlab.columns"

local M = {}

-- Axes of a grid in a fixed order: either a list of {name, values} pairs (their order),
-- or a map name → values (sorted by name, since a map has no order of its own).
local function axes_of(grid)
  local axes = {}
  if grid == nil then return axes end
  if grid[1] ~= nil then
    for i, a in ipairs(grid) do
      if type(a) ~= "table" or type(a[1]) ~= "string" or type(a[2]) ~= "table" then
        error(string.format("grid axis %d: {name, {values...}} expected", i), 3)
      end
      axes[i] = { name = a[1], values = a[2] }
    end
  else
    local names = {}
    for k in pairs(grid) do names[#names + 1] = k end
    table.sort(names)
    for i, k in ipairs(names) do
      if type(grid[k]) ~= "table" then
        error(string.format("grid axis '%s': list of values expected", k), 3)
      end
      axes[i] = { name = k, values = grid[k] }
    end
  end
  for _, a in ipairs(axes) do
    if #a.values == 0 then error("grid axis '" .. a.name .. "' has no values", 3) end
  end
  return axes
end

local function copy(t)
  local out = {}
  for k, v in pairs(t) do
    out[k] = type(v) == "table" and copy(v) or v
  end
  return out
end

local function merge_into(dst, src)
  for k, v in pairs(src or {}) do dst[k] = type(v) == "table" and copy(v) or v end
  return dst
end

-- Configurations of the cartesian product, the last axis varying fastest.
function M.grid_configs(grid)
  local axes = axes_of(grid)
  local out = {}
  if #axes == 0 then return out end
  local idx = {}
  for i = 1, #axes do idx[i] = 1 end
  while true do
    local cfg = {}
    for i, a in ipairs(axes) do
      local v = a.values[idx[i]]
      cfg[a.name] = type(v) == "table" and copy(v) or v
    end
    out[#out + 1] = cfg
    local i = #axes
    while i >= 1 do
      idx[i] = idx[i] + 1
      if idx[i] <= #axes[i].values then break end
      idx[i] = 1
      i = i - 1
    end
    if i == 0 then break end
  end
  return out
end

-- Expands a sweep definition into its runs, numbered 1..N in a fixed order:
--   def.experiment  name (part of every id)
--   def.defaults    values every configuration starts from (e.g. the trainer's)
--   def.fixed       values shared by every run
--   def.grid        axes (see axes_of), expanded first
--   def.configs     explicit configurations, after the grid
--   def.derive(cfg) optional: returns the configuration with computed keys filled in
--   def.filter(cfg) optional: false drops the combination (before numbering)
-- Each run is {index=, id=, config=, columns=}. Two runs with the same configuration
-- are an error, since they would share an id.
function M.expand(def)
  if type(def.experiment) ~= "string" or def.experiment == "" then
    error("sweep: 'experiment' (a name) expected", 2)
  end
  local raw = M.grid_configs(def.grid)
  for _, c in ipairs(def.configs or {}) do raw[#raw + 1] = copy(c) end
  if #raw == 0 then raw[1] = {} end
  local runs, seen = {}, {}
  for _, partial in ipairs(raw) do
    local cfg = merge_into(merge_into(merge_into({}, def.defaults), def.fixed), partial)
    if def.derive then cfg = def.derive(cfg) or cfg end
    if not def.filter or def.filter(cfg) then
      local id = runid.of(def.experiment, cfg)
      local index = #runs + 1
      if seen[id] then
        error(string.format("sweep: runs %d and %d have the same configuration %s",
          seen[id], index, runid.canonical(cfg)), 2)
      end
      seen[id] = index
      runs[index] = { index = index, id = id, config = cfg, columns = (columns.of_config(cfg)) }
    end
  end
  return runs
end

-- The shard (0 .. n-1) that runs a given run index: round robin, so each shard gets a
-- similar mix of cheap and costly configurations, and the n shards are disjoint and
-- together cover every run.
function M.shard_of(index, n)
  return (index - 1) % n
end

-- "i/n" → i, n (0 ≤ i < n, matching Slurm's array task ids), or nil and a message.
function M.parse_shard(s)
  local i, n = tostring(s):match("^(%d+)/(%d+)$")
  i, n = tonumber(i), tonumber(n)
  if not i then return nil, "--shard: i/n expected (e.g. 0/4), got '" .. tostring(s) .. "'" end
  if n < 1 or i >= n then
    return nil, string.format("--shard: index must be 0..%d for %d shards, got '%s'",
      math.max(n - 1, 0), n, s)
  end
  return math.tointeger(i), math.tointeger(n)
end

-- Text of a run's value for an --only key: a configuration column (the CSV's names,
-- e.g. hidden=100-100, depth=2) or a configuration key; nil when it has none.
function M.column_text(run, key)
  local text = run.columns[key]
  if text == nil and run.config[key] ~= nil then text = columns.value_text(run.config[key]) end
  return text
end

-- Does a run pass every --only key=value?
function M.matches_only(run, only)
  for _, kv in ipairs(only or {}) do
    local text = M.column_text(run, kv[1])
    if text == nil or not columns.matches(text, kv[2]) then return false end
  end
  return true
end

-- The values a key takes over the runs, in order of first appearance (for messages).
function M.values(runs, key)
  local seen, out = {}, {}
  for _, r in ipairs(runs) do
    local text = M.column_text(r, key)
    if text ~= nil and not seen[text] then seen[text] = true; out[#out + 1] = text end
  end
  return out
end

-- The runs this process is asked for: sel.shard = {i, n}, sel.only = {{key, value}...},
-- sel.runs = set of indices.
function M.select(runs, sel)
  local out = {}
  for _, r in ipairs(runs) do
    local ok = true
    if sel.shard and M.shard_of(r.index, sel.shard[2]) ~= sel.shard[1] then ok = false end
    if ok and sel.runs and not sel.runs[r.index] then ok = false end
    if ok and not M.matches_only(r, sel.only) then ok = false end
    if ok then out[#out + 1] = r end
  end
  return out
end

-- Every key that --only accepts, for error messages.
function M.only_keys(runs)
  local keys = {}
  for _, r in ipairs(runs) do
    for k in pairs(r.columns) do keys[k] = true end
    for k in pairs(r.config) do keys[k] = true end
  end
  local out = {}
  for k in pairs(keys) do out[#out + 1] = k end
  table.sort(out)
  return out
end

return M
