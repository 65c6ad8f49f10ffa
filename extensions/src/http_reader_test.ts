import assert from "node:assert/strict";
import { HttpRequestReader, type ReaderEvent } from "./http_reader.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

function bytes(s: string): Uint8Array {
  return enc.encode(s);
}

function requests(events: ReaderEvent[]) {
  return events.flatMap((e) => (e.kind === "request" ? [e.request] : []));
}

function post(body: string, extra = ""): string {
  return `POST /messages HTTP/1.1\r\nHost: x\r\nContent-Length: ${
    enc.encode(body).length
  }\r\n${extra}\r\n${body}`;
}

Deno.test("push() reads a request with a Content-Length body", () => {
  const events = new HttpRequestReader().push(bytes(post('{"a":1}')));
  const [req] = requests(events);
  assert.equal(events.length, 1);
  assert.equal(req?.method, "POST");
  assert.equal(req?.target, "/messages");
  assert.equal(req?.version, "HTTP/1.1");
  assert.equal(req?.headers.get("host"), "x");
  assert.equal(dec.decode(req?.body), '{"a":1}');
  assert.equal(req?.keepAlive, true);
});

Deno.test("push() reassembles a request split at every byte", () => {
  const reader = new HttpRequestReader();
  const raw = bytes(post("héllo wörld"));
  const events: ReaderEvent[] = [];
  for (let i = 0; i < raw.length; i++) events.push(...reader.push(raw.subarray(i, i + 1)));
  const [req] = requests(events);
  assert.equal(events.length, 1);
  assert.equal(dec.decode(req?.body), "héllo wörld");
  assert.equal(reader.idle, true);
});

Deno.test("push() reads pipelined requests from one chunk, in order", () => {
  const raw = post("one") + post("two") + "GET /x HTTP/1.1\r\nHost: x\r\n\r\n" + post("three");
  const reqs = requests(new HttpRequestReader().push(bytes(raw)));
  assert.deepEqual(reqs.map((r) => dec.decode(r.body)), ["one", "two", "", "three"]);
  assert.deepEqual(reqs.map((r) => r.method), ["POST", "POST", "GET", "POST"]);
});

Deno.test("push() keeps a partial second request until it completes", () => {
  const reader = new HttpRequestReader();
  const raw = post("first") + post("second");
  const cut = raw.length - 3;
  assert.equal(requests(reader.push(bytes(raw.slice(0, cut)))).length, 1);
  assert.equal(reader.idle, false);
  const rest = requests(reader.push(bytes(raw.slice(cut))));
  assert.equal(dec.decode(rest[0]?.body), "second");
  assert.equal(reader.idle, true);
});

Deno.test("push() decides keep-alive from version and Connection", () => {
  const r = (head: string) => requests(new HttpRequestReader().push(bytes(head + "\r\n")))[0];
  assert.equal(r("GET / HTTP/1.1\r\nConnection: close\r\n")?.keepAlive, false);
  assert.equal(r("GET / HTTP/1.0\r\n")?.keepAlive, false);
  assert.equal(r("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n")?.keepAlive, true);
  assert.equal(r("GET / HTTP/1.1\r\nConnection: keep-alive, Upgrade\r\n")?.keepAlive, true);
});

Deno.test("push() accepts bare LF line endings and leading empty lines", () => {
  const reqs = requests(
    new HttpRequestReader().push(bytes("\r\n\nPOST /m HTTP/1.1\nContent-Length: 2\n\nok")),
  );
  assert.equal(dec.decode(reqs[0]?.body), "ok");
});

Deno.test("push() joins repeated headers and lower-cases names", () => {
  const [req] = requests(
    new HttpRequestReader().push(bytes("GET / HTTP/1.1\r\nX-A: 1\r\nx-a:  2 \r\n\r\n")),
  );
  assert.equal(req?.headers.get("x-a"), "1, 2");
});

Deno.test("push() decodes a chunked body split across pushes, with extensions and trailers", () => {
  const reader = new HttpRequestReader();
  const raw = "POST /messages HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" +
    "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n" + post("next");
  const events: ReaderEvent[] = [];
  for (let i = 0; i < raw.length; i += 7) events.push(...reader.push(bytes(raw.slice(i, i + 7))));
  const reqs = requests(events);
  assert.deepEqual(reqs.map((r) => dec.decode(r.body)), ["hello world", "next"]);
});

