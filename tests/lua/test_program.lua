-- The actlab program ($ACTLAB_BIN): options, the arg table, error reports and exit
-- statuses, --threads validation, subcommand dispatch and signals.
local T = dofile((os.getenv("ACTLAB_SOURCE_DIR") or ".") .. "/tests/lua/testlib.lua")
local q = T.quote

local bin = os.getenv("ACTLAB_BIN")
if not bin or bin == "" then T.skip("ACTLAB_BIN is not set") end
local tmp = T.tmpdir() .. "/program"
os.execute("mkdir -p " .. q(tmp))

local function write(name, text) return T.write(tmp .. "/" .. name, text) end

-- Runs the program with a shell-ready argument string; returns output and status.
local function actlab(args, env)
  return T.run((env or "") .. " " .. q(bin) .. " " .. args)
end

T.test("--version names actlab, its commit, Lua and OpenBLAS", function()
  local out, code = actlab("--version")
  T.assert_eq(code, 0)
  T.assert_true(out:match("^actlab 0%.1%.0 %(commit [^)]+%), Lua 5%.4%.%d+, OpenBLAS %d+%.%d+%.%d+.*\n$"),
    "version line: " .. out)
  T.assert_eq(select(1, actlab("-v")), out)
end)

T.test("--help prints the usage and exits 0", function()
  local out, code = actlab("--help")
  T.assert_eq(code, 0)
  T.assert_true(out:find("usage: actlab [options] [script [args...]]", 1, true), out)
  T.assert_true(out:find("--threads N", 1, true), out)
end)

T.test("an unknown option is an error with the usage", function()
  local out, code = actlab("--frobnicate")
  T.assert_eq(code, 1)
  T.assert_true(out:find("actlab: unrecognized option '--frobnicate'\nusage:", 1, true), out)
end)

T.test("-e runs code with the module preloaded as the global actlab", function()
  local out, code = actlab("-e " .. q("print(1 + 1, type(actlab), actlab.version)"))
  T.assert_eq(code, 0)
  T.assert_eq(out, "2\ttable\t0.1.0\n")
  out = actlab("-e 'x = 6' -e 'print(x * 7)'")
  T.assert_eq(out, "42\n")
end)

