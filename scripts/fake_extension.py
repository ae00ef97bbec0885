#!/usr/bin/env python3
"""A minimal Lambda extension in Python, to exercise lambda-sim itself end to end (it is no
model of the real extension). It registers, subscribes to the Telemetry API (or the Logs API
when that is refused), forwards agent intake bodies to the APM Server uncompressed, ends each
invocation on the agent's flush, runtimeDone or deadline - 200 ms, and exits on SHUTDOWN.

FAKE_EXTENSION_MODE changes what it does wrong: `normal`, `no-register` (sleeps instead),
`init-error` (reports an init error and exits 1), `ignore-shutdown` (never exits after SHUTDOWN).
"""
import gzip
import json
import os
import sys
import threading
import time
import urllib.request
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

API = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"]
SERVER = os.environ["ELASTIC_APM_LAMBDA_APM_SERVER"].rstrip("/")
RECEIVER_PORT = int(os.environ.get("ELASTIC_APM_DATA_RECEIVER_SERVER_PORT", "8200"))
MODE = os.environ.get("FAKE_EXTENSION_MODE", "normal")

done_lock = threading.Condition()
flushed = set()        # request ids... the agent does not say which: we count flushes
flush_count = 0
runtime_done = set()


def log(message):
    print(f"fake-extension: {message}", flush=True)


def call(method, path, body=None, headers=None, timeout=None):
    request = urllib.request.Request(API + path, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def forward(body):
    request = urllib.request.Request(SERVER + "/intake/v2/events", data=body, method="POST",
                                     headers={"Content-Type": "application/x-ndjson"})
    try:
        with urllib.request.urlopen(request, timeout=0.5) as response:
            response.read()
    except Exception as error:  # the sink's failure behaviours land here
        log(f"forward failed: {error}")


class Receiver(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        global flush_count
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        if self.path.startswith("/intake/v2/events") and body.strip():
            forward(body)
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()
        if "flushed=true" in self.path:
            with done_lock:
                flush_count += 1
                done_lock.notify_all()


class TelemetryListener(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        events = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
        with done_lock:
            for event in events:
                if event["type"] == "platform.runtimeDone":
                    runtime_done.add(event["record"]["requestId"])
            done_lock.notify_all()
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


def serve(server):
    threading.Thread(target=server.serve_forever, daemon=True).start()


def main():
    if MODE == "no-register":
        time.sleep(60)
        return 0
    serve(ThreadingHTTPServer(("127.0.0.1", RECEIVER_PORT), Receiver))
    listener = ThreadingHTTPServer(("127.0.0.1", 0), TelemetryListener)
    serve(listener)

    status, headers, _ = call("POST", "/2020-01-01/extension/register", json.dumps({"events": ["INVOKE", "SHUTDOWN"]}).encode(),
                              {"Lambda-Extension-Name": "fake_extension.py"})
    identifier = {k.lower(): v for k, v in headers.items()}["lambda-extension-identifier"]
    log(f"registered ({status})")
    auth = {"Lambda-Extension-Identifier": identifier}
    if MODE == "init-error":
        call("POST", "/2020-01-01/extension/init/error", b'{"errorMessage":"bad config"}',
             dict(auth, **{"Lambda-Extension-Function-Error-Type": "Extension.ConfigError"}))
        return 1

    subscription = {"schemaVersion": "2022-12-13", "types": ["platform", "function"],
                    "buffering": {"maxItems": 1000, "maxBytes": 262144, "timeoutMs": 25},
                    "destination": {"protocol": "HTTP", "URI": f"http://127.0.0.1:{listener.server_port}"}}
    status, _, _ = call("PUT", "/2022-07-01/telemetry", json.dumps(subscription).encode(), auth)
    if status not in (200, 202):
        subscription["schemaVersion"] = "2021-03-18"
        status, _, _ = call("PUT", "/2020-08-15/logs", json.dumps(subscription).encode(), auth)
    log(f"subscribed ({status})")

    flushes_seen = 0
    while True:
        _, _, body = call("GET", "/2020-01-01/extension/event/next", headers=auth)
        event = json.loads(body)
        if event["eventType"] == "SHUTDOWN":
            log(f"shutdown ({event['shutdownReason']})")
            if MODE == "ignore-shutdown":
                time.sleep(60)
            return 0
        request_id = event["requestId"]
        stop_at = event["deadlineMs"] / 1000 - 0.2
        with done_lock:
            while flush_count == flushes_seen and request_id not in runtime_done and time.time() < stop_at:
                done_lock.wait(max(0.0, stop_at - time.time()))
            flushes_seen = flush_count


if __name__ == "__main__":
    sys.exit(main())
