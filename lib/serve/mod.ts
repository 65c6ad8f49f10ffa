/**
 * `deno task serve`'s library: the local sandbox behind Lambda's Invoke and configuration
 * APIs, Function URLs and CloudWatch Logs (FilterLogEvents, Insights), for unmodified AWS
 * clients with an endpoint override; and the scale-out pool a load mode reuses.
 *
 * @module
 */
export { type ServeOptions, type Server, startServer } from "./server.ts";
export {
  type ConfigurationUpdate,
  type FunctionContext,
  type FunctionSpec,
  type InvokeOutcome,
  LambdaError,
  ServedFunction,
} from "./function.ts";
export {
  EnvironmentPool,
  type Lease,
  type PoolOptions,
  type PoolStats,
  ThrottledError,
} from "./pool.ts";
export { type LogFormat, LogGroup, LogStore, LogStream } from "./log_store.ts";
export { compileFilterPattern, FilterPatternError } from "./filter_pattern.ts";
export { compileQuery, QueryError, runQuery } from "./insights.ts";
export { parseSigV4, type SigV4Credential, unsignedSigV4Headers } from "./sigv4.ts";
export { urlEvent, urlResponse } from "./function_url.ts";
