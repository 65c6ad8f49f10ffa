/**
 * `deno task collect [--stack] [--stack-name NAME] [--function NAME]... [--log-group G]...
 * [--since 2h] [--until T] [--out DIR] [--region R] [--insights-window 1h]`
 *
 * Pulls Lambda's own records of functions invoked by anything (real traffic, a load tool) from
 * CloudWatch Logs into `<out>/invocations.parquet` (default `data/collect/`), text and JSON log
 * formats alike: FilterLogEvents with full pagination, Logs Insights for windows longer than
 * `--insights-window`. Rerunning over an overlapping window adds no duplicate request ids.
 * `--stack` takes every function of the deployed stack (its outputs file: `infra/outputs.json`
 * or `BATTLE_OUTPUTS_FILE`); `--function` asks Lambda for the function's log group and format
 * (falling back to `/aws/lambda/NAME`); `--log-group` reads a group as it is. Times are a
 * duration ago (`30m`, `2h`, `7d`), an ISO time or epoch ms; `--until` defaults to now.
 *
 * Stops with one line when credentials or the region are missing. Prints progress on stderr and
 * the Parquet path last on stdout.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { commaList, parseFlags, runCommand } from "./_flags.ts";
import { RUNS_DIR } from "../paths.ts";
import { parseTimeFlag } from "../aws/collect_functions.ts";

/** The parsed command line. */
export interface CollectArgs {
  stack: boolean;
  stackName: string | null;
  functions: string[];
  logGroups: string[];
  startTime: number;
  endTime: number;
  outDir: string;
  region: string | null;
  insightsWindowMs: number;
}

const USAGE = "usage: deno task collect [--stack] [--function NAME]... [--log-group G]... " +
  "[--since 2h] [--until T] [--out DIR]";

/**
 * Reads the command line.
 *
 * @param args The arguments after the task name.
 * @param now The present (epoch ms), for relative times.
 * @returns The parsed arguments.
 * @throws {TypeError} For an unknown flag.
 * @throws {RangeError} For a bad time or an empty window.
 */
export function parseCollectArgs(args: string[], now = Date.now()): CollectArgs {
  const { values } = parseFlags({
    args,
    options: {
      stack: { type: "boolean", default: false },
      "stack-name": { type: "string" },
      function: { type: "string", multiple: true, default: [] },
      "log-group": { type: "string", multiple: true, default: [] },
      since: { type: "string", default: "1h" },
      until: { type: "string" },
      out: { type: "string", default: join(RUNS_DIR, "..", "collect") },
      region: { type: "string" },
      "insights-window": { type: "string", default: "1h" },
    },
  });
  const startTime = parseTimeFlag("since", values.since, now);
  const endTime = values.until === undefined ? now : parseTimeFlag("until", values.until, now);
  if (!(endTime > startTime)) {
    throw new RangeError(
      `Invalid window: --since ${values.since} is not before --until ${values.until ?? "now"}`,
    );
  }
  const window = now - parseTimeFlag("insights-window", values["insights-window"], now);
  if (!(window > 0)) {
    throw new RangeError(`Invalid --insights-window "${values["insights-window"]}"`);
  }
  return {
    stack: values.stack || values["stack-name"] !== undefined,
    stackName: values["stack-name"] ?? null,
    functions: values.function.flatMap((f) => commaList("function", f)),
    logGroups: values["log-group"].flatMap((g) => commaList("log-group", g)),
    startTime,
    endTime,
    outDir: resolve(values.out),
    region: values.region ?? null,
    insightsWindowMs: window,
  };
}

