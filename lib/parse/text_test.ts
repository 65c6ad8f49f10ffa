import assert from "node:assert/strict";
import { parseTextLine, readReportLine, reportFields } from "./text.ts";
import { prefixTime } from "./_time.ts";
import type { ReportRecord } from "./records.ts";

const ID = "8f5a3c2e-1b4d-4e6f-9a7b-0c1d2e3f4a5b";
const PREFIX = "2024-05-01T10:00:00.205000+00:00 2024/05/01/[$LATEST]4f1c2a9be0d94c7a ";
const T = Date.UTC(2024, 4, 1, 10, 0, 0, 205);

function report(line: string): ReportRecord {
  const r = parseTextLine(line, 7, null);
  assert.ok(r !== null && typeof r === "object" && r.kind === "report", `not a REPORT: ${r}`);
  return r;
}

const REPORT_CASES: Array<[string, string, Partial<ReportRecord>]> = [
  [
    "warm, trailing tab",
    `REPORT RequestId: ${ID}\tDuration: 6.17 ms\tBilled Duration: 7 ms\tMemory Size: 128 MB\tMax Memory Used: 72 MB\t`,
    {
      durationMs: 6.17,
      billedDurationMs: 7,
      memorySizeMb: 128,
      maxMemoryUsedMb: 72,
      initDurationMs: null,
      status: "success",
      errorType: null,
      traceId: null,
      time: null,
    },
  ],
  [
    "cold with prefix",
    `${PREFIX}REPORT RequestId: ${ID}\tDuration: 24.81 ms\tBilled Duration: 25 ms\tMemory Size: 128 MB\tMax Memory Used: 71 MB\tInit Duration: 168.42 ms\t`,
    { durationMs: 24.81, billedDurationMs: 25, initDurationMs: 168.42, time: T },
  ],
  [
    "old billing rounded to 100 ms is kept as stated",
    `REPORT RequestId: ${ID}\tDuration: 12.34 ms\tBilled Duration: 100 ms\tMemory Size: 128 MB\tMax Memory Used: 70 MB\t`,
    { durationMs: 12.34, billedDurationMs: 100 },
  ],
  [
    "XRAY on the same line, several trailing tabs",
    `REPORT RequestId: ${ID}\tDuration: 6.17 ms\tBilled Duration: 7 ms\tMemory Size: 128 MB\tMax Memory Used: 72 MB\tXRAY TraceId: 1-66321a11-0a1b2c3d4e5f60718293a4b5\tSegmentId: 7f6e5d4c3b2a1908\tSampled: true\t\t`,
    { traceId: "1-66321a11-0a1b2c3d4e5f60718293a4b5", durationMs: 6.17 },
  ],
  [
    "Status: timeout",
    `REPORT RequestId: ${ID}\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\tMemory Size: 128 MB\tMax Memory Used: 73 MB\tStatus: timeout`,
    { status: "timeout", durationMs: 3000, errorType: null },
  ],
  [
    "Status: error with Error Type",
    `REPORT RequestId: ${ID}\tDuration: 20.55 ms\tBilled Duration: 21 ms\tMemory Size: 128 MB\tMax Memory Used: 128 MB\tStatus: error\tError Type: Runtime.OutOfMemory`,
    { status: "error", errorType: "Runtime.OutOfMemory", maxMemoryUsedMb: 128 },
  ],
  [
    "SnapStart restore",
    `REPORT RequestId: ${ID}\tDuration: 44.25 ms\tBilled Duration: 45 ms\tMemory Size: 1024 MB\tMax Memory Used: 140 MB\tRestore Duration: 312.50 ms\tBilled Restore Duration: 108 ms\t`,
    { restoreDurationMs: 312.5, billedRestoreDurationMs: 108, initDurationMs: null },
  ],
  [
    "CRLF line end",
    `REPORT RequestId: ${ID}\tDuration: 1.5 ms\tBilled Duration: 2 ms\tMemory Size: 256 MB\tMax Memory Used: 60 MB\t\r`,
    { durationMs: 1.5, memorySizeMb: 256 },
  ],
];

