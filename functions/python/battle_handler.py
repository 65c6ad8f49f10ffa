"""The application's handler on Python, with the semantics of every runtime's copy (see
functions/README.md): the workload of BATTLE_WORKLOAD (sqs and cpu: deterministic CPU work;
delay: sleep BATTLE_DELAY_MS, 500 ms by default; dynamodb: one PutItem keyed by the request id,
boto3 client made on first use; none: nothing), a JSON payload of the configured size, then by
BATTLE_MODE nothing, a direct SQS SendMessage (boto3), or a POST to the extension tagged with
the request id (or, when the handler fails before the extension accepted its message,
POST /invocations/<id>/end).

`make_handler` takes the hot path (`cpu_work`) as a parameter, so the PyO3 variant runs this
very handler with its Rust implementation.
"""

import http.client
import json
import math
import os
import sys
import time
import urllib.parse

DEFAULT_EXTENSION_URL = "http://127.0.0.1:4243/messages"
REQUEST_ID_HEADER = "Lambda-Runtime-Aws-Request-Id"
MODES = ("none", "direct", "extension")
WORKLOADS = ("sqs", "dynamodb", "delay", "cpu", "none")
DEFAULT_DELAY_MS = 500


def cpu_work(iterations):
    """`iterations` rounds of a 32-bit FNV-1a style mix; returns the final hash."""
    h = 0x811C9DC5
    for i in range(iterations):
        h ^= i & 0xFF
        h = (h * 0x01000193) & 0xFFFFFFFF
        h ^= h >> 13
    return h


def build_payload(size, fields):
    """A JSON message of exactly `size` bytes (or the smallest possible); `pad` fills it."""
    bare = json.dumps({**fields, "pad": ""}, separators=(",", ":"))
    return json.dumps({**fields, "pad": "x" * max(0, size - len(bare))}, separators=(",", ":"))


def int_from(value, fallback, what):
    if value is None or value == "":
        return fallback
    try:
        n = None if isinstance(value, bool) else float(value)
    except (TypeError, ValueError):
        n = None
    if n is None or not math.isfinite(n) or n != int(n) or n < 0:
        raise ValueError(f"{what} must be a non-negative integer, got {json.dumps(value)}")
    return int(n)


def mode_of(env):
    mode = env.get("BATTLE_MODE") or "none"
    if mode not in MODES:
        raise ValueError(f'BATTLE_MODE must be none, direct or extension, got "{mode}"')
    return mode


def workload_of(env):
    """BATTLE_WORKLOAD; unset, it follows the mode: sqs in the modes that send, cpu in none."""
    workload = env.get("BATTLE_WORKLOAD") or ("cpu" if mode_of(env) == "none" else "sqs")
    if workload not in WORKLOADS:
        raise ValueError(f'BATTLE_WORKLOAD must be {", ".join(WORKLOADS)}, got "{workload}"')
    return workload


class Extension:
    """POSTs to the extension on 127.0.0.1 over one kept-alive connection."""

    def __init__(self, url):
        self.url = url
        parts = urllib.parse.urlsplit(url)
        self.host, self.port, self.path = parts.hostname, parts.port or 80, parts.path or "/"
        self._conn = None

    def post(self, path, body, headers):
        for attempt in (0, 1):
            if self._conn is None:
                self._conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            try:
                self._conn.request("POST", path, body=body, headers=headers)
                res = self._conn.getresponse()
                return res.status, res.read().decode("utf-8", "replace")
            except (http.client.HTTPException, OSError):
                # A kept-alive connection the other side closed (the environment was frozen):
                # open a new one once.
                self._conn.close()
                self._conn = None
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")


