import assert from "node:assert/strict";
import { join } from "node:path";
import {
  formatSummary,
  ingest,
  type IngestProgress,
  NoRecordsError,
  progressPrinter,
} from "./mod.ts";
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

Deno.test("ingest() reports its progress: every byte of each file read, then the join and the write", async () => {
  await withTempDir(async (dir) => {
    const tail = await Deno.readTextFile(FIXTURES[0]!);
    const copies = Array.from(
      { length: 40 },
      (_, r) => tail.replace(/\b[0-9a-f]{8}-/g, (m) => `${r}x${m}`),
    );
    const big = join(dir, "big.log");
    await Deno.writeTextFile(big, copies.map((c) => c.endsWith("\n") ? c : `${c}\n`).join(""));
    const gz = join(dir, "small.log.gz");
    const packed = new Blob([tail]).stream().pipeThrough(new CompressionStream("gzip"));
    await Deno.writeFile(gz, new Uint8Array(await new Response(packed).arrayBuffer()));
    const events: IngestProgress[] = [];
    const out = join(dir, "out.parquet");
    // Three threads: the pieces of workers count as they are done.
    const s = await ingest({ files: [big, gz], out, parts: 3, progress: (p) => events.push(p) });
    const reads = events.filter((e) => e.phase === "read");
    for (const [k, file] of [big, gz].entries()) {
      const mine = reads.filter((e) => e.file === file);
      const size = (await Deno.stat(file)).size;
      assert.ok(mine.length >= 1, `${file} reported`);
      assert.ok(mine.every((e) => e.fileIndex === k + 1 && e.files === 2 && e.bytes === size));
      const done = mine.map((e) => e.bytesDone);
      assert.deepEqual(done, [...done].sort((a, b) => a - b), "bytes only grow");
      assert.equal(done.at(-1), size, "every byte counted once");
    }
    assert.ok(reads.filter((e) => e.file === big).length >= 3, "one per piece at least");
    const tailEvents = events.slice(reads.length);
    assert.deepEqual(tailEvents, [
      { phase: "join", records: s.records },
      { phase: "write", invocations: s.invocations, out },
    ]);
  });
});

Deno.test("progressPrinter() stays quiet on a short ingest, then paces its lines", () => {
  let t = 0;
  const lines: string[] = [];
  const show = progressPrinter({ write: (l) => lines.push(l), now: () => t });
  const read = (bytesDone: number, fileIndex = 1) => ({
    phase: "read" as const,
    file: "/logs/a.log",
    fileIndex,
    files: 2,
    bytesDone,
    bytes: 300e6,
  });
  show(read(10e6));
  t = 1999;
  show(read(20e6));
  assert.deepEqual(lines, [], "nothing within the first 2 s");
  t = 2000;
  show(read(150e6));
  t = 3000;
  show(read(200e6)); // within 2 s of the last line: not shown
  t = 4100;
  show(read(90e6, 2));
  t = 4200;
  show({ phase: "join", records: 1234567 });
  show({ phase: "write", invocations: 400000, out: "out.parquet" });
  assert.deepEqual(lines, [
    "ingest: reading a.log (1 of 2): 50% (150 of 300 MB) · 2s elapsed",
    "ingest: reading a.log (2 of 2): 30% (90 of 300 MB) · 4s elapsed",
    "ingest: joining 1,234,567 records · 4s elapsed",
    "ingest: writing 400,000 invocations to out.parquet · 4s elapsed",
  ]);
  const quiet: string[] = [];
  const fast = progressPrinter({ write: (l) => quiet.push(l), now: () => 500 });
  fast({ phase: "join", records: 1 });
  assert.deepEqual(quiet, [], "a short ingest prints nothing, its join and write included");
});
