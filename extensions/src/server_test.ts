import assert from "node:assert/strict";
import { route, type RunningServer, startServer } from "./server.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

interface Parsed {
  status: number;
  headers: Map<string, string>;
  body: string;
}

/** Splits a byte string holding zero or more complete responses (Content-Length framed). */
function parseResponses(text: string): Parsed[] {
  const out: Parsed[] = [];
  let rest = text;
  while (rest.length > 0) {
    const headEnd = rest.indexOf("\r\n\r\n");
    if (headEnd === -1) break;
    const [statusLine, ...lines] = rest.slice(0, headEnd).split("\r\n");
    const headers = new Map(lines.map((l) => {
      const i = l.indexOf(":");
      return [l.slice(0, i).toLowerCase(), l.slice(i + 1).trim()] as [string, string];
    }));
    const len = Number(headers.get("content-length") ?? 0);
    const status = Number(statusLine!.split(" ")[1]);
    const body = rest.slice(headEnd + 4, headEnd + 4 + len);
    if (body.length < len) break;
    out.push({ status, headers, body });
    rest = rest.slice(headEnd + 4 + len);
  }
  return out;
}

/** Writes `raw`, then reads until `count` responses arrived or the server closed. */
async function exchange(conn: Deno.Conn, raw: string | Uint8Array, count: number) {
  await conn.write(typeof raw === "string" ? enc.encode(raw) : raw);
  let text = "";
  const buf = new Uint8Array(65536);
  let closed = false;
  while (parseResponses(text).length < count) {
    const n = await conn.read(buf);
    if (n === null) {
      closed = true;
      break;
    }
    text += dec.decode(buf.subarray(0, n));
  }
  return { responses: parseResponses(text), closed };
}

async function readsEof(conn: Deno.Conn): Promise<boolean> {
  return (await conn.read(new Uint8Array(16))) === null;
}

async function withServer(
  fn: (server: RunningServer, messages: string[]) => Promise<void>,
  maxBodyBytes?: number,
) {
  const messages: string[] = [];
  const server = await startServer({
    port: 0,
    onMessage: (m) => {
      messages.push(m);
    },
    ...(maxBodyBytes === undefined ? {} : { maxBodyBytes }),
  });
  try {
    await fn(server, messages);
  } finally {
    await server.close();
  }
}

function post(body: string, extra = ""): string {
  return `POST /messages HTTP/1.1\r\nHost: x\r\nContent-Length: ${
    enc.encode(body).length
  }\r\n${extra}\r\n${body}`;
}

Deno.test("startServer() accepts a message from fetch with 202 JSON", async () => {
  await withServer(async (server, messages) => {
    const res = await fetch(`http://127.0.0.1:${server.port}/messages`, {
      method: "POST",
      body: '{"hello":"world"}',
    });
    assert.equal(res.status, 202);
    assert.equal(res.headers.get("content-type"), "application/json");
    assert.deepEqual(await res.json(), { accepted: true });
    assert.deepEqual(messages, ['{"hello":"world"}']);
  });
});

Deno.test("startServer() serves several requests on one keep-alive connection", async () => {
  await withServer(async (server, messages) => {
    const conn = await Deno.connect({ port: server.port, hostname: "127.0.0.1" });
    try {
      for (const body of ["a", "b", "c"]) {
        const { responses, closed } = await exchange(conn, post(body), 1);
        assert.equal(responses[0]?.status, 202);
        assert.equal(responses[0]?.headers.get("connection"), "keep-alive");
        assert.equal(closed, false);
      }
      assert.deepEqual(messages, ["a", "b", "c"]);
    } finally {
      conn.close();
    }
  });
});

Deno.test("startServer() answers pipelined requests in order and honours Connection: close", async () => {
  await withServer(async (server, messages) => {
    const conn = await Deno.connect({ port: server.port, hostname: "127.0.0.1" });
    try {
      const raw = post("1") + "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n" + post("2") +
        post("3", "Connection: close\r\n");
      const { responses } = await exchange(conn, raw, 4);
      assert.deepEqual(responses.map((r) => r.status), [202, 404, 202, 202]);
      assert.equal(responses[3]?.headers.get("connection"), "close");
      assert.equal(await readsEof(conn), true);
      assert.deepEqual(messages, ["1", "2", "3"]);
    } finally {
      conn.close();
    }
  });
});

