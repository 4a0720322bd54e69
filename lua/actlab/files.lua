-- File helpers for results folders, in plain Lua plus POSIX tools: atomic writes
-- (temporary name, flush, close, rename), folder creation and listing.
local M = {}

-- Shell-quotes a string.
function M.quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

-- A word for a command line a user copies: as is when the shell would read it so,
-- else quoted.
function M.shell_word(s)
  s = tostring(s)
  if s:match("^[%w_%-%./=:,+@%%]+$") then return s end
  return M.quote(s)
end

-- The current directory.
function M.cwd()
  local p = io.popen("pwd", "r")
  local d = p and p:read("l")
  if p then p:close() end
  return d or os.getenv("PWD") or "."
end

-- path made absolute against base (default: the current directory); "./" dropped.
function M.absolute(path, base)
  if path:sub(1, 1) == "/" then return path end
  path = path:gsub("^%./", "")
  return (base or M.cwd()) .. "/" .. path
end

local pid_cache
-- Process id of this Lua process (/proc/self opened by this process names itself);
-- falls back to a random number where /proc is absent.
function M.pid()
  if pid_cache then return pid_cache end
  local f = io.open("/proc/self/stat", "r")
  if f then
    pid_cache = f:read("l"):match("^(%d+)")
    f:close()
  end
  if not pid_cache then
    math.randomseed(os.time(), math.floor(os.clock() * 1e6))
    pid_cache = "r" .. math.random(1, 1 << 30)
  end
  return pid_cache
end

local host_cache
-- Host name, so that temporary names stay distinct across the nodes of a cluster that
-- share one results folder (process ids alone may collide there).
function M.host()
  if host_cache then return host_cache end
  local f = io.open("/proc/sys/kernel/hostname", "r") or io.open("/etc/hostname", "r")
  local h = f and f:read("l") or nil
  if f then f:close() end
  h = h and h:gsub("[^%w%-%.]", "_") or ""
  host_cache = h ~= "" and h or "host"
  return host_cache
end

function M.exists(path)
  local f = io.open(path, "rb")
  if f then f:close() return true end
  return false
end

-- Size in bytes, or nil when the file cannot be opened.
function M.size(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local n = f:seek("end")
  f:close()
  return n
end

function M.read(path)
  local f, err = io.open(path, "rb")
  if not f then return nil, err end
  local s = f:read("a")
  f:close()
  return s
end

-- Writes text to path so that readers see either the old file or the whole new one:
-- <path>.tmp.<host>.<pid> is written, flushed, closed and renamed over path.
-- Returns true, or nil and a message (nothing half-written is left behind).
function M.write_atomic(path, text)
  local tmp = path .. ".tmp." .. M.host() .. "." .. M.pid()
  local f, err = io.open(tmp, "wb")
  if not f then return nil, "cannot write " .. path .. ": " .. tostring(err) end
  local ok, werr = f:write(text)
  if ok then ok, werr = f:flush() end
  local cok, cerr = f:close()
  if not ok or not cok then
    os.remove(tmp)
    return nil, "cannot write " .. path .. ": " .. tostring(werr or cerr)
  end
  local rok, rerr = os.rename(tmp, path)
  if not rok then
    os.remove(tmp)
    return nil, "cannot rename into " .. path .. ": " .. tostring(rerr)
  end
  return true
end

-- mkdir -p; returns true or nil and a message with the system's reason
-- ("cannot create folder a/b: Not a directory"), taken from mkdir's own message (in the
-- C locale, as Lua's io.open reports errors).
function M.mkdir_p(dir)
  if M.is_dir(dir) then return true end
  local p = io.popen("LC_ALL=C mkdir -p -- " .. M.quote(dir) .. " 2>&1", "r")
  if not p then return nil, "cannot create folder " .. dir end
  local said = p:read("a") or ""
  local ok = p:close()
  if ok then return true end
  said = said:gsub("%s+$", "")
  local reason = said:match(": ([^:]+)$") or said:gsub("^mkdir: ", "")
  if reason == "" then reason = "mkdir failed" end
  return nil, "cannot create folder " .. dir .. ": " .. reason
end

function M.is_dir(path)
  local ok = os.execute("test -d " .. M.quote(path))
  return ok == true
end

-- Names (not paths) of the entries of dir, sorted; {} when dir does not exist.
function M.list(dir)
  local out = {}
  if not M.is_dir(dir) then return out end
  local p = io.popen("ls -1A " .. M.quote(dir) .. " 2>/dev/null", "r")
  if not p then return out end
  for name in p:lines() do out[#out + 1] = name end
  p:close()
  table.sort(out)
  return out
end

-- Renames path to <path>.<tag>-<UTC time> (a fresh name) so that it is kept, not lost;
-- returns the new name.
function M.set_aside(path, tag)
  local stamp = os.date("!%Y%m%dT%H%M%SZ")
  local dest = string.format("%s.%s-%s", path, tag, stamp)
  local n = 1
  while M.exists(dest) do
    n = n + 1
    dest = string.format("%s.%s-%s-%d", path, tag, stamp, n)
  end
  local ok, err = os.rename(path, dest)
  if not ok then return nil, err end
  return dest
end

-- Removes temporary files (<name>.tmp.<host>.<pid>) in dir left by processes of this
-- host that no longer exist (a kill -9 mid-write). Others' are left alone: on a shared
-- folder another node may be writing them right now. Returns how many were removed.
function M.remove_stale_tmp(dir)
  local n, host = 0, M.host()
  for _, name in ipairs(M.list(dir)) do
    local h, pid = name:match("%.tmp%.(.+)%.(%d+)$")
    if h == host and pid ~= M.pid() and not M.exists("/proc/" .. pid .. "/stat") then
      if os.remove(dir .. "/" .. name) then n = n + 1 end
    end
  end
  return n
end

-- Is stderr a terminal? actlab.isatty when the bindings offer it, else `test -t 2`
-- (the shell inherits our stderr).
function M.stderr_is_tty()
  local a = rawget(_G, "actlab")
  if type(a) == "table" and type(rawget(a, "isatty")) == "function" then
    local ok, v = pcall(a.isatty, 2)
    if ok then return v and true or false end
  end
  return os.execute("test -t 2") == true
end

return M
