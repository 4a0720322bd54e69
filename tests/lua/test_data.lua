-- Data from Lua: in-memory data and its errors; MNIST and Fashion-MNIST when installed
-- (counts, first labels, pixels against the IDX bytes read here directly), splits, and
-- the message for a data set that is not where it was looked for.
local T = dofile((os.getenv("ACTLAB_SOURCE_DIR") or ".") .. "/tests/lua/testlib.lua")

local X = actlab.matrix{{0, 0}, {0, 1}, {1, 0}, {1, 1}}

T.test("in-memory data with float targets", function()
  local d = actlab.data{x = X, y = actlab.matrix{{0}, {1}, {1}, {0}}}
  T.assert_eq({d.n, d.inputs, d.outputs, d.classes}, {4, 2, 1, nil})
  T.assert_eq(tostring(d), "data: 4 examples of 2 inputs, 1 targets")
end)

T.test("in-memory data with class labels", function()
  local d = actlab.data{x = X, y = {0, 1, 1, 0}}
  T.assert_eq({d.n, d.inputs, d.outputs, d.classes}, {4, 2, 2, 2})
  T.assert_eq(actlab.data{x = X, y = {0, 1, 1, 0}, classes = 5}.outputs, 5)
end)

T.test("bad in-memory data gives exact messages", function()
  local cases = {
    {function() actlab.data{x = {{0, 0}}, y = {0}} end,
     "bad option 'x' to 'data' (matrix expected, got table)"},
    {function() actlab.data{x = X, y = {0, 1}} end,
     "bad option 'y' to 'data' (4 labels (one per row of x) expected, got 2)"},
    {function() actlab.data{x = X, y = {0, 1, -1, 0}} end,
     "bad option 'y' to 'data' (labels 0 to 255 expected, got -1 at position 3)"},
    {function() actlab.data{x = X, y = actlab.matrix(3, 1)} end,
     "bad option 'y' to 'data' (matrix of 4 rows (one per row of x) expected, got 3)"},
    {function() actlab.data{x = X, y = {0, 1, 2, 0}, classes = 2} end,
     "bad option 'classes' to 'data' (integer above every label (and at most 256) expected, " ..
     "got 2)"},
    {function() actlab.data{x = X, y = {0, 1, 1, 0}, labels = 2} end,
     "bad option 'labels' to 'data' (unknown option; valid: x, y, classes)"},
  }
  for i, c in ipairs(cases) do T.assert_error_eq(c[1], c[2], "case " .. i) end
end)

T.test("a data set that is not there says where it looked and what to run", function()
  T.assert_error_eq(function() actlab.dataset("mnist", {dir = "/nonexistent/data"}) end,
    "mnist: /nonexistent/data/mnist/train-images-idx3-ubyte not found (nor with .gz); run " ..
    "scripts/fetch-data.sh to install the data sets into /nonexistent/data, or set ACTLAB_DATA")
  T.assert_error_eq(function() actlab.dataset("cifar") end,
    "bad argument #1 to 'dataset' (unknown data set 'cifar' (expected mnist or fashion-mnist))")
  T.assert_error_match(function()
    actlab.dataset{train_images = "/nonexistent/a", train_labels = "/nonexistent/b",
                   test_images = "/nonexistent/c", test_labels = "/nonexistent/d"}
  end, "/nonexistent/a", nil, true)
end)

T.test("bad data set options give exact messages", function()
  T.assert_error_eq(function() actlab.dataset("mnist", {subset = {n = 10}, train_n = 5}) end,
    "bad option 'subset' to 'dataset' (cannot be combined with train_n)")
  T.assert_error_eq(function() actlab.dataset("mnist", {normalize = "zscore"}) end,
    "bad option 'normalize' to 'dataset' (\"scale\" or \"standardize\" expected, got 'zscore')")
  T.assert_error_eq(function() actlab.dataset("mnist", {train = 5}) end,
    "bad option 'train' to 'dataset' (unknown option; valid: dir, normalize, train_n, subset, " ..
    "validation, seed)")
end)

-- ---- the real data sets, when installed ------------------------------------------

-- The raw IDX bytes, read without actlab: header of 16 (images) or 8 (labels) bytes.
local function idx_bytes(path, header, first, count)
  local f = io.open(path, "rb")
  if not f then return nil end
  f:seek("set", header + first)
  local s = f:read(count)
  f:close()
  return {s:byte(1, -1)}
end

