import assert from "node:assert/strict";
import { join } from "node:path";
import {
  claimRunDir,
  createRunDir,
  newestRunDir,
  newRunId,
  readRunManifest,
  resolveRunDir,
  runPaths,
  writeRunManifest,
} from "./runs.ts";
import { RUN_MANIFEST_SCHEMA_VERSION } from "./run_manifest.ts";
import { testManifest } from "./testdata/manifest.ts";

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

Deno.test("claimRunDir() creates a missing folder and refuses one that holds a run", async () => {
  const root = await Deno.makeTempDir({ prefix: "runs_test_" });
  try {
    const dir = join(root, "a", "b");
    assert.equal((await claimRunDir(dir)).dir, dir);
    await Deno.writeTextFile(runPaths(dir).manifest, "{}");
    await assert.rejects(() => claimRunDir(dir), {
      name: "AlreadyExists",
      message: `Cannot use --out "${dir}": it already holds a run (run.json); choose a new folder`,
    });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("writeRunManifest() and readRunManifest() round-trip and leave no temp file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "runs_test_" });
  try {
    const manifest = testManifest({ runId: "r1" });
    await writeRunManifest(dir, manifest);
    await writeRunManifest(dir, { ...manifest, rows: 7 });
    assert.deepEqual(readRunManifest(dir), { ...manifest, rows: 7 });
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["run.json"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readRunManifest() is null without run.json and names the file of a broken one", async () => {
  const dir = await Deno.makeTempDir({ prefix: "runs_test_" });
  try {
    assert.equal(readRunManifest(dir), null);
    const path = join(dir, "run.json");
    await Deno.writeTextFile(path, "{not json");
    assert.throws(() => readRunManifest(dir), { name: "SyntaxError" });
    await Deno.writeTextFile(path, JSON.stringify({ run_id: "old", config: {} }));
    assert.throws(() => readRunManifest(dir), {
      name: "TypeError",
      message: new RegExp(
        `^Cannot read ${path}: "schemaVersion" must be ${RUN_MANIFEST_SCHEMA_VERSION} `,
      ),
    });
    await Deno.writeTextFile(
      path,
      JSON.stringify({ ...testManifest({ runId: "r" }), config: { payloadBytes: "1 KB" } }),
    );
    assert.throws(() => readRunManifest(dir), {
      name: "TypeError",
      message: `Cannot read ${path}: "config.payloadBytes" must be a number, got "1 KB"`,
    });
    const good = testManifest({ runId: "r" });
    await Deno.writeTextFile(
      path,
      JSON.stringify({ ...good, config: { ...good.config, invokeGapMs: "20 ms" } }),
    );
    assert.throws(() => readRunManifest(dir), {
      message: `Cannot read ${path}: "config.invokeGapMs" must be a number, got "20 ms"`,
    });
    const { invokeGapMs: _, ...older } = good.config;
    await Deno.writeTextFile(path, JSON.stringify({ ...good, config: older }));
    assert.equal(readRunManifest(dir)?.config.invokeGapMs, undefined, "older runs still read");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("newestRunDir() and resolveRunDir() find runs and name what is missing", async () => {
  const root = await Deno.makeTempDir({ prefix: "runs_test_" });
  try {
    assert.equal(newestRunDir(join(root, "absent")), null);
    assert.throws(() => resolveRunDir(undefined, root), { name: "NotFound" });
    for (const [name, mtime] of [["old", 1_000], ["new", 2_000], ["mid", 1_500]] as const) {
      await Deno.mkdir(join(root, name));
      const file = runPaths(join(root, name)).invocations;
      await Deno.writeTextFile(file, "x");
      await Deno.utime(file, mtime, mtime);
    }
    await Deno.mkdir(join(root, "empty"));
    assert.equal(newestRunDir(root), join(root, "new"));
    assert.equal(resolveRunDir(undefined, root), join(root, "new"));
    assert.equal(resolveRunDir(join(root, "old"), root), join(root, "old"));
    assert.throws(() => resolveRunDir(join(root, "nonexistent")), {
      name: "NotFound",
      message: `Run folder "${join(root, "nonexistent")}" does not exist`,
    });
    assert.throws(() => resolveRunDir(join(root, "empty")), {
      name: "NotFound",
      message: `No invocations.parquet in run folder "${join(root, "empty")}"`,
    });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
