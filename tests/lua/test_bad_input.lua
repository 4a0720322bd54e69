-- The bad-input catalogue, through the program ($ACTLAB_BIN): each case a separate run that
-- must end with a message naming the file, argument or field and what was expected, a
-- non-zero exit and no signal; where something was already written, it is still intact.
local T = dofile((os.getenv("ACTLAB_SOURCE_DIR") or ".") .. "/tests/lua/testlib.lua")
local q = T.quote

local BIN = os.getenv("ACTLAB_BIN")
if not BIN or BIN == "" then T.skip("ACTLAB_BIN is not set") end
local SRC = os.getenv("ACTLAB_SOURCE_DIR") or "."
local SWEEP = SRC .. "/tests/lua/fixtures/tiny_sweep.lua"
local TMP = T.tmpdir() .. "/bad_input"
os.execute("rm -rf " .. q(TMP) .. " && mkdir -p " .. q(TMP))

local function path(name) return TMP .. "/" .. name end

local function write(name, bytes) T.write(path(name), bytes) end
local function read(name) return T.read(path(name)) end

-- Runs the program in TMP (so messages name short relative paths); `prefix` goes before
-- it in the shell (limits, traps). Returns output (stdout and stderr) and exit status.
local function run(args, prefix)
  return T.run("cd " .. q(TMP) .. " && " .. (prefix or "") .. " exec " .. q(BIN) .. " " .. args)
end

-- Runs `code` as a script; it must fail cleanly with every expected substring in its output.
local function refuse(code, expect)
  write("case.lua", code)
  local out, status = run("case.lua")
  T.assert_true(status ~= 0, "exit status 0, expected a failure; output:\n" .. out)
  T.assert_true(status < 128, "killed by a signal (status " .. status .. "); output:\n" .. out)
  T.assert_true(out:find("actlab: ", 1, true), "no 'actlab: ' error line in:\n" .. out)
  T.assert_true(not out:find("Sanitizer", 1, true) and not out:find("runtime error:", 1, true),
    "a sanitizer report in:\n" .. out)
  for _, s in ipairs(expect) do
    T.assert_true(out:find(s, 1, true), "expected " .. string.format("%q", s) .. " in:\n" .. out)
  end
  return out
end

---------------------------------------------------------------------------------------------
-- Fixtures: a valid little data set (10 images of 4 × 4, labels 0..9) and its corruptions.

