import assert from "node:assert/strict";
import { join } from "node:path";
import { main } from "./ingest.ts";
import { readInvocations } from "../store/mod.ts";

const TESTDATA = new URL("../parse/testdata/", import.meta.url).pathname;
const TAIL = join(TESTDATA, "tail.txt");

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ingest_cli_test_" });
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

Deno.test("main() reads gzip and prints the output path last", async () => {
  await withTempDir(async (dir) => {
    const gz = join(dir, "tail.txt.gz");
    const text = await Deno.readFile(TAIL);
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
      [[TAIL], 2, "ingest: --out FILE.parquet is required"],
      [["--out", out], 2, "ingest: no input files"],
      [
        [join(dir, "missing.txt"), "--out", out],
        1,
        `ingest: Cannot read "${join(dir, "missing.txt")}": no such file`,
      ],
      [[dir, "--out", out], 1, `ingest: Cannot read "${dir}": not a file`],
      [[TAIL, "--out", out, "--bogus"], 2, "ingest: Unknown option '--bogus'"],
      [[TAIL, "--out", dir], 1, `ingest: Cannot write "${dir}": it is a directory`],
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
    const r = await captured(() => main([TAIL, "--out", out]));
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

Deno.test("main() prints the usage for --help and names a bad --samples", async () => {
  const help = await captured(() => main(["--help"]));
  assert.equal(help.code, 0);
  assert.match(help.out[0]!, /^usage: deno task ingest FILE\.\.\. --out FILE\.parquet/);
  const bad = await captured(() => main([TAIL, "--out", "x.parquet", "--samples", "1.5"]));
  assert.equal(bad.code, 2);
  assert.match(
    bad.err[0]!,
    /^ingest: Invalid --samples "1.5": expected a whole number ≥ 0 \(usage/,
  );
});

Deno.test("main() of a file without Lambda records exits 1 saying so, writing nothing", async () => {
  await withTempDir(async (dir) => {
    const empty = join(dir, "empty.log");
    await Deno.writeTextFile(empty, "");
    const out = join(dir, "o.parquet");
    const r = await captured(() => main([empty, "--out", out]));
    assert.equal(r.code, 1);
    assert.deepEqual(r.err, [
      `ingest: No Lambda records were found in "${empty}": 0 lines read, 0 rejected, no START, ` +
      "END, REPORT or platform event; nothing was written",
    ]);
    assert.deepEqual(r.out, []);
    assert.equal(await Deno.stat(out).catch(() => null), null);
  });
});
