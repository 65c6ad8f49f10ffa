import assert from "node:assert/strict";
import { join } from "node:path";
import { formatSummary, ingest, main } from "./ingest.ts";
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

/** Runs `fn` with console.log/error captured. */
async function captured(
  fn: () => Promise<number>,
): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  console.log = (...a: unknown[]) => out.push(a.join(" "));
  console.error = (...a: unknown[]) => err.push(a.join(" "));
  try {
    return { code: await fn(), out, err };
  } finally {
    console.log = log;
    console.error = error;
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

Deno.test("main() reads gzip and prints the output path last", async () => {
  await withTempDir(async (dir) => {
    const gz = join(dir, "tail.txt.gz");
    const text = await Deno.readFile(FIXTURES[0]!);
    const zipped = new Response(
      new Blob([text]).stream().pipeThrough(new CompressionStream("gzip")),
    );
    await Deno.writeFile(gz, new Uint8Array(await zipped.arrayBuffer()));
    const out = join(dir, "o.parquet");
    const r = await captured(() => main([gz, "--out", out]));
    assert.equal(r.code, 0);
    assert.equal(r.out.at(-1), out);
    assert.equal((await readInvocations(out)).height, 5);
  });
});

Deno.test("main() fails with one line and non-zero for bad input, writing nothing", async () => {
  await withTempDir(async (dir) => {
    const out = join(dir, "o.parquet");
    const cases: Array<[string[], number, string]> = [
      [[FIXTURES[0]!], 2, "ingest: --out FILE.parquet is required"],
      [["--out", out], 2, "ingest: no input files"],
      [
        [join(dir, "missing.txt"), "--out", out],
        1,
        `ingest: Cannot read "${join(dir, "missing.txt")}": no such file`,
      ],
      [[dir, "--out", out], 1, `ingest: Cannot read "${dir}": not a file`],
      [[FIXTURES[0]!, "--out", out, "--bogus"], 2, "ingest: Unknown option '--bogus'"],
      [[FIXTURES[0]!, "--out", dir], 1, `ingest: Cannot write "${dir}": it is a directory`],
    ];
    for (const [args, code, message] of cases) {
      const r = await captured(() => main(args));
      assert.equal(r.code, code, args.join(" "));
      assert.equal(r.err.length, 1);
      assert.ok(r.err[0]!.startsWith(message), r.err[0]);
    }
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  });
});

Deno.test("main() creates the output folder", async () => {
  await withTempDir(async (dir) => {
    const out = join(dir, "a", "b", "o.parquet");
    const r = await captured(() => main([FIXTURES[0]!, "--out", out]));
    assert.equal(r.code, 0);
    assert.equal((await readInvocations(out)).height, 5);
  });
});

Deno.test("main() reports a corrupt gzip file in one line", async () => {
  await withTempDir(async (dir) => {
    const gz = join(dir, "bad.gz");
    await Deno.writeTextFile(gz, "not gzip at all");
    const r = await captured(() => main([gz, "--out", join(dir, "o.parquet")]));
    assert.equal(r.code, 1);
    assert.equal(r.err.length, 1);
    assert.ok(r.err[0]!.startsWith(`ingest: Cannot read "${gz}": not gzip`), r.err[0]);
  });
});
