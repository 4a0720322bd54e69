-- Run files: every run's rows in <out>/runs/<run_id>.csv (and its per-layer rows in
-- <run_id>.layers.csv), each renamed into place only when the run is complete; the
-- combined results.csv and layers.csv are rebuilt from them, never appended to.
local csv = require "actlab.csv"
local columns = require "actlab.columns"
local files = require "actlab.files"

local M = {}

function M.runs_dir(out) return out .. "/runs" end
function M.run_path(out, id) return out .. "/runs/" .. id .. ".csv" end
function M.layers_path(out, id) return out .. "/runs/" .. id .. ".layers.csv" end

-- Header of a file: the guaranteed columns, then the extra ones sorted by name.
function M.header(guaranteed, extras)
  local h, seen = {}, {}
  for _, c in ipairs(guaranteed) do h[#h + 1] = c; seen[c] = true end
  local more = {}
  for _, c in ipairs(extras or {}) do
    if not seen[c] then more[#more + 1] = c; seen[c] = true end
  end
  table.sort(more)
  for _, c in ipairs(more) do h[#h + 1] = c end
  return h
end

-- Writes one complete run: the layers file first, then the results file, whose
-- appearance marks the run complete (a kill between the two leaves only a layers file,
-- overwritten when the run is redone). rows / layer_rows are maps column → value.
function M.write_run(out, id, extras, rows, layer_rows)
  local ok, err = files.mkdir_p(M.runs_dir(out))
  if not ok then return nil, err end
  if layer_rows and #layer_rows > 0 then
    ok, err = files.write_atomic(M.layers_path(out, id),
      csv.format(M.header(columns.LAYERS), layer_rows))
    if not ok then return nil, err end
  else
    os.remove(M.layers_path(out, id))
  end
  return files.write_atomic(M.run_path(out, id), csv.format(M.header(columns.RESULTS, extras), rows))
end

-- Parsed run files, kept while their size is unchanged: the combined CSV is rebuilt
-- after every run, and rereading every finished run each time would grow quadratically.
local cache = {}

local function parse_cached(path)
  local size = files.size(path)
  if not size then return nil end
  local c = cache[path]
  if c and c.size == size then return c end
  local text = files.read(path)
  if not text then return nil end
  local header, rows, fault = csv.parse(text, path)
  if not header then
    c = { size = size, broken = rows, fault = fault }
  else
    c = { size = size, header = header, rows = csv.as_maps(header, rows) }
  end
  cache[path] = c
  return c
end

-- State of run `id` in folder out, from its run file alone:
--   {state="missing"}
--   {state="broken", message=...}             (not valid CSV, or not this run's rows)
--   {state="done", status=, rows=, header=, layers_header=, layer_rows=}
-- status is the last row's: ok | diverged | error.
function M.read_run(out, id)
  local path = M.run_path(out, id)
  local c = parse_cached(path)
  if not c then return { state = "missing" } end
  if c.broken then return { state = "broken", message = c.broken } end
  if #c.rows == 0 then return { state = "broken", message = path .. ": no rows" } end
  for i, r in ipairs(c.rows) do
    if r.run_id ~= id then
      return { state = "broken", message = string.format("%s:%d: run_id '%s', expected '%s'",
        path, i + 1, tostring(r.run_id), id) }
    end
  end
  local res = { state = "done", status = c.rows[#c.rows].status, rows = c.rows, header = c.header }
  local lc = parse_cached(M.layers_path(out, id))
  if lc and lc.header then
    res.layers_header, res.layer_rows = lc.header, lc.rows
  elseif lc and lc.broken then
    res.layers_message = lc.broken
  end
  return res
end

local function num(s)
  local v = tonumber(s)
  if v == nil then return -math.huge end
  return v
end

-- Sort order of the combined files: run_index, then epoch (then layer), then run_id.
local function row_less(a, b)
  local ia, ib = num(a.run_index), num(b.run_index)
  if ia ~= ib then return ia < ib end
  local ea, eb = num(a.epoch), num(b.epoch)
  if ea ~= eb then return ea < eb end
  local la, lb = num(a.layer), num(b.layer)
  if la ~= lb then return la < lb end
  return tostring(a.run_id) < tostring(b.run_id)
end

-- Texts of the combined results and layers files from a list of runs, each
-- {rows=, header=, layer_rows=, layers_header=}. Columns: the guaranteed ones, then
-- every other column any run has, sorted by name. Layer rows get run_index from their run.
function M.combine(runs)
  local extras, lextras, rows, lrows = {}, {}, {}, {}
  for _, r in ipairs(runs) do
    for _, c in ipairs(r.header or {}) do extras[#extras + 1] = c end
    for _, c in ipairs(r.layers_header or {}) do lextras[#lextras + 1] = c end
    for _, row in ipairs(r.rows) do rows[#rows + 1] = row end
    local index = r.rows[1] and r.rows[1].run_index
    for _, lr in ipairs(r.layer_rows or {}) do
      if (lr.run_index == nil or lr.run_index == "") and index then
        local copy = {}
        for k, v in pairs(lr) do copy[k] = v end
        copy.run_index = index
        lr = copy
      end
      lrows[#lrows + 1] = lr
    end
  end
  table.sort(rows, row_less)
  table.sort(lrows, row_less)
  return csv.format(M.header(columns.RESULTS, extras), rows),
    csv.format(M.header(columns.LAYERS, lextras), lrows)
end

-- The run's rows with run_index set to index: a run file keeps the index its run had
-- when it ran, and an axis value added to the grid since then moves the runs after it.
function M.reindex(r, index)
  local text = string.format("%d", index)
  local function fix(list)
    local out = {}
    for i, row in ipairs(list or {}) do
      if row.run_index ~= text then
        local c = {}
        for k, v in pairs(row) do c[k] = v end
        c.run_index = text
        row = c
      end
      out[i] = row
    end
    return out
  end
  local c = {}
  for k, v in pairs(r) do c[k] = v end
  c.rows, c.layer_rows = fix(r.rows), fix(r.layer_rows)
  return c
end

-- Rebuilds <out>/results.csv and <out>/layers.csv from the complete run files of the
-- given runs (each {id=}); both written atomically. Returns the number of runs included,
-- or nil and a message.
function M.rebuild(out, runs)
  local done = {}
  for _, run in ipairs(runs) do
    local r = M.read_run(out, run.id)
    if r.state == "done" then done[#done + 1] = M.reindex(r, run.index) end
  end
  local results, layers = M.combine(done)
  local ok, err = files.write_atomic(out .. "/results.csv", results)
  if not ok then return nil, err end
  ok, err = files.write_atomic(out .. "/layers.csv", layers)
  if not ok then return nil, err end
  return #done
end

return M
