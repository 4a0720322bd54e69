-- Activations from Lua: values against closed forms, derivatives against finite
-- differences, the exact error messages, Lua-defined activations and the measured
-- properties. Reference values are closed forms worked out in double precision.
local T = dofile((os.getenv("ACTLAB_SOURCE_DIR") or ".") .. "/tests/lua/testlib.lua")

local function sigmoid(x) return 1 / (1 + math.exp(-x)) end

-- name → { params, {{x, f(x)}, ...} } for every built-in (row-wise ones: one row in, one row out).
local reference = {
  identity = {nil, {{-1.5, -1.5}, {2, 2}}},
  step = {nil, {{0.5, 1}, {-0.5, 0}, {0, 0}}},
  sigmoid = {nil, {{0, 0.5}, {2, 0.8807970779778823}}},
  tanh = {nil, {{0.5, 0.46211715726000974}, {-0.5, -0.46211715726000974}}},
  relu = {nil, {{-1, 0}, {2, 2}}},
  leaky_relu = {{gamma = 0.1}, {{-2, -0.2}, {3, 3}}},
  prelu = {nil, {{-2, -0.5}, {1, 1}}},                 -- alpha 0.25 by default
  rrelu = {nil, {{-2, -0.4583333333333333}, {1, 1}}},   -- mean slope (1/8 + 1/3)/2
  elu = {nil, {{-1, -0.6321205588285577}, {2, 2}}},
  selu = {nil, {{-1, -1.1113307378125625}, {1, 1.0507009873554805}}},
  celu = {{alpha = 2}, {{-1, -0.7869386805747332}, {1, 1}}},
  gelu = {nil, {{1, 0.8413447460685429}, {-0.5, -0.15426876936299344}}},
  gelu_tanh = {nil, {{1, 0.8411919906082768}}},
  silu = {nil, {{1, 0.7310585786300049}, {-2, -0.2384058440442351}}},
  mish = {nil, {{1, 0.8650983882673103}, {-1, -0.30340146137410895}}},
  softplus = {{beta = 2}, {{1, 1.0634640055214863}}},
  softsign = {nil, {{1, 0.5}, {-3, -0.75}}},
  hardtanh = {nil, {{2, 1}, {-0.5, -0.5}, {-7, -1}}},
  hardsigmoid = {nil, {{0, 0.5}, {1, 1 / 6 + 0.5}, {4, 1}}},
  hardswish = {nil, {{1, 1 / 6 + 0.5}, {-4, 0}, {5, 5}}},
  softmax = {nil, {{{1, 2}, {0.2689414213699951, 0.7310585786300049}}}},
  log_softmax = {nil, {{{1, 2}, {-1.3132616875182226, -0.3132616875182226}}}},
}

local builtins = actlab.activations()

T.test("every built-in has reference values", function()
  for _, row in ipairs(builtins) do
    T.assert_true(reference[row.name], "reference for " .. row.name)
  end
end)

T.test("listing rows have their documented fields", function()
  for _, row in ipairs(builtins) do
    T.assert_eq(type(row.formula), "string", row.name)
    for _, key in ipairs({"output_only", "rowwise", "trainable", "stochastic"}) do
      T.assert_eq(type(row[key]), "boolean", row.name .. "." .. key)
    end
    for _, p in ipairs(row.params) do
      T.assert_true(p.min <= p.default and p.default <= p.max, row.name .. "." .. p.name)
    end
  end
  local by = {}
  for _, row in ipairs(builtins) do by[row.name] = row end
  T.assert_eq(by.softmax.output_only and by.softmax.rowwise, true)
  T.assert_eq(by.prelu.trainable, true)
  T.assert_eq(by.rrelu.stochastic, true)
  T.assert_eq(by.leaky_relu.params[1].name, "gamma")
  T.assert_eq(by.leaky_relu.params[1].default, 0.01)
end)

