"""A write scenario's captured statements (stdin) -> a pgbench script (stdout) that repeats
them for other rows, as the load does.

    write_sql.py KNOWN_IDS_FILE [--set UUID SQL_EXPR]... [--head PGBENCH_LINE]...

Each `--set` replaces one UUID literal (the row the request named, or its caller) with an
expression over pgbench variables. A UUID literal that is neither set nor listed in
KNOWN_IDS_FILE is an id the service minted for a new row: it becomes a fresh random id per
transaction, the same one wherever it recurs in the script."""
import argparse
import re
import sys

args = argparse.ArgumentParser()
args.add_argument("known")
args.add_argument("--set", nargs=2, action="append", default=[], metavar=("UUID", "EXPR"))
args.add_argument("--head", action="append", default=[])
opts = args.parse_args()
known = {line.strip() for line in open(opts.known) if line.strip()}
replace = {uuid: expr for uuid, expr in opts.set}
fresh = {}
UUID = re.compile(r"'([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})'")


def substitute(found):
    uuid = found.group(1)
    if uuid in replace:
        return replace[uuid]
    if uuid in known:
        return found.group(0)
    if uuid not in fresh:
        fresh[uuid] = f"fresh{len(fresh) + 1}"
    # 64 random bits in a UUID's text form: unique enough for a run's few thousand rows.
    return f"lpad(to_hex(:{fresh[uuid]}::bigint), 32, '0')::uuid"


body = [UUID.sub(substitute, line.rstrip("\n")) for line in sys.stdin if line.strip()]
head = opts.head + [f"\\set {v} random(1, 9223372036854775806)" for v in fresh.values()]
print("\n".join(head + body))
