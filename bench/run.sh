#!/usr/bin/env bash
# make bench: the release binary on PostgreSQL and on SQLite, seeded through its own API,
# every scenario driven by wrk over loopback, the database's own limits measured in the same
# run (pgbench -S, and pgbench -f on the very SQL each list and write endpoint issued),
# resident memory sampled (and watched over a long mixed load), and a report written to
# bench/results/ (report.md, results.json, chart.svg).
# It stops by itself and never fails on a timing: targets are reported, not enforced.
#
# Env: DUR (5s per scenario), CONC (32), BACKENDS ("postgres sqlite"),
#      PG (postgres://postgres@127.0.0.1:5432), SCALES (product rows for the cost-growth run
#      on PostgreSQL, "100000 1000000"; empty skips it), PORT (8300), OUT (bench/results),
#      PG_LOG (the server's log file, read to capture each list's SQL; Debian's by default),
#      MEM_SECS (300: the mixed load whose memory is watched, on PostgreSQL; 0 skips it),
#      LOGIN_DUR (20s: the login scenario, whose requests take half a second each),
#      REPEAT (3: each scenario, and each pgbench limit, runs this many times and the report
#      gives the median; one run on this shared machine moves by a quarter either way),
#      BIN (a release binary to measure, e.g. a copy of an earlier build; default: build one).
set -uo pipefail
cd "$(dirname "$0")/.."
DUR=${DUR:-5s}; CONC=${CONC:-32}; PORT=${PORT:-8300}; LOGIN_DUR=${LOGIN_DUR:-20s}
BACKENDS=${BACKENDS:-postgres sqlite}; PG=${PG:-postgres://postgres@127.0.0.1:5432}
SCALES=${SCALES-100000 1000000}; MEM_SECS=${MEM_SECS:-300}; REPEAT=${REPEAT:-3}
OUT=${OUT:-bench/results}; WORK=$(mktemp -d -t api-bench.XXXX)
BASE=http://127.0.0.1:$PORT; DB_NAME=api_bench
RAW=$WORK/raw.jsonl; : >"$RAW"; mkdir -p "$OUT"
export JWT_SECRET=bench-secret-bench-secret-bench-secret-0123 BCRYPT_COST=${BCRYPT_COST:-12}

log() { printf '== %s\n' "$*" >&2; }
if ! command -v wrk >/dev/null; then
  log "installing wrk"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; } >/dev/null 2>&1 ||
    { echo "wrk is missing and could not be installed (apt-get install wrk)"; exit 0; }
fi
if [[ -n ${BIN:-} ]]; then
  log "measuring $BIN"
  cargo build --release -p infra --example bcrypt_bound -q || exit 1
else
  log "building the release binary"
  cargo build --release --bin api -q && cargo build --release -p infra --example bcrypt_bound -q || exit 1
  BIN=target/release/api
fi

rss_mb() { awk '/VmRSS/{printf "%.1f", $2/1024}' "/proc/$1/status" 2>/dev/null || echo 0; }
emit() { echo "$1" >>"$RAW"; }  # one JSON object per line; report.py reads them

# run_wrk BACKEND NAME KIND URL_OR_BASE [wrk args...]; LUA_ENV holds the script's environment.
run_wrk() {
  local backend=$1 name=$2 kind=$3 url=$4; shift 4
  local c=${WRK_C:-$CONC} d=${WRK_D:-$DUR}
  env "${LUA_ENV[@]}" wrk -t2 -c"$c" -d2s --timeout 10s "$@" "$url" >/dev/null 2>&1  # warm-up
  local text runs=()
  for _ in $(seq "$REPEAT"); do
    text=$(env "${LUA_ENV[@]}" wrk -t2 -c"$c" -d"$d" --timeout 10s --latency "$@" "$url")
    echo "$text" >>"$WORK/wrk-$backend.txt"
    runs+=("$(echo "$text" | python3 bench/wrk_json.py "$backend" "$name" "$kind" "$c" "$(rss_mb "$SERVER")")")
  done
  printf '%s\n' "${runs[@]}" | python3 bench/median.py >>"$RAW"
  tail -n1 "$RAW" | python3 -c 'import json,sys; r=json.load(sys.stdin); print("   %-8s %-48s %10.1f req/s  p99 %8.2f ms  non-2xx %s" % (r["backend"], r["name"], r["rps"], r["p99_ms"] or 0, r["non2xx"]))' >&2
}

