-- The actlab half of the cross-check against PyTorch (tests/scripts/test_torch.sh):
-- trains small networks, and evaluates every elementwise activation on a grid, then
-- writes what went in and what came out as JSON for tests/torch/crosscheck.py, which
-- repeats the same computations with torch and compares.
-- Usage: actlab tests/torch/crosscheck.lua OUT.json

local out_path = assert(arg[1], "usage: actlab tests/torch/crosscheck.lua OUT.json")

-- Each case: a network, its data's shape and the training options. Data go in order
-- (no shuffling), so both sides see the same batches.
local cases = {
  {name = "tanh, leaky_relu 0.1; Nesterov, weight decay", hidden = {16, 8},
   activation = {"tanh", "leaky_relu"}, params = {{}, {gamma = 0.1}}, output = "softmax",
   outputs = 3, opts = {lr = 0.1, batch = 32, epochs = 3, momentum = 0.9, nesterov = true,
   weight_decay = 1e-3}},
  {name = "elu; momentum, lr decay", hidden = {12}, activation = "elu", params = {alpha = 0.7},
   output = "softmax", outputs = 4,
   opts = {lr = 0.05, batch = 50, epochs = 4, momentum = 0.5, lr_decay = 0.01}},
  {name = "prelu (shared alpha)", hidden = {10}, activation = "prelu", output = "softmax",
   outputs = 3, opts = {lr = 0.1, batch = 25, epochs = 3}},
  {name = "prelu (one alpha per unit)", hidden = {6}, activation = "prelu",
   params = {alpha = 0.1}, per_unit = true, output = "softmax", outputs = 3,
   opts = {lr = 0.2, batch = 20, epochs = 3, momentum = 0.5}},
  {name = "silu, sigmoid output + BCE", hidden = {8}, activation = "silu", output = "sigmoid",
   outputs = 2, opts = {lr = 0.2, batch = 20, epochs = 3, momentum = 0.9}},
  {name = "gelu, identity output + MSE", hidden = {8}, activation = "gelu", output = "identity",
   outputs = 2, opts = {lr = 0.05, batch = 16, epochs = 2}},
  {name = "mish, softplus; log_softmax + NLL", hidden = {9, 7}, activation = {"mish", "softplus"},
   params = {{}, {beta = 2, threshold = 5}}, output = "log_softmax", outputs = 3,
   opts = {lr = 0.1, batch = 40, epochs = 2, momentum = 0.8}},
  {name = "selu, hardswish, sigmoid", hidden = {8, 8, 8}, activation = {"selu", "hardswish", "sigmoid"},
   output = "softmax", outputs = 3, opts = {lr = 0.3, batch = 10, epochs = 2}},
  {name = "no hidden layer, weights clamped >= 0", hidden = {}, output = "softmax", outputs = 3,
   opts = {lr = 0.1, batch = 32, epochs = 2, nonneg = true}},
  -- The general form: a maxout layer (6 units of 3 pieces) under a relu layer.
  {name = "relu, maxout", layers = {{"dense", 12}, {"act", "relu"}, {"maxout", 6, pieces = 3},
   {"dense", 3}, {"act", "softmax"}}, output = "softmax", outputs = 3,
   between = {{kind = "act", name = "relu", params = {}}, {kind = "maxout", pieces = 3}},
   opts = {lr = 0.1, batch = 20, epochs = 3, momentum = 0.9}},
}

-- Activations evaluated on the grid, with the parameters to use.
local grid_cases = {
  {"identity"}, {"sigmoid"}, {"tanh"}, {"relu"}, {"leaky_relu"}, {"leaky_relu", {gamma = 0.2}},
  {"leaky_relu", {gamma = 0}}, {"leaky_relu", {gamma = 1}}, {"elu"}, {"elu", {alpha = 0.5}},
  {"selu"}, {"celu"}, {"celu", {alpha = 2}}, {"gelu"}, {"gelu_tanh"}, {"silu"}, {"mish"},
  {"softplus"}, {"softplus", {beta = 2, threshold = 5}}, {"softsign"}, {"hardtanh"},
  {"hardtanh", {min = -2, max = 0.5}}, {"hardsigmoid"}, {"hardswish"}, {"rrelu"},
  {"rrelu", {lower = 0.1, upper = 0.4}},
}
-- Row-wise ones, on rows with large and tied values.
local rows = actlab.matrix{{1000, 999, 0}, {-3, 0.5, 2}, {7, 7, 7}, {-1000, 0, 1000}}

