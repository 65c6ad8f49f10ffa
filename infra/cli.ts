/**
 * `deno task synth|deploy|destroy [--memory 128,1024] [--arch arm64,x86_64] [--variants ...]
 * [--functions nodejs,python,...] [--extensions none,rust,...] [--workloads sqs,cpu,none]
 * [--region R] [--work-iterations N] [--payload-bytes N] [--timeout S] [--stack-name NAME]
 * [--profile P] [--build-dir DIR] [--output DIR] [--skip-bootstrap] [--deploy-method M]`
 *
 * Drives the AWS CDK CLI (npm `aws-cdk`, pinned below and in deno.json) over `infra/app.ts`:
 * - `synth` works offline and writes CloudFormation templates to `infra/cdk.out/`; it names
 *   every variant or architecture it left out because a build is missing, and keeps the rest.
 * - `deploy` stops at once without credentials or region, refuses to start while a build it
 *   needs is missing (naming each), bootstraps the environment (idempotent), deploys, and writes
 *   the stack outputs to `infra/outputs.json`, or to `BATTLE_OUTPUTS_FILE` when set (read them
 *   with `readStackOutputs()`).
 * - `destroy` removes the stack: functions, layers, queues and log groups. The CDK bootstrap
 *   stack (`CDKToolkit`, shared by every CDK app of the account) stays.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { existsSync, rmSync } from "node:fs";
import { parseFlags } from "../lib/cli/_flags.ts";
import { ROOT } from "../lib/paths.ts";
import { requireAwsCredentials } from "../lib/aws/credentials.ts";
import { describeSkip, locationsFor, planDeployment } from "./builds.ts";
import { outputsFile } from "../lib/aws/outputs.ts";
import { resolveSettings } from "./settings.ts";

/** The AWS CDK CLI release this app is run with (it reads aws-cdk-lib 2.276.0's assemblies). */
export const CDK_CLI_VERSION = "2.1148.1";
/** The folder of the CDK app, where `cdk.json` is. */
export const INFRA_DIR: string = join(ROOT, "infra");
/** Where `synth` writes the cloud assembly (CloudFormation templates and staged assets). */
export const CDK_OUT: string = join(INFRA_DIR, "cdk.out");

/** What the command line asked for. */
export interface CliRequest {
  command: "synth" | "deploy" | "destroy";
  /** CDK context values (`-c key=value`), already validated. */
  context: Record<string, string>;
  region: string | undefined;
  profile: string | undefined;
  /** Cloud assembly folder (default `infra/cdk.out`). */
  output: string;
  skipBootstrap: boolean;
  /**
   * `change-set` (the CDK CLI's default) or `direct` (CreateStack/UpdateStack, for accounts or
   * emulators without change sets).
   */
  deployMethod: "change-set" | "direct";
}

const COMMANDS = ["synth", "deploy", "destroy"] as const;

/**
 * Parses and validates the command line.
 *
 * @param args For example `["synth", "--memory", "128,1024"]`.
 * @returns The request.
 * @throws {RangeError} When the command or a flag value is invalid; the message names it.
 * @throws {TypeError} When a flag is unknown or lacks its value.
 */
export function parseCli(args: string[]): CliRequest {
  const { values, positionals } = parseFlags({
    args,
    allowPositionals: true,
    options: {
      memory: { type: "string" },
      arch: { type: "string" },
      variants: { type: "string" },
      functions: { type: "string" },
      extensions: { type: "string" },
      workloads: { type: "string" },
      region: { type: "string" },
      "work-iterations": { type: "string" },
      "payload-bytes": { type: "string" },
      timeout: { type: "string" },
      "stack-name": { type: "string" },
      profile: { type: "string" },
      "build-dir": { type: "string" },
      output: { type: "string" },
      "skip-bootstrap": { type: "boolean", default: false },
      "deploy-method": { type: "string", default: "change-set" },
    },
  });
  const command = positionals[0];
  if (!COMMANDS.includes(command as CliRequest["command"]) || positionals.length > 1) {
    throw new RangeError(
      `Invalid command "${positionals.join(" ")}": expected one of ${COMMANDS.join(", ")}`,
    );
  }
  const context: Record<string, string> = {};
  const put = (key: string, value: string | undefined) => {
    if (value !== undefined) context[key] = value;
  };
  put("memory", values.memory);
  put("arch", values.arch);
  put("variants", values.variants);
  put("functions", values.functions);
  put("extensions", values.extensions);
  put("workloads", values.workloads);
  put("region", values.region);
  put("workIterations", values["work-iterations"]);
  put("payloadBytes", values["payload-bytes"]);
  put("timeoutSeconds", values.timeout);
  put("stackName", values["stack-name"]);
  // The app runs in infra/, so a relative build folder is made absolute here.
  put("buildDir", values["build-dir"] === undefined ? undefined : resolve(values["build-dir"]));
  // Validate now, with the same rules the app applies, so a typo fails before the CDK CLI runs.
  resolveSettings((key) => context[key], {});
  const deployMethod = values["deploy-method"];
  if (deployMethod !== "change-set" && deployMethod !== "direct") {
    throw new RangeError(
      `Invalid --deploy-method "${deployMethod}": expected change-set or direct`,
    );
  }
  return {
    command: command as CliRequest["command"],
    context,
    region: values.region,
    profile: values.profile,
    output: resolve(values.output ?? CDK_OUT),
    skipBootstrap: values["skip-bootstrap"],
    deployMethod,
  };
}