start_server() { # DATABASE_URL
  # Tokens live an hour: the seeded ones must outlast every scenario and the memory run.
  DATABASE_URL=$1 PORT=$PORT AUTH_RATE_LIMIT_PER_MINUTE=0 RUST_LOG=warn LOG_FORMAT=json JWT_EXPIRES_MINUTES=60 \
    "$BIN" >>"$WORK/server.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 300); do curl -sf "$BASE/health" >/dev/null && return 0; sleep 0.1; done
  echo "the server did not come up; see $WORK/server.log"; exit 1
}
stop_server() { kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null; }
trap 'stop_server; rm -rf "$WORK"' EXIT

# The scenarios every backend runs: name | kind | lua env | url path part
read_scenarios() {
  local ids=$WORK/product_ids.txt posts=$WORK/post_ids.txt tok=$WORK/token.txt
  local first_post; first_post=$(head -n1 "$posts")
  cat <<EOF
product by id|read|PREFIX=/api/v1/products/ IDS_FILE=$ids
products, first page|list|PREFIX=/api/v1/products?limit=20&offset= MAX_N=0
products, random offset|list|PREFIX=/api/v1/products?limit=20&offset= MAX_N=9980
products, grocery by price, first page|list|PREFIX=/api/v1/products?category=grocery&sort=price&limit=20&offset= MAX_N=0
products, by name, random offset|list|PREFIX=/api/v1/products?sort=name&limit=20&offset= MAX_N=9980
products, random cursor|list|PREFIX=/api/v1/products?limit=20&cursor= IDS_FILE=$WORK/cursors-products.txt
products, by name, random cursor|list|PREFIX=/api/v1/products?sort=name&limit=20&cursor= IDS_FILE=$WORK/cursors-names.txt
products, q=00 in stock, first page|list|PREFIX=/api/v1/products?q=00&in_stock=true&limit=20&offset= MAX_N=0
products, random search, first page|list|PREFIX=/api/v1/products?limit=20&q= MIN_N=1000 MAX_N=9999
posts, first page, anonymous|list|PREFIX=/api/v1/posts?limit=20&offset= MAX_N=0
posts, first page, signed in|list|PREFIX=/api/v1/posts?limit=20&offset= MAX_N=0 TOKEN_FILE=$tok
posts, random offset, signed in|list|PREFIX=/api/v1/posts?limit=20&offset= MAX_N=840 TOKEN_FILE=$tok
posts, random cursor, signed in|list|PREFIX=/api/v1/posts?limit=20&cursor= IDS_FILE=$WORK/cursors-posts.txt TOKEN_FILE=$tok
posts, random search, first page|list|PREFIX=/api/v1/posts?limit=20&q= MIN_N=100 MAX_N=999
posts, most voted, first page|list|PREFIX=/api/v1/posts?sort=-votes&limit=20&offset= MAX_N=0
comments of a post, random offset|list|PREFIX=/api/v1/posts/$first_post/comments?limit=20&offset= MAX_N=980
stock movements, first page|list|PREFIX=/api/v1/products/$(head -n1 "$ids")/stock-movements?limit=20&offset= MAX_N=0 TOKEN_FILE=$tok
products, page of 100, identity|list|PREFIX=/api/v1/products?limit=100&offset= MAX_N=0
products, page of 100, gzip|list|PREFIX=/api/v1/products?limit=100&offset= MAX_N=0 ENCODING=gzip
products, page of 100, br|list|PREFIX=/api/v1/products?limit=100&offset= MAX_N=0 ENCODING=br
notifications, first page, signed in|list|PREFIX=/api/v1/notifications?limit=20&offset= MAX_N=0 TOKEN_FILE=$tok
EOF
}

