"""make cluster's checks, run by scripts/cluster.sh once the stack is up: nginx on
CLUSTER_NGINX_PORT in front of three `api` replicas (CLUSTER_REPLICAS, NAME:PORT:PID each),
an `api worker`, PostgreSQL (CLUSTER_DATABASE_URL), Redis and an SMTP sink writing every
mail to CLUSTER_MAIL_DIR. Everything goes through nginx except what a check needs to pin to
one replica (a request on another replica's own port) or to read from one (its /metrics,
which nginx does not serve). Prints what it saw; exits 1 if any check failed.

Standard library and `websockets` (scripts/cluster/requirements.txt) only.
"""

import concurrent.futures
import email
import email.policy
import email.utils
import http.client
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time

from websockets.protocol import State
from websockets.sync.client import connect

NGINX_PORT = int(os.environ["CLUSTER_NGINX_PORT"])
NGINX_DIR = os.environ["CLUSTER_NGINX_DIR"]
MAIL_DIR = os.environ["CLUSTER_MAIL_DIR"]
DATABASE_URL = os.environ["CLUSTER_DATABASE_URL"]
RUN = os.environ["CLUSTER_RUN"]
# The limits cluster.sh gave the replicas.
LOGIN_BUDGET = int(os.environ["AUTH_RATE_LIMIT_PER_MINUTE"])
ACCOUNT_BUDGET = int(os.environ["LOGIN_FAILURES_PER_ACCOUNT"])


class Replica:
    def __init__(self, spec):
        self.name, port, pid = spec.split(":")
        self.port, self.pid = int(port), int(pid)

    def __str__(self):
        return f"{self.name} (port {self.port})"


REPLICAS = [Replica(spec) for spec in os.environ["CLUSTER_REPLICAS"].split(",")]


class Failed(Exception):
    pass


def expect(condition, message):
    if not condition:
        raise Failed(message)


# --- HTTP -------------------------------------------------------------------------------------


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)


def call(method, path, *, port=NGINX_PORT, body=None, token=None, source="127.0.0.1", timeout=15,
         extra=None):
    """One request on a connection of its own, from the local address `source` (any address
    in 127.0.0.0/8 is this host's loopback: a second client, as nginx sees it)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout, source_address=(source, 0))
    headers = {}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["content-type"] = "application/json"
    if token:
        headers["authorization"] = f"Bearer {token}"
    headers.update(extra or {})
    try:
        conn.request(method, path, body=data, headers=headers)
        res = conn.getresponse()
        return Response(res.status, {k.lower(): v for k, v in res.getheaders()}, res.read())
    finally:
        conn.close()


def ok(res, status, what):
    expect(res.status == status, f"{what}: {res.status}, not {status}: {res.body[:300]!r}")
    return res.json() if res.body else None


class User:
    def __init__(self, address, password, token, user_id):
        self.email, self.password, self.token, self.id = address, password, token, user_id


REGISTERED = []  # every address registered in this run: each must get one welcome mail
_sources = iter(range(10, 250))


def next_source():
    """A client address of its own: registrations count against a per-address budget too."""
    return f"127.0.0.{next(_sources)}"


def register(label, source=None, traceparent=None):
    address = f"c{RUN}-{label}@example.com"
    password = "pw-" + secrets.token_urlsafe(12)
    res = call("POST", "/api/v1/auth/register", source=source or next_source(),
               body={"email": address, "password": password, "name": label},
               extra={"traceparent": traceparent} if traceparent else None)
    body = ok(res, 201, f"register {address}")
    REGISTERED.append(address)
    return User(address, password, body["access_token"], body["user"]["id"])


def login(user, password, source):
    res = call("POST", "/api/v1/auth/login", source=source,
               body={"email": user.email, "password": password})
    return res.status


# --- each replica's own /metrics ----------------------------------------------------------------

SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$")
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def metrics(replica):
    res = call("GET", "/metrics", port=replica.port)
    expect(res.status == 200, f"{replica}: /metrics answered {res.status}")
    samples = []
    for line in res.body.decode().splitlines():
        m = SAMPLE.match(line)
        if m and not line.startswith("#"):
            samples.append((m[1], dict(LABEL.findall(m[2] or "")), float(m[3])))
    return samples


def served(replica, route, method):
    """Requests this replica answered on a route (its template), any status."""
    return int(sum(v for name, labels, v in metrics(replica)
                   if name == "http_requests_total" and labels.get("route") == route
                   and labels.get("method") == method))


def served_by_each(route, method, replicas=None):
    return {r.name: served(r, route, method) for r in (replicas or REPLICAS)}


def diff(after, before):
    return {name: after[name] - before[name] for name in after}


def gauge(replica, name):
    return sum(v for n, _, v in metrics(replica) if n == name)


def show(counts):
    return ", ".join(f"{name} {n}" for name, n in counts.items())


# --- WebSockets --------------------------------------------------------------------------------

OPEN_SOCKETS = 0  # ours, over every replica: nobody else opens any
QUERY_TOKENS = []  # every token sent in a query string (?token=): no log may keep one


def socket_counts():
    return {r.name: int(gauge(r, "websocket_connections")) for r in REPLICAS}


def settled_socket_counts(expected_total, deadline=5.0):
    """Each replica's open sockets, once their sum is what we hold (closes are counted when
    the server's task for the socket ends, a moment after the close)."""
    end = time.monotonic() + deadline
    while True:
        counts = socket_counts()
        if sum(counts.values()) == expected_total:
            return counts
        expect(time.monotonic() < end,
               f"the replicas count {show(counts)} open sockets, not {expected_total} in all")
        time.sleep(0.05)


