-- How leaky should Leaky ReLU be? One hidden layer of 100 units with γ from 0 (plain
-- ReLU) to 1 (a linear network), on MNIST and Fashion-MNIST: test accuracy against γ,
-- and the fraction of dead units (never positive on the test set), which γ is meant to cure.
--   actlab experiments/sweep_gamma.lua            # all 60,000 training images, 10 epochs, 2 seeds
--   actlab experiments/sweep_gamma.lua --full     # 30 epochs, 5 seeds
local sweep = require "actlab.sweep"

local args = sweep.args(arg, {
  { "full", nil, "publication scale: 30 epochs, 5 seeds" },
})
local full = args.full

sweep.run{
  experiment = "sweep_gamma",
  args = args,
  out = full and "results/sweep_gamma-full" or nil,
  grid = {
    { "dataset", { "mnist", "fashion-mnist" } },
    { "gamma", { 0, 0.001, 0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 1 } },
    { "seed", full and { 1, 2, 3, 4, 5 } or { 1, 2 } },
  },
  fixed = {
    activation = "leaky_relu",
    hidden = { 100 },
    lr = 0.05,
    batch = 100,
    epochs = full and 30 or 10,
    train_n = 0,
  },
  plot = function(draw, out)
    draw("sweep", { csv = out .. "/results.csv", out = out .. "/test_acc.png", x = "gamma",
      y = "test_acc" })
    draw("dead", { layers_csv = out .. "/layers.csv", out = out .. "/dead.png", x = "gamma" })
    draw("curves", { csv = out .. "/results.csv", out = out .. "/curves.png" })
  end,
}
