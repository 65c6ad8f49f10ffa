/**
 * ElasticMQ, a real SQS-compatible server, for tests and the local sandbox.
 *
 * @example
 * ```ts
 * import { startElasticMQ } from "./mod.ts";
 * await using sqs = await startElasticMQ();
 * const queueUrl = await sqs.createQueue("battle");
 * // AWS_ENDPOINT_URL_SQS=sqs.endpoint, BATTLE_QUEUE_URL=queueUrl
 * const messages = await sqs.receiveAll(queueUrl); // drains what is there now
 * ```
 *
 * @module
 */
export {
  ELASTICMQ_VERSION,
  type ElasticMQInstall,
  ensureElasticMQ,
  type EnsureOptions,
} from "./install.ts";
export {
  DUMMY_CREDENTIALS,
  ElasticMQ,
  LOCAL_REGION,
  type ReceiveOptions,
  startElasticMQ,
  type StartOptions,
} from "./server.ts";
