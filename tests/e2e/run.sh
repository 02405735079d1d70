#!/usr/bin/env bash
# make e2e: Debian's Chromium, headless, on /docs (tests/e2e/docs.mjs), then on the account
# pages through the links the server mails (tests/e2e/run_account.sh), against the server
# on a fresh SQLite database. Installs chromium with apt-get and the driver (puppeteer-core,
# pinned by package-lock.json) with npm when missing. SCREENSHOT names the picture it saves
# (target/e2e/docs.png by default).
set -euo pipefail
cd "$(dirname "$0")/../.."
PORT=${PORT:-8360}; BASE=http://127.0.0.1:$PORT
SCREENSHOT=${SCREENSHOT:-$PWD/target/e2e/docs.png}
WORK=$(mktemp -d -t api-e2e.XXXX)

if ! command -v chromium >/dev/null; then
  echo "installing chromium"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
(cd tests/e2e && npm ci --no-audit --no-fund --silent)
cargo build --bin api -q
mkdir -p "$(dirname "$SCREENSHOT")"

DATABASE_URL="sqlite://$WORK/e2e.db?mode=rwc" PORT=$PORT JWT_SECRET=e2e-secret-e2e-secret-e2e-secret-0123 \
  BCRYPT_COST=4 AUTH_RATE_LIMIT_PER_MINUTE=0 RUST_LOG=warn target/debug/api >"$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do curl -sf "$BASE/health" >/dev/null && break; sleep 0.1; done
CHROMIUM=$(command -v chromium) node tests/e2e/docs.mjs "$BASE" "$SCREENSHOT"

# Account recovery and e-mail verification, through the mailed links (tests/e2e/account.mjs).
bash tests/e2e/run_account.sh
