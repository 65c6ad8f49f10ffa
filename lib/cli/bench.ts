/**
 * `deno task bench [--backend local|aws] [--variants rust,node,...] [--functions nodejs,python,...]
 * [--extensions none,rust,...] [--workloads sqs,cpu,none] [--memory 128,512,...]
 * [--arch x86_64,arm64] [--cold N] [--warm M] [--out DIR] [--payload-bytes B]
 * [--work-iterations I] [--concurrency C] [--timeout S] [--region R] [--init-cpus C]
 * [--code-loading evict|cached]`
 *
 * Runs the matrix, writes `invocations.parquet` and `run.json` into the run folder and prints
 * that folder last. `--functions` × `--extensions` × `--workloads` is expanded by
 * `expandVariants()` (lib/variants.ts), beside the named `--variants`.
 *
 * @module
 */
import { numberFlag, parseFlags, runCommand } from "./_flags.ts";
import { type LambdaModels, MODEL_FLAGS, parseModelFlags } from "./_models.ts";
import { expandVariants, type Variant } from "../variants.ts";
import { hostArch, parseArchList, parseMemoryList } from "../bench/matrix.ts";
import type { CellPlan } from "../bench/types.ts";
import type { PlatformAdapter } from "../bench/protocol.ts";
import { DEFAULT_LOCAL_SETTINGS } from "../bench/local_settings.ts";
import type { FunctionSettings } from "../store/run_manifest.ts";
import { runBench } from "../bench/run.ts";

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
      cold: { type: "string", default: "10" },
      warm: { type: "string", default: "20" },
      out: { type: "string" },
      "payload-bytes": { type: "string", default: "1024" },
      "work-iterations": { type: "string" },
      concurrency: { type: "string", default: "1" },
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
      cold: wholeNumber("cold", values.cold, 0),
      warm: wholeNumber("warm", values.warm, 0),
      payloadBytes: wholeNumber("payload-bytes", values["payload-bytes"], 0),
    },
    functionSettings: null,
    models: parseModelFlags(values),
    concurrency: wholeNumber("concurrency", values.concurrency, 1),
  };
  if (parsed.plan.cold + parsed.plan.warm === 0) {
    throw new RangeError("Nothing to run: --cold and --warm are both 0");
  }
  if (backend === "aws") {
    // On AWS the function runs with what was deployed; a bench flag would be recorded but
    // not in force.
    if (Object.keys(parsed.models).length > 0) {
      throw new RangeError("--init-cpus and --code-loading shape the local sandbox only");
    }
    for (const flag of ["work-iterations", "timeout"] as const) {
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
    ...(args.out ? { out: args.out } : {}),
  });
  console.error(
    `bench: ${summary.rows} invocations in ${summary.parquetPath}` +
      (summary.skipped.length ? `; ${summary.skipped.length} cells skipped` : "") +
      (summary.failedCells.length ? `; ${summary.failedCells.length} cells failed` : ""),
  );
  console.log(summary.runDir);
  return summary.rows === 0 ? 1 : 0;
}

if (import.meta.main) {
  Deno.exit(await runCommand("bench", Deno.args, { parse: parseBenchArgs, run: bench }));
}
