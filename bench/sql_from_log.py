"""PostgreSQL's statement log on stdin -> one .sql file per bench scenario, each statement on
one line with its logged parameters put back in place (the log prints them as SQL literals).

    sql_from_log.py DB_NAME OUT_DIR

Scenarios are delimited by `select 'bench-marker|NAME'` statements the bench issues itself;
the job worker's polling of `jobs` is left out."""
import os
import re
import sys

db, out = sys.argv[1:3]
os.makedirs(out, exist_ok=True)
entry = re.compile(r"\[\d+\] \S+@(\S+) (LOG|DETAIL):\s+(.*)")
statements, current, pending = {}, None, None


def finish(stmt, params):
    sql = stmt
    for num in sorted(params, key=int, reverse=True):
        sql = sql.replace(f"${num}", params[num])
    if current and "bench-marker" not in sql and " jobs " not in sql:
        statements.setdefault(current, []).append(" ".join(sql.split()))


for line in sys.stdin:
    found = entry.search(line)
    if not found or found.group(1) != db:
        continue
    kind, text = found.group(2), found.group(3)
    if kind == "LOG":
        if pending:
            finish(pending, {})
            pending = None
        marker = re.search(r"'bench-marker\|([^']*)'", text)
        if marker:
            current = None if marker.group(1) == "end" else marker.group(1)
            continue
        executed = re.match(r"duration: [\d.]+ ms\s+(?:execute \S+|statement): (.*)", text)
        if executed:
            pending = executed.group(1)
    elif kind == "DETAIL" and pending and text.startswith("parameters:"):
        params = dict(re.findall(r"\$(\d+) = ('(?:[^']|'')*'|NULL)", text))
        finish(pending, params)
        pending = None
if pending:
    finish(pending, {})
for name, sqls in statements.items():
    path = os.path.join(out, re.sub(r"[^a-zA-Z0-9]", "_", name) + ".sql")
    with open(path, "w") as f:
        f.write("".join(s.rstrip(";") + ";\n" for s in sqls))
