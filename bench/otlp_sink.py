"""An OTLP/HTTP receiver for the overhead benchmark: answers every POST /v1/traces with 200
and counts the exports and (roughly, from the protobuf) the spans; the counts are written to
the file named on the command line after each export.

usage: otlp_sink.py PORT COUNTS_FILE
"""

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, OUT = int(sys.argv[1]), sys.argv[2]
counts = {"exports": 0, "spans": 0, "bytes": 0}


def spans_in(body: bytes) -> int:
    """Spans in an ExportTraceServiceRequest, read off its protobuf tags without a schema:
    resource_spans (1) > scope_spans (2) > spans (2)."""

    def fields(buf):
        i = 0
        while i < len(buf):
            key, i = varint(buf, i)
            number, wire = key >> 3, key & 7
            if wire == 2:
                size, i = varint(buf, i)
                yield number, buf[i : i + size]
                i += size
            elif wire == 0:
                _, i = varint(buf, i)
            elif wire == 1:
                i += 8
            elif wire == 5:
                i += 4
            else:
                return

    def varint(buf, i):
        shift = result = 0
        while True:
            b = buf[i]
            i += 1
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                return result, i
            shift += 7

    total = 0
    for n, resource in fields(body):
        if n != 1:
            continue
        for m, scope in fields(resource):
            if m != 2:
                continue
            total += sum(1 for k, _ in fields(scope) if k == 2)
    return total


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        counts["exports"] += 1
        counts["bytes"] += len(body)
        counts["spans"] += spans_in(body)
        with open(OUT, "w") as f:
            json.dump(counts, f)
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
