import assert from "node:assert/strict";
import { startupFailure, StartupWatch } from "./_startup.ts";

const STARTED =
  "22:38:03.533 [main] INFO  org.elasticmq.server.Main$ - === ElasticMQ server (1.7.1) started in 1539 ms ===";
const BOUND =
  "22:38:03.533 [elasticmq-pekko.actor.default-dispatcher-6] INFO  o.e.rest.sqs.TheSQSRestServerBuilder - Started SQS rest server, bind address 127.0.0.1:35615, visible server address http://127.0.0.1:35615";

Deno.test("StartupWatch is ready after the bound address and the start, in either order", () => {
  // The order seen in a start that hung for 60 s: "started" came first.
  const startedFirst = new StartupWatch();
  assert.equal(startedFirst.read("Starting ElasticMQ server (1.7.1) ..."), false);
  assert.equal(startedFirst.read(STARTED), false);
  assert.equal(startedFirst.read(BOUND), true);
  assert.equal(startedFirst.port, 35615);
  const boundFirst = new StartupWatch();
  assert.equal(boundFirst.read(BOUND), false);
  assert.equal(boundFirst.read(STARTED), true);
});

Deno.test("startupFailure() names a taken port", () => {
  const text = startupFailure({
    port: 9324,
    outcome: "exited",
    code: 1,
    timeoutMs: 30_000,
    log:
      "org.apache.pekko.stream.BindFailedException\njava.net.BindException: Address already in use",
  });
  const [first] = text.split("\n");
  assert.match(first!, /^ElasticMQ could not bind 127\.0\.0\.1:9324 \(is another server/);
  assert.match(first!, /the JVM exited with code 1 during start-up on 127\.0\.0\.1:9324/);
  assert.match(text, /--- JVM output ---\n.*BindFailedException/);
});

Deno.test("startupFailure() says what a start that timed out had logged", () => {
  const text = startupFailure({ port: 0, outcome: "timeout", timeoutMs: 30_000, log: STARTED });
  assert.match(
    text.split("\n")[0]!,
    /^ElasticMQ was not ready on a free port on 127\.0\.0\.1 after 30000 ms: it logged that it started but not which address it bound$/,
  );
  assert.match(
    startupFailure({ port: 0, outcome: "timeout", timeoutMs: 5, log: "" }),
    /it logged neither its start nor a bound address\n--- JVM output ---\n\(no output\)$/,
  );
});

Deno.test("startupFailure() quotes a JVM that could not run", () => {
  const text = startupFailure({
    port: 0,
    outcome: "exited",
    code: 1,
    timeoutMs: 30_000,
    log: "Error: Could not find or load main class org.elasticmq.server.Main",
  });
  assert.match(text.split("\n")[0]!, /the JVM said: Error: Could not find or load main class/);
});

Deno.test("StartupWatch notices a bind failure", () => {
  const watch = new StartupWatch();
  watch.read("java.net.BindException: Address already in use");
  assert.equal(watch.bindFailed, true);
  assert.equal(watch.ready, false);
  assert.match(
    startupFailure({ port: 4, outcome: "bind", timeoutMs: 1, log: "BindException" }),
    /^ElasticMQ could not bind 127\.0\.0\.1:4 \(is another server using the port\?\)\n/,
  );
});
