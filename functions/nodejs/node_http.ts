/**
 * A `fetch`-shaped POST over `node:http`, for the handler on Node.js. Node's global `fetch`
 * loads and compiles its HTTP stack on first use (≈150 ms of a cold invocation at 512 MB),
 * which would read as extension overhead in the first invocation; `node:http` is part of the
 * runtime's snapshot. LLRT has no `node:http` and keeps the global `fetch`.
 *
 * @module
 */
import type * as http from "node:http";

/**
 * Makes the `fetch` subset the handler uses (method, headers, string body; status and text).
 *
 * @param httpModule `node:http`.
 * @returns A function callable like `fetch(url, init)`.
 */
export function httpFetch(httpModule: typeof http): typeof fetch {
  const agent = new httpModule.Agent({ keepAlive: true });
  const post = (input: string | URL | Request, init: RequestInit = {}): Promise<Response> =>
    new Promise((resolve, reject) => {
      const url = new URL(typeof input === "string" || input instanceof URL ? input : input.url);
      const body = typeof init.body === "string" ? init.body : "";
      const headers: Record<string, string> = {
        ...(init.headers as Record<string, string> | undefined),
        "Content-Length": String(Buffer.byteLength(body)),
      };
      const req = httpModule.request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          path: url.pathname + url.search,
          method: init.method ?? "GET",
          headers,
        },
        (res) => {
          const chunks: Uint8Array[] = [];
          res.on("data", (c: Uint8Array) => chunks.push(c));
          res.on("error", reject);
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            resolve({ status: res.statusCode ?? 0, text: () => Promise.resolve(text) } as Response);
          });
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  return post as typeof fetch;
}
