-- Training from Lua: XOR learns, the row's fields, on_eval's schedule and errors,
-- divergence as a result, option errors, and a short run on MNIST when installed.
local T = dofile((os.getenv("ACTLAB_SOURCE_DIR") or ".") .. "/tests/lua/testlib.lua")

local X = actlab.matrix{{0, 0}, {0, 1}, {1, 0}, {1, 1}}
local xor = actlab.data{x = X, y = actlab.matrix{{0}, {1}, {1}, {0}}}

local function xor_net(activation)
  return actlab.mlp{inputs = 2, hidden = {4}, outputs = 1, activation = activation or "tanh",
                    seed = 1}
end

T.test("XOR is learned with a fixed seed", function()
  local net = xor_net()
  local row, status = actlab.train(net, xor, {lr = 0.5, batch = 4, epochs = 2000, seed = 1,
                                              eval_train = true})
  T.assert_eq(status, "ok")
  T.assert_eq(row.train_acc, 1.0)
  T.assert_true(row.train_loss < 0.05, "loss " .. row.train_loss)
  local y = net:forward(X):totable()
  for i, want in ipairs({0, 1, 1, 0}) do
    T.assert_near(y[i][1], want, 0.1, "example " .. i)
  end
end)

T.test("the same seed gives the same run", function()
  local opts = {lr = 0.3, batch = 2, epochs = 50, shuffle = true, seed = 4}
  local a, b = xor_net(), xor_net()
  T.assert_eq(actlab.train(a, xor, opts).train_loss, actlab.train(b, xor, opts).train_loss)
  T.assert_eq(a:weights(1):totable(), b:weights(1):totable())
end)

