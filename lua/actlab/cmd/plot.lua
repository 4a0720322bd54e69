-- `actlab plot …`: the command-line face of actlab.plot. Picks the picture from the first
-- word (activations, weights, samples) or the CSV's options, and prints where it wrote it.
local M = {}

M.USAGE = [==[
usage: actlab plot activations [NAME...] [--gamma G] [--param NAME=VALUE] [--overlay] [-o FILE]
       actlab plot RESULTS.csv --x COLUMN [--y COLUMN] [--by COLUMN[,COLUMN...]] [--logx|--linx] [-o FILE]
       actlab plot RESULTS.csv --x epoch [--y COLUMN] [--by COLUMN,...] [-o FILE]
       actlab plot LAYERS.csv --gradients [--epoch N|first|last] [--by COLUMN,...] [-o FILE]
       actlab plot LAYERS.csv --dead [--x COLUMN] [--per-layer] [--epoch N|first|last] [-o FILE]
       actlab plot weights NET_FILE [--layer N] [--dataset NAME] [-o FILE]
       actlab plot samples DATASET [--n N] [--which train|test] [-o FILE]
RESULTS.csv plots show the final evaluation of each run, mean ± sd over seeds, one line per
configuration (every configuration column that varies, or the --by columns); --y defaults
to test_acc. More than 8 lines become small multiples, a panel per value of all grouping
columns but the last (--facet COLUMN[,COLUMN...] picks them, --one-panel keeps one).
FILE is PNG, or SVG when it ends in .svg; --title TEXT, --width/--height PIXELS change the
defaults. Needs gnuplot (Debian: apt-get install gnuplot-nox).
]==]

local FLAGS = { overlay = true, gradients = true, dead = true, ["per-layer"] = true,
  logx = true, linx = true, ["one-panel"] = true, help = true }
local VALUED = { x = true, y = true, by = true, gamma = true, param = true, epoch = true,
  layer = true, n = true, which = true, o = true, output = true, title = true,
  dataset = true, width = true, height = true, facet = true }

-- A usage error: message for stderr and exit status 2.
local function usage_error(fmt, ...)
  error({ usage = string.format(fmt, ...) }, 0)
end

