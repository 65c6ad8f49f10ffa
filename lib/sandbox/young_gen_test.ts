import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { HARNESS_V8_FLAGS, YOUNG_GENERATION_MB, youngGenerationNote } from "./young_gen.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** This Deno's young generation in a fresh process, with and without the harness's flag. */
async function childYoungMb(flags: string[]): Promise<number> {
  const code = `import { youngGenerationMb } from ${
    JSON.stringify(new URL("./young_gen.ts", import.meta.url).href)
  }; console.log(youngGenerationMb());`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", ...flags, code],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return Number(new TextDecoder().decode(out.stdout).trim());
}

Deno.test("HARNESS_V8_FLAGS gives the process its young generation, which V8's default lacks", async () => {
  const given = await childYoungMb([HARNESS_V8_FLAGS]);
  const plain = await childYoungMb([]);
  assert.ok(given >= YOUNG_GENERATION_MB * 0.9, `with the flag: ${given} MB`);
  assert.ok(plain < YOUNG_GENERATION_MB * 0.9, `V8's default: ${plain} MB`);
  assert.equal(youngGenerationNote(given), null);
  assert.match(
    youngGenerationNote(plain) ?? "",
    /young generation \(the project's tasks give 16 MB/,
  );
});

Deno.test("youngGenerationNote() speaks only of a young generation below the tasks'", () => {
  assert.equal(youngGenerationNote(undefined), null);
  assert.equal(youngGenerationNote(null), null);
  assert.equal(youngGenerationNote(14.4), null, "V8 keeps a little of the semi-space itself");
  assert.match(youngGenerationNote(14.3) ?? "", /^The sandbox ran with a 14\.3 MB young/);
});

Deno.test("every task that runs the sandbox passes HARNESS_V8_FLAGS", () => {
  const tasks = JSON.parse(Deno.readTextFileSync(`${ROOT}/deno.json`)).tasks as Record<
    string,
    string
  >;
  for (const name of ["bench", "load", "sandbox", "serve", "fidelity", "perf:sandbox"]) {
    assert.ok(
      tasks[name]?.startsWith(`deno run -A ${HARNESS_V8_FLAGS} `),
      `${name}: ${tasks[name]}`,
    );
  }
  // The study runs `bench` as a child process of its own: it passes the flag there.
  const study = Deno.readTextFileSync(`${ROOT}/lib/cli/study.ts`);
  assert.match(study, /const BENCH = \["run", "-A", HARNESS_V8_FLAGS, "lib\/cli\/bench\.ts"\]/);
  assert.equal(study.match(/\[\.\.\.BENCH, /g)?.length, 2, "bench and load both run it");
});
