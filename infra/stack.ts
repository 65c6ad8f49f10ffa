/**
 * The study's stack: one SQS queue (with a dead-letter queue), one Lambda layer per extension
 * build, and one function per variant × memory size × architecture.
 *
 * Choices worth knowing:
 * - The LLRT variant runs as a custom runtime on `provided.al2023` with the LLRT binary as
 *   `bootstrap` in the code asset: `build/functions/llrt/` (assembled by `lib/build/layers.ts`)
 *   is a complete custom-runtime function, the very folder the local sandbox runs, so AWS and
 *   the sandbox start the same files. Its extension layer carries its own LLRT copy
 *   (`llrt/llrt`), as an extension layer must work whatever the function's runtime.
 * - Native code makes a folder architecture-specific: the Rust extension layer
 *   (`/opt/extensions/battle-ext-rust` from `build/lambda/<arch>/`) and the LLRT variant's code
 *   and layer are per architecture; the Node.js extension layer serves both. Where LLRT was
 *   cross-compiled for an architecture (`build/lambda/<arch>/llrt`), the code and layer folders
 *   are copied with every copy of the local LLRT binary swapped for it.
 * - Logs: JSON format with system log level DEBUG. Lambda sends `platform.start` and
 *   `platform.report` at INFO but `platform.runtimeDone` (and `platform.initRuntimeDone`) only at
 *   DEBUG (Lambda developer guide, "Log-level filtering", event mapping for system log levels:
 *   https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-log-level.html);
 *   `post_runtime_ms` needs `runtimeDone`. Application logs stay at INFO.
 * - Least privilege: each function has its own role that may write to its own log group only;
 *   the senders (mode `direct` or `extension`) may also `sqs:SendMessage` on the queue, and
 *   nothing else. `sqs:SendMessage` also authorises `SendMessageBatch` ("Amazon SQS batch
 *   actions", https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-batch-api.html).
 *   No managed policy (AWSLambdaBasicExecutionRole allows logs on `*`), no `*` action or
 *   resource; the only wildcard is the log-stream suffix of the function's own log group ARN.
 *
 * @module
 */
import {
  chmodSync,
  copyFileSync,
  cpSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from "node:fs";
import { join } from "node:path";
import { Buffer } from "node:buffer";
import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Tags } from "aws-cdk-lib";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as logs from "aws-cdk-lib/aws-logs";
import * as sqs from "aws-cdk-lib/aws-sqs";
import type { Construct } from "constructs";
import { CONTRACT } from "../extensions/src/contract.ts";
import type { Arch } from "../lib/schema.ts";
import { functionEnvironment } from "../lib/function_env.ts";
import { TABLE_KEY } from "../lib/dynamodb/table.ts";
import { type FunctionRuntimeSpec, functionRuntimeSpec } from "../lib/variants.ts";
import { functionOutputKey as outputKey, stackFunctionName } from "../lib/aws/outputs.ts";
import type { DeploymentPlan, PlannedFunction } from "./builds.ts";
import type { InfraSettings } from "./settings.ts";

/** The tag every resource carries. */
export const PROJECT_TAG = { key: "project", value: "battle-of-the-extensions" } as const;
/** The port the extensions listen on, and the URL the handler posts to. */
export const EXTENSION_PORT: number = CONTRACT.port.default;
export const EXTENSION_URL = `http://127.0.0.1:${EXTENSION_PORT}${CONTRACT.paths.messages}`;
/** Log retention of every function's log group. */
export const LOG_RETENTION = logs.RetentionDays.TWO_WEEKS;

/** What the stack is built from. */
export interface BattleStackProps extends StackProps {
  settings: InfraSettings;
  plan: DeploymentPlan;
  /** Where layer folders are assembled before CDK stages them. */
  stagingDir: string;
}

/** The name of a function of the study, for example `BattleOfTheExtensions-rust-arm64-1024`. */
export function functionName(
  stackName: string,
  fn: Pick<PlannedFunction, "variant" | "arch" | "memoryMb">,
): string {
  return stackFunctionName(stackName, { ...fn, variant: fn.variant.name });
}

/** The stack output key that describes one function. */
export function functionOutputKey(
  fn: Pick<PlannedFunction, "variant" | "arch" | "memoryMb">,
): string {
  return outputKey({ ...fn, variant: fn.variant.name });
}

/** The Lambda runtime of each function runtime's `lambdaRuntime` (lib/variants.ts). */
export const LAMBDA_RUNTIMES: Record<FunctionRuntimeSpec["lambdaRuntime"], lambda.Runtime> = {
  "nodejs22.x": lambda.Runtime.NODEJS_22_X,
  "python3.12": lambda.Runtime.PYTHON_3_12,
  "provided.al2023": lambda.Runtime.PROVIDED_AL2023,
};

