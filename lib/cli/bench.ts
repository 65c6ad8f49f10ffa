/**
 * `deno task bench [--backend local|aws] [--variants rust,node,...] [--functions nodejs,python,...]
 * [--extensions none,rust,...] [--workloads sqs,cpu,none] [--memory 128,512,...]
 * [--arch x86_64,arm64] [--cold N] [--warm M] [--invoke-gap-ms G] [--out DIR] [--payload-bytes B]
 * [--work-iterations I] [--delay-ms D] [--concurrency C] [--timeout S] [--region R]
 * [--init-cpus C] [--code-loading evict|cached] [--load [--requests R]
 * [--reserved-concurrency N]]`
 *
 * Runs the matrix, writes `invocations.parquet` and `run.json` into the run folder and prints
 * that folder last. `--functions` × `--extensions` × `--workloads` is expanded by
 * `expandVariants()` (lib/variants.ts), beside the named `--variants`. `--invoke-gap-ms` pauses
 * before each warm invocation, and with `--load` before each of a caller's requests after its
 * first (default {@link DEFAULT_LOCAL_GAP_MS} ms locally, where nothing else parts two
 * invocations as a client's round trip to Lambda does; 0 on AWS).
 *
 * `--load` (`deno task load`) runs the load mode instead of the cold/warm protocol: per cell, R
 * requests (default {@link DEFAULT_LOAD_REQUESTS}) at concurrency C (`--concurrency`, then the
 * requests in flight, default {@link DEFAULT_LOAD_CONCURRENCY}: sized for a 2-core machine),
 * cells one after another; locally the function scales out like Lambda up to
 * `--reserved-concurrency` environments (default C), throttling and counting past it, and a
 * concurrency the host's memory cannot hold is refused.
 *
 * @module
 */
import { numberFlag, parseFlags, runCommand } from "./_flags.ts";
import { type LambdaModels, MODEL_FLAGS, parseModelFlags } from "./_models.ts";
import { expandVariants, type Variant } from "../variants.ts";
import { hostArch, parseArchList, parseMemoryList } from "../bench/matrix.ts";
import type { CellPlan } from "../bench/types.ts";
import type { PlatformAdapter } from "../bench/protocol.ts";
import { DEFAULT_LOCAL_GAP_MS, DEFAULT_LOCAL_SETTINGS } from "../bench/local_settings.ts";
import type { FunctionSettings } from "../store/run_manifest.ts";
import { runBench } from "../bench/run.ts";
import type { LoadPlan } from "../load/summary.ts";

/** Requests per cell of a load, unless `--requests` says otherwise. */
export const DEFAULT_LOAD_REQUESTS = 200;
/** Requests in flight in a load, unless `--concurrency` says otherwise (a 2-core machine). */
export const DEFAULT_LOAD_CONCURRENCY = 8;

/** Parsed command line of `deno task bench`. */
export interface BenchArgs {
  backend: "local" | "aws";
  variants: Variant[];
  /** Combinations of the cross product that cannot run, with the reason. */
  impossible: { name: string; reason: string }[];
  memoryMb: number[];
  archs: ReturnType<typeof parseArchList>;
  plan: CellPlan;
  /** What local functions run with; null on AWS, where they are deploy-time settings. */
  functionSettings: FunctionSettings | null;
  /** The sandbox's Init CPU budget and code loading (local only); empty for its defaults. */
  models: LambdaModels;
  concurrency: number;
  /** The load of `--load`, or null for the cold/warm protocol. */
  load: LoadPlan | null;
  out?: string;
  region?: string;
}

function wholeNumber(name: string, value: string, min: number): number {
  return numberFlag(name, value, { integer: true, min });
}

/**
 * Reads the command line.
 *
 * @throws {RangeError} On any bad value, naming it.
 */