def open_socket(user):
    """A WebSocket through nginx, and the replica that holds it (the one whose
    websocket_connections went up)."""
    global OPEN_SOCKETS
    before = settled_socket_counts(OPEN_SOCKETS)
    # proxy=None: nothing in the environment may send this elsewhere than to nginx.
    QUERY_TOKENS.append(user.token)
    ws = connect(f"ws://127.0.0.1:{NGINX_PORT}/ws/notify?token={user.token}",
                 open_timeout=10, close_timeout=3, proxy=None)
    OPEN_SOCKETS += 1
    after = settled_socket_counts(OPEN_SOCKETS)
    holders = [r for r in REPLICAS if after[r.name] > before[r.name]]
    expect(len(holders) == 1, f"no single replica took the socket: {show(before)} -> {show(after)}")
    return ws, holders[0]


def closed(_ws):
    """A socket of ours is closed (or being closed): one fewer to expect on the replicas."""
    global OPEN_SOCKETS
    OPEN_SOCKETS -= 1


def next_frame(ws, wanted, timeout=5.0):
    """The first frame for which `wanted(frame)` holds; others are skipped."""
    end = time.monotonic() + timeout
    while True:
        left = end - time.monotonic()
        expect(left > 0, "no such frame within %.0f s" % timeout)
        try:
            frame = json.loads(ws.recv(timeout=left))
        except TimeoutError:
            raise Failed("no such frame within %.0f s" % timeout) from None
        if wanted(frame):
            return frame


def close_frame(ws, timeout=5.0):
    """The code of the close frame the server sent (1006: the connection ended without one),
    as soon as it arrives; None if it did not within `timeout`. (The TCP connection ends
    later: the server lingers for a few hundred ms after its close frame.)"""
    end = time.monotonic() + timeout
    while ws.protocol.close_rcvd is None:
        if ws.protocol.state is State.CLOSED:
            return 1006
        if time.monotonic() > end:
            return None
        time.sleep(0.002)
    return ws.protocol.close_rcvd.code


# --- mail and jobs -------------------------------------------------------------------------------


def mails():
    """(recipient, text) of every mail the sink accepted."""
    found = []
    for name in sorted(os.listdir(MAIL_DIR)):
        if not name.endswith(".eml"):
            continue
        with open(os.path.join(MAIL_DIR, name), "rb") as f:
            msg = email.message_from_binary_file(f, policy=email.policy.default)
        text = ""
        for part in msg.walk():
            if part.get_content_type() == "text/plain":
                text += part.get_content()
        for _, address in email.utils.getaddresses(msg.get_all("To", [])):
            found.append((address.lower(), text))
    return found