for (const [name, line, want] of REPORT_CASES) {
  Deno.test(`parseTextLine() reads REPORT: ${name}`, () => {
    const r = report(line);
    assert.equal(r.requestId, ID);
    assert.equal(r.line, 7);
    assert.equal(r.source, "text");
    for (const [k, v] of Object.entries(want)) {
      assert.equal(r[k as keyof ReportRecord], v, k);
    }
  });
}

/** A warm REPORT without its trailing tab, to append fields to. */
const WARM =
  `REPORT RequestId: ${ID}\tDuration: 6.17 ms\tBilled Duration: 7 ms\tMemory Size: 128 MB\tMax Memory Used: 72 MB`;

const REJECTED: Array<[string, string, string]> = [
  [
    "cut off in a number",
    `REPORT RequestId: ${ID}\tDuration: 12.`,
    'REPORT: "Duration" has a bad value "12."',
  ],
  [
    "cut off in a key",
    `REPORT RequestId: ${ID}\tDuration: 1.00 ms\tBilled Dur`,
    'REPORT: cannot read field "Billed Dur"',
  ],
  [
    "missing Max Memory Used",
    `REPORT RequestId: ${ID}\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\t`,
    'REPORT: "Max Memory Used" is missing',
  ],
  [
    "bad number",
    `REPORT RequestId: ${ID}\tDuration: abc ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 70 MB`,
    'REPORT: "Duration" has a bad value "abc ms"',
  ],
  [
    "negative number",
    `REPORT RequestId: ${ID}\tDuration: -1.00 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 70 MB`,
    'REPORT: "Duration" has a bad value "-1.00 ms"',
  ],
  [
    "wrong unit",
    `REPORT RequestId: ${ID}\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 128 ms\tMax Memory Used: 70 MB`,
    'REPORT: "Memory Size" has a bad value "128 ms"',
  ],
  ["no request id", "REPORT RequestId: \tDuration: 1.00 ms", "REPORT: the request id is missing"],
  [
    "a cut-off status",
    `REPORT RequestId: ${ID}\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 70 MB\tStatus: time`,
    'REPORT: "Status" has a bad value "time"',
  ],
  [
    "spaces instead of tabs, a field missing",
    `REPORT RequestId: ${ID} Duration: 1.00 ms Billed Duration: 1 ms`,
    'REPORT: "Memory Size" is missing',
  ],
  [
    "spaces instead of tabs, two words where the request id should be",
    `REPORT RequestId: ${ID} x Duration: 1.00 ms Billed Duration: 1 ms`,
    `REPORT: the request id has a bad value "${ID} x"`,
  ],
  [
    "a damaged Init Duration name",
    `${WARM}\tInit Duraton: 12.3 ms`,
    'REPORT: "Init Duration" has a damaged field "Init Duraton: 12.3 ms"',
  ],
  [
    "a damaged Init Duration value",
    `${WARM}\tInit Duration: x ms`,
    'REPORT: "Init Duration" has a bad value "x ms"',
  ],
  [
    "a cut-off Init Duration name",
    `${WARM}\tInit Dura: 12.3 ms`,
    'REPORT: "Init Duration" has a damaged field "Init Dura: 12.3 ms"',
  ],
  [
    "a damaged Init Duration name, spaces instead of tabs",
    `${WARM.replaceAll("\t", " ")} Inlt Duration: 12.3 ms`,
    'REPORT: "Init Duration" has a damaged field "Inlt Duration: 12.3 ms"',
  ],
  [
    "a damaged Status name",
    `${WARM}\tStatsu: timeout`,
    'REPORT: "Status" has a damaged field "Statsu: timeout"',
  ],
  [
    "a field stated twice",
    `${WARM}\tInit Duration: 1.00 ms\tInit Duration: 2.00 ms`,
    'REPORT: "Init Duration" appears twice',
  ],
  [
    "a Duration above the 900 s limit",
    `REPORT RequestId: ${ID}\tDuration: 100000000000000000000 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 70 MB`,
    'REPORT: "Duration" has a too-large value "100000000000000000000" (limit 901,000 ms)',
  ],
  [
    "a number too long to be finite",
    `REPORT RequestId: ${ID}\tDuration: ${
      "9".repeat(400)
    } ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 70 MB`,
    'REPORT: "Duration" has a non-finite value "Infinity"',
  ],
  [
    "a Memory Size too large for the column",
    `REPORT RequestId: ${ID}\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 3000000000 MB\tMax Memory Used: 70 MB`,
    'REPORT: "Memory Size" has an out-of-range value "3000000000" (128–10,240 MB)',
  ],
  [
    "Max Memory Used above Memory Size",
    `REPORT RequestId: ${ID}\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 129 MB`,
    'REPORT: "Max Memory Used" has a too-large value "129" (above Memory Size 128 MB)',
  ],
  [
    "an Init Duration above its limit",
    `${WARM}\tInit Duration: 1000000.00 ms`,
    'REPORT: "Init Duration" has a too-large value "1000000" (limit 901,000 ms)',
  ],
  [
    "INIT_REPORT with an impossible duration",
    "INIT_REPORT Init Duration: 9999999 ms\tPhase: init\tStatus: timeout",
    'INIT_REPORT: "Init Duration" has a too-large value "9999999" (limit 901,000 ms)',
  ],
  ["START without id", "START RequestId: ", "START: the request id is missing"],
  [
    "INIT_REPORT without duration",
    "INIT_REPORT Phase: init\tStatus: timeout",
    'INIT_REPORT: "Init Duration" is missing',
  ],
  [
    "INIT_REPORT with a bad duration",
    "INIT_REPORT Init Duration: 99",
    'INIT_REPORT: "Init Duration" has a bad value "99"',
  ],
];

