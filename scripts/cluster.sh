#!/usr/bin/env bash
# `make cluster` (issue 35): the topology docker-compose.yml describes, run here for real
# and without Docker, then driven through nginx and checked (scripts/cluster/drive.py).
#
#   PostgreSQL, Redis   the local ones (a fresh database cluster_<pid>, dropped at the end;
#                       Redis keys under a prefix of this run's own, deleted at the end)
#   api migrate up      once, before anything else touches the database
#   api (serve) x 3     AUTO_MIGRATE=false, on 127.0.0.1 ports the kernel picks
#   api worker          the job worker alone, beside the replicas' own workers
#   SMTP                tests/e2e/smtp_sink.py: every mail accepted is a file in one folder
#   nginx               Debian's (installed if missing), as a plain process on a scratch
#                       prefix, running the repository's own deploy/nginx.conf (the file
#                       Compose mounts) with the local include deploy/nginx/site.local.conf.in
#                       and the replicas as an upstream group (deploy/nginx/local.sh)
#
# The checks (drive.py): requests spread over the three replicas; a WebSocket through nginx
# gets events caused on the other replicas; logout closes sockets held on other replicas;
# each client address has its own login budget behind nginx (X-Forwarded-For); 20
# registrations, one welcome mail each; a replica SIGKILLed under load loses no GET (nginx
# retries them; it never re-sends a POST that reached the dead replica). Any failed check
# exits non-zero. Everything started here is stopped on exit, failed or not.
#
# Env: API_BIN (target/debug/api, built with `cargo build --workspace` if missing),
#      CLUSTER_PG_URL (else TEST_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres:
#      a database to connect to for creating and dropping this run's), CLUSTER_REDIS_URL
#      (else TEST_REDIS_URL, else redis://127.0.0.1:6379),
#      CLUSTER_RUST_LOG (info).
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
ROOT=$PWD
T0=$EPOCHREALTIME
since() { awk -v now="$EPOCHREALTIME" -v t0="${1:-$T0}" 'BEGIN { printf "%.1f", now - t0 }'; }
say() { echo "cluster: [$(since)s] $*"; }
fail() { echo "cluster: FAIL: $*" >&2; exit 1; }

