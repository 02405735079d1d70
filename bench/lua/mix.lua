-- A mixed read load for the memory run: each request is, at random, a product by id, a
-- product page at a random offset or filtered by a random search, a post page signed in as
-- one of TOKENS_FILE's users, or a post's comments. Many users and many distinct filters keep
-- every cache (sessions, list totals) at its bound, so growth past it would show.
local ids, posts, tokens = {}, {}, {}
local function lines(path, into)
  for l in io.lines(path) do if #l > 0 then into[#into + 1] = l end end
end
lines(os.getenv("IDS_FILE"), ids)
lines(os.getenv("POSTS_FILE"), posts)
lines(os.getenv("TOKENS_FILE"), tokens)
math.randomseed(os.time())
request = function()
  local pick = math.random(5)
  if pick == 1 then
    return wrk.format("GET", "/api/v1/products/" .. ids[math.random(#ids)])
  elseif pick == 2 then
    return wrk.format("GET", "/api/v1/products?limit=20&offset=" .. math.random(0, 9980))
  elseif pick == 3 then
    return wrk.format("GET", "/api/v1/products?in_stock=true&limit=20&q=" .. math.random(0, 9999))
  elseif pick == 4 then
    return wrk.format("GET", "/api/v1/posts?limit=20&offset=" .. math.random(0, 840),
      { ["Authorization"] = "Bearer " .. tokens[math.random(#tokens)] })
  end
  return wrk.format("GET", "/api/v1/posts/" .. posts[math.random(#posts)] .. "/comments?limit=20")
end
