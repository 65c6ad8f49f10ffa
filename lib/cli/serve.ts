/**
 * `deno task serve [--port P] [--variants ...] [--memory 128,...] [--work-iterations I]
 * [--payload-bytes B] [--timeout S] [--stack-name NAME] [--max-environments N]
 * [--log-format json|text] [--logs DIR] [--outputs FILE] [--update-ms MS]
 * [--no-freeze] [--fallback] [--code DIR --name NAME [--runtime R] [--handler H]
 * [--extensions DIR]]`
 *
 * The local sandbox behind Lambda's Invoke and configuration APIs, Function URLs and CloudWatch
 * Logs on one loopback port (see `lib/serve`), for the AWS SDKs, the AWS CLI and boto3 with
 * `AWS_ENDPOINT_URL` set to it. It serves every buildable cell of the matrix (variants × memory,
 * this host's architecture) under the names `deno task deploy` gives them, starts ElasticMQ for
 * the variants that send, writes a stack-outputs file in the shape deploy writes (default
 * `data/serve/outputs.json`; `BATTLE_OUTPUTS_FILE` points `deno task bench --backend aws` at it)
 * and serves until interrupted, then removes that file. `--code` serves one function of your own
 * instead, as `deno task sandbox` runs it. Logs stay in `--logs` (default `data/serve/logs`)
 * across restarts, as CloudWatch keeps them.
 *
 * Prints the endpoint on stdout (one line) and what to export on stderr.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { existsSync } from "node:fs";
import { numberFlag, parseFlags, runCommand } from "./_flags.ts";
import { RUNS_DIR } from "../paths.ts";
import { parseVariantList, type Variant } from "../variants.ts";
import { hostArch, parseMemoryList } from "../bench/matrix.ts";
import { DEFAULT_LOCAL_SETTINGS } from "../bench/local_settings.ts";
import type { FunctionSettings } from "../store/run_manifest.ts";
import type { RuntimeName } from "../sandbox/mod.ts";
import type { FunctionSpec, LogFormat } from "../serve/mod.ts";
import {
  type DeployedFunction,
  OUTPUTS_FILE_ENV,
  stackFunctionName,
  writeStackOutputs,
} from "../aws/outputs.ts";

/** Where `deno task serve` keeps its files by default. */
export const SERVE_DIR: string = join(RUNS_DIR, "..", "serve");

/** The default stack name (the one `deno task deploy` uses). */
const STACK_NAME = "BattleOfTheExtensions";

/** The parsed command line. */
export interface ServeArgs {
  port: number;
  variants: Variant[];
  memoryMb: number[];
  settings: FunctionSettings;
  payloadBytes: number;
  stackName: string;
  maxEnvironments: number;
  logFormat: LogFormat;
  logsDir: string;
  outputsFile: string;
  minUpdateMs: number;
  /** `--no-freeze` and `--fallback` (no cgroups): the sandbox controls of every environment. */
  sandbox: { freeze: boolean; controls: "auto" | "fallback" };
  /** `--code`: one function of the user's own instead of the matrix. */
  custom: {
    codeDir: string;
    name: string;
    runtime: RuntimeName;
    handler: string;
    optDir: string | null;
  } | null;
}

/**
 * Reads the command line.
 *
 * @param args The arguments after the task name.
 * @returns The parsed arguments.
 * @throws {TypeError} For an unknown flag, or `--code` without `--name`.
 * @throws {RangeError} For a bad value, naming it.
 */
