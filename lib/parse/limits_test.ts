import assert from "node:assert/strict";
import {
  checkDuration,
  type CheckedFields,
  checkReport,
  JSON_LABELS,
  LAMBDA_LIMITS,
  TEXT_LABELS,
} from "./limits.ts";
import { rejectionKind } from "./records.ts";

const OK: CheckedFields = {
  durationMs: 24.81,
  billedDurationMs: 25,
  memorySizeMb: 128,
  maxMemoryUsedMb: 71,
  initDurationMs: 168.42,
  restoreDurationMs: null,
  billedRestoreDurationMs: null,
};

Deno.test("checkReport() passes what Lambda reports, limits included", () => {
  assert.equal(checkReport(OK, TEXT_LABELS), null);
  for (
    const r of [
      { durationMs: 0, billedDurationMs: 0, maxMemoryUsedMb: 0, initDurationMs: 0 },
      { durationMs: 900_000, billedDurationMs: 900_000 },
      { durationMs: LAMBDA_LIMITS.maxDurationMs, initDurationMs: LAMBDA_LIMITS.maxInitMs },
      { billedDurationMs: LAMBDA_LIMITS.maxBilledMs },
      { memorySizeMb: 10_240, maxMemoryUsedMb: 10_240 },
      { memorySizeMb: 1769, maxMemoryUsedMb: 1769, initDurationMs: null },
      { restoreDurationMs: 312.5, billedRestoreDurationMs: 108 },
    ]
  ) {
    assert.equal(checkReport({ ...OK, ...r }, TEXT_LABELS), null, JSON.stringify(r));
  }
});

Deno.test("checkReport() names the first impossible value and why", () => {
  const cases: Array<[Partial<CheckedFields>, string]> = [
    [{ durationMs: -1 }, 'REPORT: "Duration" has a negative value "-1"'],
    [{ durationMs: Infinity }, 'REPORT: "Duration" has a non-finite value "Infinity"'],
    [{ durationMs: NaN }, 'REPORT: "Duration" has a non-finite value "NaN"'],
    [
      { durationMs: 901_000.5 },
      'REPORT: "Duration" has a too-large value "901000.5" (limit 901,000 ms)',
    ],
    [{ billedDurationMs: -2 }, 'REPORT: "Billed Duration" has a negative value "-2"'],
    [
      { billedDurationMs: 2e6 },
      'REPORT: "Billed Duration" has a too-large value "2000000" (limit 1,802,000 ms)',
    ],
    [
      { memorySizeMb: 127 },
      'REPORT: "Memory Size" has an out-of-range value "127" (128–10,240 MB)',
    ],
    [
      { memorySizeMb: 10_241 },
      'REPORT: "Memory Size" has an out-of-range value "10241" (128–10,240 MB)',
    ],
    [
      { memorySizeMb: 3e9 },
      'REPORT: "Memory Size" has an out-of-range value "3000000000" (128–10,240 MB)',
    ],
    [
      { memorySizeMb: 128.5 },
      'REPORT: "Memory Size" has a non-integer value "128.5" (128–10,240 MB)',
    ],
    [{ maxMemoryUsedMb: -1 }, 'REPORT: "Max Memory Used" has a negative value "-1"'],
    [
      { maxMemoryUsedMb: 129 },
      'REPORT: "Max Memory Used" has a too-large value "129" (above Memory Size 128 MB)',
    ],
    [{ initDurationMs: -0.5 }, 'REPORT: "Init Duration" has a negative value "-0.5"'],
    [
      { initDurationMs: 1e20 },
      'REPORT: "Init Duration" has a too-large value "100000000000000000000" (limit 901,000 ms)',
    ],
    [{ restoreDurationMs: -3 }, 'REPORT: "Restore Duration" has a negative value "-3"'],
    [
      { billedRestoreDurationMs: Infinity },
      'REPORT: "Billed Restore Duration" has a non-finite value "Infinity"',
    ],
  ];
  for (const [change, reason] of cases) {
    assert.equal(checkReport({ ...OK, ...change }, TEXT_LABELS), reason);
  }
  assert.equal(
    checkReport({ ...OK, durationMs: -1 }, JSON_LABELS),
    'platform.report: "metrics.durationMs" has a negative value "-1"',
  );
});

Deno.test("checkDuration() bounds one duration", () => {
  assert.equal(checkDuration("X", 0, 10), null);
  assert.equal(checkDuration("X", 10, 10), null);
  assert.equal(checkDuration("X", 11, 10), 'X has a too-large value "11" (limit 10 ms)');
  assert.equal(checkDuration("X", -1, 10), 'X has a negative value "-1"');
});

Deno.test("rejectionKind() leaves out the offending value", () => {
  const cases: Array<[string, string]> = [
    ['REPORT: "Duration" has a bad value "12."', 'REPORT: "Duration" has a bad value'],
    [
      'REPORT: "Duration" has a too-large value "1e+20" (limit 901,000 ms)',
      'REPORT: "Duration" has a too-large value',
    ],
    [
      'REPORT: cannot read field "Billed Dur value "x""',
      "REPORT: cannot read field",
    ],
    [
      'REPORT: "Init Duration" has a damaged field "Init Duraton: 12.3 ms"',
      'REPORT: "Init Duration" has a damaged field',
    ],
    ['REPORT: "Max Memory Used" is missing', 'REPORT: "Max Memory Used" is missing'],
    ['filter-log-events: event has no "message"', 'filter-log-events: event has no "message"'],
    ["malformed JSON platform event", "malformed JSON platform event"],
  ];
  for (const [reason, kind] of cases) assert.equal(rejectionKind(reason), kind);
});
