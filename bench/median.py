"""JSON lines of one scenario's repeated runs (wrk_json.py's) on stdin -> one line: the
median of each rate and latency, the counts summed, the memory of the last run."""
import json
import statistics
import sys

runs = [json.loads(line) for line in sys.stdin if line.strip()]
if not runs:
    sys.exit("median.py: no runs on stdin")
out = dict(runs[-1])
for key in ("rps", "p50_ms", "p99_ms"):
    values = [r[key] for r in runs if r.get(key) is not None]
    out[key] = statistics.median(values) if values else None
for key in ("requests", "non2xx", "socket_errors"):
    out[key] = sum(r.get(key, 0) for r in runs)
out["runs"] = len(runs)
out["rps_runs"] = [r["rps"] for r in runs]
out["p99_runs"] = [r["p99_ms"] for r in runs]
print(json.dumps(out))
