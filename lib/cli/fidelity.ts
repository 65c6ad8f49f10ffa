/**
 * `deno task fidelity [--runtimes rust,go,llrt,python,nodejs] [--memory 128,512,1024]
 * [--cold N] [--warm M] [--init-cpus C] [--no-code-loading]`
 *
 * Cold-starts the hello function of every function runtime in the sandbox and prints the local
 * medians against published real-Lambda figures (Init ratios between runtimes, Init across
 * memory sizes, first Duration, Max Memory Used), each with its error and target. Writes the
 * result to `data/fidelity/latest.json`, which every report quotes.
 *
 * @module
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
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

/** Parsed command line. */
export interface FidelityArgs {
  runtimes: FidelityRuntime[];
  memoryMb: number[];
  cold: number;
  warm: number;
  initCpus?: number;
  codeLoading: boolean;
}

/**
 * Reads the command line.
 *
 * @throws {RangeError} On a bad value, naming it.
 */
export function parseFidelityArgs(args: string[]): FidelityArgs {
  const { values } = parseArgs({
    args,
    options: {
      runtimes: { type: "string", default: FIDELITY_RUNTIMES.join(",") },
      memory: { type: "string", default: "128,512,1024" },
      cold: { type: "string", default: "10" },
      warm: { type: "string", default: "5" },
      "init-cpus": { type: "string" },
      "no-code-loading": { type: "boolean", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const runtimes = values.runtimes.split(",").map((s) => s.trim()).filter((s) => s !== "");
  for (const r of runtimes) {
    if (!(FIDELITY_RUNTIMES as readonly string[]).includes(r)) {
      throw new RangeError(
        `Invalid runtime "${r}": expected one of ${FIDELITY_RUNTIMES.join(", ")}`,
      );
    }
  }
  const count = (name: string, v: string, min: number) => {
    if (!/^\d+$/.test(v) || Number(v) < min) {
      throw new RangeError(`Invalid --${name} "${v}": expected a whole number ≥ ${min}`);
    }
    return Number(v);
  };
  const parsed: FidelityArgs = {
    runtimes: runtimes as FidelityRuntime[],
    memoryMb: parseMemoryList(values.memory),
    cold: count("cold", values.cold, 1),
    warm: count("warm", values.warm, 0),
    codeLoading: !values["no-code-loading"],
  };
  if (values["init-cpus"] !== undefined) {
    const c = Number(values["init-cpus"]);
    if (!(c > 0 && c <= 64)) {
      throw new RangeError(`Invalid --init-cpus "${values["init-cpus"]}": expected 0 < C ≤ 64`);
    }
    parsed.initCpus = c;
  }
  return parsed;
}

if (import.meta.main) {
  let args: FidelityArgs;
  try {
    args = parseFidelityArgs(Deno.args);
  } catch (error) {
    console.error(`fidelity: ${error instanceof Error ? error.message : error}`);
    Deno.exit(2);
  }
  const log = (line: string) => console.error(line);
  const { functions, skipped } = await prepareHelloFunctions(args.runtimes, log);
  for (const s of skipped) log(`fidelity: skipped ${s.runtime}: ${s.reason}`);
  if (functions.length === 0) {
    console.error("fidelity: no runtime could run");
    Deno.exit(1);
  }
  const logDir = await Deno.makeTempDir({ prefix: "battle-fidelity-" });
  const sandboxOptions = {
    ...(args.initCpus === undefined ? {} : { initCpus: args.initCpus }),
    codeLoading: args.codeLoading ? "evict" as const : "cached" as const,
  };
  const { cells } = await measureHello(functions, {
    memoryMb: args.memoryMb,
    cold: args.cold,
    warm: args.warm,
    logDir,
    sandbox: sandboxOptions,
    log,
  });
  await Deno.remove(logDir, { recursive: true });
  const figures = readPublished();
  const arch = hostArch();
  const host = hostFacts();
  const result: FidelityResult = {
    schemaVersion: 1,
    at: new Date().toISOString(),
    arch,
    host: { cpuModel: host.cpuModel, cores: host.cores },
    sandbox: sandboxOptions,
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
  console.log(fidelityMarkdown(result));
  console.log(FIDELITY_LATEST);
}
