-- The benchmark's runs through the actlab program (the Lua bindings), to set beside
-- bench_train.c's core-only numbers:
--   actlab bench/bench_train.lua epoch [hidden]   e.g. epoch 256,256,256
--     one epoch, relu, shuffled, batch 100, lr 0.05; a warm-up epoch on 1,000 images
--     first. The data set holds one training image out as a one-image validation part,
--     so the trainer's closing evaluation costs nothing: 59,999 images are trained on.
--   actlab bench/bench_train.lua ch5 [epochs]
--     the chapter-5 run (784-200-10 sigmoid, U(-0.5, 0.5), first 1,000 images in order,
--     tested on the 10,000 test images every epochs/10 epochs).
-- Prints "wall cpu" seconds on the last line.
local mode, opt = arg[1], arg[2]

local function mlp(hidden, activation, init)
  local spec = { inputs = 784, hidden = hidden, outputs = 10, activation = activation,
    output = "softmax", seed = 1 }
  if init then spec.init, spec.init_range = "uniform", init end
  return actlab.mlp(spec)
end

local function timed(net, data, opts)
  local last
  opts.on_eval = function(row) last = row end
  local c0 = os.clock()
  actlab.train(net, data, opts)
  return last.seconds, os.clock() - c0, last
end

if mode == "epoch" then
  local hidden = {}
  for h in (opt or "200"):gmatch("%d+") do hidden[#hidden + 1] = tonumber(h) end
  local opts = { lr = 0.05, batch = 100, epochs = 1, shuffle = true, seed = 1,
    evaluate = "validation" }
  local warm = actlab.dataset("mnist", { train_n = 1000, validation = 1 })
  timed(mlp(hidden, "relu"), warm, opts)
  local d = actlab.dataset("mnist", { validation = 1 })
  local wall, cpu = timed(mlp(hidden, "relu"), d, opts)
  io.stderr:write(string.format("bench_train.lua: epoch, %d training images\n", d.n_train))
  print(string.format("%.6f %.6f", wall, cpu))
elseif mode == "ch5" then
  local epochs = tonumber(opt or "2000")
  local d = actlab.dataset("mnist", { train_n = 1000 })
  local wall, cpu, last = timed(mlp({ 200 }, "sigmoid", { -0.5, 0.5 }), d,
    { lr = 0.05, batch = 100, epochs = epochs, shuffle = false,
      eval_every = math.max(epochs // 10, 1) })
  io.stderr:write(string.format("bench_train.lua: ch5, test accuracy %.4f\n", last.test_acc))
  print(string.format("%.6f %.6f", wall, cpu))
else
  io.stderr:write("usage: actlab bench/bench_train.lua epoch [hidden] | ch5 [epochs]\n")
  os.exit(2)
end
