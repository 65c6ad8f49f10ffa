import assert from "node:assert/strict";
import * as http from "node:http";
import { httpFetch } from "./node_http.ts";

Deno.test("httpFetch() POSTs headers and body and reads status and text", async () => {
  const seen: { method: string; header: string | null; body: string }[] = [];
  const ac = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen: () => {} },
    async (req) => {
      seen.push({
        method: req.method,
        header: req.headers.get("lambda-runtime-aws-request-id"),
        body: await req.text(),
      });
      return new Response('{"accepted":true}', { status: 202 });
    },
  );
  try {
    const post = httpFetch(http);
    const url = `http://127.0.0.1:${server.addr.port}/messages`;
    for (const body of ["héllo", "x".repeat(70_000)]) {
      const res = await post(url, {
        method: "POST",
        headers: { "Lambda-Runtime-Aws-Request-Id": "req-1" },
        body,
      });
      assert.equal(res.status, 202);
      assert.equal(await res.text(), '{"accepted":true}');
    }
    assert.deepEqual(seen.map((s) => [s.method, s.header, s.body.length]), [
      ["POST", "req-1", 5],
      ["POST", "req-1", 70_000],
    ]);
  } finally {
    ac.abort();
    await server.finished;
  }
});

Deno.test("httpFetch() rejects when nothing listens", async () => {
  const post = httpFetch(http);
  await assert.rejects(post("http://127.0.0.1:9/messages", { method: "POST", body: "x" }));
});