-- args → positional list, options table (param is a list).
local function parse(args)
  local pos, opt = {}, { param = {} }
  local i = 1
  while i <= #args do
    local a = args[i]
    local name, value = a:match("^%-%-([%w-]+)=(.*)$")
    if not name then name = a:match("^%-%-([%w-]+)$") or (a == "-o" and "o") or (a == "-h" and "help") end
    if name then
      if FLAGS[name] then
        if value then usage_error("--%s takes no value", name) end
        opt[name] = true
      elseif VALUED[name] then
        if not value then
          i = i + 1
          value = args[i]
          if value == nil then usage_error("%s needs a value", a) end
        end
        if name == "param" then
          opt.param[#opt.param + 1] = value
        else
          opt[name == "output" and "o" or name] = value
        end
      else
        usage_error("unknown option %s", a)
      end
    elseif a:sub(1, 1) == "-" and a ~= "-" then
      usage_error("unknown option %s", a)
    else
      pos[#pos + 1] = a
    end
    i = i + 1
  end
  return pos, opt
end

local function number_opt(opt, name)
  local v = opt[name]
  if v == nil then return nil end
  local n = tonumber(v)
  if not n then usage_error("--%s expects a number, got '%s'", name, v) end
  return n
end

local function integer_opt(opt, name)
  local n = number_opt(opt, name)
  if n ~= nil and math.type(n) ~= "integer" then
    if n ~= math.floor(n) then usage_error("--%s expects a whole number, got '%s'", name, opt[name]) end
    n = math.tointeger(n)
  end
  return n
end

local function epoch_opt(opt)
  local e = opt.epoch
  if e == nil or e == "first" or e == "last" then return e end
  return number_opt(opt, "epoch")
end

-- "results.csv" → "results", keeping the directory.
local function stem(path)
  return (path:gsub("%.[^./]*$", ""))
end

local function common(opt, out)
  local o = { out = opt.o or out, title = opt.title,
    width = integer_opt(opt, "width"), height = integer_opt(opt, "height") }
  if opt["one-panel"] then
    o.facet = false
  elseif opt.facet then
    o.facet = {}
    for c in opt.facet:gmatch("[^,%s]+") do o.facet[#o.facet + 1] = c end
  end
  return o
end

-- The picture for the arguments: the plot function and its options.
local function plan(pos, opt)
  local what = pos[1]
  if what == nil then usage_error("nothing to plot") end
  local P = require "actlab.plot"
  if what == "activations" then
    local o = common(opt, "activations.png")
    local names = {}
    for i = 2, #pos do names[#names + 1] = pos[i] end
    o.names = #names > 0 and names or nil
    o.gamma = number_opt(opt, "gamma")
    o.overlay = opt.overlay
    o.params = {}
    for _, p in ipairs(opt.param) do
      local k, v = p:match("^([%w_]+)=(.+)$")
      if not k or not tonumber(v) then usage_error("--param expects NAME=NUMBER, got '%s'", p) end
      o.params[k] = tonumber(v)
    end
    return P.activations, o
  elseif what == "weights" then
    if not pos[2] then usage_error("weights needs a network file (saved with net:save)") end
    local o = common(opt, stem(pos[2]) .. "-weights.png")
    o.net = pos[2]
    o.layer = integer_opt(opt, "layer") or 1
    if opt.dataset then o.dataset = (rawget(_G, "actlab") or require "actlab").dataset(opt.dataset) end
    return P.weights, o
  elseif what == "samples" then
    if not pos[2] then usage_error("samples needs a data set name (mnist, fashion-mnist)") end
    local o = common(opt, pos[2] .. "-samples.png")
    o.dataset = pos[2]
    o.n = integer_opt(opt, "n") or 24
    o.which = opt.which
    return P.samples, o
  end
  if #pos > 1 then usage_error("one CSV file at a time, got %d arguments", #pos) end
  local base = stem(what)
  if opt.gradients and opt.dead then usage_error("--gradients or --dead, not both") end
  if opt.gradients then
    local o = common(opt, base .. "-gradients.png")
    o.layers_csv, o.epoch, o.by = what, epoch_opt(opt), opt.by
    return P.gradients, o
  elseif opt.dead then
    local o = common(opt, base .. "-dead-vs-" .. (opt.x or "gamma") .. ".png")
    o.layers_csv, o.x, o.epoch, o.by, o.per_layer = what, opt.x, epoch_opt(opt), opt.by, opt["per-layer"]
    if opt.logx then o.logx = true elseif opt.linx then o.logx = false end
    return P.dead, o
  end
  if not opt.x then
    usage_error("which picture? --x COLUMN (e.g. --x gamma, or --x epoch for training curves), "
      .. "or --gradients / --dead for a layers CSV")
  end
  local y = opt.y or "test_acc"
  if opt.x == "epoch" or opt.x == "step" then
    local o = common(opt, base .. "-" .. y .. "-curves.png")
    o.csv, o.x, o.y, o.by = what, opt.x, y, opt.by
    return P.curves, o
  end
  local o = common(opt, base .. "-" .. y .. "-vs-" .. opt.x .. ".png")
  o.csv, o.x, o.y, o.by = what, opt.x, y, opt.by
  if opt.logx then o.logx = true elseif opt.linx then o.logx = false end
  return P.sweep, o
end

-- Error text without the "file.lua:12: " position the library adds for Lua callers.
local function clean(msg)
  return (tostring(msg):gsub("^[^\n]-%.lua:%d+: ", "", 1))
end

function M.main(args)
  local ok, err = pcall(function()
    local pos, opt = parse(args)
    if opt.help then
      io.stdout:write(M.USAGE)
      return
    end
    local draw, o = plan(pos, opt)
    local out, notes = draw(o)
    if notes then
      for line in notes:gmatch("[^\n]+") do io.stderr:write("actlab plot: note: ", line, "\n") end
    end
    io.stdout:write("wrote ", out, "\n")
  end)
  if ok then return 0 end
  if type(err) == "table" and err.usage then
    io.stderr:write("actlab plot: ", err.usage, "\n(actlab plot --help for usage)\n")
    return 2
  end
  io.stderr:write("actlab plot: ", clean(err), "\n")
  return 1
end

return M
