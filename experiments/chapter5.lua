-- Can the literature's chapter on activation functions be reproduced? Its own runs: a
-- 784-200-10 network trained with lr 0.05, batch 100 (gradient averaged over the batch),
-- on the first 1,000 MNIST training images in order (no shuffling) for 2000 epochs, tested
-- on the 10,000 test images every 200 epochs. Published test accuracies: sigmoid with
-- U(−0.5, 0.5) weights ≈ 0.866–0.870; Leaky ReLU γ = 0.01 with U(−0.01, 0.01) and
-- U(−0.1, 0.1) weights ≈ 0.868; no hidden layer (784-10 softmax, U(−0.5, 0.5), weights
-- clamped ≥ 0 after every step) ≈ 0.845–0.850. Then the chapter's exercises: no activation
-- against sigmoid, tanh against ReLU, two hidden layers with different activations, and
-- all of it again on Fashion-MNIST.
--   actlab experiments/chapter5.lua          # 200 epochs, tested every 20
--   actlab experiments/chapter5.lua --full   # the chapter's 2000 epochs, tested every 200
local sweep = require "actlab.sweep"

local args = sweep.args(arg, {
  { "full", nil, "the chapter's scale: 2000 epochs, tested every 200" },
})
local full = args.full

-- One row per setup: the network and its initial weights. init_range with two ranges gives
-- the hidden layer and the output layer their own U(lo, hi), as the chapter's code does
-- (0.02·U(0,1) − 0.01 and 0.2·U(0,1) − 0.1).
local SIGMOID_INIT = { -0.5, 0.5 }
local LEAKY_INIT = { { -0.01, 0.01 }, { -0.1, 0.1 } }
local SETUPS = {
  sigmoid = { hidden = { 200 }, activation = "sigmoid", init = "uniform",
    init_range = SIGMOID_INIT, published = "0.866-0.870" },
  leaky_relu = { hidden = { 200 }, activation = "leaky_relu", gamma = 0.01, init = "uniform",
    init_range = LEAKY_INIT, published = "0.868" },
  no_hidden = { hidden = {}, init = "uniform",
    init_range = SIGMOID_INIT, nonneg = true, published = "0.845-0.850" },
  -- exercises: the same network with another activation and the same initial weights
  identity = { hidden = { 200 }, activation = "identity", init = "uniform",
    init_range = SIGMOID_INIT },
  tanh = { hidden = { 200 }, activation = "tanh", init = "uniform", init_range = SIGMOID_INIT },
  relu = { hidden = { 200 }, activation = "relu", init = "uniform", init_range = LEAKY_INIT },
  -- two hidden layers with different activations (initial weights chosen per activation)
  tanh_relu = { hidden = { 200, 100 }, activation = { "tanh", "relu" }, init = "auto" },
  relu_tanh = { hidden = { 200, 100 }, activation = { "relu", "tanh" }, init = "auto" },
}
local ORDER = { "sigmoid", "leaky_relu", "no_hidden", "identity", "tanh", "relu", "tanh_relu",
  "relu_tanh" }

local epochs = full and 2000 or 200

sweep.run{
  experiment = "chapter5",
  args = args,
  out = full and "results/chapter5-full" or nil,
  grid = {
    { "dataset", { "mnist", "fashion-mnist" } },
    { "setup", ORDER },
  },
  fixed = {
    train_n = 1000,
    shuffle = false,
    lr = 0.05,
    batch = 100,
    epochs = epochs,
    eval_every = epochs // 10,
    seed = 1,
  },
  derive = function(cfg)
    for k, v in pairs(SETUPS[cfg.setup]) do cfg[k] = v end
    -- the published figures are for MNIST
    if cfg.dataset ~= "mnist" then cfg.published = nil end
    return cfg
  end,
  show = { "dataset", "setup", "published" },
  plot = function(draw, out)
    draw("curves", { csv = out .. "/results.csv", out = out .. "/curves.png", by = "dataset,setup" })
    draw("sweep", { csv = out .. "/results.csv", out = out .. "/test_acc.png", x = "setup",
      y = "test_acc" })
  end,
}
