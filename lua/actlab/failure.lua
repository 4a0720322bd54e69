-- Errors a sweep reports to its user (a bad option, a folder that cannot be created, a
-- failed write), raised as objects with __tostring: the program's message handler (as
-- lua.c's) prints such an object as `actlab: message`, without a traceback.
local M = {}

local Failure = {}
Failure.__index = Failure
Failure.__tostring = function(e) return e.message end
Failure.__concat = function(a, b) return tostring(a) .. tostring(b) end

-- Raises msg (a string) as a failure.
function M.raise(msg)
  error(setmetatable({ message = tostring(msg) }, Failure), 0)
end

-- Is e a failure object?
function M.is(e)
  return getmetatable(e) == Failure
end

-- Runs fn(...) and raises any string error it raises as a failure (position prefix
-- "file.lua:12: " removed); returns what fn returns.
function M.wrap(fn, ...)
  local res = table.pack(pcall(fn, ...))
  if not res[1] then
    local e = res[2]
    if M.is(e) then error(e, 0) end
    M.raise((tostring(e):gsub("^[^\n]-%.lua:%d+: ", "", 1)))
  end
  return table.unpack(res, 2, res.n)
end

return M
