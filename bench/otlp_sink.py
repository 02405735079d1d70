"""An OTLP/HTTP receiver for the overhead benchmark and `make cluster`: answers every
POST /v1/traces with 200 and counts the exports and the spans (read off the protobuf without
its schema); the counts are written to COUNTS_FILE after each export and, when SPANS_FILE is
given, every span is appended to it as one JSON line: trace and span ids in hex, parent span
id, name, and the service that sent it.

usage: otlp_sink.py PORT COUNTS_FILE [SPANS_FILE]
"""

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, OUT = int(sys.argv[1]), sys.argv[2]
SPANS = sys.argv[3] if len(sys.argv) > 3 else None
counts = {"exports": 0, "spans": 0, "bytes": 0}


def varint(buf, i):
    shift = result = 0
    while True:
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7


def fields(buf):
    """(field number, bytes) of each length-delimited field of a protobuf message."""
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


def field(buf, number):
    return next((value for n, value in fields(buf) if n == number), b"")


def spans_in(body: bytes):
    """The spans of an ExportTraceServiceRequest: resource_spans (1) holds a resource (1)
    whose attributes (1) name the service, and scope_spans (2) holding spans (2)."""
    for n, resource_spans in fields(body):
        if n != 1:
            continue
        service = ""
        for k, attribute in fields(field(resource_spans, 1)):
            if k == 1 and field(attribute, 1) == b"service.name":
                service = field(field(attribute, 2), 1).decode(errors="replace")
        for m, scope in fields(resource_spans):
            if m != 2:
                continue
            for k, span in fields(scope):
                if k == 2:
                    yield {
                        "trace_id": field(span, 1).hex(),
                        "span_id": field(span, 2).hex(),
                        "parent_span_id": field(span, 4).hex(),
                        "name": field(span, 5).decode(errors="replace"),
                        "service": service,
                    }


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        counts["exports"] += 1
        counts["bytes"] += len(body)
        spans = list(spans_in(body))
        counts["spans"] += len(spans)
        if SPANS:
            with open(SPANS, "a") as f:
                f.writelines(json.dumps(span) + "\n" for span in spans)
        with open(OUT, "w") as f:
            json.dump(counts, f)
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
