import assert from "node:assert/strict";
import { request as nodeRequest } from "node:http";
import { type Http1Request, Http1Server, Later, type RawResponse, rawResponse } from "./http1.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Answers with what it parsed, as JSON. */
function echo(req: Http1Request): RawResponse {
  return rawResponse(
    200,
    { "content-type": "application/json", "x-seen": "yes" },
    JSON.stringify({
      method: req.method,
      target: req.target,
      version: req.version,
      headers: Object.fromEntries(req.headers),
      body: dec.decode(req.body),
      length: req.body.length,
      truncated: req.truncated,
    }),
  );
}

async function withServer(
  fn: (server: Http1Server, calls: Http1Request[]) => Promise<void>,
  handler: (req: Http1Request) => RawResponse | Promise<RawResponse> = echo,
  opts: { maxHeaderBytes?: number; maxBodyBytes?: number } = {},
): Promise<void> {
  const calls: Http1Request[] = [];
  const server = Http1Server.listen(opts, (req) => {
    calls.push(req);
    return handler(req);
  });
  try {
    await fn(server, calls);
  } finally {
    await server.close();
  }
}

/**
 * Reads a socket with time limits. A read that timed out stays pending and its bytes go to the
 * next call, so nothing read is lost between calls.
 */
class SocketReader {
  readonly #conn: Deno.Conn;
  #pending: Promise<Uint8Array | null> | null = null;
  eof = false;

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  /** The next bytes, null at the end, or "timeout" after `ms`. */
  async next(ms: number): Promise<Uint8Array | null | "timeout"> {
    if (this.eof) return null;
    this.#pending ??= (async () => {
      const buf = new Uint8Array(65536);
      const n = await this.#conn.read(buf).catch(() => null);
      return n === null ? null : buf.slice(0, n);
    })();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), ms)));
    const got = await Promise.race([this.#pending, timeout]);
    clearTimeout(timer);
    if (got === "timeout") return got;
    this.#pending = null;
    if (got === null) this.eof = true;
    return got;
  }

  /** Everything until the peer closes or `ms` pass without data. */
  async all(ms = 2000): Promise<{ text: string; eof: boolean }> {
    let text = "";
    for (;;) {
      const got = await this.next(ms);
      if (got === "timeout") return { text, eof: false };
      if (got === null) return { text, eof: true };
      text += dec.decode(got);
    }
  }

  /** Reads until the text read contains `want` (or the peer closes, or `ms` pass). */
  async until(want: string, ms = 2000): Promise<string> {
    let text = "";
    const deadline = performance.now() + ms;
    while (!text.includes(want)) {
      const got = await this.next(Math.max(1, deadline - performance.now()));
      if (got === "timeout" || got === null) break;
      text += dec.decode(got);
    }
    return text;
  }

  /** Closes the socket and waits for the read it left pending. */
  async close(): Promise<void> {
    try {
      this.#conn.close();
    } catch {
      // Closed already.
    }
    await this.#pending;
  }
}

/** Opens a connection to the server. */
async function connect(port: number): Promise<{ conn: Deno.TcpConn; reader: SocketReader }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  return { conn, reader: new SocketReader(conn) };
}

/** Runs `fn` on a new connection to `port`, closed when it returns or throws. */
async function withConnection<T>(
  port: number,
  fn: (conn: Deno.TcpConn, reader: SocketReader) => Promise<T>,
): Promise<T> {
  const { conn, reader } = await connect(port);
  try {
    return await fn(conn, reader);
  } finally {
    await reader.close();
  }
}

/** Sends `bytes` on a new connection and returns everything until the server closes. */
function exchange(port: number, bytes: string | Uint8Array, ms = 2000) {
  return withConnection(port, async (conn, reader) => {
    await conn.write(typeof bytes === "string" ? enc.encode(bytes) : bytes);
    return await reader.all(ms);
  });
}

