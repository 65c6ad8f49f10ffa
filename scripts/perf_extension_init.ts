/**
 * Init time and memory of each extension as Lambda starts it: spawn the layer's
 * `extensions/<name>` executable against a test Extensions API and time until its first
 * `/event/next` (registered and listening), then read its RSS. A quick local comparison, not the
 * study's measurement (that is the sandbox run). Needs `deno task build` first.
 *
 * Usage: `deno run -A scripts/perf_extension_init.ts [runs]` (default 10 runs per extension).
 *
 * @module
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { startExtensionsApi } from "../lib/contract/extensions_api.ts";
import { freePort } from "../lib/contract/harness.ts";
import { layerDir } from "../lib/paths.ts";
import { VARIANTS } from "../lib/variants.ts";

const runs = Number(Deno.args[0] ?? 10);

async function once(executable: string): Promise<{ ms: number; rssMb: number }> {
  const api = startExtensionsApi();
  try {
    const started = performance.now();
    const child = new Deno.Command(executable, {
      env: {
        PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
        AWS_LAMBDA_RUNTIME_API: api.address,
        BATTLE_EXTENSION_PORT: String(freePort()),
        BATTLE_QUEUE_URL: "http://127.0.0.1:9/000000000000/unused",
        AWS_REGION: "us-east-1",
        AWS_ACCESS_KEY_ID: "unused",
        AWS_SECRET_ACCESS_KEY: "unused",
      },
      clearEnv: true,
      stdout: "null",
      stderr: "null",
    }).spawn();
    const at = await api.waitForNext(1, 10_000);
    const status = await Deno.readTextFile(`/proc/${child.pid}/status`);
    child.kill("SIGKILL");
    await child.status;
    return { ms: at - started, rssMb: Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024 };
  } finally {
    await api.close();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

for (const variant of VARIANTS) {
  if (variant.extension === null) continue;
  const executable = join(layerDir(variant.name), "extensions", variant.extension.name);
  if (!existsSync(executable)) {
    console.log(`${variant.name.padEnd(6)} not built (${executable} missing)`);
    continue;
  }
  const samples = [];
  for (let i = 0; i < runs; i++) samples.push(await once(executable));
  const ms = samples.map((s) => s.ms);
  console.log(
    `${variant.name.padEnd(6)} init median ${median(ms).toFixed(1)} ms ` +
      `(min ${Math.min(...ms).toFixed(1)}, max ${Math.max(...ms).toFixed(1)}), ` +
      `RSS median ${median(samples.map((s) => s.rssMb)).toFixed(1)} MB, ${runs} runs`,
  );
}
