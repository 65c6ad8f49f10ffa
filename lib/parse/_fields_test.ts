import assert from "node:assert/strict";
import { damagedName, type DamageTarget, tabSeparate } from "./_fields.ts";

Deno.test("tabSeparate() puts tabs between fields whose names have several words", () => {
  assert.equal(
    tabSeparate(
      "id Duration: 12.34 ms Billed Duration: 13 ms Memory Size: 128 MB Max Memory Used: 60 MB Init Duration: 150.20 ms",
      0,
      1,
    ),
    "id\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 60 MB\tInit Duration: 150.20 ms",
  );
  assert.equal(
    tabSeparate("Restore Duration: 1 ms  Billed Restore Duration: 2 ms \r", 0, 0),
    "\tRestore Duration: 1 ms\tBilled Restore Duration: 2 ms",
  );
  assert.equal(
    tabSeparate(
      "Runtime Version: nodejs:20.v22 Runtime Version ARN: arn:aws:lambda::runtime:x",
      0,
      0,
    ),
    "\tRuntime Version: nodejs:20.v22\tRuntime Version ARN: arn:aws:lambda::runtime:x",
  );
});

Deno.test("tabSeparate() keeps a damaged name whole, and an empty value empty", () => {
  assert.equal(
    tabSeparate("id Max Memory Used: 60 MB Init Duraton: 1 ms", 0, 1),
    "id\tMax Memory Used: 60 MB\tInit Duraton: 1 ms",
  );
  assert.equal(
    tabSeparate("id Max Memory Used: 60 MB Inlt Duration: 1 ms", 0, 1),
    "id\tMax Memory Used: 60 MB\tInlt Duration: 1 ms",
  );
  // The field before keeps its one word of value.
  assert.equal(
    tabSeparate("State: Ready Events: [INVOKE, SHUTDOWN]", 0, 0),
    "\tState: Ready\tEvents: [INVOKE, SHUTDOWN]",
  );
  assert.equal(tabSeparate("id Duration: Status: x", 0, 1), "id\tDuration:\tStatus: x");
  assert.equal(tabSeparate("id", 0, 1), "id");
});

const TARGETS: DamageTarget[] = [
  { folded: "initduration", label: "Init", maxEdits: 2, prefix: "init" },
  { folded: "status", label: "Status", maxEdits: 1 },
];

Deno.test("damagedName() tells damaged names from unknown ones", () => {
  for (
    const name of [
      "Init Duraton",
      "Init Dura",
      "Inlt Duration",
      "nit Duration",
      "init duration",
      "InitDuration",
    ]
  ) {
    assert.equal(damagedName(name, TARGETS), "Init", name);
  }
  for (const name of ["Statsu", "Stats", "status", "Statuss"]) {
    assert.equal(damagedName(name, TARGETS), "Status", name);
  }
  for (
    const name of [
      "SegmentId",
      "Sampled",
      "State",
      "Phase",
      "Restore Duration",
      "Duration",
      "x".repeat(50),
    ]
  ) {
    assert.equal(damagedName(name, TARGETS), null, name);
  }
});
