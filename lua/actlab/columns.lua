-- The results schema (lua-api.md): the guaranteed columns of results.csv and layers.csv,
-- and how a run's configuration table becomes configuration columns.
local csv = require "actlab.csv"

local M = {}

-- Configuration columns, then metrics, then provenance; readers look columns up by name.
M.CONFIG = { "dataset", "activation", "act_params", "gamma", "hidden", "depth", "init",
  "lr", "batch", "momentum", "epochs", "seed", "train_n" }
M.RESULTS = { "run_id", "experiment", "run_index" }
for _, c in ipairs(M.CONFIG) do M.RESULTS[#M.RESULTS + 1] = c end
for _, c in ipairs{ "epoch", "step", "train_loss", "train_acc", "test_loss", "test_acc",
  "seconds", "status", "message", "diverged_epoch", "diverged_layer", "actlab_version",
  "git_commit", "blas_threads", "timestamp" } do
  M.RESULTS[#M.RESULTS + 1] = c
end
M.LAYERS = { "run_id", "experiment", "dataset", "activation", "gamma", "depth", "lr", "seed",
  "epoch", "layer", "dead", "saturated", "grad_norm", "alpha", "run_index" }

-- Configuration keys that feed the guaranteed columns rather than columns of their own.
local CONSUMED = { dataset = true, activation = true, params = true, gamma = true,
  hidden = true, init = true, lr = true, batch = true, momentum = true, epochs = true,
  seed = true, train_n = true }

-- A configuration key named like a guaranteed column (depth, say) gets no column of its
-- own: the guaranteed column is computed from the configuration.
local GUARANTEED = {}
for _, c in ipairs(M.RESULTS) do GUARANTEED[c] = true end

local function scalar(v)
  if type(v) == "number" then return csv.number(v) end
  if v == nil then return "" end
  return tostring(v)
end

-- Text of a configuration value for a CSV cell: arrays joined with ":" (nested ones with
-- "/" between the inner lists), maps as "k=v;k=v" with keys sorted.
function M.value_text(v)
  if type(v) ~= "table" then return scalar(v) end
  if v[1] ~= nil or next(v) == nil then
    local parts = {}
    for i, x in ipairs(v) do
      parts[i] = type(x) == "table" and M.value_text(x) or scalar(x)
    end
    return table.concat(parts, type(v[1]) == "table" and "/" or ":")
  end
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = k end
  table.sort(keys)
  local parts = {}
  for i, k in ipairs(keys) do parts[i] = k .. "=" .. M.value_text(v[k]) end
  return table.concat(parts, ";")
end

-- The activation parameters of a configuration, per hidden layer: params may be one
-- table or (with a list of activations) a list of tables; cfg.gamma is a shorthand
-- for params.gamma.
function M.act_params(cfg)
  local p = cfg.params
  local lists = type(p) == "table" and type(p[1]) == "table"
  local function with_gamma(t)
    local out = {}
    for k, v in pairs(t or {}) do out[k] = v end
    if cfg.gamma ~= nil and out.gamma == nil then out.gamma = cfg.gamma end
    return out
  end
  if lists then
    local out = {}
    for i, t in ipairs(p) do out[i] = with_gamma(t) end
    return out, true
  end
  return with_gamma(p), false
end

-- Configuration columns (name → text) of a configuration table: the guaranteed ones and
-- one extra column per other key. Returns columns, sorted list of the extra names.
function M.of_config(cfg)
  local c = {}
  for k, v in pairs(cfg) do
    if not CONSUMED[k] and not GUARANTEED[k] then c[k] = M.value_text(v) end
  end
  local extras = {}
  for k in pairs(c) do extras[#extras + 1] = k end
  table.sort(extras)

  c.dataset = scalar(cfg.dataset)
  local act = cfg.activation
  c.activation = type(act) == "table" and table.concat(act, "/") or scalar(act)
  local params, per_layer = M.act_params(cfg)
  if per_layer then
    local parts, g = {}, nil
    for i, t in ipairs(params) do
      parts[i] = M.value_text(t)
      if t.gamma ~= nil and g == nil then g = t.gamma end
    end
    c.act_params = table.concat(parts, "/")
    c.gamma = scalar(g)
  else
    c.act_params = M.value_text(params)
    c.gamma = scalar(params.gamma)
  end
  local hidden = cfg.hidden
  if type(hidden) == "table" then
    local parts = {}
    for i, h in ipairs(hidden) do parts[i] = scalar(h) end
    c.hidden = table.concat(parts, "-")
    c.depth = tostring(#hidden)
  else
    c.hidden = scalar(hidden)
    c.depth = hidden and "1" or ""
  end
  for _, k in ipairs{ "init", "lr", "batch", "momentum", "epochs", "seed", "train_n" } do
    c[k] = scalar(cfg[k])
  end
  return c, extras
end

-- Does configuration column text `text` match the value given on the command line
-- (--only key=value)? Numbers compare as numbers, so gamma=0.010 matches 0.01.
function M.matches(text, wanted)
  if text == wanted then return true end
  local a, b = tonumber(text), tonumber(wanted)
  return a ~= nil and b ~= nil and a == b
end

return M