capture_sql() { # PostgreSQL only: the statements one request of each list scenario issues
  local logfile=${PG_LOG:-}  # default: the newest Debian-style cluster log
  [[ -n $logfile ]] || logfile=$(ls -t /var/log/postgresql/postgresql-*-main.log 2>/dev/null | head -n1)
  if [[ -z $logfile || ! -r $logfile ]]; then log "no PostgreSQL log to read: pgbench -f skipped"; return 1; fi
  local start; start=$(wc -l <"$logfile")
  psql -qX "$PG/postgres" -c "alter system set log_min_duration_statement = 0" -c "select pg_reload_conf()" >/dev/null
  sleep 0.5
  while IFS='|' read -r name kind envs; do
    [[ $kind == list ]] || continue
    local prefix token_file ids_file path
    prefix=$(sed -n 's/.*PREFIX=\([^ ]*\).*/\1/p' <<<"$envs"); token_file=$(sed -n 's/.*TOKEN_FILE=\([^ ]*\).*/\1/p' <<<"$envs")
    ids_file=$(sed -n 's/.*IDS_FILE=\([^ ]*\).*/\1/p' <<<"$envs")
    if [[ -n $ids_file ]]; then path="${prefix}$(head -n1 "$ids_file")"
    else path="${prefix}$(sed -n 's/.*MAX_N=\([0-9]*\).*/\1/p' <<<"$envs")"; fi
    local auth=(); [[ -n $token_file ]] && auth=(-H "Authorization: Bearer $(cat "$token_file")")
    # Prime the count cache so the steady-state request holds no COUNT: lists share totals,
    # so age any total the previous scenario left (TTL 1 s), have it recounted in the
    # background, and let that recount finish before the marker.
    curl -s "${auth[@]}" "$BASE$path" >/dev/null; sleep 1.1
    curl -s "${auth[@]}" "$BASE$path" >/dev/null; sleep 0.3
    mark "$name"; curl -s "${auth[@]}" "$BASE$path" >/dev/null; mark end  # the steady-state request
  done < <(read_scenarios)
  capture_writes
  psql -qX "$PG/postgres" -c "alter system reset log_min_duration_statement" -c "select pg_reload_conf()" >/dev/null
  tail -n +"$((start + 1))" "$logfile" | python3 bench/sql_from_log.py "$DB_NAME" "$WORK/sql"
}

