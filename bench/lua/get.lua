-- GET PREFIX .. <random line of IDS_FILE, or a random number in MIN_N..MAX_N> .. SUFFIX,
-- with a bearer token from TOKEN_FILE when set; neither set: PREFIX alone. DELAY_MS paces
-- each connection (a pause before each request). ENCODING sets Accept-Encoding (a compressed
-- answer; unset, none is asked for).
local prefix, suffix = os.getenv("PREFIX") or "/", os.getenv("SUFFIX") or ""
local lo, hi = tonumber(os.getenv("MIN_N") or "0"), tonumber(os.getenv("MAX_N") or "0")
local numbered = os.getenv("MAX_N") ~= nil
local pause = tonumber(os.getenv("DELAY_MS") or "")
local ids, headers = {}, {}
local ids_file = os.getenv("IDS_FILE")
if ids_file then for line in io.lines(ids_file) do if #line > 0 then ids[#ids + 1] = line end end end
local token_file = os.getenv("TOKEN_FILE")
if token_file then
  local f = io.open(token_file); headers["Authorization"] = "Bearer " .. f:read("*l"); f:close()
end
local encoding = os.getenv("ENCODING")
if encoding then headers["Accept-Encoding"] = encoding end
math.randomseed(os.time())
request = function()
  local part = ""
  if #ids > 0 then part = ids[math.random(#ids)] elseif numbered then part = tostring(math.random(lo, hi)) end
  return wrk.format("GET", prefix .. part .. suffix, headers)
end
if pause then delay = function() return pause end end