export function parseServeArgs(args: string[]): ServeArgs {
  const { values } = parseFlags({
    args,
    options: {
      port: { type: "string", default: "3001" },
      variants: { type: "string" },
      memory: { type: "string", default: "128,512,1024" },
      "work-iterations": { type: "string" },
      "payload-bytes": { type: "string", default: "1024" },
      timeout: { type: "string" },
      "stack-name": { type: "string", default: STACK_NAME },
      "max-environments": { type: "string", default: "10" },
      "log-format": { type: "string", default: "json" },
      logs: { type: "string", default: join(SERVE_DIR, "logs") },
      outputs: { type: "string", default: join(SERVE_DIR, "outputs.json") },
      "update-ms": { type: "string", default: "0" },
      code: { type: "string" },
      name: { type: "string" },
      runtime: { type: "string" },
      handler: { type: "string", default: "index.handler" },
      extensions: { type: "string" },
      "no-freeze": { type: "boolean", default: false },
      fallback: { type: "boolean", default: false },
    },
  });
  const format = values["log-format"].toLowerCase();
  if (format !== "json" && format !== "text") {
    throw new RangeError(`Invalid --log-format "${values["log-format"]}": expected json or text`);
  }
  const stackName = values["stack-name"];
  if (!/^[A-Za-z][A-Za-z0-9-]{0,40}$/.test(stackName)) {
    throw new RangeError(`Invalid --stack-name "${stackName}"`);
  }
  const timeoutS = values.timeout === undefined
    ? DEFAULT_LOCAL_SETTINGS.timeoutS
    : numberFlag("timeout", values.timeout, { integer: true, min: 1, max: 900 });
  let custom: ServeArgs["custom"] = null;
  if (values.code !== undefined) {
    if (values.name === undefined) throw new TypeError("--code needs --name NAME");
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(values.name)) {
      throw new RangeError(`Invalid --name "${values.name}": expected [A-Za-z0-9_-]{1,64}`);
    }
    const runtime = values.runtime ??
      (existsSync(join(values.code, "bootstrap")) ? "provided" : "node");
    if (!["node", "llrt", "provided", "python"].includes(runtime)) {
      throw new RangeError(
        `Invalid --runtime "${runtime}": expected node, llrt, provided or python`,
      );
    }
    custom = {
      codeDir: resolve(values.code),
      name: values.name,
      runtime: runtime as RuntimeName,
      handler: values.handler,
      optDir: values.extensions === undefined ? null : resolve(values.extensions),
    };
  }
  return {
    port: numberFlag("port", values.port, { integer: true, min: 0, max: 65535 }),
    variants: parseVariantList(values.variants),
    memoryMb: parseMemoryList(values.memory),
    settings: {
      workIterations: values["work-iterations"] === undefined
        ? DEFAULT_LOCAL_SETTINGS.workIterations
        : numberFlag("work-iterations", values["work-iterations"], { integer: true, min: 0 }),
      timeoutS,
    },
    payloadBytes: numberFlag("payload-bytes", values["payload-bytes"], { integer: true, min: 0 }),
    stackName,
    maxEnvironments: numberFlag("max-environments", values["max-environments"], {
      integer: true,
      min: 1,
    }),
    logFormat: format === "json" ? "JSON" : "Text",
    logsDir: resolve(values.logs),
    outputsFile: resolve(values.outputs),
    minUpdateMs: numberFlag("update-ms", values["update-ms"], { min: 0 }),
    sandbox: { freeze: !values["no-freeze"], controls: values.fallback ? "fallback" : "auto" },
    custom,
  };
}

