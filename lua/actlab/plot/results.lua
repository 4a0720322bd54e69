-- Pictures of results and layers CSVs: a final metric against a configuration column
-- (sweep), training curves, gradient norm per layer and dead units against γ.
local common = require "actlab.plot.common"
local gnuplot = require "actlab.plot.gnuplot"
local labels = require "actlab.plot.labels"
local layout = require "actlab.plot.layout"
local script = require "actlab.plot.script"
local tables = require "actlab.plot.tables"

local fail, bad_option, number_of = common.fail, common.bad_option, common.number_of
local label_of, name_of, SHORT = labels.label_of, labels.name_of, labels.SHORT
local q = script.q

local M = {}

-- What a point averages: seeds, or with `by` every run that shares the by columns.
local function averaged(opts)
  return opts.by and "runs" or "seeds"
end

-- "3", or "2–3" when points average different numbers of values.
local function count_text(lo, hi)
  if lo == hi then return string.format("%d", lo) end
  return string.format("%d–%d", lo, hi)
end

-- The y axis of metric y: its scale (100 when a fraction column has every value in [0, 1],
-- drawn in percent; else 1) and its label (without "(%)" when not in percent).
local function y_axis(y, series)
  if not labels.PERCENT[y] then return 1, label_of(y) end
  for _, s in ipairs(series) do
    for _, p in ipairs(s.points) do
      if p.min < 0 or p.max > 1 then return 1, name_of(y) end
    end
  end
  return 100, label_of(y)
end

-- The two public faces (NAME_script, NAME) of a picture drawn from the CSV named by
-- opts[key] (or opts.rows) by body(opts).
local function from_csv(name, key, body)
  return gnuplot.picture(name, function(opts)
    tables.load(opts, name, key)
    return body(opts)
  end)
end

---------------------------------------------------------------------------------------------
-- Sweep: a final metric against a configuration column, mean ± sd over seeds

