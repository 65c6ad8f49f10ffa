import assert from "node:assert/strict";
import { LogFiles } from "./log_files.ts";
import type { TelemetryEvent } from "./records.ts";

async function withFiles(
  fn: (files: LogFiles, published: TelemetryEvent[], logged: string[]) => Promise<void>,
): Promise<void> {
  const logDir = await Deno.makeTempDir({ prefix: "log_files_test_" });
  const published: TelemetryEvent[] = [];
  const logged: string[] = [];
  const files = new LogFiles({
    logDir,
    functionName: "fn",
    onLog: (line) => logged.push(line),
    publish: (e) => published.push(e),
  });
  try {
    await fn(files, published, logged);
  } finally {
    files.close();
    await Deno.remove(logDir, { recursive: true });
  }
}

Deno.test("LogFiles writes time-stamped lines and platform records only when flushed", () =>
  withFiles(async (files, published, logged) => {
    assert.match(files.logFile, /\/fn\.log$/);
    assert.match(files.telemetryFile, /\/fn\.telemetry\.jsonl$/);
    files.line("START RequestId: r1 Version: $LATEST");
    files.platform("platform.start", { requestId: "r1" });
    assert.equal(await Deno.readTextFile(files.logFile), "", "buffered");
    assert.deepEqual(logged, ["START RequestId: r1 Version: $LATEST"]);
    assert.equal(published[0]?.type, "platform.start");
    files.flush();
    const log = await Deno.readTextFile(files.logFile);
    assert.match(
      log,
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\tSTART RequestId: r1 Version: \$LATEST\n$/,
    );
    const tel = JSON.parse(await Deno.readTextFile(files.telemetryFile));
    assert.deepEqual(tel.record, { requestId: "r1" });
    assert.equal(tel.type, "platform.start");
  }));

Deno.test("LogFiles sends process output to the log and subscribers, not the telemetry file", () =>
  withFiles(async (files, published) => {
    files.output("extension", "ext says hi");
    files.flush();
    assert.match(await Deno.readTextFile(files.logFile), /\text says hi\n$/);
    assert.equal(await Deno.readTextFile(files.telemetryFile), "");
    assert.deepEqual(published.map((e) => [e.type, e.record]), [["extension", "ext says hi"]]);
  }));

Deno.test("LogFiles writes a full buffer without waiting for flush()", () =>
  withFiles(async (files) => {
    for (let i = 0; i < 256; i++) files.line(`line ${i}`);
    const lines = (await Deno.readTextFile(files.logFile)).trimEnd().split("\n");
    assert.equal(lines.length, 256);
  }));
