-- Tables from results and layers CSVs: reading them, which columns tell configurations
-- apart, grouping rows into series, and mean and sd over seeds.
local common = require "actlab.plot.common"
local labels = require "actlab.plot.labels"

local fail, bad_option = common.fail, common.bad_option

local M = {}

-- Reads a CSV file: rows as tables keyed by column name, and the header list.
function M.read_csv(path, fn)
  if type(path) ~= "string" then bad_option(fn or "plot", "csv", "file name", path) end
  local csv = require "actlab.csv"
  local header, rows = csv.read(path)
  if not header then fail("cannot read %s", tostring(rows)) end
  local present = {}
  for _, h in ipairs(header) do present[h] = true end
  return csv.as_maps(header, rows), header, present
end

-- Fills opts.rows, opts.header, opts.present and opts.path from the CSV named by
-- opts[key], unless rows were given (then present, if missing, is their columns).
function M.load(opts, fn, key)
  if opts.rows then
    local present = {}
    for _, r in ipairs(opts.rows) do for k in pairs(r) do present[k] = true end end
    opts.present = opts.present or present
    return
  end
  local path = opts[key]
  if type(path) ~= "string" then bad_option(fn, key, "file name", path) end
  opts.rows, opts.header, opts.present = M.read_csv(path, fn)
  opts.path = path
end