const ARCHITECTURES: Record<Arch, lambda.Architecture> = {
  arm64: lambda.Architecture.ARM_64,
  x86_64: lambda.Architecture.X86_64,
};

/** Reads a file only when its size matches, to compare a folder's files with one binary. */
function sameBytes(path: string, bytes: Uint8Array): boolean {
  return statSync(path).size === bytes.length && Buffer.compare(readFileSync(path), bytes) === 0;
}

/** Copies `source` to `dir`, then swaps every file identical to `swap.from` for `swap.to`. */
function stageSwapped(source: string, dir: string, swap: { from: string; to: string }): string {
  rmSync(dir, { recursive: true, force: true });
  cpSync(source, dir, { recursive: true });
  const local = readFileSync(swap.from);
  const visit = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (entry.isFile() && sameBytes(path, local)) {
        copyFileSync(swap.to, path);
        chmodSync(path, 0o755);
      }
    }
  };
  visit(dir);
  return dir;
}

function stageFile(source: string, dir: string, name: string): string {
  mkdirSync(join(dir, ...name.split("/").slice(0, -1)), { recursive: true });
  const target = join(dir, name);
  copyFileSync(source, target);
  chmodSync(target, 0o755);
  return dir;
}

/** The queue, the layers and the functions of the study. */
export class BattleStack extends Stack {
  /** Where functions send their payloads. */
  readonly queue: sqs.Queue;
  /** Messages the queue could not deliver after three receives. */
  readonly deadLetterQueue: sqs.Queue;
  /**
   * Where functions of workload `dynamodb` record each request (one item keyed by its request
   * id); made only when the plan holds such a function.
   */
  readonly table: dynamodb.Table | null;
  /** Every function, keyed by its name. */
  readonly functions: Map<string, lambda.Function> = new Map();
  readonly #layers = new Map<string, lambda.LayerVersion>();
  readonly #staged = new Map<string, string>();
  readonly #props: BattleStackProps;

