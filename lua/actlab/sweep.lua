-- Sweeps: a grid of configurations run one after another (or --jobs at a time), each
-- run's rows saved in its own run file when it completes, the combined results.csv
-- rebuilt after every run, so that a sweep killed at any moment resumes where it stopped.
local columns = require "actlab.columns"
local failure = require "actlab.failure"
local files = require "actlab.files"
local options = require "actlab.options"
local plan = require "actlab.plan"
local progress = require "actlab.progress"
local ranges = require "actlab.ranges"
local runfiles = require "actlab.runfiles"
local runid = require "actlab.runid"
local summary = require "actlab.summary"
local csv = require "actlab.csv"

local M = {}

-- The actlab C module, or nil when running under plain lua5.4 without it.
local function lib()
  local a = rawget(_G, "actlab")
  if a then return a end
  local ok, m = pcall(require, "actlab")
  return ok and m or nil
end

local function lib_field(name)
  local a = lib()
  if type(a) ~= "table" then return nil end
  return rawget(a, name)
end

local function interrupted()
  local f = lib_field("interrupted")
  return type(f) == "function" and f() and true or false
end

local function blas_threads()
  local f = lib_field("threads")
  if type(f) ~= "function" then return nil end
  local ok, n = pcall(f)
  return ok and n or nil
end

