import assert from "node:assert/strict";
import { join } from "node:path";
import { FIXTURE_RUN } from "../analysis/testdata/make_fixture.ts";
import { main, parseReportArgs } from "./report.ts";

Deno.test("parseReportArgs() reads shares as fractions or percentages", () => {
  const a = parseReportArgs([
    "--run",
    "a",
    "--run",
    "b",
    "--cold-share",
    "0.5%, 0.1",
    "--no-images",
  ]);
  assert.deepEqual(a.runDirs, ["a", "b"]);
  assert.deepEqual(a.coldShares, [0.005, 0.1]);
  assert.equal(a.images, false);
  assert.equal(a.inlinePlotly, false);
  assert.equal(parseReportArgs(["--payload-bytes", "65536"]).payloadBytes, 65536);
});

Deno.test("main() rejects bad input with a message naming the value", async () => {
  await assert.rejects(() => main(["--run", "/nonexistent/run"]), {
    message: 'Run folder "/nonexistent/run" does not exist',
  });
  const empty = await Deno.makeTempDir({ prefix: "report_test_" });
  try {
    await assert.rejects(() => main(["--run", empty]), {
      message: `No invocations.parquet in run folder "${empty}"`,
    });
  } finally {
    await Deno.remove(empty);
  }
  await assert.rejects(() => main(["--run", FIXTURE_RUN, "--cold-share", "2", "--no-images"]), {
    name: "RangeError",
    message: '--cold-share: "2" is not a share in [0, 1] (or 0%–100%)',
  });
  await assert.rejects(() => main(["--run", FIXTURE_RUN, "--payload-bytes", "x"]), {
    message: 'Invalid --payload-bytes "x": expected a whole number ≥ 0',
  });
  await assert.rejects(() => main(["--bogus"]), { message: /bogus/ });
});

async function runCli(args: string[]): Promise<{ code: number; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(import.meta.dirname!, "report.ts"), ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr).trim() };
}

Deno.test("report CLI prints one line and exits 1 on a bad run folder", async () => {
  assert.deepEqual(await runCli(["--run", "/nonexistent/run"]), {
    code: 1,
    stderr: 'report: Run folder "/nonexistent/run" does not exist',
  });
});

Deno.test("report CLI prints one line and exits 2 on a bad flag", async () => {
  assert.deepEqual(await runCli(["--run", FIXTURE_RUN, "--cold-sahre", "0.1"]), {
    code: 2,
    stderr: "report: Unknown option '--cold-sahre'",
  });
});
