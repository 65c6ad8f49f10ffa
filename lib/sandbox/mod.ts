/**
 * The local Lambda sandbox: `Sandbox` runs a function with its extensions under Lambda's
 * lifecycle, limits and log output; the rest is exported for tests and tools.
 *
 * @module
 */
export {
  INIT_LIMIT_MS,
  type InvokeOptions,
  type InvokeResult,
  type RuntimeAnswer,
  type RuntimeName,
  RUNTIMES,
  Sandbox,
  type SandboxControls,
  type SandboxOptions,
  SHUTDOWN_LIMIT_MS,
} from "./sandbox.ts";
export { ACCOUNT_ID, LambdaApi, MAX_EXTENSIONS, MAX_RESPONSE_BYTES } from "./api.ts";
export {
  forApi,
  LOGS_RECORD_TYPES,
  parseSubscription,
  TELEMETRY_RECORD_TYPES,
  TelemetryHub,
} from "./telemetry.ts";
export * from "./records.ts";
export type { ControlsInForce } from "./cgroup/mod.ts";