T.test("a script gets arg and ... like lua.c", function()
  local s = write("args.lua", [[
print(#arg, arg[0]:match("[^/]*$"), arg[1], arg[2], arg[-1], select("#", ...), ...)
print(arg[-2] == nil and "no option" or arg[-2])
]])
  local out, code = actlab(q(s) .. " one 'two words'")
  T.assert_eq(code, 0)
  T.assert_eq(out, "2\targs.lua\tone\ttwo words\t" .. bin .. "\t2\tone\ttwo words\nno option\n")
  out = actlab("--threads 1 " .. q(s) .. " x")
  T.assert_eq(out, "1\targs.lua\tx\tnil\t1\t1\tx\n--threads\n")
end)

T.test("a runtime error reports actlab: file:line: message, a traceback, status 1", function()
  write("boom.lua", "local x = 1\n\nerror('boom')\n")
  -- A relative name: Lua shortens long chunk names to "...tail", which would make
  -- the expected text depend on where the build lives.
  local out, code = actlab("boom.lua", "cd " .. q(tmp) .. " &&")
  T.assert_eq(code, 1)
  T.assert_true(out:find("^actlab: boom%.lua:3: boom\nstack traceback:\n"), out)
end)

T.test("a syntax error reports the file and line, status 1", function()
  write("syntax.lua", "x = 1\ny = = 2\n")
  local out, code = actlab("syntax.lua", "cd " .. q(tmp) .. " &&")
  T.assert_eq(code, 1)
  T.assert_true(out:find("^actlab: syntax%.lua:2: unexpected symbol near '='"), out)
end)

T.test("a binding error keeps lauxlib's form through the program", function()
  local out, code = actlab("-e " .. q("actlab.matrix(0, 1)"))
  T.assert_eq(code, 1)
  T.assert_true(out:find("^actlab: %(command line%):1: bad argument #1 to 'matrix' " ..
    "%(positive integer expected, got 0%)\nstack traceback:\n"), out)
end)

T.test("an error in -e names the command line, status 1", function()
  local out, code = actlab("-e 'error(\"bad\")'")
  T.assert_eq(code, 1)
  T.assert_true(out:find("^actlab: %(command line%):1: bad\n"), out)
end)

T.test("a missing script is an error, status 1", function()
  local out, code = actlab(q(tmp .. "/nope.lua"))
  T.assert_eq(code, 1)
  T.assert_true(out:find("^actlab: cannot open " .. (tmp .. "/nope.lua"):gsub("%p", "%%%0")), out)
end)

T.test("a non-string error object is described", function()
  local out, code = actlab("-e 'error({})'")
  T.assert_eq(code, 1)
  T.assert_true(out:find("^actlab: %(error object is a table value%)"), out)
end)

T.test("standard input runs as a script when it is not a terminal, and with -", function()
  local out, code = T.run("echo 'print(\"from stdin\", ...)' | " .. q(bin))
  T.assert_eq(code, 0)
  T.assert_eq(out, "from stdin\n")
  out = T.run("echo 'print(\"dash\", ...)' | " .. q(bin) .. " - a b")
  T.assert_eq(out, "dash\ta\tb\n")
end)

T.test("-i runs the script and then reads lines from a pipe", function()
  local s = write("pre.lua", "y = 21\n")
  local out, code = T.run("printf 'y * 2\\n' | " .. q(bin) .. " -i " .. q(s))
  T.assert_eq(code, 0)
  T.assert_eq(out, "42\n")
end)

T.test("--threads accepts a positive integer", function()
  local out, code = actlab("--threads 1 -e 'print(1)'")
  T.assert_eq({out, code}, {"1\n", 0})
  out, code = actlab("--threads=2 -e 'print(2)'")
  T.assert_eq({out, code}, {"2\n", 0})
end)

T.test("--threads rejects anything but a positive integer", function()
  for _, bad in ipairs({"0", "-3", "x", "2.5", "4x", "99999999999999999999", ""}) do
    local out, code = actlab("--threads " .. q(bad) .. " -e 'print(1)'")
    T.assert_eq({out, code}, {"actlab: --threads expects a positive integer, got '" .. bad .. "'\n", 1}, bad)
  end
  local out, code = actlab("--threads")
  T.assert_eq({out, code}, {"actlab: --threads expects a positive integer, got ''\n", 1})
end)

-- A fake command module, found first through $ACTLAB_LUA_PATH.
write("plot", "print('the script named plot', ...)\n")
os.execute("mkdir -p " .. q(tmp .. "/lib/actlab/cmd") .. " " .. q(tmp .. "/empty"))
write("lib/actlab/cmd/plot.lua", [[
return { main = function(args)
  print("plot main", #args, args[1], args[2])
  return tonumber(args[1]) or 0
end }
]])
write("lib/actlab/cmd/status.lua", "return {}\n")
local libenv = "ACTLAB_LUA_PATH=" .. q(tmp .. "/lib")

T.test("a subcommand runs require('actlab.cmd.<name>').main(args) and exits with its status", function()
  local out, code = actlab("plot 3 'b c'", libenv)
  T.assert_eq({out, code}, {"plot main\t2\t3\tb c\n", 3})
  out, code = actlab("plot", libenv)
  T.assert_eq({out, code}, {"plot main\t0\tnil\tnil\n", 0})
end)

T.test("a file named like a subcommand runs as a script", function()
  local out, code = T.run("cd " .. q(tmp) .. " && " .. libenv .. " " .. q(bin) .. " plot x")
  T.assert_eq({out, code}, {"the script named plot\tx\n", 0})
end)

T.test("a subcommand module without main is a clear error", function()
  local out, code = actlab("status", libenv)
  T.assert_eq(code, 1)
  T.assert_true(out:find("^actlab: module 'actlab.cmd.status' has no function 'main'"), out)
end)

T.test("a subcommand whose module is missing says so", function()
  -- With an empty library directory only an installed copy could provide the module.
  local env = "ACTLAB_LUA_DIR=" .. q(tmp .. "/empty")
  local path = T.run("cd " .. q(tmp .. "/empty") .. " && " .. env .. " " .. q(bin) ..
    " -e 'io.write(package.path)'")
  if package.searchpath("actlab.cmd.merge", path) then
    print("      (actlab.cmd.merge is installed: message not checked)")
    return
  end
  local out, code = T.run("cd " .. q(tmp .. "/empty") .. " && " .. env .. " " .. q(bin) .. " merge")
  T.assert_eq({out, code},
    {"actlab: command 'merge' is not available (no module actlab.cmd.merge on package.path)\n", 1})
end)

-- Runs a script that calls started() when it is ready for the signal, sends it the
-- signal then (a second after it started for a train), and returns output and status.
local function interrupt(sig, body, delay)
  local flag = tmp .. "/started-" .. sig
  os.remove(flag)
  local s = write("loop.lua", "local function started() io.open(arg[1], 'w'):close() end\n" .. body)
  return T.run(string.format(
    "timeout -s KILL 30 %s %s %s & pid=$!; i=0; " ..
    "while [ ! -e %s ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; " ..
    "sleep %s; kill -%s $pid; wait $pid", q(bin), q(s), q(flag), q(flag), delay or 0, sig))
end

T.test("Ctrl-C ends a script with 'actlab: interrupted' and status 130", function()
  local out, code = interrupt("INT", "started()\nwhile true do end\n")
  T.assert_eq({out, code}, {"actlab: interrupted\n", 130})
end)

T.test("SIGTERM ends a script with 'actlab: terminated' and status 143", function()
  local out, code = interrupt("TERM", "started()\nwhile true do end\n")
  T.assert_eq({out, code}, {"actlab: terminated\n", 143})
end)

T.test("a script that catches the interrupt sees actlab.interrupted()", function()
  local out, code = interrupt("INT", [[
print(actlab.interrupted())
started()
local ok, err = pcall(function() while true do end end)
print(ok, err, actlab.interrupted())
]])
  T.assert_eq({out, code}, {"false\nfalse\tinterrupted!\ttrue\nactlab: interrupted\n", 130})
end)

T.test("Ctrl-C stops a training loop running in C", function()
  -- 100000 epochs take far longer than the 30 s the test allows; the signal comes
  -- 0.3 s into the one call to train, and the trainer polls the flag per batch.
  local out, code = interrupt("INT", [[
local x = actlab.matrix.random(500, 20, {seed = 1})
local y = {}
for i = 1, 500 do y[i] = i % 3 end
local net = actlab.mlp{inputs = 20, hidden = {50}, outputs = 3, activation = "relu",
                       output = "softmax"}
local data = actlab.data{x = x, y = y, classes = 3}
started()
actlab.train(net, data, {lr = 0.01, batch = 10, epochs = 100000})
print("training ended")
]], 0.3)
  T.assert_eq({out, code}, {"actlab: interrupted\n", 130})
end)

T.done()