def make_handler(
    env, send_direct=None, extension=None, cpu_work=cpu_work, put_item=None, sleep=time.sleep
):
    """Builds the handler. Configuration is read once, at init, like a real function would.

    env: the environment (a mapping); send_direct: sends one message to SQS (mode direct);
    extension: an `Extension` (default one for BATTLE_EXTENSION_URL); cpu_work: the hot path;
    put_item: puts one item dict {id, payload, sentAt} (workload dynamodb); sleep: seconds.
    Raises ValueError when the configuration is invalid, or mode direct has no sender, or
    workload dynamodb no item writer.
    """
    mode = mode_of(env)
    workload = workload_of(env)
    iterations = int_from(env.get("BATTLE_WORK_ITERATIONS"), 0, "BATTLE_WORK_ITERATIONS")
    if workload not in ("sqs", "cpu"):
        iterations = 0
    delay_ms = int_from(env.get("BATTLE_DELAY_MS"), DEFAULT_DELAY_MS, "BATTLE_DELAY_MS")
    default_bytes = int_from(env.get("BATTLE_PAYLOAD_BYTES"), 256, "BATTLE_PAYLOAD_BYTES")
    ext = extension or Extension(env.get("BATTLE_EXTENSION_URL") or DEFAULT_EXTENSION_URL)
    if mode == "direct" and send_direct is None:
        raise ValueError("BATTLE_MODE is direct but no SQS client was made")
    if workload == "dynamodb" and put_item is None:
        raise ValueError("BATTLE_WORKLOAD is dynamodb but no DynamoDB client was made")

    def handler(event, context=None):
        request_id = getattr(context, "aws_request_id", "") or ""
        ended = False
        try:
            override = event.get("payloadBytes") if isinstance(event, dict) else None
            payload_bytes = int_from(override, default_bytes, "payloadBytes")
            checksum = cpu_work(iterations)
            if workload == "delay":
                sleep(delay_ms / 1000)
            sent_at = int(time.time() * 1000)
            payload = build_payload(
                payload_bytes,
                {"requestId": request_id, "sentAt": sent_at, "checksum": checksum},
            )
            if workload == "dynamodb":
                put_item({"id": request_id, "payload": payload, "sentAt": sent_at})
            if mode == "extension":
                headers = {"Content-Type": "application/json"}
                if request_id:
                    headers[REQUEST_ID_HEADER] = request_id
                status, text = ext.post(ext.path, payload.encode(), headers)
                if status != 202:
                    raise RuntimeError(
                        f"The extension at {ext.url} answered HTTP {status}: {text[:200]}"
                    )
                ended = True
            elif mode == "direct":
                send_direct(payload)
            return {
                "mode": mode,
                "workload": workload,
                "payloadBytes": len(payload),
                "iterations": iterations,
                "checksum": checksum,
            }
        finally:
            if mode == "extension" and not ended and request_id:
                end_invocation(ext, request_id)

    return handler


def end_invocation(ext, request_id):
    """POST /invocations/<id>/end; best effort, so it never hides the handler's own error."""
    path = "/invocations/" + urllib.parse.quote(request_id, safe="") + "/end"
    try:
        ext.post(path, b"", {})
    except Exception as e:  # noqa: BLE001 - logged, never raised
        print(f"Cannot end invocation {request_id} at {path}: {e}", file=sys.stderr)


def sqs_sender(env):
    """One SQS client per environment, made at init (boto3 honours AWS_ENDPOINT_URL_SQS)."""
    import boto3  # imported only in mode direct: the import is part of what Init measures
    from botocore.config import Config

    queue_url = env.get("BATTLE_QUEUE_URL")
    client = boto3.client("sqs", config=Config(retries={"max_attempts": 3, "mode": "standard"}))

    def send(body):
        if not queue_url:
            raise ValueError("BATTLE_QUEUE_URL is not set")
        client.send_message(QueueUrl=queue_url, MessageBody=body)

    return send


def dynamodb_writer(env):
    """Puts each item into BATTLE_TABLE_NAME with one boto3 client per environment, made on the
    first invocation (lazily); boto3 honours AWS_ENDPOINT_URL_DYNAMODB."""
    table = env.get("BATTLE_TABLE_NAME")
    client = []

    def put(item):
        if not table:
            raise ValueError("BATTLE_TABLE_NAME is not set")
        if not client:
            import boto3  # imported on first use: the import is part of that invocation
            from botocore.config import Config

            client.append(
                boto3.client("dynamodb", config=Config(retries={"max_attempts": 3, "mode": "standard"}))
            )
        client[0].put_item(
            TableName=table,
            Item={
                "id": {"S": item["id"]},
                "payload": {"S": item["payload"]},
                "sentAt": {"N": str(item["sentAt"])},
            },
        )

    return put


def handler_from_environment(cpu_work=cpu_work):
    env = os.environ
    sender = sqs_sender(env) if mode_of(env) == "direct" else None
    writer = dynamodb_writer(env) if workload_of(env) == "dynamodb" else None
    return make_handler(env, send_direct=sender, cpu_work=cpu_work, put_item=writer)