export function parseBenchArgs(args: string[]): BenchArgs {
  const { values } = parseFlags({
    args,
    options: {
      backend: { type: "string", default: "local" },
      variants: { type: "string" },
      functions: { type: "string" },
      extensions: { type: "string" },
      workloads: { type: "string" },
      memory: { type: "string", default: "128,512,1024" },
      arch: { type: "string" },
      cold: { type: "string" },
      warm: { type: "string" },
      "invoke-gap-ms": { type: "string" },
      out: { type: "string" },
      "payload-bytes": { type: "string", default: "1024" },
      "work-iterations": { type: "string" },
      "delay-ms": { type: "string" },
      concurrency: { type: "string" },
      load: { type: "boolean", default: false },
      requests: { type: "string" },
      "reserved-concurrency": { type: "string" },
      timeout: { type: "string" },
      region: { type: "string" },
      ...MODEL_FLAGS,
    },
    strict: true,
    allowPositionals: false,
  });
  const backend = values.backend;
  if (backend !== "local" && backend !== "aws") {
    throw new RangeError(`Invalid --backend "${backend}": expected local or aws`);
  }
  const archs = values.arch === undefined
    ? (backend === "local" ? [hostArch()] : parseArchList("x86_64,arm64"))
    : parseArchList(values.arch);
  const { variants, skipped: impossible } = expandVariants(values);
  if (variants.length === 0) {
    throw new RangeError(
      `Nothing to run: ${impossible.map((c) => `${c.name} (${c.reason})`).join("; ")}`,
    );
  }
  const parsed: BenchArgs = {
    backend,
    variants,
    impossible,
    memoryMb: parseMemoryList(values.memory),
    archs,
    plan: {
      cold: wholeNumber("cold", values.cold ?? "10", 0),
      warm: wholeNumber("warm", values.warm ?? "20", 0),
      payloadBytes: wholeNumber("payload-bytes", values["payload-bytes"], 0),
      gapMs: values["invoke-gap-ms"] === undefined
        ? (backend === "local" ? DEFAULT_LOCAL_GAP_MS : 0)
        : wholeNumber("invoke-gap-ms", values["invoke-gap-ms"], 0),
    },
    functionSettings: null,
    models: parseModelFlags(values),
    concurrency: values.load ? 1 : wholeNumber("concurrency", values.concurrency ?? "1", 1),
    load: null,
  };
  if (values.load) {
    for (const flag of ["cold", "warm"] as const) {
      if (values[flag] !== undefined) {
        throw new RangeError(`--${flag} is a setting of the cold/warm protocol, not of --load`);
      }
    }
    const concurrency = values.concurrency === undefined
      ? DEFAULT_LOAD_CONCURRENCY
      : wholeNumber("concurrency", values.concurrency, 1);
    parsed.load = {
      requests: values.requests === undefined
        ? DEFAULT_LOAD_REQUESTS
        : wholeNumber("requests", values.requests, 1),
      concurrency,
      reservedConcurrency: values["reserved-concurrency"] === undefined
        ? null
        : wholeNumber("reserved-concurrency", values["reserved-concurrency"], 1),
      payloadBytes: parsed.plan.payloadBytes,
      gapMs: parsed.plan.gapMs ?? 0,
    };
  } else {
    for (const flag of ["requests", "reserved-concurrency"] as const) {
      if (values[flag] !== undefined) throw new RangeError(`--${flag} needs --load`);
    }
    if (parsed.plan.cold + parsed.plan.warm === 0) {
      throw new RangeError("Nothing to run: --cold and --warm are both 0");
    }
  }
  if (backend === "aws") {
    // On AWS the function runs with what was deployed; a bench flag would be recorded but
    // not in force.
    if (Object.keys(parsed.models).length > 0) {
      throw new RangeError("--init-cpus and --code-loading shape the local sandbox only");
    }
    if (values["reserved-concurrency"] !== undefined) {
      throw new RangeError(
        "--reserved-concurrency is a deploy-time setting on AWS (PutFunctionConcurrency)",
      );
    }
    for (const flag of ["work-iterations", "timeout", "delay-ms"] as const) {
      if (values[flag] !== undefined) {
        throw new RangeError(
          `--${flag} is a deploy-time setting on AWS: deploy with it (deno task deploy), ` +
            `the run records what each function runs with`,
        );
      }
    }
  } else {
    const timeoutS = values.timeout === undefined
      ? DEFAULT_LOCAL_SETTINGS.timeoutS
      : wholeNumber("timeout", values.timeout, 1);
    if (timeoutS > 900) {
      throw new RangeError(`Invalid --timeout "${values.timeout}": Lambda allows at most 900 s`);
    }
    parsed.functionSettings = {
      workIterations: values["work-iterations"] === undefined
        ? DEFAULT_LOCAL_SETTINGS.workIterations
        : wholeNumber("work-iterations", values["work-iterations"], 0),
      timeoutS,
      ...(values["delay-ms"] === undefined
        ? {}
        : { delayMs: wholeNumber("delay-ms", values["delay-ms"], 0) }),
    };
  }
  if (values.out !== undefined) parsed.out = values.out;
  if (values.region !== undefined) parsed.region = values.region;
  return parsed;
}

