/**
 * `deno task bench --backend aws`, unmodified, against `deno task serve`: cold starts forced
 * through UpdateFunctionConfiguration and its waiter, true-cold checks through the Tail log,
 * records through CloudWatch Logs. Its Parquet is checked against a `--backend local` run of
 * the same matrix (none and one extension variant, 1,024 MB, 2 cold, 2 warm). Not 128 MB: there
 * an invocation that needs more than the 1.45 ms of CPU a 128 MB function gets per 20 ms period
 * waits for the next one, so the median of four Durations is about 2 or about 20 ms by chance
 * (seen: 1.97 ms on one backend against 20.7 on the other).
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pl from "nodejs-polars";
import { layerDir } from "../paths.ts";
import { hostArch } from "../bench/matrix.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const VARIANTS = ["none", "rust"];
const BUILT = [
  join(ROOT, "build", "functions", "none", "index.mjs"),
  join(layerDir("rust"), "extensions", "battle-ext-rust"),
];
const missing = BUILT.filter((p) => !existsSync(p));

async function bench(backend: "aws" | "local", out: string, env: Record<string, string>) {
  const r = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      join(ROOT, "lib", "cli", "bench.ts"),
      "--backend",
      backend,
      "--variants",
      VARIANTS.join(","),
      "--memory",
      "1024",
      "--arch",
      hostArch(),
      "--cold",
      "2",
      "--warm",
      "2",
      "--out",
      out,
    ],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(r.stderr);
  assert.equal(r.code, 0, `bench --backend ${backend} failed:\n${stderr}`);
  return pl.readParquet(join(out, "invocations.parquet"));
}

function median(values: (number | null)[]): number {
  const s = values.filter((v): v is number => typeof v === "number").sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

Deno.test({
  name: "bench --backend aws against deno task serve matches a --backend local run",
  ignore: missing.length > 0,
  async fn() {
    const root = await Deno.makeTempDir({ prefix: "bench-aws-serve-" });
    const outputs = join(root, "outputs.json");
    const serve = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        join(ROOT, "lib", "cli", "serve.ts"),
        "--variants",
        VARIANTS.join(","),
        "--memory",
        "1024",
        "--port",
        "0",
        "--logs",
        join(root, "logs"),
        "--outputs",
        outputs,
      ],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    try {
      const reader = serve.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let line = "";
      while (!line.includes("\n")) {
        const { value, done } = await reader.read();
        if (done) throw new Error("deno task serve ended before printing its endpoint");
        line += value;
      }
      reader.releaseLock();
      const endpoint = line.trim();
      const aws = await bench("aws", join(root, "aws"), {
        AWS_ENDPOINT_URL: endpoint,
        AWS_REGION: "us-east-1",
        AWS_ACCESS_KEY_ID: "local",
        AWS_SECRET_ACCESS_KEY: "local",
        BATTLE_OUTPUTS_FILE: outputs,
      });
      const local = await bench("local", join(root, "local"), {});

      assert.deepEqual(aws.columns, local.columns);
      assert.deepEqual(aws.dtypes.map(String), local.dtypes.map(String));
      const runJson = JSON.parse(await Deno.readTextFile(join(root, "aws", "run.json")));
      assert.equal(runJson.backend, "aws");
      assert.deepEqual(runJson.failedCells, []);
      for (const variant of VARIANTS) {
        const a = aws.filter(pl.col("variant").eq(pl.lit(variant)));
        const l = local.filter(pl.col("variant").eq(pl.lit(variant)));
        const counts = (df: pl.DataFrame) => {
          const cold = df.getColumn("cold").toArray() as boolean[];
          return { cold: cold.filter((c) => c).length, warm: cold.filter((c) => !c).length };
        };
        assert.deepEqual(counts(a), { cold: 2, warm: 2 }, `${variant} on aws`);
        assert.deepEqual(counts(l), { cold: 2, warm: 2 }, `${variant} on local`);
        assert.deepEqual(a.getColumn("status").toArray(), [
          "success",
          "success",
          "success",
          "success",
        ]);
        assert.deepEqual(a.getColumn("memory_mb").toArray(), [1024, 1024, 1024, 1024]);
        assert.equal(new Set(a.getColumn("backend").toArray()).size, 1);
        // Same sandbox, same function: the platform's own figures are of the same order (four
        // samples each, on a shared host where one cold start can take several times another);
        // the client's round trip through the SDK and the Tail log is longer than the local
        // invoke call, but of the same order too.
        for (
          const [column, factor] of [
            ["init_ms", 8],
            ["duration_ms", 8],
            ["billed_ms", 8],
            ["max_memory_mb", 2],
            ["client_rtt_ms", 20],
          ] as const
        ) {
          const x = median(a.getColumn(column).toArray() as (number | null)[]);
          const y = median(l.getColumn(column).toArray() as (number | null)[]);
          assert.ok(
            x > 0 && y > 0 && x / y < factor && y / x < factor,
            `${variant} ${column}: aws median ${x} against local ${y} (factor ${factor})`,
          );
        }
        for (const df of [a, l]) {
          const cold = df.filter(pl.col("cold"));
          assert.ok((cold.getColumn("init_ms").toArray() as number[]).every((v) => v > 0));
          const warm = df.filter(pl.col("cold").not());
          assert.ok(
            (warm.getColumn("init_ms").toArray() as (number | null)[]).every((v) => v === null),
          );
        }
      }
    } finally {
      serve.kill("SIGINT");
      await serve.status;
      await serve.stderr.cancel().catch(() => {});
      await serve.stdout.cancel().catch(() => {});
      await Deno.remove(root, { recursive: true });
    }
  },
});
