-- What every part of actlab.plot shares: errors in the house form, number tests and
-- formats, small table helpers, and the actlab module itself.
local M = {}

-- Errors inside the module carry no position; each public entry re-raises at its caller.
function M.fail(fmt, ...)
  error(string.format(fmt, ...), 0)
end

local function show(v)
  if type(v) == "string" then return "'" .. v .. "'" end
  if v == nil then return "nil" end
  return tostring(v)
end

function M.bad_option(fn, name, expected, got)
  M.fail("bad option '%s' to '%s' (%s expected, got %s)", name, fn, expected, show(got))
end

function M.finite(v)
  return type(v) == "number" and v == v and v ~= math.huge and v ~= -math.huge
end

-- A CSV field as a finite number, or nil (empty, text, NaN, Inf).
function M.number_of(s)
  local v = tonumber(s)
  if M.finite(v) then return v end
  return nil
end

-- A datablock cell: the number when finite, else gnuplot's missing value.
function M.finite_or_nan(v)
  return M.finite(v) and v or "NaN"
end

function M.fmt_num(v)
  if math.type(v) == "integer" then return string.format("%d", v) end
  return (string.format("%.10g", v))
end

-- A short number for labels: 0.01, 1e-05, 256.
function M.short_num(v)
  if math.type(v) == "integer" then return string.format("%d", v) end
  return (string.format("%.4g", v))
end

-- Length in characters (bytes where not UTF-8) of the longest text in list, or of the
-- longest field `key` of its items; 0 for an empty list.
function M.longest(list, key)
  local n = 0
  for _, item in ipairs(list) do
    local s = key and item[key] or item
    n = math.max(n, utf8.len(s) or #s)
  end
  return n
end

-- A shallow copy, so that a picture adds its own options without touching the caller's.
function M.copy(t)
  local o = {}
  for k, v in pairs(t) do o[k] = v end
  return o
end

function M.lib()
  return rawget(_G, "actlab") or require "actlab"
end

return M