  /**
   * @param scope The app.
   * @param id The stack id (the stack name unless `stackName` is given).
   * @param props Settings, the deployment plan and the staging folder.
   */
  constructor(scope: Construct, id: string, props: BattleStackProps) {
    super(scope, id, props);
    this.#props = props;
    Tags.of(this).add(PROJECT_TAG.key, PROJECT_TAG.value);

    this.deadLetterQueue = new sqs.Queue(this, "DeadLetterQueue", {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      retentionPeriod: Duration.days(14),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.queue = new sqs.Queue(this, "Queue", {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 3 },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    new CfnOutput(this, "QueueUrl", { value: this.queue.queueUrl });
    new CfnOutput(this, "DeadLetterQueueUrl", { value: this.deadLetterQueue.queueUrl });
    new CfnOutput(this, "Region", { value: Aws.REGION });
    this.table = props.plan.functions.some((fn) => fn.variant.workload === "dynamodb")
      ? new dynamodb.Table(this, "Requests", {
        partitionKey: { name: TABLE_KEY, type: dynamodb.AttributeType.STRING },
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        encryption: dynamodb.TableEncryption.AWS_MANAGED,
        removalPolicy: RemovalPolicy.DESTROY,
      })
      : null;
    if (this.table) new CfnOutput(this, "TableName", { value: this.table.tableName });

    for (const fn of props.plan.functions) this.#addFunction(fn);
  }

  #layer(key: string, make: () => lambda.LayerVersionProps): lambda.LayerVersion {
    let layer = this.#layers.get(key);
    if (!layer) {
      layer = new lambda.LayerVersion(this, `Layer-${key}`, {
        layerVersionName: `${this.#props.settings.stackName}-${key}`,
        removalPolicy: RemovalPolicy.DESTROY,
        ...make(),
      });
      this.#layers.set(key, layer);
    }
    return layer;
  }

  /** A folder as built, or its copy for the function's architecture when LLRT is swapped. */
  #folderFor(fn: PlannedFunction, source: string, key: string): string {
    const from = fn.llrt?.replaces;
    if (!fn.llrt || !from) return source;
    const dir = join(this.#props.stagingDir, `${key}-${fn.arch}`);
    if (!this.#staged.has(dir)) {
      this.#staged.set(dir, stageSwapped(source, dir, { from, to: fn.llrt.binary }));
    }
    return dir;
  }

  #layersFor(fn: PlannedFunction): lambda.ILayerVersion[] {
    const ext = fn.extension;
    // One layer per extension build, shared by every variant that carries it.
    if (ext?.build === "rust") {
      const key = `${fn.variant.extensionName}-${fn.arch}`;
      return [this.#layer(key, () => ({
        code: lambda.Code.fromAsset(
          stageFile(ext.binary, join(this.#props.stagingDir, key), `extensions/${ext.name}`),
        ),
        compatibleArchitectures: [ARCHITECTURES[fn.arch]],
        description: `${ext.name} (${fn.arch})`,
      }))];
    }
    if (ext?.build === "js") {
      const key = ext.perArch ? `${fn.variant.extensionName}-${fn.arch}` : fn.variant.extensionName;
      return [this.#layer(key, () => ({
        code: lambda.Code.fromAsset(
          this.#folderFor(fn, ext.layerDir, `layer-${fn.variant.extensionName}`),
        ),
        compatibleArchitectures: ext.perArch
          ? [ARCHITECTURES[fn.arch]]
          : [lambda.Architecture.ARM_64, lambda.Architecture.X86_64],
        description: `${ext.name}: ${fn.variant.description}`,
      }))];
    }
    return [];
  }

  #addFunction(fn: PlannedFunction): void {
    const { settings } = this.#props;
    const name = functionName(settings.stackName, fn);
    const id = `${fn.variant.name}-${fn.arch}-${fn.memoryMb}`;
    const logGroup = new logs.LogGroup(this, `${id}-Logs`, {
      logGroupName: `/aws/lambda/${name}`,
      retention: LOG_RETENTION,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new iam.Role(this, `${id}-Role`, {
      assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
      description: `Runs ${name}: writes its own log group${
        fn.variant.mode === "none" ? "" : ", sends to the study queue"
      }${fn.variant.workload === "dynamodb" ? ", puts items into the requests table" : ""}`,
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
        resources: [logGroup.logGroupArn],
      }),
    );
    const environment = functionEnvironment({
      variant: fn.variant,
      workIterations: settings.workIterations,
      payloadBytes: settings.payloadBytes,
      queueUrl: this.queue.queueUrl,
      extensionPort: EXTENSION_PORT,
      ...(fn.variant.workload === "delay" ? { delayMs: settings.delayMs } : {}),
      ...(fn.variant.workload === "dynamodb" && this.table
        ? { tableName: this.table.tableName }
        : {}),
    });
    const runtime = functionRuntimeSpec(fn.variant.functionRuntime);
    const func = new lambda.Function(this, id, {
      functionName: name,
      description: fn.variant.description,
      runtime: LAMBDA_RUNTIMES[runtime.lambdaRuntime],
      architecture: ARCHITECTURES[fn.arch],
      memorySize: fn.memoryMb,
      timeout: Duration.seconds(settings.timeoutSeconds),
      handler: runtime.handler,
      code: lambda.Code.fromAsset(this.#folderFor(fn, fn.codeDir, `function-${fn.variant.name}`)),
      layers: this.#layersFor(fn),
      environment,
      role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      systemLogLevelV2: lambda.SystemLogLevel.DEBUG,
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
    });
    // Only SendMessage: the handler and extensions use the queue URL they are given, so neither
    // GetQueueUrl nor GetQueueAttributes (which grantSendMessages would add) is needed.
    if (fn.variant.mode !== "none") this.queue.grant(func, "sqs:SendMessage");
    // Only PutItem on the one table: the handler writes one item per invocation, nothing else.
    if (fn.variant.workload === "dynamodb") this.table?.grant(func, "dynamodb:PutItem");
    Tags.of(func).add("variant", fn.variant.name);
    Tags.of(func).add("function-runtime", fn.variant.functionRuntime);
    Tags.of(func).add("extension", fn.variant.extensionName);
    Tags.of(func).add("workload", fn.variant.workload);
    Tags.of(func).add("arch", fn.arch);
    Tags.of(func).add("memory", String(fn.memoryMb));
    this.functions.set(name, func);
    new CfnOutput(this, functionOutputKey(fn), {
      description: `${fn.variant.name} on ${fn.arch} with ${fn.memoryMb} MB`,
      value: JSON.stringify({
        functionName: name,
        variant: fn.variant.name,
        functionRuntime: fn.variant.functionRuntime,
        extension: fn.variant.extensionName,
        workload: fn.variant.workload,
        memoryMb: fn.memoryMb,
        arch: fn.arch,
        logGroupName: `/aws/lambda/${name}`,
      }),
    });
  }
}