def welcome_jobs():
    """(not yet done, all) welcome-mail jobs in the database."""
    out = subprocess.run(
        ["psql", "-qAtX", DATABASE_URL, "-c",
         "select count(*) filter (where status <> 'done'), count(*) from jobs "
         "where kind = 'welcome_email'"],
        check=True, capture_output=True, text=True).stdout.strip()
    pending, total = out.split("|")
    return int(pending), int(total)


def jobs_settled(timeout=30.0):
    end = time.monotonic() + timeout
    while True:
        pending, total = welcome_jobs()
        if pending == 0:
            return total
        expect(time.monotonic() < end, f"{pending} of {total} welcome-mail jobs still not done")
        time.sleep(0.1)


# --- the checks ---------------------------------------------------------------------------------

RESULTS = []


def check(title):
    """Runs the function it decorates at once, as one numbered check: the checks run in this
    file's order, each whether or not the ones before it passed (the last ones kill a
    replica and read what the run left behind)."""
    def run(fn):
        started = time.monotonic()
        print(f"\n== {len(RESULTS) + 1}. {title}", flush=True)
        try:
            fn()
            outcome = "ok"
        except Failed as e:
            outcome = f"FAIL: {e}"
        except Exception as e:  # a check that broke is a failed check, and the others still run
            outcome = f"FAIL: {type(e).__name__}: {e}"
        took = time.monotonic() - started
        print(f"   {outcome} ({took:.1f}s)", flush=True)
        RESULTS.append((title, outcome, took))
        return fn
    return run


def say(text):
    print(f"   {text}", flush=True)