/**
 * The CDK CLI arguments for a request (after `npm:aws-cdk`).
 *
 * @param request The parsed command line.
 * @param options `deno`: the Deno executable the app runs with (default this one).
 * @returns One argument list per CDK CLI call, in order.
 */
export function cdkInvocations(
  request: CliRequest,
  options: { deno?: string } = {},
): string[][] {
  const deno = options.deno ?? Deno.execPath();
  const context = {
    ...request.context,
    ...(request.command === "deploy" ? { strict: "true" } : {}),
  };
  const common = [
    "--app",
    `${JSON.stringify(deno)} run -A app.ts`,
    "--output",
    request.output,
    "--no-notices",
    "--no-version-reporting",
    ...Object.entries(context).flatMap(([k, v]) => ["--context", `${k}=${v}`]),
  ];
  switch (request.command) {
    case "synth":
      return [["synth", "--quiet", ...common]];
    case "deploy":
      return [
        ...(request.skipBootstrap ? [] : [["bootstrap", ...common]]),
        [
          "deploy",
          "--all",
          "--require-approval",
          "never",
          "--outputs-file",
          outputsFile(),
          ...(request.deployMethod === "direct" ? ["--method", "direct"] : []),
          ...common,
        ],
      ];
    case "destroy":
      return [["destroy", "--all", "--force", ...common]];
  }
}

/**
 * Checks what a command needs before the CDK CLI runs: credentials and region for deploy and
 * destroy, every build for deploy.
 *
 * @param request The parsed command line.
 * @param env The environment (default the real one).
 * @returns Environment additions for the CDK CLI (region, profile).
 * @throws {Error} When credentials, region or builds are missing; the message names them.
 */
export function preflight(
  request: CliRequest,
  env: Record<string, string | undefined> = Deno.env.toObject(),
): Record<string, string> {
  if (request.command === "synth") return {};
  const lookupEnv = request.profile === undefined ? env : { ...env, AWS_PROFILE: request.profile };
  const { region } = requireAwsCredentials({ env: lookupEnv, region: request.region });
  if (request.command === "deploy") {
    const settings = resolveSettings((key) => request.context[key], env);
    const { skipped } = planDeployment(settings, locationsFor(settings.buildDir));
    if (skipped.length > 0) {
      throw new Error(
        `Cannot deploy: builds are missing:\n${skipped.map(describeSkip).join("\n")}\n` +
          `Build them (deno task build) or leave those variants out (--variants, --arch).`,
      );
    }
  }
  return {
    AWS_REGION: region,
    CDK_DEFAULT_REGION: region,
    ...(request.profile === undefined ? {} : { AWS_PROFILE: request.profile }),
  };
}

async function runCdk(args: string[], extraEnv: Record<string, string>): Promise<number> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `npm:aws-cdk@${CDK_CLI_VERSION}`, ...args],
    cwd: INFRA_DIR,
    env: { ...extraEnv, CDK_DISABLE_VERSION_CHECK: "true", CDK_DISABLE_CLI_TELEMETRY: "true" },
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  return (await child.status).code;
}

if (import.meta.main) {
  let request: CliRequest;
  let extraEnv: Record<string, string>;
  try {
    request = parseCli(Deno.args);
    extraEnv = preflight(request);
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    Deno.exit(2);
  }
  for (const args of cdkInvocations(request)) {
    const code = await runCdk(args, extraEnv);
    if (code !== 0) {
      console.error(`cdk ${args[0]} failed (exit ${code})`);
      Deno.exit(code);
    }
  }
  if (request.command === "synth") {
    console.log(`CloudFormation templates written to ${request.output}`);
  } else if (request.command === "deploy") {
    console.log(`stack outputs written to ${outputsFile()}`);
  } else if (existsSync(outputsFile())) {
    rmSync(outputsFile());
  }
}
