/**
 * `deno task ingest FILE... --out FILE.parquet [--run-id ID] [--merge] [--samples N]
 * [--reader auto|native|js]`: parses Lambda log exports into the invocation schema with
 * `lib/ingest/` (plain text as `aws logs tail` prints it, filter-log-events or Logs Insights
 * JSON, JSON-format Lambda logs, Telemetry API batches; `.gz` decompressed). All files join into
 * one run. Unreadable lines are counted and sampled, never fatal. `--merge` merges into an
 * existing output instead of replacing it. `--reader` picks what reads plain files: the native
 * line reader (`rust/ingest`, built by `deno task setup`) where it loads (`auto`, the default),
 * only it, or JavaScript alone; the result is the same. Prints the summary, the output path last
 * (and, on stderr, progress lines once it has taken more than 2 s); exits 2 on a bad command
 * line, 1 when a file cannot be read or written.
 *
 * @module
 */
import { formatSummary, ingest, type IngestOptions, progressPrinter } from "../ingest/mod.ts";
import { numberFlag, parseFlags, runCommand } from "./_flags.ts";

const USAGE =
  "usage: deno task ingest FILE... --out FILE.parquet [--run-id ID] [--merge] [--reader auto|native|js]";

const READERS = ["auto", "native", "js"] as const;

/**
 * Reads the command line.
 *
 * @param args Command-line arguments.
 * @returns What to ingest.
 * @throws {TypeError} An unknown flag, no `--out`, or no input file.
 * @throws {RangeError} A bad `--samples`.
 */
export function parseIngestArgs(args: string[]): IngestOptions {
  const { values, positionals } = parseFlags({
    args,
    allowPositionals: true,
    options: {
      out: { type: "string", short: "o" },
      "run-id": { type: "string" },
      merge: { type: "boolean", default: false },
      samples: { type: "string" },
      reader: { type: "string" },
    },
  });
  const reader = values.reader;
  if (reader !== undefined && !(READERS as readonly string[]).includes(reader)) {
    throw new TypeError(`--reader must be one of ${READERS.join(", ")}, not "${reader}"`);
  }
  if (values.out === undefined || values.out === "") {
    throw new TypeError("--out FILE.parquet is required");
  }
  if (positionals.length === 0) throw new TypeError("no input files");
  return {
    files: positionals,
    out: values.out,
    merge: values.merge,
    samples: values.samples === undefined
      ? 5
      : numberFlag("samples", values.samples, { integer: true, min: 0 }),
    ...(values["run-id"] === undefined ? {} : { runId: values["run-id"] }),
    ...(reader === undefined ? {} : { reader: reader as typeof READERS[number] }),
  };
}

/**
 * The command line. Prints a one-line error and returns non-zero on bad input.
 *
 * @param args Command-line arguments.
 * @returns The exit code: 0, 2 for a bad command line, 1 when ingesting failed.
 */
export async function main(args: readonly string[]): Promise<number> {
  return await runCommand("ingest", args, {
    parse: parseIngestArgs,
    run: async (options) => {
      const summary = await ingest({ ...options, progress: progressPrinter() });
      for (const line of formatSummary(summary)) console.log(line);
    },
  }, { usage: USAGE });
}

if (import.meta.main) Deno.exit(await main(Deno.args));
