/**
 * Builds the AWS backend from what is on this machine: credentials and region (checked first,
 * without any network call), the deployed stack's outputs, and CloudWatch Logs collection.
 *
 * @module
 */
import { requireAwsCredentials } from "../aws/credentials.ts";
import { readStackOutputs } from "../../infra/outputs.ts";
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
  const { fetchPlatformMessages } = await import("../aws/collect.ts");
  return new AwsBackend({
    functions: outputs.functions,
    region: outputs.region || region,
    queueUrl: outputs.queueUrl,
    fetchLogs: ({ logGroup, startTime, endTime }) =>
      fetchPlatformMessages({ logGroupName: logGroup, startTime, endTime, region }),
  });
}