/** The status codes of every response in `text`, in order. */
function statuses(text: string): number[] {
  return [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
}

Deno.test("Http1Server serves fetch: GET, POST bodies, headers, keep-alive on one connection", async () => {
  await withServer(async (server, calls) => {
    const base = `http://127.0.0.1:${server.port}`;
    const got = await fetch(`${base}/a/b?c=d`, { headers: { "X-Mixed-Case": "V" } });
    assert.equal(got.status, 200);
    assert.equal(got.headers.get("x-seen"), "yes");
    const a = await got.json();
    assert.equal(a.method, "GET");
    assert.equal(a.target, "/a/b?c=d");
    assert.equal(a.version, "1.1");
    assert.equal(a.headers["x-mixed-case"], "V");
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${base}/p`, { method: "POST", body: `body ${i}` });
      assert.equal((await res.json()).body, `body ${i}`);
    }
    // A stream body goes chunked.
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(enc.encode("one,"));
        c.enqueue(enc.encode("two"));
        c.close();
      },
    });
    const res = await fetch(`${base}/s`, { method: "PUT", body: stream });
    const s = await res.json();
    assert.equal(s.body, "one,two");
    assert.equal(s.headers["transfer-encoding"], "chunked");
    assert.equal(calls.length, 5);
    // fetch keeps its connection alive between the calls.
    assert.equal(server.connections, 1);
  });
});

function nodeCall(
  port: number,
  opts: { method: string; path: string; headers?: Record<string, string> },
  parts: string[],
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = nodeRequest({ host: "127.0.0.1", port, ...opts }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on("error", reject);
    for (const p of parts) req.write(p);
    req.end();
  });
}

Deno.test("Http1Server serves node:http requests with chunked and Content-Length bodies", async () => {
  await withServer(async (server) => {
    const chunked = await nodeCall(server.port, { method: "POST", path: "/chunked" }, [
      "first ",
      "second ",
      "third",
    ]);
    assert.equal(chunked.status, 200);
    const c = JSON.parse(chunked.body);
    assert.equal(c.body, "first second third");
    assert.equal(c.headers["transfer-encoding"], "chunked");
    const body = "x".repeat(100_000);
    const sized = await nodeCall(server.port, {
      method: "POST",
      path: "/sized",
      headers: { "Content-Length": String(body.length) },
    }, [body.slice(0, 50_000), body.slice(50_000)]);
    const s = JSON.parse(sized.body);
    assert.equal(s.length, 100_000);
    assert.equal(s.body, body);
    assert.equal(sized.headers["content-length"], String(enc.encode(sized.body).length));
  });
});

const curl = await new Deno.Command("which", { args: ["curl"], stdout: "null", stderr: "null" })
  .output().then((o) => o.success, () => false);

Deno.test({
  name: "Http1Server answers curl's Expect: 100-continue at once, and curl's HTTP/1.0",
  ignore: !curl,
  fn: async () => {
    await withServer(async (server) => {
      const url = `http://127.0.0.1:${server.port}/curl`;
      // curl asks with Expect: 100-continue above 1 KiB and waits a second for the answer.
      const body = "y".repeat(5000);
      const t0 = performance.now();
      const out = await new Deno.Command("curl", {
        args: ["-sS", "-X", "POST", "--data-binary", "@-", "-H", "Expect: 100-continue", url],
        stdin: "piped",
        stdout: "piped",
      }).spawn();
      const w = out.stdin.getWriter();
      await w.write(enc.encode(body));
      await w.close();
      const done = await out.output();
      const ms = performance.now() - t0;
      const got = JSON.parse(dec.decode(done.stdout));
      assert.equal(got.headers.expect, "100-continue");
      assert.equal(got.length, 5000);
      assert.ok(ms < 900, `curl took ${ms.toFixed(0)} ms: it waited for 100 Continue`);
      const old = await new Deno.Command("curl", {
        args: ["-sS", "--http1.0", "-d", "hello", url],
        stdout: "piped",
      }).output();
      const o = JSON.parse(dec.decode(old.stdout));
      assert.equal(o.version, "1.0");
      assert.equal(o.body, "hello");
    });
  },
});

