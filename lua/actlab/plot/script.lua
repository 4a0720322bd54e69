-- gnuplot script text: quoting, datablocks, line colours, the PNG or SVG terminal, and the
-- whole script around a picture's body.
local common = require "actlab.plot.common"

local M = {}

-- A Lua value → gnuplot double-quoted string (backslash escapes; newlines as \n).
function M.q(s)
  local escaped = tostring(s):gsub('[\\"\n]', { ["\\"] = "\\\\", ['"'] = '\\"', ["\n"] = "\\n" })
  return '"' .. escaped .. '"'
end

-- A plot clause's key entry: `title "…"`, or notitle when title is nil.
function M.key_entry(title)
  return title and "title " .. M.q(title) or "notitle"
end

-- Datablock text: `$name << EOD`, the blocks separated by two blank lines (gnuplot's
-- `index`), each row's values space-separated, optional `# comment` line opening a block.
function M.datablock(name, blocks)
  local out = { "$" .. name .. " << EOD\n" }
  for b, block in ipairs(blocks) do
    if b > 1 then out[#out + 1] = "\n\n" end
    if block.comment then out[#out + 1] = "# " .. block.comment:gsub("\n", " ") .. "\n" end
    for _, row in ipairs(block) do
      local cells = {}
      for i, v in ipairs(row) do cells[i] = type(v) == "number" and common.fmt_num(v) or tostring(v) end
      out[#out + 1] = table.concat(cells, " ") .. "\n"
    end
  end
  out[#out + 1] = "EOD\n"
  return table.concat(out)
end

-- Output format from the file name: .svg is SVG; .png or no extension is PNG.
function M.format_of(out)
  local ext = out:match("%.([^./]*)$")
  ext = ext and ext:lower()
  if ext == "svg" then return "svg" end
  if ext == nil or ext == "png" then return "png" end
  common.fail("cannot write '%s': a .png or .svg file name expected, got .%s", out, ext)
end

-- Line colours (Tableau 10: tell-apart-able, none too pale on white); past ten series the
-- colours repeat with dashes.
local COLOURS = { "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
                  "#e377c2", "#7f7f7f", "#bcbd22", "#17becf" }
local POINTS = { 7, 5, 9, 11, 13, 15, 6, 4, 8, 10 }

local function style(i)
  local k = (i - 1) % #COLOURS + 1
  local dash = (i - 1) // #COLOURS + 1
  return string.format("lc rgb %s dt %d pt %d", M.q(COLOURS[k]), dash, POINTS[k])
end

-- Line types 1..n (at least one) in the colours above, drawn 2 wide.
function M.linetypes(n)
  local lines = {}
  for i = 1, math.max(n, 1) do lines[i] = string.format("set linetype %d lw 2 %s", i, style(i)) end
  return table.concat(lines, "\n")
end

-- Grid, border and tics of the pictures of series.
M.COMMON = table.concat({
  "set grid lc rgb '#dddddd' lw 1",
  "set border lw 1",
  "set tics out nomirror",
}, "\n")

-- Font size scales with the picture so text stays readable at a glance.
function M.font_size(w, h, fmt)
  fmt = fmt or "png"
  local s = math.max(11, math.min(18, math.floor(math.min(w, h * 1.5) / 80)))
  if fmt == "svg" then s = s + 1 end
  return s
end

-- The whole script: terminal and output lines (to out .. ".tmp", see gnuplot.render), the
-- body, then closing the output. opts.font_size overrides the size-derived font.
function M.script(out, body, width, height, opts)
  opts = opts or {}
  local fmt = M.format_of(out)
  local fs = opts.font_size or M.font_size(width, height, fmt)
  local term = string.format("set terminal %s size %d,%d noenhanced font 'DejaVu Sans,%d' "
    .. "linewidth 1.5 background '#ffffff'", fmt == "svg" and "svg" or "pngcairo", width, height, fs)
  return table.concat({
    "set encoding utf8",
    term,
    "set output " .. M.q(out .. ".tmp"),
    body,
    "unset multiplot",
    "unset output",
    "",
  }, "\n")
end

-- The script for out from what a picture's builder returns (body, width, height, notes,
-- font size), opts.font_size first; returns the script and the notes.
function M.of_build(out, opts, body, w, h, notes, fs)
  return M.script(out, body, w, h, { font_size = opts.font_size or fs }), notes
end

return M
