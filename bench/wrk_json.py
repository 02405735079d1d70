"""wrk's --latency output on stdin -> one JSON line: wrk_json.py BACKEND NAME KIND CONC RSS_MB"""
import json
import re
import sys

backend, name, kind, conc, rss = sys.argv[1:6]
text = sys.stdin.read()
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def ms(value):
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * UNITS[unit]


def latency(pct):
    found = re.search(rf"^\s+{pct}%\s+(\S+)", text, re.M)
    return ms(found.group(1)) if found else None


rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
total = re.search(r"(\d+) requests in", text)
print(json.dumps({
    "backend": backend, "name": name, "kind": kind, "conc": int(conc),
    "rps": float(rps.group(1)) if rps else 0.0,
    "requests": int(total.group(1)) if total else 0,
    "p50_ms": latency(50), "p99_ms": latency(99),
    "non2xx": int(non2xx.group(1)) if non2xx else 0,
    "socket_errors": sum(map(int, errors.groups())) if errors else 0,
    "rss_mb": float(rss),
}))
