import assert from "node:assert/strict";
import { PLATFORM_FILTER_PATTERNS } from "../aws/collect.ts";
import { compileFilterPattern, FilterPatternError } from "./filter_pattern.ts";

const REPORT = "REPORT RequestId: r1\tDuration: 1.00 ms\tBilled Duration: 1 ms\t";
const JSON_REPORT = JSON.stringify({
  time: "2026-12-01T00:00:00.000Z",
  type: "platform.report",
  record: { requestId: "r1", metrics: { durationMs: 12.5 } },
});
const APP = JSON.stringify({ timestamp: "t", level: "INFO", message: "hello", requestId: "r1" });

Deno.test("the AWS backend's text pattern keeps platform lines only", () => {
  const match = compileFilterPattern(PLATFORM_FILTER_PATTERNS.text);
  for (const line of ["START RequestId: r1 Version: $LATEST", "END RequestId: r1", REPORT]) {
    assert.ok(match(line), line);
  }
  assert.ok(match("INIT_START Runtime Version: nodejs:22"));
  assert.ok(!match("2026-12-01T00:00:00.000Z\tr1\tINFO\thandling"));
});

Deno.test("the AWS backend's JSON pattern keeps platform records only", () => {
  const match = compileFilterPattern(PLATFORM_FILTER_PATTERNS.json);
  assert.ok(match(JSON_REPORT));
  assert.ok(!match(APP));
  assert.ok(!match(REPORT));
  assert.ok(!match("{not json"));
});

Deno.test("compileFilterPattern() reads terms: all of, ?any of, -none of, quoted, %regex%", () => {
  assert.ok(compileFilterPattern("")("anything"));
  assert.ok(compileFilterPattern("ERROR timeout")("ERROR: a timeout"));
  assert.ok(!compileFilterPattern("ERROR timeout")("ERROR only"));
  assert.ok(!compileFilterPattern("ERROR")("error"), "case-sensitive");
  assert.ok(compileFilterPattern("ERROR -retry")("ERROR x"));
  assert.ok(!compileFilterPattern("ERROR -retry")("ERROR retry"));
  assert.ok(compileFilterPattern('"Task timed out"')("x Task timed out after 3.00 seconds"));
  assert.ok(compileFilterPattern("%Duration: [0-9]+%")(REPORT));
});

Deno.test("compileFilterPattern() reads JSON comparisons, wildcards, numbers, && || and IS", () => {
  const m = (p: string) => compileFilterPattern(p)(JSON_REPORT);
  assert.ok(m('{ $.record.requestId = "r1" }'));
  assert.ok(m("{ $.record.metrics.durationMs > 10 && $.type = platform.rep* }"));
  assert.ok(!m("{ $.record.metrics.durationMs >= 13 }"));
  assert.ok(m('{ ($.type = "x") || $.record.metrics.durationMs = 12.5 }'));
  assert.ok(m('{ $.type != "platform.start" }'));
  assert.ok(m("{ $.record.missing NOT EXISTS }"));
  assert.ok(!m("{ $.record IS NULL }"));
  assert.ok(compileFilterPattern("{ $.list[1] = 2 }")('{"list":[1,2]}'));
});

Deno.test("compileFilterPattern() refuses what it cannot read, naming the pattern", () => {
  for (const p of ['{ $.type = "x" ', "{ $.type ~ 1 }", '"unclosed', "[ip, user]", "%(%"]) {
    assert.throws(() => compileFilterPattern(p), (e: Error) => {
      assert.ok(e instanceof FilterPatternError);
      assert.equal(e.name, "InvalidParameterException");
      assert.match(e.message, /^Invalid filter pattern /);
      return true;
    });
  }
});
