import assert from "node:assert/strict";
import { join } from "node:path";
import { formatSummary, ingest, NoRecordsError } from "./mod.ts";
import { invocationRows, readInvocations } from "../store/mod.ts";

const TESTDATA = new URL("../parse/testdata/", import.meta.url).pathname;
const FIXTURES = ["tail.txt", "filter-log-events.json", "json-format.jsonl", "telemetry.json"]
  .map((f) => join(TESTDATA, f));

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ingest_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("ingest() reads all three export shapes into one Parquet file", async () => {
  await withTempDir(async (dir) => {
    const out = join(dir, "out.parquet");
    const s = await ingest({ files: FIXTURES, out, runId: "ingest-test" });
    assert.deepEqual(s.files.map((f) => f.shape), [
      "text",
      "filter-log-events",
      "jsonl",
      "telemetry-array",
    ]);
    assert.deepEqual(
      { lines: s.lines, invocations: s.invocations, cold: s.cold, rejected: s.rejected },
      { lines: 65, invocations: 11, cold: 3, rejected: 7 },
    );
    assert.deepEqual(s.unknownTypes, { "platform.futureThing": 1 });
    const rows = invocationRows(await readInvocations(out));
    assert.equal(rows.length, 11);
    assert.ok(rows.every((r) => r.run_id === "ingest-test"));
    assert.ok(rows.every((r) => r.backend === null && r.variant === null && r.arch === null));
    assert.ok(rows.every((r) => r.client_rtt_ms === null));
    const p = rows.find((r) => r.request_id === "7e9a1c3e-5a7c-4e9a-bc3e-5a7c9e1a3c5e");
    assert.deepEqual(p, {
      run_id: "ingest-test",
      backend: null,
      variant: null,
      arch: null,
      memory_mb: 128,
      request_id: "7e9a1c3e-5a7c-4e9a-bc3e-5a7c9e1a3c5e",
      cold: true,
      init_ms: 195.312,
      restore_ms: null,
      duration_ms: 30.884,
      billed_ms: 227,
      max_memory_mb: 77,
      runtime_done_ms: 21.507,
      post_runtime_ms: 9.377,
      client_rtt_ms: null,
      status: "success",
      error_type: null,
      timestamp: new Date("2024-05-03T09:00:00.200Z"),
    });
  });
});

Deno.test("ingest() --merge re-ingests idempotently", async () => {
  await withTempDir(async (dir) => {
    const out = join(dir, "out.parquet");
    await ingest({ files: FIXTURES, out, runId: "r", merge: true });
    await ingest({ files: FIXTURES, out, runId: "r", merge: true });
    assert.equal((await readInvocations(out)).height, 11);
  });
});

Deno.test("formatSummary() names rejected lines with file and line number, path last", async () => {
  await withTempDir(async (dir) => {
    const out = join(dir, "out.parquet");
    const lines = formatSummary(await ingest({ files: [FIXTURES[0]!], out, runId: "r" }));
    assert.equal(
      lines[0],
      "ingest: 1 file(s), 27 lines read, 19 platform records, 5 invocations (1 cold), " +
        "3 rejected lines, 0 unknown-type events",
    );
    assert.ok(
      lines.some((l) =>
        l.startsWith('    rejected tail.txt:22: REPORT: "Duration" has a bad value "12."')
      ),
    );
    assert.equal(lines.at(-1), out);
  });
});

Deno.test("ingest() of an empty file or random bytes throws NoRecordsError and writes nothing", async () => {
  await withTempDir(async (dir) => {
    const empty = join(dir, "empty.log");
    await Deno.writeFile(empty, new Uint8Array());
    const random = join(dir, "random.bin");
    const bytes = new Uint8Array(1024 * 1024);
    for (let i = 0; i < bytes.length; i += 65536) {
      crypto.getRandomValues(bytes.subarray(i, i + 65536));
    }
    await Deno.writeFile(random, bytes);
    const out = join(dir, "out.parquet");
    for (const files of [[empty], [random], [empty, random]]) {
      await assert.rejects(
        ingest({ files, out }),
        (e: unknown) =>
          e instanceof NoRecordsError &&
          e.message.startsWith(`No Lambda records were found in "${files[0]}"`) &&
          e.message.endsWith("nothing was written"),
      );
    }
    assert.equal(await Deno.stat(out).catch(() => null), null, "no Parquet file");
  });
});

Deno.test("formatSummary() counts each file's rejected lines by reason", async () => {
  await withTempDir(async (dir) => {
    const out = join(dir, "out.parquet");
    const summary = await ingest({ files: [FIXTURES[0]!], out, runId: "r" });
    const lines = formatSummary(summary);
    const byReason = Object.entries(summary.files[0]!.rejectedByReason);
    assert.ok(byReason.length > 0);
    const fileLine = lines.findIndex((l) => l.startsWith(`  ${FIXTURES[0]}`));
    for (const [reason, n] of byReason) {
      const at = lines.indexOf(`    ${n} rejected: ${reason}`);
      assert.ok(at > fileLine, `no line for ${reason}`);
    }
    assert.ok(
      lines.includes('    2 rejected: REPORT: "Duration" has a bad value'),
      lines.join("\n"),
    );
  });
});

Deno.test("ingest() of a file in parallel parts gives the one-pass summary and rows", async () => {
  await withTempDir(async (dir) => {
    const tail = await Deno.readTextFile(FIXTURES[0]!);
    const jsonl = await Deno.readTextFile(FIXTURES[2]!);
    const pieces: string[] = [];
    for (let r = 0; r < 150; r++) {
      // Unique ids per copy; the cut-off and bad lines stay, so parts reject lines too.
      const copy = (r % 3 === 0 ? jsonl : tail).replace(/\b[0-9a-f]{8}-/g, (m) => `${r}x${m}`);
      pieces.push(copy.endsWith("\n") ? copy : `${copy}\n`);
    }
    const file = join(dir, "big.log");
    await Deno.writeTextFile(file, pieces.join(""));
    const one = await ingest({
      files: [file],
      out: join(dir, "one.parquet"),
      runId: "r",
      parts: 1,
    });
    for (const parts of [2, 3, 7]) {
      const out = join(dir, `p${parts}.parquet`);
      const got = await ingest({ files: [file], out, runId: "r", parts, samples: 40 });
      const want = await ingest({
        files: [file],
        out: join(dir, "w.parquet"),
        runId: "r",
        parts: 1,
        samples: 40,
      });
      assert.deepEqual({ ...got, out: "" }, { ...want, out: "" }, `${parts} parts`);
      assert.deepEqual(
        invocationRows(await readInvocations(out)),
        invocationRows(await readInvocations(join(dir, "w.parquet"))),
      );
    }
    assert.ok(one.rejected > 100 && one.invocations > 500 && one.orphans > 0);
  });
});