@check("requests through nginx spread over the three replicas")
def spread():
    n = 60
    before = served_by_each("/api/v1/posts", "GET")
    for _ in range(n):
        ok(call("GET", "/api/v1/posts?limit=1"), 200, "GET /api/v1/posts through nginx")
    counts = diff(served_by_each("/api/v1/posts", "GET"), before)
    say(f"{n} GET /api/v1/posts through nginx, counted on each replica's own /metrics: {show(counts)}")
    expect(sum(counts.values()) == n, f"the replicas counted {sum(counts.values())} requests, not {n}")
    expect(all(c >= n // 6 for c in counts.values()), "a replica got less than half its share")


@check("a WebSocket through nginx gets the events caused through the other replicas")
def events_across_replicas():
    owner, other = register("owner"), register("commenter")
    post = ok(call("POST", "/api/v1/posts", token=owner.token,
                   body={"title": "Across replicas", "content": "hello", "published": True}),
              201, "create a post")
    ws, holder = open_socket(owner)
    try:
        say(f"the owner's socket (through nginx) is held by {holder}")
        first, second = [r for r in REPLICAS if r is not holder]
        started = time.monotonic()
        comment = ok(call("POST", f"/api/v1/posts/{post['id']}/comments", port=first.port,
                          token=other.token, body={"content": "seen everywhere?"}),
                     201, f"comment on {first}")
        frame = next_frame(ws, lambda f: f.get("type") == "comment.created"
                           and f["data"]["comment"]["id"] == comment["id"])
        say(f"comment made on {first}: comment.created on the socket after "
            f"{(time.monotonic() - started) * 1000:.0f} ms")
        started = time.monotonic()
        ok(call("POST", "/api/v1/votes", port=second.port, token=other.token,
                body={"post_id": post["id"], "dir": 1}), 201, f"vote on {second}")
        frame = next_frame(ws, lambda f: f.get("type") == "vote.created"
                           and f["data"]["post_id"] == post["id"])
        expect(frame["data"]["voter"]["id"] == other.id, f"vote.created names another voter: {frame}")
        say(f"vote made on {second}: vote.created (votes {frame['data']['votes']}) after "
            f"{(time.monotonic() - started) * 1000:.0f} ms")
    finally:
        ws.close()
        closed(ws)


@check("logout through nginx closes the session's sockets on the other replicas")
def logout_closes_sockets():
    user = register("sockets")
    sockets = []
    try:
        # Round robin puts consecutive sockets on different replicas; open more if not.
        while len(sockets) < 3 or (len({h.name for _, h in sockets}) < 2 and len(sockets) < 6):
            sockets.append(open_socket(user))
        say("the session's sockets are held by " + ", ".join(str(h) for _, h in sockets))
        before = served_by_each("/api/v1/auth/logout", "POST")
        started = time.monotonic()
        ok(call("POST", "/api/v1/auth/logout", token=user.token), 204, "logout through nginx")
        answered = time.monotonic() - started
        by = [r for r in REPLICAS if diff(served_by_each("/api/v1/auth/logout", "POST"), before)[r.name]]
        expect(len(by) == 1, "no single replica counted the logout")
        say(f"nginx passed the logout to {by[0]}; answered 204 in {answered * 1000:.0f} ms")
        elsewhere = [h for _, h in sockets if h is not by[0]]
        expect(elsewhere, "every socket is on the replica that logged out: nothing shown")
        for ws, holder in sockets:
            code = close_frame(ws)
            expect(code == 1008, f"the socket on {holder} got close code {code}, not 1008")
            say(f"socket on {holder}: close frame 1008 {(time.monotonic() - started) * 1000:.0f} ms "
                "after the logout was sent")
        for r in REPLICAS:
            status = call("GET", "/api/v1/users/me", port=r.port, token=user.token).status
            expect(status == 401, f"the logged-out token gets {status} on {r}, not 401")
        say("the token is refused (401) on each replica's own port")
    finally:
        for ws, _ in sockets:
            ws.close()
            closed(ws)


@check("each client address has its own login budget behind nginx (X-Forwarded-For)")
def login_budget_per_address():
    user = register("budget")
    first, second = "127.0.0.2", "127.0.0.3"
    expect(LOGIN_BUDGET + 2 < ACCOUNT_BUDGET,
           "LOGIN_FAILURES_PER_ACCOUNT must exceed the per-address budget for this check")
    before = served_by_each("/api/v1/auth/login", "POST")
    statuses = [login(user, "a wrong password", first) for _ in range(LOGIN_BUDGET + 1)]
    spread = diff(served_by_each("/api/v1/auth/login", "POST"), before)
    say(f"{first}: {LOGIN_BUDGET + 1} wrong passwords -> {statuses}, answered by {show(spread)}")
    expect(statuses == [401] * LOGIN_BUDGET + [429],
           f"expected {LOGIN_BUDGET} x 401 then 429 (AUTH_RATE_LIMIT_PER_MINUTE={LOGIN_BUDGET})")
    expect(sum(1 for n in spread.values() if n) >= 2,
           "the attempts reached one replica only: the budget's sharing (Redis) is not shown")
    status = login(user, user.password, first)
    say(f"{first}: the right password -> {status} (this address' budget is spent)")
    expect(status == 429, f"the right password from {first} got {status}, not 429")
    status = login(user, "a wrong password", second)
    say(f"{second}: a wrong password, same account -> {status}")
    expect(status == 401, f"{second} got {status}, not 401: it shares {first}'s budget "
                          "(X-Forwarded-For not set by nginx, or TRUSTED_PROXIES not honoured)")
    status = login(user, user.password, second)
    say(f"{second}: the right password -> {status}")
    expect(status == 200, f"{second} with the right password got {status}, not 200")


@check("20 registrations through nginx: one welcome mail each")
def welcome_mails():
    jobs_settled()  # the earlier checks' mails first, so the counts below are this check's
    replicas_before = {r.name: gauge(r, "jobs_done_total") for r in REPLICAS}
    labels = [f"mail{i:02d}" for i in range(20)]
    sources = [next_source() for _ in labels]
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(5) as pool:
        users = list(pool.map(register, labels, sources))
    say(f"20 registrations (each from its own address) answered 201 in {time.monotonic() - started:.1f}s")
    wanted = {u.email for u in users}
    end = time.monotonic() + 30
    while True:
        arrived = {a for a, _ in mails()} & wanted
        if arrived == wanted:
            break
        expect(time.monotonic() < end, f"{len(wanted - arrived)} of 20 welcome mails missing after 30 s")
        time.sleep(0.1)
    say(f"all 20 welcome mails in the SMTP sink {time.monotonic() - started:.1f}s after the first registration")
    jobs_settled()  # every job done: no attempt still running that could send a second copy
    counts = {}
    for address, text in mails():
        if address in wanted:
            counts[address] = counts.get(address, 0) + 1
            link = f"http://127.0.0.1:{NGINX_PORT}/verify-email?token="
            expect(link in text, f"the mail to {address} has no verification link to nginx ({link})")
    twice = {a: n for a, n in counts.items() if n != 1}
    expect(not twice, f"mails not received exactly once: {twice}")
    by_replicas = {r.name: int(gauge(r, "jobs_done_total") - replicas_before[r.name]) for r in REPLICAS}
    say(f"each of the 20 exactly once; jobs done by the replicas' workers: {show(by_replicas)}, "
        f"by `api worker`: {20 - sum(by_replicas.values())}")


def spans():
    with open(os.environ["CLUSTER_SPANS"]) as f:
        return [json.loads(line) for line in f if line.strip()]


@check("a registration's trace spans the replica that answered it and the process that ran its job")
def traces_across_processes():
    traces = {}
    for i in range(8):
        trace_id, caller = secrets.token_hex(16), secrets.token_hex(8)
        traces[trace_id] = caller
        register(f"traced{i}", traceparent=f"00-{trace_id}-{caller}-01")
    end = time.monotonic() + 20
    while True:
        by_trace = {}
        for span in spans():
            if span["trace_id"] in traces:
                by_trace.setdefault(span["trace_id"], []).append(span)
        complete = {
            t: s for t, s in by_trace.items()
            if any(x["name"] == "job welcome_email" for x in s)
            and any(x["name"] == "POST /api/v1/auth/register" for x in s)
        }
        if len(complete) == len(traces):
            break
        expect(time.monotonic() < end, f"{len(traces) - len(complete)} of {len(traces)} traces "
               f"still lack their request or job span after 20 s")
        time.sleep(0.2)
    ran_by = {}
    for trace_id, trace in complete.items():
        server = next(x for x in trace if x["name"] == "POST /api/v1/auth/register")
        job = next(x for x in trace if x["name"] == "job welcome_email")
        expect(server["parent_span_id"] == traces[trace_id], "the server span continues the caller's")
        expect(server["service"] == "api", f"the request was traced by {server['service']!r}")
        ids = {x["span_id"] for x in trace}
        expect(job["parent_span_id"] in ids, "the job span is a child of the request's trace")
        ran_by[job["service"]] = ran_by.get(job["service"], 0) + 1
    # Shown: a trace that crosses processes (a replica answered, `api worker` ran the job), if any.
    example = next((t for t in complete.values()
                    if any(x["service"] == "api-worker" for x in t)), next(iter(complete.values())))
    say(f"{len(traces)} registrations with a traceparent: each trace holds the replica's server span, "
        f"its statements and the job's span; jobs ran in {show(ran_by)}")
    say("one trace: " + ", ".join(sorted({f"{x['service']}: {x['name']}" for x in example})))


@check("a replica SIGKILLed under load loses no GET (nginx retries it on another)")
def kill_under_load():
    # What nginx retries (proxy_next_upstream error timeout http_502 http_503 in
    # deploy/nginx.conf): a request whose replica refused the connection, timed out, dropped
    # the connection or answered 502/503 goes to the next replica. Idempotent requests (GET,
    # HEAD, PUT, DELETE) are retried in every case. A POST (or PATCH) is retried only if it
    # never reached the replica (connection refused); once sent, nginx never sends it again,
    # since the dead replica may have done the work: the client gets 502 and retries it
    # itself, safely with an Idempotency-Key. So this check loads GETs only.
    victim = REPLICAS[2]
    survivors = [r for r in REPLICAS if r is not victim]
    access_log = os.path.join(NGINX_DIR, "access.log")
    error_log = os.path.join(NGINX_DIR, "error.log")
    access_from, error_from = os.path.getsize(access_log), os.path.getsize(error_log)
    before = served_by_each("/api/v1/posts", "GET", survivors)
    total, kill_at, threads = 600, 150, 12
    statuses, lock, done = [], threading.Lock(), [0]
    killed_at = []

    def one(_):
        try:
            status = call("GET", "/api/v1/posts?limit=5").status
        except Exception as e:  # the connection to nginx failed: as bad as a 5xx
            status = f"{type(e).__name__}: {e}"
        with lock:
            statuses.append(status)
            done[0] += 1
            if done[0] == kill_at:
                os.kill(victim.pid, signal.SIGKILL)
                killed_at.append(time.monotonic())

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, range(total)))
    took = time.monotonic() - started
    expect(killed_at, "the replica was not killed")
    say(f"{total} GET /api/v1/posts through nginx, {threads} at a time, in {took:.1f}s; "
        f"{victim} (pid {victim.pid}) SIGKILLed after {kill_at} answers")
    failed = [s for s in statuses if not (isinstance(s, int) and 200 <= s < 300)]
    answered = {}
    for s in statuses:
        answered[s] = answered.get(s, 0) + 1
    say(f"answers: {answered}")
    after = served_by_each("/api/v1/posts", "GET", survivors)
    say(f"served by the survivors meanwhile: {show(diff(after, before))}; "
        f"the rest by {victim} before it died")
    with open(access_log) as f:
        f.seek(access_from)
        lines = [line for line in f if "GET /api/v1/posts " in line]
    retried = [line for line in lines if re.search(r'upstream_status="[^"]*,', line)]
    with open(error_log) as f:
        f.seek(error_from)
        errors = f.read().splitlines()
    refused = sum("Connection refused" in e for e in errors)
    dropped = sum("prematurely closed" in e or "reset by peer" in e for e in errors)
    say(f"nginx retried {len(retried)} of them on another replica (access log: more than one "
        f"upstream tried); its error log: {refused} connections refused, {dropped} dropped mid-request")
    for line in retried[:3]:
        say("  " + re.sub(r"^.*(upstream=.*)$", r"\1", line.strip()))
    say("(the shell reports the SIGKILLed replica as \"Killed\" when it reaps it)")
    say("not retried by nginx, by design: a POST/PATCH already sent to the replica that died "
        "(it answers 502; the client retries with an Idempotency-Key)")
    expect(not failed, f"{len(failed)} of {total} GETs were not answered 2xx: {failed[:5]}")
    expect(retried, "no request was retried: the kill did not happen under load")