-- ---- A minimal JSON writer: numbers (%.9g round-trips float32), strings, arrays, objects.
local function json(v)
  local t = type(v)
  if t == "number" then
    if v ~= v or v == math.huge or v == -math.huge then return "null" end
    return math.type(v) == "integer" and tostring(v) or string.format("%.9g", v)
  elseif t == "string" then
    return '"' .. v:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end) .. '"'
  elseif t == "boolean" then
    return tostring(v)
  elseif t == "userdata" and v.totable then
    return json(v:totable())
  elseif t == "table" then
    if #v > 0 or next(v) == nil then
      local parts = {}
      for i, x in ipairs(v) do parts[i] = json(x) end
      return "[" .. table.concat(parts, ",") .. "]"
    end
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = k end
    table.sort(keys)
    local parts = {}
    for i, k in ipairs(keys) do parts[i] = json(tostring(k)) .. ":" .. json(v[k]) end
    return "{" .. table.concat(parts, ",") .. "}"
  end
  error("json: cannot write a " .. t)
end

-- Inputs in [-1, 1) from a fixed linear congruential sequence: plain data, no actlab RNG.
local state = 12345
local function uniform()
  state = (state * 1103515245 + 12345) % 2147483648
  return state / 2147483648
end

local N, D = 200, 20
local result = {cases = {}, grid = {}}
for _, c in ipairs(cases) do
  local x = actlab.matrix(N, D)
  for i = 1, N do for j = 1, D do x:set(i, j, uniform() * 2 - 1) end end
  local y
  if c.output == "softmax" or c.output == "log_softmax" then
    y = {}
    for i = 1, N do y[i] = math.floor(uniform() * c.outputs) end
  else
    y = actlab.matrix(N, c.outputs)
    for i = 1, N do
      for j = 1, c.outputs do y:set(i, j, c.output == "sigmoid" and (uniform() < 0.5 and 0 or 1) or uniform()) end
    end
  end
  -- What comes after each weight layer but the last, as torch will compute it: an
  -- activation {kind = "act", name, params, units (PReLU's alpha count)} or a maxout.
  local net, between
  if c.layers then
    net = actlab.net{inputs = D, seed = 7, layers = c.layers}
    between = c.between
  else
    net = actlab.mlp{inputs = D, hidden = c.hidden, outputs = c.outputs,
      activation = c.activation, params = c.params, per_unit = c.per_unit, output = c.output,
      seed = 7}
    local params = c.params and (c.params[1] and c.params or {c.params}) or {}
    between = {}
    for i = 1, #c.hidden do
      local name = type(c.activation) == "table" and c.activation[i] or c.activation
      between[i] = {kind = "act", name = name, params = params[i] or {},
        units = c.per_unit and c.hidden[i] or 1}
    end
  end
  local case = {name = c.name, x = x, y = y, output = c.output, between = between,
    opts = c.opts, w0 = {}, b0 = {}, w1 = {}, b1 = {}}
  local nlayers = #between + 1
  for i = 1, nlayers do case.w0[i], case.b0[i] = net:weights(i), net:bias(i) end
  local opts = {eval_train = true}
  for k, v in pairs(c.opts) do opts[k] = v end
  local row, status = actlab.train(net, actlab.data{x = x, y = y}, opts)
  assert(status == "ok", c.name .. ": training ended " .. tostring(status))
  for i = 1, nlayers do case.w1[i], case.b1[i] = net:weights(i), net:bias(i) end
  case.train_loss, case.train_acc = row.train_loss, row.train_acc
  case.alpha = row.layers[1] and row.layers[1].alpha or nil
  result.cases[#result.cases + 1] = case
end

local xs = {}
for i = -64, 64 do xs[#xs + 1] = i / 8 end -- every kink of the table is a multiple of 1/8
for _, v in ipairs({-50, -30, -20.5, 1e-4, -1e-4, 20.5, 25, 50}) do xs[#xs + 1] = v end
local grid = actlab.matrix(1, #xs)
for j, v in ipairs(xs) do grid:set(1, j, v) end
result.x = grid
for _, g in ipairs(grid_cases) do
  local a = actlab.activation(g[1], g[2])
  result.grid[#result.grid + 1] = {name = g[1], params = g[2] or {},
    f = a:forward(grid), df = a:derivative(grid)}
end

result.rows = rows
result.rowwise = {}
for _, name in ipairs({"softmax", "log_softmax"}) do
  local a = actlab.activation(name)
  local dy = actlab.matrix{{1, -2, 0.5}, {0.25, 1, -1}, {3, 0, 1}, {-1, 2, 1}}
  result.rowwise[#result.rowwise + 1] = {name = name, dy = dy, f = a:forward(rows),
    dx = a:backward(rows, dy)}
end

local f = assert(io.open(out_path, "w"))
f:write(json(result), "\n")
assert(f:close())
