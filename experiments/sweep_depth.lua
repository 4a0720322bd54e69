-- Does the gradient vanish with depth? 1 to 6 hidden layers of 100 units with sigmoid,
-- tanh, ReLU and Leaky ReLU: test accuracy against depth, and the gradient norm of every
-- layer (measured on a fixed batch), which for sigmoid shrinks layer after layer.
--   actlab experiments/sweep_depth.lua          # ~10,000 training images, 3 epochs, 1 seed
--   actlab experiments/sweep_depth.lua --full   # all 60,000, 20 epochs, 3 seeds
local sweep = require "actlab.sweep"

local args = sweep.args(arg, {
  { "full", nil, "publication scale: all 60,000 training images, 20 epochs, 3 seeds" },
})
local full = args.full

-- Final gradient norm per layer, one line per activation and depth.
local function report(info)
  print("\ngradient norm per layer at the last evaluation (layer 1 is the first hidden layer;" ..
    " the last is the output layer):")
  for _, run in ipairs(info.runs) do
    local last, layers = sweep.final(info.states, run)
    if last and #layers > 0 then
      local norms = {}
      for _, l in ipairs(layers) do
        norms[#norms + 1] = l.grad_norm ~= "" and string.format("%.2e", tonumber(l.grad_norm)) or "-"
      end
      print(string.format("  %-13s %-10s depth %-2s seed %-2s %s", run.columns.dataset,
        run.columns.activation, run.columns.depth, run.columns.seed, table.concat(norms, "  ")))
    end
  end
end

sweep.run{
  experiment = "sweep_depth",
  args = args,
  out = full and "results/sweep_depth-full" or nil,
  grid = {
    { "dataset", { "mnist", "fashion-mnist" } },
    { "activation", { "sigmoid", "tanh", "relu", "leaky_relu" } },
    { "depth", { 1, 2, 3, 4, 5, 6 } },
    { "seed", full and { 1, 2, 3 } or { 1 } },
  },
  fixed = {
    width = 100,
    lr = 0.05,
    batch = 100,
    epochs = full and 20 or 3,
    train_n = full and 0 or 10000,
  },
  -- depth × width → the hidden layer sizes; depth itself is a column of results.csv
  derive = function(cfg)
    cfg.hidden = {}
    for i = 1, cfg.depth do cfg.hidden[i] = cfg.width end
    cfg.depth = nil
    return cfg
  end,
  show = { "dataset", "activation", "depth" },
  report = report,
  plot = function(draw, out)
    draw("sweep", { csv = out .. "/results.csv", out = out .. "/test_acc.png", x = "depth",
      y = "test_acc" })
    draw("gradients", { layers_csv = out .. "/layers.csv", out = out .. "/gradients_first.png",
      epoch = "first" })
    draw("gradients", { layers_csv = out .. "/layers.csv", out = out .. "/gradients_last.png",
      epoch = "last" })
  end,
}
