-- Stable run ids: FNV-1a 64 (Lua 5.4 integers wrap like uint64) over a canonical text of
-- the configuration (keys sorted, numbers as %.17g), then splitmix64's finalizer so that
-- configurations differing in one character get ids that look nothing alike.
local M = {}

local FNV_OFFSET = 0xcbf29ce484222325 -- wraps to a negative integer: same bits
local FNV_PRIME = 0x100000001b3

-- FNV-1a 64 of a string, as an integer (the bits of the uint64).
function M.fnv1a64(s)
  local h = FNV_OFFSET
  for i = 1, #s do
    h = (h ~ s:byte(i)) * FNV_PRIME
  end
  return h
end

-- splitmix64's output function: every input bit moves about half the output bits.
function M.mix64(z)
  z = (z ~ (z >> 30)) * 0xbf58476d1ce4e5b9
  z = (z ~ (z >> 27)) * 0x94d049bb133111eb
  return z ~ (z >> 31)
end

-- Id of a string: 16 lowercase hex digits.
function M.hash(s)
  return string.format("%016x", M.mix64(M.fnv1a64(s)))
end

local function is_array(t)
  local n = 0
  for _ in pairs(t) do n = n + 1 end
  for i = 1, n do
    if t[i] == nil then return false end
  end
  return true
end

-- Canonical text of a value: 1 and 1.0 are the same number and print alike; strings are
-- quoted with %q; arrays as [a,b], maps as {k=v,...} with keys sorted.
function M.canonical(v)
  local t = type(v)
  if t == "number" then
    if v ~= v then return "nan" end
    return string.format("%.17g", v)
  elseif t == "string" then
    return string.format("%q", v)
  elseif t == "boolean" then
    return tostring(v)
  elseif t == "table" then
    local parts = {}
    if is_array(v) and next(v) ~= nil then
      for i = 1, #v do parts[i] = M.canonical(v[i]) end
      return "[" .. table.concat(parts, ",") .. "]"
    end
    local keys = {}
    for k in pairs(v) do
      if type(k) ~= "string" then
        error("configuration keys must be strings, got " .. type(k), 2)
      end
      keys[#keys + 1] = k
    end
    table.sort(keys)
    for i, k in ipairs(keys) do parts[i] = k .. "=" .. M.canonical(v[k]) end
    return "{" .. table.concat(parts, ",") .. "}"
  end
  error("configuration values must be numbers, strings, booleans or tables, got " .. t, 2)
end

-- The id of a run: experiment name and configuration hashed together (one experiment's
-- runner may read a key differently from another's).
function M.of(experiment, config)
  return M.hash(experiment .. "\n" .. M.canonical(config))
end

return M
