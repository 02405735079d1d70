#!/usr/bin/env bash
# make contract: the OpenAPI document against tools nobody here wrote. For each backend
# (BACKENDS, "sqlite postgres"; postgres needs TEST_DATABASE_URL): start the server, check
# /openapi.json with openapi-spec-validator, run schemathesis over every operation with a
# signed-in admin (every phase, response checks included), then generate a TypeScript
# client from the document (openapi-typescript), type-check a user's flow written against
# it (tsc) and run that flow against the server. Any failure fails.
#
# Env: BACKENDS, TEST_DATABASE_URL (a PostgreSQL server URL), MAX_EXAMPLES (100),
#      PORT (8350), VENV (where the pinned tools are installed, .venv-contract).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BACKENDS=${BACKENDS:-sqlite postgres}; PORT=${PORT:-8350}; VENV=${VENV:-.venv-contract}
MAX_EXAMPLES=${MAX_EXAMPLES:-100}; BASE=http://127.0.0.1:$PORT; SMTP_PORT=${SMTP_PORT:-8351}
WORK=$(mktemp -d -t api-contract.XXXX)
ADMIN_EMAIL=contract-admin@example.com; ADMIN_PASSWORD=contract-admin-password

case $VENV in /*) ;; *) VENV=$ROOT/$VENV ;; esac
# (Re)installed when the pins change; the copy of the pins marks what is installed.
if ! cmp -s tests/contract/requirements.txt "$VENV/installed.txt"; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q -r tests/contract/requirements.txt
  cp tests/contract/requirements.txt "$VENV/installed.txt"
fi
(cd tests/contract/ts && npm ci --no-audit --no-fund --silent)
cargo build --bin api -q

SERVER= SINK=
stop_server() {
  if [[ -n $SERVER ]]; then kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null || true; fi
  if [[ -n $SINK ]]; then kill "$SINK" 2>/dev/null; wait "$SINK" 2>/dev/null || true; fi
  SERVER= SINK=
}
trap 'stop_server; rm -rf "$WORK"' EXIT

for backend in $BACKENDS; do
  case $backend in
    sqlite) url="sqlite://$WORK/contract.db?mode=rwc" ;;
    postgres)
      [[ -n ${TEST_DATABASE_URL:-} ]] || { echo "postgres: TEST_DATABASE_URL is not set, skipped"; continue; }
      psql -qX "$TEST_DATABASE_URL" -c "drop database if exists api_contract with (force)" -c "create database api_contract" >/dev/null
      url="${TEST_DATABASE_URL%/*}/api_contract" ;;
    *) echo "unknown backend $backend"; exit 2 ;;
  esac
  echo "== $backend"
  # The mail goes to a local SMTP sink, so the client's flow can follow the links in it.
  mkdir -p "$WORK/mail-$backend"
  python3 tests/e2e/smtp_sink.py "$SMTP_PORT" "$WORK/mail-$backend" 2>"$WORK/sink.log" &
  SINK=$!
  # The fuzzer sends wrong current passwords as the admin: the per-account login budget
  # (tested on its own elsewhere) would lock the admin out of the second run.
  DATABASE_URL=$url PORT=$PORT JWT_SECRET=contract-secret-contract-secret-0123456789 BCRYPT_COST=4 \
    ADMIN_EMAIL=$ADMIN_EMAIL ADMIN_PASSWORD=$ADMIN_PASSWORD AUTH_RATE_LIMIT_PER_MINUTE=0 \
    LOGIN_FAILURES_PER_ACCOUNT=0 SMTP_URL=smtp://127.0.0.1:$SMTP_PORT APP_URL=$BASE RUST_LOG=warn \
    target/debug/api >"$WORK/server-$backend.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 100); do curl -sf "$BASE/health" >/dev/null && break; sleep 0.1; done
  curl -sf "$BASE/openapi.json" -o "$WORK/openapi.json"
  "$VENV/bin/openapi-spec-validator" "$WORK/openapi.json"
  login() {
    curl -sf "$BASE/api/v1/auth/login" -H 'content-type: application/json' \
      -d "{\"email\":\"$ADMIN_EMAIL\",\"password\":\"$ADMIN_PASSWORD\"}" |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
  }
  # One worker: with two threads, hypothesis' ast.parse of lambdas can crash CPython 3.11's
  # parser ("AST constructor recursion depth mismatch", cpython gh-106905), failing the run
  # on a tool error rather than on anything the API did.
  fuzz() { # TOKEN, then schemathesis options; from the scratch folder, where it keeps a cache
    local token=$1; shift
    (cd "$WORK" && "$VENV/bin/schemathesis" run "$BASE/openapi.json" \
      --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
      --phases examples,coverage,fuzzing --max-examples "$MAX_EXAMPLES" --seed 1 --workers 1 \
      -H "Authorization: Bearer $token" --report junit --report-dir "$WORK/report" \
      --no-color --warnings off --generation-database none "$@")
  }
  # Every operation but logout (WebSockets are not HTTP operations to fuzz), signed in as
  # the admin; then logout alone, on a session of its own, since it ends the session.
  fuzz "$(login)" --exclude-path /api/v1/auth/logout --exclude-path /ws/notify
  fuzz "$(login)" --include-path /api/v1/auth/logout
  (cd tests/contract/ts && npx openapi-typescript "$WORK/openapi.json" -o schema.d.ts --silent &&
    npx tsc -p . && node dist/flow.js "$BASE" "$WORK/mail-$backend")
  stop_server
  PASSED="${PASSED:-} $backend"
  if [[ $backend == postgres ]]; then
    psql -qX "$TEST_DATABASE_URL" -c "drop database if exists api_contract with (force)" >/dev/null
  fi
done
echo "contract: passed on${PASSED:- nothing}"
