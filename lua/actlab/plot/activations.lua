-- Pictures of activation functions and their derivatives, computed through the actlab
-- module's activation table.
local common = require "actlab.plot.common"
local gnuplot = require "actlab.plot.gnuplot"
local labels = require "actlab.plot.labels"
local layout = require "actlab.plot.layout"
local script = require "actlab.plot.script"

local fail, bad_option, short_num, q = common.fail, common.bad_option, common.short_num, script.q

local M = {}

local function param_text(info, params)
  local parts = {}
  for _, p in ipairs(info.params or {}) do
    local v = params[p.name]
    if v == nil then v = p.default end
    parts[#parts + 1] = (labels.SHORT[p.name] or p.name) .. " = " .. short_num(v)
  end
  return table.concat(parts, ", ")
end

-- Curves of the named activations: list of {name=, label=, x={…}, f={…}, df={…}}.
-- opts: names (default: every activation that is not output-only), gamma, params (name →
-- value, given to each activation that has that parameter), from, to, n; api: the actlab
-- module (a stand-in in tests).
function M.activation_data(opts, api)
  api = api or common.lib()
  local fn = "activations"
  local infos, by_name = api.activations(), {}
  for _, info in ipairs(infos) do by_name[info.name] = info end
  local names = opts.names
  if type(names) == "string" then names = { names } end
  if names ~= nil and type(names) ~= "table" then
    bad_option(fn, "names", "list of activation names", names)
  end
  if names == nil or #names == 0 then
    names = {}
    for _, info in ipairs(infos) do
      if not info.output_only and not info.rowwise then names[#names + 1] = info.name end
    end
  end
  local params = {}
  for k, v in pairs(opts.params or {}) do params[k] = v end
  if opts.gamma ~= nil then
    if not common.finite(opts.gamma) then bad_option(fn, "gamma", "number", opts.gamma) end
    params.gamma = opts.gamma
  end
  local lo, hi, n = opts.from or -5, opts.to or 5, opts.n or 401
  local xs = {}
  for i = 1, n do xs[i] = lo + (hi - lo) * (i - 1) / (n - 1) end
  local curves = {}
  for _, name in ipairs(names) do
    local info = by_name[name]
    if not info then
      local valid = {}
      for _, i in ipairs(infos) do valid[#valid + 1] = i.name end
      fail("bad option 'names' to '%s' (unknown activation '%s'; valid names: %s)", fn,
        tostring(name), table.concat(valid, ", "))
    end
    if info.rowwise then
      fail("bad option 'names' to '%s' (%s is row-wise: its value depends on the whole row, so it "
        .. "has no curve f(x))", fn, name)
    end
    local mine = {}
    for _, p in ipairs(info.params or {}) do
      if params[p.name] ~= nil then mine[p.name] = params[p.name] end
    end
    local act = api.activation(name, mine)
    local m = api.matrix({ xs })
    local f = act:forward(m):totable()[1]
    local df = act:derivative(m):totable()[1]
    local text = param_text(info, act.params or mine)
    curves[#curves + 1] = { name = name, label = text ~= "" and name .. " (" .. text .. ")" or name,
      x = xs, f = f, df = df }
  end
  if #curves == 0 then fail("nothing to plot: no activation named") end
  return curves
end

local function curve_blocks(curves)
  local blocks = {}
  for i, c in ipairs(curves) do
    local block = { comment = c.label }
    for j = 1, #c.x do
      block[j] = { c.x[j], common.finite_or_nan(c.f[j]), common.finite_or_nan(c.df[j]) }
    end
    blocks[i] = block
  end
  return blocks
end

-- Body of the activation picture: a panel per activation (f solid, f′ dashed), or with
-- overlay two panels (all f, all f′) sharing colours.
function M.activations_body(opts, curves)
  local lo, hi = curves[1].x[1], curves[1].x[#curves[1].x]
  local range = string.format("x from %s to %s", short_num(lo), short_num(hi))
  local b = { "set grid lc rgb '#dddddd'", "set tics out nomirror",
    "set xzeroaxis lt -1 lw 0.5 lc rgb '#888888'", "set yzeroaxis lt -1 lw 0.5 lc rgb '#888888'",
    script.linetypes(#curves), script.datablock("act", curve_blocks(curves)),
    string.format("set xrange [%g:%g]", lo, hi), "set offsets 0, 0, graph 0.06, graph 0.06" }
  local w, h
  if opts.overlay then
    -- two panels of equal size (f, f′) and the shared key in a column of its own on the
    -- right, wide enough for the longest label
    h = opts.height or 750
    local panel, gap, left = 600, 120, 90
    local key_w = layout.key_width(common.longest(curves, "label"), script.font_size(1600, h))
    w = opts.width or (left + 2 * panel + gap + key_w)
    local function at(px) return string.format("%.4f", px / w) end
    local title = opts.title or ("activation functions and their derivatives, " .. range)
    b[#b + 1] = string.format("set multiplot title %s", q(title))
    b[#b + 1] = "set xlabel 'x'"
    b[#b + 1] = "set bmargin 4"
    b[#b + 1] = "set tmargin 4"
    -- earlier curves drawn wider, so one that another covers (relu under leaky_relu on
    -- x > 0) still shows as a coloured edge
    local spread = math.min(3.5, 0.6 * (#curves - 1))
    local function lw(i) return #curves > 1 and 1.5 + spread * (#curves - i) / (#curves - 1) or 2 end
    local plots = {}
    for i in ipairs(curves) do
      plots[i] = string.format("$act index %d using 1:2 with lines lt %d lw %.2f notitle", i - 1, i, lw(i))
    end
    b[#b + 1] = "unset key"
    b[#b + 1] = string.format("set lmargin at screen %s; set rmargin at screen %s", at(left), at(left + panel))
    b[#b + 1] = "set title 'f(x)'"
    b[#b + 1] = "set ylabel 'f(x)'"
    b[#b + 1] = "plot " .. table.concat(plots, ", \\\n     ")
    for i, c in ipairs(curves) do
      plots[i] = string.format("$act index %d using 1:3 with lines lt %d lw %.2f title %s", i - 1, i,
        lw(i), q(c.label))
    end
    b[#b + 1] = string.format("set lmargin at screen %s; set rmargin at screen %s",
      at(left + panel + gap), at(left + 2 * panel + gap))
    b[#b + 1] = string.format("set key at screen %s, graph 1 left top Left reverse samplen 3 "
      .. "box lc rgb '#bbbbbb'", at(left + 2 * panel + gap + 25))
    b[#b + 1] = "set title 'derivative f′(x)'"
    b[#b + 1] = "set ylabel 'f′(x)'"
    b[#b + 1] = "plot " .. table.concat(plots, ", \\\n     ")
  else
    local n = #curves
    local cols = math.ceil(math.sqrt(n))
    local rows = math.ceil(n / cols)
    if n == 1 then
      w, h = opts.width or 1200, opts.height or 800
      -- a lone panel: its own title and key, no grid title above it
      b[#b + 1] = "set title " .. q(opts.title or (curves[1].label .. ": f(x) and its derivative f′(x)"))
      b[#b + 1] = "set key top left Left reverse box lc rgb '#bbbbbb' opaque samplen 3"
      b[#b + 1] = "set ylabel 'f(x), f′(x)'"
    else
      w, h = opts.width or math.max(1200, cols * 440), opts.height or rows * 380 + 60
      local title = opts.title or ("activation functions f (solid blue) and derivatives f′ (dashed red), "
        .. range)
      b[#b + 1] = string.format("set multiplot layout %d,%d title %s", rows, cols, q(title))
      -- in a grid the title says which line is which
      b[#b + 1] = "unset key"
    end
    for i, c in ipairs(curves) do
      if n > 1 then b[#b + 1] = "set title " .. q(c.label) end
      -- x is labelled under the lowest panel of each column only
      b[#b + 1] = i + cols > n and "set xlabel 'x'" or "unset xlabel"
      b[#b + 1] = string.format("plot $act index %d using 1:2 with lines lw 2.5 lc rgb '#1f77b4' title 'f(x)', \\\n"
        .. "     $act index %d using 1:3 with lines lw 2.5 dt 2 lc rgb '#d62728' title 'f′(x)'", i - 1, i - 1)
    end
  end
  b[#b + 1] = "unset multiplot"
  return table.concat(b, "\n"), w, h
end

-- The script for these options (api as for activation_data) and the drawing.
M.activations_script, M.activations = gnuplot.picture("activations", function(opts, api)
  return M.activations_body(opts, M.activation_data(opts, api))
end)

return M
