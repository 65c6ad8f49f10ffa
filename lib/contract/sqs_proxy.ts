/**
 * A recording HTTP proxy between an extension and ElasticMQ: it forwards every SQS request and
 * notes its action, its entries and when its answer went back, so a test can count batches.
 * Understands both SQS wire protocols (AWS JSON 1.0 and the older query protocol).
 *
 * @module
 */

/** One SQS request seen by the proxy. */
export interface SqsCall {
  /** `SendMessageBatch`, `SendMessage`, ... (empty when unknown). */
  action: string;
  /** UTF-8 byte length of each message body in the request, in entry order. */
  bodyBytes: number[];
  /** HTTP status returned to the client (502 when the upstream was unreachable). */
  status: number;
  /** Entries the upstream reported as failed (`Failed` of a batch answer). */
  failed: number;
  /** `performance.now()` when the request arrived and when its answer was sent. */
  startedAt: number;
  endedAt: number;
}

const encoder = new TextEncoder();

/** Reads the action and message bodies of one SQS request body. */
export function parseSqsRequest(
  target: string | null,
  body: string,
): { action: string; bodies: string[] } {
  if (target) {
    const action = target.replace(/^AmazonSQS\./, "");
    let parsed: { Entries?: { MessageBody?: string }[]; MessageBody?: string } = {};
    try {
      parsed = JSON.parse(body);
    } catch { /* not JSON: no bodies */ }
    const bodies = parsed.Entries
      ? parsed.Entries.map((e) => e.MessageBody ?? "")
      : parsed.MessageBody === undefined
      ? []
      : [parsed.MessageBody];
    return { action, bodies };
  }
  const form = new URLSearchParams(body);
  const bodies = [...form.entries()]
    .filter(([k]) => /^(SendMessageBatchRequestEntry\.\d+\.)?MessageBody$/.test(k))
    .map(([, v]) => v);
  return { action: form.get("Action") ?? "", bodies };
}

function countFailed(text: string): number {
  try {
    const parsed = JSON.parse(text) as { Failed?: unknown[] };
    return parsed.Failed?.length ?? 0;
  } catch {
    return (text.match(/<BatchResultErrorEntry>/g) ?? []).length;
  }
}

const HOP_BY_HOP = ["host", "connection", "content-length", "keep-alive", "transfer-encoding"];

/** The recording proxy. Start it with {@linkcode startSqsProxy}. */
export class SqsProxy implements AsyncDisposable {
  /** Every request, in arrival order. */
  readonly calls: SqsCall[] = [];
  #server: Deno.HttpServer<Deno.NetAddr>;
  #upstream: string;
  #held: Promise<void> | null = null;
  #release: () => void = () => {};

  constructor(upstream: string) {
    this.#upstream = upstream.replace(/\/$/, "");
    this.#server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      (req) => this.#forward(req),
    );
  }

  /** `http://127.0.0.1:<port>`: what the extension gets as `AWS_ENDPOINT_URL_SQS`. */
  get endpoint(): string {
    return `http://127.0.0.1:${this.#server.addr.port}`;
  }

  /** The `SendMessageBatch` calls only. */
  get batches(): SqsCall[] {
    return this.calls.filter((c) => c.action === "SendMessageBatch");
  }

  /**
   * Holds every request from now on (SQS seems slow: the extension's requests stay in flight)
   * until {@linkcode SqsProxy.release}. Held requests are forwarded even if their client gave
   * up meanwhile, so hold for less than the extensions' attempt timeout (5 s) to keep retries,
   * and so duplicates, out of a test.
   */
  hold(): void {
    this.#held ??= new Promise((resolve) => this.#release = resolve);
  }

  /** Forwards the held requests and stops holding. */
  release(): void {
    this.#held = null;
    this.#release();
  }

  /** Stops serving (releasing what is held). */
  async close(): Promise<void> {
    this.release();
    await this.#server.shutdown();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #forward(req: Request): Promise<Response> {
    const startedAt = performance.now();
    const body = await req.text();
    const { action, bodies } = parseSqsRequest(req.headers.get("x-amz-target"), body);
    const headers = new Headers(req.headers);
    for (const h of HOP_BY_HOP) headers.delete(h);
    const url = new URL(req.url);
    let status = 502;
    let text = "";
    let responseHeaders = new Headers({ "content-type": "application/json" });
    if (this.#held) await this.#held;
    try {
      const res = await fetch(`${this.#upstream}${url.pathname}${url.search}`, {
        method: req.method,
        headers,
        ...(req.method === "GET" || req.method === "HEAD" ? {} : { body }),
      });
      status = res.status;
      text = await res.text();
      responseHeaders = new Headers(res.headers);
      for (const h of HOP_BY_HOP) responseHeaders.delete(h);
    } catch (err) {
      text = JSON.stringify({
        __type: "com.amazonaws.sqs#ServiceUnavailable",
        message: `SQS upstream unreachable: ${err instanceof Error ? err.message : err}`,
      });
    }
    this.calls.push({
      action,
      bodyBytes: bodies.map((b) => encoder.encode(b).length),
      status,
      failed: status === 200 ? countFailed(text) : 0,
      startedAt,
      endedAt: performance.now(),
    });
    return new Response(text, { status, headers: responseHeaders });
  }
}

/**
 * Starts a recording proxy on 127.0.0.1 at a free port.
 *
 * @param upstream The SQS endpoint to forward to, e.g. `ElasticMQ.endpoint`.
 * @returns The proxy.
 * @example
 * ```ts
 * await using proxy = startSqsProxy("http://127.0.0.1:9324");
 * // AWS_ENDPOINT_URL_SQS=proxy.endpoint
 * console.log(proxy.batches.map((b) => b.bodyBytes.length));
 * ```
 */
export function startSqsProxy(upstream: string): SqsProxy {
  return new SqsProxy(upstream);
}
