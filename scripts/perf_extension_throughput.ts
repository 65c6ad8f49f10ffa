/**
 * Extension delivery under a burst: N × 1 KB messages posted over C keep-alive connections at
 * once, per extension, against ElasticMQ — how fast each extension accepts them (202), how fast
 * they reach the queue (end to end), how many `SendMessageBatch` requests it keeps in flight and
 * how full they are, its CPU and peak RSS; beside it ElasticMQ's own ceiling, measured with a
 * plain `@aws-sdk/client-sqs` client sending `SendMessageBatch` of 10 × 1 KB with K requests in
 * flight. Needs `deno task build` first (`build/rust`, `build/js`, `build/llrt`).
 *
 * Each run starts the extension as Lambda would (lib/contract/harness.ts), talking to ElasticMQ
 * directly; the burst client is a bare HTTP/1.1 client on `Deno.connect` (cheap, so the
 * extension and ElasticMQ get the CPU), retrying a 503 after `--retry-ms`. End to end is from
 * the first POST until ElasticMQ counts every message in the queue; then SHUTDOWN, and the
 * extension's own summary line must say accepted = delivered. The outbox's bounds are raised to
 * hold the whole burst (`--outbox burst`, default) so that accepting and delivering are
 * measured apart; `--outbox contract` keeps the contract's 2,000 messages / 4 MiB (503s then
 * pace the client). One more run per extension goes through the recording proxy
 * (lib/contract/sqs_proxy.ts) to see the batches: requests, entries per request, requests in
 * flight (mean over the delivery window, and most); its rates are not used.
 *
 * Usage: `deno task perf:extension-throughput [--runs 3] [--extensions rust,node,llrt]
 * [--count 10000] [--connections 200] [--bytes 1024] [--concurrency 8] [--ceiling 1,2,4,8,16]
 * [--outbox burst|contract] [--retry-ms 10] [--no-shape]`; an extension given as
 * `label=path` (e.g. `node-old=/tmp/extension-node.mjs`) runs that build, started as the label's
 * start says.
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  SendMessageBatchCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { CONTRACT } from "../extensions/src/contract.ts";
import { lastSummary, waitForSummary, warmUp } from "../lib/contract/backlog.ts";
import { type ExtensionCommand, type Harness, startHarness } from "../lib/contract/harness.ts";
import {
  DUMMY_CREDENTIALS,
  type ElasticMQ,
  LOCAL_REGION,
  startElasticMQ,
} from "../lib/elasticmq/mod.ts";
import { builtExtensions } from "../lib/contract/built.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    runs: { type: "string", default: "3" },
    extensions: { type: "string", default: "rust,node,llrt" },
    count: { type: "string", default: "10000" },
    connections: { type: "string", default: "200" },
    bytes: { type: "string", default: "1024" },
    concurrency: { type: "string", default: String(CONTRACT.batch.concurrency.default) },
    ceiling: { type: "string", default: "1,2,4,8,16" },
    outbox: { type: "string", default: "burst" },
    "retry-ms": { type: "string", default: "10" },
    "no-shape": { type: "boolean", default: false },
  },
});

function positiveInt(name: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) {
    throw new RangeError(`--${name} must be a positive whole number, got "${raw}"`);
  }
  return n;
}

const RUNS = positiveInt("runs", values.runs);
const COUNT = positiveInt("count", values.count);
const CONNECTIONS = positiveInt("connections", values.connections);
const BYTES = positiveInt("bytes", values.bytes);
const RETRY_MS = Number(values["retry-ms"]);
const CONCURRENCIES = values.concurrency.split(",").map((c) => positiveInt("concurrency", c));
const CEILING = values.ceiling === "" || values.ceiling === "none"
  ? []
  : values.ceiling.split(",").map((c) => positiveInt("ceiling", c));
if (values.outbox !== "burst" && values.outbox !== "contract") {
  throw new RangeError(`--outbox must be burst or contract, got "${values.outbox}"`);
}
const OUTBOX_ENV: Record<string, string> = values.outbox === "burst"
  ? {
    [CONTRACT.outbox.maxMessages.variable]: String(COUNT),
    [CONTRACT.outbox.maxBytes.variable]: String(COUNT * (BYTES + 64)),
  }
  : {};

const EXTENSIONS: Record<string, ExtensionCommand> = builtExtensions();
// `label=path` runs another build beside the current one (e.g. `node-old=/tmp/extension-node.mjs`):
// the label's start (rust, node, llrt) says how to start it.
const names = values.extensions.split(",");
for (const spec of names) {
  const [label, path] = spec.split("=", 2) as [string, string | undefined];
  const kind = ["rust", "node", "llrt"].find((k) => label.startsWith(k));
  if (kind === undefined || (path === undefined && !EXTENSIONS[label])) {
    throw new RangeError(`Unknown extension "${spec}": use rust, node or llrt (or label=path)`);
  }
  if (path !== undefined) {
    const base = EXTENSIONS[kind]!;
    EXTENSIONS[label] = kind === "rust"
      ? { command: path }
      : { ...base, args: [...(base.args ?? []).slice(0, -1), path] };
  }
}
names.splice(0, names.length, ...names.map((spec) => spec.split("=", 1)[0]!));

// ---------------------------------------------------------------------------------------------
// Measuring helpers

/** User + system CPU of a live process, ms (`/proc/<pid>/stat`), or null once it is gone. */
function cpuMsOf(pid: number): number | null {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return null;
  }
}