for (const [name, line, reason] of REJECTED) {
  Deno.test(`parseTextLine() rejects ${name}`, () => {
    assert.equal(parseTextLine(line, 1, null), reason);
  });
}

Deno.test("parseTextLine() reads START and END with and without a prefix", () => {
  assert.deepEqual(parseTextLine(`START RequestId: ${ID} Version: $LATEST`, 3, 42), {
    kind: "start",
    requestId: ID,
    version: "$LATEST",
    time: 42,
    line: 3,
    source: "text",
  });
  assert.deepEqual(parseTextLine(`${PREFIX}END RequestId: ${ID}`, 4, null), {
    kind: "end",
    requestId: ID,
    time: T,
    line: 4,
    source: "text",
  });
});

Deno.test("parseTextLine() reads INIT_START", () => {
  const arn = "arn:aws:lambda:us-east-1::runtime:da57c20c4b965d5b75540f6865a35fc8";
  assert.deepEqual(
    parseTextLine(`INIT_START Runtime Version: nodejs:20.v22\tRuntime Version ARN: ${arn}`, 1, 5),
    {
      kind: "initStart",
      runtimeVersion: "nodejs:20.v22",
      runtimeVersionArn: arn,
      phase: null,
      initializationType: null,
      time: 5,
      line: 1,
      source: "text",
    },
  );
});

Deno.test("parseTextLine() reads INIT_REPORT with Phase, Status and Error Type", () => {
  assert.deepEqual(
    parseTextLine(
      "INIT_REPORT Init Duration: 1203.45 ms\tPhase: invoke\tStatus: error\tError Type: Runtime.ExitError",
      2,
      null,
    ),
    {
      kind: "initReport",
      initDurationMs: 1203.45,
      phase: "invoke",
      status: "error",
      errorType: "Runtime.ExitError",
      time: null,
      line: 2,
      source: "text",
    },
  );
  const timeout = parseTextLine(
    "INIT_REPORT Init Duration: 9999.99 ms\tPhase: init\tStatus: timeout",
    3,
    null,
  );
  assert.ok(timeout !== null && typeof timeout === "object" && timeout.kind === "initReport");
  assert.equal(timeout.status, "timeout");
  assert.equal(timeout.errorType, null);
});

Deno.test("parseTextLine() reads an XRAY continuation line", () => {
  assert.deepEqual(
    parseTextLine(
      "XRAY TraceId: 1-66321a10-5b2d7c3e\tSegmentId: 2a3b4c5d6e7f8091\tSampled: true\t",
      8,
      null,
    ),
    { kind: "xray", traceId: "1-66321a10-5b2d7c3e" },
  );
});

