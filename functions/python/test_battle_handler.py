"""pytest: the Python handler keeps the semantics of every runtime's copy."""

import http.server
import json
import threading

import pytest

import battle_handler as bh

# From the Node.js handler's cpuWork (functions/nodejs/handler.ts): every runtime agrees.
NODE_CHECKSUMS = {0: 2166136261, 1: 84702589, 10: 2800307176, 2000: 2082985886}


class Context:
    def __init__(self, request_id):
        self.aws_request_id = request_id


def test_cpu_work_matches_the_node_handler():
    for iterations, want in NODE_CHECKSUMS.items():
        assert bh.cpu_work(iterations) == want


def test_build_payload_has_exactly_the_size_asked():
    for n in (100, 1024, 65536):
        p = bh.build_payload(n, {"requestId": "r", "checksum": 1})
        assert len(p.encode()) == n
        assert json.loads(p)["requestId"] == "r"
    assert bh.build_payload(1, {"a": 1}) == '{"a":1,"pad":""}'


@pytest.mark.parametrize(
    "env",
    [{"BATTLE_MODE": "sideways"}, {"BATTLE_WORK_ITERATIONS": "-1"}, {"BATTLE_PAYLOAD_BYTES": "1.5"}],
)
def test_bad_configuration_is_refused(env):
    with pytest.raises(ValueError):
        bh.make_handler(env)


def test_direct_without_a_sender_is_refused():
    with pytest.raises(ValueError, match="no SQS client"):
        bh.make_handler({"BATTLE_MODE": "direct"})


class FakeExtension:
    def __init__(self, status):
        self.status, self.calls, self.tags = status, [], []
        self.url, self.path = "http://e:1/messages", "/messages"

    def post(self, path, body, headers):
        self.calls.append(f"POST {path}")
        if path == "/messages":
            self.tags.append(headers.get(bh.REQUEST_ID_HEADER))
            if self.status == "throw":
                raise ConnectionRefusedError("connection refused")
            return self.status, '{"error":"x"}'
        return 204, ""


def test_mode_extension_posts_the_tagged_payload():
    ext = FakeExtension(202)
    env = {"BATTLE_MODE": "extension", "BATTLE_PAYLOAD_BYTES": "300", "BATTLE_WORK_ITERATIONS": "10"}
    result = bh.make_handler(env, extension=ext)({}, Context("req-1"))
    assert result == {"mode": "extension", "workload": "sqs", "payloadBytes": 300, "iterations": 10, "checksum": NODE_CHECKSUMS[10]}
    assert ext.calls == ["POST /messages"], "no /end after an accepted message"
    assert ext.tags == ["req-1"]


@pytest.mark.parametrize(
    "what,event,status,before",
    [
        ("bad payloadBytes", {"payloadBytes": -1}, 202, []),
        ("refused", {}, 413, ["POST /messages"]),
        ("unreachable", {}, "throw", ["POST /messages"]),
    ],
)
def test_the_invocation_ends_when_the_handler_fails_first(what, event, status, before):
    ext = FakeExtension(status)
    handler = bh.make_handler({"BATTLE_MODE": "extension"}, extension=ext)
    with pytest.raises(Exception):
        handler(event, Context("r/9"))
    assert ext.calls == [*before, "POST /invocations/r%2F9/end"], what


def test_without_a_request_id_it_neither_tags_nor_ends():
    ext = FakeExtension(500)
    with pytest.raises(RuntimeError):
        bh.make_handler({"BATTLE_MODE": "extension"}, extension=ext)({})
    assert ext.calls == ["POST /messages"]
    assert ext.tags == [None]


def test_mode_direct_sends_and_none_does_nothing():
    sent = []
    handler = bh.make_handler({"BATTLE_MODE": "direct"}, send_direct=sent.append)
    assert handler({"payloadBytes": "512"}, Context("r"))["payloadBytes"] == 512
    assert len(sent) == 1 and len(sent[0]) == 512
    result = bh.make_handler({"BATTLE_PAYLOAD_BYTES": "128"})({}, Context("r"))
    assert result["mode"] == "none" and result["payloadBytes"] == 128


def test_the_hot_path_can_be_replaced():
    result = bh.make_handler({"BATTLE_WORK_ITERATIONS": "5"}, cpu_work=lambda n: n * 2)({}, Context("r"))
    assert result["checksum"] == 10


def test_extension_posts_over_real_http():
    seen = []

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):  # noqa: N802 - the stdlib's name
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            seen.append((self.path, self.headers.get(bh.REQUEST_ID_HEADER), len(body)))
            self.send_response(202)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/messages"
        handler = bh.make_handler({"BATTLE_MODE": "extension", "BATTLE_EXTENSION_URL": url})
        for i in range(2):
            handler({"payloadBytes": 400}, Context(f"req-{i}"))
    finally:
        server.shutdown()
    assert seen == [("/messages", "req-0", 400), ("/messages", "req-1", 400)]


def test_workload_follows_the_mode_without_battle_workload():
    assert bh.workload_of({}) == "cpu"
    assert bh.workload_of({"BATTLE_MODE": "direct"}) == "sqs"
    assert bh.workload_of({"BATTLE_WORKLOAD": "delay"}) == "delay"
    with pytest.raises(ValueError, match='BATTLE_WORKLOAD must be sqs, dynamodb, delay, cpu, none, got "gpu"'):
        bh.workload_of({"BATTLE_WORKLOAD": "gpu"})


def test_workload_delay_sleeps_the_configured_time_and_does_no_cpu_work():
    slept = []
    env = {"BATTLE_WORKLOAD": "delay", "BATTLE_WORK_ITERATIONS": "1000"}
    result = bh.make_handler(env, sleep=slept.append)({}, Context("r"))
    bh.make_handler({**env, "BATTLE_DELAY_MS": "20"}, sleep=slept.append)({}, Context("r"))
    assert slept == [0.5, 0.02]
    assert result["iterations"] == 0 and result["workload"] == "delay"


def test_workload_dynamodb_puts_one_item_keyed_by_the_request_id():
    items = []
    handler = bh.make_handler(
        {"BATTLE_WORKLOAD": "dynamodb", "BATTLE_PAYLOAD_BYTES": "100"}, put_item=items.append
    )
    handler({}, Context("req-7"))
    assert [i["id"] for i in items] == ["req-7"]
    assert len(items[0]["payload"]) == 100
    with pytest.raises(ValueError, match="no DynamoDB client"):
        bh.make_handler({"BATTLE_WORKLOAD": "dynamodb"})


def test_dynamodb_writer_needs_a_table_name():
    with pytest.raises(ValueError, match="BATTLE_TABLE_NAME is not set"):
        bh.dynamodb_writer({})({"id": "x", "payload": "{}", "sentAt": 1})
