import assert from "node:assert/strict";
import { connect } from "node:net";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { startElasticMQ } from "./mod.ts";
import { launchWithRetry } from "./server.ts";
import { renderConfig } from "./_launch.ts";

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

Deno.test("startElasticMQ() serves SQS on loopback; messages round-trip; restart keeps port and queues", async () => {
  await using sqs = await startElasticMQ();
  assert.match(sqs.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
  const queueUrl = await sqs.createQueue("roundtrip");
  const second = await sqs.createQueue("second-queue_2");
  const bodies = ["hello", "žluťoučký kůň 🐎", "x".repeat(64 * 1024)];
  for (const body of bodies) {
    await sqs.client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
  }
  const got = await sqs.receiveAll(queueUrl, { expect: bodies.length, timeoutMs: 5_000 });
  assert.deepEqual(got.map((m) => m.Body).sort(), [...bodies].sort());
  assert.deepEqual(await sqs.receiveAll(queueUrl), [], "receiveAll deletes what it received");

  const pid = sqs.jvmPid;
  assert.ok(pid !== null && Deno.readTextFileSync(`/proc/${pid}/comm`).trim() === "java");
  await sqs.stop();
  assert.equal(sqs.running, false);
  assert.equal(sqs.jvmPid, null);
  assert.equal(await portOpen(sqs.port), false, "the port is closed while stopped");
  await assert.rejects(sqs.receiveAll(queueUrl), /ElasticMQ on port \d+ is stopped/);

  await sqs.start();
  assert.equal(await portOpen(sqs.port), true);
  await sqs.client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: "again" }));
  const after = await sqs.receiveAll(queueUrl, { expect: 1 });
  assert.deepEqual(after.map((m) => m.Body), ["again"]);
  assert.deepEqual(await sqs.receiveAll(second), [], "every queue is back after the restart");
});

Deno.test("startElasticMQ() binds 127.0.0.1 only", async () => {
  await using sqs = await startElasticMQ();
  const other = Deno.networkInterfaces().find((i) =>
    i.family === "IPv4" && i.address !== "127.0.0.1"
  );
  if (other) {
    const reachable = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: other.address, port: sqs.port });
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    assert.equal(reachable, false, `port ${sqs.port} must not answer on ${other.address}`);
  }
});

Deno.test("renderConfig() binds loopback and lists the queues to re-create", () => {
  const config = renderConfig(9324, ["a", "b-c_d"]);
  assert.match(config, /bind-hostname = "127\.0\.0\.1"/);
  assert.match(config, /bind-port = 9324/);
  assert.match(config, /queues \{\n {2}"a" \{\}\n {2}"b-c_d" \{\}\n\}/);
  assert.throws(() => renderConfig(0, ['x" {} y']), {
    name: "RangeError",
    message: 'Invalid SQS queue name: "x" {} y"',
  });
});

Deno.test("startElasticMQ(): the JVM dies with the process that started it", async () => {
  const owner = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./testdata/orphan.ts", import.meta.url).pathname],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = owner.stdout.getReader();
  const { value } = await reader.read();
  const port = Number(new TextDecoder().decode(value).trim());
  assert.ok(port > 0, "the owner printed its port");
  assert.equal(await portOpen(port), true);
  owner.kill("SIGKILL");
  await owner.status;
  await reader.cancel();
  const deadline = Date.now() + 10_000;
  while (await portOpen(port) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(await portOpen(port), false, `ElasticMQ on ${port} outlived its owner`);
});

Deno.test("launchWithRetry() tries once more, and gives both reasons when the second fails too", async () => {
  const install = {
    version: "test",
    java: "java",
    libDir: "/nonexistent",
    classpath: "/nonexistent/*",
    sharedArchive: null,
  };
  const launched = {
    port: 1,
    pid: 1,
    jvmPid: () => null,
    log: () => "",
    terminate: () => Promise.resolve(),
  };
  let calls = 0;
  const flaky = () => {
    calls += 1;
    return calls === 1
      ? Promise.reject(new Error("ElasticMQ was not ready after 30000 ms\n--- JVM output ---"))
      : Promise.resolve(launched);
  };
  const quiet = console.error;
  console.error = () => {};
  try {
    assert.equal(await launchWithRetry(install, { port: 0, queues: [] }, flaky), launched);
    assert.equal(calls, 2);
    let attempt = 0;
    const broken = () => Promise.reject(new Error(`reason ${++attempt}`));
    await assert.rejects(
      launchWithRetry(install, { port: 9324, queues: [] }, broken),
      (e: Error) =>
        e.message === "Cannot start ElasticMQ (tried twice):\n1st: reason 1\n2nd: reason 2",
    );
  } finally {
    console.error = quiet;
  }
});

Deno.test("startElasticMQ() on a taken port fails saying the port is taken", async () => {
  const squatter = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const quiet = console.error;
  console.error = () => {};
  try {
    await assert.rejects(
      startElasticMQ({ port: squatter.addr.port }),
      (e: Error) =>
        e.message.startsWith("Cannot start ElasticMQ (tried twice)") &&
        e.message.includes(`could not bind 127.0.0.1:${squatter.addr.port}`),
    );
  } finally {
    console.error = quiet;
    squatter.close();
  }
});

Deno.test("ElasticMQ.pause() holds requests until resume()", async () => {
  await using sqs = await startElasticMQ();
  const queueUrl = await sqs.createQueue("paused");
  sqs.pause();
  let answered = false;
  const sent = sqs.client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: "m" }))
    .then(() => answered = true);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(answered, false, "answered while paused");
  sqs.resume();
  await sent;
  assert.deepEqual((await sqs.receiveAll(queueUrl, { expect: 1 })).map((m) => m.Body), ["m"]);
  sqs.pause();
  await sqs.stop(); // a paused server still stops
  assert.equal(sqs.running, false);
});