Deno.test("parseTextLine() reads EXTENSION and TELEMETRY lines", () => {
  const ext = parseTextLine(
    "EXTENSION\tName: battle-ext-rust\tState: Ready\tEvents: [INVOKE, SHUTDOWN]",
    1,
    null,
  );
  assert.ok(ext !== null && typeof ext === "object" && ext.kind === "extension");
  assert.equal(ext.name, "battle-ext-rust");
  assert.equal(ext.state, "Ready");
  const tel = parseTextLine(
    "TELEMETRY\tName: battle-ext-node\tState: Subscribed\tTypes: [Platform]",
    1,
    null,
  );
  assert.ok(tel !== null && typeof tel === "object" && tel.kind === "telemetrySubscription");
  assert.equal(tel.name, "battle-ext-node");
});

Deno.test("parseTextLine() treats application output as noise", () => {
  for (
    const line of [
      `2024-05-01T10:00:00.190Z\t${ID}\tINFO\tsent 1024 bytes`,
      `${PREFIX}RequestId: ${ID} Error: Runtime exited with error: signal: killed`,
      "my START RequestId:x is not at a word start: XSTART RequestId: y",
      "",
      "Task timed out after 3.00 seconds",
      'log("REPORT RequestId: abc")',
    ]
  ) {
    assert.equal(parseTextLine(line, 1, null), null, line);
  }
});

Deno.test("prefixTime() reads ISO timestamps with offsets and fractions", () => {
  const cases: Array<[string, number | null]> = [
    ["2024-05-01T10:00:00.123000+00:00 s ", Date.UTC(2024, 4, 1, 10, 0, 0, 123)],
    ["2024-05-01T12:00:00.5+02:00 s ", Date.UTC(2024, 4, 1, 10, 0, 0, 500)],
    ["2024-05-01T10:00:00Z s ", Date.UTC(2024, 4, 1, 10)],
    ["2024-05-01T10:00:00 s ", Date.UTC(2024, 4, 1, 10)],
    ["2024-05-01T10:00:00.250 s ", Date.UTC(2024, 4, 1, 10, 0, 0, 250)],
    ["May 1 10:00:00 s ", null],
    ["12 s ", null],
    ["2024/05/01/[$LATEST]abc ", null],
    ["Wed,_01_May_2024_10:00:00_GMT s ", null],
    ["2024-13-01T10:00:00Z s ", null],
  ];
  for (const [line, want] of cases) assert.equal(prefixTime(line, line.length - 2), want, line);
  assert.equal(prefixTime("START", 0), null);
});

Deno.test("parseTextLine() never misreads a cut-off line: rejected, or the same values", async () => {
  const text = await Deno.readTextFile(new URL("./testdata/tail.txt", import.meta.url));
  for (const full of text.split("\n")) {
    const whole = parseTextLine(full, 1, null);
    for (let cut = 0; cut < full.length; cut++) {
      const r = parseTextLine(full.slice(0, cut), 1, null);
      if (r === null || typeof r === "string" || r.kind !== "report") continue;
      assert.ok(whole !== null && typeof whole === "object" && whole.kind === "report");
      for (
        const k of ["durationMs", "billedDurationMs", "memorySizeMb", "maxMemoryUsedMb"] as const
      ) {
        assert.equal(r[k], whole[k], `${k} of ${JSON.stringify(full.slice(0, cut))}`);
      }
      if (r.initDurationMs !== null) assert.equal(r.initDurationMs, whole.initDurationMs);
      if (r.status !== "success") assert.equal(r.status, whole.status);
    }
  }
});

