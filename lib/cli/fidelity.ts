/**
 * `deno task fidelity [--runtimes rust,go,llrt,python,nodejs] [--memory 128,512,1024]
 * [--cold N] [--warm M] [--init-cpus C] [--code-loading evict|cached]`
 *
 * Cold-starts the hello function of every function runtime in the sandbox and prints the local
 * medians against published real-Lambda figures (Init ratios between runtimes, Init across
 * memory sizes, first Duration, Max Memory Used), each with its error and target. Writes the
 * result to `data/fidelity/latest.json`, which every report quotes.
 *
 * @module
 */
import { join } from "node:path";
import { parseMemoryList } from "../bench/matrix.ts";
import { hostArch } from "../bench/matrix.ts";
import { hostFacts } from "../bench/run_info.ts";
import { compareWithPublished, sameOrder } from "../fidelity/compare.ts";
import { prepareHelloFunctions } from "../fidelity/hello.ts";
import { measureHello } from "../fidelity/measure.ts";
import { FIDELITY_RUNTIMES, type FidelityRuntime, readPublished } from "../fidelity/published.ts";
import {
  FIDELITY_DIR,
  FIDELITY_LATEST,
  fidelityMarkdown,
  type FidelityResult,
} from "../fidelity/report.ts";
import { writeTextAtomic } from "../store/mod.ts";
import { commaList, numberFlag, parseFlags, runCommand } from "./_flags.ts";
import { type LambdaModels, MODEL_FLAGS, parseModelFlags } from "./_models.ts";

/** Parsed command line. */
export interface FidelityArgs {
  runtimes: FidelityRuntime[];
  memoryMb: number[];
  cold: number;
  warm: number;
  /** Init CPU budget and code loading; empty for the sandbox's defaults. */
  models: LambdaModels;
}

/**
 * Reads the command line.
 *
 * @param args The arguments after the task name.
 * @returns The parsed arguments.
 * @throws {TypeError} For an unknown flag.
 * @throws {RangeError} On a bad value, naming it.
 */
export function parseFidelityArgs(args: string[]): FidelityArgs {
  const { values } = parseFlags({
    args,
    options: {
      runtimes: { type: "string", default: FIDELITY_RUNTIMES.join(",") },
      memory: { type: "string", default: "128,512,1024" },
      cold: { type: "string", default: "10" },
      warm: { type: "string", default: "5" },
      ...MODEL_FLAGS,
    },
  });
  const runtimes = commaList("runtimes", values.runtimes, (r) => {
    if (!(FIDELITY_RUNTIMES as readonly string[]).includes(r)) {
      throw new RangeError(
        `Invalid runtime "${r}": expected one of ${FIDELITY_RUNTIMES.join(", ")}`,
      );
    }
    return r as FidelityRuntime;
  });
  return {
    runtimes: [...new Set(runtimes)],
    memoryMb: parseMemoryList(values.memory),
    cold: numberFlag("cold", values.cold, { integer: true, min: 1 }),
    warm: numberFlag("warm", values.warm, { integer: true, min: 0 }),
    models: parseModelFlags(values),
  };
}

/**
 * Runs the check and writes `data/fidelity/latest.json`.
 *
 * @param args What to run.
 * @param log Progress lines.
 * @returns The result.
 * @throws {Error} When no runtime can run here.
 */
export async function runFidelity(
  args: FidelityArgs,
  log: (line: string) => void = (line) => console.error(line),
): Promise<FidelityResult> {
  const { functions, skipped } = await prepareHelloFunctions(args.runtimes, log);
  for (const s of skipped) log(`fidelity: skipped ${s.runtime}: ${s.reason}`);
  if (functions.length === 0) throw new Error("no runtime could run here");
  const logDir = await Deno.makeTempDir({ prefix: "battle-fidelity-" });
  let cells;
  let controls;
  try {
    ({ cells, controls } = await measureHello(functions, {
      memoryMb: args.memoryMb,
      cold: args.cold,
      warm: args.warm,
      logDir,
      sandbox: args.models,
      log,
    }));
  } finally {
    await Deno.remove(logDir, { recursive: true });
  }
  const figures = readPublished();
  const arch = hostArch();
  const host = hostFacts();
  const result: FidelityResult = {
    schemaVersion: 1,
    at: new Date().toISOString(),
    arch,
    host: { cpuModel: host.cpuModel, cores: host.cores, sha256MBps: host.cpuSpeed.sha256MBps },
    sandbox: { ...controls },
    versions: Object.fromEntries(functions.map((f) => [f.runtime, f.localVersion])),
    cold: args.cold,
    warm: args.warm,
    cells,
    rows: compareWithPublished(cells, figures, arch),
    order: [
      ...sameOrder(cells, figures, arch, "init_ms").map((o) => ({ metric: "Init", ...o })),
      ...sameOrder(cells, figures, arch, "max_memory_mb").map((o) => ({
        metric: "Max Memory Used",
        ...o,
      })),
    ],
    skipped,
  };
  await Deno.mkdir(FIDELITY_DIR, { recursive: true });
  const text = `${JSON.stringify(result, null, 2)}\n`;
  await writeTextAtomic(join(FIDELITY_DIR, `${result.at.replace(/[-:.]/g, "")}.json`), text);
  await writeTextAtomic(FIDELITY_LATEST, text);
  return result;
}

if (import.meta.main) {
  Deno.exit(
    await runCommand("fidelity", Deno.args, {
      parse: parseFidelityArgs,
      run: async (args) => {
        const result = await runFidelity(args);
        console.log(fidelityMarkdown(result));
        console.log(FIDELITY_LATEST);
      },
    }),
  );
}
