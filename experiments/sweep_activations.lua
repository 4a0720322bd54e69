-- Which hidden activation trains best? Every hidden activation of actlab's table, with its
-- default parameters, in the same one-hidden-layer network on MNIST and Fashion-MNIST.
--   actlab experiments/sweep_activations.lua          # ~10,000 training images, 5 epochs, 1 seed
--   actlab experiments/sweep_activations.lua --full   # all 60,000, 20 epochs, 3 seeds
local sweep = require "actlab.sweep"

local args = sweep.args(arg, {
  { "full", nil, "publication scale: all 60,000 training images, 20 epochs, 3 seeds" },
})
local full = args.full

-- The table decides what is swept: output-only activations (softmax) are left out.
local names = {}
for _, a in ipairs(actlab.activations()) do
  if not a.output_only then names[#names + 1] = a.name end
end

sweep.run{
  experiment = "sweep_activations",
  args = args,
  out = full and "results/sweep_activations-full" or nil,
  grid = {
    { "dataset", { "mnist", "fashion-mnist" } },
    { "activation", names },
    { "seed", full and { 1, 2, 3 } or { 1 } },
  },
  fixed = {
    hidden = { 100 },
    lr = 0.05,
    batch = 100,
    epochs = full and 20 or 5,
    train_n = full and 0 or 10000,
  },
  plot = function(draw, out)
    draw("sweep", { csv = out .. "/results.csv", out = out .. "/test_acc.png",
      x = "activation", y = "test_acc" })
    draw("curves", { csv = out .. "/results.csv", out = out .. "/curves.png" })
  end,
}
