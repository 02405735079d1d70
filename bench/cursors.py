"""Cursors into a list at random depths, one per line, for wrk to request pages by cursor.

Usage: cursors.py BASE PATH_ENDING_IN_OFFSET= MAX_OFFSET COUNT OUT [TOKEN_FILE]
Each is the `next_cursor` of the page at a random offset, so it points that deep.
"""
import json
import random
import sys
import urllib.request

base, path, max_offset, count, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
headers = {}
if len(sys.argv) > 6:
    with open(sys.argv[6]) as f:
        headers["Authorization"] = "Bearer " + f.readline().strip()
cursors = []
for _ in range(count):
    request = urllib.request.Request(f"{base}{path}{random.randint(0, max_offset)}", headers=headers)
    with urllib.request.urlopen(request) as res:
        cursor = json.load(res)["next_cursor"]
    if cursor:
        cursors.append(cursor)
with open(out, "w") as f:
    f.write("\n".join(cursors) + "\n")