T.test("forward matches closed forms", function()
  for _, row in ipairs(builtins) do
    local params, cases = reference[row.name][1], reference[row.name][2]
    local a = actlab.activation(row.name, params)
    for _, c in ipairs(cases) do
      if row.rowwise then
        T.assert_near(a:forward(actlab.matrix{c[1]}), {c[2]}, 1e-6, row.name)
      else
        T.assert_near(a:f(c[1]), c[2], 2e-6 * math.max(1, math.abs(c[2])), row.name)
        T.assert_near(a:forward(actlab.matrix{{c[1]}}), {{c[2]}}, 2e-6 * math.max(1, math.abs(c[2])),
                      row.name)
      end
    end
  end
end)

-- Points clear of every kink (0, ±1, ±3, the softplus threshold).
local points = {-2.7, -1.3, -0.6, -0.2, 0.3, 0.9, 1.7, 2.6}

T.test("derivative matches finite differences of forward", function()
  local h = 1e-3
  for _, row in ipairs(builtins) do
    if not row.rowwise then
      local a = actlab.activation(row.name)
      local xs = {}
      for i, x in ipairs(points) do xs[i] = {x} end
      local d = a:derivative(actlab.matrix(xs)):totable()
      for i, x in ipairs(points) do
        local fd = (a:f(x + h) - a:f(x - h)) / (2 * h)
        T.assert_near(d[i][1], fd, 2e-3 * math.max(1, math.abs(fd)), row.name .. " at " .. x)
        T.assert_near(a:df(x), d[i][1], 0, row.name .. " df at " .. x)
      end
    end
  end
end)

T.test("backward is the transposed Jacobian times dy (finite differences)", function()
  local h = 1e-3
  local x = {0.3, -1.2, 2.1}
  local dy = {0.7, -0.4, 1.3}
  local function loss(a, xs)   -- Σ dy ⊙ f(x)
    local y = a:forward(actlab.matrix{xs}):totable()[1]
    local s = 0
    for j = 1, #xs do s = s + dy[j] * y[j] end
    return s
  end
  for _, row in ipairs(builtins) do
    local a = actlab.activation(row.name)
    local dx = a:backward(actlab.matrix{x}, actlab.matrix{dy}):totable()[1]
    for j = 1, #x do
      local up, down = {table.unpack(x)}, {table.unpack(x)}
      up[j], down[j] = x[j] + h, x[j] - h
      local fd = (loss(a, up) - loss(a, down)) / (2 * h)
      T.assert_near(dx[j], fd, 3e-3 * math.max(1, math.abs(fd)), row.name .. " x" .. j)
    end
  end
end)

T.test("activation objects show their name and every parameter", function()
  local a = actlab.activation("leaky_relu", {gamma = 0.2})
  T.assert_eq(a.name, "leaky_relu")
  T.assert_eq(a.params, {gamma = 0.2})
  T.assert_eq(actlab.activation("hardtanh").params, {min = -1, max = 1})
  T.assert_eq(tostring(a), "activation leaky_relu {gamma = 0.2}")
end)