async function makeBackend(args: BenchArgs): Promise<PlatformAdapter> {
  if (args.backend === "local") {
    const { LocalBackend } = await import("../bench/local.ts");
    return await LocalBackend.start(args.functionSettings ?? undefined, args.models);
  }
  const { createAwsBackend } = await import("../bench/aws_setup.ts");
  return await createAwsBackend({ ...(args.region ? { region: args.region } : {}) });
}

function ms(x: number | null): string {
  return x === null ? "–" : `${x.toFixed(x < 10 ? 2 : 1)} ms`;
}

async function bench(args: BenchArgs): Promise<number> {
  for (const c of args.impossible) console.error(`bench: leaving out ${c.name}: ${c.reason}`);
  const backend = await makeBackend(args);
  const summary = await runBench(backend, {
    variants: args.variants,
    memoryMb: args.memoryMb,
    archs: args.archs,
    plan: args.plan,
    functionSettings: args.functionSettings,
    concurrency: args.concurrency,
    ...(args.load ? { load: args.load } : {}),
    ...(args.out ? { out: args.out } : {}),
  });
  console.error(
    `bench: ${summary.rows} invocations in ${summary.parquetPath}` +
      (summary.skipped.length ? `; ${summary.skipped.length} cells skipped` : "") +
      (summary.failedCells.length ? `; ${summary.failedCells.length} cells failed` : ""),
  );
  for (const c of summary.loadCells) {
    console.error(
      `load ${c.cell}: ${c.throughputRps.toFixed(1)} requests/s; round trip p50 ${
        ms(c.latencyMs.p50)
      } p90 ${ms(c.latencyMs.p90)} p99 ${ms(c.latencyMs.p99)}; Duration p50 ${
        ms(c.durationMs.p50)
      } p99 ${ms(c.durationMs.p99)}; post-runtime p50 ${ms(c.postRuntimeMs.p50)} p99 ${
        ms(c.postRuntimeMs.p99)
      }; ${c.coldStarts} cold starts in ${c.environments} environments; ${c.throttles} ` +
        `throttles; ${c.errors} errors; ${c.sent} requests at concurrency ${c.plan.concurrency}` +
        (c.plan.gapMs ? `, each caller pausing ${c.plan.gapMs} ms between requests` : ""),
    );
  }
  if (summary.busyCells.length > 0) {
    const most = Math.max(...summary.busyCells.map((c) => c.host.othersCpu));
    console.error(
      `bench: ${summary.busyCells.length} cells ran while the host was busy with other work ` +
        `(up to ${Math.round(most * 100)}% of its CPU): ${
          summary.busyCells.map((c) => c.cell).join(", ")
        }; their figures may be inflated: re-run them on an idle host`,
    );
  }
  console.log(summary.runDir);
  return summary.rows === 0 ? 1 : 0;
}

if (import.meta.main) {
  Deno.exit(await runCommand("bench", Deno.args, { parse: parseBenchArgs, run: bench }));
}
