-- The standard run of a sweep: load the data set (cached per process), build the MLP of a
-- configuration, train it and hand every evaluation to the sweep. Configuration keys:
-- dataset, train_n (0 = all), normalize, hidden, activation, params / gamma, output,
-- init, init_range ({lo, hi}, or one per dense layer), lr, batch, epochs, momentum,
-- nesterov, weight_decay, shuffle, nonneg, eval_every, eval_train (default true: train
-- loss and accuracy measured over the whole training set), loss, seed.
local columns = require "actlab.columns"

local M = {}

-- Values every configuration starts from; they are part of the id, so results say
-- exactly what ran.
M.defaults = { init = "auto", lr = 0.05, batch = 100, momentum = 0, epochs = 1, seed = 1,
  train_n = 0 }

local function lib()
  return rawget(_G, "actlab") or require("actlab")
end

local datasets = {}

local function dataset_key(cfg)
  return string.format("%s|%s|%s", tostring(cfg.dataset), tostring(cfg.train_n or 0),
    tostring(cfg.normalize or "scale"))
end

-- The data set of a configuration, loaded once per process.
function M.dataset(cfg)
  local key = dataset_key(cfg)
  if not datasets[key] then
    local opts = { normalize = cfg.normalize }
    if cfg.train_n and cfg.train_n > 0 then opts.train_n = cfg.train_n end
    datasets[key] = lib().dataset(cfg.dataset, opts)
  end
  return datasets[key]
end

-- Loads every data set the runs need before any run starts, so a missing data set
-- stops the sweep with its message instead of turning every run into an error.
function M.prepare(runs)
  local seen = {}
  for _, r in ipairs(runs) do
    local key = dataset_key(r.config)
    if not seen[key] then
      seen[key] = true
      local ok, err = pcall(M.dataset, r.config)
      if not ok then
        error(string.format("data set '%s' for run %d: %s", tostring(r.config.dataset),
          r.index, (tostring(err):gsub("^[^\n]-%.lua:%d+: ", "", 1))), 0)
      end
    end
  end
end

-- A rows × cols matrix of U(lo, hi) numbers from a fixed seed (the same on any machine).
local function uniform_matrix(rows, cols, lo, hi, seed)
  local a = lib()
  local ok, m = pcall(function()
    return a.matrix.random(rows, cols, { seed = seed, dist = "uniform", lo = lo, hi = hi })
  end)
  if ok and m then return m end
  math.randomseed(seed)
  local t = {}
  for i = 1, rows do
    local r = {}
    for j = 1, cols do r[j] = lo + (hi - lo) * math.random() end
    t[i] = r
  end
  return a.matrix(t)
end

-- The network of a configuration for data with `inputs` features and `classes` classes.
function M.network(cfg, inputs, classes)
  local a = lib()
  local params, per_layer = columns.act_params(cfg)
  if not per_layer and next(params) == nil then params = nil end
  local range = cfg.init_range
  local per_layer_range = type(range) == "table" and type(range[1]) == "table"
  local net = a.mlp{ inputs = inputs, hidden = cfg.hidden or {}, outputs = classes,
    activation = cfg.activation, params = params, output = cfg.output or "softmax",
    init = cfg.init, init_range = per_layer_range and range[1] or range,
    init_std = cfg.init_std, per_unit = cfg.per_unit, seed = cfg.seed }
  if per_layer_range then
    -- a different U(lo, hi) per dense layer, as the literature's code draws them
    for i, r in ipairs(range) do
      local w = net:weights(i)
      local rows, cols = w:shape()
      net:set_weights(i, uniform_matrix(rows, cols, r[1], r[2], (cfg.seed or 1) * 1000 + i))
    end
  end
  return net
end

-- Options of actlab.train for a configuration; every evaluation goes to ctx.report.
-- eval_train is on unless the configuration turns it off: results.csv has a train_acc
-- column to fill, and comparing it with test_acc is how overfitting shows. It is left out
-- of the defaults (and so of the run id) because it changes no trained weight: a run
-- made before it was the default is the same run.
function M.options(cfg, ctx)
  return { lr = cfg.lr, batch = cfg.batch, epochs = cfg.epochs, momentum = cfg.momentum,
    nesterov = cfg.nesterov, weight_decay = cfg.weight_decay, lr_decay = cfg.lr_decay,
    shuffle = cfg.shuffle ~= false, seed = cfg.seed, nonneg = cfg.nonneg,
    eval_every = cfg.eval_every, eval_train = cfg.eval_train ~= false, loss = cfg.loss,
    on_eval = ctx.report }
end

-- Runs one configuration; ctx.report(row) receives every evaluation. Returns the
-- trainer's final row and status. Errors (an unknown activation, bad options) propagate
-- to the sweep, which records them.
function M.run(cfg, ctx)
  local data = M.dataset(cfg)
  -- the number of images trained on (train_n = 0 in the configuration means all)
  if ctx.columns then ctx.columns.train_n = data.n_train or data.n end
  local net = M.network(cfg, data.inputs, data.classes)
  return lib().train(net, data, M.options(cfg, ctx))
end

return M
