/**
 * A tiny stand-in for the Lambda Runtime API (`/2018-06-01/runtime/...`), enough to drive a
 * custom runtime through a fixed list of events in tests. Not the project's sandbox: it has no
 * lifecycle rules beyond "one event per `/next`, then hold `/next` open".
 *
 * @module
 */
import {
  RUNTIME_API_BASE as BASE,
  RUNTIME_HEADERS,
  RUNTIME_ROUTES,
  SANDBOX_ACCOUNT_ID,
} from "../lambda/wire.ts";

/** One request the runtime made, as the fake recorded it. */
export interface RecordedCall {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** A running fake; `close()` releases held requests and stops the server. */
export interface FakeRuntimeApi {
  /** `host:port`, the value for `AWS_LAMBDA_RUNTIME_API`. */
  address: string;
  /** Every call so far, in arrival order. */
  calls: RecordedCall[];
  /** Resolves with the calls once `done(calls)` holds; rejects after `timeoutMs` (10 s). */
  waitUntil(done: (calls: RecordedCall[]) => boolean, timeoutMs?: number): Promise<RecordedCall[]>;
  close(): Promise<void>;
}

/**
 * Starts the fake on an ephemeral loopback port.
 *
 * @param events Payloads handed out by `/invocation/next`, in order; request ids are
 *   `req-1`, `req-2`, ...
 * @returns The running fake.
 */
export function startFakeRuntimeApi(events: unknown[]): FakeRuntimeApi {
  const calls: RecordedCall[] = [];
  const held: Array<() => void> = [];
  let served = 0;
  let notify = () => {};

  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      const url = new URL(request.url);
      const call: RecordedCall = {
        method: request.method,
        path: url.pathname,
        headers: Object.fromEntries(request.headers),
        body: await request.text(),
      };
      calls.push(call);
      notify();
      if (request.method === "GET" && url.pathname === `${BASE}/${RUNTIME_ROUTES.next}`) {
        if (served < events.length) {
          served += 1;
          return new Response(JSON.stringify(events[served - 1]), {
            headers: {
              "content-type": "application/json",
              [RUNTIME_HEADERS.requestId]: `req-${served}`,
              [RUNTIME_HEADERS.deadlineMs]: String(Date.now() + 30_000),
              [RUNTIME_HEADERS.invokedFunctionArn]:
                `arn:aws:lambda:us-east-1:${SANDBOX_ACCOUNT_ID}:function:battle-test`,
              [RUNTIME_HEADERS.traceId]: `Root=1-00000000-00000000000000000000000${served}`,
            },
          });
        }
        await new Promise<void>((resolve) => held.push(resolve));
        return new Response(JSON.stringify({ errorType: "Shutdown" }), { status: 410 });
      }
      if (request.method === "POST" && url.pathname.startsWith(BASE)) {
        return Response.json({ status: "OK" }, { status: 202 });
      }
      return Response.json({ errorType: "NotFound" }, { status: 404 });
    },
  );

  return {
    address: `127.0.0.1:${server.addr.port}`,
    calls,
    waitUntil(done, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          notify = () => {};
          reject(new Error(`Timed out; calls so far: ${JSON.stringify(calls)}`));
        }, timeoutMs);
        notify = () => {
          if (done(calls)) {
            clearTimeout(timer);
            notify = () => {};
            resolve(calls);
          }
        };
        notify();
      });
    },
    async close() {
      for (const release of held.splice(0)) release();
      await server.shutdown();
    },
  };
}
