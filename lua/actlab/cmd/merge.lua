-- actlab merge OUT.csv IN...: combines results folders (their run files) and results CSV
-- files into one results CSV and its layers CSV, one copy per run id, rows sorted by
-- run_index then epoch: the same content a single machine would have written.
local csv = require "actlab.csv"
local files = require "actlab.files"
local runfiles = require "actlab.runfiles"

local M = {}

local USAGE = "usage: actlab merge OUT.csv IN...  (IN: results folders or results CSV files)"

-- Companion layers file of a results CSV: results.csv → layers.csv, X.csv → X.layers.csv.
function M.layers_path_of(path)
  local dir, base = path:match("^(.-)([^/]*)$")
  if base == "results.csv" then return dir .. "layers.csv" end
  return (path:gsub("%.csv$", "")) .. ".layers.csv"
end

local function group_by_run(rows, source, into)
  local order = {}
  for _, r in ipairs(rows) do
    local id = r.run_id or ""
    local g = into[id]
    if not g then
      g = { rows = {}, layer_rows = {}, source = source }
      into[id] = g
      order[#order + 1] = id
    end
    g.rows[#g.rows + 1] = r
  end
  return order
end

-- Copies of runs found in one input: list of {id=, rows=, header=, layer_rows=,
-- layers_header=, source=}. Problems go to warn(message), remarks to note(message).
local function read_input(path, warn, note)
  local copies = {}
  if files.is_dir(path) then
    local dir = runfiles.runs_dir(path)
    if files.is_dir(dir) then
      -- only the runs of the folder's current plan, as the sweep's own rebuild does
      local in_plan
      local ph, prows = csv.read(path .. "/plan.csv")
      if ph then
        in_plan = {}
        for _, r in ipairs(csv.as_maps(ph, prows)) do in_plan[r.run_id] = r.run_index end
      end
      local skipped = 0
      for _, name in ipairs(files.list(dir)) do
        local id = name:match("^([%w_%-]+)%.csv$")
        if id and not name:match("%.layers%.csv$") then
          if in_plan and not in_plan[id] then
            skipped = skipped + 1
          else
            local r = runfiles.read_run(path, id)
            if r.state == "done" then
              if in_plan then r = runfiles.reindex(r, math.tointeger(tonumber(in_plan[id])) or 0) end
              r.id, r.source = id, runfiles.run_path(path, id)
              copies[#copies + 1] = r
            else
              warn(r.message or (runfiles.run_path(path, id) .. ": unreadable"))
            end
            if r.layers_message then warn(r.layers_message) end
          end
        end
      end
      if skipped > 0 then
        note(string.format("%s: %d run file(s) not in its plan.csv left out", path, skipped))
      end
      return copies
    end
    if files.exists(path .. "/results.csv") then
      return read_input(path .. "/results.csv", warn, note)
    end
    warn(path .. ": no runs/ folder and no results.csv")
    return copies
  end
  local header, rows, fault = csv.read(path)
  if not header then
    warn(tostring(rows))
    if not fault then return copies end
    -- the records before the fault are kept; the broken tail is reported above
    header, rows = fault.header, fault.rows or {}
    if not header then return copies end
  end
  local groups = {}
  local order = group_by_run(csv.as_maps(header, rows), path, groups)
  local lpath = M.layers_path_of(path)
  local lheader
  if files.exists(lpath) then
    local lh, lrows = csv.read(lpath)
    if lh then
      lheader = lh
      for _, l in ipairs(csv.as_maps(lh, lrows)) do
        local g = groups[l.run_id or ""]
        if g then g.layer_rows[#g.layer_rows + 1] = l end
      end
    else
      warn(tostring(lrows))
    end
  end
  for _, id in ipairs(order) do
    local g = groups[id]
    copies[#copies + 1] = { id = id, rows = g.rows, header = header, layer_rows = g.layer_rows,
      layers_header = lheader, source = path, status = g.rows[#g.rows].status }
  end
  return copies
end

-- Preference between two copies of one run, independent of the order of the inputs
-- (so merging is idempotent): a finished result over an error, then the later
-- timestamp, then the larger text.
local function rank_text(c)
  local parts = {}
  for _, r in ipairs(c.rows) do
    local keys = {}
    for k in pairs(r) do keys[#keys + 1] = k end
    table.sort(keys)
    for _, k in ipairs(keys) do parts[#parts + 1] = k .. "=" .. tostring(r[k]) end
  end
  return table.concat(parts, "\0")
end

local function better(a, b)
  local sa = a.rows[#a.rows].status ~= "error"
  local sb = b.rows[#b.rows].status ~= "error"
  if sa ~= sb then return sa end
  local ta, tb = "", ""
  for _, r in ipairs(a.rows) do if (r.timestamp or "") > ta then ta = r.timestamp end end
  for _, r in ipairs(b.rows) do if (r.timestamp or "") > tb then tb = r.timestamp end end
  if ta ~= tb then return ta > tb end
  return rank_text(a) > rank_text(b)
end

-- One row per epoch (the last one given) and one layer row per (epoch, layer).
local function dedup(list, key)
  local pos, out = {}, {}
  for _, r in ipairs(list) do
    local k = key(r)
    if pos[k] then out[pos[k]] = r else out[#out + 1] = r; pos[k] = #out end
  end
  return out
end

-- Merges inputs (paths) into out_path. Returns the number of runs and a list of warnings,
-- or nil and a message when the output cannot be written.
function M.merge(out_path, inputs)
  local warnings, notes = {}, {}
  local function warn(m) warnings[#warnings + 1] = m end
  local function note(m) notes[#notes + 1] = m end
  local best, order = {}, {}
  for _, path in ipairs(inputs) do
    for _, c in ipairs(read_input(path, warn, note)) do
      if not best[c.id] then
        order[#order + 1] = c.id
        best[c.id] = c
      elseif better(c, best[c.id]) then
        best[c.id] = c
      end
    end
  end
  local chosen = {}
  for _, id in ipairs(order) do
    local c = best[id]
    local copy = {}
    for k, v in pairs(c) do copy[k] = v end
    copy.rows = dedup(c.rows, function(r) return r.epoch or "" end)
    copy.layer_rows = dedup(c.layer_rows or {}, function(r)
      return (r.epoch or "") .. "\0" .. (r.layer or "")
    end)
    chosen[#chosen + 1] = copy
  end
  local results, layers = runfiles.combine(chosen)
  local ok, err = files.write_atomic(out_path, results)
  if not ok then return nil, err end
  ok, err = files.write_atomic(M.layers_path_of(out_path), layers)
  if not ok then return nil, err end
  return #chosen, warnings, notes
end

-- Entry point of `actlab merge`: returns the exit status (1 when an input had problems;
-- the output is written all the same, from everything that could be read).
function M.main(args)
  if #args == 1 and (args[1] == "--help" or args[1] == "-h") then
    print(USAGE)
    return 0
  end
  if #args < 2 then
    io.stderr:write("actlab merge: ", USAGE, "\n")
    return 2
  end
  local inputs = {}
  for i = 2, #args do inputs[#inputs + 1] = args[i] end
  for _, path in ipairs(inputs) do
    if not files.exists(path) and not files.is_dir(path) then
      io.stderr:write("actlab merge: ", path, ": no such file or folder\n")
      return 1
    end
  end
  local n, warnings, notes = M.merge(args[1], inputs)
  if not n then
    io.stderr:write("actlab merge: ", warnings, "\n")
    return 1
  end
  for _, w in ipairs(notes) do io.stderr:write("actlab merge: ", w, "\n") end
  for _, w in ipairs(warnings) do io.stderr:write("actlab merge: warning: ", w, "\n") end
  io.stderr:write(string.format("actlab merge: %d runs written to %s and %s\n", n, args[1],
    M.layers_path_of(args[1])))
  return #warnings > 0 and 1 or 0
end

return M
