-- --jobs N: runs of a sweep in parallel in N actlab processes with one BLAS thread each
-- (or --threads T), started by xargs -P, each with its share of the runs (--worker k/N),
-- reporting to this process over one pipe in tab-separated "@actlab" lines; each worker
-- writes its own run files, this process rebuilds the combined CSV as they finish.
local files = require "actlab.files"
local progress = require "actlab.progress"
local ranges = require "actlab.ranges"

local M = {}

-- The program running this script, to start workers with: $ACTLAB_BIN, else the
-- executable of this process when it is the program that was started (under valgrind it
-- is valgrind's tool instead), else the program's name as started (arg's first entry),
-- else "actlab" from PATH.
function M.binary()
  local env = os.getenv("ACTLAB_BIN")
  if env and env ~= "" then return env end
  local argv = rawget(_G, "arg")
  local started
  if type(argv) == "table" then
    local i = -1
    while argv[i - 1] ~= nil do i = i - 1 end
    started = argv[i]
  end
  local p = io.popen("readlink /proc/" .. files.pid() .. "/exe 2>/dev/null", "r")
  if p then
    local exe = p:read("l")
    p:close()
    local function base(s) return (s:match("([^/]+)$")) end
    if exe and exe ~= "" and (not started or base(exe) == base(started)) then return exe end
  end
  return started or "actlab"
end

-- Processors this process may run on: nproc (which counts the CPUs of its affinity mask,
-- as a batch scheduler or taskset sets it; without the OMP_* variables it would obey),
-- else getconf _NPROCESSORS_ONLN, else the processors of /proc/cpuinfo; at least 1.
function M.cores()
  for _, c in ipairs{ "env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc 2>/dev/null",
    "getconf _NPROCESSORS_ONLN 2>/dev/null" } do
    local p = io.popen(c, "r")
    if p then
      local n = math.tointeger(tonumber(p:read("l") or ""))
      p:close()
      if n and n > 0 then return n end
    end
  end
  local f = io.open("/proc/cpuinfo", "r")
  local n = 0
  if f then
    for line in f:lines() do
      if line:match("^processor%s*:") then n = n + 1 end
    end
    f:close()
  end
  return math.max(n, 1)
end

-- a: o (options, with .argv and .script), todo (runs), out, jobs, threads (per worker,
-- default 1), progress, label,
-- interrupted(), on_done(). Returns {interrupted=bool, failed=n (runs ended in error),
-- lost=n (workers that ended without finishing their run)}.
function M.run(a)
  local p = a.progress
  -- One worker per slice of the runs, not one per run: a worker loads its data set once
  -- for all its runs. Every worker is given the whole list of runs to do (--runs) and
  -- takes every N-th of them from its k-th (--worker k/N, round robin: each gets a mix of
  -- cheap and costly configurations). The list goes on the command line, not into a
  -- temporary file that a full disk could refuse or a kill -9 leave behind.
  local by_index, indices = {}, {}
  for i, r in ipairs(a.todo) do
    by_index[r.index] = r
    indices[i] = r.index
  end

  local argv = { M.binary(), a.o.script or "" }
  for _, s in ipairs(a.o.argv) do argv[#argv + 1] = s end
  local threads = tostring(a.threads or 1)
  for _, s in ipairs{ "--jobs", "1", "--threads", threads, "--out", a.out,
    "--runs", ranges.format(indices), "--worker", "{}/" .. a.jobs } do
    argv[#argv + 1] = s
  end
  local quoted, slices = {}, {}
  for i, s in ipairs(argv) do quoted[i] = files.quote(s) end
  for k = 0, a.jobs - 1 do slices[#slices + 1] = tostring(k) end
  -- OpenBLAS sizes its thread pool when it loads, before --threads is read. The slice
  -- numbers come in a here-document, so that xargs is exec'd by the shell and keeps the
  -- pid it echoes first (stop() signals it).
  local cmd = string.format("echo $$; OPENBLAS_NUM_THREADS=%s exec xargs -P %d -I{} %s 2>&1 <<'EOF'\n%s\nEOF\n",
    threads, a.jobs, table.concat(quoted, " "), table.concat(slices, "\n"))
  local pipe = assert(io.popen(cmd, "r"))
  local xargs_pid = pipe:read("l")

  local running, fracs, done_n, failed, stopping = {}, {}, 0, 0, false
  local finished = {}
  p.total = #a.todo
  local function show(index, epoch, epochs, acc)
    local total = 0
    for _, v in pairs(fracs) do total = total + v end
    p.frac = total
    local elapsed, left = p:eta()
    p:write_line(string.format("%d/%d done, %d running; #%d %s  epoch %s/%s  test_acc %s  elapsed %s  eta %s",
      done_n, #a.todo, (function() local n = 0 for _ in pairs(running) do n = n + 1 end return n end)(),
      index, a.label(by_index[index]), tostring(epoch), tostring(epochs),
      tonumber(acc) and string.format("%.4f", tonumber(acc)) or "-",
      progress.duration(elapsed), progress.duration(left)))
  end

  local function handle(line)
    local kind, rest = line:match("^@actlab\t(%a+)\t(.*)$")
    if kind == "start" then
      local index, pid = rest:match("^(%d+)\t(%S+)")
      index = tonumber(index)
      running[index] = pid
      fracs[index] = 0
      if stopping and pid and pid:match("^%d+$") then
        os.execute("kill -TERM " .. pid .. " 2>/dev/null")
      end
    elseif kind == "eval" then
      local index, epoch, epochs, acc = rest:match("^(%d+)\t([^\t]*)\t([^\t]*)\t([^\t]*)")
      index = tonumber(index)
      if tonumber(epoch) and tonumber(epochs) then
        fracs[index] = math.min(tonumber(epoch) / tonumber(epochs), 1)
      end
      show(index, epoch, epochs, acc)
    elseif kind == "done" then
      local index, status, acc, message = rest:match("^(%d+)\t([^\t]*)\t([^\t]*)\t?(.*)$")
      index = tonumber(index)
      running[index], fracs[index] = nil, nil
      finished[index] = true
      done_n = done_n + 1
      if status == "error" then failed = failed + 1 end
      p.i, p.index, p.label = done_n, index, a.label(by_index[index])
      p:finish(status, tonumber(acc), message ~= "" and message or nil)
      a.on_done()
    elseif line ~= "" then
      p:note(line)
    end
  end

  -- Stop starting runs, and ask the running workers to abandon theirs.
  local function stop()
    stopping = true
    p:note("interrupted: stopping the workers")
    if xargs_pid and xargs_pid:match("^%d+$") then
      os.execute("kill -TERM " .. xargs_pid .. " 2>/dev/null")
    end
    for _, pid in pairs(running) do
      if pid:match("^%d+$") then os.execute("kill -TERM " .. pid .. " 2>/dev/null") end
    end
  end

  -- A signal arrives here as one Lua error raised anywhere (see sweep.lua) and as an
  -- interrupted read: both are caught, and the pipe is read to its end all the same, so
  -- every worker's last report is seen.
  while true do
    local ok, line, err = pcall(pipe.read, pipe, "l")
    if ok and line == nil and err == nil then break end
    if ok and line then
      local hok, herr = pcall(handle, line)
      if not hok and not a.interrupted() then error(herr, 0) end
    elseif not ok and not a.interrupted() then
      error(line, 0)
    end
    if not stopping and a.interrupted() then pcall(stop) end
  end
  pipe:close()
  local lost = 0
  for _, r in ipairs(a.todo) do
    if not finished[r.index] then lost = lost + 1 end
  end
  if lost > 0 and not stopping then
    p:note(string.format("%d run(s) did not finish (their worker stopped early); run the " ..
      "same command again to redo them", lost))
  end
  return { interrupted = stopping, failed = failed, lost = lost }
end

return M
