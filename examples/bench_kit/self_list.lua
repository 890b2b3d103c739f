-- wrk script: GET /api/task/self?p=1&page_size=20 as every seeded user in
-- turn, each request with that user's own access token and New-Api-User
-- header, as `bench_lists` sends them. BENCHMARKS.md, "Lists under
-- sustained load (issue 15 item 4)", has the commands.
--
--   TOKENS=/tmp/selflist/tasks.db.tokens.json \
--     wrk -t2 -c8 -d20s -s examples/bench_kit/self_list.lua http://127.0.0.1:3000
--
-- TOKENS is the file `seed_tasks` writes next to its database
-- (`<db>.tokens.json`); root is left out, as in `bench_lists`. Any answer
-- other than 2xx or 3xx counts in wrk's "Non-2xx or 3xx responses" line
-- (no `response` callback: it would make wrk parse every body).

local path = "/api/task/self?p=1&page_size=20"
local requests = {}
local counter = 0
local thread_no = 0

-- The users of the tokens file: every object of its "users" array with a
-- numeric "id" and a string "token", in file order.
local function users_of(file)
  local f = assert(io.open(file, "r"), "cannot open TOKENS file " .. file)
  local text = f:read("*a")
  f:close()
  local list = text:match('"users"%s*:%s*(%b[])')
  assert(list, "no users array in " .. file)
  local users = {}
  for object in list:gmatch("%b{}") do
    local id = object:match('"id"%s*:%s*(%d+)')
    local token = object:match('"token"%s*:%s*"([^"]+)"')
    if id and token then
      users[#users + 1] = { id = id, token = token }
    end
  end
  assert(#users > 0, "no users with id and token in " .. file)
  return users
end

local threads = {}

function setup(thread)
  thread:set("thread_no", #threads)
  threads[#threads + 1] = thread
end

function init(args)
  local file = os.getenv("TOKENS") or "/tmp/selflist/tasks.db.tokens.json"
  for i, u in ipairs(users_of(file)) do
    requests[i] = wrk.format("GET", path, {
      ["Authorization"] = "Bearer " .. u.token,
      ["New-Api-User"] = u.id,
    })
  end
  -- Threads start at different users so they do not move in lockstep.
  counter = thread_no * 7919
end

function request()
  counter = counter + 1
  return requests[counter % #requests + 1]
end

function done(summary, latency, requests)
  io.write(string.format("p50 %.2f ms, p90 %.2f ms, p99 %.2f ms\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000))
end
