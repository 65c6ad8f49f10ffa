import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { INIT_LIMIT_MS, resolveOptions } from "./options.ts";

const TESTDATA = fileURLToPath(new URL("./testdata", import.meta.url));
const base = { codeDir: join(TESTDATA, "node_fn"), runtime: "node" as const, logDir: "/tmp" };

Deno.test("resolveOptions() fills in Lambda's defaults and the runtime's command", async () => {
  const o = await resolveOptions(base);
  assert.equal(o.handler, "index.handler");
  assert.equal(o.memoryMb, 128);
  assert.equal(o.timeoutS, 3);
  assert.equal(o.functionName, "node_fn");
  assert.equal(o.initLimitMs, INIT_LIMIT_MS);
  assert.equal(o.cpuPeriodUs, 20_000);
  assert.equal(o.freeze, true);
  assert.equal(o.controls, "auto");
  assert.equal(o.runtimeCommand.command, "node");
});

Deno.test("resolveOptions() names the offending value", async () => {
  const cases: [Record<string, unknown>, new (...args: never[]) => Error, RegExp][] = [
    [{ runtime: "java" }, RangeError, /Unknown runtime "java"/],
    [{ memoryMb: 127.5 }, RangeError, /memoryMb .* got 127\.5/],
    [{ timeoutS: 901 }, RangeError, /timeoutS .* got 901/],
    [{ functionName: "a b" }, RangeError, /Bad function name "a b"/],
    [{ runtime: "llrt" }, TypeError, /"llrt".*llrtBin/],
    [
      { runtime: "llrt", llrtBin: "/nonexistent/llrt" },
      Deno.errors.NotFound,
      /LLRT binary.*\/nonexistent\/llrt/,
    ],
    [{ runtime: "provided" }, Deno.errors.NotFound, /bootstrap does not exist/],
    [
      { optDir: join(TESTDATA, "node_fn", "index.mjs") },
      Deno.errors.NotFound,
      /opt folder is not a folder/,
    ],
  ];
  for (const [extra, type, message] of cases) {
    await assert.rejects(
      () => resolveOptions({ ...base, ...extra } as Parameters<typeof resolveOptions>[0]),
      (e) => e instanceof type && message.test((e as Error).message),
      JSON.stringify(extra),
    );
  }
});
