-- Pictures made of images in a grid: the columns of a weight matrix, and data-set samples
-- with their labels.
local common = require "actlab.plot.common"
local gnuplot = require "actlab.plot.gnuplot"
local layout = require "actlab.plot.layout"
local script = require "actlab.plot.script"

local fail, bad_option, fmt_num, q = common.fail, common.bad_option, common.fmt_num, script.q

local M = {}

-- A matrix (or table of rows) → list of rows.
local function rows_of(m)
  if type(m) == "userdata" or (type(m) == "table" and m.totable) then return m:totable() end
  return m
end

-- Datablock block of one ih × iw image whose pixel k (row-major, k = 1..ih·iw) is get(k).
local function image_block(get, ih, iw, comment)
  local block = { comment = comment }
  for r = 1, ih do
    local row = {}
    for c = 1, iw do row[c] = common.finite_or_nan(get((r - 1) * iw + c)) end
    block[r] = row
  end
  return block
end

-- Image shape {height, width} for n pixels: opts.shape, else a square.
local function image_shape(opts, n, fn, what)
  local shape = opts.shape
  if shape then
    if type(shape) ~= "table" or math.type(shape[1]) ~= "integer" or math.type(shape[2]) ~= "integer"
        or shape[1] * shape[2] ~= n then
      bad_option(fn, "shape", "{height, width} with height × width = " .. n, shape)
    end
    return shape[1], shape[2]
  end
  local side = math.floor(math.sqrt(n) + 0.5)
  if side * side ~= n then
    fail("bad option 'shape' to '%s' (%s of %d values is not square: give shape = {height, width})",
      fn, what, n)
  end
  return side, side
end

