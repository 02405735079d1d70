"""After the write scenarios: no lost update. Prints one JSON line.

    invariants.py BACKEND DATABASE_URL PRODUCT_IDS_FILE

Each hot product's quantity must equal the sum of its ledger's deltas, and every post's
vote count must equal its rows in `votes` (the counts the API shows are computed from them)."""
import json
import subprocess
import sys
import urllib.parse

backend, url, ids_file = sys.argv[1:4]
hot = [l.strip() for l in open(ids_file) if l.strip()][:10]
STOCK = ("select count(*) from products p where p.id in ({ids}) and p.quantity <> "
         "(select coalesce(sum(m.delta), 0) from stock_movements m where m.product_id = p.id)")
MOVES = "select count(*) from stock_movements m where m.product_id in ({ids})"


def run(sql):
    if backend == "postgres":
        return int(subprocess.check_output(["psql", "-qXAt", url, "-c", sql], text=True).strip())
    import sqlite3
    path = urllib.parse.urlparse(url.replace("sqlite://", "file://")).path
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchone()[0]


if backend == "postgres":
    ids = ",".join(f"'{i}'" for i in hot)
else:  # SeaORM keeps UUIDs as 16-byte blobs on SQLite
    ids = ",".join(f"x'{i.replace('-', '')}'" for i in hot)
print(json.dumps({
    "backend": backend, "name": "no lost update (stock ledger)", "kind": "invariant",
    "violations": run(STOCK.format(ids=ids)), "movements": run(MOVES.format(ids=ids)),
}))
