-- Pictures through gnuplot (Debian's gnuplot-nox): activation curves, sweep and training
-- plots, gradient and dead-unit diagnostics, weight and sample images. The public face of
-- the parts in actlab/plot/: each picture is a gnuplot script built as text, piped to gnuplot.
local M = {}

-- Each picture NAME comes as NAME(opts) → out, notes (draws opts.out, a .png or .svg;
-- errors raised at the caller), and most also as NAME_script(opts) → the script gnuplot
-- would receive and notes, NAME_body (the script's body) and NAME_data (what is drawn).
local PARTS = {
  -- script text: datablock(name, blocks), format_of(out), script(out, body, w, h, opts)
  { "actlab.plot.script", "datablock", "format_of", "script" },
  -- running gnuplot: MISSING (the message naming the package), find_gnuplot(), render(script, out)
  { "actlab.plot.gnuplot", "MISSING", "find_gnuplot", "render" },
  -- read_csv(path, fn) → rows keyed by column, header, set of columns
  { "actlab.plot.tables", "read_csv" },
  -- from a results CSV (opts.csv or opts.rows): sweep (a final metric against a column,
  -- mean ± sd over seeds) and curves (a metric during training); from a layers CSV
  -- (opts.layers_csv): gradients (norm per layer) and dead (dead units against γ)
  { "actlab.plot.results", "sweep", "sweep_script", "sweep_body", "sweep_data",
    "curves", "curves_script", "curves_body", "curves_data",
    "gradients", "gradients_script", "gradients_body", "gradients_data",
    "dead", "dead_script", "dead_body", "dead_data" },
  -- f and f′ of activations: activations(opts), activations_script(opts, api),
  -- activations_body(opts, curves), activation_data(opts, api)
  { "actlab.plot.activations", "activations", "activations_script", "activations_body",
    "activation_data" },
  -- image grids: weights(opts), weights_body(opts, W), samples(opts),
  -- samples_body(opts, images, labels, names, dataset_name)
  { "actlab.plot.images", "weights", "weights_body", "samples", "samples_body" },
}

for _, part in ipairs(PARTS) do
  local mod = require(part[1])
  for i = 2, #part do
    M[part[i]] = mod[part[i]] or error(part[1] .. " has no " .. part[i])
  end
end

return M
