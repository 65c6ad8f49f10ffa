/**
 * Function URLs (auth type NONE, payload format 2.0): an HTTP request becomes the event Lambda
 * builds for a Function URL, and the function's answer becomes the HTTP response by Lambda's
 * rules (an object with `statusCode` is a response; any other JSON is a 200
 * `application/json` body; a failed function is a 502).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { urlEvent, urlResponse } from "./function_url.ts";
 * const event = await urlEvent(new Request("http://h/a?x=1", { method: "POST", body: "hi" }), {
 *   rawPath: "/a", requestId: "r1", domainName: "h",
 * });
 * assert.equal(event.rawQueryString, "x=1");
 * const res = urlResponse({ body: new TextEncoder().encode('{"statusCode":201,"body":"ok"}'), functionError: null });
 * assert.equal(res.status, 201);
 * ```
 *
 * @module
 */
/** Where the request came in. */
export interface UrlRequestFacts {
  /** The path after the function's URL prefix, starting with `/`. */
  rawPath: string;
  requestId: string;
  domainName: string;
  sourceIp?: string;
}

const TEXT_TYPES =
  /^(text\/|application\/(json|xml|javascript|x-www-form-urlencoded)|.*\+json|.*\+xml)/i;

function encodeBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

function clfTime(d: Date): string {
  const months = [
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
  ];
  const p = (n: number) => String(n).padStart(2, "0");
  return `${p(d.getUTCDate())}/${months[d.getUTCMonth()]}/${d.getUTCFullYear()}:${
    p(d.getUTCHours())
  }:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

/**
 * The payload format 2.0 event of a Function URL request.
 *
 * @param request The HTTP request (its body is read).
 * @param facts Path, request id, domain and source address.
 * @returns The event.
 */
export async function urlEvent(
  request: Request,
  facts: UrlRequestFacts,
): Promise<Record<string, unknown>> {
  const url = new URL(request.url);
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (const [name, value] of request.headers) {
    if (name === "cookie") cookies = value.split(/;\s*/).filter((c) => c !== "");
    else headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = k in query ? `${query[k]},${v}` : v;
  const bytes = new Uint8Array(await request.arrayBuffer());
  const type = request.headers.get("content-type") ?? "";
  let body: string | undefined;
  let isBase64Encoded = false;
  if (bytes.length > 0) {
    let text: string | null = null;
    if (type === "" || TEXT_TYPES.test(type)) {
      try {
        text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
      } catch {
        text = null;
      }
    }
    if (text === null) {
      body = encodeBase64(bytes);
      isBase64Encoded = true;
    } else body = text;
  }
  const now = new Date();
  const urlId = facts.domainName.split(".")[0] ?? "local";
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: facts.rawPath,
    rawQueryString: url.search.replace(/^\?/, ""),
    ...(cookies ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: "anonymous",
      apiId: urlId,
      domainName: facts.domainName,
      domainPrefix: urlId,
      http: {
        method: request.method,
        path: facts.rawPath,
        protocol: "HTTP/1.1",
        sourceIp: facts.sourceIp ?? "127.0.0.1",
        userAgent: request.headers.get("user-agent") ?? "",
      },
      requestId: facts.requestId,
      routeKey: "$default",
      stage: "$default",
      time: clfTime(now),
      timeEpoch: now.getTime(),
    },
    ...(body === undefined ? {} : { body }),
    isBase64Encoded,
  };
}

/**
 * The HTTP response of a Function URL, from the function's answer.
 *
 * @param outcome The function's response (or error document) and whether it failed.
 * @param requestId Sent as `x-amzn-RequestId`.
 * @returns The response.
 */
export function urlResponse(
  outcome: { body: Uint8Array; functionError: string | null },
  requestId = "",
): Response {
  const base: Record<string, string> = requestId === "" ? {} : { "x-amzn-requestid": requestId };
  if (outcome.functionError !== null) {
    return new Response(JSON.stringify({ Message: "Internal Server Error" }), {
      status: 502,
      headers: { ...base, "content-type": "application/json", "x-amzn-errortype": "Unhandled" },
    });
  }
  const text = new TextDecoder().decode(outcome.body);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (parsed && typeof parsed === "object" && !Array.isArray(parsed) && "statusCode" in parsed) {
    const r = parsed as {
      statusCode?: unknown;
      headers?: Record<string, unknown>;
      cookies?: unknown[];
      body?: unknown;
      isBase64Encoded?: boolean;
    };
    const status = Number(r.statusCode);
    const headers = new Headers(base);
    for (const [k, v] of Object.entries(r.headers ?? {})) headers.set(k, String(v));
    for (const c of r.cookies ?? []) headers.append("set-cookie", String(c));
    let body: BodyInit | null = null;
    if (typeof r.body === "string") {
      body = r.isBase64Encoded ? Uint8Array.from(atob(r.body), (c) => c.charCodeAt(0)) : r.body;
    } else if (r.body !== undefined && r.body !== null) body = JSON.stringify(r.body);
    if (!headers.has("content-type") && body !== null) {
      headers.set("content-type", "application/json");
    }
    const valid = Number.isInteger(status) && status >= 100 && status <= 599;
    return new Response(status === 204 || status === 304 ? null : body, {
      status: valid ? status : 502,
      headers,
    });
  }
  return new Response(outcome.body as Uint8Array<ArrayBuffer>, {
    status: 200,
    headers: { ...base, "content-type": "application/json" },
  });
}
