#!/usr/bin/env python3
"""The shape of aws-samples/aws-lambda-extensions' Python examples: registered from a launcher
that execs it from /opt, a Telemetry API listener bound to ``sandbox.localdomain`` (as their
Logs and Telemetry examples bind it), and a loop on /event/next. The samples use ``requests``;
this uses the standard library only, so it runs on any Python."""
import json
import os
import sys
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

API = os.environ["AWS_LAMBDA_RUNTIME_API"]
NAME = Path(__file__).parent.name


def call(method, path, headers, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"http://{API}{path}", data=data, method=method, headers=headers)
    with urllib.request.urlopen(req) as res:
        text = res.read()
        # The Telemetry API's subscription answers with plain text ("OK"), the others with JSON.
        is_json = res.headers.get("Content-Type", "").startswith("application/json")
        return res.headers, json.loads(text) if is_json else text.decode()


class Listener(BaseHTTPRequestHandler):
    def do_POST(self):
        records = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        for r in records:
            print(f"[{NAME}] telemetry {r['type']}", flush=True)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def main():
    headers, _ = call("POST", "/2020-01-01/extension/register",
                      {"Lambda-Extension-Name": NAME}, {"events": ["INVOKE", "SHUTDOWN"]})
    ext_id = headers["Lambda-Extension-Identifier"]
    print(f"[{NAME}] registered, running from {__file__}", flush=True)
    server = HTTPServer(("sandbox.localdomain", 0), Listener)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    call("PUT", "/2022-07-01/telemetry", {"Lambda-Extension-Identifier": ext_id}, {
        "schemaVersion": "2022-12-13",
        "types": ["platform"],
        "buffering": {"maxItems": 1000, "maxBytes": 262144, "timeoutMs": 25},
        "destination": {"protocol": "HTTP", "URI": f"http://sandbox.localdomain:{port}"},
    })
    print(f"[{NAME}] listening on {server.server_address[0]}:{port}", flush=True)
    while True:
        _, event = call("GET", "/2020-01-01/extension/event/next",
                        {"Lambda-Extension-Identifier": ext_id})
        print(f"[{NAME}] event {event['eventType']}", flush=True)
        if event["eventType"] == "SHUTDOWN":
            sys.exit(0)


if __name__ == "__main__":
    main()
