-- Figures of series as lines: one panel with its key, or small multiples (panels by some
-- grouping columns, lines by the others) that share their axes; grid shapes for panels.
local common = require "actlab.plot.common"
local labels = require "actlab.plot.labels"
local script = require "actlab.plot.script"
local tables = require "actlab.plot.tables"

local fmt_num, bad_option, q = common.fmt_num, common.bad_option, script.q

local M = {}

-- Grid shape for n panels: wider than tall, with as few empty cells as can be.
function M.grid(n, cols)
  if not cols then
    local best
    for c = math.ceil(math.sqrt(n)), math.max(math.ceil(math.sqrt(n)), math.ceil(math.sqrt(2 * n))) do
      local empty = c * math.ceil(n / c) - n
      if not best or empty < best then best, cols = empty, c end
    end
  end
  return cols, math.ceil(n / cols)
end

-- Width in pixels of a key whose longest label has chars characters, at font size fs.
function M.key_width(chars, fs)
  return math.floor(chars * fs * 0.8 + 130)
end

-- Key placement: outside on the right for a few short labels, below for long ones.
local function key_lines(series, title)
  local place
  if common.longest(series, "label") > 28 then
    place = "set key below left Left reverse maxrows " .. math.max(2, math.ceil(#series / 3))
  else
    place = "set key outside right top Left reverse"
  end
  local lines = { place .. " samplen 4 spacing 1.2 box lc rgb '#bbbbbb'" }
  if title then lines[#lines + 1] = "set key title " .. q(title) .. " left" end
  if #series == 1 and series[1].label == "all runs" and not title then
    lines[#lines + 1] = "unset key"
  end
  return table.concat(lines, "\n")
end

local function title_lines(main, sub)
  if sub and sub ~= "" then return "set title " .. q(main .. "\n" .. sub) end
  return "set title " .. q(main)
end

-- Series → datablock blocks: rows "x mean sd n min max", one block per series.
local function series_blocks(series)
  local blocks = {}
  for i, s in ipairs(series) do
    local block = { comment = s.label }
    for _, p in ipairs(s.points) do
      block[#block + 1] = { p.x, p.mean, p.sd, p.n, p.min, p.max }
    end
    blocks[i] = block
  end
  return blocks
end

-- Small multiples for many series: panels by every grouping column but the last (or by
-- `facet`, a column name or list), lines within a panel by the others, one colour per line
-- value across panels. Returns nil for a single panel, else panels {title=, items={{index=,
-- line=}…}} and lines {label=}.
local function facets(series, cols, facet, fn)
  if facet == false or #cols < 2 then return nil end
  local chosen = {}
  if facet == nil or facet == true then
    if facet == nil and #series <= 8 then return nil end
    for i = 1, #cols - 1 do chosen[i] = true end
  else
    local names = type(facet) == "string" and { facet } or facet
    if type(names) ~= "table" then bad_option(fn, "facet", "column name, list, true or false", facet) end
    local n = 0
    for _, name in ipairs(names) do
      local found
      for i, c in ipairs(cols) do if c == name then found = i end end
      if not found then
        bad_option(fn, "facet", "one of the grouping columns (" .. table.concat(cols, ", ") .. ")", name)
      end
      chosen[found] = true
      n = n + 1
    end
    if n >= #cols then bad_option(fn, "facet", "fewer columns than the grouping ones", facet) end
  end
  local panels, lines, pindex, lindex = {}, {}, {}, {}
  for si, s in ipairs(series) do
    local pv, lv, pparts, lparts = {}, {}, {}, {}
    for i, c in ipairs(cols) do
      local part = labels.legend_part(c, s.values[i])
      if chosen[i] then
        pv[#pv + 1] = s.values[i]
        pparts[#pparts + 1] = part
      else
        lv[#lv + 1] = s.values[i]
        lparts[#lparts + 1] = part
      end
    end
    local pk, lk = table.concat(pv, "\1"), table.concat(lv, "\1")
    if not pindex[pk] then
      pindex[pk] = { values = pv, items = {},
        title = #pparts > 0 and table.concat(pparts, ", ") or "none" }
      panels[#panels + 1] = pindex[pk]
    end
    if not lindex[lk] then
      lindex[lk] = { values = lv, label = #lparts > 0 and table.concat(lparts, ", ") or "none" }
      lines[#lines + 1] = lindex[lk]
    end
    table.insert(pindex[pk].items, { index = si, line = lindex[lk] })
  end
  tables.sort_by_values(panels)
  tables.sort_by_values(lines)
  for i, l in ipairs(lines) do l.lt = i end
  for _, panel in ipairs(panels) do
    for _, item in ipairs(panel.items) do item.line = item.line.lt end
  end
  return panels, lines
end

-- A figure of series as lines: one panel, or small multiples sharing their axes ranges.
-- spec: series, cols (grouping columns), opts (width, height, facet), fn, title, subtitle,
-- xlabel, ylabel, setup (lines for every panel), key_title, clauses(i, s, lt, title) → plot
-- clauses for series i (title nil: no key entry), extent(p) → the y span drawn for point p,
-- logy, xrange (text, else from the data), short_xlabel / short_ylabel for small panels.
-- Returns the body (the series as datablock $data, then the figure), width, height, font size.
function M.lines_figure(spec)
  local series, opts = spec.series, spec.opts
  local panels, lines = facets(series, spec.cols, opts.facet, spec.fn)
  local b = { script.COMMON, script.datablock("data", series_blocks(series)) }
  if not panels then
    b[#b + 1] = script.linetypes(#series)
    b[#b + 1] = title_lines(spec.title, spec.subtitle)
    b[#b + 1] = "set xlabel " .. q(spec.xlabel)
    b[#b + 1] = "set ylabel " .. q(spec.ylabel)
    b[#b + 1] = key_lines(series, spec.key_title)
    for _, line in ipairs(spec.setup) do b[#b + 1] = line end
    local plots = {}
    for i, s in ipairs(series) do
      for _, c in ipairs(spec.clauses(i, s, i, s.label)) do plots[#plots + 1] = c end
    end
    b[#b + 1] = "plot " .. table.concat(plots, ", \\\n     ")
    return table.concat(b, "\n"), opts.width or (#series > 8 and 1400 or 1200), opts.height or 800
  end
  local fs = 13
  local cols, rows = M.grid(#panels)
  local key_labels = {}
  for i, l in ipairs(lines) do key_labels[i] = l.label end
  if spec.key_title then key_labels[#key_labels + 1] = spec.key_title end
  local key_w = M.key_width(common.longest(key_labels), fs)
  local pw, ph = 440, 350
  if #panels <= 3 then pw, ph = 560, 480 end
  local w = opts.width or (cols * pw + key_w + 100)
  local h = opts.height or (rows * ph + 130)
  -- one y range (and x range) for every panel, so panels compare at a glance
  local ylo, yhi, xlo, xhi = math.huge, -math.huge, math.huge, -math.huge
  for _, s in ipairs(series) do
    for _, p in ipairs(s.points) do
      local lo, hi = spec.extent(p)
      if not spec.logy or lo > 0 then ylo = math.min(ylo, lo) end
      yhi = math.max(yhi, hi)
      xlo, xhi = math.min(xlo, p.x), math.max(xhi, p.x)
    end
  end
  if spec.logy then
    ylo, yhi = ylo / 1.6, yhi * 1.6
  else
    local pad = (yhi - ylo) * 0.05
    if pad == 0 then pad = math.abs(yhi) * 0.05 + 1e-9 end
    ylo, yhi = ylo - pad, yhi + pad
    if opts.y_from_zero then ylo = 0 end
  end
  b[#b + 1] = script.linetypes(#lines)
  for _, line in ipairs(spec.setup) do b[#b + 1] = line end
  b[#b + 1] = "set offsets 0, 0, 0, 0"
  b[#b + 1] = string.format("set yrange [%s:%s]", fmt_num(ylo), fmt_num(yhi))
  if spec.xrange then
    b[#b + 1] = spec.xrange
  elseif spec.logx then
    b[#b + 1] = string.format("set xrange [%s:%s]", fmt_num(xlo / 1.15), fmt_num(xhi * 1.15))
  else
    local pad = (xhi - xlo) * 0.03
    if pad == 0 then pad = 0.5 end
    b[#b + 1] = string.format("set xrange [%s:%s]", fmt_num(xlo - pad), fmt_num(xhi + pad))
  end
  local right = 1 - (key_w + 20) / w
  local top = 1 - (spec.subtitle and 115 or 90) / h
  local main = spec.subtitle and spec.title .. "\n" .. spec.subtitle or spec.title
  b[#b + 1] = string.format("set multiplot layout %d,%d title %s margins %.4f,%.4f,%.4f,%.4f "
    .. "spacing %.4f,%.4f", rows, cols, q(main), 120 / w, right, 70 / h, top, 95 / w, 95 / h)
  for k, panel in ipairs(panels) do
    b[#b + 1] = "set title " .. q(panel.title)
    b[#b + 1] = k + cols > #panels and "set xlabel " .. q(spec.short_xlabel or spec.xlabel) or "unset xlabel"
    b[#b + 1] = (k - 1) % cols == 0 and "set ylabel " .. q(spec.short_ylabel or spec.ylabel) or "unset ylabel"
    local plots, shown = {}, {}
    if k == 1 then
      b[#b + 1] = string.format("set key at screen %.4f, screen %.4f left top Left reverse "
        .. "samplen 4 spacing 1.2 box lc rgb '#bbbbbb'", right + 20 / w, top)
      if spec.key_title then b[#b + 1] = "set key title " .. q(spec.key_title) .. " left" end
    else
      b[#b + 1] = "unset key"
    end
    for _, item in ipairs(panel.items) do
      local title = k == 1 and lines[item.line].label or nil
      for _, c in ipairs(spec.clauses(item.index, series[item.index], item.line, title)) do
        plots[#plots + 1] = c
      end
      shown[item.line] = true
    end
    -- the key (in the first panel) lists every line, also those the panel lacks
    if k == 1 then
      for i, l in ipairs(lines) do
        if not shown[i] then
          plots[#plots + 1] = string.format("NaN with linespoints lt %d title %s", i, q(l.label))
        end
      end
    end
    b[#b + 1] = "plot " .. table.concat(plots, ", \\\n     ")
  end
  b[#b + 1] = "unset multiplot"
  return table.concat(b, "\n"), w, h, fs
end

return M
