-- The table printed at the end of a sweep: per configuration (seed left out), the final
-- test accuracy as mean ± standard deviation over seeds, and the final dead-unit
-- fraction of the hidden layers where it was measured.
local M = {}

-- Mean and sample standard deviation (nil for fewer than two values).
function M.mean_sd(xs)
  local n = #xs
  if n == 0 then return nil, nil end
  local s = 0
  for _, x in ipairs(xs) do s = s + x end
  local mean = s / n
  if n < 2 then return mean, nil end
  local q = 0
  for _, x in ipairs(xs) do q = q + (x - mean) ^ 2 end
  return mean, math.sqrt(q / (n - 1))
end

-- Configuration columns whose values differ between runs (the sweep's axes), seed excluded.
function M.varying(runs, skip)
  local all, keys, out = {}, {}, {}
  for _, r in ipairs(runs) do
    for k in pairs(r.columns) do all[k] = true end
  end
  for k in pairs(all) do
    local first = (runs[1].columns[k] or "")
    for _, r in ipairs(runs) do
      if (r.columns[k] or "") ~= first then keys[k] = true; break end
    end
  end
  for k in pairs(keys) do
    if not (skip and skip[k]) then out[#out + 1] = k end
  end
  -- the order of the results schema first, then the others by name
  local order = { dataset = 1, activation = 2, act_params = 3, gamma = 4, hidden = 5, depth = 6,
    init = 7, lr = 8, batch = 9, momentum = 10, epochs = 11, train_n = 12 }
  table.sort(out, function(a, b)
    local oa, ob = order[a] or 100, order[b] or 100
    if oa ~= ob then return oa < ob end
    return a < b
  end)
  return out
end

-- The varying columns that name a configuration (skip: a set of columns to leave out);
-- act_params is left out when the other columns already determine it (as gamma does).
function M.display_keys(runs, skip)
  local keys = M.varying(runs, skip)
  local ap
  for i, k in ipairs(keys) do if k == "act_params" then ap = i end end
  if ap then
    local seen, redundant = {}, true
    for _, r in ipairs(runs) do
      local vals = {}
      for _, k in ipairs(keys) do if k ~= "act_params" then vals[#vals + 1] = r.columns[k] or "" end end
      local key = table.concat(vals, "\0")
      local p = r.columns.act_params or ""
      if seen[key] and seen[key] ~= p then redundant = false end
      seen[key] = p
    end
    if redundant then table.remove(keys, ap) end
  end
  return keys
end

-- Rows of the summary: runs is the plan (with .columns), results maps run id → the
-- run's state from runfiles.read_run, show (optional) the columns to group by.
-- Returns keys (the varying columns) and groups
-- {values=, n=, ok=, diverged=, error=, missing=, mean=, sd=, dead=}.
function M.groups(runs, results, show)
  local keys = M.display_keys(runs, { seed = true })
  if show then
    keys = {}
    for _, k in ipairs(show) do if k ~= "seed" then keys[#keys + 1] = k end end
  end
  local groups, by_key = {}, {}
  for _, r in ipairs(runs) do
    local vals = {}
    for i, k in ipairs(keys) do vals[i] = r.columns[k] or "" end
    local key = table.concat(vals, "\0")
    local g = by_key[key]
    if not g then
      g = { values = vals, accs = {}, deads = {}, n = 0, ok = 0, diverged = 0, error = 0, missing = 0 }
      by_key[key] = g
      groups[#groups + 1] = g
    end
    g.n = g.n + 1
    local res = results[r.id]
    if not res or res.state ~= "done" then
      g.missing = g.missing + 1
    else
      local last = res.rows[#res.rows]
      if res.status == "ok" then
        g.ok = g.ok + 1
        local acc = tonumber(last.test_acc)
        if acc then g.accs[#g.accs + 1] = acc end
        -- dead fraction of the hidden layers at the last evaluation
        local lr, sum, cnt = res.layer_rows or {}, 0, 0
        local last_epoch, top = last.epoch, 0
        for _, l in ipairs(lr) do top = math.max(top, tonumber(l.layer) or 0) end
        for _, l in ipairs(lr) do
          local d = tonumber(l.dead)
          if l.epoch == last_epoch and d and (tonumber(l.layer) or 0) < top then
            sum, cnt = sum + d, cnt + 1
          end
        end
        if cnt > 0 then g.deads[#g.deads + 1] = sum / cnt end
      elseif res.status == "diverged" then
        g.diverged = g.diverged + 1
      else
        g.error = g.error + 1
      end
    end
  end
  for _, g in ipairs(groups) do
    g.mean, g.sd = M.mean_sd(g.accs)
    g.dead = M.mean_sd(g.deads)
  end
  return keys, groups
end

-- A function giving a run's label, "dataset=mnist gamma=0.01 seed=1": the columns keys,
-- plus seed when it varies over runs, so that runs differing only by seed differ.
function M.labeller(runs, keys)
  keys = {table.unpack(keys)} -- the caller's list stays as it was
  local has_seed = false
  for _, k in ipairs(keys) do if k == "seed" then has_seed = true end end
  if not has_seed then
    for _, r in ipairs(runs) do
      if r.columns.seed ~= runs[1].columns.seed then keys[#keys + 1] = "seed"; break end
    end
  end
  return function(run)
    local parts = {}
    for _, k in ipairs(keys) do parts[#parts + 1] = k .. "=" .. (run.columns[k] or "") end
    return table.concat(parts, " ")
  end
end

-- Text of the table, columns aligned.
function M.format(keys, groups)
  local header = {}
  for i, k in ipairs(keys) do header[i] = k end
  local has_dead = false
  for _, g in ipairs(groups) do if g.dead then has_dead = true end end
  for _, c in ipairs{ "runs", "test_acc (mean ± sd)" } do header[#header + 1] = c end
  if has_dead then header[#header + 1] = "dead" end
  header[#header + 1] = "notes"
  local lines = { header }
  for _, g in ipairs(groups) do
    local row = {}
    for i, v in ipairs(g.values) do row[i] = v end
    row[#row + 1] = string.format("%d/%d", g.ok, g.n)
    if g.mean then
      row[#row + 1] = g.sd and string.format("%.4f ± %.4f", g.mean, g.sd)
        or string.format("%.4f", g.mean)
    else
      row[#row + 1] = "-"
    end
    if has_dead then row[#row + 1] = g.dead and string.format("%.3f", g.dead) or "-" end
    local notes = {}
    if g.diverged > 0 then notes[#notes + 1] = g.diverged .. " diverged" end
    if g.error > 0 then notes[#notes + 1] = g.error .. " error" end
    if g.missing > 0 then notes[#notes + 1] = g.missing .. " not run" end
    row[#row + 1] = table.concat(notes, ", ")
    lines[#lines + 1] = row
  end
  local width = {}
  for _, row in ipairs(lines) do
    for i, v in ipairs(row) do
      width[i] = math.max(width[i] or 0, utf8.len(v) or #v)
    end
  end
  local out = {}
  for _, row in ipairs(lines) do
    local cells = {}
    for i, v in ipairs(row) do
      cells[i] = v .. string.rep(" ", width[i] - (utf8.len(v) or #v))
    end
    out[#out + 1] = (table.concat(cells, "  "):gsub("%s+$", ""))
  end
  return table.concat(out, "\n") .. "\n"
end

return M