-- Data of a sweep plot: series (see tables.aggregate), the x categories (nil for numeric x)
-- and notes on rows left out. opts: rows (tables keyed by column), present (set of columns),
-- x, y, by, path (for messages).
function M.sweep_data(opts)
  local fn = "sweep"
  local rows, present = opts.rows, opts.present
  if type(opts.x) ~= "string" then bad_option(fn, "x", "column name", opts.x) end
  if type(opts.y) ~= "string" then bad_option(fn, "y", "column name", opts.y) end
  tables.need_column(present, opts.x, fn, "x", opts.path)
  tables.need_column(present, opts.y, fn, "y", opts.path)
  local finals = opts.final == false and rows or tables.last_per_run(rows)
  local cols = tables.series_columns(finals, opts.candidates or tables.config_columns(opts),
    opts.x, opts.by, present, fn)
  local numeric = true
  for _, r in ipairs(finals) do
    local v = r[opts.x]
    if v and v ~= "" and not number_of(v) then numeric = false end
  end
  local records, categories, index = {}, nil, {}
  local no_x, no_y = 0, 0
  if not numeric then categories = {} end
  for _, r in ipairs(finals) do
    local xv, y = r[opts.x], number_of(r[opts.y])
    local x
    if xv == nil or xv == "" then
      no_x = no_x + 1
    elseif numeric then
      x = number_of(xv)
    else
      if not index[xv] then
        categories[#categories + 1] = xv
        index[xv] = #categories
      end
      x = index[xv]
    end
    if x and not y then no_y = no_y + 1 end
    if x and y then
      records[#records + 1] = { x = x, y = y, group = tables.group_of(r, cols) }
    end
  end
  local notes = {}
  if no_x > 0 then
    notes[#notes + 1] = string.format("%d run(s) with no %s left out", no_x, opts.x)
  end
  if no_y > 0 then
    notes[#notes + 1] = string.format("%d run(s) with no %s (diverged or not measured) left out",
      no_y, opts.y)
  end
  if #records == 0 then
    fail("nothing to plot: no run in %s has both %s and %s", opts.path or "the CSV", opts.x, opts.y)
  end
  return tables.aggregate(records, cols), categories, notes, cols, finals
end

-- The gnuplot body of a sweep plot, its size and notes.
function M.sweep_body(opts)
  local series, categories, notes, cols, finals = M.sweep_data(opts)
  local x, y = opts.x, opts.y
  local scale, ylabel = y_axis(y, series)
  local main = opts.title or (tables.experiment_prefix(finals) .. name_of(y) .. " against "
    .. (SHORT[x] or name_of(x)))
  local setup, offset, xrange, logx = {}, {}, nil, false
  if opts.y_from_zero then
    -- all zero (no dead unit anywhere) would leave gnuplot an empty range: show the scale
    local top = 0
    for _, s in ipairs(series) do
      for _, p in ipairs(s.points) do top = math.max(top, p.mean + p.sd) end
    end
    setup[#setup + 1] = top > 0 and "set yrange [0:*]" or string.format("set yrange [0:%g]", scale)
  end
  if categories then
    local tics = {}
    for i, c in ipairs(categories) do tics[i] = q(c) .. " " .. i end
    setup[#setup + 1] = "set xtics (" .. table.concat(tics, ", ") .. ")"
    if #categories > 6 then setup[#setup + 1] = "set xtics rotate by -30 left" end
    xrange = string.format("set xrange [0.4:%g]", #categories + 0.6)
    setup[#setup + 1] = xrange
    -- side by side within a category, so error bars do not hide each other
    local width = math.min(0.6, 0.12 * #series)
    for i = 1, #series do
      offset[i] = #series > 1 and (-width / 2 + width * (i - 1) / (#series - 1)) or 0
    end
    setup[#setup + 1] = "set offsets 0, 0, graph 0.05, graph 0.05"
  else
    local xs = tables.x_values(series)
    local lo, hi = xs[1], xs[#xs]
    logx = opts.logx
    if logx == nil then logx = lo > 0 and hi / lo >= 100 end
    if logx then
      if lo <= 0 then fail("bad option 'logx' to 'sweep' (%s > 0 for a log scale, got %g)", x, lo) end
      setup[#setup + 1] = "set logscale x 10"
      setup[#setup + 1] = "set format x '%g'"
    end
    -- the x range hugs the data (a little padding), not the next round tic
    setup[#setup + 1] = "set autoscale xfix"
    setup[#setup + 1] = "set offsets graph 0.03, graph 0.03, graph 0.05, graph 0.05"
    for i = 1, #series do offset[i] = 0 end
  end
  local fewest, most = tables.n_range(series)
  local body, w, h, fs = layout.lines_figure{
    series = series, cols = cols, opts = opts, fn = "sweep", title = main,
    subtitle = string.format(most > 1 and "%s; mean ± sd over %s (n = %s per point)"
      or "%s (one run per point)", opts.subtitle or "final evaluation of each run", averaged(opts),
      count_text(fewest, most)),
    xlabel = label_of(x), ylabel = ylabel, setup = setup, xrange = xrange, logx = logx,
    clauses = function(i, _, lt, title)
      local xexpr = offset[i] ~= 0 and string.format("($1%+g)", offset[i]) or "1"
      return { string.format("$data index %d using %s:($2*%g):($3*%g) with %s lt %d ps 1.3 %s",
        i - 1, xexpr, scale, scale, categories and "yerrorbars" or "yerrorlines", lt,
        script.key_entry(title)) }
    end,
    extent = function(p) return (p.mean - p.sd) * scale, (p.mean + p.sd) * scale end,
  }
  return body, w, h, notes, fs
end

-- Full script text for a sweep plot (what gnuplot receives), with notes; and the drawing.
M.sweep_script, M.sweep = from_csv("sweep", "csv", M.sweep_body)

---------------------------------------------------------------------------------------------
-- Training curves: a metric against epoch, one line per configuration (mean over seeds,
-- a band of ± sd)

function M.curves_data(opts)
  local fn = "curves"
  local rows, present = opts.rows, opts.present
  local x, y = opts.x or "epoch", opts.y or "test_acc"
  tables.need_column(present, x, fn, "x", opts.path)
  tables.need_column(present, y, fn, "y", opts.path)
  -- configuration columns are the ones that vary between runs (not within one)
  local runs = tables.last_per_run(rows)
  local cols = tables.series_columns(runs, tables.config_columns(opts), "\0", opts.by, present, fn)
  -- one value per run and x: the last row (highest step) wins
  local per_run, order = {}, {}
  for i, r in ipairs(rows) do
    local xv, yv = number_of(r[x]), number_of(r[y])
    if xv and yv then
      local id = tables.run_key(r, i) .. "\1" .. xv
      if not per_run[id] then order[#order + 1] = id end
      local step = tonumber(r.step) or 0
      local cur = per_run[id]
      if not cur or step >= cur.step then
        per_run[id] = { x = xv, y = yv, group = tables.group_of(r, cols), step = step }
      end
    end
  end
  local records = {}
  for _, id in ipairs(order) do records[#records + 1] = per_run[id] end
  if #records == 0 then
    fail("nothing to plot: no row in %s has both %s and %s", opts.path or "the CSV", x, y)
  end
  return tables.aggregate(records, cols), cols, runs
end

function M.curves_body(opts)
  local series, cols, runs = M.curves_data(opts)
  local x, y = opts.x or "epoch", opts.y or "test_acc"
  local scale, ylabel = y_axis(y, series)
  local fewest, most = tables.n_range(series)
  local many = most > 1
  local main = opts.title or (tables.experiment_prefix(runs) .. name_of(y) .. " during training")
  local setup = { "set offsets 0, 0, graph 0.05, graph 0.05" }
  local xs, whole = tables.x_values(series), true
  for _, v in ipairs(xs) do
    if v ~= math.floor(v) then whole = false end
  end
  if whole and xs[#xs] - xs[1] <= 20 then setup[#setup + 1] = "set xtics 1" end
  local body, w, h, fs = layout.lines_figure{
    series = series, cols = cols, opts = opts, fn = "curves", title = main,
    subtitle = many and string.format("mean over %s (n = %s), band: ± sd", averaged(opts),
      count_text(fewest, most)) or nil,
    xlabel = label_of(x), ylabel = ylabel, setup = setup,
    clauses = function(i, s, lt, title)
      local out = {}
      if many then
        out[1] = string.format("$data index %d using 1:(($2-$3)*%g):(($2+$3)*%g) "
          .. "with filledcurves fs transparent solid 0.15 noborder lt %d notitle", i - 1, scale, scale, lt)
      end
      local with = #s.points <= 30 and "linespoints ps 0.8" or "lines"
      out[#out + 1] = string.format("$data index %d using 1:($2*%g) with %s lt %d %s", i - 1, scale,
        with, lt, script.key_entry(title))
      return out
    end,
    extent = function(p) return (p.mean - p.sd) * scale, (p.mean + p.sd) * scale end,
  }
  return body, w, h, nil, fs
end

M.curves_script, M.curves = from_csv("curves", "csv", M.curves_body)

---------------------------------------------------------------------------------------------
-- Diagnostics from layers.csv

local function epoch_text(rows)
  local lo, hi = math.huge, -math.huge
  for _, r in ipairs(rows) do
    local e = tonumber(r.epoch)
    if e then lo, hi = math.min(lo, e), math.max(hi, e) end
  end
  if lo == hi then return "epoch " .. common.short_num(lo) end
  return "epochs " .. common.short_num(lo) .. "–" .. common.short_num(hi)
end

function M.gradients_data(opts)
  local fn = "gradients"
  local present = opts.present
  for _, c in ipairs{ "layer", "grad_norm", "epoch" } do
    tables.need_column(present, c, fn, "layers_csv", opts.path)
  end
  local epoch = opts.epoch or "first"
  if type(epoch) ~= "number" and epoch ~= "first" and epoch ~= "last" then
    bad_option(fn, "epoch", "number, 'first' or 'last'", epoch)
  end
  local rows = tables.rows_at_epoch(opts.rows, epoch)
  local cols = tables.series_columns(rows, tables.config_columns(opts), "layer", opts.by, present, fn)
  local records, skipped = {}, 0
  for _, r in ipairs(rows) do
    local layer, g = number_of(r.layer), number_of(r.grad_norm)
    if layer and g and g > 0 then
      records[#records + 1] = { x = layer, y = g, group = tables.group_of(r, cols) }
    elseif layer and g then
      skipped = skipped + 1
    end
  end
  if #records == 0 then fail("nothing to plot: no positive grad_norm in %s", opts.path or "the CSV") end
  local notes = {}
  if skipped > 0 then
    notes[1] = string.format("%d zero gradient norm(s) left out of the log scale", skipped)
  end
  return tables.aggregate(records, cols), notes, rows, cols
end

function M.gradients_body(opts)
  local series, notes, rows, cols = M.gradients_data(opts)
  local main = opts.title or (tables.experiment_prefix(rows) .. "gradient norm per layer ("
    .. epoch_text(rows) .. ")")
  -- tics at the layers there are (the x values may skip numbers)
  local xs = tables.x_values(series)
  local tics = {}
  for i, x in ipairs(xs) do tics[i] = common.fmt_num(x) end
  local xrange = string.format("set xrange [%s:%s]", common.fmt_num(xs[1] - 0.5),
    common.fmt_num(xs[#xs] + 0.5))
  local setup = { "set logscale y 10", "set format y '%.0e'", xrange }
  if #xs <= 20 then setup[#setup + 1] = "set xtics (" .. table.concat(tics, ", ") .. ")" end
  local fewest, most = tables.n_range(series)
  local body, w, h, fs = layout.lines_figure{
    series = series, cols = cols, opts = opts, fn = "gradients", title = main,
    subtitle = (most > 1 and string.format("mean over %s (n = %s), bars: min–max", averaged(opts),
      count_text(fewest, most))
      or "one run per configuration") .. "; layer 1 is next to the input, the output layer last",
    xlabel = label_of("layer"), ylabel = label_of("grad_norm") .. " (log scale)", setup = setup,
    short_xlabel = "layer", short_ylabel = "gradient norm",
    xrange = xrange, logy = true,
    clauses = function(i, _, lt, title)
      return { string.format("$data index %d using 1:2:5:6 with yerrorlines lt %d ps 1.3 %s", i - 1, lt,
        script.key_entry(title)) }
    end,
    extent = function(p) return p.min, p.max end,
  }
  return body, w, h, notes, fs
end

M.gradients_script, M.gradients = from_csv("gradients", "layers_csv", M.gradients_body)

-- Dead units against x (γ): per run, the dead fraction averaged over its hidden layers
-- (those where it is measured) at the last epoch, or one series per layer (per_layer).
-- Returns one row per run (per run and layer) and the rows of the chosen epoch.
local function dead_rows(opts)
  local present = opts.present
  local metric = opts.metric or "dead"
  for _, c in ipairs{ "layer", metric, "epoch" } do
    tables.need_column(present, c, "dead", "layers_csv", opts.path)
  end
  local rows = tables.rows_at_epoch(opts.rows, opts.epoch or "last")
  local runs, order = {}, {}
  for i, r in ipairs(rows) do
    local v = number_of(r[metric])
    if v then
      local id = tables.run_key(r, i)
      if opts.per_layer then id = id .. "\1" .. tostring(r.layer) end
      local run = runs[id]
      if not run then
        run = { row = r, sum = 0, n = 0 }
        runs[id] = run
        order[#order + 1] = id
      end
      run.sum, run.n = run.sum + v, run.n + 1
    end
  end
  local out = {}
  for _, id in ipairs(order) do
    local run = runs[id]
    local r = common.copy(run.row)
    r[metric] = string.format("%.17g", run.sum / run.n)
    out[#out + 1] = r
  end
  if #out == 0 then fail("nothing to plot: no %s value in %s", metric, opts.path or "the CSV") end
  return out, rows
end

-- The sweep options that draw the dead-unit picture from dead_rows.
local function dead_sweep(opts)
  local x = opts.x or "gamma"
  local metric = opts.metric or "dead"
  local per_run, rows = dead_rows(opts)
  local candidates = tables.config_columns(opts)
  if opts.per_layer then candidates[#candidates + 1] = "layer" end
  local title = opts.title or (tables.experiment_prefix(rows) .. name_of(metric) .. " against "
    .. (SHORT[x] or name_of(x)) .. " (" .. epoch_text(rows) .. ")")
  return { rows = per_run, present = opts.present, x = x, y = metric, by = opts.by,
    path = opts.path, final = false, logx = opts.logx, title = title, candidates = candidates,
    width = opts.width, height = opts.height, y_from_zero = true, facet = opts.facet,
    subtitle = opts.per_layer and "one line per layer" or "per run: mean over its hidden layers" }
end

function M.dead_data(opts)
  return M.sweep_data(dead_sweep(opts))
end

function M.dead_body(opts)
  return M.sweep_body(dead_sweep(opts))
end

M.dead_script, M.dead = from_csv("dead", "layers_csv", M.dead_body)

return M