async function collect(args: CollectArgs): Promise<number> {
  const { requireAwsCredentials } = await import("../aws/credentials.ts");
  const { region } = requireAwsCredentials(args.region === null ? {} : { region: args.region });
  const { createLogsClient } = await import("../aws/collect.ts");
  const { collectFunctions } = await import("../aws/collect_functions.ts");
  const { outputsFile, readStackOutputs } = await import("../aws/outputs.ts");
  type Target = import("../aws/collect_functions.ts").CollectTarget;
  type Outputs = Awaited<ReturnType<typeof readStackOutputs>>;
  let outputs: Outputs | null = null;
  const wantStack = args.stack ||
    (args.functions.length === 0 && args.logGroups.length === 0);
  try {
    outputs = await readStackOutputs(args.stackName === null ? {} : { stackName: args.stackName });
  } catch (error) {
    if (wantStack) {
      throw new Error(
        args.stack
          ? `Cannot collect the stack: ${(error as Error).message}`
          : `Nothing to collect: give --stack, --function NAME or --log-group G (no stack ` +
            `outputs at ${outputsFile()})`,
      );
    }
  }
  const targets: Target[] = [];
  const add = (t: Target) => {
    if (!targets.some((x) => x.logGroupName === t.logGroupName)) targets.push(t);
  };
  const known = (name: string) => outputs?.functions.find((f) => f.functionName === name);
  if (wantStack && outputs) {
    for (const f of outputs.functions) {
      // The stack deploys every function with JSON-format logs (infra/stack.ts).
      add({
        logGroupName: f.logGroupName,
        functionName: f.functionName,
        format: "json",
        variant: f.variant,
        arch: f.arch,
        memoryMb: f.memoryMb,
      });
    }
  }
  if (args.functions.length > 0) {
    const { LambdaClient, GetFunctionConfigurationCommand } = await import(
      "@aws-sdk/client-lambda"
    );
    const lambda = new LambdaClient({ region: outputs?.region || region });
    try {
      for (const name of args.functions) {
        let logGroupName = `/aws/lambda/${name}`;
        let format: Target["format"] = null;
        let memoryMb: number | null = null;
        let arch: Target["arch"] = null;
        try {
          const c = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
          logGroupName = c.LoggingConfig?.LogGroup ?? logGroupName;
          format = c.LoggingConfig?.LogFormat === "JSON"
            ? "json"
            : c.LoggingConfig?.LogFormat === "Text"
            ? "text"
            : null;
          memoryMb = c.MemorySize ?? null;
          const a = c.Architectures?.[0];
          arch = a === "arm64" || a === "x86_64" ? a : null;
        } catch (error) {
          const e = error as Error;
          if (e.name === "CredentialsProviderError") throw error;
          console.error(
            `collect: cannot read ${name}'s configuration (${e.name}); reading ${logGroupName}`,
          );
        }
        const k = known(name);
        add({
          logGroupName,
          functionName: name,
          format,
          variant: k?.variant ?? null,
          arch: k?.arch ?? arch,
          memoryMb: k?.memoryMb ?? memoryMb,
        });
      }
    } finally {
      lambda.destroy();
    }
  }
  for (const g of args.logGroups) {
    const fn = g.startsWith("/aws/lambda/") ? known(g.slice("/aws/lambda/".length)) : undefined;
    add({
      logGroupName: g,
      functionName: fn?.functionName ?? null,
      format: null,
      variant: fn?.variant ?? null,
      arch: fn?.arch ?? null,
      memoryMb: fn?.memoryMb ?? null,
    });
  }
  if (targets.length === 0) throw new Error("Nothing to collect: the stack has no functions");
  const client = createLogsClient({ region: outputs?.region || region });
  try {
    console.error(
      `collect: ${targets.length} log groups, ${new Date(args.startTime).toISOString()} .. ${
        new Date(args.endTime).toISOString()
      }`,
    );
    const summary = await collectFunctions({
      client,
      targets,
      startTime: args.startTime,
      endTime: args.endTime,
      outDir: args.outDir,
      insightsWindowMs: args.insightsWindowMs,
      log: (line) => console.error(line),
    });
    console.error(
      `collect: ${summary.added} new invocations, ${summary.updated} updated, ${summary.total} ` +
        `in ${summary.parquetPath} (run ${summary.runId})`,
    );
    console.log(summary.parquetPath);
  } finally {
    client.destroy();
  }
  return 0;
}

if (import.meta.main) {
  Deno.exit(
    await runCommand("collect", Deno.args, { parse: (a) => parseCollectArgs(a), run: collect }, {
      usage: USAGE,
    }),
  );
}