mark() { psql -qX "$PG/$DB_NAME" -c "select 'bench-marker|$1'" >/dev/null; }
json_id() { python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'; }

capture_writes() { # one request of each write scenario, as the first of TOKENS_FILE's users
  local h=(-H "Authorization: Bearer $(head -n1 "$WORK/tokens.txt")" -H "Content-Type: application/json")
  local vote_on
  ME=$(curl -s "${h[@]}" "$BASE/api/v1/users/me" | json_id)  # also caches the session
  # Two new posts nobody has voted on: pgbench votes and unvotes on them, one user per client.
  VOTE_POSTS=$(for i in 1 2; do curl -s "${h[@]}" "$BASE/api/v1/posts" \
    -d "{\"title\":\"Vote target $i\",\"content\":\"For pgbench.\",\"published\":true}" | json_id; done)
  vote_on=$(head -n1 <<<"$VOTE_POSTS")
  mark "stock change, 10 hot products"
  curl -s "${h[@]}" "$BASE/api/v1/products/$(head -n1 "$WORK/product_ids.txt")/stock" -d '{"delta":3,"reason":"bench"}' >/dev/null
  mark "vote"; curl -s "${h[@]}" "$BASE/api/v1/votes" -d "{\"post_id\":\"$vote_on\",\"dir\":1}" >/dev/null
  mark "unvote"; curl -s "${h[@]}" "$BASE/api/v1/votes" -d "{\"post_id\":\"$vote_on\",\"dir\":0}" >/dev/null
  mark "post create"
  curl -s "${h[@]}" "$BASE/api/v1/posts" -d '{"title":"Bench post","content":"Written under load.","published":true}' >/dev/null
  mark end
}

# pgbench_tps PGBENCH_ARGS...: the median tps of REPEAT runs at the bench's concurrency;
# nothing printed (and the error logged) when a run aborts.
pgbench_tps() {
  local out all=()
  for _ in $(seq "$REPEAT"); do
    out=$(pgbench -n -M "${PGBENCH_MODE:-prepared}" -c "$CONC" -j 2 -T "${DUR%s}" "$@" 2>&1)
    if grep -q aborted <<<"$out"; then log "pgbench $*: $(grep -m1 error <<<"$out")"; return; fi
    all+=("$(awk '/^tps/{print $3}' <<<"$out")")
  done
  printf '%s\n' "${all[@]}" | sort -g | awk '{v[NR]=$1} END{if (NR) printf "%.1f", (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'
}

pgbench_run() { # NAME SCRIPT REQUESTS_PER_TRANSACTION: pgbench -f at the bench's concurrency
  local tps
  tps=$(pgbench_tps -f "$2" "$PG/$DB_NAME")
  if [[ -z $tps ]]; then log "pgbench -f $1 failed"; return; fi
  tps=$(awk -v t="$tps" -v k="$3" 'BEGIN{printf "%.1f", t * k}')
  emit "{\"backend\":\"postgres\",\"name\":\"$1\",\"kind\":\"pgbench\",\"tps\":${tps:-0}}"
  log "pgbench -f $1: ${tps:-?} per s"
}

pgbench_writes() { # each write's captured statements, repeated for other rows as the load does
  local sql=$WORK/sql known=$WORK/known_ids.txt
  psql -qXAt "$PG/$DB_NAME" -c "select id from users" >"$WORK/user_ids.txt"
  cat "$WORK/product_ids.txt" "$WORK/post_ids.txt" "$WORK/user_ids.txt" >"$known"
  arr() { sed "s/.*/'&'/" | paste -sd, | sed 's/.*/(ARRAY[&]::uuid[])/'; }
  local hot users posts n_users
  hot=$(head -n10 "$WORK/product_ids.txt" | arr); users=$(arr <"$WORK/user_ids.txt"); posts=$(arr <<<"$VOTE_POSTS")
  n_users=$(wc -l <"$WORK/user_ids.txt")
  local caller=(--set "$ME" "$users[:client_id % $n_users + 1]")
  python3 bench/write_sql.py "$known" --set "$(head -n1 "$WORK/product_ids.txt")" "$hot[:h]" \
    --head '\set h random(1, 10)' <"$sql/stock_change__10_hot_products.sql" >"$WORK/stock.pgb"
  cat "$sql/vote.sql" "$sql/unvote.sql" | python3 bench/write_sql.py "$known" "${caller[@]}" \
    --set "$(head -n1 <<<"$VOTE_POSTS")" "$posts[:client_id % 2 + 1]" >"$WORK/vote.pgb"
  python3 bench/write_sql.py "$known" "${caller[@]}" <"$sql/post_create.sql" >"$WORK/post.pgb"
  pgbench_run "stock change, 10 hot products" "$WORK/stock.pgb" 1
  pgbench_run "vote and unvote" "$WORK/vote.pgb" 2  # a vote and its unvote: two requests
  pgbench_run "post create" "$WORK/post.pgb" 1
  for f in stock vote post; do
    { echo "### pgbench script: $f"; echo; echo "\`\`\`sql"  # the id arrays shortened for reading
      sed -E "s/ARRAY\[('[^']*',){2,}'[^']*'\]/ARRAY[ids]/g" "$WORK/$f.pgb"; echo "\`\`\`"; echo; } >>"$WORK/writes.md"
  done
}

pgbench_limits() { # pgbench -f on each captured statement set, at the same concurrency
  while IFS='|' read -r name kind envs; do
    [[ $kind == list ]] || continue
    local file="$WORK/sql/$(tr -c 'a-zA-Z0-9\n' '_' <<<"$name").sql"
    [[ -s $file ]] || continue
    local max; max=$(sed -n 's/.*MAX_N=\([0-9]*\).*/\1/p' <<<"$envs")
    local script="$WORK/pgbench.sql"
    # A random offset is a parameter, as the service sends it; a first page's SQL (whose
    # LIMIT and OFFSET 0 the service writes in) runs as logged.
    local min; min=$(sed -n 's/.*MIN_N=\([0-9]*\).*/\1/p' <<<"$envs")
    if [[ -n $min ]]; then  # a random search: the pattern random in the same range
      { echo "\\set n random($min, $max)"; sed -E "s/'%$max%'/'%' || :n || '%'/g" "$file"; } >"$script"
    elif [[ ${max:-0} -gt 0 ]]; then
      { echo "\\set off random(0, $max)"; sed -E "s/OFFSET '?[0-9]+'?/OFFSET :off/g" "$file"; } >"$script"
    else cp "$file" "$script"; fi
    # A search runs as the service sends it: unnamed, planned for its own pattern each time.
    local mode=prepared; [[ -n $min ]] && mode=extended
    local tps; tps=$(PGBENCH_MODE=$mode pgbench_tps -f "$script" "$PG/$DB_NAME")
    emit "{\"backend\":\"postgres\",\"name\":\"$name\",\"kind\":\"pgbench\",\"tps\":${tps:-0}}"
    { echo "### $name"; echo; echo '```sql'; cat "$file"; echo '```'; echo; echo '```';
      sed -E "s/OFFSET '?[0-9]+'?/OFFSET ${max:-0}/g" "$file" | sed '/^$/d' | while IFS= read -r stmt; do
        psql -qXAt "$PG/$DB_NAME" -c "explain (analyze, buffers, costs off) $stmt" 2>&1; echo; done
      echo '```'; echo; } >>"$WORK/explain.md"
    log "pgbench -f $name: ${tps:-?} tps"
  done < <(read_scenarios)
}

memory_run() { # BACKEND: MEM_SECS of mixed reads at c=CONC, RSS sampled every 10 s
  [[ $MEM_SECS -gt 0 ]] || return 0
  log "$1: memory over ${MEM_SECS}s of mixed load"
  local samples=() text
  IDS_FILE=$WORK/product_ids.txt POSTS_FILE=$WORK/post_ids.txt TOKENS_FILE=$WORK/tokens.txt \
    wrk -t2 -c"$CONC" -d"${MEM_SECS}s" --timeout 10s --latency -s bench/lua/mix.lua "$BASE" >"$WORK/mix.txt" &
  local load=$!
  for _ in $(seq $((MEM_SECS / 10))); do sleep 10; samples+=("$(rss_mb "$SERVER")"); done
  wait $load; text=$(cat "$WORK/mix.txt")
  echo "$text" | python3 bench/wrk_json.py "$1" "mixed reads, ${MEM_SECS} s" mixed "$CONC" "$(rss_mb "$SERVER")" >>"$RAW"
  emit "{\"backend\":\"$1\",\"name\":\"memory over the mixed load\",\"kind\":\"memory\",\"interval_s\":10,\"rss_mb\":[$(IFS=,; echo "${samples[*]}")]}"
}

make_cursors() { # MAX_PRODUCT_OFFSET MAX_POST_OFFSET: cursors at random depths for the cursor scenarios
  python3 bench/cursors.py "$BASE" "/api/v1/products?limit=20&offset=" "$1" 100 "$WORK/cursors-products.txt"
  python3 bench/cursors.py "$BASE" "/api/v1/products?sort=name&limit=20&offset=" "$1" 100 "$WORK/cursors-names.txt"
  [[ -n ${2:-} ]] && python3 bench/cursors.py "$BASE" "/api/v1/posts?limit=20&offset=" "$2" 100 "$WORK/cursors-posts.txt" "$WORK/token.txt"
  return 0
}

write_scenarios() { # BACKEND
  local tok="$WORK/tokens.txt" ids="$WORK/product_ids.txt" posts="$WORK/post_ids.txt"
  LUA_ENV=(MODE=stock IDS_FILE=$ids TOKENS_FILE=$tok HOT=10); run_wrk "$1" "stock change, 10 hot products" write "$BASE" -s bench/lua/write.lua
  # The Idempotency-Key's cost per write: a fresh key each time (claimed, then kept), and
  # the same few keys again and again (replayed from the table, no stock moved).
  LUA_ENV=(MODE=stock IDS_FILE=$ids TOKENS_FILE=$tok HOT=10 KEY=fresh); run_wrk "$1" "stock change, fresh Idempotency-Key" write "$BASE" -s bench/lua/write.lua
  LUA_ENV=(MODE=stock IDS_FILE=$ids TOKENS_FILE=$tok HOT=10 KEY=replay); run_wrk "$1" "stock change, replayed Idempotency-Key" write "$BASE" -s bench/lua/write.lua
  LUA_ENV=(MODE=vote IDS_FILE=$posts TOKENS_FILE=$tok); run_wrk "$1" "vote and unvote" write "$BASE" -s bench/lua/write.lua
  LUA_ENV=(MODE=post TOKENS_FILE=$tok); run_wrk "$1" "post create" write "$BASE" -s bench/lua/write.lua
  python3 bench/invariants.py "$1" "$2" "$ids" >>"$RAW"
}

bench_backend() { # BACKEND DATABASE_URL
  local backend=$1 url=$2
  log "$backend: starting and seeding"
  start_server "$url"; sleep 0.5
  emit "{\"backend\":\"$backend\",\"name\":\"idle\",\"kind\":\"rss\",\"rss_mb\":$(rss_mb "$SERVER")}"
  python3 bench/seed.py "$BASE" "$WORK" >&2 || exit 1
  # Vacuumed, analysed, and its dirty pages written out before any scenario (a checkpoint
  # under a scenario would stall it).
  [[ $backend == postgres ]] && psql -qX "$url" -c "vacuum analyze" -c "checkpoint" >/dev/null
  local seeded_at; seeded_at=$(date -u +%Y-%m-%dT%H:%M:%S.%6NZ)
  make_cursors 9960 820
  LUA_ENV=(); run_wrk "$backend" "health" read "$BASE/health"
  while IFS='|' read -r name kind envs; do
    read -r -a LUA_ENV <<<"$envs"; run_wrk "$backend" "$name" "$kind" "$BASE" -s bench/lua/get.lua
  done < <(read_scenarios)
  write_scenarios "$backend" "$url"
  # Login at bcrypt cost 12 with 4 in flight, while /health is measured at the same time at
  # a paced ~400 req/s (a saturating health load would take the cores the hashes need).
  # Both run for LOGIN_DUR: a login takes half a second, and wrk counts only the requests
  # that finish inside its window, so a 5 s window loses about a twentieth in flight.
  LUA_ENV=(PREFIX=/health DELAY_MS=10); WRK_C=4 WRK_D=$LOGIN_DUR run_wrk "$backend" "health, during logins" read "$BASE" -s bench/lua/get.lua &
  local health=$!
  local before; before=$(target/release/examples/bcrypt_bound)
  LUA_ENV=(MODE=login); WRK_C=4 WRK_D=$LOGIN_DUR run_wrk "$backend" "login (bcrypt $BCRYPT_COST), c=4" login "$BASE" -s bench/lua/write.lua
  wait $health
  # The bound, measured just before and just after, so a slow minute weighs on both sides.
  emit "{\"backend\":\"$backend\",\"name\":\"bcrypt bound\",\"kind\":\"bound\",\"per_s\":$(python3 -c "print(($before + $(target/release/examples/bcrypt_bound)) / 2)")}"
  LUA_ENV=(PREFIX="/api/v1/products?limit=20&offset=" MAX_N=9980); WRK_C=256 run_wrk "$backend" "products, random offset, c=256" list "$BASE" -s bench/lua/get.lua
  if [[ $backend == postgres ]] && capture_sql; then pgbench_limits; pgbench_writes; fi
  # The write scenarios and pgbench's inserts leave tens of thousands of posts; the memory
  # run measures the seeded data set, so what they added goes first.
  if [[ $backend == postgres ]]; then
    psql -qX "$url" -c "delete from posts where created_at > '$seeded_at'" -c "vacuum analyze" \
      -c "checkpoint" >/dev/null || log "could not delete the posts the writes added"
    memory_run "$backend"
  fi
  stop_server
}

for backend in $BACKENDS; do
  case $backend in
    postgres)
      psql -qX "$PG/postgres" -c "drop database if exists $DB_NAME" -c "create database $DB_NAME" >/dev/null || exit 1
      psql -qX "$PG/postgres" -c "drop database if exists api_bench_pgb" -c "create database api_bench_pgb" >/dev/null
      pgbench -q -i -s 10 "$PG/api_bench_pgb" >/dev/null 2>&1
      tps=$(pgbench_tps -S "$PG/api_bench_pgb")
      emit "{\"backend\":\"postgres\",\"name\":\"pgbench -S -M prepared\",\"kind\":\"pgbench\",\"tps\":${tps:-0}}"
      psql -qX "$PG/postgres" -c "drop database if exists api_bench_pgb" >/dev/null
      bench_backend postgres "$PG/$DB_NAME" ;;
    sqlite) bench_backend sqlite "sqlite://$WORK/bench.db?mode=rwc" ;;
  esac