/** Peak RSS of a live process in MB (`VmHWM`), or NaN. */
function peakRssMb(pid: number): number {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
  } catch {
    return NaN;
  }
}

/** Busy CPU time of the whole host so far, ms (all cores; `/proc/stat`). */
function hostBusyMs(): number {
  const line = Deno.readTextFileSync("/proc/stat").split("\n")[0]!;
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  const busy = f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + f[7]!;
  return (busy * 1000) / 100;
}

const median = (xs: number[]) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

function approximateCount(client: SQSClient, queueUrl: string): Promise<number> {
  return client.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ["ApproximateNumberOfMessages"],
    }),
  ).then((out) => Number(out.Attributes?.ApproximateNumberOfMessages ?? 0));
}

// ---------------------------------------------------------------------------------------------
// The burst client: bare HTTP/1.1 over Deno.connect, one request at a time per connection.

const encoder = new TextEncoder();
const CRLFCRLF = encoder.encode("\r\n\r\n");

function indexOf(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  outer: for (let i = from; i <= haystack.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** One keep-alive connection to the extension. */
class Connection {
  #conn: Deno.TcpConn;
  #buf = new Uint8Array(0);
  #chunk = new Uint8Array(16 * 1024);
  #decoder = new TextDecoder();

  constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
  }

  static async open(port: number): Promise<Connection> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.setNoDelay(true);
    return new Connection(conn);
  }

  /** Sends one request and returns the response's status. */
  async post(request: Uint8Array): Promise<number> {
    let written = 0;
    while (written < request.length) written += await this.#conn.write(request.subarray(written));
    for (;;) {
      const end = indexOf(this.#buf, CRLFCRLF, 0);
      if (end >= 0) {
        const head = this.#decoder.decode(this.#buf.subarray(0, end));
        const status = Number(head.slice(9, 12));
        const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
        const total = end + 4 + length;
        if (this.#buf.length >= total) {
          this.#buf = this.#buf.slice(total);
          if (status === 100) continue;
          return status;
        }
      }
      const n = await this.#conn.read(this.#chunk);
      if (n === null) throw new Error("The extension closed the connection");
      const next = new Uint8Array(this.#buf.length + n);
      next.set(this.#buf);
      next.set(this.#chunk.subarray(0, n), this.#buf.length);
      this.#buf = next;
    }
  }

  close(): void {
    try {
      this.#conn.close();
    } catch { /* closed already */ }
  }
}

function messageRequest(body: string): Uint8Array {
  const bytes = encoder.encode(body);
  const head = encoder.encode(
    `POST ${CONTRACT.paths.messages} HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
      `Content-Type: text/plain\r\nContent-Length: ${bytes.length}\r\n\r\n`,
  );
  const out = new Uint8Array(head.length + bytes.length);
  out.set(head);
  out.set(bytes, head.length);
  return out;
}

// ---------------------------------------------------------------------------------------------
// One burst

interface BurstResult {
  acceptMs: number;
  endToEndMs: number;
  acceptRate: number;
  endToEndRate: number;
  turnedAway: number;
  cpuMs: number;
  peakRssMb: number;
  hostBusyMs: number;
  jvmCpuMs: number;
  summaryOk: boolean;
  summary: string;
  /** From the proxy run only. */
  shape?: {
    requests: number;
    entriesPerRequest: number;
    meanInFlight: number;
    maxInFlight: number;
  };
}

let jvmPid: number | null = null;

async function burst(
  name: string,
  concurrency: number,
  sqs: ElasticMQ,
  run: number,
  viaProxy: boolean,
): Promise<BurstResult> {
  const h: Harness = await startHarness(EXTENSIONS[name]!, sqs, {
    direct: !viaProxy,
    env: { ...OUTBOX_ENV, [CONTRACT.batch.concurrency.variable]: String(concurrency) },
  });
  try {
    const requests = Array.from(
      { length: COUNT },
      (_, i) => messageRequest(`${run}:${String(i).padStart(6, "0")}:`.padEnd(BYTES, "x")),
    );
    const connections = await Promise.all(
      Array.from({ length: CONNECTIONS }, () => Connection.open(h.port)),
    );
    const cpu0 = cpuMsOf(h.pid) ?? NaN;
    const host0 = hostBusyMs();
    const jvm0 = jvmPid === null ? NaN : cpuMsOf(jvmPid) ?? NaN;
    let next = 0;
    let turnedAway = 0;
    let lastAcceptedAt = 0;
    let queued = 0;
    let done = false;
    const started = performance.now();
    // Count what reached the queue while the burst goes on (one cheap request every 20 ms).
    const counting = (async () => {
      while (!done) {
        queued = await approximateCount(sqs.client, h.queueUrl);
        if (queued >= COUNT) return performance.now();
        await new Promise((r) => setTimeout(r, 20));
      }
      return NaN;
    })();
    await Promise.all(connections.map(async (c) => {
      while (next < COUNT) {
        const request = requests[next++]!;
        for (;;) {
          const status = await c.post(request);
          if (status === 202) break;
          if (status !== 503) throw new Error(`POST /messages answered ${status}`);
          turnedAway += 1;
          await new Promise((r) => setTimeout(r, RETRY_MS));
        }
        lastAcceptedAt = performance.now();
      }
    }));
    for (const c of connections) c.close();
    const timeout = setTimeout(() => done = true, 60_000);
    const reachedAt = await counting;
    clearTimeout(timeout);
    done = true;
    const cpu1 = cpuMsOf(h.pid) ?? NaN;
    const host1 = hostBusyMs();
    const jvm1 = jvmPid === null ? NaN : cpuMsOf(jvmPid) ?? NaN;
    const rss = peakRssMb(h.pid);
    h.api.shutdown({ deadlineMs: Date.now() + 2_000 });
    await h.waitForExit(3_000);
    const summary = await waitForSummary(h, "shutdown") ?? lastSummary(h.log(), "shutdown");
    const summaryOk = summary !== null && Number(summary.accepted) === COUNT &&
      Number(summary.delivered) === COUNT;
    let shape: BurstResult["shape"];
    if (viaProxy) {
      const batches = h.proxy.batches.filter((b) => b.status === 200);
      const first = Math.min(...batches.map((b) => b.startedAt));
      const last = Math.max(...batches.map((b) => b.endedAt));
      const busy = batches.reduce((s, b) => s + (b.endedAt - b.startedAt), 0);
      const events = batches.flatMap((b) => [[b.startedAt, 1], [b.endedAt, -1]] as const)
        .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      let now = 0;
      let most = 0;
      for (const [, d] of events) most = Math.max(most, now += d);
      shape = {
        requests: batches.length,
        entriesPerRequest: batches.reduce((s, b) => s + b.bodyBytes.length, 0) / batches.length,
        meanInFlight: busy / (last - first),
        maxInFlight: most,
      };
    }
    const endToEndMs = reachedAt - started;
    const acceptMs = lastAcceptedAt - started;
    return {
      acceptMs,
      endToEndMs,
      acceptRate: COUNT / (acceptMs / 1000),
      endToEndRate: COUNT / (endToEndMs / 1000),
      turnedAway,
      cpuMs: cpu1 - cpu0,
      peakRssMb: rss,
      hostBusyMs: host1 - host0,
      jvmCpuMs: jvm1 - jvm0,
      summaryOk,
      summary: summary === null
        ? "no summary line"
        : `accepted ${summary.accepted}, delivered ${summary.delivered} ` +
          `(${summary.deliveredOnRetry} after a retry)`,
      ...(shape ? { shape } : {}),
    };
  } finally {
    await h.close();
    await sqs.client.send(new DeleteQueueCommand({ QueueUrl: h.queueUrl })).catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------
// ElasticMQ's own ceiling: a plain SDK client, SendMessageBatch of 10 × BYTES, K in flight.

async function ceiling(sqs: ElasticMQ, inFlight: number, run: number) {
  const client = new SQSClient({
    endpoint: sqs.endpoint,
    region: LOCAL_REGION,
    credentials: DUMMY_CREDENTIALS,
  });
  const queueUrl = await sqs.createQueue(`ceiling-${Deno.pid}-${inFlight}-${run}`);
  try {
    let left = Math.ceil(COUNT / 10);
    let seq = 0;
    const host0 = hostBusyMs();
    const jvm0 = jvmPid === null ? NaN : cpuMsOf(jvmPid) ?? NaN;
    const self0 = cpuMsOf(Deno.pid) ?? NaN;
    const started = performance.now();
    await Promise.all(Array.from({ length: inFlight }, async () => {
      while (left-- > 0) {
        const Entries = Array.from({ length: 10 }, (_, i) => ({
          Id: String(i),
          MessageBody: `${run}:${seq++}:`.padEnd(BYTES, "c"),
        }));
        const out = await client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries }));
        if ((out.Failed ?? []).length > 0) throw new Error("ElasticMQ refused entries");
      }
    }));
    const ms = performance.now() - started;
    const self1 = cpuMsOf(Deno.pid) ?? NaN;
    const jvm1 = jvmPid === null ? NaN : cpuMsOf(jvmPid) ?? NaN;
    const host1 = hostBusyMs();
    const count = await approximateCount(client, queueUrl);
    if (count !== Math.ceil(COUNT / 10) * 10) throw new Error(`Ceiling run: ${count} in queue`);
    return {
      rate: count / (ms / 1000),
      clientCpuMs: self1 - self0,
      jvmCpuMs: jvm1 - jvm0,
      hostBusyMs: host1 - host0,
      ms,
    };
  } finally {
    await client.send(new DeleteQueueCommand({ QueueUrl: queueUrl })).catch(() => {});
    client.destroy();
  }
}

// ---------------------------------------------------------------------------------------------

const fmt = (n: number, digits = 0) =>
  Number.isFinite(n)
    ? n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : "?";
const load = () => Number(Deno.readTextFileSync("/proc/loadavg").split(" ")[0]);

await using sqs = await startElasticMQ();
jvmPid = sqs.jvmPid;
await warmUp(sqs, 20_000);
console.log(
  `${COUNT} × ${BYTES} B over ${CONNECTIONS} connections, outbox ${values.outbox}, ` +
    `${RUNS} runs each (medians), host load ${
      load().toFixed(1)
    } at start, ${navigator.hardwareConcurrency} CPUs`,
);

if (CEILING.length > 0) {
  console.log(
    "\nElasticMQ ceiling: @aws-sdk/client-sqs, SendMessageBatch 10 × " +
      `${BYTES} B, K requests in flight`,
  );
  console.log("   K    msg/s   client CPU ms   ElasticMQ CPU ms   host busy ms   wall ms");
  for (const k of CEILING) {
    const rs = [];
    for (let run = 1; run <= RUNS; run++) rs.push(await ceiling(sqs, k, run));
    console.log(
      `${String(k).padStart(4)} ${fmt(median(rs.map((r) => r.rate))).padStart(8)} ` +
        `${fmt(median(rs.map((r) => r.clientCpuMs))).padStart(15)} ` +
        `${fmt(median(rs.map((r) => r.jvmCpuMs))).padStart(18)} ` +
        `${fmt(median(rs.map((r) => r.hostBusyMs))).padStart(14)} ` +
        `${fmt(median(rs.map((r) => r.ms))).padStart(9)}`,
    );
  }
}

console.log(
  "\nextension  in flight  accept msg/s  end-to-end msg/s  turned away  CPU ms  " +
    "ElasticMQ CPU ms  host busy ms  peak RSS MB  batches  entries/batch  in flight mean/max",
);
for (const name of names) {
  for (const concurrency of CONCURRENCIES) {
    const rs: BurstResult[] = [];
    for (let run = 1; run <= RUNS; run++) {
      const r = await burst(name, concurrency, sqs, run, false);
      if (!r.summaryOk) console.error(`${name} run ${run}: ${r.summary}`);
      rs.push(r);
    }
    const shape = values["no-shape"]
      ? undefined
      : (await burst(name, concurrency, sqs, RUNS + 1, true)).shape;
    const lost = rs.filter((r) => !r.summaryOk).length;
    console.log(
      `${name.padEnd(10)} ${String(concurrency).padStart(9)} ` +
        `${fmt(median(rs.map((r) => r.acceptRate))).padStart(13)} ` +
        `${fmt(median(rs.map((r) => r.endToEndRate))).padStart(17)} ` +
        `${fmt(median(rs.map((r) => r.turnedAway))).padStart(12)} ` +
        `${fmt(median(rs.map((r) => r.cpuMs))).padStart(7)} ` +
        `${fmt(median(rs.map((r) => r.jvmCpuMs))).padStart(17)} ` +
        `${fmt(median(rs.map((r) => r.hostBusyMs))).padStart(13)} ` +
        `${fmt(median(rs.map((r) => r.peakRssMb))).padStart(12)} ` +
        (shape
          ? `${String(shape.requests).padStart(8)} ${
            fmt(shape.entriesPerRequest, 1).padStart(14)
          } ` +
            `${fmt(shape.meanInFlight, 1).padStart(11)}/${shape.maxInFlight}`
          : "") +
        (lost > 0 ? `  ${lost} run(s) not all delivered` : ""),
    );
    console.log(
      `${"".padEnd(10)} runs: end to end ${rs.map((r) => fmt(r.endToEndRate)).join(", ")}` +
        `; load ${load().toFixed(1)}`,
    );
  }
}
