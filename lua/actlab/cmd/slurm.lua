-- actlab slurm SCRIPT.lua [sweep options] [slurm options]: a sweep as a Slurm job array
-- (task t runs shard t/T, at most R runs each) plus a merge job that runs once the array
-- has ended; writes both batch scripts under <out>/slurm/ and, with --submit, submits them.
local files = require "actlab.files"
local plan = require "actlab.plan"
local ranges = require "actlab.ranges"
local runfiles = require "actlab.runfiles"
local csv = require "actlab.csv"

local M = {}

-- Slurm refuses an --array value longer than this.
M.ARRAY_LIMIT = 4096

local USAGE = [[
usage: actlab slurm SCRIPT.lua [sweep options] [options]
Writes <out>/slurm/array.sbatch (a job array: task t runs shard t/T of the sweep) and
<out>/slurm/merge.sbatch (builds <out>/results.csv once the array has ended).
options:
  --runs-per-task R       runs per array task (default 1); T = ceil(runs / R) tasks
  --max-parallel K        at most K tasks running at once (--array=...%K)
  --cpus-per-task C       CPUs per task, also the BLAS thread count (default 1)
  --partition P           Slurm partition(s), comma-separated
  --time T                time limit per task: MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS
  --mem M                 memory per node: a number of megabytes, or with K, M, G or T
  --sbatch-option OPT     any other sbatch option for both jobs, e.g. --sbatch-option=--account=lab
  --tasks LIST            only these array task ids, e.g. 3,7-9 (resubmission)
  --submit                submit the array with sbatch, then the merge job after it
Sweep options (--out, --only, --runs, --retry-failed, the script's own) go to every task.
Only tasks with runs still to do are in the array; a task skips the runs already complete.]]

-- Options of this command: name → true when it takes a value. Everything else goes to
-- the sweep script.
local OWN = { ["runs-per-task"] = true, ["max-parallel"] = true, ["cpus-per-task"] = true,
  partition = true, time = true, mem = true, ["sbatch-option"] = true, tasks = true,
  submit = false, help = false }

-- Sweep options this command sets itself or that make no sense in a batch task.
local REFUSED = {
  shard = "the array sets --shard for each task (use --runs-per-task to size the tasks)",
  threads = "BLAS threads follow --cpus-per-task",
  ["dry-run"] = "run the script itself with --dry-run to list the runs",
  missing = "use actlab status to see what is missing",
  worker = "--worker is internal to --jobs",
}

local function positive_int(name, v)
  local n = math.tointeger(tonumber(v))
  if not n or n < 1 or not tostring(v):match("^%d+$") then
    error(string.format("--%s: positive integer expected, got '%s'", name, tostring(v)), 0)
  end
  return n
end

-- Slurm's time formats: "minutes", "minutes:seconds", "hours:minutes:seconds",
-- "days-hours", "days-hours:minutes", "days-hours:minutes:seconds", or UNLIMITED.
function M.valid_time(s)
  if s == "UNLIMITED" or s == "INFINITE" then return true end
  for _, p in ipairs{ "^%d+$", "^%d+:%d+$", "^%d+:%d+:%d+$", "^%d+%-%d+$", "^%d+%-%d+:%d+$",
    "^%d+%-%d+:%d+:%d+$" } do
    if s:match(p) then return true end
  end
  return false
end

-- A value that goes into an #SBATCH line or a path Slurm expands: no blanks, quotes or
-- backslashes, which #SBATCH lines do not quote reliably.
local function plain(what, s)
  if s == "" or s:find("[%s\"'\\]") then
    error(string.format("%s: '%s' cannot go into a batch script line (blank, quote or backslash)",
      what, s), 0)
  end
  return s
end

-- Splits args into this command's options (checked) and the sweep script's arguments.
-- Returns {script=, sweep_args={...}, runs_per_task=, max_parallel=, cpus=, partition=,
-- time=, mem=, sbatch_options={...}, tasks=(list or nil), submit=, help=}.
function M.parse(args)
  local o = { sweep_args = {}, sbatch_options = {}, runs_per_task = 1, cpus = 1 }
  local i = 1
  while i <= #args do
    local a = args[i]
    local name, inline = a:match("^%-%-([%w%-]+)=(.*)$")
    if not name then name = a:match("^%-%-([%w%-]+)$") end
    if name and OWN[name] ~= nil then
      local value = true
      if OWN[name] then
        if inline then
          value = inline
        else
          i = i + 1
          value = args[i]
          if value == nil then error(string.format("option '--%s' needs a value", name), 0) end
        end
      elseif inline then
        error(string.format("option '--%s' takes no value", name), 0)
      end
      if name == "runs-per-task" then o.runs_per_task = positive_int(name, value)
      elseif name == "max-parallel" then o.max_parallel = positive_int(name, value)
      elseif name == "cpus-per-task" then o.cpus = positive_int(name, value)
      elseif name == "partition" then
        if not value:match("^[%w_%.%-,]+$") or value:find(",,", 1, true) or value:match("^,")
            or value:match(",$") then
          error(string.format("--partition: partition name(s) expected, got '%s'", value), 0)
        end
        o.partition = value
      elseif name == "time" then
        if not M.valid_time(value) then
          error(string.format("--time: Slurm time expected (MM, MM:SS, HH:MM:SS, D-HH, " ..
            "D-HH:MM, D-HH:MM:SS), got '%s'", value), 0)
        end
        o.time = value
      elseif name == "mem" then
        if not value:match("^%d+[KMGT]?$") then
          error(string.format("--mem: megabytes, or a number with K, M, G or T expected, got '%s'",
            value), 0)
        end
        o.mem = value
      elseif name == "sbatch-option" then
        if not value:match("^%-%-?%w") then
          error(string.format("--sbatch-option: an sbatch option (starting with -) expected, got '%s'",
            value), 0)
        end
        o.sbatch_options[#o.sbatch_options + 1] = plain("--sbatch-option", value)
      elseif name == "tasks" then
        local list, err = ranges.parse(value)
        if not list then error("--tasks: " .. err, 0) end
        if #list == 0 then error("--tasks: at least one task id expected", 0) end
        o.tasks = list
      else
        o[name] = true
      end
    elseif not o.script and not a:match("^%-") then
      o.script = a
    else
      if name and REFUSED[name] then
        error(string.format("option '--%s' is not for actlab slurm: %s", name, REFUSED[name]), 0)
      end
      if not o.script then
        error(string.format("the sweep script comes first: actlab slurm SCRIPT.lua %s ...", a), 0)
      end
      o.sweep_args[#o.sweep_args + 1] = a
    end
    i = i + 1
  end
  return o
end

local function clean_message(err)
  return (tostring(err):gsub("^[^\n]-%.lua:%d+: ", "", 1))
end

-- Runs a sweep script up to its sweep.run call without running anything: sweep.run is
-- replaced for the duration, and the definition and parsed options it gets are kept.
-- Returns def, options; or nil and a message.
local CAPTURED = setmetatable({}, { __tostring = function() return "sweep definition captured" end })

function M.load_sweep(script, argv)
  local real = require "actlab.sweep"
  local got
  local proxy = setmetatable({}, { __index = real })
  proxy.run = function(def)
    if type(def) ~= "table" then error("sweep.run: table expected", 2) end
    local o = def.args or real.args(rawget(_G, "arg") or {}, nil)
    got = { def = def, o = o }
    error(CAPTURED, 0)
  end
  local lib = rawget(_G, "actlab")
  local saved_field = type(lib) == "table" and rawget(lib, "sweep") or nil
  local saved_loaded, saved_arg = package.loaded["actlab.sweep"], rawget(_G, "arg")
  local a = { [0] = script }
  for i, v in ipairs(argv) do a[i] = v end

  package.loaded["actlab.sweep"] = proxy
  if type(lib) == "table" then rawset(lib, "sweep", proxy) end
  rawset(_G, "arg", a)
  local chunk, lerr = loadfile(script)
  local ok, err = true, nil
  if chunk then ok, err = pcall(chunk, table.unpack(argv)) end
  package.loaded["actlab.sweep"] = saved_loaded
  if type(lib) == "table" then rawset(lib, "sweep", saved_field) end
  rawset(_G, "arg", saved_arg)

  if not chunk then return nil, clean_message(lerr) end
  if got then return got.def, got.o end
  if not ok then return nil, script .. ": " .. clean_message(err) end
  return nil, script .. ": the script ended without calling sweep.run"
end

-- The runs of a captured sweep and its results folder, as sweep.run computes them.
-- Returns runs (all, numbered), selected (those --only / --runs keep), out.
function M.plan_of(def, o)
  local p = require("actlab.sweep").plan(def, o)
  return p.runs, p.selected, p.out
end

-- Splits the selected runs into T shards of at most R runs (shard of a run: the sweep's
-- plan.shard_of over the whole sweep, as --shard selects). Without filters T = ceil(N/R)
-- is enough (round robin puts at most ceil(N/T) runs in a shard); with filters the
-- smallest T from ceil(#selected/R) up that keeps every shard within R. Returns T and
-- tasks: task id (0-based) → list of runs, holding only the non-empty tasks.
function M.layout(runs, selected, per_task)
  local n = #runs
  local t = math.max(1, (#selected + per_task - 1) // per_task)
  if #selected == n then t = math.max(1, (n + per_task - 1) // per_task) end
  while true do
    local tasks, full = {}, true
    for _, r in ipairs(selected) do
      local s = plan.shard_of(r.index, t)
      tasks[s] = tasks[s] or {}
      local list = tasks[s]
      list[#list + 1] = r
      if #list > per_task then full = false end
    end
    if full or t >= n then return t, tasks end
    t = t + 1
  end
end

-- Task ids as --array values of at most `limit` characters each (suffix, e.g. "%4", counted
-- in): compact ranges, split between items. Returns a list of strings.
function M.array_values(ids, suffix, limit)
  suffix, limit = suffix or "", limit or M.ARRAY_LIMIT
  local text = ranges.format(ids)
  local out, cur = {}, nil
  for item in text:gmatch("[^,]+") do
    if #item + #suffix > limit then
      error(string.format("array item '%s' longer than %d characters", item, limit), 0)
    end
    if cur and #cur + 1 + #item + #suffix <= limit then
      cur = cur .. "," .. item
    else
      if cur then out[#out + 1] = cur .. suffix end
      cur = item
    end
  end
  if cur then out[#out + 1] = cur .. suffix end
  return out
end

-- Shell word for an argument: unquoted when it is plainly safe, else single-quoted.
local function word(s)
  if s:match("^[%w_%-%./=:,+@%%]+$") then return s end
  return files.quote(s)
end

-- #SBATCH lines shared by the array and the merge job.
local function common_directives(p, lines)
  lines[#lines + 1] = "#SBATCH --chdir=" .. p.chdir
  if p.partition then lines[#lines + 1] = "#SBATCH --partition=" .. p.partition end
  if p.time then lines[#lines + 1] = "#SBATCH --time=" .. p.time end
  if p.mem then lines[#lines + 1] = "#SBATCH --mem=" .. p.mem end
  for _, s in ipairs(p.sbatch_options or {}) do lines[#lines + 1] = "#SBATCH " .. s end
end

-- '%' starts a pattern in Slurm's --output names; a literal one is written '%%'.
local function slurm_path(s) return (s:gsub("%%", "%%%%")) end

-- Text of the array batch script. p: experiment, actlab (binary), script, sweep_args
-- (list, without --out), out (absolute), chdir, tasks (T), per_task, nruns, array (the
-- --array value), cpus, partition, time, mem, sbatch_options, command (how it was made).
function M.batch_script(p)
  local lines = {
    "#!/bin/bash",
    string.format("# actlab sweep '%s' as a Slurm job array: task t runs shard t/%d of the sweep's %d runs",
      p.experiment, p.tasks, p.nruns),
    string.format("# (at most %d each), writing its run files under %s/runs.", p.per_task, p.out),
    "# Made by: " .. (p.command or "actlab slurm"),
    "# Resubmit tasks: sbatch --array=LIST " .. p.out .. "/slurm/array.sbatch [--retry-failed]",
    "# (actlab status " .. p.out .. " lists them); arguments after the file go to the sweep.",
    "#SBATCH --job-name=actlab-" .. p.experiment,
    "#SBATCH --array=" .. p.array,
    "#SBATCH --output=" .. slurm_path(p.out) .. "/slurm/%A_%a.out",
    string.format("#SBATCH --cpus-per-task=%d", p.cpus),
  }
  common_directives(p, lines)
  local argv = { word(p.actlab), word(p.script) }
  for _, s in ipairs(p.sweep_args) do argv[#argv + 1] = word(s) end
  for _, s in ipairs{ "--out", word(p.out), "--threads", tostring(p.cpus) } do argv[#argv + 1] = s end
  argv[#argv + 1] = string.format('--shard "$SLURM_ARRAY_TASK_ID/%d" "$@"', p.tasks)
  lines[#lines + 1] = "# OpenBLAS sizes its thread pool when it loads, before --threads is read."
  lines[#lines + 1] = string.format("export OPENBLAS_NUM_THREADS=%d", p.cpus)
  lines[#lines + 1] = "exec " .. table.concat(argv, " ")
  return table.concat(lines, "\n") .. "\n"
end

-- Text of the merge batch script: combines the run files into <out>/results.csv, then
-- writes the status report into its log. p: as for batch_script.
function M.merge_script(p)
  local lines = {
    "#!/bin/bash",
    string.format("# Builds %s/results.csv from the run files of sweep '%s' once its array has ended", p.out,
      p.experiment),
    "# (submitted with --dependency=afterany:<array job>, which also fires when tasks failed),",
    "# then reports which runs are missing.",
    "#SBATCH --job-name=actlab-" .. p.experiment .. "-merge",
    "#SBATCH --output=" .. slurm_path(p.out) .. "/slurm/merge_%j.out",
    "#SBATCH --cpus-per-task=1",
  }
  common_directives(p, lines)
  local bin, out = word(p.actlab), word(p.out)
  lines[#lines + 1] = string.format("%s merge %s %s", bin, word(p.out .. "/results.csv"), out)
  lines[#lines + 1] = "rc=$?"
  lines[#lines + 1] = string.format("%s status %s", bin, out)
  lines[#lines + 1] = "exit $rc"
  return table.concat(lines, "\n") .. "\n"
end

-- Shell commands that submit the array (one sbatch per --array value) and the merge job
-- after all of them: the text printed for the user. values: --array values; explicit:
-- pass --array even for a single value (when it differs from the file's line).
function M.submit_commands(array_file, merge_file, values, explicit, extra)
  extra = extra and (" " .. extra) or ""
  if #values == 1 and not explicit then
    return string.format("jid=$(sbatch --parsable %s%s) && sbatch --dependency=afterany:${jid%%%%;*} %s",
      array_file, extra, merge_file)
  end
  local parts, deps = {}, {}
  for i, v in ipairs(values) do
    parts[i] = string.format("j%d=$(sbatch --parsable --array=%s %s%s)", i, v, array_file, extra)
    deps[i] = string.format("${j%d%%%%;*}", i)
  end
  return table.concat(parts, " && ") .. " && sbatch --dependency=afterany:" ..
    table.concat(deps, ":") .. " " .. merge_file
end

-- Runs a command and returns its stdout, or nil and a message naming what failed.
local function capture(cmd)
  local p = io.popen(cmd, "r")
  if not p then return nil, "cannot run: " .. cmd end
  local text = p:read("a")
  local ok, how, code = p:close()
  if not ok then
    return nil, string.format("'%s' failed (%s %s)", cmd, tostring(how), tostring(code)), text
  end
  return text
end

-- The cluster's MaxArraySize (task ids must be below it), or nil when unknown.
local function max_array_size()
  local text = capture("scontrol show config 2>/dev/null")
  return text and tonumber(text:match("MaxArraySize%s*=%s*(%d+)")) or nil
end

-- sbatch --parsable: "jobid" or "jobid;cluster" → jobid.
local function sbatch(args)
  local text, err = capture("sbatch --parsable " .. args)
  if not text then return nil, err end
  local id = text:match("^%s*(%d+)")
  if not id then return nil, "sbatch printed no job id: " .. text end
  return id
end

-- Submits the array (one job per --array value) and the merge job after all of them.
-- Returns the array job ids and the merge job id, or nil and a message.
function M.submit(array_file, merge_file, values, extra_args)
  if not os.execute("command -v sbatch >/dev/null 2>&1") then
    return nil, "sbatch not found: is this a Slurm login node? (the batch scripts are written)"
  end
  local ids = {}
  for _, v in ipairs(values) do
    local id, err = sbatch("--array=" .. v .. " " .. files.quote(array_file) ..
      (extra_args and (" " .. extra_args) or ""))
    if not id then
      return nil, err .. (#ids > 0 and ("; already submitted: " .. table.concat(ids, ", ")) or "")
    end
    ids[#ids + 1] = id
  end
  local mid, err = sbatch("--dependency=afterany:" .. table.concat(ids, ":") .. " " ..
    files.quote(merge_file))
  if not mid then return nil, err .. "; array job(s) submitted: " .. table.concat(ids, ", ") end
  return ids, mid
end

-- Absolute form of a path (relative ones against the current folder).
function M.absolute(path, base)
  if path:sub(1, 1) == "/" then return path end
  path = path:gsub("^%./", "")
  return base .. "/" .. path
end

local function cwd()
  local p = io.popen("pwd", "r")
  local d = p and p:read("l")
  if p then p:close() end
  return d or os.getenv("PWD") or "."
end

-- <out>/slurm/tasks.csv: which runs each array task holds, with each run's experiment and
-- configuration columns, so that actlab status can name them before any task has run.
function M.write_tasks(path, experiment, t, tasks)
  local rows, ids, cols, seen = {}, {}, {}, {}
  for id in pairs(tasks) do ids[#ids + 1] = id end
  table.sort(ids)
  for _, id in ipairs(ids) do
    for _, r in ipairs(tasks[id]) do
      local row = { task = id, tasks = t, run_index = r.index, run_id = r.id, experiment = experiment }
      for k, v in pairs(r.columns or {}) do
        if row[k] == nil then
          row[k] = v
          if not seen[k] then seen[k] = true; cols[#cols + 1] = k end
        end
      end
      rows[#rows + 1] = row
    end
  end
  table.sort(cols)
  local header = { "task", "tasks", "run_index", "run_id", "experiment" }
  for _, c in ipairs(cols) do header[#header + 1] = c end
  return files.write_atomic(path, csv.format(header, rows))
end

local function run(args)
  local o = M.parse(args)
  if o.help then print(USAGE) return 0 end
  if not o.script then
    io.stderr:write("actlab slurm: no sweep script given\n", USAGE, "\n")
    return 2
  end
  local def, sw = M.load_sweep(o.script, o.sweep_args)
  if not def then error(sw, 0) end
  local runs, selected, out = M.plan_of(def, sw)
  if #selected == 0 then error("no runs selected (check --only / --runs)", 0) end

  local here = cwd()
  local abs_out = plain("--out", M.absolute(out, here))
  -- --out is given to each task as an absolute path, so it is dropped from the rest
  local sweep_args, skip = {}, false
  for _, s in ipairs(o.sweep_args) do
    if skip then skip = false
    elseif s == "--out" then skip = true
    elseif not s:match("^%-%-out=") then sweep_args[#sweep_args + 1] = s end
  end

  local t, tasks = M.layout(runs, selected, o.runs_per_task)
  local pending = {}
  local wanted
  if o.tasks then
    wanted = {}
    for _, id in ipairs(o.tasks) do
      if id >= t then error(string.format("--tasks: task %d does not exist (tasks 0-%d)", id, t - 1), 0) end
      wanted[id] = true
    end
  end
  local ndone = 0
  for id, list in pairs(tasks) do
    local todo = false
    for _, r in ipairs(list) do
      local s = runfiles.read_run(abs_out, r.id)
      if s.state ~= "done" or (sw.retry_failed and s.status == "error") then
        todo = true
      else
        ndone = ndone + 1
      end
    end
    if todo and (not wanted or wanted[id]) then pending[#pending + 1] = id end
  end
  table.sort(pending)

  local slurm_dir = abs_out .. "/slurm"
  local ok, err = files.mkdir_p(slurm_dir)
  if not ok then error(err, 0) end
  ok, err = M.write_tasks(slurm_dir .. "/tasks.csv", def.experiment, t, tasks)
  if not ok then error(err, 0) end
  if #pending == 0 then
    print(string.format("nothing to submit: the %d selected runs of sweep '%s' are complete in %s",
      #selected, def.experiment, abs_out))
    print(string.format("combine them with: actlab merge %s/results.csv %s", abs_out, abs_out))
    return 0
  end

  local suffix = o.max_parallel and ("%" .. o.max_parallel) or ""
  local values = M.array_values(pending, suffix)
  local cmdline = { "actlab slurm" }
  for _, s in ipairs(args) do cmdline[#cmdline + 1] = word(s) end
  local p = {
    experiment = plain("experiment name", def.experiment),
    actlab = require("actlab.jobs").binary(),
    script = M.absolute(o.script, here),
    sweep_args = sweep_args, out = abs_out, chdir = plain("current folder", here),
    tasks = t, per_task = o.runs_per_task, nruns = #runs, array = values[1], cpus = o.cpus,
    partition = o.partition, time = o.time, mem = o.mem, sbatch_options = o.sbatch_options,
    command = table.concat(cmdline, " "):gsub("\n", " "),
  }
  local array_file, merge_file = slurm_dir .. "/array.sbatch", slurm_dir .. "/merge.sbatch"
  ok, err = files.write_atomic(array_file, M.batch_script(p))
  if ok then ok, err = files.write_atomic(merge_file, M.merge_script(p)) end
  if not ok then error(err, 0) end
  os.execute("chmod +x " .. files.quote(array_file) .. " " .. files.quote(merge_file))

  print(string.format("sweep '%s': %d runs, %d selected, %d complete; %d array tasks of at most %d runs",
    def.experiment, #runs, #selected, ndone, t, o.runs_per_task))
  print(string.format("wrote %s (--array=%s%s)", array_file, values[1],
    #values > 1 and string.format(" and %d more lists", #values - 1) or ""))
  print(string.format("wrote %s (builds %s/results.csv)", merge_file, abs_out))
  if not o.submit then
    print("submit with:")
    print("  " .. M.submit_commands(array_file, merge_file, values, #values > 1))
    return 0
  end

  local top = pending[#pending]
  local max = max_array_size()
  if max and top >= max then
    error(string.format("task ids go up to %d but this cluster's MaxArraySize is %d: " ..
      "use --runs-per-task %d or more", top, max, (#runs + max - 1) // max), 0)
  end
  local ids, mid = M.submit(array_file, merge_file, values)
  if not ids then error(mid, 0) end
  for i, id in ipairs(ids) do
    print(string.format("array job %s: tasks %s, logs %s/%s_<task>.out", id, values[i], slurm_dir, id))
  end
  print(string.format("merge job %s: after array job%s %s, log %s/merge_%s.out", mid,
    #ids > 1 and "s" or "", table.concat(ids, ", "), slurm_dir, mid))
  print("progress: actlab status " .. abs_out)
  return 0
end

-- Entry point of `actlab slurm`: returns the exit status.
function M.main(args)
  local ok, res = pcall(run, args)
  if ok then return res end
  io.stderr:write("actlab slurm: ", clean_message(res), "\n")
  return 1
end

return M