done

# Cost growth: the product lists at larger sizes (rows added in SQL, then VACUUM ANALYZE).
if [[ $BACKENDS == *postgres* && -n $SCALES ]]; then
  start_server "$PG/$DB_NAME"
  for rows in $SCALES; do
    log "postgres: growing products to $rows rows"
    psql -qX "$PG/$DB_NAME" -c "insert into products (id, name, description, category, price_cents, quantity, is_active, created_by, created_at, updated_at)
      select gen_random_uuid(), 'Grown ' || lpad(g::text, 8, '0'), null, (array['grocery','household','electronics','stationery','other'])[1 + g % 5],
             100 + (g * 7919) % 999900, g % 500, g % 10 <> 0, null, now() - (g || ' seconds')::interval, now()
      from generate_series((select count(*) from products) + 1, $rows) g" -c "vacuum analyze products" >/dev/null
    stop_server; start_server "$PG/$DB_NAME"
    # The product lists of read_scenarios that need no other table (searches included).
    while IFS='|' read -r name kind envs; do
      read -r -a LUA_ENV <<<"$envs"; run_wrk "postgres@$rows" "$name" list "$BASE" -s bench/lua/get.lua
    done < <(read_scenarios | grep -E '^products, (first page|random offset|grocery by price|q=00|random search)')
    # Cursors anywhere in the whole list: their cost should not grow with depth or size.
    make_cursors $((rows - 20))
    LUA_ENV=("PREFIX=/api/v1/products?limit=20&cursor=" "IDS_FILE=$WORK/cursors-products.txt"); run_wrk "postgres@$rows" "products, random cursor" list "$BASE" -s bench/lua/get.lua
    LUA_ENV=("PREFIX=/api/v1/products?sort=name&limit=20&cursor=" "IDS_FILE=$WORK/cursors-names.txt"); run_wrk "postgres@$rows" "products, by name, random cursor" list "$BASE" -s bench/lua/get.lua
    { psql -qXAt "$PG/$DB_NAME" -c "explain (analyze, buffers, costs off) select id from products order by created_at desc, id desc limit 20"
      echo; echo "A search for a rare text (what a random search's first page runs):"
      psql -qXAt "$PG/$DB_NAME" -c "explain (analyze, buffers, costs off) select id from products where lower(name) like '%4521%' order by created_at desc, id desc limit 21"
    } >"$WORK/explain-$rows.txt" 2>&1
  done
  stop_server
fi
[[ $BACKENDS == *postgres* ]] && psql -qX "$PG/postgres" -c "drop database if exists $DB_NAME" >/dev/null

DUR=$DUR LOGIN_DUR=$LOGIN_DUR python3 bench/report.py "$RAW" "$WORK" "$OUT" && log "report: $OUT/report.md"