@check("afterwards: every welcome mail of the run arrived exactly once")
def mails_once_in_all():
    jobs_settled()
    counts = {}
    for address, _ in mails():
        counts[address] = counts.get(address, 0) + 1
    wrong = {a: counts.get(a, 0) for a in REGISTERED if counts.get(a, 0) != 1}
    expect(not wrong, f"mails not received exactly once: {wrong}")
    extra = set(counts) - set(REGISTERED)
    expect(not extra, f"mails to addresses nobody registered: {extra}")
    say(f"{len(REGISTERED)} registrations in this run, {sum(counts.values())} mails, one each")


@check("no log of nginx or the replicas keeps a token sent as ?token=")
def no_tokens_in_logs():
    work = os.path.dirname(NGINX_DIR)
    logs = [os.path.join(NGINX_DIR, "access.log"), os.path.join(NGINX_DIR, "error.log")]
    logs += [os.path.join(work, f"{r.name}.log") for r in REPLICAS]
    expect(QUERY_TOKENS, "no token was sent in a query string")
    for path in logs:
        with open(path, errors="replace") as f:
            text = f.read()
        leaked = [t for t in QUERY_TOKENS if t in text]
        expect(not leaked, f"{os.path.basename(path)} holds {len(leaked)} of the tokens")
    with open(logs[0]) as f:
        sockets = sum(" /ws/notify " in line for line in f)
    say(f"{len(QUERY_TOKENS)} tokens sent as /ws/notify?token=, found in none of nginx's access "
        f"log ({sockets} /ws/notify lines), nginx's error log, or the replicas' logs")


print("\n== summary")
for title, outcome, took in RESULTS:
    print(f"   {'ok  ' if outcome == 'ok' else 'FAIL'} {took:5.1f}s  {title}")
failed = [t for t, outcome, _ in RESULTS if outcome != "ok"]
if failed:
    print(f"\ncluster: {len(failed)} of {len(RESULTS)} checks failed", file=sys.stderr)
    sys.exit(1)
print(f"\ncluster: all {len(RESULTS)} checks passed")
