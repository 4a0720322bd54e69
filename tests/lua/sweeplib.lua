-- Helpers shared by the tests that run the fixture sweep as a subprocess
-- (test_sweep.lua, test_kill_resume.lua). Load with
--   local S = dofile((os.getenv("ACTLAB_SOURCE_DIR") or ".") .. "/tests/lua/sweeplib.lua")(T)
return function(T)
  local csv = require "actlab.csv"
  local files = require "actlab.files"
  local S = {}

  -- Epochs for the fixture so that a run lasts long enough for a kill to land in it:
  -- training speed differs tenfold between builds (sanitizers, optimisation), so a run
  -- of `base` epochs is timed through command(dir, base) and scaled to `seconds` for the
  -- whole sweep, never below base nor above most, rounded to hundreds.
  function S.calibrated_epochs(command, base, seconds, most, tmp)
    local dir = tmp .. "/calibrate"
    local t0 = T.now()
    local _, code = T.run(command(dir, base))
    local dt = T.now() - t0
    os.execute("rm -rf " .. T.quote(dir))
    if code ~= 0 or not dt or dt <= 0 then return base end
    return math.max(base, math.min(most, math.floor(base * seconds / dt / 100 + 0.5) * 100))
  end

  -- Sorted "column=value|…" lines of a results file without the columns in `volatile`
  -- (seconds and timestamp always); a run and epoch seen twice fails the test.
  function S.canonical_rows(path, volatile)
    local header, rows = csv.read(path)
    T.assert_true(header, path .. " does not parse: " .. tostring(rows))
    local skip = { seconds = true, timestamp = true }
    for k in pairs(volatile or {}) do skip[k] = true end
    local lines, seen = {}, {}
    for _, r in ipairs(csv.as_maps(header, rows)) do
      local key = r.run_id .. "/" .. r.epoch
      T.assert_eq(seen[key], nil, "row doubled: run " .. r.run_id .. " epoch " .. r.epoch)
      seen[key] = true
      local parts = {}
      for _, c in ipairs(header) do
        if not skip[c] then parts[#parts + 1] = c .. "=" .. r[c] end
      end
      lines[#lines + 1] = table.concat(parts, "|")
    end
    table.sort(lines)
    return lines
  end

  -- Complete run files (<out>/runs/<id>.csv) in out.
  function S.run_files(out)
    local n = 0
    for _, name in ipairs(files.list(out .. "/runs")) do
      if name:match("^%x+%.csv$") then n = n + 1 end
    end
    return n
  end

  return S
end