local function idx(type_byte, dims, payload, ndims)
  local h = string.pack(">BBBB", 0, 0, type_byte, ndims or #dims)
  for _, d in ipairs(dims) do h = h .. string.pack(">I4", d) end
  return h .. payload
end

local PIXELS = {}
for i = 1, 160 do PIXELS[i] = string.char((i * 37) % 256) end
PIXELS = table.concat(PIXELS)
local IMAGES = idx(0x08, { 10, 4, 4 }, PIXELS)
write("img.idx", IMAGES)
write("lab.idx", idx(0x08, { 10 }, "\0\1\2\3\4\5\6\7\8\9"))
write("trunc.idx", IMAGES:sub(1, 100))
write("huge.idx", idx(0x08, { 4000000000, 4000000000, 4000000000 }, PIXELS))
write("promise.idx", idx(0x08, { 4000000000, 4, 4 }, PIXELS))
write("dims.idx", idx(0x08, { 10, 4, 4 }, PIXELS, 200))
write("magic.idx", "\1\2" .. IMAGES:sub(3))
write("type.idx", idx(0x07, { 10, 4, 4 }, PIXELS))
write("garbage.idx", ("this is not an IDX file\n"):rep(20))
write("empty.idx", "")
write("lab9.idx", idx(0x08, { 9 }, "\0\1\2\3\4\5\6\7\8"))
write("labhigh.idx", idx(0x08, { 10 }, "\0\1\2\3\4\5\6\7\8\200"))
assert(os.execute("gzip -c " .. q(path("img.idx")) .. " > " .. q(path("img.idx.gz"))))
local GZ = read("img.idx.gz")
write("cut.idx.gz", GZ:sub(1, #GZ // 2))
write("crc.idx.gz", GZ:sub(1, #GZ - 8) .. string.char(GZ:byte(#GZ - 7) ~ 1) .. GZ:sub(#GZ - 6))

-- actlab.dataset{...} with `images` as the training images (and `labels`).
local function dataset_code(images, labels)
  return string.format("actlab.dataset{train_images = %q, train_labels = %q, " ..
    "test_images = 'img.idx', test_labels = 'lab.idx'}\n", images, labels or "lab.idx")
end

T.test("the fixtures are valid: the good files load", function()
  write("case.lua", dataset_code("img.idx.gz") .. "print('loaded')")
  local out, status = run("case.lua")
  T.assert_eq(status, 0, out)
  T.assert_eq(out, "loaded\n")
end)

local idx_cases = {
  { "truncated IDX file", "trunc.idx",
    { "trunc.idx: IDX payload truncated: header promises 176 bytes in all, file ends at byte offset 100" } },
  { "oversized header: dimension product overflows", "huge.idx",
    { "huge.idx: IDX dimensions 4000000000 x 4000000000 x 4000000000", "overflow the size range" } },
  { "oversized header: promises more than the file holds", "promise.idx",
    { "promise.idx: IDX payload truncated: header promises 64000000016 bytes" } },
  { "oversized header: too many dimensions", "dims.idx",
    { "dims.idx: bad IDX dimension count 200 at byte 3: expected 1 to 8" } },
  { "wrong magic", "magic.idx",
    { "magic.idx: not an IDX file: expected bytes 00 00 at offset 0, found 01 02" } },
  { "unknown element type", "type.idx", { "type.idx: bad IDX element type 0x07 at byte 2" } },
  { "garbage file", "garbage.idx", { "garbage.idx: not an IDX file" } },
  { "empty file", "empty.idx", { "empty.idx: too short for an IDX file" } },
  { "missing file", "nothere.idx", { "cannot open nothere.idx: No such file or directory" } },
  { "gzip that ends early", "cut.idx.gz", { "cut.idx.gz: gzip stream ends early" } },
  { "gzip with a damaged checksum", "crc.idx.gz", { "crc.idx.gz: corrupt gzip data", "incorrect data check" } },
  { "labels file as images", "lab.idx", { "lab.idx: images need 3 dimensions (count, rows, columns), found 1" } },
}
for _, c in ipairs(idx_cases) do
  T.test("IDX: " .. c[1], function() refuse(dataset_code(c[2]), c[3]) end)
end

T.test("IDX: fewer labels than images", function()
  refuse(dataset_code("img.idx", "lab9.idx"), { "img.idx has 10 images but lab9.idx has 9 labels" })
end)

T.test("IDX: a label outside the classes", function()
  refuse(dataset_code("img.idx", "labhigh.idx"),
    { "labhigh.idx: label 200 at index 9 (byte offset 17) is outside 0..9" })
end)

---------------------------------------------------------------------------------------------
-- Model files. A CRC-32 (the model file's checksum) to forge files that pass it.

local CRC = {}
for i = 0, 255 do
  local c = i
  for _ = 1, 8 do c = (c & 1) == 1 and (0xEDB88320 ~ (c >> 1)) or (c >> 1) end
  CRC[i] = c
end
local function crc32(s)
  local c = 0xFFFFFFFF
  for i = 1, #s do c = CRC[(c ~ s:byte(i)) & 0xFF] ~ (c >> 8) end
  return c ~ 0xFFFFFFFF
end
-- A model file whose header text had `from` replaced by `to`, checksum recomputed.
local function forge(model, from, to)
  local body = model:sub(1, -5)
  local s, e = body:find(from, 1, true)
  assert(s, "forge: '" .. from .. "' not in the header")
  body = body:sub(1, s - 1) .. to .. body:sub(e + 1)
  return body .. string.pack("<I4", crc32(body))
end

write("case.lua", "actlab.mlp{inputs = 16, hidden = {3}, outputs = 10, activation = 'relu', seed = 1}:save('good.model')")
local _, saved = run("case.lua")
local MODEL = assert(read("good.model"), "cannot save a model for the model cases")
assert(saved == 0 and crc32(MODEL:sub(1, -5)) == string.unpack("<I4", MODEL, #MODEL - 3),
  "the test's CRC-32 disagrees with the model file's")
write("future.model", forge(MODEL, "actlab-model 1\n", "actlab-model 2\n"))
write("arch.model", forge(MODEL, "dense 3 ", "dense 4 "))
write("act.model", forge(MODEL, "act relu ", "act relu_from_the_future "))
write("flip.model", MODEL:sub(1, 100) .. string.char(MODEL:byte(101) ~ 0x10) .. MODEL:sub(102))
write("short.model", MODEL:sub(1, #MODEL - 10))

local model_cases = {
  { "from a future version", "future.model", { "future.model: format version 2 is newer than this actlab (1)" } },
  -- 16·3 + 3 + 3·10 + 10 = 91 parameters saved; the forged 16·4 + 4 + 4·10 + 10 = 118.
  { "whose layers do not match its parameters", "arch.model",
    { "arch.model: the layers hold 118 parameters, the file 91" } },
  { "with an activation this build does not have", "act.model",
    { "act.model: line 6: unknown activation 'relu_from_the_future'" } },
  { "damaged", "flip.model", { "flip.model: checksum mismatch" } },
  { "truncated", "short.model", { "short.model: truncated" } },
  { "not a model at all", "img.idx", { "img.idx: not an actlab model" } },
  { "missing", "nothere.model", { "nothere.model: cannot open" } },
}
for _, c in ipairs(model_cases) do
  T.test("model file " .. c[1], function()
    refuse(string.format("actlab.load(%q)", c[2]), c[3])
  end)
end

---------------------------------------------------------------------------------------------
-- Options: names, ranges, NaN and infinity, sizes, shapes.

local NET = "local net = actlab.mlp{inputs = 4, hidden = {3}, outputs = 2, seed = 1}\n" ..
  "local data = actlab.data{x = actlab.matrix(6, 4, 0.5), y = {0, 1, 0, 1, 0, 1}, classes = 2}\n"
local function train(opts)
  return NET .. "actlab.train(net, data, {lr = 0.1, epochs = 1, batch = 2, " .. opts .. "})\n"
end
local function mlp(opts)
  return "actlab.mlp{inputs = 4, hidden = {3}, outputs = 2, " .. opts .. "}\n"
end

local option_cases = {
  { "unknown activation", mlp("activation = 'relux'"),
    { "bad option 'activation' to 'mlp' (unknown activation 'relux' (valid: identity, " } },
  { "unknown activation parameter", mlp("activation = 'leaky_relu', params = {gama = 0.1}"),
    { "bad option 'params' to 'mlp' (unknown parameter 'gama' for leaky_relu (valid: gamma))" } },
  { "unknown option", mlp("hiden = {3}"), { "bad option 'hiden' to 'mlp' (unknown option; valid: inputs," } },
  { "gamma out of range", mlp("activation = 'leaky_relu', params = {gamma = -1}"),
    { "bad option 'params' to 'mlp' (leaky_relu: gamma = -1 outside [0, " } },
  { "gamma NaN", mlp("activation = 'leaky_relu', params = {gamma = 0/0}"),
    { "bad option 'params' to 'mlp' (leaky_relu: gamma = ", "nan is not a finite number" } },
  { "gamma infinite", mlp("activation = 'leaky_relu', params = {gamma = math.huge}"),
    { "bad option 'params' to 'mlp' (leaky_relu: gamma = inf is not a finite number)" } },
  { "activation parameter NaN", "actlab.activation('elu', {alpha = 0/0})",
    { "bad argument #2 to 'activation' (elu: alpha = ", "nan is not a finite number)" } },
  { "hidden size 0", mlp("hidden = {0}"),
    { "bad option 'hidden' to 'mlp' (list of positive integers expected, got 0 at position 1)" } },
  { "inputs 0", "actlab.mlp{inputs = 0, hidden = {3}, outputs = 2}",
    { "bad option 'inputs' to 'mlp' (positive integer expected, got 0)" } },
  { "init std infinite", mlp("init = 'normal', init_std = math.huge"),
    { "bad option 'init_std' to 'mlp' (init_std: non-negative number expected, got inf)" } },
  { "unknown init", mlp("init = 'bogus'"), { "bad option 'init' to 'mlp' (unknown init 'bogus'" } },
  { "seed not an integer", mlp("seed = 1.5"),
    { "bad option 'seed' to 'mlp' (non-negative integer expected, got 1.5)" } },
  { "learning rate negative", train("lr = -1"),
    { "bad option 'lr' to 'train' (positive number expected, got -1)" } },
  { "learning rate NaN", train("lr = 0/0"), { "bad option 'lr' to 'train' (positive number expected, got ", "nan)" } },
  { "learning rate infinite", train("lr = math.huge"),
    { "bad option 'lr' to 'train' (positive number expected, got inf)" } },
  { "momentum out of range", train("momentum = 2"),
    { "bad option 'momentum' to 'train' (number in [0, 1) expected, got 2)" } },
  { "momentum NaN", train("momentum = 0/0"), { "bad option 'momentum' to 'train' (number in [0, 1) expected, got " } },
  { "weight decay negative", train("weight_decay = -1"),
    { "bad option 'weight_decay' to 'train' (non-negative number expected, got -1)" } },
  { "learning-rate decay NaN", train("lr_decay = 0/0"),
    { "bad option 'lr_decay' to 'train' (non-negative number expected, got " } },
  { "batch size 0", train("batch = 0"),
    { "bad option 'batch' to 'train' (integer from 1 to 6 (the training examples) expected, got 0)" } },
  { "batch size larger than the data", train("batch = 7"),
    { "bad option 'batch' to 'train' (integer from 1 to 6 (the training examples) expected, got 7)" } },
  { "epochs infinite", train("epochs = math.huge"),
    { "bad option 'epochs' to 'train' (positive integer expected, got inf)" } },
  { "unknown training option", train("lrate = 0.1"),
    { "bad option 'lrate' to 'train' (unknown option; valid: lr," } },
  { "data set option NaN", dataset_code("img.idx"):gsub("}\n$", ", train_n = 0/0}\n"),
    { "bad option 'train_n' to 'dataset' (positive integer expected, got " } },
  { "training subset larger than the data", dataset_code("img.idx"):gsub("}\n$", ", train_n = 11}\n"),
    { "bad option 'train_n' to 'dataset' (at most 10 expected (the training rows), got 11)" } },
  { "data labels above the classes", "actlab.data{x = actlab.matrix(3, 4), y = {0, 1, 2}, classes = 2}",
    { "bad option 'classes' to 'data' (integer above every label (and at most 256) expected, got 2)" } },
  { "network inputs not matching the data", NET ..
      "actlab.train(actlab.mlp{inputs = 5, hidden = {3}, outputs = 2}, data, {lr = 0.1, epochs = 1, batch = 2})",
    { "bad argument #2 to 'train' (training data of 5 inputs expected for this network, got 4)" } },
  { "network outputs not matching the classes", NET ..
      "actlab.train(actlab.mlp{inputs = 4, hidden = {3}, outputs = 3}, data, {lr = 0.1, epochs = 1, batch = 2})",
    { "bad argument #2 to 'train' (training data: labels 0 to 2 expected for a network of 3 outputs, got labels of 2 classes)" } },
  { "a loaded model on data of another shape", NET .. "actlab.train(actlab.load('good.model'), data, {lr = 0.1, epochs = 1, batch = 2})",
    { "bad argument #2 to 'train' (training data of 16 inputs expected for this network, got 4)" } },
  { "forward with the wrong width", NET .. "net:forward(actlab.matrix(2, 5))",
    { "bad argument #1 to 'forward' (matrix of 4 columns expected, got 5)" } },
}
for _, c in ipairs(option_cases) do
  T.test("option: " .. c[1], function() refuse(c[2], c[3]) end)
end

---------------------------------------------------------------------------------------------
-- Writing: folders that cannot be written, a full disk, and nothing already written lost.
-- A full disk is /dev/full where the program writes a stream in place (its output, a save
-- through a link to it); for files written to a temporary name and renamed into place, the
-- file-size limit (ulimit -f 0, SIGXFSZ ignored) makes every write to a regular file fail
-- the way ENOSPC does, with nothing else on the machine affected.
local FULL_DISK = "trap '' XFSZ; ulimit -f 0;"

-- Every file under dir (relative name → bytes).
local function snapshot(dir)
  local files = {}
  local p = assert(io.popen("cd " .. q(path(dir)) .. " && find . -type f | sort"))
  for name in p:lines() do files[name] = read(dir .. "/" .. name:sub(3)) end
  p:close()
  return files
end

T.test("save: into a folder that does not exist", function()
  refuse(NET .. "net:save('no/such/folder/net.model')",
    { "no/such/folder/net.model: cannot write: No such file or directory" })
end)

T.test("save: onto a full disk (a link to /dev/full) names the path", function()
  -- Through a link, so that a save that renames over its target can only ever replace the
  -- link, never the device itself.
  os.remove(path("full.model"))
  assert(os.execute("ln -s /dev/full " .. q(path("full.model"))))
  refuse(NET .. "net:save('full.model')", { "full.model: ", "No space left on device" })
end)

T.test("save: a full disk leaves the model already there byte-identical", function()
  write("kept.model", MODEL)
  write("case.lua", NET .. "net:save('kept.model')")
  local out, status = run("case.lua", FULL_DISK)
  T.assert_true(status ~= 0 and status < 128, "status " .. status .. ":\n" .. out)
  T.assert_true(out:find("kept.model: write failed: File too large", 1, true), out)
  T.assert_true(read("kept.model") == MODEL, "kept.model changed")
  local leftovers = T.run("ls " .. q(TMP) .. " | grep -c 'kept.model.'")
  T.assert_eq(tonumber(leftovers), 0, "temporary files left beside kept.model")
end)

T.test("program output to /dev/full is an error, not a silent success", function()
  local out, status = T.run("cd " .. q(TMP) .. " && " .. q(BIN) ..
    " -e 'print(string.rep(\"x\", 100))' 2>&1 >/dev/full")
  T.assert_true(status ~= 0 and status < 128, "status " .. status .. ":\n" .. out)
  T.assert_true(out:find("^actlab: [^\n]*output") or out:find("\nactlab: [^\n]*output"),
    "no 'actlab: …output…' message in:\n" .. out)
end)

T.test("sweep: an output folder that cannot be created", function()
  write("a_file", "not a folder\n")
  local out, status = run(q(SWEEP) .. " --epochs 1 --out a_file/sweep")
  T.assert_true(status ~= 0 and status < 128, "status " .. status .. ":\n" .. out)
  T.assert_true(out:find("cannot create folder a_file/sweep/runs", 1, true), out)
end)

T.test("sweep: an output folder without write permission", function()
  if T.run("id -u") == "0\n" then
    print("      (as root permissions do not stop writes: checked only as another user)")
    return
  end
  os.execute("mkdir -p " .. q(path("ro")) .. " && chmod 555 " .. q(path("ro")))
  local out, status = run(q(SWEEP) .. " --epochs 1 --out ro/sweep")
  os.execute("chmod 755 " .. q(path("ro")))
  T.assert_true(status ~= 0 and status < 128, "status " .. status .. ":\n" .. out)
  T.assert_true(out:find("cannot create folder ro/sweep/runs", 1, true), out)
end)

T.test("sweep: a full disk stops it with the path, losing no finished run", function()
  os.execute("rm -rf " .. q(path("full")))
  local out, status = run(q(SWEEP) .. " --epochs 1 --out full --runs 1-3")
  T.assert_eq(status, 0, out)
  local before = snapshot("full")
  T.assert_true(before["./results.csv"] ~= nil, "no results.csv after the first runs")
  out, status = run(q(SWEEP) .. " --epochs 1 --out full", FULL_DISK)
  T.assert_true(status ~= 0 and status < 128, "status " .. status .. ":\n" .. out)
  T.assert_true(out:find("cannot write full/runs/[0-9a-f]+%.[%w.]*csv: File too large"), out)
  T.assert_eq(snapshot("full"), before, "files changed or left behind by the failed resume")
  -- Once there is room again the same command finishes the sweep.
  out, status = run(q(SWEEP) .. " --epochs 1 --out full")
  T.assert_eq(status, 0, out)
  T.assert_true(out:find("3 already complete, 5 to run", 1, true), out)
end)

T.test("sweep: a results.csv broken by hand is reported and kept aside on resume", function()
  os.execute("rm -rf " .. q(path("edited")))
  local out, status = run(q(SWEEP) .. " --epochs 1 --out edited --runs 1-2")
  T.assert_eq(status, 0, out)
  local edited = read("edited/results.csv") .. 'r9,"a quote never closed\n'
  write("edited/results.csv", edited)
  out, status = run(q(SWEEP) .. " --epochs 1 --out edited")
  T.assert_eq(status, 0, out)
  local kept = out:match("warning: edited/results%.csv:4: quoted field opened here is never " ..
    "closed; kept as (edited/results%.csv%.broken%-[%dTZ%-]+), rebuilt from the run files")
  T.assert_true(kept, "no warning naming the broken line and where it was kept in:\n" .. out)
  T.assert_true(read(kept) == edited, "the kept copy is not the edited file")
  local csv = require "actlab.csv"
  local header, rows = csv.parse(read("edited/results.csv"), "results.csv")
  T.assert_true(header, "rebuilt results.csv does not parse: " .. tostring(rows))
end)

T.test("sweep: a run file broken by hand is kept aside and the run redone", function()
  os.execute("rm -rf " .. q(path("runfile")))
  local out, status = run(q(SWEEP) .. " --epochs 1 --out runfile --runs 1")
  T.assert_eq(status, 0, out)
  local name = T.run("ls " .. q(path("runfile/runs")) .. " | grep -v layers"):match("[^\n]+")
  local text = read("runfile/runs/" .. name)
  local cut = text:sub(1, #text - 20) -- the last row loses its end
  write("runfile/runs/" .. name, cut)
  out, status = run(q(SWEEP) .. " --epochs 1 --out runfile --runs 1")
  T.assert_eq(status, 0, out)
  local kept = out:match("kept as (runfile/runs/" .. name:gsub("%.", "%%.") ..
    "%.broken%-[%dTZ%-]+), the run is redone")
  T.assert_true(kept, "no warning for the broken run file in:\n" .. out)
  T.assert_true(read(kept) == cut, "the kept copy is not the broken file")
  -- Redone: the same rows again, but for the clock columns.
  local csv = require "actlab.csv"
  local function rows_of(s)
    local header, rows = csv.parse(s, name)
    T.assert_true(header, "run file does not parse: " .. tostring(rows))
    local maps = csv.as_maps(header, rows)
    for _, r in ipairs(maps) do r.seconds, r.timestamp = nil, nil end
    return maps
  end
  T.assert_eq(rows_of(read("runfile/runs/" .. name)), rows_of(text))
end)

T.done()
