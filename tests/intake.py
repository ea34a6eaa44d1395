#!/usr/bin/env python3
"""intake.py — a test intake on 127.0.0.1 that speaks PostHog capture, the Datadog logs
intake and an account-validate endpoint, records every request, and injects faults.

Usage: intake.py DIR [--tls CERT KEY] [--port N]
  Listens on an ephemeral port of 127.0.0.1, writes it to DIR/port, and appends one JSON
  line per request to DIR/requests.jsonl:
    {"time", "method", "path", "query", "headers" (lower-case names), "gzip", "body"
     (decoded JSON, or the text when it is not JSON), "status" (what was answered)}

Behaviour follows the capture service (see doc/design.md §5):
  POST /batch/, /i/v0/e/, /e/, /capture/, /track/ (trailing slash optional)
    body over 20 MiB -> 413; gzip when Content-Encoding: gzip, ?compression=gzip|gzip-js or
    the 1f 8b 08 magic bytes (corrupt gzip -> 400); JSON array, {api_key|token, batch} or one
    event, else 400; no token -> 401, mixed tokens -> 401, token empty/over 64/non-ASCII/
    phx_ -> 401; an event without a name or distinct_id -> 400; an event over 1 000 000 bytes
    -> 413; otherwise 200 {"status":"Ok"}.
  POST /api/v2/logs (Datadog): needs ddsource, dd-api-key and dd-request-id in the query;
    a JSON array (or newline-delimited objects); 202 {}. Logs whose "date" lies more than
    18 hours back are thrown away as the real intake does: still 202, the body
    {"discarded": N} tells the tests.
  POST /v1/logs (OTLP/HTTP JSON, as an OpenTelemetry Collector): Content-Type
    application/json, an ExportLogsServiceRequest object with a resourceLogs array, else
    400 (415 for another content type); 200 {"partialSuccess":{}}.
  GET /api/v1/auth/validate: "Authorization: Bearer KEY"; 200 {"data":{"principal_id":P}}
    when KEY is in the principals map, else 401.
  GET /api/v1/auth/whoami (Arcade's OAuth lookup): the same with the accounts map, answering
    200 {"data":{"account_id":A}}.

Control (JSON POSTed to /_control, answered 200):
  {"principals": {"KEY": "PRINCIPAL"}}            keys the validate endpoint accepts
  {"accounts": {"TOKEN": "ACCOUNT"}}              tokens the whoami endpoint accepts
  {"script": [STEP, ...], "route": "batch"}       the next requests on a route (batch, logs,
                                                 validate, or any) answer these steps in order:
     STEP = {"status": 503, "retry_after": "30", "delay": 1.5, "hang": true, "drop": true,
             "body": "...", "location": "https://..."}
       delay: seconds to wait before answering; hang: never answer (until the client goes);
       drop: close the connection without an answer.
  {"reset": true}                                 forget scripts and principals
"""
import gzip
import json
import os
import socket
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

WIRE_LIMIT = 20 * 1024 * 1024
EVENT_LIMIT = 1000000
DATADOG_MAX_AGE_S = 18 * 3600
POSTHOG_PATHS = {"/batch", "/i/v0/e", "/e", "/capture", "/track"}

lock = threading.Lock()
state = {"principals": {}, "accounts": {}, "scripts": {}}


def route_of(path):
    p = path.rstrip("/") or "/"
    if p in POSTHOG_PATHS:
        return "batch"
    if p == "/api/v2/logs":
        return "logs"
    if p == "/v1/logs":
        return "otlp"
    if p == "/api/v1/auth/validate":
        return "validate"
    if p == "/api/v1/auth/whoami":
        return "whoami"
    return None


def next_step(route):
    with lock:
        for key in (route, "any"):
            steps = state["scripts"].get(key)
            if steps:
                return steps.pop(0)
    return None


def token_ok(token):
    return (isinstance(token, str) and token.strip() != "" and len(token) <= 64
            and token.isascii() and "\0" not in token and not token.startswith("phx_"))


