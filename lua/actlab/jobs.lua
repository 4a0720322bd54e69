-- --jobs N: runs of a sweep in parallel in N actlab processes with one BLAS thread each
-- (xargs -P starts them, each with its share of the runs), reporting to this process over one pipe in tab-separated
-- "@actlab" lines; each worker writes its own run files, this process rebuilds the
-- combined CSV as they finish.
local files = require "actlab.files"
local progress = require "actlab.progress"
local ranges = require "actlab.ranges"

local M = {}

-- The program running this script, to start workers with: $ACTLAB_BIN, else the
-- executable of this process, else arg[-1], else "actlab" from PATH.
function M.binary()
  local env = os.getenv("ACTLAB_BIN")
  if env and env ~= "" then return env end
  local p = io.popen("readlink /proc/" .. files.pid() .. "/exe 2>/dev/null", "r")
  if p then
    local exe = p:read("l")
    p:close()
    if exe and exe ~= "" then return exe end
  end
  local argv = rawget(_G, "arg")
  if argv and argv[-1] then return argv[-1] end
  return "actlab"
end

-- a: o (options, with .argv and .script), todo (runs), out, jobs, progress, label,
-- interrupted(), on_done(). Returns {interrupted=bool, failed=n (runs ended in error),
-- lost=n (workers that ended without finishing their run)}.
function M.run(a)
  local p = a.progress
  local list = os.tmpname()
  -- One worker per slice of the runs (round robin over what is left to do), not one per
  -- run: a worker loads its data set once for all its runs.
  local slices, by_index = {}, {}
  for i, r in ipairs(a.todo) do
    local k = (i - 1) % a.jobs + 1
    slices[k] = slices[k] or {}
    table.insert(slices[k], r.index)
    by_index[r.index] = r
  end
  local f = assert(io.open(list, "w"))
  for _, s in ipairs(slices) do f:write(ranges.format(s), "\n") end
  f:close()

  local argv = { M.binary(), a.o.script or "" }
  for _, s in ipairs(a.o.argv) do argv[#argv + 1] = s end
  for _, s in ipairs{ "--jobs", "1", "--threads", "1", "--worker", "--out", a.out, "--runs", "{}" } do
    argv[#argv + 1] = s
  end
  local quoted = {}
  for i, s in ipairs(argv) do quoted[i] = files.quote(s) end
  local cmd = string.format("echo $$; OPENBLAS_NUM_THREADS=1 exec xargs -a %s -P %d -I{} %s 2>&1",
    files.quote(list), a.jobs, table.concat(quoted, " "))
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
  os.remove(list)
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
