#!/usr/bin/env bash
# Account recovery in a real browser (tests/e2e/account.mjs): the server on a fresh SQLite
# database sends its mail to a local SMTP sink (tests/e2e/smtp_sink.py), and Debian's
# Chromium, headless, follows the links in it. Builds and installs nothing: run.sh has built
# target/debug/api and installed puppeteer-core first. ACCOUNT_SMTP_PORT (8361) and
# ACCOUNT_PORT (8362) keep clear of run.sh's own server; SCREENSHOT_DIR (target/e2e) gets
# the pictures.
set -euo pipefail
cd "$(dirname "$0")/../.."
SMTP_PORT=${ACCOUNT_SMTP_PORT:-8361}; PORT=${ACCOUNT_PORT:-8362}; BASE=http://127.0.0.1:$PORT
SCREENSHOT_DIR=${SCREENSHOT_DIR:-$PWD/target/e2e}
[ -x target/debug/api ] || { echo "target/debug/api is missing: run tests/e2e/run.sh" >&2; exit 1; }
[ -d tests/e2e/node_modules/puppeteer-core ] || { echo "puppeteer-core is missing: run tests/e2e/run.sh" >&2; exit 1; }
# Another server already there would answer /health in ours' place.
if curl -s -o /dev/null "$BASE/health"; then echo "port $PORT is in use" >&2; exit 1; fi
WORK=$(mktemp -d -t api-e2e-account.XXXX)
MAIL_DIR=$WORK/mail
mkdir -p "$SCREENSHOT_DIR" "$MAIL_DIR"

SINK= SERVER=
stop() {
  local rc=$?
  set +e  # a clean-up step that fails must not skip the others
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
  [ -n "$SINK" ] && kill "$SINK" 2>/dev/null && wait "$SINK" 2>/dev/null
  # The server's own account of a failure, before its directory goes.
  if [ "$rc" -ne 0 ] && [ -s "$WORK/server.log" ]; then
    echo "--- server log (last 40 lines)" >&2
    tail -n 40 "$WORK/server.log" >&2
  fi
  rm -rf "$WORK"
}
trap stop EXIT

python3 tests/e2e/smtp_sink.py "$SMTP_PORT" "$MAIL_DIR" 2>"$WORK/sink.log" &
SINK=$!
for _ in $(seq 50); do (: >"/dev/tcp/127.0.0.1/$SMTP_PORT") 2>/dev/null && break; sleep 0.1; done
kill -0 "$SINK" 2>/dev/null || { cat "$WORK/sink.log" >&2; echo "the SMTP sink did not start" >&2; exit 1; }

DATABASE_URL="sqlite://$WORK/e2e.db?mode=rwc" PORT=$PORT JWT_SECRET=e2e-account-secret-e2e-account-secret-40 \
  BCRYPT_COST=4 AUTH_RATE_LIMIT_PER_MINUTE=0 SMTP_URL=smtp://127.0.0.1:$SMTP_PORT APP_URL=$BASE \
  RUST_LOG=warn target/debug/api >"$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 150); do curl -sf "$BASE/health" >/dev/null && break; sleep 0.1; done
CHROMIUM=$(command -v chromium) node tests/e2e/account.mjs "$BASE" "$MAIL_DIR" "$SCREENSHOT_DIR"
