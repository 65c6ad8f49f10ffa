import assert from "node:assert/strict";
import { join } from "node:path";
import { createRunDir, newRunId, readRunJson, writeRunJson } from "./runs.ts";

Deno.test("newRunId() is UTC time to the second plus 4 hex digits, sortable", () => {
  const id = newRunId(new Date("2026-11-23T01:02:03.456Z"));
  assert.match(id, /^20261123T010203Z-[0-9a-f]{4}$/);
  assert.ok(newRunId(new Date("2026-11-23T01:02:04Z")) > id);
});

Deno.test("createRunDir() makes a new empty folder each time", async () => {
  const root = await Deno.makeTempDir({ prefix: "runs_test_" });
  try {
    const ids = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const { runId, dir } = await createRunDir(join(root, "runs"));
      assert.equal(dir, join(root, "runs", runId));
      assert.deepEqual([...Deno.readDirSync(dir)], []);
      ids.add(runId);
    }
    assert.equal(ids.size, 30);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("writeRunJson() and readRunJson() round-trip and leave no temp file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "runs_test_" });
  try {
    const value = { run_id: "r", rejected: { lines: 3 }, memory: [128, 512] };
    await writeRunJson(dir, value);
    await writeRunJson(dir, { ...value, again: true });
    assert.deepEqual(await readRunJson(dir), { ...value, again: true });
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["run.json"]);
    await Deno.writeTextFile(join(dir, "run.json"), "[1]");
    await assert.rejects(() => readRunJson(dir), {
      name: "SyntaxError",
      message: `Cannot read "${join(dir, "run.json")}": not a JSON object`,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
