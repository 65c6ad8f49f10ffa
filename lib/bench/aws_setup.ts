/**
 * Builds the AWS backend from what is on this machine: credentials and region (checked first,
 * without any network call), the deployed stack's outputs, and CloudWatch Logs collection.
 *
 * @module
 */
import { requireAwsCredentials } from "../aws/credentials.ts";
import { readStackOutputs } from "../aws/outputs.ts";
import { createLogsClient } from "../aws/collect.ts";
import { cloudWatchFetcher } from "./aws_logs.ts";
import { AwsBackend } from "./aws.ts";

/**
 * Creates the AWS backend.
 *
 * @param options `region` overrides the configured one.
 * @throws {Error} At once when credentials or region are missing, or nothing is deployed.
 */
export async function createAwsBackend(options: { region?: string } = {}): Promise<AwsBackend> {
  const { region } = requireAwsCredentials({ region: options.region });
  let outputs;
  try {
    outputs = await readStackOutputs();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error("Nothing deployed: infra/outputs.json is missing (run deno task deploy)");
    }
    throw error;
  }
  const stackRegion = outputs.region || region;
  const logs = createLogsClient({ region: stackRegion });
  return new AwsBackend({
    functions: outputs.functions,
    region: stackRegion,
    queueUrl: outputs.queueUrl,
    // The stack's functions log in JSON format (infra/stack.ts).
    fetchLogs: cloudWatchFetcher(logs),
  });
}