Deno.test("startServer() reassembles a body that arrives in several writes", async () => {
  await withServer(async (server, messages) => {
    const conn = await Deno.connect({ port: server.port, hostname: "127.0.0.1" });
    try {
      const body = "z".repeat(100_000);
      const raw = enc.encode(post(body));
      await conn.write(raw.subarray(0, 30));
      await new Promise((r) => setTimeout(r, 10));
      await conn.write(raw.subarray(30, 5000));
      await new Promise((r) => setTimeout(r, 10));
      const { responses } = await exchange(conn, raw.subarray(5000), 1);
      assert.equal(responses[0]?.status, 202);
      assert.equal(messages[0]?.length, 100_000);
    } finally {
      conn.close();
    }
  });
});

Deno.test("startServer() answers 405 with Allow for a wrong method", async () => {
  await withServer(async (server, messages) => {
    const res = await fetch(`http://127.0.0.1:${server.port}/messages`);
    assert.equal(res.status, 405);
    assert.equal(res.headers.get("allow"), "POST");
    assert.match((await res.json()).error, /Method GET is not allowed/);
    assert.deepEqual(messages, []);
  });
});

Deno.test("startServer() answers 404 for an unknown route and 400 for an empty body", async () => {
  await withServer(async (server) => {
    const notFound = await fetch(`http://127.0.0.1:${server.port}/other`, {
      method: "POST",
      body: "x",
    });
    assert.equal(notFound.status, 404);
    assert.match((await notFound.json()).error, /No route for \/other/);
    const empty = await fetch(`http://127.0.0.1:${server.port}/messages`, {
      method: "POST",
      body: "",
    });
    assert.equal(empty.status, 400);
    assert.match((await empty.json()).error, /empty/);
  });
});

Deno.test("startServer() answers 413 and closes the connection for a body over the limit", async () => {
  await withServer(async (server, messages) => {
    const conn = await Deno.connect({ port: server.port, hostname: "127.0.0.1" });
    try {
      const { responses, closed } = await exchange(
        conn,
        "POST /messages HTTP/1.1\r\nContent-Length: 262145\r\n\r\n",
        1,
      );
      assert.equal(responses[0]?.status, 413);
      assert.equal(responses[0]?.headers.get("connection"), "close");
      assert.match(JSON.parse(responses[0]!.body).error, /262145 bytes exceeds 262144/);
      assert.equal(closed || await readsEof(conn), true);
      assert.deepEqual(messages, []);
    } finally {
      conn.close();
    }
  });
});

Deno.test("startServer() answers 400 and closes the connection for a malformed request", async () => {
  await withServer(async (server) => {
    const conn = await Deno.connect({ port: server.port, hostname: "127.0.0.1" });
    try {
      const { responses } = await exchange(conn, "HELLO\r\n\r\n", 1);
      assert.equal(responses[0]?.status, 400);
      assert.match(JSON.parse(responses[0]!.body).error, /Malformed request line "HELLO"/);
      assert.equal(await readsEof(conn), true);
    } finally {
      conn.close();
    }
  });
});

Deno.test("startServer() sends 100 Continue, then the answer, to a client that expects it", async () => {
  await withServer(async (server, messages) => {
    const conn = await Deno.connect({ port: server.port, hostname: "127.0.0.1" });
    try {
      await conn.write(
        enc.encode("POST /messages HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n"),
      );
      const buf = new Uint8Array(1024);
      const n = await conn.read(buf);
      assert.equal(dec.decode(buf.subarray(0, n ?? 0)), "HTTP/1.1 100 Continue\r\n\r\n");
      const { responses } = await exchange(conn, "hi", 1);
      assert.equal(responses[0]?.status, 202);
      assert.deepEqual(messages, ["hi"]);
    } finally {
      conn.close();
    }
  });
});

Deno.test("startServer() accepts a chunked body", async () => {
  await withServer(async (server, messages) => {
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(enc.encode("part one, "));
        c.enqueue(enc.encode("part two"));
        c.close();
      },
    });
    const res = await fetch(`http://127.0.0.1:${server.port}/messages`, { method: "POST", body });
    assert.equal(res.status, 202);
    await res.body?.cancel();
    assert.deepEqual(messages, ["part one, part two"]);
  });
});

Deno.test("startServer() rejects a port already in use", async () => {
  await withServer(async (server) => {
    await assert.rejects(
      () => startServer({ port: server.port, onMessage: () => {} }),
      /EADDRINUSE|in use/i,
    );
  });
});