Deno.test("Http1Server answers pipelined requests in order on one connection", async () => {
  await withServer(async (server, calls) => {
    await withConnection(server.port, async (conn, reader) => {
      await conn.write(enc.encode(
        "GET /one HTTP/1.1\r\nHost: x\r\n\r\n" +
          "POST /two HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc" +
          "POST /three HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
          "2\r\nde\r\n0\r\n\r\n" +
          "GET /four HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      ));
      const { text, eof } = await reader.all();
      assert.ok(eof, "the server closes after Connection: close");
      assert.deepEqual(statuses(text), [200, 200, 200, 200]);
      assert.deepEqual(calls.map((c) => c.target), ["/one", "/two", "/three", "/four"]);
      assert.equal(dec.decode(calls[1]!.body), "abc");
      assert.equal(dec.decode(calls[2]!.body), "de");
      // Only the last answer says it closes.
      assert.equal(text.match(/connection: close/g)?.length, 1);
      assert.ok(text.lastIndexOf("connection: close") > text.lastIndexOf("HTTP/1.1 200"));
    });
  });
});

Deno.test("Http1Server takes a request split across many writes, byte by byte", async () => {
  await withServer(async (server, calls) => {
    await withConnection(server.port, async (conn, reader) => {
      conn.setNoDelay(true);
      const req = "POST /split HTTP/1.1\r\ncontent-length: 5\r\n\r\nhello";
      for (const ch of req) {
        await conn.write(enc.encode(ch));
        await new Promise((r) => setTimeout(r, 1));
      }
      const text = await reader.until("hello");
      assert.deepEqual(statuses(text), [200]);
      assert.equal(dec.decode(calls[0]!.body), "hello");
    });
  });
});

Deno.test("Http1Server speaks HTTP/1.0: closes by default, keeps alive when asked", async () => {
  await withServer(async (server) => {
    const plain = await exchange(server.port, "GET /old HTTP/1.0\r\n\r\n");
    assert.ok(plain.eof);
    assert.deepEqual(statuses(plain.text), [200]);
    assert.match(plain.text, /connection: close/);
    assert.match(plain.text, /"version":"1.0"/);
    await withConnection(server.port, async (conn, reader) => {
      await conn.write(enc.encode("GET /ka HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"));
      const first = await reader.all(300);
      assert.equal(first.eof, false, "the connection stays open");
      assert.match(first.text, /connection: keep-alive/);
      await conn.write(enc.encode("GET /again HTTP/1.0\r\n\r\n"));
      const second = await reader.all();
      assert.ok(second.eof);
      assert.match(second.text, /"target":"\/again"/);
    });
  });
});

Deno.test("Http1Server sends 100 Continue before reading the body, and not without Expect", async () => {
  await withServer(async (server, calls) => {
    await withConnection(server.port, async (conn, reader) => {
      await conn.write(enc.encode(
        "POST /e HTTP/1.1\r\nHost: x\r\nEXPECT: 100-Continue\r\nContent-Length: 4\r\n\r\n",
      ));
      const interim = await reader.until("\r\n\r\n");
      assert.equal(interim, "HTTP/1.1 100 Continue\r\n\r\n");
      assert.equal(calls.length, 0);
      await conn.write(enc.encode("data"));
      const rest = await reader.until('"truncated"');
      assert.deepEqual(statuses(rest), [200]);
      assert.equal(dec.decode(calls[0]!.body), "data");
      // Without Expect nothing interim is sent.
      await conn.write(enc.encode("POST /n HTTP/1.1\r\nContent-Length: 2\r\n\r\nok"));
      const plain = await reader.until('"truncated"');
      assert.ok(!plain.includes("100 Continue"));
    });
  });
});

Deno.test("Http1Server reads chunk extensions and trailers, and header names in any case", async () => {
  await withServer(async (server, calls) => {
    const { text, eof } = await exchange(
      server.port,
      "PUT /c HTTP/1.1\r\nHOST: x\r\nTRANSFER-ENCODING: Chunked\r\nConnection: close\r\n\r\n" +
        "5;name=value\r\nhello\r\n1 ; ext\r\n!\r\nA\r\n0123456789\r\n0;last\r\n" +
        "X-Trailer: t\r\nX-Other: u\r\n\r\n",
    );
    assert.ok(eof);
    assert.deepEqual(statuses(text), [200]);
    assert.equal(dec.decode(calls[0]!.body), "hello!0123456789");
  });
});

Deno.test("Http1Server answers broken requests with 400 and closes the connection", async () => {
  await withServer(async (server, calls) => {
    const broken = [
      "NOT A REQUEST\r\n\r\n",
      "GET /x HTTP/2.0\r\n\r\n",
      "GET /x HTTP/1.1\r\nno colon here\r\n\r\n",
      "GET /x HTTP/1.1\r\nbad name: v\r\n\r\n",
      "GET /x HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",
      "POST /x HTTP/1.1\r\nContent-Length: ten\r\n\r\n",
      "POST /x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
      "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n",
      "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n",
      "POST /x HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
      `GET /x HTTP/1.1\r\nX-Big: ${"a".repeat(70_000)}\r\n\r\n`,
    ];
    for (const req of broken) {
      // A request after the broken one is never read.
      const { text, eof } = await exchange(server.port, req + "GET /after HTTP/1.1\r\n\r\n");
      assert.ok(eof, `closed after ${JSON.stringify(req.slice(0, 40))}`);
      assert.deepEqual(statuses(text), [400], JSON.stringify(req.slice(0, 40)));
    }
    // Headers that never end are cut off at the limit too.
    await withConnection(server.port, async (conn, reader) => {
      await conn.write(enc.encode("GET /x HTTP/1.1\r\n"));
      const line = enc.encode(`X-Pad: ${"p".repeat(1000)}\r\n`);
      let answer = "";
      for (let i = 0; i < 100 && answer === ""; i++) {
        await conn.write(line).catch(() => {});
        answer = (await reader.all(5)).text;
      }
      assert.deepEqual(statuses(answer), [400]);
    });
    assert.equal(calls.length, 0);
    // The server goes on serving.
    const ok = await exchange(server.port, "GET /fine HTTP/1.1\r\nConnection: close\r\n\r\n");
    assert.deepEqual(statuses(ok.text), [200]);
  });
});

Deno.test("Http1Server keeps a body's first maxBodyBytes + 1 bytes and says it was cut", async () => {
  await withServer(
    async (server, calls) => {
      const res = await fetch(`http://127.0.0.1:${server.port}/big`, {
        method: "POST",
        body: new Uint8Array(50_000),
      });
      const got = await res.json();
      assert.equal(got.length, 1001);
      assert.equal(got.truncated, true);
      // The connection still works: the rest of the body was read.
      const next = await fetch(`http://127.0.0.1:${server.port}/small`, {
        method: "POST",
        body: "ok",
      });
      assert.equal((await next.json()).body, "ok");
      assert.equal(calls.length, 2);
    },
    echo,
    { maxBodyBytes: 1000 },
  );
});

Deno.test("Http1Server drops a client that goes away mid-request without calling the handler", async () => {
  await withServer(async (server, calls) => {
    for (
      const partial of [
        "POST /cut HTTP/1.1\r\nContent-Length: 100\r\n\r\nonly some",
        "POST /cut HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc",
        "GET /cut HTTP/1.1\r\nHost: x",
      ]
    ) {
      const { conn } = await connect(server.port);
      await conn.write(enc.encode(partial));
      conn.close();
    }
    const ok = await exchange(server.port, "GET /fine HTTP/1.1\r\nConnection: close\r\n\r\n");
    assert.deepEqual(statuses(ok.text), [200]);
    assert.deepEqual(calls.map((c) => c.target), ["/fine"]);
  });
});

Deno.test("Http1Server: a long poll whose client left is answered into the void; close() waits for it", async () => {
  const answers: ((r: RawResponse) => void)[] = [];
  let seen: (() => void) | null = null;
  const server = Http1Server.listen({}, (req) => {
    if (req.target === "/poll") {
      return new Promise<RawResponse>((resolve) => {
        answers.push(resolve);
        seen!();
      });
    }
    return echo(req);
  });
  const poll = async () => {
    const c = await connect(server.port);
    const polled = new Promise<void>((r) => (seen = r));
    await c.conn.write(enc.encode("GET /poll HTTP/1.1\r\n\r\n"));
    await polled;
    return c;
  };
  const gone = await poll();
  await gone.reader.close();
  // Others are served meanwhile; the answer to the client that left goes nowhere.
  const ok = await exchange(server.port, "GET /x HTTP/1.1\r\nConnection: close\r\n\r\n");
  assert.deepEqual(statuses(ok.text), [200]);
  answers.shift()!(rawResponse(200, {}, "late"));
  // A second long poll, still connected, is answered at close() with Connection: close.
  const waiting = await poll();
  const idle = await connect(server.port);
  await idle.conn.write(enc.encode("GET /idle HTTP/1.1\r\n\r\n"));
  assert.match(await idle.reader.until('"truncated"'), /HTTP\/1\.1 200/);
  let closed = false;
  const closing = server.close().then(() => (closed = true));
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(closed, false, "close() waits for the pending answer");
  answers.shift()!(rawResponse(410, {}, "gone"));
  await closing;
  const { text, eof } = await waiting.reader.all();
  assert.ok(eof);
  assert.deepEqual(statuses(text), [410]);
  assert.match(text, /connection: close/);
  // The idle keep-alive connection was closed too, and nothing listens any more.
  assert.ok((await idle.reader.all()).eof);
  await waiting.reader.close();
  await idle.reader.close();
  await assert.rejects(Deno.connect({ hostname: "127.0.0.1", port: server.port }));
});

Deno.test("Http1Server.close() closes a connection whose handler never answers after the grace", async () => {
  let seen: (() => void) | null = null;
  const polled = new Promise<void>((r) => (seen = r));
  const server = Http1Server.listen({}, () => {
    seen!();
    return new Promise<RawResponse>(() => {});
  });
  const c = await connect(server.port);
  await c.conn.write(enc.encode("GET /never HTTP/1.1\r\n\r\n"));
  await polled;
  const t0 = performance.now();
  await server.close(100);
  assert.ok(performance.now() - t0 >= 90);
  const { text, eof } = await c.reader.all();
  assert.ok(eof);
  assert.equal(text, "");
  await c.reader.close();
});

Deno.test("Http1Server answers a handler that throws with 500 and stays up", async () => {
  const errors: unknown[] = [];
  const server = Http1Server.listen({ onError: (e) => errors.push(e) }, (req) => {
    if (req.target === "/throw") throw new Error("boom");
    if (req.target === "/reject") return Promise.reject(new Error("later"));
    return echo(req);
  });
  try {
    await withConnection(server.port, async (conn, reader) => {
      await conn.write(enc.encode(
        "GET /throw HTTP/1.1\r\n\r\nGET /reject HTTP/1.1\r\n\r\nGET /ok HTTP/1.1\r\nConnection: close\r\n\r\n",
      ));
      assert.deepEqual(statuses((await reader.all()).text), [500, 500, 200]);
    });
    assert.equal(errors.length, 2);
  } finally {
    await server.close();
  }
});

Deno.test("Http1Server answers HEAD with the headers only", async () => {
  await withServer(async (server) => {
    const { text } = await exchange(server.port, "HEAD /h HTTP/1.1\r\nConnection: close\r\n\r\n");
    const [head, body] = text.split("\r\n\r\n");
    assert.match(head!, /content-length: [1-9]\d*/);
    assert.equal(body, "");
  });
});

Deno.test("Http1Server answers through a Later: once, also when resolved before the server binds it", async () => {
  const laters: Later[] = [];
  const server = Http1Server.listen({}, (req) => {
    const later = new Later();
    if (req.target === "/early") later.resolve(rawResponse(200, {}, "early"));
    laters.push(later);
    return later;
  });
  try {
    const early = await exchange(server.port, "GET /early HTTP/1.1\r\nConnection: close\r\n\r\n");
    assert.deepEqual(statuses(early.text), [200]);
    assert.match(early.text, /early$/);
    const c = await connect(server.port);
    await c.conn.write(enc.encode("GET /late HTTP/1.1\r\n\r\n"));
    while (laters.length < 2) await new Promise((r) => setTimeout(r, 1));
    assert.equal(await c.reader.until("never", 50), "", "nothing before resolve()");
    laters[1]!.resolve(rawResponse(201, {}, "first"));
    laters[1]!.resolve(rawResponse(500, {}, "second"));
    const text = await c.reader.until("first");
    assert.deepEqual(statuses(text), [201]);
    assert.equal(await c.reader.until("second", 50), "");
    await c.reader.close();
  } finally {
    await server.close();
  }
});