function M.need_column(present, col, fn, opt, path)
  if not present[col] then
    local names = {}
    for k in pairs(present) do names[#names + 1] = k end
    table.sort(names)
    fail("bad option '%s' to '%s' (a column of %s expected, got '%s'; columns: %s)",
      opt, fn, path or "the CSV", tostring(col), table.concat(names, ", "))
  end
end

-- Columns that do not describe a configuration: ids, the seed (what gets averaged over),
-- measurements and provenance. Every other column (extra configuration keys included) may
-- tell series apart.
local NOT_CONFIG = {}
for _, c in ipairs{ "run_id", "run_index", "seed", "epoch", "step", "train_loss", "train_acc",
  "test_loss", "test_acc", "seconds", "status", "message", "diverged_epoch", "diverged_layer",
  "actlab_version", "git_commit", "blas_threads", "timestamp", "layer", "dead", "saturated",
  "grad_norm", "alpha" } do
  NOT_CONFIG[c] = true
end

-- Candidate grouping columns in header order (sorted names when rows came without one).
function M.config_columns(opts)
  local names = opts.header
  if not names then
    names = {}
    for k in pairs(opts.present) do names[#names + 1] = k end
    table.sort(names)
  end
  local out = {}
  for _, c in ipairs(names) do
    if not NOT_CONFIG[c] then out[#out + 1] = c end
  end
  return out
end

local function compare_values(a, b)
  local x, y = tonumber(a), tonumber(b)
  if x and y then return x < y end
  if x then return true end
  if y then return false end
  return tostring(a) < tostring(b)
end

-- Sorts items by their lists of values: numbers by value before texts, texts by bytes.
function M.sort_by_values(list)
  table.sort(list, function(a, b)
    for i = 1, math.max(#a.values, #b.values) do
      if a.values[i] ~= b.values[i] then return compare_values(a.values[i] or "", b.values[i] or "") end
    end
    return false
  end)
end

-- The run a row belongs to: its run_id, or for a row without one (the i-th) a run of its own.
function M.run_key(r, i)
  return r.run_id and r.run_id ~= "" and r.run_id or ("#" .. i)
end

-- The row's values of the grouping columns ("" where it has none).
function M.group_of(r, cols)
  local g = {}
  for i, c in ipairs(cols) do g[i] = r[c] or "" end
  return g
end

-- Keeps the last evaluation (highest epoch, then step) of every run; rows without run_id
-- are runs of their own. Order of first appearance is kept.
function M.last_per_run(rows)
  local best, order = {}, {}
  for i, r in ipairs(rows) do
    local id = M.run_key(r, i)
    local cur = best[id]
    if not cur then
      order[#order + 1] = id
      best[id] = r
    else
      local e1, e2 = tonumber(r.epoch) or -1, tonumber(cur.epoch) or -1
      local s1, s2 = tonumber(r.step) or -1, tonumber(cur.step) or -1
      if e1 > e2 or (e1 == e2 and s1 >= s2) then best[id] = r end
    end
  end
  local out = {}
  for i, id in ipairs(order) do out[i] = best[id] end
  return out
end

-- Rows of one epoch per run: opts.epoch, or each run's first ("first") or last ("last").
function M.rows_at_epoch(rows, which)
  local pick = {}
  for _, r in ipairs(rows) do
    local id, e = r.run_id or "", tonumber(r.epoch)
    if e then
      local cur = pick[id]
      if type(which) == "number" then
        pick[id] = which
      elseif cur == nil or (which == "first" and e < cur) or (which == "last" and e > cur) then
        pick[id] = e
      end
    end
  end
  local out = {}
  for _, r in ipairs(rows) do
    if tonumber(r.epoch) == pick[r.run_id or ""] then out[#out + 1] = r end
  end
  return out
end

-- A title's opening: "name: " when every row that names an experiment names the same
-- one, else empty.
function M.experiment_prefix(rows)
  local name
  for _, r in ipairs(rows) do
    local e = r.experiment
    if e and e ~= "" then
      if name and name ~= e then return "" end
      name = e
    end
  end
  return name and name .. ": " or ""
end

-- Number of distinct value combinations of cols among rows.
local function partition_size(rows, cols)
  local seen, n = {}, 0
  for _, r in ipairs(rows) do
    local key = table.concat(M.group_of(r, cols), "\1")
    if not seen[key] then
      seen[key] = true
      n = n + 1
    end
  end
  return n
end

-- Grouping columns: `by` (list or comma-separated) when given, else every candidate column
-- other than x that takes two or more values among rows of one x value (so act_params, which
-- follows gamma, does not split a gamma sweep).
function M.series_columns(rows, candidates, x, by, present, fn)
  if by then
    local cols = {}
    if type(by) == "string" then
      for c in by:gmatch("[^,%s]+") do cols[#cols + 1] = c end
    elseif type(by) == "table" then
      for _, c in ipairs(by) do cols[#cols + 1] = c end
    else
      bad_option(fn, "by", "column name or list of names", by)
    end
    for _, c in ipairs(cols) do M.need_column(present, c, fn, "by") end
    return cols
  end
  local cols = {}
  for _, c in ipairs(candidates) do
    if c ~= x and present[c] then
      local seen, varies = {}, false
      for _, r in ipairs(rows) do
        local key = r[x] or ""
        local v = r[c] or ""
        if seen[key] == nil then
          seen[key] = v
        elseif seen[key] ~= v then
          varies = true
          break
        end
      end
      if varies then cols[#cols + 1] = c end
    end
  end
  -- columns that only restate others (act_params next to gamma, hidden next to depth) would
  -- repeat them in the legend: drop them when the others already tell the series apart
  for _, c in ipairs{ "act_params", "experiment", "hidden", "depth" } do
    local without = {}
    for _, d in ipairs(cols) do if d ~= c then without[#without + 1] = d end end
    if partition_size(rows, without) == partition_size(rows, cols) then cols = without end
  end
  return cols
end

local function stats(vals)
  local n, s = #vals, 0
  local lo, hi = math.huge, -math.huge
  for _, v in ipairs(vals) do
    s = s + v
    if v < lo then lo = v end
    if v > hi then hi = v end
  end
  local mean = s / n
  local ss = 0
  for _, v in ipairs(vals) do ss = ss + (v - mean) ^ 2 end
  return { mean = mean, sd = n > 1 and math.sqrt(ss / (n - 1)) or 0.0, n = n, min = lo, max = hi }
end

-- Groups records {x=, y=, group={values…}} (x a number: a value or a category's index)
-- into series {values=, label=, points=} sorted by their group values, each with points
-- {x=, mean=, sd=, n=, min=, max=} sorted by x; sd is the sample one (n − 1), 0 for n = 1.
function M.aggregate(records, cols)
  local by_key, series = {}, {}
  for _, rec in ipairs(records) do
    local key = table.concat(rec.group, "\1")
    local s = by_key[key]
    if not s then
      s = { values = rec.group, xs = {}, vals = {} }
      by_key[key] = s
      series[#series + 1] = s
    end
    if not s.vals[rec.x] then
      s.vals[rec.x] = {}
      s.xs[#s.xs + 1] = rec.x
    end
    table.insert(s.vals[rec.x], rec.y)
  end
  M.sort_by_values(series)
  for _, s in ipairs(series) do
    table.sort(s.xs)
    local parts = {}
    for i, c in ipairs(cols) do parts[#parts + 1] = labels.legend_part(c, s.values[i]) end
    if #parts == 0 and #cols > 0 then parts[1] = "no " .. table.concat(cols, ", ") end
    s.label = #parts > 0 and table.concat(parts, ", ") or "all runs"
    s.points = {}
    for _, x in ipairs(s.xs) do
      local st = stats(s.vals[x])
      st.x = x
      s.points[#s.points + 1] = st
    end
    s.xs, s.vals = nil, nil
  end
  return series
end

-- The distinct x values of the series' points, ascending.
function M.x_values(series)
  local xs, seen = {}, {}
  for _, s in ipairs(series) do
    for _, p in ipairs(s.points) do
      if not seen[p.x] then
        seen[p.x] = true
        xs[#xs + 1] = p.x
      end
    end
  end
  table.sort(xs)
  return xs
end

-- Fewest and most values behind one point of the series.
function M.n_range(series)
  local lo, hi = math.huge, 0
  for _, s in ipairs(series) do
    for _, p in ipairs(s.points) do
      if p.n < lo then lo = p.n end
      if p.n > hi then hi = p.n end
    end
  end
  return lo, hi
end

return M
