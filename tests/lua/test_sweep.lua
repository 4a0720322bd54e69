-- Sweeps: grid expansion and run ids, shards, range lists, CSV writing and strict reading,
-- options, resume (in process and after a real kill -9), errors and divergence recorded,
-- SIGTERM, --jobs, and actlab merge.
local T = dofile((os.getenv("ACTLAB_SOURCE_DIR") or ".") .. "/tests/lua/testlib.lua")
local S = dofile((os.getenv("ACTLAB_SOURCE_DIR") or ".") .. "/tests/lua/sweeplib.lua")(T)
local csv = require "actlab.csv"
local ranges = require "actlab.ranges"
local runid = require "actlab.runid"
local plan = require "actlab.plan"
local options = require "actlab.options"
local columns = require "actlab.columns"
local files = require "actlab.files"
local runfiles = require "actlab.runfiles"
local sweep = require "actlab.sweep"
local merge = require "actlab.cmd.merge"

local SRC = os.getenv("ACTLAB_SOURCE_DIR") or "."
local BIN = os.getenv("ACTLAB_BIN")
local FIXTURE = SRC .. "/tests/lua/fixtures/tiny_sweep.lua"
-- Under plain lua5.4 (ACTLAB_BIN=lua5.4 while the program is being written) the fixture
-- makes its rows up instead of training.
local FAKE = rawget(_G, "actlab") == nil and not pcall(require, "actlab")
local TMP = T.tmpdir() .. "/sweep"
os.execute("rm -rf " .. T.quote(TMP))
assert(files.mkdir_p(TMP))

local function sleep(s) os.execute("sleep " .. s) end

---------------------------------------------------------------------------------------------
-- Pure parts