local function data_dir()
  local v = os.getenv("ACTLAB_DATA")
  if v and v ~= "" then return v end
  local x = os.getenv("XDG_CACHE_HOME")
  if x and x:sub(1, 1) == "/" then return x .. "/actlab" end
  return (os.getenv("HOME") or "") .. "/.cache/actlab"
end

local function present(name)
  local ok, d = pcall(actlab.dataset, name)
  if ok then return d end
  if not tostring(d):find("scripts/fetch-data.sh", 1, true) then error(d, 0) end
  print("note: " .. name .. " not installed, its tests are skipped")
  return nil
end

local mnist = present("mnist")
if mnist then
  T.test("MNIST: counts, first labels and pixels", function()
    T.assert_eq({mnist.name, mnist.n_train, mnist.n_test, mnist.n_validation, mnist.inputs,
                 mnist.classes}, {"mnist", 60000, 10000, 0, 784, 10})
    T.assert_eq(mnist:labels("train", 1, 10), {5, 0, 4, 1, 9, 2, 1, 3, 1, 4})
    T.assert_eq(mnist:labels("test", 1, 10), {7, 2, 1, 0, 4, 1, 4, 9, 5, 9})
    T.assert_eq(mnist:class_names(), {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"})
    local raw = idx_bytes(data_dir() .. "/mnist/train-images-idx3-ubyte", 16, 784 * 2, 784)
    if raw then
      local img = mnist:images("train", 3, 1):totable()[1]
      for j = 1, 784 do T.assert_near(img[j], raw[j] / 255, 1e-7, "pixel " .. j) end
    end
    T.assert_error_eq(function() mnist:images("validation") end,
      "bad argument #1 to 'images' (mnist has no validation part (give the validation option))")
    T.assert_error_eq(function() mnist:images("test", 10001) end,
      "bad argument #2 to 'images' (index from 1 to 10000 expected, got 10001)")
  end)

  T.test("MNIST: subsets and a validation split", function()
    local d = actlab.dataset("mnist", {train_n = 1000, validation = 500, seed = 2})
    T.assert_eq({d.n_train, d.n_validation, d.n_test}, {1000, 500, 10000})
    T.assert_eq(d:labels("train", 1, 10), {5, 0, 4, 1, 9, 2, 1, 3, 1, 4}, "first rows kept")
    T.assert_eq(#d:labels("validation"), 500)
    local s1 = actlab.dataset("mnist", {subset = {n = 100, seed = 7}})
    local s2 = actlab.dataset("mnist", {subset = {n = 100, seed = 7}})
    T.assert_eq(s1:labels("train"), s2:labels("train"), "seeded subsets agree")
    T.assert_eq(s1.n_train, 100)
    T.assert_error_eq(function() actlab.dataset("mnist", {train_n = 59000, validation = 5000}) end,
      "bad option 'train_n' to 'dataset' (at most 55000 expected (the training rows not held " ..
      "out), got 59000)")
  end)

  T.test("standardized pixels have mean 0 over the training part", function()
    local d = actlab.dataset("mnist", {train_n = 200, normalize = "standardize"})
    local s, n = 0, 0
    for _, row in ipairs(d:images("train"):totable()) do
      for _, v in ipairs(row) do s, n = s + v, n + 1 end
    end
    T.assert_near(s / n, 0, 1e-4)
  end)
end

-- Fashion-MNIST through the four-file form, from the system package when it is there.
local F = "/usr/share/datasets/fashion-mnist/"
local fh = io.open(F .. "train-labels-idx1-ubyte.gz", "rb")
if fh then
  fh:close()
  T.test("Fashion-MNIST from four IDX files: counts, names and first labels", function()
    local d = actlab.dataset{name = "fashion-mnist",
      train_images = F .. "train-images-idx3-ubyte.gz", train_labels = F .. "train-labels-idx1-ubyte.gz",
      test_images = F .. "t10k-images-idx3-ubyte.gz", test_labels = F .. "t10k-labels-idx1-ubyte.gz"}
    T.assert_eq({d.n_train, d.n_test, d.inputs, d.classes}, {60000, 10000, 784, 10})
    T.assert_eq(d:labels("train", 1, 10), {9, 0, 0, 3, 0, 2, 7, 2, 5, 5})
    T.assert_eq(d:labels("test", 1, 10), {9, 2, 1, 1, 6, 1, 4, 6, 5, 7})
    T.assert_eq(d:class_names()[1], "t-shirt")
    T.assert_eq(d:class_names()[10], "ankle boot")
  end)
else
  print("note: " .. F .. " not installed, its test is skipped")
end

T.done()
