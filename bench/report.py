"""Turns the bench's raw JSON lines into OUT/report.md, OUT/results.json and OUT/chart.svg.

    report.py RAW.jsonl WORK_DIR OUT_DIR

Targets are checked and reported (met / missed), never enforced: timings on a shared machine
vary, so the bench itself always succeeds."""
import datetime
import html
import json
import math
import os
import subprocess
import sys

raw, work, out = sys.argv[1:4]
rows = [json.loads(l) for l in open(raw) if l.strip()]
runs = [r for r in rows if r["kind"] in ("read", "list", "write", "login", "mixed")]
pgbench = {(r["backend"], r["name"]): r["tps"] for r in rows if r["kind"] == "pgbench"}
bounds = {r["backend"]: r["per_s"] for r in rows if r["kind"] == "bound"}


def find(backend, name):
    return next((r for r in runs if r["backend"] == backend and r["name"] == name), None)


def verdict(ok):
    return "met" if ok else "**missed**"


def target(r):
    """The issue's target for this run, and whether it holds (None: no target here)."""
    name, b, p99 = r["name"], r["backend"], r["p99_ms"] or 0
    limit = pgbench.get((b, name))
    if name == "product by id":
        ceiling = pgbench.get((b, "pgbench -S -M prepared"))
        text = "p99 < 5 ms" + (", ≥ 0.4 × pgbench -S" if ceiling else "")
        return text, p99 < 5 and (not ceiling or r["rps"] >= 0.4 * ceiling)
    if r["kind"] == "list" and r["conc"] == CONC:
        # A cursor page costs the database what a first page does, so it is held to that.
        deep = "offset" in name
        text = f"p99 < {50 if deep else 20} ms" + (", ≥ 0.5 × pgbench -f" if deep and limit else "")
        return text, p99 < (50 if deep else 20) and (not deep or not limit or r["rps"] >= 0.5 * limit)
    if r["kind"] == "write" and limit:
        return "≥ 0.5 × pgbench -f", r["rps"] >= 0.5 * limit
    bound = bounds.get(b)
    if r["kind"] == "login" and bound:
        return f"≥ 90 % of the bcrypt bound ({bound:.1f}/s)", r["rps"] >= 0.9 * bound
    if name == "health, during logins":
        return "p99 < 10 ms", p99 < 10
    if name.endswith("c=256"):
        return "RSS < 100 MB", r["rss_mb"] < 100
    return None, None


CONC = max((r["conc"] for r in runs if r["kind"] == "list"), key=lambda c: sum(
    1 for r in runs if r["conc"] == c), default=32)
