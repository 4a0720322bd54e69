-- Words for result columns: axis labels with their units, short symbols (γ), and the text
-- of a column's value in a legend.
local common = require "actlab.plot.common"

local M = {}

-- Axis labels with units; the accuracy and unit fractions are drawn in percent.
local LABELS = {
  gamma = "γ (negative-side slope)", lr = "learning rate", batch = "batch size (examples)",
  momentum = "momentum", depth = "hidden layers", train_n = "training examples",
  epochs = "epochs", epoch = "epoch", step = "step (mini-batches)", seconds = "time (s)",
  train_loss = "training loss (per example)", test_loss = "test loss (per example)",
  train_acc = "training accuracy (%)", test_acc = "test accuracy (%)",
  dead = "dead units (% of layer)", saturated = "saturated units (% of layer)",
  grad_norm = "gradient norm of the layer's weights", alpha = "learned α",
  layer = "layer (1 = next to the input; the output layer last)",
}
M.PERCENT = { train_acc = true, test_acc = true, dead = true, saturated = true }
M.SHORT = { gamma = "γ", alpha = "α", beta = "β", lambda = "λ" }

function M.label_of(col) return LABELS[col] or col end
-- The label without its unit: "test accuracy (%)" → "test accuracy".
function M.name_of(col) return (M.label_of(col):gsub(" %(.*%)$", "")) end

-- Text of one grouping column's value in a legend; nil for an empty value.
function M.legend_part(col, v)
  if v == nil or v == "" then return nil end
  if col == "dataset" or col == "activation" or col == "init" or col == "experiment"
      or col == "act_params" then
    return v
  end
  local n = tonumber(v)
  return (M.SHORT[col] or col) .. " = " .. (n and common.short_num(n) or v)
end

return M