async function serve(args: ServeArgs): Promise<number> {
  const { startServer } = await import("../serve/mod.ts");
  const { cellFunction, freePort, localSkipReason } = await import("../bench/local.ts");
  const { readLlrtInfo } = await import("../llrt/mod.ts");
  const specs: FunctionSpec[] = [];
  const deployed: DeployedFunction[] = [];
  const arch = hostArch();
  let sqs:
    | { endpoint: string; stop(): Promise<void>; createQueue(n: string): Promise<string> }
    | null = null;
  let queueUrl = "";
  let deadLetterQueueUrl = "";
  if (args.custom) {
    const c = args.custom;
    specs.push({
      name: c.name,
      codeDir: c.codeDir,
      ...(c.optDir === null ? {} : { optDir: c.optDir }),
      runtime: c.runtime,
      handler: c.handler,
      memoryMb: args.memoryMb[0]!,
      timeoutS: args.settings.timeoutS,
      arch,
      environment: {},
      logFormat: args.logFormat,
    });
  } else {
    const llrt = await readLlrtInfo();
    const cells = args.variants.flatMap((variant) =>
      args.memoryMb.map((memoryMb) => ({ variant, memoryMb, arch }))
    );
    const runnable = cells.filter((cell) => {
      const reason = localSkipReason(cell, llrt);
      if (reason !== null) {
        console.error(`serve: skipped ${cell.variant.name} at ${cell.memoryMb} MB: ${reason}`);
      }
      return reason === null;
    });
    if (runnable.some((c) => c.variant.mode !== "none")) {
      const { startElasticMQ } = await import("../elasticmq/mod.ts");
      sqs = await startElasticMQ({ port: 0 });
      queueUrl = await sqs.createQueue(`${args.stackName}-Queue`);
      deadLetterQueueUrl = await sqs.createQueue(`${args.stackName}-DeadLetterQueue`);
    } else {
      queueUrl = `http://127.0.0.1/000000000000/${args.stackName}-Queue`;
      deadLetterQueueUrl = `http://127.0.0.1/000000000000/${args.stackName}-DeadLetterQueue`;
    }
    for (const cell of runnable) {
      const name = stackFunctionName(args.stackName, { ...cell, variant: cell.variant.name });
      const make = (extensionPort: number) =>
        cellFunction(cell, {
          settings: args.settings,
          payloadBytes: args.payloadBytes,
          queueUrl,
          extensionPort,
          sqsEndpoint: sqs?.endpoint ?? "http://127.0.0.1:1",
          llrt,
        });
      // The configuration shows the port the stack deploys; each environment gets a free one,
      // as environments here share one loopback.
      const shown = make(4243);
      specs.push({
        name,
        ...shown.sandbox,
        memoryMb: cell.memoryMb,
        timeoutS: shown.settings.timeoutS,
        arch,
        environment: shown.environment,
        platformEnvironment: shown.platformEnvironment,
        description: cell.variant.description,
        logFormat: args.logFormat,
        tags: { variant: cell.variant.name, arch, memory: String(cell.memoryMb) },
        ...(cell.variant.extension ? { layers: [`${args.stackName}-${cell.variant.name}`] } : {}),
        localize: async (variables) => {
          if (!cell.variant.extension) return variables;
          const own = make(await freePort()).environment;
          const out = { ...variables };
          for (const key of ["BATTLE_EXTENSION_PORT", "BATTLE_EXTENSION_URL"]) {
            if (key in out && own[key] !== undefined) out[key] = own[key]!;
          }
          return out;
        },
      });
      deployed.push({
        functionName: name,
        variant: cell.variant.name,
        memoryMb: cell.memoryMb,
        arch,
        logGroupName: `/aws/lambda/${name}`,
      });
    }
  }
  if (specs.length === 0) {
    await sqs?.stop();
    throw new Error("Nothing to serve: no cell of the matrix is built (run deno task build)");
  }
  const server = await startServer({
    functions: specs.map((s) => ({ ...s, sandbox: { ...s.sandbox, ...args.sandbox } })),
    logsDir: args.logsDir,
    port: args.port,
    maxEnvironments: args.maxEnvironments,
    minUpdateMs: args.minUpdateMs,
  });
  await writeStackOutputs(args.outputsFile, {
    stackName: args.stackName,
    region: server.region,
    queueUrl,
    deadLetterQueueUrl,
    functions: deployed,
  });
  for (const fn of server.functions.values()) {
    console.error(`serve: ${fn.name}  ${server.functionUrl(fn.name)}`);
  }
  console.error(
    `serve: ${specs.length} functions; Lambda and CloudWatch Logs at ${server.endpoint}; ` +
      `stack outputs in ${args.outputsFile}; point clients here with:\n` +
      `  export AWS_ENDPOINT_URL=${server.endpoint} AWS_REGION=${server.region} ` +
      `AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local ${OUTPUTS_FILE_ENV}=${args.outputsFile}`,
  );
  console.log(server.endpoint);
  const stop = Promise.withResolvers<void>();
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, stop.resolve);
  await stop.promise;
  for (const s of signals) Deno.removeSignalListener(s, stop.resolve);
  console.error("serve: shutting down");
  const stats = server.stats();
  await server.close();
  await sqs?.stop();
  await Deno.remove(args.outputsFile).catch(() => {});
  for (const [name, s] of Object.entries(stats)) {
    if (s.created > 0) {
      console.error(
        `serve: ${name}: ${s.created} environments, ${s.reused} warm invocations, ` +
          `${s.throttles} throttled, at most ${s.peakBusy} busy`,
      );
    }
  }
  return 0;
}

if (import.meta.main) {
  Deno.exit(await runCommand("serve", Deno.args, { parse: parseServeArgs, run: serve }));
}
