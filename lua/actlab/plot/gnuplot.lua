-- Running gnuplot: finding it on PATH, piping a script to it with its stderr kept for the
-- error message, the output renamed into place only once gnuplot has succeeded.
local common = require "actlab.plot.common"
local files = require "actlab.files"
local script = require "actlab.plot.script"

local fail = common.fail

local M = {}

M.MISSING = "gnuplot not found: install Debian's gnuplot-nox (apt-get install gnuplot-nox)"

-- First `gnuplot` on PATH, or nil.
function M.find_gnuplot()
  for dir in (os.getenv("PATH") or ""):gmatch("[^:]+") do
    local path = dir .. "/gnuplot"
    if files.exists(path) then return path end
  end
  return nil
end

-- Sends script to gnuplot; the script writes out .. ".tmp", renamed to out once gnuplot
-- has exited cleanly, so a failed plot leaves no half file. Returns out and gnuplot's
-- warnings (nil when none).
function M.render(text, out)
  local gnuplot = M.find_gnuplot()
  if not gnuplot then fail("%s", M.MISSING) end
  local tmp = out .. ".tmp"
  -- gnuplot's stderr goes to a scratch file (a "w" pipe cannot read it back); after an
  -- error gnuplot stops reading, so `cat` drains the rest and our writes never meet a
  -- closed pipe (SIGPIPE would kill the whole program).
  local errfile = os.tmpname()
  local cmd = string.format("{ %s >/dev/null 2>%s; rc=$?; cat >/dev/null; exit $rc; }",
    files.quote(gnuplot), files.quote(errfile))
  local p = io.popen(cmd, "w")
  if not p then
    os.remove(errfile)
    fail("cannot start gnuplot (%s)", gnuplot)
  end
  p:write(text)
  local _, how, code = p:close()
  local stderr = files.read(errfile) or ""
  os.remove(errfile)
  stderr = stderr:gsub("%s+$", "")
  local said = stderr ~= "" and ":\n" .. stderr or ""
  if how ~= "exit" or code ~= 0 then
    os.remove(tmp)
    if how == "exit" and code == 127 then fail("%s", M.MISSING) end
    fail("gnuplot failed (%s %s) writing %s%s", how == "exit" and "exit status" or how,
      tostring(code), out, said)
  end
  if (files.size(tmp) or 0) == 0 then
    os.remove(tmp)
    fail("gnuplot wrote nothing to %s%s", out, said)
  end
  local ok, err = os.rename(tmp, out)
  if not ok then
    os.remove(tmp)
    fail("cannot rename %s to %s: %s", tmp, out, tostring(err))
  end
  return out, stderr ~= "" and stderr or nil
end

-- Wraps a builder (opts → body, width, height, notes, font size) into a public function:
-- checks out and gnuplot before reading anything, renders, re-raises errors at the caller.
-- Returns out, then notes and gnuplot's warnings as one text (nil if none).
function M.drawing(name, build)
  return function(opts)
    local ok, res, warn = pcall(function()
      if type(opts) ~= "table" then fail("bad argument #1 to '%s' (table expected, got %s)",
        name, type(opts)) end
      if type(opts.out) ~= "string" or opts.out == "" then
        common.bad_option(name, "out", "file name", opts.out)
      end
      script.format_of(opts.out)
      if not M.find_gnuplot() then fail("%s", M.MISSING) end
      local text, notes = script.of_build(opts.out, opts, build(opts))
      local out, warnings = M.render(text, opts.out)
      local all = {}
      for _, n in ipairs(notes or {}) do all[#all + 1] = n end
      if warnings then all[#all + 1] = "gnuplot: " .. warnings end
      return out, #all > 0 and table.concat(all, "\n") or nil
    end)
    if not ok then error(res, 2) end
    return res, warn
  end
end

-- Both public faces of a picture from its builder (opts, … → as for drawing): the
-- script function (opts, … → the script gnuplot would get, out defaulting to plot.png,
-- and the notes) and the drawing function (see drawing).
function M.picture(name, build)
  local function script_of(opts, ...)
    return script.of_build(opts.out or "plot.png", opts, build(opts, ...))
  end
  return script_of, M.drawing(name, build)
end

return M
