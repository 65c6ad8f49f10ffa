/**
 * A quick, offline check that AWS credentials and a region are configured, so that commands
 * which talk to AWS (`deno task deploy|destroy`, `deno task bench --backend aws`) stop at once
 * with a clear message instead of failing minutes later inside the SDK or the CDK CLI.
 *
 * It looks where the AWS SDKs and CLI look, without any network call: the environment
 * (`AWS_ACCESS_KEY_ID`, web identity, container credentials), then the profile named by
 * `AWS_PROFILE` (or `default`) in the shared config and credentials files. It never reads
 * secret values beyond checking that they are present, and never contacts the instance
 * metadata service.
 *
 * @module
 */
import { join } from "node:path";

/** Where credentials were found. */
export interface AwsCredentialSource {
  /** `env`: access keys in the environment; `profile`: a shared-file profile; `web-identity`
   * and `container`: the token file or container endpoint variables. */
  kind: "env" | "profile" | "web-identity" | "container";
  /** The profile in use (`kind: "profile"`). */
  profile?: string;
  /** One line for logs, for example `profile "bench" in /home/me/.aws/config (sso_session)`. */
  detail: string;
}

/** What {@link requireAwsCredentials} found. */
export interface AwsSetup {
  credentials: AwsCredentialSource;
  region: string;
}

/** Where to look; defaults are the real environment and home folder. */
export interface AwsLookupOptions {
  /** Environment variables; default `Deno.env.toObject()`. */
  env?: Record<string, string | undefined>;
  /** A region given on the command line; it wins over every other source. */
  region?: string | undefined;
}

type Ini = Map<string, Map<string, string>>;

/** Keys that make a shared-file profile able to produce credentials. */
const CREDENTIAL_KEYS = [
  "aws_access_key_id",
  "sso_session",
  "sso_start_url",
  "role_arn",
  "credential_process",
  "web_identity_token_file",
  "login_session",
] as const;

function readIni(path: string): Ini {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch {
    return new Map();
  }
  const sections: Ini = new Map();
  let current: Map<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      const name = header[1]!.trim();
      current = sections.get(name) ?? new Map();
      sections.set(name, current);
      continue;
    }
    const eq = line.indexOf("=");
    if (current && eq > 0) {
      current.set(line.slice(0, eq).trim().toLowerCase(), line.slice(eq + 1).trim());
    }
  }
  return sections;
}

function sharedFiles(env: Record<string, string | undefined>): { config: string; creds: string } {
  const home = env.HOME ?? env.USERPROFILE ?? "";
  return {
    config: env.AWS_CONFIG_FILE || join(home, ".aws", "config"),
    creds: env.AWS_SHARED_CREDENTIALS_FILE || join(home, ".aws", "credentials"),
  };
}

function profileSections(
  env: Record<string, string | undefined>,
  profile: string,
): { path: string; values: Map<string, string> }[] {
  const { config, creds } = sharedFiles(env);
  const found: { path: string; values: Map<string, string> }[] = [];
  const fromCreds = readIni(creds).get(profile);
  if (fromCreds) found.push({ path: creds, values: fromCreds });
  const configIni = readIni(config);
  const fromConfig = configIni.get(profile === "default" ? "default" : `profile ${profile}`) ??
    (profile === "default" ? configIni.get("profile default") : undefined);
  if (fromConfig) found.push({ path: config, values: fromConfig });
  return found;
}

/**
 * Finds configured AWS credentials without any network call.
 *
 * @param options Where to look (default: the real environment and `~/.aws`).
 * @returns Where credentials come from, or null when nothing is configured.
 * @example
 * ```ts
 * import { findAwsCredentials } from "./credentials.ts";
 * findAwsCredentials({ env: { AWS_ACCESS_KEY_ID: "AKIA...", AWS_SECRET_ACCESS_KEY: "x" } })?.kind; // "env"
 * ```
 */
export function findAwsCredentials(options: AwsLookupOptions = {}): AwsCredentialSource | null {
  const env = options.env ?? Deno.env.toObject();
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    return { kind: "env", detail: "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" };
  }
  if (env.AWS_WEB_IDENTITY_TOKEN_FILE && env.AWS_ROLE_ARN) {
    return { kind: "web-identity", detail: "AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN" };
  }
  if (env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI || env.AWS_CONTAINER_CREDENTIALS_FULL_URI) {
    return { kind: "container", detail: "AWS_CONTAINER_CREDENTIALS_*_URI" };
  }
  const profile = env.AWS_PROFILE || env.AWS_DEFAULT_PROFILE || "default";
  for (const { path, values } of profileSections(env, profile)) {
    const key = CREDENTIAL_KEYS.find((k) => values.has(k));
    if (key) {
      return { kind: "profile", profile, detail: `profile "${profile}" in ${path} (${key})` };
    }
  }
  return null;
}

/**
 * Finds the AWS region: the explicit one, then `AWS_REGION`, `AWS_DEFAULT_REGION`, then the
 * profile's `region` in the shared config file.
 *
 * @param options Where to look, and an explicit region (for example from `--region`).
 * @returns The region, or null when none is configured.
 */
export function findAwsRegion(options: AwsLookupOptions = {}): string | null {
  if (options.region) return options.region;
  const env = options.env ?? Deno.env.toObject();
  if (env.AWS_REGION) return env.AWS_REGION;
  if (env.AWS_DEFAULT_REGION) return env.AWS_DEFAULT_REGION;
  const profile = env.AWS_PROFILE || env.AWS_DEFAULT_PROFILE || "default";
  for (const { values } of profileSections(env, profile)) {
    const region = values.get("region");
    if (region) return region;
  }
  return null;
}

/**
 * Checks, offline and in milliseconds, that credentials and a region are configured.
 *
 * @param options Where to look, and an explicit region (for example from `--region`).
 * @returns Where the credentials come from and the region.
 * @throws {Error} When credentials or the region are missing; the message names every missing
 * setting and how to provide it.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { requireAwsCredentials } from "./credentials.ts";
 * const env = { AWS_ACCESS_KEY_ID: "AKIA...", AWS_SECRET_ACCESS_KEY: "x" };
 * const { region, credentials } = requireAwsCredentials({ env, region: "eu-west-1" });
 * assert.equal(region, "eu-west-1");
 * assert.equal(credentials.kind, "env");
 * try {
 *   requireAwsCredentials({ env: { HOME: "/nonexistent" } });
 * } catch (e) {
 *   assert.ok((e as Error).message.startsWith("Cannot use AWS: no AWS credentials"));
 * }
 * ```
 */
export function requireAwsCredentials(options: AwsLookupOptions = {}): AwsSetup {
  const env = options.env ?? Deno.env.toObject();
  const credentials = findAwsCredentials({ env });
  const region = findAwsRegion({ env, region: options.region });
  const missing: string[] = [];
  if (!credentials) {
    const profile = env.AWS_PROFILE || env.AWS_DEFAULT_PROFILE || "default";
    const { config, creds } = sharedFiles(env);
    missing.push(
      `no AWS credentials (set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or AWS_PROFILE to a ` +
        `profile with credentials; profile "${profile}" has none in ${creds} or ${config})`,
    );
  }
  if (!region) missing.push("no AWS region (pass --region or set AWS_REGION)");
  if (!credentials || !region) {
    throw new Error(`Cannot use AWS: ${missing.join("; ")}`);
  }
  return { credentials, region };
}
