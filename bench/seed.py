"""Seeds a running API through its own endpoints, so every row is one the service wrote.

    python3 bench/seed.py BASE_URL OUT_DIR [--products N] [--users U] [--posts P] [--votes V] [--comments C]

Writes OUT_DIR/product_ids.txt, post_ids.txt, token.txt (a member's access token) and
prints one summary line. Standard library only; 8 threads on keep-alive connections."""
import argparse
import http.client
import json
import random
import sys
import threading
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

args = argparse.ArgumentParser()
args.add_argument("base")
args.add_argument("out")
args.add_argument("--products", type=int, default=10_000)
args.add_argument("--users", type=int, default=100)
args.add_argument("--posts", type=int, default=1_000)
args.add_argument("--votes", type=int, default=5_000)
args.add_argument("--comments", type=int, default=2_000)
opts = args.parse_args()
url = urllib.parse.urlparse(opts.base)
tls = threading.local()
CATEGORIES = ["grocery", "household", "electronics", "stationery", "other"]


def request(method, path, body=None, token=None):
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    payload = None if body is None else json.dumps(body)
    for _ in range(3):
        if not hasattr(tls, "conn"):
            tls.conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
        try:
            tls.conn.request(method, path, body=payload, headers=headers)
            resp = tls.conn.getresponse()
            data = resp.read()
            break
        except (http.client.HTTPException, OSError):
            del tls.conn
    else:
        sys.exit(f"{method} {path}: no answer")
    if resp.status >= 300:
        sys.exit(f"{method} {path} -> {resp.status}: {data[:300]!r}")
    return json.loads(data) if data else None


def main():
    rng = random.Random(7)
    with ThreadPoolExecutor(8) as pool:
        tokens = list(pool.map(
            lambda i: request("POST", "/api/v1/auth/register",
                              {"email": f"bench{i}@example.com", "password": "password123"})["access_token"],
            range(opts.users)))
        specs = [(i, rng.randint(100, 999_999), rng.randint(0, 500)) for i in range(opts.products)]
        products = list(pool.map(
            lambda s: request("POST", "/api/v1/products", {
                "name": f"Product {s[0]:07d}", "price": f"{s[1] / 100:.2f}", "quantity": s[2],
                "category": CATEGORIES[s[0] % len(CATEGORIES)], "is_active": s[0] % 10 != 0,
            }, tokens[s[0] % opts.users])["id"], specs))
        posts = list(pool.map(
            lambda i: request("POST", "/api/v1/posts", {
                "title": f"Post number {i}", "content": f"What post {i} has to say. " * 8,
                "published": i % 7 != 0,
            }, tokens[i % opts.users])["id"], range(opts.posts)))
        published = [p for i, p in enumerate(posts) if i % 7 != 0]
        pairs = set()
        while len(pairs) < min(opts.votes, opts.users * len(published)):
            pairs.add((rng.randrange(opts.users), rng.randrange(len(published))))
        list(pool.map(lambda p: request("POST", "/api/v1/votes", {"post_id": published[p[1]], "dir": 1},
                                        tokens[p[0]]), sorted(pairs)))
        # Most comments on the first published post, so its comment list has depth.
        list(pool.map(lambda i: request("POST", f"/api/v1/posts/{published[0 if i % 2 else i % len(published)]}/comments",
                                        {"content": f"Comment {i}"}, tokens[i % opts.users]), range(opts.comments)))
    with open(f"{opts.out}/product_ids.txt", "w") as f:
        f.write("\n".join(products) + "\n")
    with open(f"{opts.out}/post_ids.txt", "w") as f:
        f.write("\n".join(published) + "\n")
    with open(f"{opts.out}/token.txt", "w") as f:
        f.write(tokens[1])
    with open(f"{opts.out}/tokens.txt", "w") as f:
        f.write("\n".join(tokens[:50]) + "\n")
    print(f"seeded {len(products)} products, {opts.users} users, {len(posts)} posts, "
          f"{len(pairs)} votes, {opts.comments} comments")


main()
