-- Writes, chosen by MODE:
--   stock  POST /products/{id}/stock, a delta of -3..3 (not 0) on the first HOT ids of IDS_FILE
--   vote   POST /votes, each of the TOKENS_FILE users voting and unvoting one post in turn
--   post   POST /posts
--   login  POST /auth/login (OAuth2 form) as bench1@example.com
-- 409 (stock below zero, already voted) and 404 (no vote to remove) are answers, not faults.
-- KEY (stock only): "fresh" sends a new Idempotency-Key with each request; "replay" sends one
-- key per hot product with a fixed body, so after the first each is answered from the kept one.
local mode = os.getenv("MODE")
local ids, tokens = {}, {}
local function lines(path, into)
  if path then for l in io.lines(path) do if #l > 0 then into[#into + 1] = l end end end
end
lines(os.getenv("IDS_FILE"), ids)
lines(os.getenv("TOKENS_FILE"), tokens)
local hot = math.min(tonumber(os.getenv("HOT") or "10"), #ids)
local n = 0
-- wrk numbers its threads here, so each thread votes on a post of its own.
local threads = 0
function setup(thread) threads = threads + 1; thread:set("tid", threads) end
math.randomseed(os.time())
local function auth(token)
  return { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }
end
local key = os.getenv("KEY")
local run = tostring(os.time())
request = function()
  n = n + 1
  if mode == "stock" then
    local which = math.random(hot)
    local delta = math.random(1, 3) * (math.random(2) == 1 and 1 or -1)
    local headers = auth(tokens[1])
    if key == "fresh" then
      headers["Idempotency-Key"] = "bench-" .. run .. "-" .. (tid or 0) .. "-" .. n
    elseif key == "replay" then
      headers["Idempotency-Key"] = "bench-replay-" .. run .. "-" .. which
      delta = 1
    end
    return wrk.format("POST", "/api/v1/products/" .. ids[which] .. "/stock",
      headers, '{"delta":' .. delta .. ',"reason":"bench"}')
  elseif mode == "vote" then
    local who = (n - 1) % #tokens + 1
    local dir = (math.floor((n - 1) / #tokens) % 2 == 0) and 1 or 0
    return wrk.format("POST", "/api/v1/votes", auth(tokens[who]),
      '{"post_id":"' .. ids[(tid or 1)] .. '","dir":' .. dir .. '}')
  elseif mode == "post" then
    return wrk.format("POST", "/api/v1/posts", auth(tokens[(n - 1) % #tokens + 1]),
      '{"title":"Bench post ' .. n .. '","content":"Written under load.","published":true}')
  else
    return wrk.format("POST", "/api/v1/auth/login",
      { ["Content-Type"] = "application/x-www-form-urlencoded" },
      "username=bench1%40example.com&password=password123")
  end
end