def check_otlp(content_type, body):
    if content_type.split(";")[0].strip() != "application/json":
        return 415, "unsupported content type"
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return 400, '{"code":3,"message":"not JSON"}'
    if not isinstance(doc, dict) or not isinstance(doc.get("resourceLogs"), list):
        return 400, '{"code":3,"message":"not an ExportLogsServiceRequest"}'
    return 200, '{"partialSuccess":{}}'


def check_posthog(body):
    """(status, answer) for a decoded capture body, following the capture service."""
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return 400, "failed to decode the request body"
    if isinstance(doc, list):
        events, envelope_token = doc, None
    elif isinstance(doc, dict) and "batch" in doc:
        events, envelope_token = doc["batch"], doc.get("api_key") or doc.get("token")
        if not isinstance(events, list):
            return 400, "batch is not an array"
    elif isinstance(doc, dict):
        events, envelope_token = [doc], None
    else:
        return 400, "unexpected body"
    if not events:
        return 400, "empty batch"
    tokens = set()
    for e in events:
        if not isinstance(e, dict):
            return 400, "event is not an object"
        props = e.get("properties") if isinstance(e.get("properties"), dict) else {}
        t = e.get("api_key") or e.get("token") or e.get("$token") or props.get("token")
        if t is not None:
            tokens.add(t)
    if envelope_token is not None:
        token = envelope_token
    elif len(tokens) == 1:
        token = tokens.pop()
    elif len(tokens) > 1:
        return 401, "batch has events with different tokens"
    else:
        return 401, "event submitted without an api_key"
    if not token_ok(token):
        return 401, "API key is not valid"
    for e in events:
        name = e.get("event")
        if not isinstance(name, str) or name == "":
            return 400, "event submitted without a name"
        props = e.get("properties") if isinstance(e.get("properties"), dict) else {}
        did = e.get("distinct_id", e.get("$distinct_id"))
        if did is None:
            did = props.get("distinct_id")
        if did is None or did == "":
            return 400, "event submitted without a distinct_id"
        if len(json.dumps(e)) > EVENT_LIMIT:
            return 413, "event too big"
    return 200, '{"status":"Ok"}'