-- Body of an image grid: images (list of blocks, ih × iw), titles, palette lines.
local function image_grid(images, titles, ih, iw, opts, palette)
  local n = #images
  local cols, rows = layout.grid(n, opts.cols)
  local pw = opts.panel or 170
  local ph = math.floor(pw * ih / iw) + 36
  local extra_w = palette.colorbox and 150 or 0
  local w = opts.width or math.max(480, cols * pw + 40 + extra_w)
  local h = opts.height or (rows * ph + 90)
  local b = {}
  for i, img in ipairs(images) do b[#b + 1] = script.datablock("img" .. i, { img }) end
  local right = 1 - (extra_w + 20) / w
  local top = 1 - 70 / h
  b[#b + 1] = palette.lines
  b[#b + 1] = "unset xtics"
  b[#b + 1] = "unset ytics"
  b[#b + 1] = "unset key"
  b[#b + 1] = "set border lw 0.5 lc rgb '#999999'"
  b[#b + 1] = "set size ratio -1"
  b[#b + 1] = string.format("set xrange [-0.5:%g]", iw - 0.5)
  b[#b + 1] = string.format("set yrange [%g:-0.5]", ih - 0.5)
  -- fonts fixed in size: the panels stay small however many there are
  b[#b + 1] = string.format("set multiplot layout %d,%d title %s font ',15' margins %g,%g,%g,%g spacing %g,%g",
    rows, cols, q(opts.title or palette.title), 0.01, right, 0.02, top, 0.01, 40 / h)
  for i = 1, n do
    b[#b + 1] = "set title " .. q(titles[i]) .. " font ',13'"
    if palette.colorbox and i == n then
      b[#b + 1] = string.format("set colorbox user origin screen %g, screen %g size screen %g, screen %g",
        1 - (extra_w - 20) / w, 0.15, 18 / w, 0.65)
      b[#b + 1] = "set cbtics out textcolor rgb 'black' font ',12'"
      if palette.cblabel then b[#b + 1] = "set cblabel " .. q(palette.cblabel) .. " font ',13' offset 2,0" end
    elseif palette.colorbox then
      b[#b + 1] = "unset colorbox"
    end
    b[#b + 1] = string.format("plot $img%d matrix with image notitle", i)
  end
  b[#b + 1] = "unset multiplot"
  return table.concat(b, "\n"), w, h
end

-- Body of the weights picture from W (in × out, a matrix or table of rows): column k as an
-- image, colours diverging around 0 on one scale shared by all panels. opts.classes: the
-- columns are classes (titles "class k" or "k: name" from class_names), else units.
function M.weights_body(opts, W)
  local fn = "weights"
  local t = rows_of(W)
  if type(t) ~= "table" or #t == 0 then bad_option(fn, "net", "network or weight matrix", W) end
  local inputs, outputs = #t, #t[1]
  local ih, iw = image_shape(opts, inputs, fn, "a layer input")
  local n = math.min(outputs, opts.n or 100)
  local m = 0
  for i = 1, inputs do
    for k = 1, n do
      local v = t[i][k]
      if common.finite(v) and math.abs(v) > m then m = math.abs(v) end
    end
  end
  if m == 0 then m = 1 end
  local classes = opts.classes
  if classes == nil then classes = opts.class_names ~= nil end
  local names = classes and opts.class_names or nil
  local images, titles = {}, {}
  for k = 1, n do
    local name = names and names[k]
    if name then
      titles[k] = string.format("%d: %s", k - 1, name)
    elseif classes then
      titles[k] = string.format("class %d", k - 1)
    else
      titles[k] = string.format("unit %d", k)
    end
    images[k] = image_block(function(i) return t[i][k] end, ih, iw, titles[k])
  end
  local palette = {
    colorbox = true,
    cblabel = "weight",
    title = string.format("weights of dense layer %d: one image per %s%s (blue < 0 < red)",
      opts.layer or 1, classes and "class" or "unit",
      n < outputs and string.format(", first %d of %d", n, outputs) or ""),
    lines = table.concat({
      "set palette defined (-1 '#053061', -0.5 '#4393c3', 0 '#f7f7f7', 0.5 '#d6604d', 1 '#67001f')",
      string.format("set cbrange [%s:%s]", fmt_num(-m), fmt_num(m)),
    }, "\n"),
  }
  return image_grid(images, titles, ih, iw, opts, palette)
end

local function class_names_of(api_obj)
  if api_obj and api_obj.class_names then
    local ok, names = pcall(api_obj.class_names, api_obj)
    if ok and type(names) == "table" then return names end
  end
  return nil
end

M.weights = gnuplot.drawing("weights", function(opts)
  local o = common.copy(opts)
  o.layer = opts.layer or 1
  local W = opts.matrix
  if not W then
    local net = opts.net
    if type(net) == "string" then
      -- the loader's message names the file already: no position of ours in front of it
      local ok, loaded = pcall(common.lib().load, net)
      if not ok then error(tostring(loaded):gsub("^[^\n]-:%d+: ", ""), 0) end
      net = loaded
    end
    if type(net) ~= "userdata" and type(net) ~= "table" then
      bad_option("weights", "net", "network or file name", opts.net)
    end
    if math.type(o.layer) ~= "integer" or o.layer < 1 then
      bad_option("weights", "layer", "positive integer", o.layer)
    end
    W = net:weights(o.layer)
    if o.classes == nil then
      -- the columns are classes when this is the last dense layer
      local dense = 0
      for _, l in ipairs(net:layers()) do
        if l.kind == "dense" then dense = dense + 1 end
      end
      o.classes = o.layer == dense
    end
  end
  if not o.class_names and opts.dataset then o.class_names = class_names_of(opts.dataset) end
  return M.weights_body(o, W)
end)

-- Body of the samples picture: images (n × side², matrix or rows), labels (list), names
-- (label → name list, indexed by label + 1 for 0-based labels).
function M.samples_body(opts, images, labels, names, dataset_name)
  local t = rows_of(images)
  local n = #t
  if n == 0 then fail("nothing to plot: no images") end
  local ih, iw = image_shape(opts, #t[1], "samples", "an image")
  local lo, hi = math.huge, -math.huge
  for _, row in ipairs(t) do
    for _, v in ipairs(row) do
      if common.finite(v) then lo, hi = math.min(lo, v), math.max(hi, v) end
    end
  end
  if not (lo < hi) then lo, hi = 0, 1 end
  local imgs, titles = {}, {}
  for i = 1, n do
    local label = labels and labels[i]
    local name = label and names and names[label + 1]
    if name and tostring(name) ~= tostring(label) then
      titles[i] = string.format("%s (%s)", name, tostring(label))
    else
      titles[i] = label and tostring(label) or ("#" .. i)
    end
    local row = t[i]
    imgs[i] = image_block(function(k) return row[k] end, ih, iw, titles[i])
  end
  local palette = {
    colorbox = false,
    title = string.format("%s: %d %s images with their labels", dataset_name or "data set", n,
      opts.which or "train"),
    lines = "set palette gray\nunset colorbox\n" .. string.format("set cbrange [%s:%s]", fmt_num(lo), fmt_num(hi)),
  }
  local o = common.copy(opts)
  o.panel = opts.panel or math.max(150, common.longest(titles) * 9)
  return image_grid(imgs, titles, ih, iw, o, palette)
end

M.samples = gnuplot.drawing("samples", function(opts)
  local n = opts.n or 24
  if math.type(n) ~= "integer" or n < 1 or n > 400 then
    bad_option("samples", "n", "integer from 1 to 400", n)
  end
  local which, first = opts.which or "train", opts.first or 1
  local d = opts.dataset
  if type(d) == "string" then
    -- read only the training images shown
    d = common.lib().dataset(d, which == "train" and { train_n = first + n - 1 } or nil)
  end
  if type(d) ~= "userdata" and type(d) ~= "table" then
    bad_option("samples", "dataset", "data set or its name", opts.dataset)
  end
  local images = d:images(which, first, n)
  local labels = d:labels(which, first, n)
  local o = common.copy(opts)
  o.which = which
  if not o.shape and d.height and d.width then o.shape = { d.height, d.width } end
  return M.samples_body(o, images, labels, class_names_of(d), d.name)
end)

return M
