/**
 * The native line reader against the JavaScript one: the same summary (counts, rejections by
 * reason, samples with their line numbers, orphans) and the same Parquet, on the held corpora,
 * a generated `aws logs tail` export, seeded mutations of captured lines and lines made to sit on
 * each edge the native reader hands back to JavaScript. Needs `build/native/libbattle_ingest.so`
 * (`deno task setup` builds it).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import pl from "nodejs-polars";
import { ingest, type IngestOptions, type IngestSummary } from "./mod.ts";
import { nativeLines } from "./_native.ts";
import { generateIngestFile } from "../../scripts/bench_ingest.ts";

const TESTDATA = new URL("../parse/testdata/", import.meta.url).pathname;

/** mulberry32: the same lines on every run. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** The summary without what differs by design (the output path, the reader). */
function comparable(s: IngestSummary): unknown {
  return { ...s, out: null, files: s.files.map((f) => ({ ...f, reader: null })) };
}

/**
 * Ingests `files` with each reader and asserts the same summary and the same rows.
 *
 * @returns The native run's summary.
 */
async function sameBothWays(
  dir: string,
  files: string[],
  options: Partial<IngestOptions> = {},
  jsOptions: Partial<IngestOptions> = {},
): Promise<IngestSummary> {
  const js = await ingest({
    files,
    out: join(dir, "js.parquet"),
    runId: "r",
    reader: "js",
    ...options,
    ...jsOptions,
  });
  const native = await ingest({
    files,
    out: join(dir, "native.parquet"),
    runId: "r",
    reader: "native",
    ...options,
  });
  assert.deepEqual(comparable(native), comparable(js));
  const a = pl.readParquet(join(dir, "js.parquet"));
  const b = pl.readParquet(join(dir, "native.parquet"));
  assert.equal(b.height, a.height);
  assert.ok(a.frameEqual(b, true), "the same rows, in the same order");
  return native;
}

