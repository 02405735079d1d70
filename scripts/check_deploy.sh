#!/usr/bin/env bash
# The deployment's security properties (issue 39), checked for real: docker-compose.yml
# through Debian's docker-compose parser, and deploy/nginx.conf under a local nginx in
# front of a stub upstream that echoes the headers it received. Needs docker-compose and
# python3; installs Debian's nginx if missing. Uses 127.0.0.1 only, no Docker engine.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "check_deploy: FAIL: $*" >&2; exit 1; }
ok() { echo "check_deploy: ok: $*"; }

work=$(mktemp -d)
pids=()
cleanup() {
    if [ -s "$work/nginx.pid" ]; then kill "$(cat "$work/nginx.pid")" 2>/dev/null || true; fi
    if [ ${#pids[@]} -gt 0 ]; then kill "${pids[@]}" 2>/dev/null || true; fi
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# --- a. Compose refuses to start without the operator's own ADMIN_PASSWORD ----------------
command -v docker-compose >/dev/null || fail "docker-compose is not installed (apt-get install docker-compose)"
# An empty --env-file so that a developer's .env cannot supply the password (this
# docker-compose refuses /dev/null: "is not a file").
: >"$work/empty.env"
without_password() { env -u ADMIN_PASSWORD docker-compose --env-file "$work/empty.env" "$@"; }
with_password() {
    env ADMIN_PASSWORD=ci-only-not-a-real-password docker-compose --env-file "$work/empty.env" "$@"
}
if without_password config -q >"$work/compose.err" 2>&1; then
    fail "docker-compose config passes without ADMIN_PASSWORD; it must refuse"
fi
grep -q "ADMIN_PASSWORD" "$work/compose.err" \
    || fail "docker-compose config failed without ADMIN_PASSWORD, but not because of it: $(cat "$work/compose.err")"
ok "docker-compose config refuses to run without ADMIN_PASSWORD"
with_password config >"$work/compose.yml" \
    || fail "docker-compose config fails even with ADMIN_PASSWORD set"
ok "docker-compose config passes with ADMIN_PASSWORD set"

# --- b. No default password; the replicas trust nginx's address and nothing else ----------
if grep -n "change-me-now" docker-compose.yml "$work/compose.yml"; then
    fail "a default admin password (change-me-now) is still in the compose file"
fi
ok "no change-me-now in the compose file or its output"
# The interpreter docker-compose runs under has PyYAML (Debian's package depends on it).
compose_python=$(head -n1 "$(command -v docker-compose)" | sed -n 's/^#! *\([^ ]*\).*/\1/p')
"${compose_python:-python3}" - "$work/compose.yml" <<'PY' || fail "TRUSTED_PROXIES does not match nginx's fixed address (above)"
import ipaddress, sys, yaml

config = yaml.safe_load(open(sys.argv[1]))
services = config["services"]
nginx_nets = services["nginx"].get("networks") or {}
if not isinstance(nginx_nets, dict) or "default" not in nginx_nets or not (nginx_nets["default"] or {}).get("ipv4_address"):
    sys.exit("nginx has no fixed ipv4_address on the default network")
nginx = ipaddress.ip_address(nginx_nets["default"]["ipv4_address"])
ipam = ((config.get("networks") or {}).get("default") or {}).get("ipam") or {}
pools = ipam.get("config") or []
if len(pools) != 1 or "subnet" not in pools[0]:
    sys.exit("the default network has no single fixed subnet")
subnet = ipaddress.ip_network(pools[0]["subnet"])
if nginx not in subnet:
    sys.exit(f"nginx's address {nginx} is outside the subnet {subnet}")
if "ip_range" in pools[0] and nginx in ipaddress.ip_network(pools[0]["ip_range"]):
    sys.exit(f"nginx's address {nginx} is inside ip_range, where other containers get theirs")
with_proxies = {n: s["environment"]["TRUSTED_PROXIES"] for n, s in services.items()
                if "TRUSTED_PROXIES" in (s.get("environment") or {})}
if "api" not in with_proxies:
    sys.exit("the api service sets no TRUSTED_PROXIES")
for name, value in with_proxies.items():
    if str(value).strip() != str(nginx):
        sys.exit(f"{name}: TRUSTED_PROXIES is {value!r}, not exactly nginx's address {nginx}")
print(f"check_deploy: ok: TRUSTED_PROXIES is {nginx} (nginx's ipv4_address in {subnet}) "
      f"for {', '.join(sorted(with_proxies))}")
PY

# --- c. deploy/nginx.conf under a real nginx --------------------------------------------
# deploy/nginx/local.sh: Debian's nginx (installed if missing) and the local main
# configuration around the repository's own deploy/nginx.conf (as `make cluster` runs it).
source deploy/nginx/local.sh
nginx_bin=$(nginx_local_binary)

# What Compose mounts, as it mounts it: deploy/nginx.conf with deploy/nginx/site.compose.conf
# as api/site.conf beside the main configuration (the image's /etc/nginx/api/site.conf).
# `nginx -t` binds no port; the resolver and upstream name are only used at request time.
mkdir -p "$work/compose/api"
cp deploy/nginx/site.compose.conf "$work/compose/api/site.conf"
printf 'pid %s;\nevents {}\nhttp {\n    include %s;\n}\n' \
    "$work/compose/nginx.pid" "$PWD/deploy/nginx.conf" >"$work/compose/nginx.conf"
"$nginx_bin" -t -q -p "$work/compose" -e "$work/compose/error.log" -c "$work/compose/nginx.conf" \
    || fail "nginx rejects deploy/nginx.conf with Compose's include: $(cat "$work/compose/error.log")"
ok "nginx accepts deploy/nginx.conf with deploy/nginx/site.compose.conf, as Compose mounts them"

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# The stub upstream: answers every request with the headers it received (a JSON list of
# [name, value], repeats kept) and logs each path it served; a request whose query has
# `drop=1` gets no answer at all (the connection is closed), as from a replica that died.
cat >"$work/upstream.py" <<'PY'
import http.server, json, sys

class Echo(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        with open(sys.argv[2], "a") as seen:
            seen.write(self.path + "\n")
        if "drop=1" in self.path:
            self.close_connection = True
            return
        body = json.dumps(list(self.headers.items())).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Echo)
with open(sys.argv[1], "w") as port:
    port.write(str(server.server_address[1]))
server.serve_forever()
PY
python3 "$work/upstream.py" "$work/upstream.port" "$work/upstream.seen" &
pids+=($!)
for _ in $(seq 1 50); do [ -s "$work/upstream.port" ] && break; sleep 0.1; done
[ -s "$work/upstream.port" ] || fail "the stub upstream did not start"
upstream_port=$(cat "$work/upstream.port")
nginx_port=$(free_port)

# deploy/nginx.conf itself, with the stub as its one replica.
nginx_local_render "$work" "127.0.0.1:$nginx_port" "127.0.0.1:$upstream_port" \
    || fail "cannot fill in deploy/nginx/*.in"
"$nginx_bin" -t -q -p "$work" -e "$work/error.log" -c "$work/nginx.conf" \
    || fail "nginx rejects deploy/nginx.conf: $(cat "$work/error.log")"
"$nginx_bin" -p "$work" -e "$work/error.log" -c "$work/nginx.conf" -g 'daemon off;' &
pids+=($!)
for _ in $(seq 1 50); do
    curl -s -o /dev/null "http://127.0.0.1:$nginx_port/" && break
    sleep 0.1
done
base="http://127.0.0.1:$nginx_port"
curl -s -o /dev/null "$base/" || fail "nginx did not start: $(cat "$work/error.log")"

# header NAME in an upstream echo: every value received, one a line.
header() { python3 -c 'import json, sys
for k, v in json.load(sys.stdin):
    if k.lower() == sys.argv[1].lower(): print(v)' "$1"; }

# X-Forwarded-For: set by nginx to the peer it saw, whatever the client sent.
echo_=$(curl -fsS -H 'X-Forwarded-For: 6.6.6.6' "$base/api/v1/whoami") || fail "GET through nginx failed"
xff=$(header X-Forwarded-For <<<"$echo_")
[ "$xff" = "127.0.0.1" ] \
    || fail "a client's 'X-Forwarded-For: 6.6.6.6' reached the upstream as '${xff//$'\n'/ | }', not exactly '127.0.0.1'"
ok "X-Forwarded-For from the client is replaced by the peer address (127.0.0.1)"

# /metrics: not served through nginx, not even to 127.0.0.1, and never reaches a replica.
for path in /metrics '/metrics?x=1' //metrics /%6Detrics; do
    status=$(curl -s -o /dev/null -w '%{http_code}' --path-as-is "$base$path")
    [ "$status" = 403 ] || fail "GET $path through nginx answered $status, not 403"
done
# 403 from the deny rule itself, not from some other refusal (a missing file, permissions).
denied=$(grep -c 'access forbidden by rule' "$work/error.log" || true)
[ "$denied" = 4 ] || fail "expected 4 '/metrics' refusals by nginx's deny rule, the error log has $denied"
if grep -q metrics "$work/upstream.seen"; then
    fail "a /metrics request reached the upstream: $(grep metrics "$work/upstream.seen")"
fi
ok "/metrics is refused by nginx (403) and never proxied"

# The WebSocket upgrade still reaches the upstream.
echo_=$(curl -fsS -H 'Connection: Upgrade' -H 'Upgrade: websocket' "$base/ws/notify") || fail "GET /ws/notify failed"
[ "$(header Upgrade <<<"$echo_")" = websocket ] && [ "$(header Connection <<<"$echo_")" = upgrade ] \
    || fail "the WebSocket upgrade headers did not reach the upstream: $echo_"
ok "the WebSocket upgrade headers are proxied"

# The access log: paths only, never the query string that carries tokens.
secret="SECRET$RANDOM$RANDOM"
curl -fsS -o /dev/null "$base/ws/notify?token=$secret" || fail "GET /ws/notify?token= failed"
curl -fsS -o /dev/null "$base/reset-password?token=$secret" || fail "GET /reset-password?token= failed"
grep -q "/ws/notify" "$work/access.log" || fail "no access log line for /ws/notify: $(cat "$work/access.log")"
grep -q "/reset-password" "$work/access.log" || fail "no access log line for /reset-password"
if grep -n "$secret" "$work/access.log"; then
    fail "the access log keeps the token from the query string (above)"
fi
ok "the access log has the paths but not the ?token= values"

# The error log: nginx writes the request line, query string included, into every message
# about a request, so the paths that carry tokens log nothing there. A replica dropping the
# connection is logged for an ordinary path (the error log works) but not for those.
status=$(curl -s -o /dev/null -w '%{http_code}' "$base/api/v1/probe?drop=1")
[ "$status" = 502 ] || fail "a dropped upstream connection answered $status, not 502"
for path in /ws/notify /reset-password /verify-email; do
    status=$(curl -s -o /dev/null -w '%{http_code}' "$base$path?token=$secret&drop=1")
    [ "$status" = 502 ] || fail "GET $path?token=...&drop=1 answered $status, not 502"
done
grep -q 'upstream prematurely closed connection.*/api/v1/probe' "$work/error.log" \
    || fail "no error log message for the dropped connection of /api/v1/probe: $(cat "$work/error.log")"
if grep -n "$secret" "$work/error.log"; then
    fail "the error log keeps the token from the query string (above)"
fi
grep -q 'upstream_status="502"' "$work/access.log" \
    || fail "the access log does not show the replica's failed attempts (upstream_status)"
ok "the error log has upstream failures, but none of the ?token= requests"

echo "check_deploy: all checks passed"