REPEAT = max((r.get("runs", 1) for r in runs), default=1)
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
lines = [
    "# Benchmark report", "",
    f"`make bench` at commit `{commit}`, {when}, on {os.cpu_count()} cores; wrk -t2 -c{CONC} "
    "over loopback, one scenario at a time, after a 2 s warm-up. The server, wrk and the "
    "database share the same cores. Targets come from issue 8 and are reported, not enforced.", "",
    f"Each figure (req/s, p50, p99, and each pgbench limit) is the median of {REPEAT} runs of "
    f"{os.environ.get('DUR', '5s')} ({os.environ.get('LOGIN_DUR', '20s')} for logins); non-2xx counts all of them. Every run's req/s and p99 are "
    "in results.json (`rps_runs`, `p99_runs`).", "",
]
for backend in dict.fromkeys(r["backend"] for r in runs):
    lines += [f"## {backend}", "",
              "| scenario | req/s | p50 ms | p99 ms | non-2xx | RSS MB | DB limit (pgbench) | ratio | target | |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---|---|"]
    for r in (r for r in runs if r["backend"] == backend):
        limit = pgbench.get((backend, r["name"]))
        if r["name"] == "product by id":
            limit = pgbench.get((backend, "pgbench -S -M prepared"))
        text, ok = target(r)
        conc = "" if r["conc"] == CONC or "c=" in r["name"] else f" (c={r['conc']})"
        ratio = f"{r['rps'] / limit:.2f}" if limit else ""
        lines.append(
            f"| {r['name']}{conc} | {r['rps']:.{1 if r['rps'] < 100 else 0}f} | {r['p50_ms'] or 0:.2f} | {r['p99_ms'] or 0:.2f} "
            f"| {r['non2xx']} | {r['rss_mb']:.1f} | {f'{limit:.0f}' if limit else ''} | {ratio} "
            f"| {text or ''} | {verdict(ok) if ok is not None else ''} |")
    idle = next((x["rss_mb"] for x in rows if x["kind"] == "rss" and x["backend"] == backend), None)
    if idle is not None:
        lines += ["", f"Idle RSS: {idle:.1f} MB (target < 30 MB: {verdict(idle < 30)})."]
    for inv in (x for x in rows if x["kind"] == "invariant" and x["backend"] == backend):
        lines += ["", f"{inv['name']}: {inv['violations']} violations over {inv['movements']} "
                  f"ledger lines on the 10 hot products ({verdict(inv['violations'] == 0)})."]
    for mem in (x for x in rows if x["kind"] == "memory" and x["backend"] == backend):
        rss, step = mem["rss_mb"], mem["interval_s"]
        if len(rss) > 60 // step:
            warm, end = rss[60 // step - 1], rss[-1]
            lines += ["", f"Memory over {len(rss) * step} s of mixed reads (products by id, pages "
                      "at random offsets and random searches, signed-in post pages as every seeded "
                      f"user, comments): RSS every {step} s: {', '.join(f'{v:.0f}' for v in rss)} MB. "
                      f"After the first minute {warm:.1f} MB, at the end {end:.1f} MB, at most "
                      f"{max(rss):.1f} MB (no growth, the end within 5 % of the first minute: "
                      f"{verdict(end <= warm * 1.05)})."]
    if backend in bounds:
        lines += ["", f"bcrypt bound (cores ÷ one cost-{os.environ.get('BCRYPT_COST', '12')} check, "
                  f"Rust's bcrypt crate, measured just before and after the logins): "
                  f"{bounds[backend]:.1f} logins/s."]
    lines.append("")
lines += ["## The database's own cost of each list page", "",
          "Each list scenario's statements, as PostgreSQL logged them for one steady-state "
          "request (parameters put back), were run by `pgbench -M prepared -f` at the same "
          "concurrency; the ratio above is our req/s over that tps. Their plans:", ""]
explain = os.path.join(work, "explain.md")
lines += [open(explain).read() if os.path.exists(explain) else "(no PostgreSQL run)", ""]
writes = os.path.join(work, "writes.md")
if os.path.exists(writes):
    lines += ["## The database's own cost of each write", "",
              "Each write's statements, as PostgreSQL logged them for one request, repeated by "
              "`pgbench -M prepared -f` at the same concurrency for other rows as the load does "
              "(one of the 10 hot products; each client a user of its own voting on one of two "
              "posts, and unvoting; a fresh id for each new row). A vote and its unvote are two "
              "requests, so that script's tps counts double.", "", open(writes).read(), ""]
for name in sorted(f for f in os.listdir(work) if f.startswith("explain-")):
    rows_n = name.split("-")[1].split(".")[0]
    lines += [f"### First page's ids at {rows_n} products", "", "```",
              open(os.path.join(work, name)).read().strip(), "```", ""]
os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "report.md"), "w") as f:
    f.write("\n".join(lines))
with open(os.path.join(out, "results.json"), "w") as f:
    json.dump({"commit": commit, "at": when, "cores": os.cpu_count(), "concurrency": CONC,
               "results": rows}, f, indent=1)

# chart.svg: req/s per scenario (log scale bars) with p99 beside each bar
bars = runs
height, left, width = 22 * len(bars) + 60, 430, 900
scale = lambda v: 0 if v <= 1 else (width - left - 170) * math.log10(v) / math.log10(
    max(r["rps"] for r in bars) * 1.2)
colors = {"postgres": "#336791", "sqlite": "#7aa95c"}
svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
       'font-family="sans-serif" font-size="12">',
       f'<text x="10" y="20" font-size="14" font-weight="bold">req/s per scenario (log scale) '
       f'and p99 latency, commit {html.escape(commit)}</text>']
for i, r in enumerate(bars):
    y = 40 + i * 22
    label = f"{r['backend']}: {r['name']}" + ("" if r["conc"] == CONC or "c=" in r["name"] else f" (c={r['conc']})")
    color = colors.get(r["backend"].split("@")[0], "#999")
    svg += [f'<text x="{left - 6}" y="{y + 13}" text-anchor="end">{html.escape(label)}</text>',
            f'<rect x="{left}" y="{y}" width="{scale(r["rps"]):.1f}" height="16" fill="{color}"/>',
            f'<text x="{left + scale(r["rps"]) + 6:.1f}" y="{y + 13}">{r["rps"]:.0f} req/s, '
            f'p99 {r["p99_ms"] or 0:.1f} ms</text>']
svg.append("</svg>")
with open(os.path.join(out, "chart.svg"), "w") as f:
    f.write("\n".join(svg))
print("\n".join(lines[:60]))