T.test("bad names, parameters and shapes give exact messages", function()
  local names = {}
  for _, row in ipairs(actlab.activations()) do names[#names + 1] = row.name end
  T.assert_error_eq(function() actlab.activation("nope") end,
    "bad argument #1 to 'activation' (unknown activation 'nope' (valid: " ..
    table.concat(names, ", ") .. "))")
  T.assert_error_eq(function() actlab.activation("leaky_relu", {gama = 1}) end,
    "bad argument #2 to 'activation' (unknown parameter 'gama' for leaky_relu (valid: gamma))")
  T.assert_error_eq(function() actlab.activation("leaky_relu", {gamma = -1}) end,
    "bad argument #2 to 'activation' (leaky_relu: gamma = -1 outside [0, 1e+06])")
  T.assert_error_eq(function() actlab.activation("relu", {x = 1}) end,
    "bad argument #2 to 'activation' (unknown parameter 'x' for relu (it has no parameters))")
  T.assert_error_eq(function() actlab.activation("leaky_relu", {gamma = "big"}) end,
    "bad argument #2 to 'activation' (leaky_relu: gamma must be a number, got string)")
  local s = actlab.activation("softmax")
  T.assert_error_eq(function() s:derivative(actlab.matrix{{1, 2}}) end,
    "calling 'derivative' on bad self (elementwise activation expected, 'softmax' is " ..
    "row-wise; use backward)")
  local a = actlab.activation("tanh")
  T.assert_error_eq(function() a:backward(actlab.matrix(2, 2), actlab.matrix(1, 2)) end,
    "bad argument #2 to 'backward' (matrix of 2×2 expected (the shape of x), got 1×2)")
  T.assert_error_eq(function() actlab.properties("softmax") end,
    "bad argument #1 to 'properties' (elementwise activation expected, 'softmax' is row-wise)")
end)

-- ---- Lua-defined activations ------------------------------------------------------

T.test("a Lua-defined activation works like a built-in", function()
  local sq = actlab.activation{name = "scaled_square", params = {k = 1.5},
    f = function(x, p) return p.k * x * x end,
    df = function(x, y, p) return 2 * p.k * x end}
  T.assert_eq(sq.params, {k = 1.5})
  T.assert_near(sq:f(2), 6, 1e-6)
  T.assert_near(sq:df(2), 6, 1e-6)
  local by_name = actlab.activation("scaled_square", {k = 2})
  T.assert_near(by_name:f(3), 18, 1e-6)
  local x = actlab.matrix{{1, -2}, {0.5, 0}}
  T.assert_near(by_name:forward(x), {{2, 8}, {0.5, 0}}, 1e-6)
  T.assert_near(by_name:derivative(x), {{4, -8}, {2, 0}}, 1e-6)
  T.assert_near(by_name:backward(x, actlab.matrix{{1, 2}, {3, 4}}), {{4, -16}, {6, 0}}, 1e-6)
  local listed
  for _, row in ipairs(actlab.activations()) do
    if row.name == "scaled_square" then listed = row end
  end
  T.assert_true(listed and listed.custom, "listed as custom")
  T.assert_eq(listed.params[1].name, "k")
  -- Every binding that takes a name finds it: networks too.
  local net = actlab.mlp{inputs = 2, hidden = {3}, outputs = 1, activation = "scaled_square"}
  T.assert_eq(net:layers()[2].activation, "scaled_square")
end)

T.test("a wrong df is refused, naming the worst point", function()
  -- df = y instead of y(1 − y): worst where y² is largest, the last check point 3.7.
  local y = sigmoid(3.7)
  T.assert_error_eq(function()
    actlab.activation{name = "bad_sigmoid", f = sigmoid, df = function(x, yy) return yy end}
  end, string.format("bad argument #1 to 'activation' (df of 'bad_sigmoid' does not match f: " ..
    "at x = 3.7 df gives %.6g, finite differences of f give %.6g)", y, y * (1 - y)))
  T.assert_error_match(function() actlab.activation("bad_sigmoid") end, "unknown activation",
                       nil, true)
end)

T.test("a Lua-defined name may not shadow a built-in or be malformed", function()
  local f, df = function(x) return x end, function() return 1 end
  T.assert_error_eq(function() actlab.activation{name = "relu", f = f, df = df} end,
    "bad argument #1 to 'activation' (name: 'relu' is a built-in activation)")
  T.assert_error_eq(function() actlab.activation{name = "two words", f = f, df = df} end,
    "bad argument #1 to 'activation' (name: identifier of at most 63 characters expected " ..
    "(letters, digits, _), got 'two words')")
  T.assert_error_eq(function() actlab.activation{name = "ok", f = f} end,
    "bad argument #1 to 'activation' (df: function expected, got nil)")
  T.assert_error_eq(function() actlab.activation{name = "ok", f = f, df = df, parms = {}} end,
    "bad option 'parms' to 'activation' (unknown option; valid: name, f, df, params, formula)")
end)

T.test("an error inside a Lua-defined f is raised after the kernel returns", function()
  local armed = false
  local a = actlab.activation{name = "fragile",
    f = function(x) if armed and x > 1 then error("too big", 0) end return x end,
    df = function() return 1 end}
  armed = true
  T.assert_error_eq(function() a:forward(actlab.matrix{{0.5, 2, 3}}) end,
    "activation 'fragile': error in f at x = 2: too big")
  -- The state is clean afterwards: the next call works.
  T.assert_near(a:f(0.25), 0.25, 0)
  local obj, throw = {}, false
  local b = actlab.activation{name = "throws_table",
    f = function(x) if throw then error(obj) end return x end, df = function() return 1 end}
  throw = true
  local ok, e = pcall(b.f, b, 1)
  T.assert_true(not ok and e == obj, "the error object itself")
end)

T.test("a redefinition replaces the name but not existing objects", function()
  local one = actlab.activation{name = "redefined", f = function(x) return x end,
                                df = function() return 1 end}
  actlab.activation{name = "redefined", f = function(x) return 2 * x end,
                    df = function() return 2 end}
  T.assert_near(one:f(3), 3, 0)
  T.assert_near(actlab.activation("redefined"):f(3), 6, 0)
end)

-- ---- properties -----------------------------------------------------------------------

T.test("properties: the literature's numbers", function()
  T.assert_near(actlab.properties("sigmoid").max_derivative, 0.25, 1e-3)
  T.assert_near(actlab.properties("tanh").max_derivative, 1, 1e-3)
  T.assert_eq(actlab.properties("relu").differentiable, false)
  T.assert_eq(actlab.properties("step").continuous, false)
  local s = actlab.properties("softsign")
  T.assert_eq(s.range, {-1, 1}, "the asymptotes")
  T.assert_eq(s.range_open, {true, true}, "open interval")
end)

T.test("properties: table of expectations", function()
  local inf = math.huge
  local cases = {
    {"sigmoid", nil, {continuous = true, monotonic = true, nonlinear = true, differentiable = true,
                      range = {0, 1}, zero_centred = false}},
    {"tanh", nil, {continuous = true, monotonic = true, nonlinear = true, differentiable = true,
                   range = {-1, 1}, zero_centred = true}},
    {"relu", nil, {continuous = true, monotonic = true, nonlinear = true, differentiable = false,
                   range = {0, inf}, zero_centred = false}},
    {"leaky_relu", nil, {monotonic = true, range = {-inf, inf}, zero_centred = true}},
    {"leaky_relu", {gamma = 1}, {nonlinear = false, differentiable = true}},
    {"identity", nil, {nonlinear = false, range = {-inf, inf}}},
    {"step", nil, {continuous = false, monotonic = true, range = {0, 1}}},
    {"elu", nil, {differentiable = true, range = {-1, inf}}},
    {"elu", {alpha = 2}, {differentiable = false, range = {-2, inf}}},
    {"silu", nil, {monotonic = false, continuous = true, differentiable = true}},
    {"gelu", nil, {monotonic = false}},
    {"hardtanh", nil, {differentiable = false, range = {-1, 1}, zero_centred = true}},
    {"softplus", nil, {range = {0, inf}, zero_centred = false}},
  }
  for _, c in ipairs(cases) do
    local p = actlab.properties(c[1], c[2])
    for key, want in pairs(c[3]) do
      if key == "range" then
        T.assert_near(p.range, want, 1e-5, c[1] .. ".range")
      else
        T.assert_eq(p[key], want, c[1] .. "." .. key)
      end
    end
  end
end)

T.test("properties of a Lua-defined activation and of an object", function()
  local p = actlab.properties(actlab.activation{name = "square",
    f = function(x) return x * x end, df = function(x) return 2 * x end})
  T.assert_eq(p.monotonic, false)
  T.assert_eq(p.differentiable, true)
  T.assert_eq(p.range, {0, math.huge})
  T.assert_near(p.max_derivative, 20, 1e-3)
end)

T.done()
