-- The benchmark's sweep: four small runs (784-200-10 on 30,000 MNIST images, 4 epochs,
-- four activations), to compare a sweep's throughput with --jobs 1 and --jobs 2.
--   actlab bench/sweep_small.lua --out DIR [--jobs N] [--threads N]
local sweep = require "actlab.sweep"

local args = sweep.args(arg, {})

sweep.run{
  experiment = "bench_sweep",
  args = args,
  grid = {
    { "activation", { "relu", "tanh", "sigmoid", "elu" } },
  },
  fixed = {
    dataset = "mnist",
    hidden = { 200 },
    lr = 0.05,
    batch = 100,
    epochs = 4,
    train_n = 30000,
    shuffle = true,
  },
}
