/**
 * The shared extension contract: a test Extensions API, a recording SQS proxy, a harness that
 * runs one extension like Lambda does, and the suite every implementation runs.
 *
 * @example
 * ```ts ignore
 * import { runContractSuite } from "./mod.ts";
 * runContractSuite({
 *   name: "node",
 *   extensionName: "battle-ext-node",
 *   command: "node",
 *   args: ["build/js/extension-node.mjs"],
 * });
 * ```
 *
 * @module
 */
export {
  type ErrorReport,
  type ExtensionEvent,
  ExtensionsApi,
  type InvokeEvent,
  type Registration,
  type ShutdownEvent,
  startExtensionsApi,
} from "./extensions_api.ts";
export {
  canConnect,
  type ExtensionCommand,
  freePort,
  Harness,
  type HarnessOptions,
  type InvokeOptions,
  type PostResult,
  REQUEST_ID_HEADER,
  startHarness,
} from "./harness.ts";
export {
  type BacklogOptions,
  type BacklogResult,
  lastSummary,
  shutdownWithBacklog,
  summaryPattern,
  waitForSummary,
  warmUp,
} from "./backlog.ts";
export { type LifecycleSuiteOptions, runLifecycleSuite } from "./lifecycle.ts";
export { parseSqsRequest, type SqsCall, SqsProxy, startSqsProxy } from "./sqs_proxy.ts";
export {
  BACKLOG_RUNS,
  type ContractSuiteOptions,
  MAX_BATCH_BYTES,
  MAX_BATCH_ENTRIES,
  MAX_MESSAGE_BYTES,
  runContractSuite,
  SAMPLE_BODIES,
} from "./suite.ts";
