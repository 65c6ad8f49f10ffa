import assert from "node:assert/strict";
import { join } from "node:path";
import { tallyCargo, tallyDeno, tallyGo, tallyPytest } from "./test.ts";

Deno.test("tallyDeno() reads the closing line, coloured or not, with filtered or ignored tests", () => {
  assert.deepEqual(tallyDeno("x ... ok\n\nok | 12 passed | 0 failed (3s)\n"), {
    passed: 12,
    failed: 0,
  });
  assert.deepEqual(
    tallyDeno("\x1b[0m\x1b[31mFAILED\x1b[0m | 61 passed | 1 failed | 641 filtered out (33s)"),
    { passed: 61, failed: 1 },
  );
  assert.deepEqual(tallyDeno("ok | 5 passed (1 step) | 0 failed | 2 ignored (1s)"), {
    passed: 5,
    failed: 0,
  });
  assert.deepEqual(tallyDeno("error: Type checking failed."), { passed: 0, failed: 0 });
});

Deno.test("tallyCargo() sums every crate's result line", () => {
  const out = "test result: ok. 3 passed; 0 failed; 0 ignored\n" +
    "test result: FAILED. 4 passed; 2 failed; 0 ignored\n";
  assert.deepEqual(tallyCargo(out), { passed: 7, failed: 2 });
});

Deno.test("deno test --doc counts doc examples in the tally it closes with", async () => {
  const dir = await Deno.makeTempDir({ prefix: "doc-tally-" });
  try {
    await Deno.writeTextFile(join(dir, "deno.json"), "{}");
    await Deno.writeTextFile(
      join(dir, "mod.ts"),
      [
        "/**",
        " * @example",
        " * ```ts",
        ' * import { one } from "./mod.ts";',
        ' * if (one() !== 1) throw new Error("not one");',
        " * ```",
        " * @example",
        " * ```ts",
        ' * import { one } from "./mod.ts";',
        ' * if (one() !== 2) throw new Error("not two");',
        " * ```",
        " */",
        "export function one(): number {",
        "  return 1;",
        "}",
        "",
      ].join("\n"),
    );
    await Deno.writeTextFile(join(dir, "mod_test.ts"), 'Deno.test("t", () => {});\n');
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["test", "--doc"],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 1);
    assert.deepEqual(tallyDeno(text), { passed: 2, failed: 1 }, text);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tallyPytest() reads pytest's closing line", () => {
  assert.deepEqual(tallyPytest("....\n14 passed in 0.57s\n"), { passed: 14, failed: 0 });
  assert.deepEqual(
    tallyPytest("F.s\n=== 1 failed, 2 passed, 1 skipped, 1 error in 1.20s ===\n"),
    { passed: 2, failed: 2 },
  );
  assert.deepEqual(tallyPytest("no tests ran in 0.01s\n"), { passed: 0, failed: 0 });
});

Deno.test("tallyGo() counts go test -v results, subtests included", () => {
  const out = "=== RUN   TestA\n--- PASS: TestA (0.00s)\n=== RUN   TestB\n    --- PASS: TestB/x " +
    "(0.00s)\n--- FAIL: TestB (0.01s)\nFAIL\n";
  assert.deepEqual(tallyGo(out), { passed: 2, failed: 1 });
});
