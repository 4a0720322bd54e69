-- Networks from Lua: shapes of mlp and the general form, forward values of a network
-- set by hand, option errors, and the model file (bit-exact round trip, damage refused).
local T = dofile((os.getenv("ACTLAB_SOURCE_DIR") or ".") .. "/tests/lua/testlib.lua")

local function sigmoid(x) return 1 / (1 + math.exp(-x)) end

T.test("mlp has the layers and parameter count asked for", function()
  local net = actlab.mlp{inputs = 784, hidden = {200}, outputs = 10, activation = "leaky_relu",
                         params = {gamma = 0.01}, output = "softmax", seed = 1}
  T.assert_eq(net.inputs, 784)
  T.assert_eq(net.outputs, 10)
  T.assert_eq(net:nparams(), 784 * 200 + 200 + 200 * 10 + 10)
  local kinds = {}
  for i, l in ipairs(net:layers()) do kinds[i] = l.kind .. " " .. l.units end
  T.assert_eq(kinds, {"dense 200", "act 200", "dense 10", "act 10"})
  T.assert_eq(net:layers()[2].activation, "leaky_relu")
  T.assert_eq(net:layers()[2].params, {gamma = 0.01})
  T.assert_eq(tostring(net), "net 784 → dense 200 → leaky_relu → dense 10 → softmax " ..
                             "(159010 parameters)")
  local y = net:forward(actlab.matrix(3, 784, 0.5)):totable()
  T.assert_eq(#y, 3)
  for _, row in ipairs(y) do
    local s = 0
    for _, v in ipairs(row) do s = s + v end
    T.assert_near(s, 1, 1e-5, "softmax rows sum to 1")
  end
end)

T.test("mlp without hidden layers and with one activation per layer", function()
  local flat = actlab.mlp{inputs = 3, hidden = {}, outputs = 1}
  T.assert_eq(tostring(flat), "net 3 → dense 1 → sigmoid (4 parameters)")
  local mixed = actlab.mlp{inputs = 2, hidden = {3, 4}, outputs = 2, activation = {"prelu", "elu"},
                           params = {{alpha = 0.1}, {alpha = 0.5}}, per_unit = true}
  local l = mixed:layers()
  T.assert_eq({l[2].activation, l[4].activation}, {"prelu", "elu"})
  T.assert_eq(l[2].params, {alpha = 0.1})
  T.assert_eq(l[4].params, {alpha = 0.5})
  T.assert_near(l[2].alpha, {0.1, 0.1, 0.1}, 1e-7, "one alpha per unit")
  T.assert_eq(mixed:nparams(), (2 * 3 + 3) + 3 + (3 * 4 + 4) + (4 * 2 + 2))
end)

T.test("the general form takes different activations and maxout", function()
  local net = actlab.net{inputs = 4, seed = 3, layers = {
    {"dense", 5, init = "he"}, {"act", "relu"},
    {"maxout", 3, pieces = 2},
    {"dense", 2, init = "uniform", init_range = {-1, 1}}, {"act", "softmax"}}}
  T.assert_eq(net:nparams(), (4 * 5 + 5) + (5 * 6 + 6) + (3 * 2 + 2))
  local l = net:layers()
  T.assert_eq({l[1].init, l[3].kind, l[3].pieces, l[3].units, l[4].init},
              {"he", "maxout", 2, 3, "uniform"})
  local w, b = net:weights(2), net:bias(2)
  T.assert_eq({w:shape()}, {5, 6})
  T.assert_eq({b:shape()}, {1, 6})
  for _, row in ipairs(net:weights(3):totable()) do
    for _, v in ipairs(row) do T.assert_true(v >= -1 and v < 1, "uniform in [-1, 1)") end
  end
  T.assert_eq({net:forward(actlab.matrix(7, 4, 1)):shape()}, {7, 2})
end)

-- XOR by hand: h1 = relu(x1 + x2), h2 = relu(x1 + x2 − 1), out = σ(h1 − 2·h2 − 0.5).
local function xor_net()
  local net = actlab.net{inputs = 2, layers = {{"dense", 2}, {"act", "relu"}, {"dense", 1},
                                               {"act", "sigmoid"}}}
  net:set_weights(1, actlab.matrix{{1, 1}, {1, 1}})
  net:set_bias(1, actlab.matrix{{0, -1}})
  net:set_weights(2, actlab.matrix{{1}, {-2}})
  net:set_bias(2, actlab.matrix{{-0.5}})
  return net
end

T.test("forward of a hand-set 2-2-1 network gives the hand-computed values", function()
  local y = xor_net():forward(actlab.matrix{{0, 0}, {0, 1}, {1, 0}, {1, 1}, {2, 0.5}})
  -- (2, 0.5): h1 = 2.5, h2 = 1.5, z = 2.5 − 3 − 0.5 = −1.
  T.assert_near(y, {{sigmoid(-0.5)}, {sigmoid(0.5)}, {sigmoid(0.5)}, {sigmoid(-0.5)},
                    {sigmoid(-1)}}, 1e-6)
end)

T.test("weights and biases are copies in and out, shapes checked", function()
  local net = xor_net()
  local w = net:weights(1)
  w:set(1, 1, 99)
  T.assert_eq(net:weights(1):get(1, 1), 1.0, "a copy out")
  T.assert_error_eq(function() net:weights(3) end,
    "bad argument #1 to 'weights' (index of a dense or maxout layer from 1 to 2 expected, got 3)")
  T.assert_error_eq(function() net:set_weights(1, actlab.matrix(3, 2)) end,
    "bad argument #2 to 'set_weights' (matrix of 2×2 expected, got 3×2)")
  T.assert_error_eq(function() net:set_bias(2, actlab.matrix(1, 2)) end,
    "bad argument #2 to 'set_bias' (matrix of 1×1 expected, got 1×2)")
end)

T.test("forward checks the input width", function()
  local net = actlab.mlp{inputs = 784, hidden = {20}, outputs = 10}
  T.assert_error_eq(function() net:forward(actlab.matrix(2, 785)) end,
    "bad argument #1 to 'forward' (matrix of 784 columns expected, got 785)")
end)

T.test("bad mlp and net options give exact messages", function()
  local cases = {
    {function() actlab.mlp{inputs = 784, hidden = {200, 0}, outputs = 10} end,
     "bad option 'hidden' to 'mlp' (list of positive integers expected, got 0 at position 2)"},
    {function() actlab.mlp{inputs = 784, hiden = {200}, outputs = 10} end,
     "bad option 'hiden' to 'mlp' (unknown option; valid: inputs, hidden, outputs, activation, " ..
     "params, output, init, init_range, init_std, per_unit, seed)"},
    {function() actlab.mlp{hidden = {2}, outputs = 1} end,
     "bad option 'inputs' to 'mlp' (positive integer expected, got nil)"},
    {function() actlab.mlp{inputs = 2.5, outputs = 1} end,
     "bad option 'inputs' to 'mlp' (positive integer expected, got 2.5)"},
    {function() actlab.mlp{inputs = 2, hidden = {2}, outputs = 1, activation = "softmax"} end,
     "bad option 'activation' to 'mlp' ('softmax' is for output layers only)"},
    {function() actlab.mlp{inputs = 2, hidden = {2, 2}, outputs = 1, activation = {"tanh"}} end,
     "bad option 'activation' to 'mlp' (list of 2 names expected (one per hidden layer), got 1)"},
    {function() actlab.mlp{inputs = 2, hidden = {2}, outputs = 1, activation = "leaky_relu",
                           params = {gama = 1}} end,
     "bad option 'params' to 'mlp' (unknown parameter 'gama' for leaky_relu (valid: gamma))"},
    {function() actlab.mlp{inputs = 2, hidden = {2}, outputs = 1, per_unit = true} end,
     "bad option 'per_unit' to 'mlp' (a trainable hidden activation (prelu) expected)"},
    {function() actlab.mlp{inputs = 2, outputs = 1, init = "glorot"} end,
     "bad option 'init' to 'mlp' (unknown init 'glorot' (expected auto, uniform, normal, " ..
     "xavier, he or lecun))"},
    {function() actlab.mlp{inputs = 2, outputs = 1, init_std = 0.1} end,
     "bad option 'init_std' to 'mlp' (init_std is only used with init = \"normal\")"},
    {function() actlab.mlp{inputs = 2, outputs = 1, seed = -1} end,
     "bad option 'seed' to 'mlp' (non-negative integer expected, got -1)"},
    {function() actlab.net{inputs = 4, layers = {{"dense", 5}, {"maxout", 3, pieces = 1}}} end,
     "bad option 'layers' to 'net' (layer 2: pieces: integer ≥ 2 expected, got 1)"},
    {function() actlab.net{inputs = 4, layers = {{"dense", 5, int = "he"}}} end,
     "bad option 'layers' to 'net' (layer 1: unknown field 'int' (valid: init, init_range, " ..
     "init_std))"},
    {function() actlab.net{inputs = 4, layers = {{"conv", 5}}} end,
     "bad option 'layers' to 'net' (layer 1: kind \"dense\", \"maxout\" or \"act\" expected, " ..
     "got 'conv')"},
    {function() actlab.net{inputs = 4, layers = {{"dense", 2}, {"act", "softmax"}, {"dense", 2}}} end,
     "bad option 'layers' to 'net' (layer 2: 'softmax' is for output layers only)"},
  }
  for i, c in ipairs(cases) do T.assert_error_eq(c[1], c[2], "case " .. i) end
end)

-- ---- the model file ------------------------------------------------------------------

local dir = T.tmpdir()

local function read(path) return assert(T.read(path), "cannot read " .. path) end
local write = T.write

-- Every weight and bias, as Lua numbers (exact copies of the floats).
local function params_of(net)
  local out = {}
  local i = 1
  while pcall(net.weights, net, i) do
    out[#out + 1] = net:weights(i):totable()
    out[#out + 1] = net:bias(i):totable()
    i = i + 1
  end
  return out
end

T.test("save and load round-trip bit-exactly (prelu per unit, maxout, parameters)", function()
  local net = actlab.net{inputs = 3, seed = 11, layers = {
    {"dense", 4, init = "normal", init_std = 0.7}, {"act", "prelu", per_unit = true},
    {"maxout", 3, pieces = 3}, {"act", "leaky_relu", params = {gamma = 0.123456789}},
    {"dense", 2}, {"act", "log_softmax"}}}
  local path = dir .. "/round.model"
  net:save(path)
  local back = actlab.load(path)
  T.assert_eq(tostring(back), tostring(net))
  T.assert_eq(back:layers(), net:layers())
  T.assert_eq(params_of(back), params_of(net))   -- == on every float: bit-exact
  local x = actlab.matrix{{0.1, -2, 3}, {1, 1, 1}}
  T.assert_eq(back:forward(x):totable(), net:forward(x):totable())
  -- Saved again, the file is the same byte for byte.
  back:save(dir .. "/round2.model")
  T.assert_eq(read(dir .. "/round2.model"), read(path))
end)

T.test("a network with a Lua-defined activation loads once it is defined", function()
  actlab.activation{name = "softclip", params = {c = 2},
    f = function(x, p) return p.c * math.tanh(x / p.c) end,
    df = function(x, y, p) return 1 - (y / p.c) ^ 2 end}
  local net = actlab.mlp{inputs = 2, hidden = {3}, outputs = 1, activation = "softclip",
                         params = {c = 3}}
  local path = dir .. "/custom.model"
  net:save(path)
  local back = actlab.load(path)
  T.assert_eq(back:layers()[2].params, {c = 3})
  T.assert_eq(params_of(back), params_of(net))
end)

T.test("damaged, future and missing model files are refused naming the file", function()
  local path = dir .. "/good.model"
  xor_net():save(path)
  local good = read(path)
  local bad = dir .. "/bad.model"

  write(bad, (good:gsub("^actlab%-model 1\n", "actlab-model 2\n")))
  T.assert_error_eq(function() actlab.load(bad) end,
    bad .. ": format version 2 is newer than this actlab (1)")

  write(bad, good:sub(1, #good - 3))
  T.assert_error_match(function() actlab.load(bad) end, bad .. ": truncated (", nil, true)

  write(bad, good .. "x")
  T.assert_error_eq(function() actlab.load(bad) end,
    bad .. ": 1 unexpected bytes after the checksum")

  local pos = #good - 8   -- inside the parameter block
  write(bad, good:sub(1, pos - 1) .. string.char(good:byte(pos) ~ 1) .. good:sub(pos + 1))
  T.assert_error_eq(function() actlab.load(bad) end,
    bad .. ": checksum mismatch (the file is damaged)")

  write(bad, "hello\n")
  T.assert_error_eq(function() actlab.load(bad) end,
    bad .. ": not an actlab model (no 'actlab-model' header)")

  T.assert_error_eq(function() actlab.load(dir .. "/none.model") end,
    dir .. "/none.model: cannot open: No such file or directory")
end)

T.done()