-- Parses the command line (argv: the script's `arg`) with the script's own options
-- ({name, argument-or-nil, help} each). --help prints the usage and exits.
function M.args(argv, own)
  local list = {}
  for i = 1, #(argv or {}) do list[i] = argv[i] end
  local script = argv and argv[0] or nil
  local o = options.parse(list, own, script)
  o.script = script
  -- The program puts what came before the script (itself, its options) at negative
  -- indices: with none, arg[0] is the program itself (actlab -e), not a script that
  -- --jobs workers could run again.
  o.spawnable = script ~= nil and script ~= "-" and argv[-1] ~= nil
  if o.help then
    print(o.help_text)
    os.exit(0)
  end
  return o
end

-- An error message without the "file.lua:12: " position prefix.
local function clean_message(err)
  local msg = tostring(err)
  msg = msg:gsub("^[^\n]-%.lua:%d+: ", "", 1)
  return msg
end

local function metric(v)
  if type(v) == "number" then return v end
  return nil
end

-- The rows of one finished run (maps column → value) and its per-layer rows.
-- measured: columns the runner filled in as it ran (ctx.columns), over the plan's.
local function build_rows(def, run, evals, final, status, message, measured)
  local a = lib()
  local prov = {
    actlab_version = a and a.version or "",
    git_commit = a and a.git_commit or "",
    blas_threads = blas_threads(),
  }
  if final and final.epoch then
    local last = evals[#evals]
    if last and last.row.epoch == final.epoch then
      last.row = final
    else
      evals[#evals + 1] = { row = final, time = os.date("!%Y-%m-%dT%H:%M:%SZ") }
    end
  end
  local rows, lrows = {}, {}
  local function base()
    local r = { run_id = run.id, experiment = def.experiment, run_index = run.index }
    for k, v in pairs(run.columns) do r[k] = v end
    -- train_n 0 means "all", a number only the runner knows: unknown unless it said
    if r.train_n == "0" then r.train_n = nil end
    for k, v in pairs(measured or {}) do r[k] = v end
    for k, v in pairs(prov) do r[k] = v end
    return r
  end
  for i, e in ipairs(evals) do
    local row, r = e.row, base()
    for _, k in ipairs{ "epoch", "step", "train_loss", "train_acc", "test_loss", "test_acc",
      "seconds" } do
      r[k] = metric(row[k])
    end
    r.timestamp = e.time
    local st = row.status or "ok"
    if i == #evals and status ~= "ok" then st = status end
    r.status = st
    if st == "diverged" then
      r.diverged_epoch = metric(row.epoch)
      r.diverged_layer = metric(row.diverged_layer)
    end
    if i == #evals then r.message = message end
    rows[#rows + 1] = r
    for _, l in ipairs(row.layers or {}) do
      lrows[#lrows + 1] = { run_id = run.id, experiment = def.experiment, run_index = run.index,
        dataset = run.columns.dataset, activation = run.columns.activation,
        gamma = run.columns.gamma, depth = run.columns.depth, lr = run.columns.lr,
        seed = run.columns.seed, epoch = metric(row.epoch), layer = metric(l.layer),
        dead = metric(l.dead), saturated = metric(l.saturated),
        grad_norm = metric(l.grad_norm), alpha = metric(l.alpha) }
    end
  end
  if #rows == 0 then
    local r = base()
    r.status = status
    r.message = message
    r.timestamp = os.date("!%Y-%m-%dT%H:%M:%SZ")
    rows[1] = r
  end
  local _, extras = columns.of_config(run.config)
  for k in pairs(measured or {}) do extras[#extras + 1] = k end
  return rows, lrows, extras
end

-- Runs one configuration and writes its run file. Returns status (ok | diverged | error |
-- interrupted), final test accuracy, message. The runner gets ctx: run, out, report(row)
-- after every evaluation, and columns (a table it may fill with column values known only
-- once it runs, such as train_n, the number of training images used).
local function execute(def, run, out, on_eval)
  local evals = {}
  local ctx = { run = run, out = out, columns = {} }
  function ctx.report(row)
    evals[#evals + 1] = { row = row, time = os.date("!%Y-%m-%dT%H:%M:%SZ") }
    if on_eval then on_eval(row) end
    return not interrupted()
  end
  local ok, final, status = pcall(def.run, run.config, ctx)
  local message
  if not ok then
    if interrupted() then return "interrupted" end
    message, final, status = clean_message(final), nil, "error"
  else
    status = status or (type(final) == "table" and final.status) or "ok"
    if status == "interrupted" or interrupted() then return "interrupted" end
    if type(final) ~= "table" then final = nil end
  end
  local rows, lrows, extras = build_rows(def, run, evals, final, status, message, ctx.columns)
  local wok, werr = runfiles.write_run(out, run.id, extras, rows, lrows)
  if not wok then failure.raise(werr) end
  local acc = tonumber(rows[#rows].test_acc)
  return status, acc, message
end

-- <out>/plan.csv: every run of the sweep with its index, id and configuration, so that
-- tools (actlab status) know the runs that have no file yet, and on every row the script
-- that ran it (as given and absolute) with its own options (--full), so that they can
-- print the command that reruns some of them. Rewritten only when changed.
local function write_plan(out, def, runs, o)
  local extras = {}
  for _, r in ipairs(runs) do
    local _, ex = columns.of_config(r.config)
    for _, k in ipairs(ex) do extras[#extras + 1] = k end
  end
  local header = runfiles.header({ "run_index", "run_id", "experiment", table.unpack(columns.CONFIG) }, extras)
  for _, c in ipairs{ "config", "script", "script_path", "script_options" } do
    header[#header + 1] = c
  end
  local script, script_path, script_options = "", "", ""
  if o.spawnable then
    script, script_path = o.script, files.absolute(o.script)
    local words = {}
    for i, w in ipairs(o.own_argv or {}) do words[i] = files.shell_word(w) end
    script_options = table.concat(words, " ")
  end
  local rows = {}
  for i, r in ipairs(runs) do
    local row = { run_index = r.index, run_id = r.id, experiment = def.experiment,
      config = runid.canonical(r.config), script = script, script_path = script_path,
      script_options = script_options }
    for k, v in pairs(r.columns) do row[k] = v end
    rows[i] = row
  end
  local text = csv.format(header, rows)
  if files.read(out .. "/plan.csv") == text then return true end
  return files.write_atomic(out .. "/plan.csv", text)
end

-- A hand-edited combined file that no longer parses is kept aside (not overwritten) and
-- reported with the line where it breaks; the run files are the source of truth.
local function check_combined(out, p)
  for _, name in ipairs{ "results.csv", "layers.csv" } do
    local path = out .. "/" .. name
    if files.exists(path) then
      local header, err = csv.read(path)
      if not header then
        local dest = files.set_aside(path, "broken")
        p:note(string.format("warning: %s; kept as %s, rebuilt from the run files",
          tostring(err), tostring(dest)))
      end
    end
  end
end

local function print_dry_run(runs, states, label)
  print(string.format("%d runs", #runs))
  for _, r in ipairs(runs) do
    local s = states[r.id]
    local state = s.state == "done" and s.status or s.state
    print(string.format("%5d  %s  %-9s  %s", r.index, r.id, state, label(r)))
  end
end

-- --only and --runs against the sweep's runs: an unknown key, a value no run has, a run
-- index outside 1..N, or filters that each match runs but together none, is a failure
-- (a typo must not pass for a finished sweep of 0 runs). --shard is not checked: a
-- shard may be empty.
local function check_filters(runs, o)
  local only = o.only or {}
  if #only > 0 then
    local keys = plan.only_keys(runs)
    local known = {}
    for _, k in ipairs(keys) do known[k] = true end
    for _, kv in ipairs(only) do
      if not known[kv[1]] then
        failure.raise(string.format("--only: unknown key '%s'; keys of this sweep: %s", kv[1],
          table.concat(keys, ", ")))
      end
      if #plan.select(runs, { only = { kv } }) == 0 then
        failure.raise(string.format("--only %s=%s: no run has %s = %s (values: %s)", kv[1],
          kv[2], kv[1], kv[2], table.concat(plan.values(runs, kv[1]), ", ")))
      end
    end
  end
  if o.runs then
    local outside = {}
    for i in pairs(o.runs) do
      if i < 1 or i > #runs then outside[#outside + 1] = i end
    end
    if #outside > 0 then
      failure.raise(string.format("--runs %s: no run %s in this sweep (valid: %s)",
        o.runs_text or ranges.format(outside), ranges.format(outside),
        #runs == 1 and "1" or ("1-" .. #runs)))
    end
  end
  local given = {}
  for _, kv in ipairs(only) do given[#given + 1] = "--only " .. kv[1] .. "=" .. kv[2] end
  if o.runs then given[#given + 1] = "--runs " .. (o.runs_text or "") end
  if #given > 1 and #plan.select(runs, { only = only, runs = o.runs }) == 0 then
    failure.raise(string.format("%s: each matches some runs, but no run matches them all",
      table.concat(given, " ")))
  end
end

-- The runs of a sweep without running anything: {runs= (all, numbered), selected= (those
-- --shard, --only and --runs keep), out= (the results folder)}. Fills in the trainer as
-- def.run (with its defaults and prepare) when the definition has no runner. Raises a
-- failure for --only or --runs that select nothing (see check_filters).
function M.plan(def, o)
  if not def.run then
    local trainer = require "actlab.trainer"
    def.run = trainer.run
    def.defaults = def.defaults or trainer.defaults
    def.prepare = def.prepare or trainer.prepare
  end
  local runs = plan.expand(def)
  check_filters(runs, o)
  return { runs = runs, out = o.out or def.out or ("results/" .. def.experiment),
    selected = plan.select(runs, { shard = o.shard, only = o.only, runs = o.runs }) }
end

-- BLAS threads given to the program itself (actlab --threads N SCRIPT): its options come
-- before the script, at arg's negative indices.
local function program_threads()
  local argv = rawget(_G, "arg")
  if type(argv) ~= "table" then return nil end
  local first = 0
  while argv[first - 1] ~= nil do first = first - 1 end
  local n
  for i = first + 1, -1 do
    local a = argv[i]
    if a == "--threads" then n = argv[i + 1]
    elseif type(a) == "string" and a:match("^%-%-threads=") then n = a:match("=(.*)$") end
  end
  n = math.tointeger(tonumber(n or ""))
  return n and n > 0 and n or nil
end

-- Runs at once and BLAS threads per run. Reproducible by default: one BLAS thread per
-- run, and as many runs at once as the machine has cores (at most the runs to do);
-- --threads N alone (to the sweep or to the program) keeps one process with N threads;
-- --jobs J, alone or with --threads, is taken as given. A worker, or a sweep that was not
-- started from a script file (nothing a worker could run again), runs in this process.
local function parallelism(def, o, ntodo)
  local threads = o.threads or program_threads()
  local jobs = o.jobs
  if not jobs then
    if threads then jobs = 1 else jobs = def.jobs or require("actlab.jobs").cores() end
  end
  if o.worker or not o.spawnable then jobs = 1 end
  return math.max(1, math.min(jobs, ntodo)), threads or 1
end

-- Runs a sweep. def: experiment (name), grid / configs / fixed / defaults / derive /
-- filter (see plan.expand), run(cfg, ctx) (default: the MLP trainer, ctx.report(row)
-- after every evaluation; returns the final row and status, or raises an error),
-- prepare(runs) (checks before any run), args (from M.args; default: parse `arg`),
-- out (default folder instead of results/<experiment>), plot(draw, out) (see M.plot) and
-- report{out=, runs=, states=} for the end, show (the columns that name a configuration
-- in progress lines and the summary, seed aside; default: those that vary), log (progress stream, default
-- io.stderr; the summary goes to io.output()), jobs (runs at once when neither --jobs nor
-- --threads is given; default: the number of cores). Sets this process's BLAS thread count
-- (1 unless --threads says otherwise). Returns 0, or raises a failure (actlab.failure: the
-- program prints its message alone) for bad options, a folder or file that cannot be
-- written, or an interruption (after rebuilding the combined CSV).
function M.run(def)
  local o = def.args or M.args(rawget(_G, "arg") or {}, nil)
  local pl = M.plan(def, o)
  local runs, selected, out = pl.runs, pl.selected, pl.out
  local label = summary.labeller(runs, def.show or summary.display_keys(runs))

  local states = {}
  for _, r in ipairs(runs) do states[r.id] = runfiles.read_run(out, r.id) end

  if o.dry_run then
    print_dry_run(selected, states, label)
    return 0
  end
  local function pending(r)
    local s = states[r.id]
    return s.state ~= "done" or (o.retry_failed and s.status == "error")
  end
  if o.missing then
    local idx = {}
    for _, r in ipairs(selected) do if pending(r) then idx[#idx + 1] = r.index end end
    print(ranges.format(idx))
    return 0
  end

  if o.worker then
    -- this worker's share of the runs its parent listed: every n-th from the k-th
    local mine = {}
    for i, r in ipairs(selected) do
      if (i - 1) % o.worker[2] == o.worker[1] then mine[#mine + 1] = r end
    end
    selected = mine
  end
  local todo = {}
  for _, r in ipairs(selected) do if pending(r) then todo[#todo + 1] = r end end
  local combined = not o.shard and not o.worker
  local log = def.log or io.stderr
  local p = progress.new(#todo, not o.worker and log == io.stderr and files.stderr_is_tty(), log)

  local jobs, threads = parallelism(def, o, #todo)
  if jobs == 1 then
    local f = lib_field("threads")
    if type(f) == "function" then f(threads) end
  end
  local ok, err = files.mkdir_p(runfiles.runs_dir(out))
  if not ok then failure.raise(err) end
  if not o.worker then
    ok, err = write_plan(out, def, runs, o)
    if not ok then failure.raise(err) end
  end
  if not o.worker then
    files.remove_stale_tmp(out)
    files.remove_stale_tmp(runfiles.runs_dir(out))
  end
  if combined then check_combined(out, p) end
  for _, r in ipairs(todo) do
    if states[r.id].state == "broken" then
      local dest = files.set_aside(runfiles.run_path(out, r.id), "broken")
      p:note(string.format("warning: %s; kept as %s, the run is redone",
        tostring(states[r.id].message), tostring(dest)))
    end
  end
  if def.prepare and #todo > 0 then
    local pok, perr = pcall(def.prepare, todo)
    if not pok then p:clear(); failure.raise(clean_message(perr)) end
  end

  local skipped = #selected - #todo
  if not o.worker then
    p:note(string.format("%s: %d runs in the sweep, %d selected, %d already complete, %d to run " ..
      "(%d at a time, %d BLAS thread%s each); results in %s", def.experiment, #runs, #selected,
      skipped, #todo, jobs, threads, threads == 1 and "" or "s", out))
  end

  local stopped, failed, lost = false, 0, 0
  local function rebuild()
    if combined then
      local n, rerr = runfiles.rebuild(out, runs)
      if not n then p:clear(); failure.raise(rerr) end
    end
  end

  -- The program turns SIGINT / SIGTERM into one Lua error raised wherever Lua code runs
  -- (and sets the flag that stops training): caught here, so that the runs already
  -- complete are combined before leaving. Every file write is atomic, so whatever
  -- instruction the error interrupts, no run file is ever partial.
  local function work()
    if jobs > 1 then
      local parallel = require "actlab.jobs"
      local res = parallel.run{ o = o, todo = todo, out = out, jobs = jobs, threads = threads,
        progress = p, label = label, interrupted = interrupted,
        on_done = function() rebuild() end }
      stopped, failed, lost = res.interrupted, res.failed, res.lost
    else
      for i, r in ipairs(todo) do
        if interrupted() then stopped = true; break end
        if o.worker then
          io.stdout:write(string.format("@actlab\tstart\t%d\t%s\n", r.index, files.pid()))
          io.stdout:flush()
        else
          p:start(i, r.index, label(r))
        end
        local status, acc, message = execute(def, r, out, function(row)
          if o.worker then
            io.stdout:write(string.format("@actlab\teval\t%d\t%s\t%s\t%s\n", r.index,
              tostring(row.epoch), tostring(r.config.epochs), tostring(row.test_acc)))
            io.stdout:flush()
          else
            p:eval(row.epoch, r.config.epochs, row.test_acc)
          end
        end)
        if status == "interrupted" then stopped = true; break end
        if status == "error" then failed = failed + 1 end
        if o.worker then
          io.stdout:write(string.format("@actlab\tdone\t%d\t%s\t%s\t%s\n", r.index, status,
            tostring(acc), ((message or ""):gsub("[\t\r\n].*", "")):sub(1, 300)))
          io.stdout:flush()
        else
          p:finish(status, acc, message)
          rebuild()
        end
      end
    end
  end
  local wok, werr = pcall(work)
  if not wok then
    if not interrupted() then p:clear(); error(werr, 0) end
    stopped = true
  end
  if o.worker then
    if stopped then failure.raise("interrupted") end
    return 0
  end
  rebuild()

  for _, r in ipairs(runs) do states[r.id] = runfiles.read_run(out, r.id) end
  local keys, groups = summary.groups(selected, states, def.show)
  io.write(summary.format(keys, groups))
  io.output():flush()
  if failed > 0 then
    p:note(string.format("%d run(s) ended in error (see the message column); " ..
      "rerun with --retry-failed after fixing the cause", failed))
  end
  if stopped then
    local msg = string.format("interrupted: the unfinished run was abandoned (no partial rows); " ..
      "%s holds the complete runs; run the same command again to resume",
      combined and (out .. "/results.csv") or (out .. "/runs"))
    -- said here too: the program reports a signal by its name alone
    p:note(msg)
    failure.raise(msg)
  end
  if lost > 0 and not stopped then
    failure.raise(string.format("%d run(s) did not finish; run the same command again to redo them", lost))
  end
  if o.shard then
    p:note(string.format("shard %d/%d done; combine the shards with: actlab merge %s/results.csv %s",
      o.shard[1], o.shard[2], out, out))
  end
  if def.report then def.report{ out = out, runs = selected, states = states } end
  if combined and def.plot then M.plot(def, out, p) end
  return 0
end

-- The experiment's plots through actlab.plot, when that module and gnuplot exist.
-- def.plot(draw, out) calls draw(kind, opts) for each picture (kind: a function of
-- actlab.plot such as "sweep", "curves", "dead", "gradients"); one failing picture is
-- reported and the others are still drawn.
function M.plot(def, out, p)
  local ok, plot = pcall(require, "actlab.plot")
  if not ok then
    p:note("plots skipped: the actlab.plot module is not available")
    return
  end
  if os.execute("command -v gnuplot >/dev/null 2>&1") ~= true then
    p:note("plots skipped: gnuplot is not installed")
    return
  end
  local function draw(kind, opts)
    if type(plot[kind]) ~= "function" then
      p:note("plot skipped: actlab.plot has no '" .. tostring(kind) .. "'")
      return
    end
    local dok, file = pcall(plot[kind], opts)
    if dok then
      p:note("plot: " .. tostring(file))
    else
      p:note("plot " .. tostring(opts.out) .. " skipped: " .. clean_message(file))
    end
  end
  local pok, perr = pcall(def.plot, draw, out)
  if not pok then p:note("plots skipped: " .. clean_message(perr)) end
end

-- Final row of each complete run of the sweep, and its per-layer rows (for reports).
function M.final(states, run)
  local s = states[run.id]
  if not s or s.state ~= "done" then return nil end
  local last = s.rows[#s.rows]
  local layers = {}
  for _, l in ipairs(s.layer_rows or {}) do
    if l.epoch == last.epoch then layers[#layers + 1] = l end
  end
  return last, layers, s
end

return M