Deno.test("native reader: the held corpora give what the JavaScript reader gives", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const files = ["tail.txt", "json-format.jsonl", "telemetry.json", "filter-log-events.json"]
      .map((f) => join(TESTDATA, f));
    const s = await sameBothWays(dir, files);
    assert.deepEqual(s.files.map((f) => f.reader), ["native", "native", "js", "js"]);
    assert.ok(s.invocations > 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("native reader: a generated export, in one thread and in parts", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = join(dir, "tail.log");
    const gen = await generateIngestFile(file, 60_000);
    const one = await sameBothWays(dir, [file], { parts: 1 });
    assert.equal(one.invocations, gen.invocations - gen.rejected);
    assert.equal(one.rejected, gen.rejected);
    // Three threads with the native reader (worker threads load it too) against one without.
    await sameBothWays(dir, [file], { parts: 3 }, { parts: 1 });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a line that starts with a byte order mark where a part begins reads as in one thread", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = join(dir, "tail.log");
    const fields = "Duration: 1.50 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\t" +
      "Max Memory Used: 60 MB\t";
    const lines = Array.from({ length: 200 }, (_, i) => `REPORT RequestId: id-${i}-pad\t${fields}`);
    const enc = new TextEncoder();
    const plain = enc.encode(lines.join("\n") + "\n");
    await Deno.writeFile(file, plain);
    const { lineCuts } = await import("./_read.ts");
    const cut = (await lineCuts(file, plain.length, 2))![1]!;
    const k = lines.findIndex((_, n) =>
      enc.encode(lines.slice(0, n).join("\n") + "\n").length === cut
    );
    assert.ok(k > 0, "a line starts at the cut");
    // The line before the cut gives up three bytes, which the next one's U+FEFF takes: the file
    // keeps its size, and the cut moves to the mark.
    lines[k - 1] = lines[k - 1]!.replace("-pad", "-");
    lines[k] = "\uFEFF" + lines[k];
    const marked = enc.encode(lines.join("\n") + "\n");
    assert.equal(marked.length, plain.length);
    await Deno.writeFile(file, marked);
    assert.deepEqual([...marked.subarray(cut - 3, cut)], [0xef, 0xbb, 0xbf], "the mark at the cut");
    assert.equal((await lineCuts(file, marked.length, 2))![1], cut - 3);
    const options = { files: [file], runId: "r", reader: "js" } as const;
    const one = await ingest({ ...options, out: join(dir, "one.parquet"), parts: 1 });
    assert.equal(one.invocations, 199, "the line with the mark is not read as a REPORT");
    for (const reader of ["js", "native"] as const) {
      const two = await ingest({
        ...options,
        out: join(dir, `${reader}.parquet`),
        parts: 2,
        reader,
      });
      assert.deepEqual(comparable(two), comparable(one), reader);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Lines on the edges the native reader leaves to JavaScript, or reads itself. */
function edgeLines(): string[] {
  const p = "2024-05-01T10:00:00.250000+00:00 2024/05/01/[$LATEST]4f1c2a9b ";
  const fields = "Duration: 1.50 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\t" +
    "Max Memory Used: 60 MB";
  const report = (id: string, extra = "", prefix = p) =>
    `${prefix}REPORT RequestId: ${id}\t${fields}${extra}`;
  const id = (k: number) => `id-${k}`;
  const long = "a".repeat(64);
  const longer = "b".repeat(65);
  return [
    `${p}START RequestId: ${id(1)} Version: $LATEST`,
    `${p}END RequestId: ${id(1)}`,
    report(id(1), "\tInit Duration: 100.25 ms\t"),
    report(id(2), "\tStatus: error\tError Type: Runtime.ExitError"),
    report(id(3), "\tStatus: timeout"),
    report(id(4), "\tRestore Duration: 5 ms\tBilled Restore Duration: 6 ms"),
    report(id(5), "\tInit Duratoin: 3 ms"), // a damaged optional name
    report(id(6), "\tDuration: 2 ms"), // twice
    report(id(7), "\tXRAY TraceId: 1-2-3\tSegmentId: 4\tSampled: true"),
    report(id(8), "", "2024-05-01 10:00:00 "), // a space for the T, no zone
    report(id(9), "", "24-05-01T10:00:00Z "), // a short year
    report(id(10), "", "0099-05-01T10:00:00Z "), // Date.UTC's years 0-99
    report(id(11), "", "May 1 2024 10:00:00 GMT "), // Date.parse's
    report(id(12), "", "12345 "),
    `2024-05-01T10:00:00.98765Z s START RequestId: ${id(21)}`,
    report(id(21), "", "2024-05-01T10:00:01.123456+02:00 s "), // sub-millisecond digits
    report(id(22), "", "2024-02-30T23:59:59.9999-00:30\t"), // past the month's end, a tab
    report(id(13), "\tInit Duration: 1234567890123456.5 ms"), // over 15 characters
    report(id(14), "\tInit Duration: 999999999 ms"), // too large
    `${p}REPORT RequestId: ${id(15)}\tDuration: 1 ms\tBilled Duration: 1 ms\tMemory Size: 64 MB` +
    "\tMax Memory Used: 1 MB", // below 128 MB
    `${p}REPORT RequestId: ${id(16)} Duration: 1 ms Billed Duration: 1 ms Memory Size: 128 MB ` +
    "Max Memory Used: 1 MB", // spaces for tabs
    report(long),
    `${p}START RequestId: ${long}`,
    `${p}END RequestId: ${long}`,
    report(longer),
    `${p}START RequestId: ${longer}`,
    `${p}END RequestId: ${longer}`,
    report("idé-17"),
    `${p}START RequestId: idé-18 Version: $LATEST`,
    `${p}START RequestId: `,
    `${p}END RequestId:`,
    `${p}xSTART RequestId: ${id(19)}`,
    `${p}RequestId: ${id(20)} Error: Runtime exited with error: exit status 1`,
    `${p}XRAY TraceId: 1-5759e988-bd862e3fe1be46a994272793\tSegmentId: 53995c3f42cd8ad8`,
    `${p}XRAY TraceId: \tSegmentId: 1`,
    `${p}INIT_START Runtime Version: nodejs:20.v22\tRuntime Version ARN: arn:x`,
    `${p}INIT_START Runtime Version: \tRuntime Version ARN: arn:x`,
    `${p}INIT_START Runtime Version: python:3.12.v1`,
    `${p}INIT_REPORT Init Duration: 10000.12 ms\tPhase: init\tStatus: timeout`,
    `${p}EXTENSION\tName: battle-ext-rust\tState: Ready\tEvents: [INVOKE, SHUTDOWN]`,
    `${p}{"time":"2024-05-01T10:00:00.000Z","type":"platform.start","record":{"requestId":"j1"}}`,
    `{"time":"2024-05-01T10:00:00.000Z","type":"platform.report","record":{"requestId":"j1",` +
    `"metrics":{"durationMs":1,"billedDurationMs":1,"memorySizeMB":128,"maxMemoryUsedMB":9}}}`,
    "plain noise",
    "noise with an_underscore",
    "noise with ünïcödé and \u{1F600}",
    "\uFEFFa line that starts with a byte order mark",
    "\t",
    " ",
    "",
  ];
}

/** One seeded mutation of a line (the characters that matter to the readers, cuts, swaps). */
function mutate(line: string, rand: () => number): string {
  const chars = '0123456789.-: \t\r"{}_éXR[]';
  const at = Math.floor(rand() * (line.length + 1));
  const c = chars[Math.floor(rand() * chars.length)]!;
  switch (Math.floor(rand() * 6)) {
    case 0:
      return line.slice(0, at) + c + line.slice(at + 1);
    case 1:
      return line.slice(0, at) + line.slice(at + 1);
    case 2:
      return line.slice(0, at) + c + line.slice(at);
    case 3:
      return line.replaceAll("\t", " ");
    case 4:
      return line.slice(0, at);
    default:
      return line;
  }
}

Deno.test("native reader: edge lines and seeded mutations give what JavaScript gives", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const edges = edgeLines();
    const captured = (await Deno.readTextFile(join(TESTDATA, "tail.txt"))).split("\n");
    const source = [...edges, ...captured];
    const rand = random(23);
    const lines = [...edges];
    for (let i = 0; i < 6000; i++) {
      let line = source[Math.floor(rand() * source.length)]!;
      line = mutate(line, rand);
      if (rand() < 0.3) line = mutate(line, rand);
      lines.push(line);
    }
    // A byte order mark first, CRLF and LF line ends, and no newline after the last line.
    const text = "\uFEFF" + lines.map((l, i) => l + (i % 7 === 0 ? "\r\n" : "\n")).join("") +
      edges[0];
    const file = join(dir, "edges.log");
    await Deno.writeTextFile(file, text);
    const s = await sameBothWays(dir, [file], { parts: 1, samples: 50 });
    assert.equal(s.files[0]!.reader, "native");
    assert.ok(s.rejected > 20, `mutations are rejected (${s.rejected})`);
    // Every line but the blank ones (a line end's one carriage return is not the line's).
    const read = lines.filter((l, i) => (l + (i % 7 === 0 ? "\r" : "")).replace(/\r$/, "") !== "");
    assert.equal(s.lines, read.length + 1);
    // Bytes that are not UTF-8, in noise and in a REPORT.
    const bad = new Uint8Array([0xff, 0xfe, 0x41, 0xc3]);
    const enc = new TextEncoder();
    const mixed = [
      enc.encode(`${edges[0]}\nnoise `),
      bad,
      enc.encode(`\n${edges[2]!.slice(0, 80)}`),
      bad,
      enc.encode(`${edges[2]!.slice(80)}\n`),
    ];
    const badFile = join(dir, "bad.log");
    await Deno.writeFile(badFile, new Uint8Array(mixed.flatMap((m) => [...m])));
    await sameBothWays(dir, [badFile], { parts: 1 });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Writes `file` gzipped to `file.gz`. */
async function gzip(file: string): Promise<string> {
  const out = `${file}.gz`;
  const src = await Deno.open(file);
  const dst = await Deno.open(out, { write: true, create: true, truncate: true });
  await src.readable.pipeThrough(new CompressionStream("gzip")).pipeTo(dst.writable);
  return out;
}

Deno.test("native reader: gzipped exports, line by line or one JSON document", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = join(dir, "tail.log");
    await generateIngestFile(file, 20_000);
    const edges = join(dir, "edges.log");
    await Deno.writeTextFile(edges, "\uFEFF" + edgeLines().join("\r\n"));
    const json = join(dir, "events.json");
    await Deno.copyFile(join(TESTDATA, "filter-log-events.json"), json);
    const files = [await gzip(file), await gzip(edges), await gzip(json)];
    const s = await sameBothWays(dir, files);
    assert.deepEqual(s.files.map((f) => f.reader), ["native", "native", "js"]);
    assert.deepEqual(s.files.map((f) => f.shape), ["text", "text", "filter-log-events"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("native reader: a line longer than a read, and lines cut by each read", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = join(dir, "long.log");
    const edges = edgeLines();
    // 5 MiB of one noise line (longer than the 4 MiB read), then lines that cross read ends.
    const body = [edges[0], "x".repeat(5 << 20), ...Array(40_000).fill(edges.slice(0, 3)).flat()];
    await Deno.writeTextFile(file, body.join("\n"));
    const s = await sameBothWays(dir, [file], { parts: 1 });
    assert.equal(s.invocations, 1);
    assert.equal(s.lines, body.length);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("native reader: missing, it is an error when asked for and a note by default", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const missing = join(dir, "nope.so");
    const why = nativeLines(missing);
    assert.equal(typeof why, "string");
    assert.match(why as string, /is not built: `deno task setup` builds it/);
    const files = [join(TESTDATA, "tail.txt")];
    await assert.rejects(
      ingest({ files, out: join(dir, "a.parquet"), reader: "native", nativeLib: missing }),
      /Cannot read with the native reader: .*nope\.so is not built/,
    );
    const s = await ingest({ files, out: join(dir, "b.parquet"), nativeLib: missing });
    assert.equal(s.files[0]!.reader, "js");
    assert.match(s.readerNote!, /nope\.so is not built/);
    const stale = join(dir, "stale.so");
    await Deno.writeTextFile(stale, "not a library");
    assert.match(nativeLines(stale) as string, /does not load/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
