#!/usr/bin/env bash
# `make soak`: two instances of one deployment (one database, one Redis), many WebSockets
# across them while events flow; see crates/api/examples/soak.rs. Needs REDIS_URL (events
# cross instances through it). DATABASE_URL defaults to a SQLite file in a temporary folder.
# SOAK_SOCKETS, SOAK_SECONDS, SOAK_USERS and SOAK_POSTS_PER_SECOND tune the run.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${REDIS_URL:?set REDIS_URL, e.g. redis://127.0.0.1:6379}"
work=$(mktemp -d)
export DATABASE_URL="${DATABASE_URL:-sqlite://$work/soak.db?mode=rwc}"
export REDIS_PREFIX="soak:$(date +%s):" JWT_SECRET="soak-only-secret-soak-only-secret-00"
export AUTH_RATE_LIMIT_PER_MINUTE=0 BCRYPT_COST=4 RUST_LOG=warn LOG_FORMAT=json SMTP_URL=
cargo build --release --bin api --example soak
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
ports=(18001 18002)
for port in "${ports[@]}"; do
    PORT=$port target/release/api >"$work/api-$port.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 1 100); do
        curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && break
        sleep 0.1
    done
done
SOAK_A="http://127.0.0.1:${ports[0]}" SOAK_B="http://127.0.0.1:${ports[1]}" \
SOAK_PIDS="$(IFS=,; echo "${pids[*]}")" SOAK_SECONDS="${SOAK_SECONDS:-60}" \
    target/release/examples/soak
