/**
 * Builds the AWS backend from what is on this machine: credentials and region (checked first,
 * without any network call), the deployed stack's outputs, and CloudWatch Logs collection.
 * `AWS_ENDPOINT_URL` (read by the SDK clients themselves) points both clients elsewhere, and
 * `BATTLE_OUTPUTS_FILE` names another outputs file: `deno task serve` prints both.
 *
 * @module
 */
import { requireAwsCredentials } from "../aws/credentials.ts";
import { outputsFile, readStackOutputs } from "../aws/outputs.ts";
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
      throw new Error(
        `Nothing deployed: ${outputsFile()} is missing (run deno task deploy, or deno task serve ` +
          "and the BATTLE_OUTPUTS_FILE it prints)",
      );
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
