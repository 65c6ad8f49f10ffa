import assert from "node:assert/strict";
import { positiveSetting } from "./settings.ts";

const setting = { variable: "BATTLE_OUTBOX_MAX_MESSAGES", default: 2000 };

Deno.test("positiveSetting() reads a positive whole number, or the default when unset", () => {
  assert.equal(positiveSetting({}, setting), 2000);
  assert.equal(positiveSetting({ BATTLE_OUTBOX_MAX_MESSAGES: " " }, setting), 2000);
  assert.equal(positiveSetting({ BATTLE_OUTBOX_MAX_MESSAGES: "20" }, setting), 20);
});

Deno.test("positiveSetting() refuses anything else, naming the variable and the value", () => {
  for (const raw of ["0", "-3", "1.5", "many", "1e400"]) {
    assert.throws(
      () => positiveSetting({ BATTLE_OUTBOX_MAX_MESSAGES: raw }, setting),
      (e: unknown) =>
        e instanceof RangeError &&
        e.message === `BATTLE_OUTBOX_MAX_MESSAGES "${raw}" is not a positive whole number`,
    );
  }
});
