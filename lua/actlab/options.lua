-- Command-line options of sweep scripts: the ones every sweep takes and the script's
-- own (flags like --full, or options with a value). Unknown options are a failure (see
-- actlab.failure) that lists the valid ones.
local failure = require "actlab.failure"
local plan = require "actlab.plan"
local ranges = require "actlab.ranges"

local M = {}

-- name, argument (nil for a flag), help; "repeat" options collect a list.
M.COMMON = {
  { "out", "DIR", "results folder (default results/<experiment>)" },
  { "dry-run", nil, "list the runs (index, id, configuration, state) and exit" },
  { "missing", nil, "print the indices of runs not yet complete as a range list and exit" },
  { "shard", "i/n", "run only shard i of n (0 <= i < n): a disjoint round-robin slice" },
  { "only", "KEY=VALUE", "run only configurations with this column value (repeatable)", "repeat" },
  { "runs", "LIST", "run only these run indices, e.g. 5,7-19,22" },
  { "retry-failed", nil, "rerun runs that ended in error" },
  { "threads", "N", "BLAS threads per run (default 1); alone, runs one run at a time" },
  { "jobs", "N", "runs at once, each in its own actlab process (default: one per core)" },
  { "help", nil, "show this help" },
  -- internal: worker k of n started by --jobs, which runs every n-th of the runs it is
  -- given from the k-th, reports on stdout and leaves the combined CSV alone
  { "worker", "k/n", nil },
}

-- How --jobs and --threads combine (sweep.lua's parallelism follows it).
M.PARALLEL_HELP = [[
By default a sweep runs as many runs at once as the machine has cores (at most the runs
left to do), each in its own process with one BLAS thread, so that its numbers are
reproducible. --threads N alone (here, or to actlab before the script) runs one run at a
time with N BLAS threads; --jobs J runs J at once with one thread each; --jobs J
--threads N runs J at once with N threads each.]]

local function usage(script_name, specs)
  local lines = { "usage: actlab " .. (script_name or "SCRIPT.lua") .. " [options]", "options:" }
  for _, s in ipairs(specs) do
    if s[3] then
      local left = "  --" .. s[1] .. (s[2] and (" " .. s[2]) or "")
      lines[#lines + 1] = left .. string.rep(" ", math.max(2, 26 - #left)) .. s[3]
    end
  end
  lines[#lines + 1] = M.PARALLEL_HELP
  return table.concat(lines, "\n")
end

local function valid_list(specs)
  local names = {}
  for _, s in ipairs(specs) do
    if s[3] then names[#names + 1] = "--" .. s[1] end
  end
  return table.concat(names, ", ")
end

local function positive_int(name, v)
  local n = math.tointeger(tonumber(v))
  if not n or n < 1 then
    failure.raise(string.format("--%s: positive integer expected, got '%s'", name, tostring(v)))
  end
  return n
end

-- Parses argv (a list of strings). own: the script's options, a list of
-- {name, argument-or-nil, help}. Returns a table: out, dry_run, missing, shard={i, n},
-- only={{key, value}...}, runs (set of indices; runs_text as given), retry_failed,
-- threads, jobs, worker, and each own option under its name with '-' turned into '_'
-- (true for flags, the text for options with a value). Also .argv (the list given),
-- .own_argv (the script's own options among them, as --name or --name value, in their
-- order) and .help_text. Raises a failure (actlab.failure) for anything not understood.
function M.parse(argv, own, script_name)
  local specs, by_name = {}, {}
  for _, s in ipairs(M.COMMON) do specs[#specs + 1] = s end
  for _, s in ipairs(own or {}) do
    if type(s) ~= "table" or type(s[1]) ~= "string" then
      error("sweep options: {name, argument-or-nil, help} expected", 2)
    end
    specs[#specs + 1] = s
  end
  for _, s in ipairs(specs) do by_name[s[1]] = s end

  local common = {}
  for _, s in ipairs(M.COMMON) do common[s] = true end
  local o = { only = {}, argv = {}, own_argv = {}, help_text = usage(script_name, specs) }
  local i = 1
  while i <= #argv do
    local a = argv[i]
    o.argv[#o.argv + 1] = a
    local name, inline = a:match("^%-%-([%w%-]+)=(.*)$")
    if not name then name = a:match("^%-%-([%w%-]+)$") end
    local s = name and by_name[name]
    if not s then
      failure.raise(string.format("unknown option '%s'; valid options: %s", a, valid_list(specs)))
    end
    local value = true
    if s[2] then
      if inline then
        value = inline
      else
        i = i + 1
        value = argv[i]
        if value == nil then failure.raise(string.format("option '--%s' needs a value (%s)", name, s[2])) end
        o.argv[#o.argv + 1] = value
      end
    elseif inline then
      failure.raise(string.format("option '--%s' takes no value", name))
    end
    if not common[s] then
      o.own_argv[#o.own_argv + 1] = "--" .. name
      if s[2] then o.own_argv[#o.own_argv + 1] = value end
    end
    local key = name:gsub("%-", "_")
    if s[4] == "repeat" then
      o[key] = o[key] or {}
      table.insert(o[key], value)
    else
      o[key] = value
    end
    i = i + 1
  end

  -- check and convert the common ones
  local only = {}
  for _, kv in ipairs(o.only) do
    local k, v = kv:match("^([^=]+)=(.*)$")
    if not k then failure.raise("--only: KEY=VALUE expected, got '" .. kv .. "'") end
    only[#only + 1] = { k, v }
  end
  o.only = only
  if o.shard then
    local si, sn = plan.parse_shard(o.shard)
    if not si then failure.raise(sn) end
    o.shard = { si, sn }
  end
  if o.runs then
    local list, err = ranges.parse(o.runs)
    if not list then failure.raise("--runs: " .. err) end
    local set = {}
    for _, v in ipairs(list) do set[v] = true end
    o.runs_text, o.runs = o.runs, set
  end
  if o.worker then
    local wk, wn = plan.parse_shard(o.worker)
    if not wk then failure.raise("--worker: k/n expected, got '" .. tostring(o.worker) .. "'") end
    o.worker = { wk, wn }
  end
  if o.threads then o.threads = positive_int("threads", o.threads) end
  if o.jobs then o.jobs = positive_int("jobs", o.jobs) end
  return o
end

return M
