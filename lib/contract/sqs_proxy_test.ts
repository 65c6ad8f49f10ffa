import assert from "node:assert/strict";
import { parseSqsRequest, startSqsProxy } from "./sqs_proxy.ts";

Deno.test("parseSqsRequest() reads JSON-protocol batches", () => {
  const body = JSON.stringify({
    QueueUrl: "http://q",
    Entries: [{ Id: "0", MessageBody: "a" }, { Id: "1", MessageBody: "žž" }],
  });
  assert.deepEqual(parseSqsRequest("AmazonSQS.SendMessageBatch", body), {
    action: "SendMessageBatch",
    bodies: ["a", "žž"],
  });
  assert.deepEqual(parseSqsRequest("AmazonSQS.ReceiveMessage", "{}"), {
    action: "ReceiveMessage",
    bodies: [],
  });
});

Deno.test("parseSqsRequest() reads query-protocol batches", () => {
  const body = new URLSearchParams({
    Action: "SendMessageBatch",
    "SendMessageBatchRequestEntry.1.Id": "0",
    "SendMessageBatchRequestEntry.1.MessageBody": "a b",
    "SendMessageBatchRequestEntry.2.Id": "1",
    "SendMessageBatchRequestEntry.2.MessageBody": "c&d",
  }).toString();
  assert.deepEqual(parseSqsRequest(null, body), {
    action: "SendMessageBatch",
    bodies: ["a b", "c&d"],
  });
});

Deno.test("SqsProxy forwards, records and answers 502 when the upstream is down", async () => {
  const upstream = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => Response.json({ Successful: [{ Id: "0" }], Failed: [{ Id: "1" }] }),
  );
  await using proxy = startSqsProxy(`http://127.0.0.1:${upstream.addr.port}`);
  const send = () =>
    fetch(proxy.endpoint, {
      method: "POST",
      headers: { "x-amz-target": "AmazonSQS.SendMessageBatch" },
      body: JSON.stringify({ Entries: [{ MessageBody: "abc" }, { MessageBody: "d" }] }),
    });
  const ok = await send();
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), { Successful: [{ Id: "0" }], Failed: [{ Id: "1" }] });
  await upstream.shutdown();
  const down = await send();
  assert.equal(down.status, 502);
  await down.body?.cancel();
  assert.deepEqual(
    proxy.batches.map((c) => [c.status, c.bodyBytes, c.failed]),
    [[200, [3, 1], 1], [502, [3, 1], 0]],
  );
});

Deno.test("SqsProxy.hold() keeps requests until release()", async () => {
  let forwarded = 0;
  const upstream = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => {
    forwarded += 1;
    return Response.json({ Successful: [{ Id: "0" }] });
  });
  await using proxy = startSqsProxy(`http://127.0.0.1:${upstream.addr.port}`);
  proxy.hold();
  const sent = fetch(proxy.endpoint, {
    method: "POST",
    headers: { "x-amz-target": "AmazonSQS.SendMessageBatch" },
    body: JSON.stringify({ Entries: [{ MessageBody: "m" }] }),
  });
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(forwarded, 0, "held");
  proxy.release();
  const res = await sent;
  assert.equal(res.status, 200);
  await res.body?.cancel();
  assert.equal(forwarded, 1);
  assert.deepEqual(proxy.batches.map((c) => c.status), [200]);
  await upstream.shutdown();
});