PG_URL=${CLUSTER_PG_URL:-${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}}
REDIS=${CLUSTER_REDIS_URL:-${TEST_REDIS_URL:-redis://127.0.0.1:6379}}
API_BIN=${API_BIN:-target/debug/api}
case $API_BIN in /*) ;; *) API_BIN=$ROOT/$API_BIN ;; esac
if [ ! -x "$API_BIN" ]; then
    say "building $API_BIN"
    cargo build --workspace
fi
[ -x "$API_BIN" ] || fail "no api binary at $API_BIN"

RUN=$$
DB=cluster_$RUN
DB_URL="${PG_URL%/*}/$DB?sslmode=disable" # loopback: no TLS (README, DATABASE_URL)
PREFIX="cluster:$RUN:$(date +%s):"
WORK=$(mktemp -d -t api-cluster.XXXX)
pids=() names=() nginx_pid= sink_pid= otlp_pid= driver_pid= db_created=

# --- stop everything this script started, whatever happened -------------------------------
stopped() { # PID: gone, or a zombie waiting for `wait`
    local state
    state=$(ps -o stat= -p "$1" 2>/dev/null) || return 0
    [[ $state == Z* ]]
}
cleanup() {
    local rc=$? t=$EPOCHREALTIME i pid
    set +e
    trap - INT TERM
    if [ -n "$driver_pid" ]; then kill -TERM "$driver_pid" 2>/dev/null; wait "$driver_pid" 2>/dev/null; fi
    # nginx first (SIGTERM: its fast stop; the master waits for its workers), then the rest.
    [ -n "$nginx_pid" ] && kill -TERM "$nginx_pid" 2>/dev/null
    # SIGTERM: the graceful stop (in-flight requests answered, sockets closed 1001, running
    # jobs finished); SIGKILL for any still running after 15 s.
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
    for _ in $(seq 150); do
        local left=0
        for pid in "${pids[@]}" $nginx_pid; do stopped "$pid" || left=1; done
        [ $left = 0 ] && break
        sleep 0.1
    done
    for pid in "${pids[@]}" $nginx_pid; do
        stopped "$pid" || { echo "cluster: pid $pid still running after 15 s: SIGKILL" >&2; kill -KILL "$pid"; }
    done
    [ -n "$sink_pid" ] && kill "$sink_pid" 2>/dev/null
    [ -n "$otlp_pid" ] && kill "$otlp_pid" 2>/dev/null
    for pid in "${pids[@]}" $nginx_pid $sink_pid $otlp_pid; do wait "$pid" 2>/dev/null; done
    if [ "$rc" -ne 0 ]; then
        for i in "${!names[@]}"; do
            [ -s "$WORK/${names[$i]}.log" ] || continue
            echo "--- ${names[$i]} log (last 15 lines)" >&2
            tail -n 15 "$WORK/${names[$i]}.log" >&2
        done
        [ -s "$WORK/nginx/error.log" ] && { echo "--- nginx error log (last 15 lines)" >&2; tail -n 15 "$WORK/nginx/error.log" >&2; }
    fi
    if [ -n "$db_created" ]; then
        psql -qX "$PG_URL" -c "drop database if exists $DB with (force)" >/dev/null \
            || echo "cluster: could not drop database $DB" >&2
    fi
    redis-cli -u "$REDIS" --scan --pattern "$PREFIX*" 2>/dev/null \
        | xargs -r -n 100 redis-cli -u "$REDIS" del >/dev/null 2>&1
    rm -rf "$WORK"
    echo "cluster: stopped everything in $(since "$t")s; $(since)s in all; $([ "$rc" = 0 ] && echo passed || echo "FAILED (exit $rc)")"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- what it needs -------------------------------------------------------------------------
pg_isready -q -d "$PG_URL" || fail "PostgreSQL does not answer at $PG_URL (bash .ci/run starts it)"
redis-cli -u "$REDIS" ping 2>/dev/null | grep -q PONG || fail "Redis does not answer at $REDIS"
source deploy/nginx/local.sh
NGINX_BIN=$(nginx_local_binary)
# The driver's one dependency beyond the standard library, pinned, in a virtualenv under
# target/ (reinstalled when the pins change; the copy of the pins marks what is installed).
VENV=$ROOT/target/cluster-venv
if ! cmp -s scripts/cluster/requirements.txt "$VENV/installed.txt"; then
    say "installing scripts/cluster/requirements.txt into target/cluster-venv"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check -r scripts/cluster/requirements.txt
    cp scripts/cluster/requirements.txt "$VENV/installed.txt"
fi
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
NGINX_PORT=$(free_port)
SMTP_PORT=$(free_port)
say "run $RUN: database $DB, Redis prefix $PREFIX, scratch $WORK"

# --- SMTP -----------------------------------------------------------------------------------
mkdir -p "$WORK/mail"
python3 tests/e2e/smtp_sink.py "$SMTP_PORT" "$WORK/mail" >"$WORK/smtp.log" 2>&1 &
sink_pid=$!
names+=(smtp)

# --- an OTLP/HTTP receiver: every replica and the worker export their traces to it ---------
OTLP_PORT=$(free_port)
python3 bench/otlp_sink.py "$OTLP_PORT" "$WORK/otlp-counts.json" "$WORK/spans.jsonl" >"$WORK/otlp.log" 2>&1 &
otlp_pid=$!
names+=(otlp)

# --- PostgreSQL: this run's own database, migrated once -------------------------------------
PGOPTIONS=--client-min-messages=warning \
    psql -qX "$PG_URL" -c "drop database if exists $DB with (force)" -c "create database $DB" >/dev/null
db_created=1

# One environment for every api process (docker-compose.yml's api-env, made local).
export DATABASE_URL=$DB_URL REDIS_URL=$REDIS REDIS_PREFIX=$PREFIX
export SMTP_URL=smtp://127.0.0.1:$SMTP_PORT MAIL_FROM="API <no-reply@example.com>"
export HOST=127.0.0.1 PORT=0 AUTO_MIGRATE=false APP_URL=http://127.0.0.1:$NGINX_PORT
# Production rules apply: a JWT secret of its own (generated for this run, 32+ bytes), a
# bcrypt cost of at least 10, an admin password nobody guesses.
export APP_ENV=production BCRYPT_COST=10
JWT_SECRET=$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')
ADMIN_PASSWORD=$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')
export JWT_SECRET ADMIN_PASSWORD ADMIN_EMAIL=admin@example.com
# nginx connects from 127.0.0.1 and sets X-Forwarded-For to the client it saw.
export TRUSTED_PROXIES=127.0.0.1
# Limits the checks lean on: 5 login (and 5 register) attempts per client address and
# minute, shared by the replicas through Redis; a larger per-account budget of failed
# logins (12), so exhausting one address' budget on an account does not lock the account.
export AUTH_RATE_LIMIT_PER_MINUTE=5 LOGIN_FAILURES_PER_ACCOUNT=12
# 4 processes x 4 connections, on a PostgreSQL whose 100 others use too.
export DB_MAX_CONNECTIONS=4
# info: one line per request (path, never the query string) and the start-up line that names
# the port the kernel picked (PORT=0).
export LOG_FORMAT=json RUST_LOG=${CLUSTER_RUST_LOG:-info}
# Traces, as Compose sends them to Jaeger; batches leave every 200 ms so the check is quick.
export OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$OTLP_PORT OTEL_BSP_SCHEDULE_DELAY=200 OTEL_SERVICE_NAME=api
# Each process runs in a folder of its own: no .env or config.toml of the checkout is read.
start() { # NAME, api arguments...
    local name=$1; shift
    mkdir -p "$WORK/$name"
    (cd "$WORK/$name" && exec "$API_BIN" "$@") >"$WORK/$name.log" 2>&1 &
    pids+=($!) names+=("$name")
}

t=$EPOCHREALTIME
(cd "$WORK" && "$API_BIN" migrate up) >"$WORK/migrate.log" 2>&1 || { cat "$WORK/migrate.log" >&2; fail "api migrate up failed"; }
say "api migrate up: done in $(since "$t")s"

# --- three replicas and a worker ------------------------------------------------------------
t=$EPOCHREALTIME
for n in 1 2 3; do start "api$n"; done
OTEL_SERVICE_NAME=api-worker start worker worker
ports=()
for n in 1 2 3; do
    port=
    for _ in $(seq 300); do
        port=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$WORK/api$n.log" 2>/dev/null | head -n1 | sed 's/.*://') || true
        [ -n "$port" ] && break
        stopped "${pids[$((n - 1))]}" && fail "api$n exited: $(tail -n 5 "$WORK/api$n.log")"
        sleep 0.1
    done
    [ -n "$port" ] || fail "api$n did not say which port it listens on"
    for _ in $(seq 100); do
        curl -fsS -o /dev/null "http://127.0.0.1:$port/health/ready" 2>/dev/null && break
        sleep 0.1
    done
    curl -fsS -o /dev/null "http://127.0.0.1:$port/health/ready" || fail "api$n (port $port) is not ready"
    ports+=("$port")
done
stopped "${pids[3]}" && fail "the worker exited: $(tail -n 5 "$WORK/worker.log")"
say "3 replicas ready on ports ${ports[*]} (pids ${pids[*]:0:3}), worker pid ${pids[3]}: $(since "$t")s"
for _ in $(seq 50); do (: >"/dev/tcp/127.0.0.1/$SMTP_PORT") 2>/dev/null && break; sleep 0.1; done
stopped "$sink_pid" && fail "the SMTP sink did not start: $(cat "$WORK/smtp.log")"

# --- nginx in front, on the repository's deploy/nginx.conf ---------------------------------
t=$EPOCHREALTIME
nginx_local_render "$WORK/nginx" "127.0.0.1:$NGINX_PORT" \
    "127.0.0.1:${ports[0]}" "127.0.0.1:${ports[1]}" "127.0.0.1:${ports[2]}"
"$NGINX_BIN" -t -q -p "$WORK/nginx" -e "$WORK/nginx/error.log" -c "$WORK/nginx/nginx.conf" \
    || fail "nginx rejects the configuration: $(cat "$WORK/nginx/error.log")"
"$NGINX_BIN" -p "$WORK/nginx" -e "$WORK/nginx/error.log" -c "$WORK/nginx/nginx.conf" -g 'daemon off;' &
nginx_pid=$!
for _ in $(seq 100); do
    curl -fsS -o /dev/null "http://127.0.0.1:$NGINX_PORT/health" 2>/dev/null && break
    sleep 0.1
done
curl -fsS -o /dev/null "http://127.0.0.1:$NGINX_PORT/health" || fail "nginx does not answer on $NGINX_PORT"
say "nginx (pid $nginx_pid) on 127.0.0.1:$NGINX_PORT: $(since "$t")s; the stack is up"

# --- the checks -----------------------------------------------------------------------------
t=$EPOCHREALTIME
CLUSTER_NGINX_PORT=$NGINX_PORT CLUSTER_NGINX_DIR=$WORK/nginx CLUSTER_MAIL_DIR=$WORK/mail \
CLUSTER_REPLICAS="api1:${ports[0]}:${pids[0]},api2:${ports[1]}:${pids[1]},api3:${ports[2]}:${pids[2]}" \
CLUSTER_DATABASE_URL=$DB_URL CLUSTER_RUN=$RUN CLUSTER_SPANS=$WORK/spans.jsonl \
    "$VENV/bin/python" scripts/cluster/drive.py &
# In the background so that a signal to this script is handled at once (`wait` returns for
# a trapped signal; a foreground child would be waited for first). Its exit status is ours.
driver_pid=$!
wait "$driver_pid"
driver_pid=
say "checks done in $(since "$t")s"
