-- actlab status RESULTS_DIR: from the run files alone, which runs of a sweep are complete,
-- failed or diverged and which are missing, and the Slurm array tasks to resubmit.
local csv = require "actlab.csv"
local files = require "actlab.files"
local plan = require "actlab.plan"
local ranges = require "actlab.ranges"
local runfiles = require "actlab.runfiles"
local slurm = require "actlab.cmd.slurm"
local summary = require "actlab.summary"

local M = {}

local USAGE = [=[
usage: actlab status RESULTS_DIR [--array] [--tasks T] [SCRIPT.lua [script options]]
Reads RESULTS_DIR/runs/*.csv and the sweep's run list: from SCRIPT when given (with the
options it was run with), else RESULTS_DIR/slurm/tasks.csv (written by actlab slurm), else
RESULTS_DIR/plan.csv (written by the sweep). Runs still being computed count as missing.
  --array     print only the --array values of the tasks to resubmit, one per line
  --tasks T   the array had T tasks (task t = shard t/T), when there is no slurm/tasks.csv
Exit status: 0 when every run is complete and none failed, 1 otherwise, 2 for bad usage or
an unreadable folder.]=]

-- How many runs of one kind are listed one per line before the rest is summed up.
M.LIST_MAX = 40

local function parse(args)
  local o = { script_args = {} }
  local i = 1
  while i <= #args do
    local a = args[i]
    if o.script then
      o.script_args[#o.script_args + 1] = a
    elseif a == "--help" or a == "-h" then
      o.help = true
    elseif a == "--array" then
      o.array = true
    elseif a == "--tasks" or a:match("^%-%-tasks=") then
      local v = a:match("^%-%-tasks=(.*)$")
      if not v then i = i + 1; v = args[i] end
      local n = math.tointeger(tonumber(v or ""))
      if not n or n < 1 then
        error(string.format("--tasks: positive integer expected, got '%s'", tostring(v)), 0)
      end
      o.tasks = n
    elseif a:match("^%-") then
      error(string.format("unknown option '%s'; valid options: --array, --tasks, --help " ..
        "(script options come after SCRIPT.lua)", a), 0)
    elseif not o.dir then
      o.dir = a
    else
      o.script = a
    end
    i = i + 1
  end
  return o
end

-- Rows of a CSV file as maps, or nil (and a message when the file exists but is broken).
local function read_maps(path)
  if not files.exists(path) then return nil end
  local header, rows = csv.read(path)
  if not header then return nil, tostring(rows) end
  return csv.as_maps(header, rows)
end

local PLAN_META = { run_index = true, run_id = true, experiment = true, config = true,
  script = true, script_path = true, script_options = true }

-- The script of the sweep and its own options as a command line, from plan.csv (which
-- the sweep writes with them): the path as the sweep was given it when that names the
-- same file from here, else its absolute path. "SCRIPT.lua" when the plan does not say.
local function script_command(row)
  local given, abs = row and row.script or "", row and row.script_path or ""
  local path = "SCRIPT.lua"
  if given ~= "" and abs ~= "" and files.absolute(given) == abs and files.exists(given) then
    path = given
  elseif abs ~= "" then
    path = abs
  elseif given ~= "" then
    path = given
  end
  local opts = row and row.script_options or ""
  return files.shell_word(path) .. (opts ~= "" and (" " .. opts) or "")
end

-- The sweep's runs as {index=, id=, columns=}, the task of each run id, the number of
-- tasks, the experiment name and where the list came from.
local function run_list(o, warn)
  local dir = o.dir
  local plan_rows, perr = read_maps(dir .. "/plan.csv")
  if perr then warn(perr) end
  local by_id, experiment = {}, nil
  local script = script_command(plan_rows and plan_rows[1])
  for _, r in ipairs(plan_rows or {}) do
    local cols = {}
    for k, v in pairs(r) do if not PLAN_META[k] then cols[k] = v end end
    by_id[r.run_id] = { index = math.tointeger(tonumber(r.run_index)), id = r.run_id, columns = cols }
    experiment = experiment or r.experiment
  end
  local task_rows, terr = read_maps(dir .. "/slurm/tasks.csv")
  if terr then warn(terr) end
  local task_of, ntasks, task_cols = {}, nil, {}
  local TASK_META = { task = true, tasks = true, run_index = true, run_id = true, experiment = true }
  for _, r in ipairs(task_rows or {}) do
    task_of[r.run_id] = math.tointeger(tonumber(r.task))
    ntasks = ntasks or math.tointeger(tonumber(r.tasks))
    experiment = experiment or r.experiment
    local cols = {}
    for k, v in pairs(r) do if not TASK_META[k] then cols[k] = v end end
    task_cols[r.run_id] = cols
  end

  local runs, source = {}, nil
  if o.script then
    -- the options that choose the runs and the folder are the printed command's own
    local words, skip = { files.shell_word(o.script) }, false
    for _, a in ipairs(o.script_args) do
      if skip then
        skip = false
      elseif a == "--out" or a == "--runs" or a == "--shard" then
        skip = true
      elseif not (a:match("^%-%-out=") or a:match("^%-%-runs=") or a:match("^%-%-shard=")) then
        words[#words + 1] = files.shell_word(a)
      end
    end
    script = table.concat(words, " ")
    local def, sw = slurm.load_sweep(o.script, o.script_args)
    if not def then error(sw, 0) end
    local _, selected = slurm.plan_of(def, sw)
    runs, source, experiment = selected, o.script, def.experiment
  elseif task_rows then
    for _, r in ipairs(task_rows) do
      local known = by_id[r.run_id]
      runs[#runs + 1] = { index = math.tointeger(tonumber(r.run_index)), id = r.run_id,
        columns = known and known.columns or task_cols[r.run_id] }
    end
    source = dir .. "/slurm/tasks.csv"
  elseif plan_rows then
    for _, r in pairs(by_id) do runs[#runs + 1] = r end
    source = dir .. "/plan.csv"
  end
  table.sort(runs, function(a, b) return (a.index or 0) < (b.index or 0) end)
  if o.tasks then
    ntasks = o.tasks
    task_of = {}
    for _, r in ipairs(runs) do task_of[r.id] = plan.shard_of(r.index, o.tasks) end
  elseif ntasks then
    for _, r in ipairs(runs) do
      if task_of[r.id] == nil and r.index then task_of[r.id] = plan.shard_of(r.index, ntasks) end
    end
  end
  return { runs = runs, task_of = task_of, ntasks = ntasks, experiment = experiment,
    source = source, script = script }
end

-- Kind of a run from its state: ok | diverged | failed | missing (status other than
-- ok / diverged / error counts as complete under its own name).
local function kind_of(s)
  if s.state ~= "done" then return "missing" end
  if s.status == "error" then return "failed" end
  return s.status or "ok"
end

local function detail(s)
  if s.state == "broken" then return "unreadable run file: " .. tostring(s.message) end
  if s.state ~= "done" then return nil end
  local last = s.rows[#s.rows]
  if s.status == "error" then
    local msg = (last.message or ""):match("^[^\r\n]*")
    if #msg > 200 then msg = msg:sub(1, 200) .. "…" end
    return msg
  elseif s.status == "diverged" then
    local parts = {}
    if (last.diverged_epoch or "") ~= "" then parts[#parts + 1] = "epoch " .. last.diverged_epoch end
    if (last.diverged_layer or "") ~= "" then parts[#parts + 1] = "layer " .. last.diverged_layer end
    return #parts > 0 and table.concat(parts, ", ") or nil
  end
  return nil
end

-- The state of every run: a report table {runs=, kinds = kind → list of runs,
-- states = id → state, extra = run files not in the list}.
function M.collect(dir, runs)
  local rep = { runs = runs, states = {}, kinds = { ok = {}, diverged = {}, failed = {}, missing = {} } }
  local known = {}
  for _, r in ipairs(runs) do
    known[r.id] = true
    local s = runfiles.read_run(dir, r.id)
    rep.states[r.id] = s
    local k = kind_of(s)
    rep.kinds[k] = rep.kinds[k] or {}
    table.insert(rep.kinds[k], r)
  end
  rep.extra = 0
  for _, name in ipairs(files.list(runfiles.runs_dir(dir))) do
    local id = name:match("^([%w_%-]+)%.csv$")
    if id and not name:match("%.layers%.csv$") and not known[id] then rep.extra = rep.extra + 1 end
  end
  return rep
end

-- Array task ids holding at least one run of the list (nil when a run has no task).
local function tasks_of(list, task_of)
  local seen, ids = {}, {}
  for _, r in ipairs(list) do
    local t = task_of[r.id]
    if t == nil then return nil end
    if not seen[t] then seen[t] = true; ids[#ids + 1] = t end
  end
  table.sort(ids)
  return ids
end

-- "%K" of the array script's --array line, so resubmissions keep the same throttle.
local function throttle(dir)
  local text = files.read(dir .. "/slurm/array.sbatch")
  local k = text and text:match("\n#SBATCH %-%-array=[^\n%%]*%%(%d+)")
  return k and ("%" .. k) or ""
end

local function indices(list)
  local xs = {}
  for i, r in ipairs(list) do xs[i] = r.index end
  return ranges.format(xs)
end

-- The report's text. rep: from collect, plus task_of, ntasks, experiment, source, dir.
function M.format(rep)
  local out = {}
  local function line(s) out[#out + 1] = s end
  local k = rep.kinds
  local counts = {}
  for _, name in ipairs{ "ok", "diverged" } do
    counts[#counts + 1] = string.format("%d %s", #k[name], name)
  end
  for name, list in pairs(k) do
    if name ~= "ok" and name ~= "diverged" and name ~= "failed" and name ~= "missing" then
      counts[#counts + 1] = string.format("%d %s", #list, name)
    end
  end
  counts[#counts + 1] = string.format("%d failed", #k.failed)
  counts[#counts + 1] = string.format("%d missing", #k.missing)
  line(string.format("sweep '%s' in %s: %d runs: %s", rep.experiment or "?", rep.dir, #rep.runs,
    table.concat(counts, ", ")))
  line("run list from " .. rep.source)
  if #k.ok > 0 then line("ok        runs " .. indices(k.ok)) end
  -- "activation=tanh seed=2": the columns that differ between the runs.
  local label = summary.labeller(rep.runs, summary.varying(rep.runs))
  local function list(name, tag)
    local runs = k[name]
    for i, r in ipairs(runs) do
      if i > M.LIST_MAX then
        line(string.format("%-9s … %d more: runs %s", tag, #runs - M.LIST_MAX, indices(runs)))
        break
      end
      local t = rep.task_of[r.id]
      local d = detail(rep.states[r.id])
      local text = string.format("%-9s run %d  %s", tag, r.index or -1, r.id)
      if t then text = text .. string.format("  task %d", t) end
      local l = label(r)
      if l ~= "" then text = text .. "  " .. l end
      line(text .. (d and (": " .. d) or ""))
    end
  end
  list("diverged", "diverged")
  for name in pairs(k) do
    if name ~= "ok" and name ~= "diverged" and name ~= "failed" and name ~= "missing" then
      list(name, name)
    end
  end
  list("failed", "failed")
  list("missing", "missing")
  if rep.extra > 0 then
    line(string.format("note: %d run file(s) in %s/runs are not in the run list (left out of " ..
      "merges)", rep.extra, rep.dir))
  end

  local array_file, merge_file = rep.dir .. "/slurm/array.sbatch", rep.dir .. "/slurm/merge.sbatch"
  local slurm_made = files.exists(array_file) and files.exists(merge_file)
  local function resubmit(runs, what, extra)
    if #runs == 0 then return end
    local ids = rep.ntasks and tasks_of(runs, rep.task_of)
    if ids and slurm_made then
      local values = slurm.array_values(ids, throttle(rep.dir))
      line(string.format("%s: array tasks %s of %d; resubmit them with:", what,
        "--array=" .. table.concat(values, " --array="), rep.ntasks))
      line("  " .. slurm.submit_commands(array_file, merge_file, values, true, extra))
    else
      line(string.format("%s: rerun them with: actlab %s --out %s --runs %s%s", what,
        rep.script or "SCRIPT.lua", files.shell_word(rep.dir), indices(runs),
        extra and (" " .. extra) or ""))
    end
  end
  resubmit(k.missing, "missing runs")
  resubmit(k.failed, "failed runs (once the cause is fixed)", "--retry-failed")
  return table.concat(out, "\n") .. "\n"
end

local function run(args)
  local o = parse(args)
  if o.help then print(USAGE) return 0 end
  if not o.dir then
    io.stderr:write("actlab status: no results folder given\n", USAGE, "\n")
    return 2
  end
  o.dir = o.dir:gsub("/+$", "")
  if o.dir == "" then o.dir = "/" end
  if not files.is_dir(o.dir) then error(o.dir .. ": no such folder", 0) end
  local warnings = {}
  local l = run_list(o, function(m) warnings[#warnings + 1] = m end)
  for _, w in ipairs(warnings) do io.stderr:write("actlab status: warning: ", w, "\n") end
  if not l.source then
    error(string.format("%s: no run list (no slurm/tasks.csv, no plan.csv): give the sweep " ..
      "script and its options, actlab status %s SCRIPT.lua [options]", o.dir, o.dir), 0)
  end
  local rep = M.collect(o.dir, l.runs)
  rep.task_of, rep.ntasks, rep.experiment, rep.source, rep.dir, rep.script =
    l.task_of, l.ntasks, l.experiment, l.source, o.dir, l.script
  if o.array then
    if #rep.kinds.missing == 0 then return 0 end
    local ids = rep.ntasks and tasks_of(rep.kinds.missing, rep.task_of)
    if not ids then
      error(o.dir .. ": the array's tasks are unknown (no slurm/tasks.csv): give --tasks T", 0)
    end
    for _, v in ipairs(slurm.array_values(ids, throttle(o.dir))) do print(v) end
    return 0
  end
  io.write(M.format(rep))
  return (#rep.kinds.missing == 0 and #rep.kinds.failed == 0) and 0 or 1
end

-- Entry point of `actlab status`: returns the exit status.
function M.main(args)
  local ok, res = pcall(run, args)
  if ok then return res end
  io.stderr:write("actlab status: ", (tostring(res):gsub("^[^\n]-%.lua:%d+: ", "", 1)), "\n")
  return 2
end

return M
