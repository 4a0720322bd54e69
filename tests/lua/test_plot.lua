-- actlab.plot and `actlab plot`: the data gnuplot receives against fixture CSVs (means and
-- sds worked out here, independently), valid PNG/SVG files of the asked size, and clear
-- failures (no gnuplot, gnuplot errors) that leave neither a half image nor a changed CSV.
local T = dofile((os.getenv("ACTLAB_SOURCE_DIR") or ".") .. "/tests/lua/testlib.lua")
local P = require "actlab.plot"
local csv = require "actlab.csv"

local dir = T.tmpdir() .. "/plot"
os.execute("rm -rf " .. T.quote(dir) .. " && mkdir -p " .. T.quote(dir))
local BIN = os.getenv("ACTLAB_BIN")

local write, slurp = T.write, T.read

local function exists(path) return slurp(path) ~= nil end

-- Sample mean and standard deviation (n − 1), written out here so the expected values do
-- not come from the code under test.
local function mean_sd(xs)
  local s = 0
  for _, x in ipairs(xs) do s = s + x end
  local m = s / #xs
  local ss = 0
  for _, x in ipairs(xs) do ss = ss + (x - m) * (x - m) end
  return m, #xs > 1 and math.sqrt(ss / (#xs - 1)) or 0
end

-- The datablocks of a gnuplot script: name → list of blocks {comment=, rows…}, blocks
-- split at two blank lines as gnuplot's `index` does.
local function datablocks(script)
  local out = {}
  for name, body in script:gmatch("%$([%w_]+) << EOD\n(.-)EOD\n") do
    local blocks = {}
    for chunk in (body .. "\n\n"):gmatch("(.-)\n\n\n?") do
      if chunk ~= "" then
        local block = {}
        for line in (chunk .. "\n"):gmatch("([^\n]*)\n") do
          if line:sub(1, 2) == "# " then
            block.comment = line:sub(3)
          elseif line ~= "" then
            local row = {}
            for cell in line:gmatch("%S+") do row[#row + 1] = tonumber(cell) or cell end
            block[#block + 1] = row
          end
        end
        blocks[#blocks + 1] = block
      end
    end
    out[name] = blocks
  end
  return out
end

-- PNG signature, then the IHDR chunk: width and height as big-endian 32-bit integers.
local function png_size(path)
  local s = slurp(path)
  if not s or s:sub(1, 8) ~= "\137PNG\r\n\26\n" or s:sub(13, 16) ~= "IHDR" then return nil end
  return (string.unpack(">I4", s, 17)), (string.unpack(">I4", s, 21))
end

-- An SVG file: XML declaration, tags that nest and close, root <svg width= height=>.
local function svg_size(path)
  local s = slurp(path)
  if not s or not s:match("^<%?xml") then return nil, "no XML declaration" end
  local body = s:gsub("<%?.-%?>", ""):gsub("<!%-%-.-%-%->", "")
  local stack, root = {}, nil
  for close, name, attrs, selfclose in body:gmatch("<(/?)([%w:_-]+)(.-)(/?)>") do
    if close == "/" then
      if stack[#stack] ~= name then return nil, "</" .. name .. "> closes " .. tostring(stack[#stack]) end
      stack[#stack] = nil
    else
      if not root then root = { name = name, attrs = attrs } end
      if selfclose == "" then stack[#stack + 1] = name end
    end
  end
  if #stack > 0 then return nil, "unclosed <" .. stack[#stack] .. ">" end
  if not root or root.name ~= "svg" then return nil, "root is not <svg>" end
  return tonumber(root.attrs:match('width="(%d+)"')), tonumber(root.attrs:match('height="(%d+)"'))
end

---------------------------------------------------------------------------------------------
-- Fixtures

local RESULTS_HEADER = { "run_id", "experiment", "run_index", "dataset", "activation",
  "act_params", "gamma", "hidden", "depth", "init", "lr", "batch", "momentum", "epochs", "seed",
  "train_n", "epoch", "step", "train_loss", "train_acc", "test_loss", "test_acc", "seconds",
  "status", "message", "diverged_epoch", "diverged_layer", "actlab_version", "git_commit",
  "blas_threads", "timestamp" }

-- Runs of a leaky ReLU sweep: {dataset, gamma, seed, test_acc at epoch 1, at epoch 2}; an
-- empty accuracy is a diverged evaluation.
local RUNS = {
  { "mnist", 0.01, 1, 0.5, 0.90 }, { "mnist", 0.01, 2, 0.6, 0.92 }, { "mnist", 0.01, 3, 0.7, 0.94 },
  { "mnist", 0.1, 1, 0.4, 0.80 }, { "mnist", 0.1, 2, 0.5, 0.84 }, { "mnist", 0.1, 3, "", nil },
  { "fashion-mnist", 0.01, 1, 0.3, 0.70 },
  { "fashion-mnist", 0.1, 1, 0.2, 0.60 }, { "fashion-mnist", 0.1, 2, 0.4, 0.66 },
}

local function results_rows()
  local rows = {}
  for i, r in ipairs(RUNS) do
    for epoch = 1, 2 do
      local acc = epoch == 1 and r[4] or r[5]
      if epoch == 1 or r[5] ~= nil then
        rows[#rows + 1] = { run_id = "run" .. i, experiment = "leaky", run_index = i,
          dataset = r[1], activation = "leaky_relu", act_params = "gamma=" .. r[2], gamma = r[2],
          hidden = "32", depth = 1, init = "he", lr = 0.1, batch = 16, momentum = 0, epochs = 2,
          seed = r[3], train_n = 100, epoch = epoch, step = epoch * 7,
          test_acc = acc, status = acc == "" and "diverged" or "ok" }
      end
    end
  end
  return rows
end

local results_csv = dir .. "/results.csv"
write(results_csv, csv.format(RESULTS_HEADER, results_rows()))

local LAYERS_HEADER = { "run_id", "experiment", "dataset", "activation", "gamma", "depth", "lr",
  "seed", "epoch", "layer", "dead", "saturated", "grad_norm", "alpha" }

-- Diagnostics: {activation, gamma, seed, epoch, layer, dead, grad_norm}.
local LAYERS = {
  { "sigmoid", "", 1, 1, 1, "", 0.001 }, { "sigmoid", "", 1, 1, 2, "", 0.1 },
  { "sigmoid", "", 1, 2, 1, "", 0.5 }, { "sigmoid", "", 1, 2, 2, "", 0.5 },
  { "sigmoid", "", 2, 1, 1, "", 0.003 }, { "sigmoid", "", 2, 1, 2, "", 0.3 },
  { "sigmoid", "", 2, 2, 1, "", 0.5 }, { "sigmoid", "", 2, 2, 2, "", 0.5 },
  { "leaky_relu", 0, 1, 1, 1, 0.9, 0.2 }, { "leaky_relu", 0, 1, 1, 2, "", 0 },
  { "leaky_relu", 0, 1, 2, 1, 0.2, 0.2 }, { "leaky_relu", 0, 1, 2, 2, "", 0.2 },
  { "leaky_relu", 0, 2, 1, 1, 0.9, 0.4 }, { "leaky_relu", 0, 2, 1, 2, "", 0.4 },
  { "leaky_relu", 0, 2, 2, 1, 0.4, 0.2 }, { "leaky_relu", 0, 2, 2, 2, "", 0.2 },
  { "leaky_relu", 0.1, 1, 2, 1, 0.05, 0.2 }, { "leaky_relu", 0.1, 1, 2, 2, "", 0.2 },
}

local function layers_csv(path, list)
  local rows = {}
  for _, r in ipairs(list) do
    rows[#rows + 1] = { run_id = r[1] .. tostring(r[2]) .. "s" .. r[3], experiment = "diag",
      dataset = "mnist", activation = r[1], gamma = r[2], depth = 1, lr = 0.1, seed = r[3],
      epoch = r[4], layer = r[5], dead = r[6], grad_norm = r[7] }
  end
  write(path, csv.format(LAYERS_HEADER, rows))
end

local layers_path = dir .. "/layers.csv"
layers_csv(layers_path, LAYERS)

-- Checks one block's rows "x mean sd n …" against expected {x, values…} entries.
local function check_points(block, expected, what)
  T.assert_eq(#block, #expected, what .. ": number of points")
  for i, e in ipairs(expected) do
    local vals = {}
    for j = 2, #e do vals[#vals + 1] = e[j] end
    local m, sd = mean_sd(vals)
    T.assert_near({ block[i][1], block[i][2], block[i][3], block[i][4] }, { e[1], m, sd, #vals },
      1e-9, what .. " point " .. i)
  end
end

---------------------------------------------------------------------------------------------
-- The data gnuplot receives

T.test("sweep data is the final evaluation of each run, mean and sd over seeds", function()
  -- one series per dataset (act_params follows gamma and must not split it); the diverged
  -- run and the epoch-1 rows are left out
  local script, notes = P.sweep_script{ csv = results_csv, x = "gamma", y = "test_acc", out = "x.png" }
  local blocks = datablocks(script).data
  T.assert_eq(#blocks, 2, "series")
  T.assert_eq(blocks[1].comment, "fashion-mnist")
  T.assert_eq(blocks[2].comment, "mnist")
  check_points(blocks[1], { { 0.01, 0.70 }, { 0.1, 0.60, 0.66 } }, "fashion-mnist")
  check_points(blocks[2], { { 0.01, 0.90, 0.92, 0.94 }, { 0.1, 0.80, 0.84 } }, "mnist")
  -- worked by hand: mnist at γ = 0.01 is 0.92 ± 0.02
  T.assert_near({ blocks[2][1][2], blocks[2][1][3] }, { 0.92, 0.02 }, 1e-12)
  T.assert_true(notes[1] and notes[1]:find("1 run(s) with no test_acc", 1, true), "diverged run noted")
end)

T.test("sweep with by = {} puts every run in one series", function()
  local script = P.sweep_script{ csv = results_csv, x = "gamma", y = "test_acc", by = {}, out = "x.png" }
  local blocks = datablocks(script).data
  T.assert_eq(#blocks, 1)
  check_points(blocks[1], { { 0.01, 0.90, 0.92, 0.94, 0.70 }, { 0.1, 0.80, 0.84, 0.60, 0.66 } }, "all")
end)

T.test("sweep over a text column places categories at 1, 2, … in first-seen order", function()
  local script = P.sweep_script{ csv = results_csv, x = "dataset", y = "test_acc", out = "x.png" }
  local blocks = datablocks(script).data
  T.assert_eq(#blocks, 2, "one series per gamma")
  T.assert_eq(blocks[1].comment, "γ = 0.01")
  check_points(blocks[1], { { 1, 0.90, 0.92, 0.94 }, { 2, 0.70 } }, "γ = 0.01")
  check_points(blocks[2], { { 1, 0.80, 0.84 }, { 2, 0.60, 0.66 } }, "γ = 0.1")
  T.assert_true(script:find('set xtics ("mnist" 1, "fashion-mnist" 2)', 1, true), "category tics")
end)

T.test("accuracy fractions are drawn in percent, the data stays as in the CSV", function()
  local script = P.sweep_script{ csv = results_csv, x = "gamma", y = "test_acc", out = "x.png" }
  T.assert_true(script:find("using 1:($2*100):($3*100)", 1, true), "scaled in the plot command")
  T.assert_true(script:find('set ylabel "test accuracy (%)"', 1, true), "label with unit")
end)

T.test("more than 8 series become panels by the leading columns, colours kept per line", function()
  -- 3 activations × 3 depths: a panel per activation, depth tells the lines apart
  local rows = {}
  for _, act in ipairs{ "relu", "sigmoid", "tanh" } do
    for depth = 1, 3 do
      rows[#rows + 1] = { run_id = act .. depth, activation = act, depth = tostring(depth),
        seed = "1", epoch = "1", lr = "0.1", test_acc = tostring(0.5 + depth / 10) }
    end
  end
  local script = P.sweep_script{ rows = rows, x = "lr", y = "test_acc", out = "x.png" }
  T.assert_true(script:find("\nset multiplot layout", 1, true), "small multiples")
  local titles = {}
  for t in script:gmatch('\nset title "([^"\n]*)"') do titles[#titles + 1] = t end
  T.assert_eq(titles, { "relu", "sigmoid", "tanh" })
  -- series are blocks in (activation, depth) order; depth d is line type d in every panel
  for i = 0, 8 do
    local lt = script:match("%$data index " .. i .. " using [^\n]- lt (%d+)")
    T.assert_eq(tonumber(lt), i % 3 + 1, "line type of block " .. i)
  end
  local one = P.sweep_script{ rows = rows, x = "lr", y = "test_acc", out = "x.png", facet = false }
  T.assert_true(not one:find("\nset multiplot", 1, true), "facet = false keeps one panel")
end)

T.test("training curves average seeds per epoch, one series per configuration", function()
  local script = P.curves_script{ csv = results_csv, out = "x.png" }
  local blocks = datablocks(script).data
  T.assert_eq(#blocks, 4)
  T.assert_eq(blocks[1].comment, "fashion-mnist, γ = 0.01")
  T.assert_eq(blocks[4].comment, "mnist, γ = 0.1")
  check_points(blocks[3], { { 1, 0.5, 0.6, 0.7 }, { 2, 0.90, 0.92, 0.94 } }, "mnist γ=0.01")
  check_points(blocks[4], { { 1, 0.4, 0.5 }, { 2, 0.80, 0.84 } }, "mnist γ=0.1")
end)

T.test("gradient norms per layer at the first epoch: mean, bars from min to max", function()
  local script, notes = P.gradients_script{ layers_csv = layers_path, out = "x.png" }
  local blocks = datablocks(script).data
  -- series: leaky_relu γ = 0, leaky_relu γ = 0.1, sigmoid; the zero norm is left out
  T.assert_eq(#blocks, 3)
  local sig = blocks[3]
  T.assert_eq(sig.comment, "sigmoid")
  check_points(sig, { { 1, 0.001, 0.003 }, { 2, 0.1, 0.3 } }, "sigmoid")
  T.assert_near({ sig[1][5], sig[1][6] }, { 0.001, 0.003 }, 1e-12, "min, max")
  check_points(blocks[1], { { 1, 0.2, 0.4 }, { 2, 0.4 } }, "leaky γ=0")
  T.assert_true(notes[1]:find("1 zero gradient norm", 1, true), "zero norm noted")
  T.assert_true(script:find("set logscale y", 1, true), "log scale")
end)

T.test("dead units against gamma: per run the mean over measured layers at the last epoch", function()
  local script = P.dead_script{ layers_csv = layers_path, out = "x.png" }
  local blocks = datablocks(script).data
  -- only leaky_relu rows have dead values; sigmoid's gamma is empty, so it has no x
  T.assert_eq(#blocks, 1)
  check_points(blocks[1], { { 0, 0.2, 0.4 }, { 0.1, 0.05 } }, "dead")
end)

---------------------------------------------------------------------------------------------
-- Activations and images

T.test("activation curves: closed-form values of f and f′", function()
  local script = P.activations_script{ names = { "sigmoid", "tanh", "leaky_relu" }, gamma = 0.1,
    from = -2, to = 2, n = 5, out = "x.png" }
  local blocks = datablocks(script).act
  T.assert_eq(#blocks, 3)
  T.assert_eq(blocks[3].comment, "leaky_relu (γ = 0.1)")
  local function row_at(block, x)
    for _, r in ipairs(block) do if math.abs(r[1] - x) < 1e-12 then return r end end
  end
  local s = 1 / (1 + math.exp(-2))
  T.assert_near(row_at(blocks[1], 0), { 0, 0.5, 0.25 }, 1e-6, "sigmoid(0)")
  T.assert_near(row_at(blocks[1], 2), { 2, s, s * (1 - s) }, 1e-6, "sigmoid(2)")
  local t = (math.exp(1) - math.exp(-1)) / (math.exp(1) + math.exp(-1))
  T.assert_near(row_at(blocks[2], -1), { -1, -t, 1 - t * t }, 1e-6, "tanh(-1)")
  T.assert_near(row_at(blocks[3], -2), { -2, -0.2, 0.1 }, 1e-6, "leaky_relu(-2)")
  T.assert_near(row_at(blocks[3], 1), { 1, 1, 1 }, 1e-6, "leaky_relu(1)")
end)

T.test("default activations are the hidden-layer ones: no output-only or row-wise", function()
  local script = P.activations_script{ out = "x.png", n = 11 }
  local blocks = datablocks(script).act
  local expected = {}
  for _, info in ipairs(actlab.activations()) do
    if not info.output_only and not info.rowwise then expected[#expected + 1] = info.name end
  end
  T.assert_eq(#blocks, #expected)
  for i, b in ipairs(blocks) do
    T.assert_eq(b.comment:match("^[%w_]+"), expected[i], "block " .. i)
  end
end)

T.test("a row-wise activation asked for by name is refused with the reason", function()
  T.assert_error_match(function() P.activations{ names = { "softmax" }, out = dir .. "/s.png" } end,
    "bad option 'names' to 'activations' (softmax is row-wise", nil, true)
  T.assert_error_match(function() P.activations{ names = { "nope" }, out = dir .. "/s.png" } end,
    "unknown activation 'nope'; valid names: ", nil, true)
end)

T.test("weight columns become upright 28×28 images on a colour scale centred at 0", function()
  -- W[i][k] encodes pixel i of unit k; row r, column c of image k must be pixel (r-1)·28 + c
  local W = {}
  for i = 1, 784 do
    W[i] = {}
    for k = 1, 10 do W[i][k] = (k - 1) * 1000 + i end
  end
  local body = P.weights_body({ out = "x.png" }, W)
  local blocks = datablocks(body)
  for _, k in ipairs{ 1, 10 } do
    local img = blocks["img" .. k][1]
    T.assert_eq(#img, 28, "rows")
    T.assert_eq(img[1][1], (k - 1) * 1000 + 1)
    T.assert_eq(img[1][28], (k - 1) * 1000 + 28)
    T.assert_eq(img[2][1], (k - 1) * 1000 + 29)
    T.assert_eq(img[28][28], (k - 1) * 1000 + 784)
  end
  T.assert_true(body:find("set cbrange [-9784:9784]", 1, true), "symmetric colour range")
  T.assert_true(body:find("set yrange [27.5:-0.5]", 1, true), "first row drawn at the top")
end)

---------------------------------------------------------------------------------------------
-- Files

T.test("PNG files have the signature and the asked width and height", function()
  local out = dir .. "/sweep.png"
  local got, notes = P.sweep{ csv = results_csv, x = "gamma", y = "test_acc", out = out,
    width = 640, height = 480 }
  T.assert_eq(got, out)
  T.assert_true(notes and notes:find("diverged", 1, true), "note returned")
  T.assert_eq({ png_size(out) }, { 640, 480 })
  T.assert_true(not exists(out .. ".tmp"), "no temporary left")
end)

T.test("SVG files parse and have the asked size", function()
  local out = dir .. "/curves.svg"
  P.curves{ csv = results_csv, out = out, width = 900, height = 600 }
  local w, h = svg_size(out)
  T.assert_eq({ w, h }, { 900, 600 }, tostring(h))
end)

T.test("every kind of picture renders at its default size", function()
  local cases = {
    { P.activations, { out = dir .. "/act.png", names = { "sigmoid" } }, 1200, 800 },
    { P.activations, { out = dir .. "/act_overlay.png", overlay = true, width = 1500, height = 700 },
      1500, 700 },
    { P.gradients, { out = dir .. "/grad.png", layers_csv = layers_path }, 1200, 800 },
    { P.dead, { out = dir .. "/dead.svg", layers_csv = layers_path }, 1200, 800 },
  }
  for _, c in ipairs(cases) do
    c[1](c[2])
    local w, h
    if c[2].out:match("svg$") then w, h = svg_size(c[2].out) else w, h = png_size(c[2].out) end
    T.assert_eq({ w, h }, { c[3], c[4] }, c[2].out)
  end
end)

T.test("weights of a network render as a grid of images", function()
  local net = actlab.mlp{ inputs = 784, hidden = {}, outputs = 10, activation = "relu", seed = 1 }
  local out = dir .. "/weights.png"
  P.weights{ net = net, out = out }
  local w, h = png_size(out)
  T.assert_true(w and w > 800 and h > 300, "size " .. tostring(w) .. "×" .. tostring(h))
end)

T.test("samples of Fashion-MNIST render with their class names", function()
  if not exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz") then
    return print("      (Fashion-MNIST not installed)")
  end
  local d = actlab.dataset("fashion-mnist", { train_n = 12 })
  local out = dir .. "/samples.png"
  P.samples{ dataset = d, n = 12, out = out }
  T.assert_true(png_size(out), "valid PNG")
end)

T.test("option errors name the option and what was expected", function()
  T.assert_error_eq(function() P.sweep{ csv = results_csv, x = "gamma", y = "test_acc" } end,
    "bad option 'out' to 'sweep' (file name expected, got nil)")
  T.assert_error_match(function()
    P.sweep{ csv = results_csv, x = "gama", y = "test_acc", out = dir .. "/e.png" }
  end, "bad option 'x' to 'sweep' (a column of " .. results_csv .. " expected, got 'gama'", nil, true)
  T.assert_error_eq(function()
    P.sweep{ csv = results_csv, x = "gamma", y = "test_acc", out = dir .. "/e.pdf" }
  end, "cannot write '" .. dir .. "/e.pdf': a .png or .svg file name expected, got .pdf")
  T.assert_true(not exists(dir .. "/e.png") and not exists(dir .. "/e.pdf"), "nothing written")
end)

---------------------------------------------------------------------------------------------
-- The command and failures

T.test("actlab plot writes the picture and says where", function()
  if not BIN then return print("      (ACTLAB_BIN not set)") end
  local out = dir .. "/cli.png"
  local text, code = T.run(T.quote(BIN) .. " plot " .. T.quote(results_csv)
    .. " --x gamma --y test_acc --by dataset -o " .. T.quote(out))
  T.assert_eq(code, 0, text)
  T.assert_true(text:find("wrote " .. out, 1, true), text)
  T.assert_eq({ png_size(out) }, { 1200, 800 })
end)

T.test("without gnuplot: the package to install, non-zero exit, CSV untouched", function()
  if not BIN then return print("      (ACTLAB_BIN not set)") end
  local before = slurp(results_csv)
  local out = dir .. "/nognuplot.png"
  local text, code = T.run("env PATH=/nonexistent " .. T.quote(BIN) .. " plot "
    .. T.quote(results_csv) .. " --x gamma -o " .. T.quote(out))
  T.assert_true(code ~= 0, "exit status " .. code)
  T.assert_true(text:find("gnuplot not found: install Debian's gnuplot-nox (apt-get install gnuplot-nox)",
    1, true), text)
  T.assert_eq(slurp(results_csv), before, "CSV bytes")
  T.assert_true(not exists(out) and not exists(out .. ".tmp"), "no image")
end)

T.test("a gnuplot error is reported with its message and leaves no half file", function()
  if not BIN then return print("      (ACTLAB_BIN not set)") end
  -- a stand-in gnuplot that starts the output file, complains and fails
  local bin = dir .. "/fakebin"
  os.execute("mkdir -p " .. T.quote(bin))
  write(bin .. "/gnuplot", "#!/bin/sh\n"
    .. "out=$(sed -n 's/^set output \"\\(.*\\)\"$/\\1/p')\n"
    .. "printf 'half' > \"$out\"\n"
    .. "echo 'line 7: something went wrong' >&2\nexit 1\n")
  os.execute("chmod +x " .. T.quote(bin .. "/gnuplot"))
  local out = dir .. "/failed.png"
  local text, code = T.run("env PATH=" .. T.quote(bin .. ":/usr/bin:/bin") .. " " .. T.quote(BIN)
    .. " plot " .. T.quote(results_csv) .. " --x gamma -o " .. T.quote(out))
  T.assert_eq(code, 1, text)
  T.assert_true(text:find("gnuplot failed (exit status 1)", 1, true), text)
  T.assert_true(text:find("line 7: something went wrong", 1, true), text)
  T.assert_true(not exists(out) and not exists(out .. ".tmp"), "no image, no temporary")
end)

T.test("usage errors exit with status 2 and say what is wrong", function()
  if not BIN then return print("      (ACTLAB_BIN not set)") end
  local text, code = T.run(T.quote(BIN) .. " plot " .. T.quote(results_csv))
  T.assert_eq(code, 2, text)
  T.assert_true(text:find("--x COLUMN", 1, true), text)
  text, code = T.run(T.quote(BIN) .. " plot activations --gamma x")
  T.assert_eq(code, 2, text)
  T.assert_true(text:find("--gamma expects a number, got 'x'", 1, true), text)
end)

T.done()
