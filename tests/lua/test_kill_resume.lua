-- Kill and resume: the fixture sweep killed with SIGKILL at random moments (at least ten
-- kills, at least one while a file was being written) and restarted each time ends with
-- exactly the rows of an uninterrupted run: none lost, none doubled, the same numbers.
local T = dofile((os.getenv("ACTLAB_SOURCE_DIR") or ".") .. "/tests/lua/testlib.lua")
local S = dofile((os.getenv("ACTLAB_SOURCE_DIR") or ".") .. "/tests/lua/sweeplib.lua")(T)
local q = T.quote
local files = require "actlab.files"
local read, list = files.read, files.list

local BIN = os.getenv("ACTLAB_BIN")
if not BIN or BIN == "" then T.skip("ACTLAB_BIN is not set") end
local SRC = os.getenv("ACTLAB_SOURCE_DIR") or "."
local FIXTURE = SRC .. "/tests/lua/fixtures/tiny_sweep.lua"
local TMP = T.tmpdir() .. "/kill_resume"
os.execute("rm -rf " .. q(TMP) .. " && mkdir -p " .. q(TMP))

local MIN_KILLS, MAX_ATTEMPTS = 10, 60
-- The random moments are drawn from a fixed seed: a failure can be replayed.
math.randomseed(tonumber(os.getenv("ACTLAB_KILL_SEED") or "") or 20261122)

-- wrapper (strace …) goes before the program when given.
local function cmd_epochs(out, epochs, wrapper)
  return "OPENBLAS_NUM_THREADS=1 exec " .. (wrapper or "") .. q(BIN) .. " " .. q(FIXTURE) ..
    " --out " .. q(out) .. " --threads 1 --epochs " .. epochs
end

-- About 0.3 s a run, eight runs: long enough for kills to land in every phase.
local EPOCHS = S.calibrated_epochs(cmd_epochs, 400, 2.4, 20000, TMP)

local function cmd(out, wrapper)
  return cmd_epochs(out, EPOCHS, wrapper)
end

local function sleep(s) os.execute(string.format("sleep %.3f", s)) end

-- Temporaries (name.tmp.host.pid) in out or out/runs: a write caught half-way.
local function temporaries(out)
  local n = 0
  for _, dir in ipairs{ out, out .. "/runs" } do
    for _, name in ipairs(list(dir)) do
      if name:find("%.tmp%.") then n = n + 1 end
    end
  end
  return n
end

local run_files, canonical_rows = S.run_files, S.canonical_rows

-- Starts c in the background; returns its pid and a function giving its exit status
-- (nil while it runs).
local function background(c, name)
  local pidf, rcf = TMP .. "/" .. name .. ".pid", TMP .. "/" .. name .. ".rc"
  os.remove(pidf)
  os.remove(rcf)
  os.execute(string.format("(%s >%s 2>&1 & echo $! > %s; wait $!; echo $? > %s) 2>/dev/null &",
    c, q(TMP .. "/" .. name .. ".log"), q(pidf), q(rcf)))
  local pid
  for _ = 1, 500 do
    pid = (read(pidf) or ""):match("%d+")
    if pid then break end
    sleep(0.01)
  end
  assert(pid, "the background process did not start")
  return pid, function()
    local s = read(rcf)
    return s and tonumber(s:match("%d+")) or nil
  end
end

local REF = TMP .. "/ref"

T.test("the uninterrupted reference sweep completes", function()
  local out, status = T.run(cmd(REF))
  T.assert_eq(status, 0, out)
  T.assert_eq(run_files(REF), 8)
end)

local HAVE_STRACE = os.execute("command -v strace >/dev/null 2>&1") == true

-- The three ways a kill is timed, in turn: after a random delay; by strace at the N-th
-- rename (a file fully written to its temporary name, not yet renamed into place); by
-- strace at the N-th write(2) (some of which write the CSV files, some the progress).
local function killer(attempt, out)
  local mode = attempt % 3
  if mode ~= 0 and HAVE_STRACE then
    local calls = mode == 1 and "rename,renameat,renameat2" or "write"
    -- A run makes about four renames and fifteen writes: each kill lets at most a run or
    -- two finish, so that the kills spread over the sweep.
    local n = mode == 1 and math.random(1, 6) or math.random(1, 25)
    return cmd(out, "strace -o /dev/null -e trace=" .. calls .. " -e inject=" .. calls ..
      ":signal=KILL:when=" .. n .. " "), nil
  end
  return cmd(out), 0.05 + math.random() * 0.45
end

T.test("killed with SIGKILL at random moments and resumed: the rows of an uninterrupted run", function()
  local out = TMP .. "/killed"
  local kills, mid_write, attempt, restarts = 0, 0, 0, 0
  while (kills < MIN_KILLS or (HAVE_STRACE and mid_write == 0)) and attempt < MAX_ATTEMPTS do
    attempt = attempt + 1
    local c, delay = killer(attempt, out)
    local pid, rc = background(c, "kill")
    if delay then
      sleep(delay)
      if not rc() then os.execute("kill -9 " .. pid) end
    end
    for _ = 1, 3000 do
      if rc() then break end
      sleep(0.01)
    end
    T.assert_true(rc() ~= nil, "the sweep did not end after its kill")
    if rc() == 137 then
      kills = kills + 1
      if temporaries(out) > 0 then mid_write = mid_write + 1 end
    elseif rc() == 0 then
      -- It finished before the kill: only kills into a sweep with work left count, so
      -- start it over.
      os.execute("rm -rf " .. q(out))
      kills, mid_write, restarts = 0, 0, restarts + 1
    else
      error("the sweep ended with status " .. rc() .. ":\n" .. (read(TMP .. "/kill.log") or ""))
    end
  end
  print(string.format("      %d kills (%d during a write) in %d attempts, %d restarts; " ..
    "%d of 8 runs complete before the last resume", kills, mid_write, attempt, restarts,
    run_files(out)))
  print(string.format("      (%d epochs a run)", EPOCHS))
  T.assert_true(kills >= MIN_KILLS, string.format("%d kills landed in %d attempts", kills, attempt))
  if HAVE_STRACE then
    T.assert_true(mid_write >= 1, "no kill landed during a write in " .. attempt .. " attempts")
  else
    print("      (strace missing: kills inside a write are left to chance)")
  end
  local text, status = T.run(cmd(out))
  T.assert_eq(status, 0, text)
  T.assert_eq(temporaries(out), 0, "temporaries left after the resumed sweep")
  T.assert_eq(canonical_rows(out .. "/results.csv"), canonical_rows(REF .. "/results.csv"))
end)

T.done()
