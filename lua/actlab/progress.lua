-- Progress of a sweep on stderr: run i of N with its configuration, epoch, latest test
-- accuracy, elapsed time and an estimate of the time left. On a terminal one line is
-- redrawn in place; otherwise (a log file, Slurm) plain lines, one per evaluation.
local M = {}
M.__index = M

local function clock()
  local a = rawget(_G, "actlab")
  if type(a) == "table" and type(rawget(a, "clock")) == "function" then return a.clock() end
  return os.time()
end

function M.duration(s)
  if s == nil or s ~= s or s == math.huge then return "?" end
  s = math.max(0, math.floor(s + 0.5))
  if s >= 3600 then
    return string.format("%d:%02d:%02d", s // 3600, s % 3600 // 60, s % 60)
  end
  return string.format("%d:%02d", s // 60, s % 60)
end

-- total: runs this process will run; tty: redraw one line in place.
function M.new(total, tty, stream)
  local p = setmetatable({ total = total, tty = tty, out = stream or io.stderr,
    started = clock(), done = 0, frac = 0, line_open = false }, M)
  return p
end

function M:write_line(s)
  if self.tty then
    self.out:write("\r\27[K", s)
    self.line_open = true
  else
    self.out:write(s, "\n")
  end
  self.out:flush()
end

-- A message that must stay visible (a warning, a finished run).
function M:note(s)
  if self.tty and self.line_open then self.out:write("\r\27[K") end
  self.line_open = false
  self.out:write(s, "\n")
  self.out:flush()
end

-- Ends a line redrawn in place, so that a message printed next (an error) starts clean.
function M:clear()
  if self.tty and self.line_open then
    self.out:write("\r\27[K")
    self.out:flush()
  end
  self.line_open = false
end

function M:eta()
  local elapsed = clock() - self.started
  local progress = self.done + self.frac
  if progress <= 0 then return elapsed, nil end
  return elapsed, elapsed / progress * (self.total - progress)
end

-- A run begins: i is its position among this process's runs, label its configuration.
function M:start(i, index, label)
  self.i, self.index, self.label, self.frac = i, index, label, 0
  local elapsed, left = self:eta()
  self:write_line(string.format("run %d/%d (#%d) %s  starting  elapsed %s  eta %s",
    i, self.total, index, label, M.duration(elapsed), M.duration(left)))
end

-- An evaluation of the current run.
function M:eval(epoch, epochs, acc)
  if epochs and epochs > 0 and epoch then self.frac = math.min(epoch / epochs, 1) end
  local elapsed, left = self:eta()
  self:write_line(string.format("run %d/%d (#%d) %s  epoch %s/%s  test_acc %s  elapsed %s  eta %s",
    self.i, self.total, self.index, self.label, tostring(epoch or "?"), tostring(epochs or "?"),
    acc and string.format("%.4f", acc) or "-", M.duration(elapsed), M.duration(left)))
end

-- The current run ended with status (ok | diverged | error) and its final accuracy.
function M:finish(status, acc, message)
  self.done, self.frac = self.done + 1, 0
  local elapsed, left = self:eta()
  local what = status
  if status == "ok" and acc then what = string.format("test_acc %.4f", acc) end
  if message and message ~= "" then what = what .. ": " .. message:gsub("\n.*", "") end
  self:note(string.format("run %d/%d (#%d) %s  %s  elapsed %s  eta %s",
    self.i, self.total, self.index, self.label, what, M.duration(elapsed), M.duration(left)))
end

return M
