#!/usr/bin/env bash
# What exporting traces costs a request: the same binary on the same PostgreSQL database,
# once without OTEL_EXPORTER_OTLP_ENDPOINT and once exporting every span to a local OTLP/HTTP
# receiver (bench/otlp_sink.py, which counts what it receives), each read scenario under wrk,
# alternated ROUNDS times; req/s, p99 and the server's own CPU time per request (user +
# system, from /proc) for each. Reports, never fails on a timing.
#
# Env: BIN (target/release/api, built if missing), PG (postgres://postgres@127.0.0.1:5432),
#      DUR (8s), CONC (32), ROUNDS (2), PORT (8310), SINK_PORT (4399).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-target/release/api}; PG=${PG:-postgres://postgres@127.0.0.1:5432}
DUR=${DUR:-8s}; CONC=${CONC:-32}; ROUNDS=${ROUNDS:-2}; PORT=${PORT:-8310}; SINK_PORT=${SINK_PORT:-4399}
BASE=http://127.0.0.1:$PORT; DB=api_otlp_bench; WORK=$(mktemp -d -t otlp-bench.XXXX)
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)"; exit 1; }
[ -x "$BIN" ] || cargo build --release --bin api -q

SERVER=; SINK=
cleanup() {
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
  [ -n "$SINK" ] && kill "$SINK" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null
python3 bench/otlp_sink.py "$SINK_PORT" "$WORK/sink.json" &
SINK=$!

export DATABASE_URL="$PG/$DB?sslmode=disable" PORT JWT_SECRET=bench-secret-bench-secret-bench-secret-0123 \
  BCRYPT_COST=4 AUTH_RATE_LIMIT_PER_MINUTE=0 RUST_LOG=warn LOG_FORMAT=json \
  ADMIN_EMAIL=bench-admin@example.com ADMIN_PASSWORD=bench-admin-password

start() { # extra env...
  env "$@" "$BIN" >>"$WORK/server.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 300); do curl -sf "$BASE/health" >/dev/null && return 0; sleep 0.1; done
  echo "the server did not start"; cat "$WORK/server.log"; exit 1
}
stop() { kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER/stat"; }

start OTEL_EXPORTER_OTLP_ENDPOINT=
TOKEN=$(curl -sf "$BASE/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"email":"bench-admin@example.com","password":"bench-admin-password"}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
for i in $(seq 40); do
  curl -sf "$BASE/api/v1/products" -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \
    -d "{\"name\":\"Product $i\",\"price\":\"9.99\",\"quantity\":5,\"category\":\"other\"}" >/dev/null
done
ID=$(curl -sf "$BASE/api/v1/products?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
stop

HZ=$(getconf CLK_TCK)
measure() { # label path
  local before after text requests
  wrk -t2 -c"$CONC" -d2s "$BASE$2" >/dev/null  # warm-up
  before=$(cpu_ticks)
  text=$(wrk -t2 -c"$CONC" -d"$DUR" --latency "$BASE$2")
  after=$(cpu_ticks)
  requests=$(echo "$text" | awk '/requests in/{print $1}')
  echo "$text" | awk -v label="$1" -v path="$2" -v req="$requests" -v cpu="$((after - before))" -v hz="$HZ" '
    /Requests\/sec/ {rps = $2}
    /^ +99%/ {p99 = $2}
    END {printf "  %-10s %-26s %9.0f req/s  p99 %8s  CPU/request %6.1f us\n", label, path, rps, p99, cpu / hz / req * 1e6}'
}

echo "== OTLP export overhead: $DUR per run, c=$CONC, $ROUNDS rounds, PostgreSQL"
for round in $(seq "$ROUNDS"); do
  for mode in without with; do
    if [ "$mode" = with ]; then
      start OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$SINK_PORT" OTEL_BSP_MAX_QUEUE_SIZE=65536
    else
      start OTEL_EXPORTER_OTLP_ENDPOINT=
    fi
    measure "$mode" "/api/v1/products/$ID"
    measure "$mode" "/api/v1/products"
    stop
  done
done
sleep 1
python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print("  the receiver got %d spans in %d exports" % (s["spans"], s["exports"]))' "$WORK/sink.json"
