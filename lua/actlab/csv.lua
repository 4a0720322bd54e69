-- RFC 4180 CSV: a writer (fields quoted only when they must be, CRLF line ends, numbers in
-- their shortest exact form, NaN/Inf/nil as empty fields) and a strict reader that names
-- the line where a file stops being valid CSV instead of silently dropping its tail.
local M = {}

-- Shortest decimal form that reads back as the same double: 0.05 stays "0.05", not
-- "0.050000000000000003", yet nothing is lost. Integers print as integers.
function M.number(x)
  if math.type(x) == "integer" then return string.format("%d", x) end
  if x ~= x or x == math.huge or x == -math.huge then return "" end
  for _, fmt in ipairs{"%.15g", "%.16g", "%.17g"} do
    local s = string.format(fmt, x)
    if tonumber(s) == x then return s end
  end
  return string.format("%.17g", x)
end

-- One field as text: quoted when it holds a comma, a quote, CR or LF (quotes doubled).
function M.field(v)
  local t = type(v)
  if v == nil then return "" end
  if t == "number" then return M.number(v) end
  if t == "boolean" then return v and "true" or "false" end
  if t ~= "string" then error("csv field: string, number or boolean expected, got " .. t, 2) end
  if v:find('[,"\r\n]') then return '"' .. v:gsub('"', '""') .. '"' end
  return v
end

-- One record (a list of values, n of them; nils allowed) with its CRLF.
function M.record(values, n)
  local out = {}
  for i = 1, n or #values do out[i] = M.field(values[i]) end
  return table.concat(out, ",") .. "\r\n"
end

-- A whole file's text: header (list of names), then rows given either as lists or as
-- tables keyed by column name (missing keys are empty fields).
function M.format(header, rows)
  local n = #header
  local parts = { M.record(header, n) }
  for i, row in ipairs(rows) do
    if row[1] == nil and next(row) ~= nil then
      local vals = {}
      for j = 1, n do vals[j] = row[header[j]] end
      parts[i + 1] = M.record(vals, n)
    else
      parts[i + 1] = M.record(row, n)
    end
  end
  return table.concat(parts)
end

-- Parses CSV text. Every record must have as many fields as the first (the header).
-- Returns header, rows (lists of strings). On invalid text returns nil, message
-- ("source:line: what"), and a table {line=, offset=, header=, rows=} with the records
-- read before the fault and the byte offset where the fault's record starts, so a
-- caller can keep the good part and set the broken tail aside.
function M.parse(text, source)
  source = source or "csv"
  local pos, line, len = 1, 1, #text
  local records = {}
  local width

  local function fail(msg, start_pos, start_line)
    local header = records[1]
    local rows = {}
    for i = 2, #records do rows[#rows + 1] = records[i] end
    return nil, string.format("%s:%d: %s", source, start_line, msg),
      { line = start_line, offset = start_pos, header = header, rows = rows }
  end

  while pos <= len do
    local rec_pos, rec_line = pos, line
    local fields = {}
    while true do
      local c = text:sub(pos, pos)
      if c == '"' then
        local buf, p = {}, pos + 1
        local qline = line
        while true do
          local q = text:find('"', p, true)
          if not q then
            return fail("quoted field opened here is never closed", rec_pos, qline)
          end
          local chunk = text:sub(p, q - 1)
          buf[#buf + 1] = chunk
          for _ in chunk:gmatch("\n") do line = line + 1 end
          if text:sub(q + 1, q + 1) == '"' then
            buf[#buf + 1] = '"'
            p = q + 2
          else
            pos = q + 1
            break
          end
        end
        fields[#fields + 1] = table.concat(buf)
        local after = text:sub(pos, pos)
        if after ~= "," and after ~= "\r" and after ~= "\n" and after ~= "" then
          return fail("unexpected character after a closing quote", rec_pos, line)
        end
      else
        local e = text:find('[,\r\n"]', pos) or len + 1
        if text:sub(e, e) == '"' then
          return fail("quote inside an unquoted field", rec_pos, line)
        end
        fields[#fields + 1] = text:sub(pos, e - 1)
        pos = e
      end
      local sep = text:sub(pos, pos)
      if sep == "," then
        pos = pos + 1
      elseif sep == "\r" then
        if text:sub(pos + 1, pos + 1) ~= "\n" then
          return fail("carriage return not followed by a line feed", rec_pos, line)
        end
        pos, line = pos + 2, line + 1
        break
      elseif sep == "\n" then
        pos, line = pos + 1, line + 1
        break
      else -- end of text: the last record may lack its line break
        break
      end
    end
    width = width or #fields
    if #fields ~= width then
      return fail(string.format("%d fields, expected %d as in the header", #fields, width),
        rec_pos, rec_line)
    end
    records[#records + 1] = fields
  end
  if #records == 0 then return nil, source .. ":1: empty file (no header)", {line = 1, offset = 1, rows = {}} end
  local header = table.remove(records, 1)
  return header, records
end

-- Rows (lists) turned into tables keyed by the header's names.
function M.as_maps(header, rows)
  local out = {}
  for i, r in ipairs(rows) do
    local m = {}
    for j, name in ipairs(header) do m[name] = r[j] end
    out[i] = m
  end
  return out
end

-- Reads and parses a file: header, rows; or nil, message, fault (see parse). A missing or
-- unreadable file gives nil and the system's message.
function M.read(path)
  -- Not files.read: this module requires nothing, so the CSV fuzz target
  -- (tests/fuzz/fuzz_csv.c) can load it alone.
  local f, err = io.open(path, "rb")
  if not f then return nil, err end
  local text = f:read("a")
  f:close()
  return M.parse(text, path)
end

return M