Deno.test("push() asks for 100-continue before the body arrives", () => {
  const reader = new HttpRequestReader();
  const head = "POST /m HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n";
  assert.deepEqual(reader.push(bytes(head)), [{ kind: "continue" }]);
  assert.equal(dec.decode(requests(reader.push(bytes("body")))[0]?.body), "body");
  // Body already there: no 100 Continue needed.
  const all = new HttpRequestReader().push(bytes(head + "body"));
  assert.deepEqual(all.map((e) => e.kind), ["request"]);
});

Deno.test("push() answers 413 as soon as Content-Length exceeds the limit", () => {
  const reader = new HttpRequestReader({ maxBodyBytes: 10 });
  const events = reader.push(bytes("POST /m HTTP/1.1\r\nContent-Length: 11\r\n\r\n"));
  assert.equal(events.length, 1);
  assert.equal(events[0]?.kind === "error" && events[0].status, 413);
  assert.equal(reader.failed, true);
  assert.deepEqual(reader.push(bytes("more")), []);
});

Deno.test("push() accepts a body exactly at the 256 KiB default limit and refuses one byte more", () => {
  const ok = new HttpRequestReader().push(bytes(post("x".repeat(256 * 1024))));
  assert.equal(requests(ok)[0]?.body.length, 256 * 1024);
  const big = new HttpRequestReader().push(bytes(post("x".repeat(256 * 1024 + 1))));
  assert.equal(big[0]?.kind === "error" && big[0].status, 413);
});

Deno.test("push() answers 413 when chunks add up past the limit", () => {
  const events = new HttpRequestReader({ maxBodyBytes: 8 }).push(
    bytes(
      "POST /m HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n",
    ),
  );
  assert.deepEqual(events.map((e) => e.kind === "error" ? e.status : e.kind), [413]);
});

Deno.test("push() answers 431 when the header section is too large", () => {
  const events = new HttpRequestReader({ maxHeaderBytes: 64 }).push(
    bytes(`GET / HTTP/1.1\r\nX-Big: ${"y".repeat(100)}`),
  );
  assert.equal(events[0]?.kind === "error" && events[0].status, 431);
});

Deno.test("push() reports the request, then the error, for a good request followed by junk", () => {
  const events = new HttpRequestReader().push(bytes(post("ok") + "NOT HTTP\r\n\r\n"));
  assert.deepEqual(events.map((e) => e.kind), ["request", "error"]);
});

const malformed: [string, string, number, RegExp][] = [
  ["request line without version", "GET /\r\n\r\n", 400, /Malformed request line/],
  ["request line with extra spaces", "GET  / HTTP/1.1\r\n\r\n", 400, /Malformed request line/],
  ["unknown version", "GET / HTTP/2.0\r\n\r\n", 505, /version 2\.0/],
  ["header without colon", "GET / HTTP/1.1\r\nNoColon\r\n\r\n", 400, /Malformed header line/],
  ["space before colon", "GET / HTTP/1.1\r\nBad : x\r\n\r\n", 400, /Malformed header line/],
  ["folded header", "GET / HTTP/1.1\r\nA: 1\r\n  2\r\n\r\n", 400, /folding/],
  ["control char in value", "GET / HTTP/1.1\r\nA: \x01\r\n\r\n", 400, /control character/],
  ["negative length", "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400, /Content-Length "-1"/],
  [
    "differing lengths",
    "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
    400,
    /Content-Length/,
  ],
  [
    "TE and CL",
    "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n",
    400,
    /Both/,
  ],
  ["gzip TE", "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501, /"gzip" is not supported/],
  [
    "bad chunk size",
    "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    400,
    /Bad chunk size "zz"/,
  ],
  [
    "chunk without CRLF",
    "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n",
    400,
    /CRLF after chunk/,
  ],
];

for (const [what, raw, status, message] of malformed) {
  Deno.test(`push() rejects a ${what} with ${status}`, () => {
    const events = new HttpRequestReader().push(bytes(raw));
    const last = events.at(-1);
    assert.equal(last?.kind, "error");
    if (last?.kind !== "error") return;
    assert.equal(last.status, status);
    assert.match(last.message, message);
  });
}

Deno.test("new HttpRequestReader() rejects a limit that is not a positive integer", () => {
  assert.throws(() => new HttpRequestReader({ maxBodyBytes: 0 }), {
    name: "RangeError",
    message: /maxBodyBytes must be a positive integer, got 0/,
  });
});