const SPACED_CASES: Array<[string, string, Partial<ReportRecord>]> = [
  [
    "cold start as the console shows it",
    `REPORT RequestId: ${ID} Duration: 12.34 ms Billed Duration: 13 ms Memory Size: 128 MB Max Memory Used: 60 MB Init Duration: 150.20 ms`,
    {
      durationMs: 12.34,
      billedDurationMs: 13,
      memorySizeMb: 128,
      maxMemoryUsedMb: 60,
      initDurationMs: 150.2,
      status: "success",
    },
  ],
  [
    "double spaces, a prefix and a trailing space",
    `${PREFIX}REPORT RequestId: ${ID}  Duration: 6.17 ms  Billed Duration: 7 ms  Memory Size: 1024 MB  Max Memory Used: 72 MB `,
    { durationMs: 6.17, memorySizeMb: 1024, initDurationMs: null, time: T },
  ],
  [
    "Status, Error Type and X-Ray on the same line",
    `REPORT RequestId: ${ID} Duration: 20.55 ms Billed Duration: 21 ms Memory Size: 128 MB Max Memory Used: 128 MB Status: error Error Type: Runtime.OutOfMemory XRAY TraceId: 1-66321a11-0a1b SegmentId: 7f6e5d4c Sampled: true`,
    { status: "error", errorType: "Runtime.OutOfMemory", traceId: "1-66321a11-0a1b" },
  ],
  [
    "SnapStart restore",
    `REPORT RequestId: ${ID} Duration: 44.25 ms Billed Duration: 45 ms Memory Size: 1024 MB Max Memory Used: 140 MB Restore Duration: 312.50 ms Billed Restore Duration: 108 ms`,
    { restoreDurationMs: 312.5, billedRestoreDurationMs: 108 },
  ],
  [
    "tabs after the first field only",
    `REPORT RequestId: ${ID} Duration: 1.50 ms\tBilled Duration: 2 ms\tMemory Size: 256 MB\tMax Memory Used: 60 MB\t`,
    { durationMs: 1.5, billedDurationMs: 2, memorySizeMb: 256 },
  ],
];

for (const [name, line, want] of SPACED_CASES) {
  Deno.test(`parseTextLine() reads a REPORT with spaces instead of tabs: ${name}`, () => {
    const r = report(line);
    assert.equal(r.requestId, ID);
    for (const [k, v] of Object.entries(want)) {
      assert.equal(r[k as keyof ReportRecord], v, k);
    }
    // The columnar path reads the same values.
    assert.equal(readReportLine(line, null), null);
    for (const [k, v] of Object.entries(want)) {
      assert.equal(reportFields[k as keyof typeof reportFields], v, `columnar ${k}`);
    }
  });
}

Deno.test("parseTextLine() reads a REPORT the same with tabs or spaces", async () => {
  const text = await Deno.readTextFile(new URL("./testdata/tail.txt", import.meta.url));
  let reports = 0;
  for (const line of text.split("\n")) {
    const tabbed = parseTextLine(line, 1, null);
    if (tabbed === null || typeof tabbed !== "object" || tabbed.kind !== "report") continue;
    reports++;
    const lambda = line.indexOf("REPORT ");
    const spaced = line.slice(0, lambda) + line.slice(lambda).replaceAll("\t", " ");
    assert.deepEqual(parseTextLine(spaced, 1, null), tabbed, spaced);
  }
  assert.equal(reports, 5);
});

Deno.test("parseTextLine() reads INIT_START, INIT_REPORT and XRAY lines with spaces for tabs", () => {
  const init = parseTextLine(
    "INIT_START Runtime Version: nodejs:20.v22 Runtime Version ARN: arn:aws:lambda:us-east-1::runtime:da57",
    1,
    null,
  );
  assert.ok(init !== null && typeof init === "object" && init.kind === "initStart");
  assert.equal(init.runtimeVersion, "nodejs:20.v22");
  assert.equal(init.runtimeVersionArn, "arn:aws:lambda:us-east-1::runtime:da57");
  const failed = parseTextLine(
    "INIT_REPORT Init Duration: 1203.45 ms Phase: invoke Status: error Error Type: Runtime.ExitError",
    1,
    null,
  );
  assert.ok(failed !== null && typeof failed === "object" && failed.kind === "initReport");
  assert.deepEqual(
    [failed.initDurationMs, failed.phase, failed.status, failed.errorType],
    [1203.45, "invoke", "error", "Runtime.ExitError"],
  );
  assert.deepEqual(
    parseTextLine("XRAY TraceId: 1-6632-5b2d SegmentId: 2a3b Sampled: true", 1, null),
    {
      kind: "xray",
      traceId: "1-6632-5b2d",
    },
  );
});