Deno.test("startServer() answers 400 to characters SQS does not allow", async () => {
  await withServer(async (server, messages) => {
    for (const body of ["a\u0000b", "bell \u0007", "x\uFFFF"]) {
      const res = await fetch(`http://127.0.0.1:${server.port}/messages`, { method: "POST", body });
      assert.equal(res.status, 400);
      assert.match((await res.json()).error, /U\+(0000|0007|FFFF), which SQS does not allow/);
    }
    const ok = await fetch(`http://127.0.0.1:${server.port}/messages`, {
      method: "POST",
      body: "tab\tnewline\n emoji 🐎 \uE000",
    });
    assert.equal(ok.status, 202);
    await ok.body?.cancel();
    assert.equal(messages.length, 1);
  });
});

Deno.test("startServer() passes the Lambda-Runtime-Aws-Request-Id tag with the message", async () => {
  const seen: [string, string | undefined][] = [];
  const server = await startServer({
    port: 0,
    onMessage: (m, id) => {
      seen.push([m, id]);
    },
  });
  try {
    const base = `http://127.0.0.1:${server.port}/messages`;
    const tagged = await fetch(base, {
      method: "POST",
      headers: { "Lambda-Runtime-Aws-Request-Id": "req-7" },
      body: "tagged",
    });
    assert.equal(tagged.status, 202);
    await tagged.body?.cancel();
    const plain = await fetch(base, { method: "POST", body: "plain" });
    assert.equal(plain.status, 202);
    await plain.body?.cancel();
    assert.deepEqual(seen, [["tagged", "req-7"], ["plain", undefined]]);
  } finally {
    await server.close();
  }
});

Deno.test("startServer() ends an invocation on POST /invocations/<id>/end with 204", async () => {
  const ended: string[] = [];
  const server = await startServer({
    port: 0,
    onMessage: () => {},
    onEnd: (id) => ended.push(id),
  });
  try {
    const base = `http://127.0.0.1:${server.port}`;
    const ok = await fetch(`${base}/invocations/req-1/end`, { method: "POST" });
    assert.equal(ok.status, 204);
    assert.equal(await ok.text(), "");
    const encoded = await fetch(`${base}/invocations/a%2Fb/end`, { method: "POST" });
    assert.equal(encoded.status, 204);
    await encoded.body?.cancel();
    const get = await fetch(`${base}/invocations/req-2/end`);
    assert.equal(get.status, 405);
    assert.equal(get.headers.get("allow"), "POST");
    assert.match((await get.json()).error, /use POST/);
    for (const path of ["/invocations/req-3", "/invocations//end", "/invocations/x/end/more"]) {
      const res = await fetch(`${base}${path}`, { method: "POST" });
      assert.equal(res.status, 404, path);
      await res.body?.cancel();
    }
    const bad = await fetch(`${base}/invocations/%E0%A4%A/end`, { method: "POST" });
    assert.equal(bad.status, 400);
    await bad.body?.cancel();
    assert.deepEqual(ended, ["req-1", "a/b"]);
  } finally {
    await server.close();
  }
});

Deno.test("startServer() answers 503 with Retry-After and a JSON error when the handler refuses", async () => {
  const server = await startServer({
    port: 0,
    onMessage: () => ({ reason: "The outbox is full", retryAfterSeconds: 1 }),
  });
  try {
    const res = await fetch(`http://127.0.0.1:${server.port}/messages`, {
      method: "POST",
      body: "m",
    });
    assert.equal(res.status, 503);
    assert.equal(res.headers.get("retry-after"), "1");
    assert.match(res.headers.get("content-type") ?? "", /application\/json/);
    assert.deepEqual(await res.json(), { error: "The outbox is full" });
  } finally {
    await server.close();
  }
});

Deno.test("route() refuses exactly the characters SQS does not allow, backslashes or not", () => {
  const allowed = (c: number) =>
    c === 0x9 || c === 0xa || c === 0xd || (c >= 0x20 && c <= 0xd7ff) ||
    (c >= 0xe000 && c <= 0xfffd) || c >= 0x10000;
  const points = [
    ...Array.from({ length: 0x80 }, (_, c) => c),
    0xd7ff,
    0xe000,
    0xfffd,
    0xfffe,
    0xffff,
    0x10000,
    0x10ffff,
  ];
  for (const c of points) {
    for (const around of [["a", "b"], ["\\", "\\u00"], ['"', "\\b\\f"]]) {
      const body = new TextEncoder().encode(`${around[0]}${String.fromCodePoint(c)}${around[1]}`);
      const reply = route(
        {
          method: "POST",
          target: "/messages",
          version: "HTTP/1.1",
          headers: new Map(),
          body,
          keepAlive: true,
        },
        () => null,
      );
      assert.equal(reply.status, allowed(c) ? 202 : 400, `U+${c.toString(16)} in ${around}`);
    }
  }
});
