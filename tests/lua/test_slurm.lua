-- actlab slurm and actlab status without a cluster: option checks, the batch scripts'
-- text, tasks of R runs, --array range lists and their 4,096-character split, submission
-- through a stand-in sbatch, and status read from fabricated run files.
-- (tests/scripts/test_slurm.sh runs the same against a real Slurm.)
local T = dofile((os.getenv("ACTLAB_SOURCE_DIR") or ".") .. "/tests/lua/testlib.lua")
local slurm = require "actlab.cmd.slurm"
local ranges = require "actlab.ranges"
local files = require "actlab.files"
local q = T.quote

local SRC = os.getenv("ACTLAB_SOURCE_DIR") or "."
local BIN = os.getenv("ACTLAB_BIN")
local FIXTURE = SRC .. "/tests/lua/fixtures/slurm_sweep.lua"
local TMP = T.tmpdir() .. "/slurm"
os.execute("rm -rf " .. q(TMP))
assert(files.mkdir_p(TMP))

local write = T.write

local function lines_of(text)
  local out = {}
  for l in text:gmatch("[^\n]+") do out[#out + 1] = l end
  return out
end

local function has_line(text, l)
  for _, x in ipairs(lines_of(text)) do if x == l then return true end end
  return false
end

local function actlab(args, env)
  if not BIN or BIN == "" then T.skip("ACTLAB_BIN is not set") end
  return T.run((env or "") .. " " .. q(BIN) .. " " .. args)
end

---------------------------------------------------------------------------------------------
-- Options

T.test("a time limit is accepted in each of Slurm's formats and refused otherwise", function()
  for _, s in ipairs{ "30", "30:00", "2:30:00", "1-12", "1-12:30", "1-12:30:00", "UNLIMITED" } do
    T.assert_true(slurm.valid_time(s), s)
  end
  for _, s in ipairs{ "", "1h", "1:2:3:4", "-5", "1-", "1-2-3", "12:", "soon" } do
    T.assert_eq(slurm.valid_time(s), false, s)
  end
end)

T.test("bad option values are refused with a message naming the option", function()
  local cases = {
    { { "s.lua", "--runs-per-task", "0" }, "--runs-per-task: positive integer expected, got '0'" },
    { { "s.lua", "--max-parallel=2.5" }, "--max-parallel: positive integer expected, got '2.5'" },
    { { "s.lua", "--cpus-per-task", "x" }, "--cpus-per-task: positive integer expected, got 'x'" },
    { { "s.lua", "--mem", "4GB" }, "--mem: megabytes, or a number with K, M, G or T expected, got '4GB'" },
    { { "s.lua", "--time", "1:2:3:4" }, "--time: Slurm time expected (MM, MM:SS, HH:MM:SS, D-HH, " ..
      "D-HH:MM, D-HH:MM:SS), got '1:2:3:4'" },
    { { "s.lua", "--partition", "a b" }, "--partition: partition name(s) expected, got 'a b'" },
    { { "s.lua", "--partition", "a,,b" }, "--partition: partition name(s) expected, got 'a,,b'" },
    { { "s.lua", "--sbatch-option", "account=x" },
      "--sbatch-option: an sbatch option (starting with -) expected, got 'account=x'" },
    { { "s.lua", "--tasks", "3-1" }, "--tasks: descending range '3-1' in range list '3-1'" },
    { { "s.lua", "--time" }, "option '--time' needs a value" },
    { { "s.lua", "--submit=yes" }, "option '--submit' takes no value" },
    { { "s.lua", "--shard", "0/2" }, "option '--shard' is not for actlab slurm: the array sets " ..
      "--shard for each task (use --runs-per-task to size the tasks)" },
    { { "s.lua", "--threads", "4" }, "option '--threads' is not for actlab slurm: BLAS threads " ..
      "follow --cpus-per-task" },
    { { "--only", "a=b", "s.lua" }, "the sweep script comes first: actlab slurm SCRIPT.lua --only ..." },
  }
  for _, c in ipairs(cases) do
    T.assert_error_eq(function() slurm.parse(c[1]) end, c[2], table.concat(c[1], " "))
  end
end)

T.test("sweep options pass through to the script in their order, slurm ones are taken out", function()
  local o = slurm.parse{ "s.lua", "--only", "activation=relu", "--partition", "gpu,cpu", "--full",
    "--mem=4G", "--retry-failed", "--submit", "--tasks", "3,5-6" }
  T.assert_eq(o.script, "s.lua")
  T.assert_eq(o.sweep_args, { "--only", "activation=relu", "--full", "--retry-failed" })
  T.assert_eq({ o.partition, o.mem, o.submit, o.runs_per_task, o.cpus },
    { "gpu,cpu", "4G", true, 1, 1 })
  T.assert_eq(o.tasks, { 3, 5, 6 })
end)

---------------------------------------------------------------------------------------------
-- Batch scripts

local P = {
  experiment = "sweep_gamma", actlab = "/opt/actlab/bin/actlab", script = "/home/u/exp/sweep gamma.lua",
  sweep_args = { "--full", "--only", "dataset=mnist" }, out = "/scratch/u/res", chdir = "/home/u",
  tasks = 27, per_task = 2, nruns = 54, array = "0-26%8", cpus = 4, partition = "short",
  time = "2:00:00", mem = "8G", sbatch_options = { "--account=lab" }, command = "actlab slurm ...",
}

T.test("the batch script has the array line, %A_%a logs, the threads and each task's shard", function()
  local text = slurm.batch_script(P)
  T.assert_eq(text:sub(1, 12), "#!/bin/bash\n")
  for _, l in ipairs{
    "#SBATCH --job-name=actlab-sweep_gamma",
    "#SBATCH --array=0-26%8",
    "#SBATCH --output=/scratch/u/res/slurm/%A_%a.out",
    "#SBATCH --cpus-per-task=4",
    "#SBATCH --chdir=/home/u",
    "#SBATCH --partition=short",
    "#SBATCH --time=2:00:00",
    "#SBATCH --mem=8G",
    "#SBATCH --account=lab",
    "export OPENBLAS_NUM_THREADS=4",
    "exec /opt/actlab/bin/actlab '/home/u/exp/sweep gamma.lua' --full --only dataset=mnist " ..
      "--out /scratch/u/res --threads 4 --shard \"$SLURM_ARRAY_TASK_ID/27\" \"$@\"",
  } do
    T.assert_true(has_line(text, l), "line " .. l .. " in\n" .. text)
  end
  -- every #SBATCH line comes before the first command, or sbatch ignores it
  local seen_cmd = false
  for _, l in ipairs(lines_of(text)) do
    if l:match("^#SBATCH") then T.assert_eq(seen_cmd, false, "#SBATCH after a command: " .. l) end
    if not l:match("^#") then seen_cmd = true end
  end
end)

T.test("without partition, time and memory the script leaves them to the cluster's defaults", function()
  local p = {}
  for k, v in pairs(P) do p[k] = v end
  p.partition, p.time, p.mem, p.sbatch_options = nil, nil, nil, {}
  local text = slurm.batch_script(p)
  T.assert_eq(text:find("--partition", 1, true), nil)
  T.assert_eq(text:find("--time", 1, true), nil)
  T.assert_eq(text:find("--mem", 1, true), nil)
end)

T.test("a literal % in the results folder is written %% in Slurm's log names", function()
  local p = {}
  for k, v in pairs(P) do p[k] = v end
  p.out = "/scratch/50%"
  T.assert_true(has_line(slurm.batch_script(p), "#SBATCH --output=/scratch/50%%/slurm/%A_%a.out"))
  T.assert_true(has_line(slurm.merge_script(p), "#SBATCH --output=/scratch/50%%/slurm/merge_%j.out"))
end)

T.test("the merge script merges the folder into its results.csv, then reports the status", function()
  local text = slurm.merge_script(P)
  for _, l in ipairs{
    "#SBATCH --job-name=actlab-sweep_gamma-merge",
    "#SBATCH --output=/scratch/u/res/slurm/merge_%j.out",
    "#SBATCH --cpus-per-task=1",
    "#SBATCH --partition=short",
    "/opt/actlab/bin/actlab merge /scratch/u/res/results.csv /scratch/u/res",
    "/opt/actlab/bin/actlab status /scratch/u/res",
    "exit $rc",
  } do
    T.assert_true(has_line(text, l), "line " .. l .. " in\n" .. text)
  end
  T.assert_eq(text:find("--array", 1, true), nil)
end)

T.test("the merge job depends on every array job with afterany, which fires even after failures", function()
  T.assert_eq(slurm.submit_commands("a.sbatch", "m.sbatch", { "0-3%2" }, false),
    "jid=$(sbatch --parsable a.sbatch) && sbatch --dependency=afterany:${jid%%;*} m.sbatch")
  T.assert_eq(slurm.submit_commands("a.sbatch", "m.sbatch", { "0-9", "12" }, true, "--retry-failed"),
    "j1=$(sbatch --parsable --array=0-9 a.sbatch --retry-failed) && " ..
    "j2=$(sbatch --parsable --array=12 a.sbatch --retry-failed) && " ..
    "sbatch --dependency=afterany:${j1%%;*}:${j2%%;*} m.sbatch")
end)

---------------------------------------------------------------------------------------------
-- Tasks and --array lists

local function runs_1_to(n)
  local runs = {}
  for i = 1, n do runs[i] = { index = i, id = "r" .. i } end
  return runs
end

local function indices_of(tasks)
  local out = {}
  for t, list in pairs(tasks) do
    out[t] = {}
    for i, r in ipairs(list) do out[t][i] = r.index end
  end
  return out
end

T.test("R runs per task: ceil(N/R) tasks, round robin, each run in exactly one task", function()
  local runs = runs_1_to(8)
  local t, tasks = slurm.layout(runs, runs, 3)
  T.assert_eq(t, 3)
  -- shard i/n of the sweep holds the runs whose (index - 1) mod n is i
  T.assert_eq(indices_of(tasks), { [0] = { 1, 4, 7 }, [1] = { 2, 5, 8 }, [2] = { 3, 6 } })
  runs = runs_1_to(7)
  t, tasks = slurm.layout(runs, runs, 2)
  T.assert_eq(t, 4)
  T.assert_eq(indices_of(tasks), { [0] = { 1, 5 }, [1] = { 2, 6 }, [2] = { 3, 7 }, [3] = { 4 } })
  t = slurm.layout(runs, runs, 10)
  T.assert_eq(t, 1)
end)

T.test("with --only, no task holds more than R runs and empty tasks are left out", function()
  local runs = runs_1_to(8)
  local odd = { runs[1], runs[3], runs[5], runs[7] }
  -- 4 shards would put runs 1 and 5 together in shard 0; 5 shards separate them all
  local t, tasks = slurm.layout(runs, odd, 1)
  T.assert_eq(t, 5)
  T.assert_eq(indices_of(tasks), { [0] = { 1 }, [1] = { 7 }, [2] = { 3 }, [4] = { 5 } })
end)

T.test("task ids are compacted into ranges, with the throttle after the list", function()
  T.assert_eq(slurm.array_values({ 9, 0, 1, 2, 3, 5, 7, 8 }), { "0-3,5,7-9" })
  T.assert_eq(slurm.array_values({ 4 }, "%4"), { "4%4" })
end)

T.test("an --array list longer than the limit is split between items, each within it", function()
  -- "1-3,5,7-9,11%2" is 14 characters; at 8 the greedy split is "1-3,5%2" and "7-9,11%2"
  T.assert_eq(slurm.array_values({ 1, 2, 3, 5, 7, 8, 9, 11 }, "%2", 8), { "1-3,5%2", "7-9,11%2" })
  -- the even ids 0..2998 written out: 5 one-digit, 45 two-digit, 450 three-digit and 1000
  -- four-digit numbers and 1499 commas = 6944 characters, so two lists at Slurm's 4096
  local evens = {}
  for i = 0, 2998, 2 do evens[#evens + 1] = i end
  T.assert_eq(#ranges.format(evens), 6944)
  local values = slurm.array_values(evens, "%10")
  T.assert_eq(#values, 2)
  local all = {}
  for _, v in ipairs(values) do
    T.assert_true(#v <= 4096, "length " .. #v)
    T.assert_eq(v:sub(-3), "%10")
    for _, x in ipairs(assert(ranges.parse(v:sub(1, -4)))) do all[#all + 1] = x end
  end
  T.assert_eq(all, evens)
  T.assert_true(#values[1] > 4096 - 6, "the first list is filled up to the limit")
end)

---------------------------------------------------------------------------------------------
-- Reading a sweep script without running it

T.test("a sweep script's runs are read without running any, as the sweep itself lists them", function()
  local out = TMP .. "/load"
  local saved_arg, saved_sweep = arg, require "actlab.sweep"
  local def, o = slurm.load_sweep(FIXTURE, { "--out", out, "--pause", "0" })
  T.assert_true(def, o)
  T.assert_true(arg == saved_arg and package.loaded["actlab.sweep"] == saved_sweep,
    "arg and the sweep module are restored")
  T.assert_eq(def.experiment, "slurm_test")
  local runs, selected, dir = slurm.plan_of(def, o)
  T.assert_eq({ #runs, #selected, dir }, { 8, 8, out })
  T.assert_eq(files.exists(out), false, "nothing written")
  -- the ids the sweep's own --dry-run prints
  local text, code = actlab(q(FIXTURE) .. " --dry-run --out " .. q(out))
  T.assert_eq(code, 0, text)
  local listed = {}
  for index, id in text:gmatch("\n%s*(%d+)%s+(%x+)%s") do listed[tonumber(index)] = id end
  T.assert_eq(#listed, 8, text)
  for _, r in ipairs(runs) do T.assert_eq(r.id, listed[r.index], "run " .. r.index) end
  -- --only narrows the selection, as the sweep's --only does
  def, o = slurm.load_sweep(FIXTURE, { "--only", "activation=prelu" })
  runs, selected = slurm.plan_of(def, o)
  T.assert_eq({ #runs, #selected }, { 8, 4 })
end)

T.test("a script that fails or never calls sweep.run is reported, not run", function()
  local bad = write(TMP .. "/bad.lua", "error('no data here')\n")
  local none = write(TMP .. "/none.lua", "local x = 1\n")
  local def, err = slurm.load_sweep(bad, {})
  T.assert_eq(def, nil)
  T.assert_eq(err, bad .. ": no data here")
  def, err = slurm.load_sweep(none, {})
  T.assert_eq(err, none .. ": the script ended without calling sweep.run")
  def, err = slurm.load_sweep(FIXTURE, { "--frobnicate" })
  T.assert_true(err:find("unknown option '--frobnicate'", 1, true), err)
end)

---------------------------------------------------------------------------------------------
-- The command, through the program

T.test("actlab slurm writes both scripts and tasks.csv, leaving out tasks already complete", function()
  local out = TMP .. "/write"
  -- runs 1 and 5 make up task 0 of 4 (runs-per-task 2): complete them first
  local text, code = actlab(q(FIXTURE) .. " --out " .. q(out) .. " --runs 1,5 --threads 1")
  T.assert_eq(code, 0, text)
  text, code = actlab("slurm " .. q(FIXTURE) .. " --out " .. q(out) .. " --runs-per-task 2 --cpus-per-task 2")
  T.assert_eq(code, 0, text)
  local script = files.read(out .. "/slurm/array.sbatch")
  T.assert_true(has_line(script, "#SBATCH --array=1-3"), script)
  T.assert_true(script:find("--threads 2 --shard \"$SLURM_ARRAY_TASK_ID/4\"", 1, true), script)
  T.assert_true(files.exists(out .. "/slurm/merge.sbatch"))
  T.assert_true(text:find("jid=$(sbatch --parsable " .. out .. "/slurm/array.sbatch)", 1, true), text)
  local tasks = files.read(out .. "/slurm/tasks.csv")
  local t0 = {}
  for idx in tasks:gmatch("\n0,4,(%d+),") do t0[#t0 + 1] = tonumber(idx) end
  T.assert_eq(t0, { 1, 5 })
  -- with every run complete there is nothing to submit
  text, code = actlab(q(FIXTURE) .. " --out " .. q(out) .. " --threads 1")
  T.assert_eq(code, 0, text)
  text, code = actlab("slurm " .. q(FIXTURE) .. " --out " .. q(out) .. " --submit")
  T.assert_eq(code, 0, text)
  T.assert_true(text:find("nothing to submit: the 8 selected runs", 1, true), text)
end)

-- A stand-in sbatch that logs its arguments and prints job ids 41, 42, ...; a stand-in
-- scontrol that reports MaxArraySize.
local function fake_slurm(dir, max_array)
  assert(files.mkdir_p(dir))
  write(dir .. "/sbatch", [[#!/bin/sh
n=$(cat "$0.n" 2>/dev/null || echo 40); n=$((n + 1)); echo $n > "$0.n"
echo "$*" >> "$0.log"
echo "$n;cluster"
]])
  write(dir .. "/scontrol", "#!/bin/sh\necho 'MaxArraySize            = " .. max_array .. "'\n")
  os.execute("chmod +x " .. q(dir .. "/sbatch") .. " " .. q(dir .. "/scontrol"))
  return "PATH=" .. q(dir) .. ":\"$PATH\""
end

T.test("--submit submits the array, then the merge job after it, and prints both ids", function()
  local out, bin = TMP .. "/submit", TMP .. "/fakebin"
  local env = fake_slurm(bin, 1001)
  local text, code = actlab("slurm " .. q(FIXTURE) .. " --out " .. q(out) ..
    " --runs-per-task 2 --max-parallel 3 --submit", env)
  T.assert_eq(code, 0, text)
  local array, merge = out .. "/slurm/array.sbatch", out .. "/slurm/merge.sbatch"
  T.assert_eq(files.read(bin .. "/sbatch.log"),
    "--parsable --array=0-3%3 " .. array .. "\n--parsable --dependency=afterany:41 " .. merge .. "\n")
  T.assert_true(has_line(text, "array job 41: tasks 0-3%3, logs " .. out .. "/slurm/41_<task>.out"), text)
  T.assert_true(has_line(text, "merge job 42: after array job 41, log " .. out .. "/slurm/merge_42.out"), text)
end)

T.test("--submit refuses task ids beyond the cluster's MaxArraySize and says what would fit", function()
  local out, bin = TMP .. "/maxarray", TMP .. "/fakebin2"
  local env = fake_slurm(bin, 2)
  local text, code = actlab("slurm " .. q(FIXTURE) .. " --out " .. q(out) .. " --runs-per-task 2 --submit", env)
  T.assert_eq(code, 1, text)
  T.assert_true(text:find("actlab slurm: task ids go up to 3 but this cluster's MaxArraySize is 2: " ..
    "use --runs-per-task 4 or more", 1, true), text)
  T.assert_eq(files.exists(bin .. "/sbatch.log"), false, "nothing submitted")
end)

---------------------------------------------------------------------------------------------
-- actlab status from fabricated run files

local RUN_HEADER = "run_id,run_index,epoch,test_acc,status,message,diverged_epoch,diverged_layer\r\n"

local function fabricate_status_dir(dir)
  assert(files.mkdir_p(dir .. "/runs"))
  assert(files.mkdir_p(dir .. "/slurm"))
  write(dir .. "/plan.csv", "run_index,run_id,experiment,activation,seed,config\r\n" ..
    "1,aaaa000000000001,fab,relu,1,{}\r\n2,aaaa000000000002,fab,relu,2,{}\r\n" ..
    "3,aaaa000000000003,fab,tanh,1,{}\r\n4,aaaa000000000004,fab,tanh,2,{}\r\n" ..
    "5,aaaa000000000005,fab,elu,1,{}\r\n")
  -- the task of each run as the file says (not round robin: status must read it)
  write(dir .. "/slurm/tasks.csv", "task,tasks,run_index,run_id,experiment\r\n" ..
    "0,3,1,aaaa000000000001,fab\r\n0,3,2,aaaa000000000002,fab\r\n1,3,3,aaaa000000000003,fab\r\n" ..
    "2,3,4,aaaa000000000004,fab\r\n2,3,5,aaaa000000000005,fab\r\n")
  write(dir .. "/slurm/array.sbatch", "#!/bin/bash\n#SBATCH --array=0-2%3\nexec true\n")
  write(dir .. "/slurm/merge.sbatch", "#!/bin/bash\nexec true\n")
  write(dir .. "/runs/aaaa000000000001.csv", RUN_HEADER ..
    "aaaa000000000001,1,1,0.8,ok,,,\r\naaaa000000000001,1,2,0.9,ok,,,\r\n")
  write(dir .. "/runs/aaaa000000000002.csv", RUN_HEADER ..
    "aaaa000000000002,2,1,0.5,ok,,,\r\naaaa000000000002,2,2,,diverged,,2,1\r\n")
  write(dir .. "/runs/aaaa000000000003.csv", RUN_HEADER ..
    "aaaa000000000003,3,,,error,\"bad option 'lr', \"\"x\"\"\nsecond line\",,\r\n")
  write(dir .. "/runs/aaaa000000000005.csv", RUN_HEADER .. "aaaa000000000005,5,1,\"unclosed\r\n")
  write(dir .. "/runs/bbbb000000000009.csv", RUN_HEADER .. "bbbb000000000009,9,1,0.1,ok,,,\r\n")
end

T.test("status names complete, diverged, failed and missing runs with their tasks", function()
  local dir = TMP .. "/status"
  fabricate_status_dir(dir)
  local text, code = actlab("status " .. q(dir))
  T.assert_eq(code, 1, text)
  local want = {
    "sweep 'fab' in " .. dir .. ": 5 runs: 1 ok, 1 diverged, 1 failed, 2 missing",
    "run list from " .. dir .. "/slurm/tasks.csv",
    "ok        runs 1",
    "diverged  run 2  aaaa000000000002  task 0  activation=relu seed=2: epoch 2, layer 1",
    "failed    run 3  aaaa000000000003  task 1  activation=tanh seed=1: bad option 'lr', \"x\"",
    "missing   run 4  aaaa000000000004  task 2  activation=tanh seed=2",
    "note: 1 run file(s) in " .. dir .. "/runs are not in the run list (left out of merges)",
    "missing runs: array tasks --array=2%3 of 3; resubmit them with:",
    "  j1=$(sbatch --parsable --array=2%3 " .. dir .. "/slurm/array.sbatch) && " ..
      "sbatch --dependency=afterany:${j1%%;*} " .. dir .. "/slurm/merge.sbatch",
    "failed runs (once the cause is fixed): array tasks --array=1%3 of 3; resubmit them with:",
    "  j1=$(sbatch --parsable --array=1%3 " .. dir .. "/slurm/array.sbatch --retry-failed) && " ..
      "sbatch --dependency=afterany:${j1%%;*} " .. dir .. "/slurm/merge.sbatch",
  }
  for _, l in ipairs(want) do T.assert_true(has_line(text, l), "line " .. l .. " in\n" .. text) end
  T.assert_true(text:find("\nmissing   run 5  aaaa000000000005  task 2  activation=elu seed=1: " ..
    "unreadable run file: ", 1, true), text)
  text, code = actlab("status " .. q(dir) .. " --array")
  T.assert_eq({ text, code }, { "2%3\n", 0 })
end)

T.test("without tasks.csv, status takes the plan and --tasks T maps runs round robin", function()
  local dir = TMP .. "/status-plan"
  fabricate_status_dir(dir)
  os.remove(dir .. "/slurm/tasks.csv")
  local text, code = actlab("status " .. q(dir))
  T.assert_eq(code, 1, text)
  T.assert_true(has_line(text, "run list from " .. dir .. "/plan.csv"), text)
  T.assert_true(has_line(text, "missing runs: rerun them with: actlab SCRIPT.lua --out " .. dir ..
    " --runs 4-5"), text)
  -- runs 4 and 5 are in shards 3 mod 2 = 1 and 4 mod 2 = 0 of 2
  text, code = actlab("status " .. q(dir) .. " --tasks 2 --array")
  T.assert_eq({ text, code }, { "0-1%3\n", 0 })
end)

T.test("status splits a long --array list into several of at most 4,096 characters", function()
  local dir = TMP .. "/status-long"
  assert(files.mkdir_p(dir .. "/runs"))
  assert(files.mkdir_p(dir .. "/slurm"))
  local rows = { "task,tasks,run_index,run_id,experiment\r\n" }
  for t = 0, 2999 do
    local id = string.format("cccc%012d", t)
    rows[#rows + 1] = string.format("%d,3000,%d,%s,long\r\n", t, t + 1, id)
    if t % 2 == 1 then
      write(dir .. "/runs/" .. id .. ".csv", RUN_HEADER .. id .. "," .. (t + 1) .. ",1,0.5,ok,,,\r\n")
    end
  end
  write(dir .. "/slurm/tasks.csv", table.concat(rows))
  local text, code = actlab("status " .. q(dir) .. " --array")
  T.assert_eq(code, 0, text)
  local all, n = {}, 0
  for l in text:gmatch("[^\n]+") do
    n = n + 1
    T.assert_true(#l <= 4096, "length " .. #l)
    for _, x in ipairs(assert(ranges.parse(l))) do all[#all + 1] = x end
  end
  T.assert_eq(n, 2)
  local evens = {}
  for i = 0, 2998, 2 do evens[#evens + 1] = i end
  T.assert_eq(all, evens)
end)

T.test("a complete sweep has status 0; a folder without a run list is an error", function()
  local dir = TMP .. "/status-done"
  assert(files.mkdir_p(dir .. "/runs"))
  write(dir .. "/plan.csv", "run_index,run_id,experiment,config\r\n1,dddd000000000001,done,{}\r\n")
  write(dir .. "/runs/dddd000000000001.csv", RUN_HEADER .. "dddd000000000001,1,1,0.9,ok,,,\r\n")
  local text, code = actlab("status " .. q(dir))
  T.assert_eq(code, 0, text)
  T.assert_true(has_line(text, "sweep 'done' in " .. dir .. ": 1 runs: 1 ok, 0 diverged, 0 failed, 0 missing"), text)
  os.remove(dir .. "/plan.csv")
  text, code = actlab("status " .. q(dir))
  T.assert_eq(code, 2, text)
  T.assert_eq(text, "actlab status: " .. dir .. ": no run list (no slurm/tasks.csv, no plan.csv): " ..
    "give the sweep script and its options, actlab status " .. dir .. " SCRIPT.lua [options]\n")
  text, code = actlab("status")
  T.assert_eq(code, 2, text)
  T.assert_true(text:find("actlab status: no results folder given\nusage:", 1, true), text)
end)

T.done()
