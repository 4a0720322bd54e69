-- Do ReLU units die at large learning rates? The literature claims that with a large
-- learning rate as many as 40% of a ReLU network's units can die (never activate again).
-- Learning rate 0.01 … 1 × ReLU and the variants meant to prevent it (Leaky ReLU, PReLU,
-- RReLU, ELU), two hidden layers: the dead fraction of each layer after every epoch.
--   actlab experiments/sweep_dying_relu.lua          # ~10,000 MNIST images, 5 epochs, 1 seed
--   actlab experiments/sweep_dying_relu.lua --full   # both data sets, all 60,000, 20 epochs, 3 seeds
local sweep = require "actlab.sweep"

local args = sweep.args(arg, {
  { "full", nil, "publication scale: both data sets, all 60,000 images, 20 epochs, 3 seeds" },
})
local full = args.full

-- Dead fraction per hidden layer after the first and the last epoch.
local function report(info)
  print("\ndead units per hidden layer (first evaluation → last):")
  for _, run in ipairs(info.runs) do
    local s = info.states[run.id]
    if s and s.state == "done" and s.layer_rows and #s.layer_rows > 0 then
      -- the layers in order; the last is the output layer, which has no dead fraction
      local first_epoch, last_epoch, seen, order = math.huge, -math.huge, {}, {}
      for _, l in ipairs(s.layer_rows) do
        local e, k = tonumber(l.epoch), tonumber(l.layer)
        if e then first_epoch, last_epoch = math.min(first_epoch, e), math.max(last_epoch, e) end
        if k and not seen[k] then seen[k] = true; order[#order + 1] = k end
      end
      table.sort(order)
      local at = {}
      for _, l in ipairs(s.layer_rows) do
        local e, k = tonumber(l.epoch), tonumber(l.layer)
        if k and (e == first_epoch or e == last_epoch) then
          at[k] = at[k] or {}
          at[k][e == first_epoch and 1 or 2] = tonumber(l.dead)
        end
      end
      local parts = {}
      for i = 1, #order - 1 do
        local a, b = at[order[i]] and at[order[i]][1], at[order[i]] and at[order[i]][2]
        parts[#parts + 1] = string.format("hidden %d: %s → %s", i,
          a and string.format("%5.1f%%", 100 * a) or "    -", b and string.format("%5.1f%%", 100 * b) or "-")
      end
      print(string.format("  %-13s %-10s lr %-5s seed %-2s %s  (%s)", run.columns.dataset,
        run.columns.activation, run.columns.lr, run.columns.seed, table.concat(parts, "  "),
        s.status))
    end
  end
end

sweep.run{
  experiment = "sweep_dying_relu",
  args = args,
  out = full and "results/sweep_dying_relu-full" or nil,
  grid = {
    { "dataset", full and { "mnist", "fashion-mnist" } or { "mnist" } },
    { "activation", { "relu", "leaky_relu", "prelu", "rrelu", "elu" } },
    { "lr", { 0.01, 0.05, 0.1, 0.5, 1 } },
    { "seed", full and { 1, 2, 3 } or { 1 } },
  },
  fixed = {
    hidden = { 100, 100 },
    batch = 100,
    epochs = full and 20 or 5,
    train_n = full and 0 or 10000,
  },
  report = report,
  plot = function(draw, out)
    draw("dead", { layers_csv = out .. "/layers.csv", out = out .. "/dead.png", x = "lr",
      logx = true, per_layer = true })
    draw("sweep", { csv = out .. "/results.csv", out = out .. "/test_acc.png", x = "lr",
      y = "test_acc", logx = true })
  end,
}