T.test("the row has the documented fields", function()
  local row = actlab.train(xor_net(), xor, {lr = 0.5, batch = 4, epochs = 3, eval_train = true,
                                            test = xor})
  T.assert_eq({row.epoch, row.step, row.status}, {3, 3, "ok"})
  for _, k in ipairs({"train_loss", "train_acc", "test_loss", "test_acc", "seconds"}) do
    T.assert_eq(type(row[k]), "number", k)
  end
  T.assert_eq(row.diverged_layer, nil)
  T.assert_eq(#row.layers, 2, "one entry per dense layer")
  T.assert_eq({row.layers[1].layer, row.layers[2].layer}, {1, 2}, "dense layers counted")
  T.assert_eq({row.layers[1].net_layer, row.layers[2].net_layer}, {1, 3}, "net:layers() positions")
  T.assert_eq(type(row.layers[1].grad_norm), "number")
  T.assert_eq(type(row.layers[1].saturated), "number", "tanh saturates")
  T.assert_eq(row.layers[1].dead, nil, "tanh units are never dead")
  local relu_row = actlab.train(xor_net("relu"), xor, {batch = 4})
  T.assert_eq(type(relu_row.layers[1].dead), "number")
  T.assert_eq(relu_row.train_acc, nil, "not measured without eval_train")
end)

T.test("on_eval is called every eval_every epochs and after the last", function()
  local seen = {}
  actlab.train(xor_net(), xor, {batch = 4, epochs = 10, eval_every = 3,
                                on_eval = function(r) seen[#seen + 1] = r.epoch end})
  T.assert_eq(seen, {3, 6, 9, 10})
end)

T.test("on_eval returning false stops training", function()
  local calls = 0
  local row, status = actlab.train(xor_net(), xor, {batch = 4, epochs = 10, on_eval = function()
    calls = calls + 1
    return false
  end})
  T.assert_eq({calls, row.epoch, status, row.status}, {1, 1, "interrupted", "interrupted"})
end)

T.test("an error in on_eval propagates, the object intact", function()
  T.assert_error_eq(function()
    actlab.train(xor_net(), xor, {batch = 4, epochs = 5, on_eval = function(r)
      if r.epoch == 2 then error("stop at " .. r.epoch, 0) end
    end})
  end, "stop at 2")
  local obj = {}
  local ok, e = pcall(actlab.train, xor_net(), xor, {batch = 4, on_eval = function() error(obj) end})
  T.assert_true(not ok and e == obj, "the error object itself")
  -- The network is usable afterwards.
  local net = xor_net()
  pcall(actlab.train, net, xor, {batch = 4, on_eval = function() error("x") end})
  T.assert_eq(actlab.train(net, xor, {batch = 4}).status, "ok")
end)

T.test("forward may be called from on_eval; training itself may not", function()
  local net = xor_net()
  local outs = {}
  actlab.train(net, xor, {batch = 4, epochs = 2, on_eval = function()
    outs[#outs + 1] = net:forward(X):shape()
  end})
  T.assert_eq(outs, {4, 4})
  T.assert_error_eq(function()
    actlab.train(net, xor, {batch = 4, on_eval = function() actlab.train(net, xor, {batch = 4}) end})
  end, "train: this network is already being trained")
end)

T.test("a huge learning rate diverges as a result, not an error", function()
  local row, status = actlab.train(xor_net("relu"), xor, {lr = 1e30, batch = 4, epochs = 20})
  T.assert_eq(status, "diverged")
  T.assert_eq(row.status, "diverged")
  T.assert_eq(math.type(row.diverged_layer), "integer")
  -- numbered like row.layers (dense layers), the net position given separately
  local net = actlab.net{inputs = 2, seed = 1, layers = {{"dense", 3}, {"act", "relu"},
    {"dense", 1}, {"act", "sigmoid"}}}
  row = actlab.train(net, xor, {lr = 1e30, batch = 4, epochs = 20})
  local dense_of = {[1] = 1, [2] = 1, [3] = 2, [4] = 2}
  T.assert_eq(row.diverged_layer, dense_of[row.diverged_net_layer], "dense layer of net layer")
end)

T.test("labels or targets that do not fit the network say so in the user's terms", function()
  local x = actlab.matrix{{0, 0}, {0, 1}, {1, 0}, {1, 1}}
  local two = actlab.mlp{inputs = 2, hidden = {3}, outputs = 2, seed = 1}
  T.assert_error_eq(function() actlab.train(two, actlab.data{x = x, y = {0, 1, 1, 7}}) end,
    "bad argument #2 to 'train' (training data: labels 0 to 1 expected for a network of 2 " ..
    "outputs, got labels of 8 classes)")
  T.assert_error_eq(function() actlab.train(xor_net(), actlab.data{x = x, y = {0, 1, 1, 0}}) end,
    "bad argument #2 to 'train' (training data: class labels need one output per class, and " ..
    "this network has 1 output; give y as a matrix of 0/1 targets instead)")
  T.assert_error_eq(function()
    actlab.train(two, actlab.data{x = x, y = actlab.matrix(4, 3)})
  end, "bad argument #2 to 'train' (training data: targets of 2 columns expected for a " ..
       "network of 2 outputs, got 3)")
end)

T.test("an error in a Lua-defined activation during training propagates", function()
  local armed = false
  actlab.activation{name = "trap", f = function(x)
    if armed then error("trapped", 0) end
    return math.tanh(x)
  end, df = function(x, y) return 1 - y * y end}
  local net = actlab.mlp{inputs = 2, hidden = {3}, outputs = 1, activation = "trap"}
  armed = true
  T.assert_error_match(function() actlab.train(net, xor, {batch = 4}) end,
    "^activation 'trap': error in f at x = .*: trapped$")
  armed = false
  T.assert_eq(actlab.train(net, xor, {batch = 4}).status, "ok")
end)

T.test("bad training options give exact messages", function()
  local net = xor_net()
  local cases = {
    {{lr = -1}, "bad option 'lr' to 'train' (positive number expected, got -1)"},
    {{lr = 0}, "bad option 'lr' to 'train' (positive number expected, got 0)"},
    {{batch = 5}, "bad option 'batch' to 'train' (integer from 1 to 4 (the training examples) " ..
                  "expected, got 5)"},
    {{epochs = 0}, "bad option 'epochs' to 'train' (positive integer expected, got 0)"},
    {{momentum = 1}, "bad option 'momentum' to 'train' (number in [0, 1) expected, got 1)"},
    {{nesterov = true}, "bad option 'nesterov' to 'train' (needs momentum > 0)"},
    {{shuffle = 1}, "bad option 'shuffle' to 'train' (boolean expected, got 1)"},
    {{loss = "mae"}, "bad option 'loss' to 'train' (unknown loss 'mae' (expected auto, mse, bce, " ..
                     "cross_entropy or nll))"},
    {{on_eval = 3}, "bad option 'on_eval' to 'train' (function expected, got 3)"},
    {{test = X}, "bad option 'test' to 'train' (in-memory data (actlab.data) expected, got " ..
                 "userdata)"},
    {{evaluate = "validation"}, "bad option 'evaluate' to 'train' (only used with a data set)"},
    {{learning_rate = 0.1}, "bad option 'learning_rate' to 'train' (unknown option; valid: lr, " ..
     "batch, epochs, momentum, nesterov, weight_decay, lr_decay, shuffle, seed, nonneg, " ..
     "eval_every, eval_train, eval_batch, loss, on_eval, test, evaluate)"},
  }
  for i, c in ipairs(cases) do
    T.assert_error_eq(function() actlab.train(net, xor, c[1]) end, c[2], "case " .. i)
  end
  T.assert_error_eq(function() actlab.train(net, {}) end,
    "bad argument #2 to 'train' (data set or data expected, got table)")
  T.assert_error_eq(function() actlab.train(actlab.mlp{inputs = 3, outputs = 1}, xor) end,
    "bad argument #2 to 'train' (training data of 3 inputs expected for this network, got 2)")
end)

T.test("threads reads and sets the BLAS thread count", function()
  local before = actlab.threads()
  T.assert_eq(math.type(before), "integer")
  T.assert_eq(actlab.threads(1), 1)
  actlab.threads(before)
  T.assert_error_eq(function() actlab.threads(0) end,
    "bad argument #1 to 'threads' (thread count from 1 to 1024 expected)")
end)

local ok, mnist = pcall(actlab.dataset, "mnist", {train_n = 2000, validation = 1000})
if ok then
  T.test("MNIST: a short run learns something, on the test or the validation part", function()
    local net = actlab.mlp{inputs = 784, hidden = {32}, outputs = 10, activation = "relu"}
    local row = actlab.train(net, mnist, {lr = 0.1, batch = 50, epochs = 2, shuffle = true})
    T.assert_true(row.test_acc > 0.7, "test accuracy " .. row.test_acc)
    local vrow = actlab.train(net, mnist, {lr = 0.1, batch = 50, epochs = 1,
                                           evaluate = "validation"})
    T.assert_true(vrow.test_acc > 0.7, "validation accuracy " .. vrow.test_acc)
    T.assert_error_eq(function() actlab.train(net, mnist, {test = xor}) end,
      "bad option 'test' to 'train' (only used with in-memory data (a data set evaluates on " ..
      "its own test part))")
  end)
else
  print("note: mnist not installed, its test is skipped")
end

T.done()
