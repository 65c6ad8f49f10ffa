/**
 * The check AWS makes before anything else: a request must carry a Signature Version 4
 * authorization, in the `Authorization` header or in the query (presigned URLs). Any key is
 * accepted and the signature is not verified (there is no secret to verify it with); a request
 * without one, or with a malformed one, is refused with AWS's error types
 * (`MissingAuthenticationTokenException`, `IncompleteSignatureException`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSigV4 } from "./sigv4.ts";
 * const auth = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261201/us-east-1/lambda/aws4_request, " +
 *   "SignedHeaders=host;x-amz-date, Signature=" + "0".repeat(64);
 * const headers = { authorization: auth, "x-amz-date": "20261201T000000Z" };
 * const r = parseSigV4(new Request("http://h/", { headers }));
 * assert.ok(r.ok && r.credential.service === "lambda" && r.credential.region === "us-east-1");
 * ```
 *
 * @module
 */

/** The credential scope of a signed request. */
export interface SigV4Credential {
  accessKeyId: string;
  /** `YYYYMMDD`. */
  date: string;
  region: string;
  service: string;
}

/** Why a request is refused, as AWS words it. */
export interface SigV4Refusal {
  ok: false;
  errorType: "MissingAuthenticationTokenException" | "IncompleteSignatureException";
  message: string;
}

const ALGORITHM = "AWS4-HMAC-SHA256";

function scope(text: string): SigV4Credential | null {
  const parts = text.split("/");
  if (parts.length !== 5 || parts[4] !== "aws4_request") return null;
  const [accessKeyId, date, region, service] = parts as [string, string, string, string];
  if (accessKeyId === "" || !/^\d{8}$/.test(date) || region === "" || service === "") return null;
  return { accessKeyId, date, region, service };
}

function incomplete(message: string): SigV4Refusal {
  return { ok: false, errorType: "IncompleteSignatureException", message };
}

/**
 * Reads a request's Signature Version 4 authorization.
 *
 * @param request The request.
 * @returns The credential scope, or why the request is refused.
 */
export function parseSigV4(
  request: Request,
): { ok: true; credential: SigV4Credential } | SigV4Refusal {
  const header = request.headers.get("authorization");
  if (header === null) {
    const query = new URL(request.url).searchParams;
    if (query.get("X-Amz-Algorithm") === null) {
      return {
        ok: false,
        errorType: "MissingAuthenticationTokenException",
        message: "Missing Authentication Token",
      };
    }
    if (query.get("X-Amz-Algorithm") !== ALGORITHM) {
      return incomplete(`Unsupported X-Amz-Algorithm "${query.get("X-Amz-Algorithm")}"`);
    }
    const credential = scope(query.get("X-Amz-Credential") ?? "");
    if (!credential || !query.get("X-Amz-Signature") || !query.get("X-Amz-Date")) {
      return incomplete(
        "AWS query-string parameters must include 'X-Amz-Algorithm', 'X-Amz-Credential', " +
          "'X-Amz-Signature', 'X-Amz-Date' and 'X-Amz-SignedHeaders'",
      );
    }
    return { ok: true, credential };
  }
  const trimmed = header.trim();
  if (!trimmed.startsWith(`${ALGORITHM} `)) {
    return incomplete(
      `Authorization header requires the ${ALGORITHM} algorithm, got "${trimmed.split(" ")[0]}"`,
    );
  }
  const fields = new Map<string, string>();
  for (const part of trimmed.slice(ALGORITHM.length).split(",")) {
    const eq = part.indexOf("=");
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const missing = ["Credential", "SignedHeaders", "Signature"].filter((k) => !fields.get(k));
  if (missing.length > 0) {
    return incomplete(
      `Authorization header requires ${
        missing.map((k) => `'${k}'`).join(", ")
      } parameter(s). Authorization=${trimmed.slice(0, 80)}`,
    );
  }
  const credential = scope(fields.get("Credential")!);
  if (!credential) {
    return incomplete(
      `Credential should be scoped to a valid region and service: "${fields.get("Credential")}"`,
    );
  }
  if (!/^[0-9a-f]{64}$/.test(fields.get("Signature")!)) {
    return incomplete("Signature must be 64 hexadecimal characters");
  }
  if (!request.headers.get("x-amz-date") && !request.headers.get("date")) {
    return incomplete(
      "Authorization header requires existence of either a 'X-Amz-Date' or a " +
        "'Date' header",
    );
  }
  return { ok: true, credential };
}

/**
 * An `Authorization` header of the right shape for any key: for clients that do not sign (a
 * benchmark's bare HTTP client) talking to a server that checks the shape only.
 *
 * @param service For example `lambda`.
 * @param region Default `us-east-1`.
 * @returns The `Authorization` and `X-Amz-Date` headers.
 */
export function unsignedSigV4Headers(
  service: string,
  region = "us-east-1",
): { authorization: string; "x-amz-date": string } {
  const amzDate = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+/, "");
  return {
    authorization: `${ALGORITHM} Credential=local/${
      amzDate.slice(0, 8)
    }/${region}/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=${
      "0".repeat(64)
    }`,
    "x-amz-date": amzDate,
  };
}