T.test("grid expands as nested loops, last axis fastest, fixed values merged", function()
  local runs = plan.expand{ experiment = "e", fixed = { lr = 0.1 },
    grid = { { "a", { 1, 2 } }, { "b", { "x", "y", "z" } } } }
  T.assert_eq(#runs, 6)
  local got = {}
  for i, r in ipairs(runs) do
    T.assert_eq(r.index, i)
    got[i] = r.config.a .. r.config.b .. r.config.lr
  end
  T.assert_eq(got, { "1x0.1", "1y0.1", "1z0.1", "2x0.1", "2y0.1", "2z0.1" })
end)

T.test("a grid given as a map is expanded in sorted axis order", function()
  local runs = plan.expand{ experiment = "e", grid = { z = { 1, 2 }, a = { "p", "q" } } }
  local got = {}
  for i, r in ipairs(runs) do got[i] = r.config.a .. r.config.z end
  T.assert_eq(got, { "p1", "p2", "q1", "q2" })
end)

T.test("explicit configurations follow the grid; derive fills keys; filter drops", function()
  local runs = plan.expand{ experiment = "e",
    grid = { { "depth", { 1, 2, 3 } } },
    configs = { { depth = 5, note = "extra" } },
    fixed = { width = 10 },
    derive = function(c)
      c.hidden = {}
      for i = 1, c.depth do c.hidden[i] = c.width end
      return c
    end,
    filter = function(c) return c.depth ~= 2 end }
  T.assert_eq(#runs, 3)
  T.assert_eq(runs[1].config.hidden, { 10 })
  T.assert_eq(runs[2].config.hidden, { 10, 10, 10 })
  T.assert_eq(runs[3].config.note, "extra")
  T.assert_eq(runs[3].columns.hidden, "10-10-10-10-10")
  T.assert_eq(runs[3].columns.depth, "5")
end)

T.test("two runs with the same configuration are an error", function()
  T.assert_error_match(function()
    plan.expand{ experiment = "e", grid = { { "a", { 1, 2 } } }, configs = { { a = 1 } } }
  end, "runs 1 and 3 have the same configuration", nil, true)
end)

T.test("FNV-1a 64 matches the published test vectors", function()
  -- reference values of the FNV specification ("" → offset basis, "a", "foobar")
  T.assert_eq(string.format("%016x", runid.fnv1a64("")), "cbf29ce484222325")
  T.assert_eq(string.format("%016x", runid.fnv1a64("a")), "af63dc4c8601ec8c")
  T.assert_eq(string.format("%016x", runid.fnv1a64("foobar")), "85944171f73967e8")
end)

T.test("canonical text sorts keys, prints numbers with %.17g, arrays in brackets", function()
  T.assert_eq(runid.canonical{ b = "x", a = 1 }, '{a=1,b="x"}')
  T.assert_eq(runid.canonical{ lr = 0.05, hidden = { 100, 100 }, nest = { k = true } },
    '{hidden=[100,100],lr=0.050000000000000003,nest={k=true}}')
  T.assert_eq(runid.canonical{ a = 1.0 }, runid.canonical{ a = 1 })
end)

T.test("run ids are stable: reference values computed independently (python3)", function()
  T.assert_eq(runid.of("e", { a = 1, b = "x" }), "68904c44141253b4")
  T.assert_eq(runid.of("sweep_gamma", { dataset = "mnist", gamma = 0.01, hidden = { 100 },
    lr = 0.05, seed = 1 }), "1647820935dec97b")
end)

T.test("the id does not depend on how the table was built, and differs for other values", function()
  local a = {}
  a.seed = 1; a.lr = 0.05; a.activation = "relu"
  local b = { activation = "relu", lr = 0.05, seed = 1.0 }
  T.assert_eq(runid.of("e", a), runid.of("e", b))
  T.assert_true(runid.of("e", a) ~= runid.of("e", { activation = "relu", lr = 0.05, seed = 2 }))
  T.assert_true(runid.of("e", a) ~= runid.of("f", a), "experiment is part of the id")
end)

T.test("shards are disjoint, cover the sweep and differ in size by at most one", function()
  for _, total in ipairs{ 1, 7, 23 } do
    for _, n in ipairs{ 1, 2, 3, 5, 8 } do
      local runs = {}
      for i = 1, total do runs[i] = { index = i, id = tostring(i), config = {}, columns = {} } end
      local owner, sizes = {}, {}
      for s = 0, n - 1 do
        local part = plan.select(runs, { shard = { s, n } })
        sizes[#sizes + 1] = #part
        for _, r in ipairs(part) do
          T.assert_eq(owner[r.index], nil, "run in two shards")
          owner[r.index] = s
        end
      end
      for i = 1, total do T.assert_true(owner[i] ~= nil, "run " .. i .. " in no shard") end
      table.sort(sizes)
      T.assert_true(sizes[#sizes] - sizes[1] <= 1, "balanced")
    end
  end
end)

T.test("--shard i/n is 0-based and checked", function()
  T.assert_eq({ plan.parse_shard("2/4") }, { 2, 4 })
  T.assert_eq({ plan.parse_shard("4/4") },
    { nil, "--shard: index must be 0..3 for 4 shards, got '4/4'" })
  T.assert_eq({ plan.parse_shard("x") }, { nil, "--shard: i/n expected (e.g. 0/4), got 'x'" })
end)

T.test("range lists are formatted compactly", function()
  local list = { 5, 22 }
  for i = 7, 19 do list[#list + 1] = i end
  T.assert_eq(ranges.format(list), "5,7-19,22")
  T.assert_eq(ranges.format{}, "")
  T.assert_eq(ranges.format{ 3, 1, 2, 2 }, "1-3")
  T.assert_eq(ranges.format{ 4, 6 }, "4,6")
end)

T.test("range lists are parsed, and bad ones rejected with a message", function()
  local got = ranges.parse("5,7-9,22")
  T.assert_eq(got, { 5, 7, 8, 9, 22 })
  T.assert_eq(ranges.parse(""), {})
  T.assert_eq({ ranges.parse("1-") }, { nil, "bad item '1-' in range list '1-'" })
  T.assert_eq({ ranges.parse("9-3") }, { nil, "descending range '9-3' in range list '9-3'" })
  T.assert_eq({ ranges.parse("1,,2") }, { nil, "bad item '' in range list '1,,2'" })
end)

T.test("range lists round-trip", function()
  local state = 12345
  for _ = 1, 50 do
    local set, list = {}, {}
    for _ = 1, 30 do
      state = (state * 1103515245 + 12345) % 2147483648
      local v = state % 60 + 1
      if not set[v] then set[v] = true; list[#list + 1] = v end
    end
    table.sort(list)
    T.assert_eq(ranges.parse(ranges.format(list)), list)
  end
end)

T.test("CSV fields are quoted only when needed, quotes doubled", function()
  T.assert_eq(csv.field("plain"), "plain")
  T.assert_eq(csv.field("a,b"), '"a,b"')
  T.assert_eq(csv.field('say "hi"'), '"say ""hi"""')
  T.assert_eq(csv.field("l1\nl2"), '"l1\nl2"')
  T.assert_eq(csv.field(" x "), " x ")
  T.assert_eq(csv.field(nil), "")
  T.assert_eq(csv.field(true), "true")
end)

T.test("CSV numbers: shortest exact form, integers as integers, NaN and Inf empty", function()
  T.assert_eq(csv.field(0.1), "0.1")
  T.assert_eq(csv.field(0.05), "0.05")
  T.assert_eq(csv.field(1 / 3), "0.3333333333333333")
  T.assert_eq(csv.field(0.1 + 0.2), "0.30000000000000004")
  T.assert_eq(csv.field(3), "3")
  T.assert_eq(csv.field(2.0), "2")
  T.assert_eq(csv.field(1e30), "1e+30")
  T.assert_eq(csv.field(0 / 0), "")
  T.assert_eq(csv.field(math.huge), "")
  T.assert_eq(csv.field(-math.huge), "")
end)

T.test("CSV text of an RFC 4180 example: CRLF line ends, quoted fields", function()
  T.assert_eq(csv.format({ "a", "b" }, { { 1, "x,y" }, { b = 'q"', a = "" } }),
    'a,b\r\n1,"x,y"\r\n,"q"""\r\n')
end)

T.test("awkward values survive a write and a strict read", function()
  local awkward = { "comma, inside", 'quote " inside', "line\nbreak", "crlf\r\ninside",
    '"', ",", "", " lead and trail ", "unicode γ ± é", "error: bad option 'lr' to 'train' " ..
    "(positive number expected, got -1)\nstack, \"quoted\"" }
  local rows = {}
  for i, v in ipairs(awkward) do rows[i] = { tostring(i), v } end
  local header, got = csv.parse(csv.format({ "n", "value" }, rows), "t.csv")
  T.assert_eq(header, { "n", "value" })
  T.assert_eq(got, rows)
end)

T.test("the reader accepts LF line ends and a last line without its line break", function()
  local h, rows = csv.parse("a,b\n1,2\n3,4", "t.csv")
  T.assert_eq(h, { "a", "b" })
  T.assert_eq(rows, { { "1", "2" }, { "3", "4" } })
end)

T.test("an unterminated quote is reported with its line; the rows before it are kept", function()
  local h, msg, fault = csv.parse('a,b\r\n1,2\r\n3,"never closed\r\nmore\r\n', "t.csv")
  T.assert_eq(h, nil)
  T.assert_eq(msg, "t.csv:3: quoted field opened here is never closed")
  T.assert_eq(fault.line, 3)
  T.assert_eq(fault.rows, { { "1", "2" } })
  T.assert_eq(fault.offset, #"a,b\r\n1,2\r\n" + 1)
end)

T.test("a record with the wrong number of fields is reported with its line", function()
  -- the quoted field of record 2 spans lines 2-3, so the short record is on line 4
  local _, msg, fault = csv.parse('a,b\n"x\ny",1\n2\n', "t.csv")
  T.assert_eq(msg, "t.csv:4: 1 fields, expected 2 as in the header")
  T.assert_eq(#fault.rows, 1)
end)

T.test("stray quotes and bare carriage returns are errors", function()
  T.assert_eq(select(2, csv.parse('a,b\n1,x"y\n', "t.csv")), "t.csv:2: quote inside an unquoted field")
  T.assert_eq(select(2, csv.parse('"a"b,c\n', "t.csv")),
    "t.csv:1: unexpected character after a closing quote")
  T.assert_eq(select(2, csv.parse("a,b\r1,2\n", "t.csv")),
    "t.csv:1: carriage return not followed by a line feed")
  T.assert_eq(select(2, csv.parse("", "t.csv")), "t.csv:1: empty file (no header)")
end)

T.test("options: common and the script's own, values checked", function()
  local o = options.parse({ "--shard", "1/3", "--only", "gamma=0.01", "--only=dataset=mnist",
    "--full", "--runs", "1-3,7", "--threads", "2", "--out", "x" }, { { "full", nil, "big" } })
  T.assert_eq(o.shard, { 1, 3 })
  T.assert_eq(o.only, { { "gamma", "0.01" }, { "dataset", "mnist" } })
  T.assert_eq(o.full, true)
  T.assert_eq(o.runs, { [1] = true, [2] = true, [3] = true, [7] = true })
  T.assert_eq(o.threads, 2)
  T.assert_eq(o.out, "x")
end)

T.test("an unknown option is an error listing the valid ones", function()
  T.assert_error_eq(function() options.parse({ "--ful" }, { { "full", nil, "big" } }) end,
    "unknown option '--ful'; valid options: --out, --dry-run, --missing, --shard, --only, " ..
    "--runs, --retry-failed, --threads, --jobs, --help, --full")
  T.assert_error_eq(function() options.parse({ "--threads", "0" }) end,
    "--threads: positive integer expected, got '0'")
  T.assert_error_eq(function() options.parse({ "--out" }) end, "option '--out' needs a value (DIR)")
  T.assert_error_eq(function() options.parse({ "--dry-run=1" }) end, "option '--dry-run' takes no value")
  T.assert_error_eq(function() options.parse({ "--only", "gamma" }) end,
    "--only: KEY=VALUE expected, got 'gamma'")
end)

T.test("configuration columns: act_params, gamma, hidden, depth; other keys are extras", function()
  local c, extras = columns.of_config{ dataset = "mnist", activation = "leaky_relu",
    gamma = 0.01, hidden = { 256, 256 }, lr = 0.05, seed = 1, width = 256 }
  T.assert_eq(c.act_params, "gamma=0.01")
  T.assert_eq(c.gamma, "0.01")
  T.assert_eq(c.hidden, "256-256")
  T.assert_eq(c.depth, "2")
  T.assert_eq(c.lr, "0.05")
  T.assert_eq(c.momentum, "")
  T.assert_eq(extras, { "width" })
  local l = columns.of_config{ activation = { "tanh", "relu" }, params = { { a = 1 }, {} },
    hidden = { 4, 4 }, init_range = { { -0.5, 0.5 }, { -0.1, 0.1 } } }
  T.assert_eq(l.activation, "tanh/relu")
  T.assert_eq(l.act_params, "a=1/")
  T.assert_eq(l.init_range, "-0.5:0.5/-0.1:0.1")
end)

T.test("--only matches column text, numbers as numbers", function()
  local runs = plan.expand{ experiment = "e", grid = { { "gamma", { 0.01, 0.1 } },
    { "hidden", { { 5 }, { 5, 5 } } } } }
  local sel = plan.select(runs, { only = { { "gamma", "0.010" }, { "depth", "2" } } })
  T.assert_eq(#sel, 1)
  T.assert_eq(sel[1].config.gamma, 0.01)
  T.assert_eq(sel[1].columns.hidden, "5-5")
end)

T.test("an atomic write replaces the whole file and leaves no temporary behind", function()
  local dir = TMP .. "/atomic"
  assert(files.mkdir_p(dir))
  assert(files.write_atomic(dir .. "/f.csv", "old"))
  assert(files.write_atomic(dir .. "/f.csv", "new text"))
  T.assert_eq(files.read(dir .. "/f.csv"), "new text")
  T.assert_eq(files.list(dir), { "f.csv" })
  T.assert_eq({ files.write_atomic(dir .. "/no/such/dir/f.csv", "x") },
    { nil, "cannot write " .. dir .. "/no/such/dir/f.csv: " .. dir ..
      "/no/such/dir/f.csv.tmp." .. files.host() .. "." .. files.pid() .. ": No such file or directory" })
end)

T.test("temporaries of dead processes on this host are removed, others kept", function()
  local dir = TMP .. "/stale"
  assert(files.mkdir_p(dir))
  -- pid 999999999 is above Linux's pid_max (4194304), so no such process exists
  local dead = "a.csv.tmp." .. files.host() .. ".999999999"
  local mine = "b.csv.tmp." .. files.host() .. "." .. files.pid()
  local other = "c.csv.tmp.some-other-node.999999999"
  for _, n in ipairs{ dead, mine, other } do assert(files.write_atomic(dir .. "/" .. n, "x")) end
  T.assert_eq(files.remove_stale_tmp(dir), 1)
  local left = files.list(dir)
  table.sort(left)
  T.assert_eq(left, { mine, other })
end)

T.test("summary: mean ± sample sd over seeds per configuration, hidden-layer dead fraction", function()
  local summary = require "actlab.summary"
  local runs = plan.expand{ experiment = "e",
    grid = { { "activation", { "relu", "tanh" } }, { "seed", { 1, 2, 3 } } } }
  local acc = { 0.8, 0.9, nil, 0.5, 0.5, 0.5 }
  local states = {}
  for i, r in ipairs(runs) do
    if i == 3 then
      states[r.id] = { state = "done", status = "diverged", rows = { { epoch = "1", test_acc = "" } } }
    else
      states[r.id] = { state = "done", status = "ok",
        rows = { { epoch = "2", test_acc = tostring(acc[i]) } },
        -- hidden layers 1 and 2 (0.2 and 0.4 dead) and the output layer 3 (not counted)
        layer_rows = { { epoch = "2", layer = "1", dead = "0.2" }, { epoch = "2", layer = "2", dead = "0.4" },
          { epoch = "2", layer = "3", dead = "0.9" }, { epoch = "1", layer = "1", dead = "1" } } }
    end
  end
  local keys, groups = summary.groups(runs, states)
  T.assert_eq(keys, { "activation" })
  T.assert_eq(#groups, 2)
  -- relu: {0.8, 0.9}: mean 0.85, sd sqrt(2 · 0.05² / 1) = 0.0707107
  T.assert_near(groups[1].mean, 0.85, 1e-12)
  T.assert_near(groups[1].sd, 0.070710678118654752, 1e-12)
  T.assert_eq({ groups[1].ok, groups[1].diverged, groups[1].n }, { 2, 1, 3 })
  T.assert_near(groups[1].dead, 0.3, 1e-12)
  T.assert_near(groups[2].sd, 0, 1e-12)
  local text = summary.format(keys, groups)
  T.assert_true(text:find("relu        2/3   0.8500 ± 0.0707", 1, true), text)
  T.assert_true(text:find("1 diverged", 1, true), text)
end)

T.test("sweep.plan numbers the runs and applies --shard and --only without running any", function()
  local def = { experiment = "p", run = function() error("must not run") end,
    grid = { { "act", { "a", "b" } }, { "seed", { 1, 2, 3 } } } }
  local p = sweep.plan(def, options.parse{ "--shard", "1/2", "--only", "act=b" })
  T.assert_eq(#p.runs, 6)
  T.assert_eq(p.out, "results/p")
  local idx = {}
  for i, r in ipairs(p.selected) do idx[i] = r.index end
  -- shard 1 of 2 holds the even indices; act=b the runs 4-6
  T.assert_eq(idx, { 4, 6 })
end)

-- A plan of 2 data sets × 3 seeds for the filter tests (no runner is ever called).
local function filter_plan(argv)
  local def = { experiment = "f", run = function() error("must not run") end,
    grid = { { "dataset", { "mnist", "fashion-mnist" } }, { "seed", { 1, 2, 3 } } } }
  return sweep.plan(def, options.parse(argv))
end

T.test("--only with a value no run has is an error listing the values the key takes", function()
  T.assert_error_eq(function() filter_plan{ "--only", "dataset=fashion_mnist" } end,
    "--only dataset=fashion_mnist: no run has dataset = fashion_mnist (values: mnist, fashion-mnist)")
  T.assert_error_eq(function() filter_plan{ "--only", "seed=1", "--only", "seed=4" } end,
    "--only seed=4: no run has seed = 4 (values: 1, 2, 3)")
  T.assert_error_eq(function() filter_plan{ "--only", "colour=red" } end,
    "--only: unknown key 'colour'; keys of this sweep: act_params, activation, batch, dataset, " ..
    "depth, epochs, gamma, hidden, init, lr, momentum, seed, train_n")
  -- numbers still compare as numbers
  T.assert_eq(#filter_plan{ "--only", "seed=2.0" }.selected, 2)
end)

T.test("--runs outside 1..N is an error naming the valid range", function()
  T.assert_error_eq(function() filter_plan{ "--runs", "5-9" } end,
    "--runs 5-9: no run 7-9 in this sweep (valid: 1-6)")
  T.assert_error_eq(function() filter_plan{ "--runs", "0,2" } end,
    "--runs 0,2: no run 0 in this sweep (valid: 1-6)")
  T.assert_eq(#filter_plan{ "--runs", "1,6" }.selected, 2)
end)

T.test("filters that each match runs but together none are an error saying so", function()
  -- mnist is runs 1-3, seed 3 is runs 3 and 6
  T.assert_error_eq(function() filter_plan{ "--only", "dataset=mnist", "--runs", "4-6" } end,
    "--only dataset=mnist --runs 4-6: each matches some runs, but no run matches them all")
  T.assert_error_eq(function()
    filter_plan{ "--only", "dataset=mnist", "--only", "seed=3", "--runs", "1-2" }
  end, "--only dataset=mnist --only seed=3 --runs 1-2: each matches some runs, but no run " ..
    "matches them all")
  T.assert_eq(#filter_plan{ "--only", "dataset=mnist", "--only", "seed=3" }.selected, 1)
  -- an empty shard is no error: shards of a filtered sweep may well be empty
  T.assert_eq(#filter_plan{ "--only", "dataset=mnist", "--runs", "3", "--shard", "1/2" }.selected, 0)
end)

T.test("option errors are failures: objects whose text is the message alone", function()
  local failure = require "actlab.failure"
  local ok, e = pcall(options.parse, { "--shard", "3/2" })
  T.assert_eq(ok, false)
  T.assert_true(failure.is(e), "a failure object")
  T.assert_eq(tostring(e), "--shard: index must be 0..1 for 2 shards, got '3/2'")
  T.assert_eq("actlab: " .. e, "actlab: --shard: index must be 0..1 for 2 shards, got '3/2'")
  ok, e = pcall(failure.wrap, function() error("x.lua:3: plain error", 0) end)
  T.assert_true(failure.is(e), "wrap turns a string error into a failure")
  T.assert_eq(tostring(e), "plain error")
end)

T.test("a folder that cannot be created is reported with the system's reason", function()
  local blocker = TMP .. "/a_file"
  assert(files.write_atomic(blocker, "x"))
  T.assert_eq({ files.mkdir_p(blocker .. "/sub/runs") },
    { nil, "cannot create folder " .. blocker .. "/sub/runs: Not a directory" })
  T.assert_eq({ files.mkdir_p("/proc/nope/runs") },
    { nil, "cannot create folder /proc/nope/runs: No such file or directory" })
  T.assert_eq(files.mkdir_p(TMP .. "/made/a b/c"), true)
  T.assert_true(files.is_dir(TMP .. "/made/a b/c"), "created, spaces and all")
end)

T.test("the script's own options are kept apart from the common ones", function()
  local o = options.parse({ "--out", "x", "--full", "--epochs=30", "--threads", "2", "--tag", "a b" },
    { { "full", nil, "big" }, { "epochs", "N", "epochs" }, { "tag", "T", "a tag" } })
  T.assert_eq(o.own_argv, { "--full", "--epochs", "30", "--tag", "a b" })
end)

T.test("the number of cores is the affinity mask's, whatever OMP_NUM_THREADS says", function()
  local jobs = require "actlab.jobs"
  -- independent count: the CPUs this process may run on, from the kernel's own list
  local f = assert(io.open("/proc/self/status", "r"))
  local list = f:read("a"):match("Cpus_allowed_list:%s*([^\n]+)")
  f:close()
  local n = 0
  for item in list:gmatch("[^,]+") do
    local a, b = item:match("^(%d+)%-(%d+)$")
    if a then n = n + tonumber(b) - tonumber(a) + 1 else n = n + 1 end
  end
  T.assert_eq(jobs.cores(), n)
  if BIN and BIN ~= "" and not FAKE then
    local text = T.run("OMP_NUM_THREADS=1 " .. T.quote(BIN) .. " -e 'print(require(\"actlab.jobs\").cores())'")
    T.assert_eq(text, n .. "\n")
  end
end)

T.test("--help states how --jobs and --threads combine", function()
  local o = options.parse({}, nil, "s.lua")
  T.assert_true(o.help_text:find("By default a sweep runs as many runs at once as the machine " ..
    "has cores (at most the runs\nleft to do), each in its own process with one BLAS thread", 1, true),
    o.help_text)
  T.assert_true(o.help_text:find("--threads N alone (here, or to actlab before the script) " ..
    "runs one run at a\ntime with N BLAS threads", 1, true), o.help_text)
end)

---------------------------------------------------------------------------------------------
-- A sweep in this process with a made-up runner

local null = assert(io.open("/dev/null", "w"))

local function fake_def(out, extra_args, calls)
  local args = sweep.args({ "--out", out, table.unpack(extra_args or {}) })
  return { experiment = "fake", args = args, log = null,
    grid = { { "act", { "good", "bad", "boom" } }, { "seed", { 1, 2 } } },
    fixed = { epochs = 3 },
    run = function(cfg, ctx)
      calls[#calls + 1] = cfg.act .. cfg.seed
      if cfg.act == "bad" then
        error("unknown activation 'bad'; valid names: good, boom\nsee \"docs\", page 2")
      end
      local row
      for e = 1, cfg.epochs do
        row = { epoch = e, step = 10 * e, test_acc = 0.5 + e / 10 + cfg.seed / 100,
          layers = { { layer = 1, dead = 0.5 }, { layer = 2 } } }
        if cfg.act == "boom" and e == 2 then
          row.status, row.diverged_layer, row.test_acc = "diverged", 1, 0 / 0
          return row, "diverged"
        end
        ctx.report(row)
      end
      return row, "ok"
    end }
end

local function quietly(fn)
  local saved = io.output()
  io.output(null)
  local ok, err = pcall(fn)
  io.output(saved)
  if not ok then error(err, 0) end
end

local function read_maps(path)
  local h, rows = csv.read(path)
  assert(h, rows)
  return csv.as_maps(h, rows), h
end

if not FAKE then
  T.test("the default trainer measures train accuracy and writes the images used as train_n", function()
    local trainer = require "actlab.trainer"
    local saved = trainer.dataset
    -- 30 points of 2 features in 2 classes, held in memory instead of a named data set
    trainer.dataset = function()
      local x, y = {}, {}
      for i = 1, 30 do
        x[i] = { (i % 2) * 2 - 1 + i / 100, 1 - i / 30 }
        y[i] = i % 2
      end
      return actlab.data{ x = actlab.matrix(x), y = y, classes = 2 }
    end
    local out = TMP .. "/trainer"
    local ok, err = pcall(quietly, function()
      sweep.run{ experiment = "tr", args = sweep.args{ "--out", out }, log = null,
        configs = { {}, { eval_train = false } },
        fixed = { dataset = "points", hidden = { 4 }, epochs = 2, batch = 10 } }
    end)
    trainer.dataset = saved
    assert(ok, err)
    local rows = read_maps(out .. "/results.csv")
    T.assert_eq(#rows, 4)
    for _, r in ipairs(rows) do
      T.assert_eq(r.train_n, "30", "train_n of run " .. r.run_index)
      if r.run_index == "1" then
        T.assert_true(tonumber(r.train_acc) and tonumber(r.train_loss), "train measured by default")
      else
        T.assert_eq(r.train_acc, "", "eval_train = false leaves train_acc unmeasured")
      end
    end
  end)
end

T.test("a train_n of 0 (all) that the runner does not resolve is left empty, not 0", function()
  local out = TMP .. "/train_n"
  quietly(function()
    sweep.run{ experiment = "tn", args = sweep.args{ "--out", out }, log = null,
      configs = { { train_n = 0 }, { train_n = 0, resolve = true }, { train_n = 50 } },
      run = function(cfg, ctx)
        if cfg.resolve then ctx.columns.train_n = 1234 end
        local row = { epoch = 1, test_acc = 0.5 }
        ctx.report(row)
        return row, "ok"
      end }
  end)
  local rows = read_maps(out .. "/results.csv")
  T.assert_eq({ rows[1].train_n, rows[2].train_n, rows[3].train_n }, { "", "1234", "50" })
end)

T.test("an error is recorded with its message and the sweep goes on", function()
  local out, calls = TMP .. "/inproc1", {}
  quietly(function() sweep.run(fake_def(out, nil, calls)) end)
  T.assert_eq(calls, { "good1", "good2", "bad1", "bad2", "boom1", "boom2" })
  local rows = read_maps(out .. "/results.csv")
  local errs = {}
  for _, r in ipairs(rows) do if r.status == "error" then errs[#errs + 1] = r end end
  T.assert_eq(#errs, 2)
  T.assert_eq(errs[1].message,
    "unknown activation 'bad'; valid names: good, boom\nsee \"docs\", page 2")
  T.assert_eq(errs[1].epoch, "")
  T.assert_eq(errs[1].test_acc, "")
end)

T.test("a diverged run is recorded with its epoch and layer, accuracy left empty", function()
  local rows = read_maps(TMP .. "/inproc1/results.csv")
  local div = {}
  for _, r in ipairs(rows) do if r.status == "diverged" then div[#div + 1] = r end end
  T.assert_eq(#div, 2)
  T.assert_eq({ div[1].epoch, div[1].diverged_epoch, div[1].diverged_layer, div[1].test_acc },
    { "2", "2", "1", "" })
  -- the evaluation before the divergence is kept, marked ok
  local before = 0
  for _, r in ipairs(rows) do
    if r.run_id == div[1].run_id and r.status == "ok" then before = before + 1 end
  end
  T.assert_eq(before, 1)
end)

T.test("the combined CSV is sorted by run_index then epoch, one row per evaluation", function()
  local rows = read_maps(TMP .. "/inproc1/results.csv")
  -- 2 good runs × 3 epochs, 2 errors × 1 row, 2 diverged × 2 rows
  T.assert_eq(#rows, 6 + 2 + 4)
  for i = 2, #rows do
    local a, b = rows[i - 1], rows[i]
    local ia, ib = tonumber(a.run_index), tonumber(b.run_index)
    T.assert_true(ia < ib or (ia == ib and (tonumber(a.epoch) or 0) < (tonumber(b.epoch) or 0)),
      "row " .. i .. " in order")
  end
  local layers = read_maps(TMP .. "/inproc1/layers.csv")
  -- two layers for every evaluation of the good and the diverged runs
  T.assert_eq(#layers, (6 + 4) * 2)
  T.assert_eq(layers[1].dead, "0.5")
end)

T.test("a resumed sweep runs nothing that is complete; --retry-failed reruns the errors", function()
  local out, calls = TMP .. "/inproc1", {}
  local before = files.read(out .. "/results.csv")
  quietly(function() sweep.run(fake_def(out, nil, calls)) end)
  T.assert_eq(calls, {})
  T.assert_eq(files.read(out .. "/results.csv"), before)
  quietly(function() sweep.run(fake_def(out, { "--retry-failed" }, calls)) end)
  T.assert_eq(calls, { "bad1", "bad2" })
end)

T.test("a broken run file is kept aside, reported, and its run redone", function()
  local out, calls = TMP .. "/inproc1", {}
  local runs = plan.expand(fake_def(out, nil, calls))
  local path = runfiles.run_path(out, runs[1].id)
  local f = assert(io.open(path, "ab"))
  f:write('"half a row')
  f:close()
  local log = TMP .. "/inproc1.log"
  local def = fake_def(out, nil, calls)
  def.log = assert(io.open(log, "w"))
  quietly(function() sweep.run(def) end)
  def.log:close()
  T.assert_eq(calls, { "good1" })
  local text = files.read(log)
  T.assert_true(text:find("quoted field opened here is never closed", 1, true), text)
  local aside = 0
  for _, name in ipairs(files.list(runfiles.runs_dir(out))) do
    if name:find(runs[1].id .. ".csv.broken-", 1, true) then aside = aside + 1 end
  end
  T.assert_eq(aside, 1)
end)

T.test("a hand-broken results.csv is kept aside and rebuilt from the run files", function()
  local out, calls = TMP .. "/inproc1", {}
  local good = files.read(out .. "/results.csv")
  local f = assert(io.open(out .. "/results.csv", "ab"))
  f:write("1,2\r\n")
  f:close()
  quietly(function() sweep.run(fake_def(out, nil, calls)) end)
  T.assert_eq(files.read(out .. "/results.csv"), good)
  local aside = false
  for _, name in ipairs(files.list(out)) do
    if name:find("^results%.csv%.broken%-") then aside = true end
  end
  T.assert_true(aside, "broken copy kept")
end)

T.test("merge is idempotent and keeps one copy per run and epoch", function()
  local out = TMP .. "/inproc1"
  local m1 = TMP .. "/merged1/results.csv"
  assert(files.mkdir_p(TMP .. "/merged1"))
  T.assert_eq(merge.merge(m1, { out }), 6)
  T.assert_eq(files.read(m1), files.read(out .. "/results.csv"))
  T.assert_eq(files.read(TMP .. "/merged1/layers.csv"), files.read(out .. "/layers.csv"))
  local first = files.read(m1)
  -- the same inputs again, and the output fed back in with them: the same bytes
  T.assert_eq(merge.merge(m1, { out, out .. "/results.csv" }), 6)
  T.assert_eq(files.read(m1), first)
  T.assert_eq(merge.merge(m1, { m1, out }), 6)
  T.assert_eq(files.read(m1), first)
end)

T.test("merge names a broken input's line and keeps what came before it", function()
  local bad = TMP .. "/bad.csv"
  local text = files.read(TMP .. "/inproc1/results.csv")
  local lines = {}
  for line in text:gmatch("[^\n]*\n") do lines[#lines + 1] = line end
  -- 12 lines: the header, runs 1-2 (3 rows each), runs 3-4 (an error row of two lines
  -- each: the message holds a line break) and run 5's first row; then a broken line 13
  local cut = table.concat(lines, "", 1, 12) .. '"never closed\r\n'
  assert(files.write_atomic(bad, cut))
  local n, warnings = merge.merge(TMP .. "/merged_bad.csv", { bad })
  T.assert_eq(n, 5)
  T.assert_eq(warnings, { bad .. ":13: quoted field opened here is never closed" })
end)

---------------------------------------------------------------------------------------------
-- The fixture sweep run by the program, as a subprocess

if not BIN or BIN == "" then
  print("note: ACTLAB_BIN not set; the subprocess tests are left out")
  T.done()
  return
end

-- The fixture as a command line: one process, one BLAS thread (unless threads says
-- otherwise: false for the sweep's defaults).
local function cmd_with(out, epochs, extra, threads)
  local c = { BIN, FIXTURE, "--out", out, "--epochs", epochs }
  if threads ~= false then c[#c + 1] = "--threads"; c[#c + 1] = threads or "1" end
  if FAKE then c[#c + 1] = "--fake" end
  for _, a in ipairs(extra or {}) do c[#c + 1] = a end
  for i, s in ipairs(c) do c[i] = T.quote(s) end
  return table.concat(c, " ")
end

-- Long enough (about 0.1 s a run) for a kill to land in the middle of the sweep.
local EPOCHS = tostring(S.calibrated_epochs(function(dir, n) return cmd_with(dir, tostring(n)) end,
  200, 0.8, 10000, TMP))

local function cmd(out, extra)
  return cmd_with(out, EPOCHS, extra)
end

-- blas_threads differs between runs of the same computation too (--threads 2 vs 1).
local function canonical_rows(path)
  return S.canonical_rows(path, { blas_threads = true })
end
local run_files = S.run_files

local REF = TMP .. "/ref"

T.test("the fixture sweep runs to the end with rows for every run", function()
  local text, code = T.run(cmd(REF))
  T.assert_eq(code, 0, text)
  T.assert_eq(run_files(REF), 8)
  local rows = read_maps(REF .. "/results.csv")
  local status = {}
  for _, r in ipairs(rows) do status[r.activation] = status[r.activation] or {}; status[r.activation][r.status] = true end
  T.assert_true(status.no_such_act and status.no_such_act.error, "unknown activation recorded as error")
end)

T.test("an unknown activation is recorded as an error naming it", function()
  local rows = read_maps(REF .. "/results.csv")
  local msg
  for _, r in ipairs(rows) do if r.activation == "no_such_act" then msg = r.message end end
  T.assert_true(msg and msg:find("no_such_act", 1, true), tostring(msg))
end)

T.test("a huge learning rate is recorded as diverged and later runs still ran", function()
  local rows = read_maps(REF .. "/results.csv")
  local diverged, last_index = false, 0
  for _, r in ipairs(rows) do
    if r.lr == "1e+30" and r.status == "diverged" then
      diverged = true
      T.assert_true(r.diverged_epoch ~= "", "diverged_epoch set")
    end
    last_index = math.max(last_index, tonumber(r.run_index))
  end
  T.assert_true(diverged, "lr 1e30 diverged")
  T.assert_eq(last_index, 8)
end)

T.test("the combined CSV has the guaranteed columns and provenance", function()
  local rows, header = read_maps(REF .. "/results.csv")
  for i, c in ipairs(columns.RESULTS) do T.assert_eq(header[i], c) end
  T.assert_true(rows[1].timestamp:match("^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%dZ$"), rows[1].timestamp)
  if not FAKE then
    T.assert_eq(rows[1].blas_threads, "1")
    T.assert_true(rows[1].actlab_version ~= "", "version recorded")
  end
end)

T.test("--dry-run lists every run with its state; --missing prints a range list", function()
  local text, code = T.run(cmd(REF, { "--dry-run" }))
  T.assert_eq(code, 0, text)
  T.assert_true(text:find("8 runs", 1, true), text)
  T.assert_true(text:find("error", 1, true) and text:find("diverged", 1, true), text)
  local mtext = T.run(cmd(REF, { "--missing", "--retry-failed" }))
  T.assert_eq(mtext, "8\n")
  T.assert_eq(T.run(cmd(REF, { "--missing" })), "\n")
  T.assert_eq(T.run(cmd(TMP .. "/nothing", { "--missing", "--only", "activation=tanh" })), "3-4\n")
end)

T.test("an unknown option stops the script with the list of valid ones", function()
  local text, code = T.run(cmd(TMP .. "/x", { "--bogus" }))
  T.assert_true(code ~= 0, "exit status")
  T.assert_true(text:find("unknown option '--bogus'; valid options: --out", 1, true), text)
end)

if not FAKE then
  T.test("command-line and setup errors print 'actlab: message' alone, exit 1, write nothing", function()
    local cases = {
      { { "--shard", "3/2" }, "--shard: index must be 0..1 for 2 shards, got '3/2'" },
      { { "--bogus" }, "unknown option '--bogus'; valid options: --out, --dry-run, --missing, " ..
        "--shard, --only, --runs, --retry-failed, --threads, --jobs, --help, --epochs, --fake" },
      { { "--only", "activation=sigmoid" }, "--only activation=sigmoid: no run has activation = " ..
        "sigmoid (values: relu, tanh, leaky_relu, no_such_act)" },
      { { "--runs", "7-9" }, "--runs 7-9: no run 9 in this sweep (valid: 1-8)" },
      { { "--only", "activation=tanh", "--runs", "1" }, "--only activation=tanh --runs 1: each " ..
        "matches some runs, but no run matches them all" },
    }
    for _, c in ipairs(cases) do
      local out = TMP .. "/refused"
      local text, code = T.run(cmd_with(out, "2", c[1], false))
      T.assert_eq({ text, code }, { "actlab: " .. c[2] .. "\n", 1 }, table.concat(c[1], " "))
      T.assert_eq(files.exists(out), false, "nothing written for " .. table.concat(c[1], " "))
    end
    local text, code = T.run(cmd_with("/proc/nope", "2", nil, false))
    T.assert_eq({ text, code },
      { "actlab: cannot create folder /proc/nope/runs: No such file or directory\n", 1 })
    -- a data set that is not there stops the sweep before any run, naming the run
    local script = TMP .. "/needs_data.lua"
    assert(files.write_atomic(script, 'require("actlab.sweep").run{ experiment = "nd", ' ..
      'grid = { { "seed", { 1, 2 } } }, fixed = { dataset = "mnist", hidden = { 4 } } }\n'))
    text, code = T.run("ACTLAB_DATA=/nonexistent " .. T.quote(BIN) .. " " .. T.quote(script) ..
      " --out " .. T.quote(TMP .. "/needs_data"))
    T.assert_eq(code, 1, text)
    T.assert_true(text:find("^actlab: data set 'mnist' for run 1: mnist: /nonexistent/mnist/" ..
      "train%-images%-idx3%-ubyte not found[^\n]*\n$"), text)
  end)
end

-- Starts a command in the background; returns a function that reads its exit code
-- (nil while running) and the process id.
local function background(c, name)
  local pidf, rcf = TMP .. "/" .. name .. ".pid", TMP .. "/" .. name .. ".rc"
  os.remove(pidf); os.remove(rcf)
  os.execute(string.format("(%s >%s 2>&1 & echo $! > %s; wait $!; echo $? > %s) &",
    c, T.quote(TMP .. "/" .. name .. ".log"), T.quote(pidf), T.quote(rcf)))
  local pid
  for _ = 1, 200 do
    local s = files.read(pidf)
    if s and s:match("%d+") then pid = s:match("%d+"); break end
    sleep(0.02)
  end
  assert(pid, "background process did not start")
  return pid, function()
    local s = files.read(rcf)
    return s and tonumber(s:match("%d+")) or nil
  end
end

local function wait_for(pred, seconds)
  for _ = 1, seconds * 50 do
    if pred() then return true end
    sleep(0.02)
  end
  return false
end

T.test("killed with SIGKILL at several moments and resumed: the rows of an uninterrupted run", function()
  local out = TMP .. "/killed"
  local kills = 0
  for _, after in ipairs{ 1, 3, 5 } do
    local pid, rc = background(cmd(out), "kill" .. after)
    wait_for(function() return run_files(out) >= after or rc() ~= nil end, 60)
    if not rc() then
      os.execute("kill -9 " .. pid)
      kills = kills + 1
    end
    T.assert_true(wait_for(function() return rc() ~= nil end, 30), "process ended")
  end
  local text, code = T.run(cmd(out))
  T.assert_eq(code, 0, text)
  T.assert_true(kills >= 1, "at least one kill landed while the sweep ran")
  T.assert_eq(canonical_rows(out .. "/results.csv"), canonical_rows(REF .. "/results.csv"))
end)

-- (plain lua5.4 has no SIGTERM handler: this one needs the program)
if not FAKE then
  T.test("SIGTERM abandons the current run, rebuilds the CSV and exits non-zero with a message", function()
    local out = TMP .. "/termed"
    local pid, rc = background(cmd(out), "term")
    wait_for(function() return run_files(out) >= 2 or rc() ~= nil end, 60)
    local landed = rc() == nil
    os.execute("kill -TERM " .. pid)
    T.assert_true(wait_for(function() return rc() ~= nil end, 30), "process ended")
    if landed then
      T.assert_true(rc() ~= 0, "non-zero exit after SIGTERM")
      local log = files.read(TMP .. "/term.log")
      T.assert_true(log:find("interrupted", 1, true), log)
      -- every run file present is complete; the combined file holds exactly those runs
      local n = run_files(out)
      local rows = read_maps(out .. "/results.csv")
      local ids = {}
      for _, r in ipairs(rows) do ids[r.run_id] = true end
      local count = 0
      for _ in pairs(ids) do count = count + 1 end
      T.assert_eq(count, n)
    end
    local text, code = T.run(cmd(out))
    T.assert_eq(code, 0, text)
    T.assert_eq(canonical_rows(out .. "/results.csv"), canonical_rows(REF .. "/results.csv"))
  end)
end

T.test("--jobs 2 gives the rows of a one-process run", function()
  local out = TMP .. "/jobs"
  local text, code = T.run(cmd(out, { "--jobs", "2" }))
  T.assert_eq(code, 0, text)
  T.assert_eq(canonical_rows(out .. "/results.csv"), canonical_rows(REF .. "/results.csv"))
end)

if not FAKE then
  T.test("by default a sweep runs one process per core with one BLAS thread each", function()
    local jobs = require "actlab.jobs"
    local out = TMP .. "/default"
    local text, code = T.run(cmd_with(out, EPOCHS, nil, false))
    T.assert_eq(code, 0, text)
    local n = math.min(jobs.cores(), 8)
    T.assert_true(text:find(string.format("0 already complete, 8 to run (%d at a time, 1 BLAS " ..
      "thread each)", n), 1, true), text)
    T.assert_eq(canonical_rows(out .. "/results.csv"), canonical_rows(REF .. "/results.csv"))
    for _, r in ipairs(read_maps(out .. "/results.csv")) do
      T.assert_eq(r.blas_threads, "1", "run " .. r.run_index)
    end
  end)

  T.test("--threads N alone, to the sweep or to the program, keeps one process of N threads", function()
    -- REF is complete: nothing runs, the plan is announced all the same
    local text, code = T.run(cmd_with(REF, EPOCHS, nil, "2"))
    T.assert_eq(code, 0, text)
    T.assert_true(text:find("8 already complete, 0 to run (1 at a time, 2 BLAS threads each)",
      1, true), text)
    text, code = T.run(T.quote(BIN) .. " --threads 3 " .. T.quote(FIXTURE) .. " --out " ..
      T.quote(REF) .. " --epochs " .. EPOCHS)
    T.assert_eq(code, 0, text)
    T.assert_true(text:find("(1 at a time, 3 BLAS threads each)", 1, true), text)
  end)

  T.test("status prints the command that reruns runs: the script and its own options", function()
    -- the fixture's failed run 8, from a relative script path given in the source folder
    local out = TMP .. "/status_cmd"
    local rel = "tests/lua/fixtures/tiny_sweep.lua"
    local text, code = T.run("cd " .. T.quote(SRC) .. " && " .. T.quote(BIN) .. " " .. rel ..
      " --out " .. T.quote(out) .. " --epochs 3 --runs 8")
    T.assert_eq(code, 0, text)
    local plan_rows = read_maps(out .. "/plan.csv")
    local abs = (SRC:sub(1, 1) == "/" and SRC or files.cwd() .. "/" .. SRC:gsub("^%./", "")) ..
      "/" .. rel
    T.assert_eq({ plan_rows[1].script, plan_rows[1].script_path, plan_rows[1].script_options },
      { rel, abs, "--epochs 3" })
    local status = T.quote(BIN) .. " status " .. T.quote(out)
    -- from the folder it was run in, the path as given; from elsewhere, the absolute one
    text = T.run("cd " .. T.quote(SRC) .. " && " .. status)
    T.assert_true(text:find("\nfailed runs (once the cause is fixed): rerun them with: actlab " ..
      rel .. " --epochs 3 --out " .. out .. " --runs 8 --retry-failed\n", 1, true), text)
    T.assert_true(text:find("\nmissing runs: rerun them with: actlab " .. rel .. " --epochs 3 " ..
      "--out " .. out .. " --runs 1-7\n", 1, true), text)
    text = T.run("cd / && " .. status)
    T.assert_true(text:find("rerun them with: actlab " .. abs .. " --epochs 3 --out " .. out ..
      " --runs 8 --retry-failed\n", 1, true), text)
  end)
end

T.test("shards into one folder, merged, equal the one-machine run", function()
  local out = TMP .. "/shards"
  for i = 0, 2 do
    local text, code = T.run(cmd(out, { "--shard", i .. "/3" }))
    T.assert_eq(code, 0, text)
    T.assert_true(not files.exists(out .. "/results.csv"), "shards leave the combined file alone")
  end
  T.assert_eq(merge.merge(out .. "/results.csv", { out }), 8)
  T.assert_eq(canonical_rows(out .. "/results.csv"), canonical_rows(REF .. "/results.csv"))
end)

T.test("merging two folders holding the same runs keeps one copy of each", function()
  local m = TMP .. "/both.csv"
  T.assert_eq(merge.merge(m, { REF, TMP .. "/shards", TMP .. "/jobs/results.csv" }), 8)
  T.assert_eq(canonical_rows(m), canonical_rows(REF .. "/results.csv"))
end)

if not FAKE then
  T.test("actlab merge from the command line", function()
    local m = TMP .. "/cli/results.csv"
    assert(files.mkdir_p(TMP .. "/cli"))
    local text, code = T.run(T.quote(BIN) .. " merge " .. T.quote(m) .. " " .. T.quote(REF))
    T.assert_eq(code, 0, text)
    T.assert_true(text:find("8 runs written", 1, true), text)
    T.assert_eq(files.read(m), files.read(REF .. "/results.csv"))
    text, code = T.run(T.quote(BIN) .. " merge " .. T.quote(m))
    T.assert_eq(code, 2, text)
    T.assert_true(text:find("usage: actlab merge OUT.csv IN...", 1, true), text)
  end)
end

T.done()