def check_datadog(query, body):
    for name in ("ddsource", "dd-api-key", "dd-request-id"):
        if not query.get(name):
            return 403, "missing " + name
    text = body.decode("utf-8", "replace")
    try:
        doc = json.loads(text)
        logs = doc if isinstance(doc, list) else [doc]
    except ValueError:
        try:
            logs = [json.loads(line) for line in text.split("\n") if line.strip()]
        except ValueError:
            return 400, "bad payload"
    if not logs or len(logs) > 1000 or not all(isinstance(x, dict) for x in logs):
        return 400, "bad payload"
    # Like the real intake: a log dated more than 18 hours back is accepted and thrown away.
    oldest = (time.time() - DATADOG_MAX_AGE_S) * 1000
    discarded = sum(1 for x in logs if isinstance(x.get("date"), (int, float)) and x["date"] < oldest)
    return 202, "{}" if not discarded else '{"discarded":%d}' % discarded


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "test-intake"

    def log_message(self, *args):
        pass

    def record(self, status, gzipped, body, answer=None):
        try:
            decoded = json.loads(body) if body else None
        except (ValueError, UnicodeDecodeError):
            decoded = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        url = urlsplit(self.path)
        line = {
            "time": time.time(),
            "method": self.command,
            "path": url.path,
            "query": {k: v[0] for k, v in parse_qs(url.query).items()},
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "gzip": gzipped,
            "body": decoded,
            "status": status,
            "answer": answer,
        }
        with lock, open(self.server.log_path, "a") as f:
            f.write(json.dumps(line) + "\n")
            f.flush()

    def answer(self, status, text, step=None, content_type="application/json"):
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        if step and step.get("retry_after") is not None:
            self.send_header("Retry-After", str(step["retry_after"]))
        if step and step.get("location"):
            self.send_header("Location", step["location"])
        self.end_headers()
        self.wfile.write(data)

    def read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []  # the official OpenTelemetry exporters stream their gzip'd bodies
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def handle_step(self, step, gzipped=False, body=b""):
        """Apply a scripted fault; True when the request was fully handled."""
        if step.get("delay") or step.get("hang"):
            self.record(-1, gzipped, body)  # arrived: the answer is being held back
        if step.get("delay"):
            time.sleep(float(step["delay"]))
        if step.get("hang"):
            deadline = time.time() + 60
            self.connection.settimeout(0.2)
            while time.time() < deadline:
                try:
                    if self.connection.recv(1) == b"":
                        break
                except socket.timeout:
                    continue
                except OSError:
                    break
            self.close_connection = True
            return True
        if step.get("drop"):
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return True
        return False

    def do_POST(self):
        url = urlsplit(self.path)
        if url.path == "/_control":
            self.control(json.loads(self.read_body() or b"{}"))
            return
        raw = self.read_body()
        route = route_of(url.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        gzipped = (self.headers.get("Content-Encoding") == "gzip"
                   or query.get("compression") in ("gzip", "gzip-js") or raw[:3] == b"\x1f\x8b\x08")
        body = raw
        status, text = 200, '{"status":"Ok"}'
        if len(raw) > WIRE_LIMIT:
            status, text = 413, "payload too large"
        elif gzipped:
            try:
                body = gzip.decompress(raw)
            except (OSError, EOFError):
                status, text = 400, "corrupt gzip"
        step = next_step(route) if route else None
        if step and self.handle_step(step, gzipped, body):
            self.record(0, gzipped, body)
            return
        if step and step.get("status"):
            status, text = int(step["status"]), step.get("body", "")
        elif status == 200 and route == "batch":
            status, text = check_posthog(body)
        elif status == 200 and route == "logs":
            status, text = check_datadog(query, body)
        elif status == 200 and route == "otlp":
            status, text = check_otlp(self.headers.get("Content-Type", ""), body)
        elif status == 200:
            status, text = 404, "not found"
        self.record(status, gzipped, body, text)
        self.answer(status, text, step)

    def do_GET(self):
        url = urlsplit(self.path)
        route = route_of(url.path)
        step = next_step(route) if route else None
        if step and self.handle_step(step):
            self.record(0, False, b"")
            return
        if step and step.get("status"):
            status, text = int(step["status"]), step.get("body", "")
        elif route in ("validate", "whoami"):
            auth = self.headers.get("Authorization", "")
            key = auth[7:] if auth.startswith("Bearer ") else None
            table, field = ("principals", "principal_id") if route == "validate" else ("accounts", "account_id")
            with lock:
                principal = state[table].get(key)
            if principal is None:
                status, text = 401, '{"error":"invalid key"}'
            else:
                status, text = 200, json.dumps({"data": {field: principal}})
        else:
            status, text = 404, "not found"
        self.record(status, False, b"")
        self.answer(status, text, step)

    def control(self, doc):
        with lock:
            if doc.get("reset"):
                state["principals"].clear()
                state["accounts"].clear()
                state["scripts"].clear()
            for table in ("principals", "accounts"):
                state[table].update(doc.get(table, {}))
            if "script" in doc:
                state["scripts"].setdefault(doc.get("route", "any"), []).extend(doc["script"])
        self.answer(200, "{}")


def main():
    if len(sys.argv) < 2 or sys.argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        sys.exit(0 if len(sys.argv) > 1 else 2)
    folder = sys.argv[1]
    port = int(sys.argv[sys.argv.index("--port") + 1]) if "--port" in sys.argv else 0
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    if "--tls" in sys.argv:
        at = sys.argv.index("--tls")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(sys.argv[at + 1], sys.argv[at + 2])
        server.socket = context.wrap_socket(server.socket, server_side=True)
    server.log_path = os.path.join(folder, "requests.jsonl")
    open(server.log_path, "a").close()
    tmp = os.path.join(folder, "port.tmp")
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(tmp, os.path.join(folder, "port"))
    server.serve_forever()


if __name__ == "__main__":
    main()
