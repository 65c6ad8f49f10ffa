/**
 * `deno task perf:sandbox`: what the local sandbox itself costs.
 *
 * - Warm: invoke → response of a no-op `provided` runtime (`noop-bootstrap` of rust/conformance:
 *   plain `std::net`, one keep-alive connection, no work of its own; a release build, static
 *   where the host allows, into `build/rust/noop-bootstrap`) beside a bare loopback HTTP
 *   round trip from another process (the same program's `--ping` mode against Deno.serve) and
 *   within this process (fetch → Deno.serve). The sandbox's path is one long-poll answer to the
 *   runtime plus the runtime's POST of its response: one cross-process round trip is its floor.
 *   Since the series are measured one after another, a shared host's load between them moves
 *   their ratio (the p99 most); so the warm invocations are also paired sample by sample with
 *   the same round trip driven from this process (a bare long poll on Deno.serve, in alternating
 *   order): that ratio is the sandbox's own overhead, and the target is 1.5× at the median and
 *   the p99. A bare Deno.serve speaking only that protocol to the same
 *   bootstrap (the same event headers, so the bootstrap's parsing is alike) shows what is left
 *   for the sandbox's own bookkeeping; the same bare long poll on the sandbox's own HTTP/1.1
 *   server (lib/sandbox/http1.ts) is the floor of the transport it uses, at the median and the
 *   p99 (on a shared host the p99 of even that bare poll swings with the host). The thaw
 *   (`Sandbox.lastThawMs`) is shown on its own and subtracted: Lambda also thaws the environment
 *   for each warm event.
 * - Cold: invoke → response right after a reset (Init included) beside a bare process spawn
 *   (`/bin/true`, spawn to exit).
 *
 * - Both, `--runs` times (default 5), each run's ratios in a table and their spread at the end;
 *   the cold floor also beside a bare spawn of the no-op bootstrap until its first `/next`.
 *
 * Flags: `--warm N` (default 2000), `--cold N` (default 20), `--memory MB` (default 1769, one
 * full vCPU so the CPU quota does not dominate), `--no-freeze` (leave the environment running
 * between invocations, to see what the freezer costs), `--fallback` (no cgroups: SIGSTOP),
 * `--no-launcher` (start processes through setsid and a `sh` prelude, as without the launcher).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { BUILD_DIR } from "../lib/paths.ts";
import { buildRustExtension } from "../lib/build/rust.ts";
import { Sandbox } from "../lib/sandbox/sandbox.ts";
import { Http1Server, Later, prebuilt, rawResponse } from "../lib/sandbox/http1.ts";
import { fmt, type Stats, stats } from "./_bench.ts";
import { busyNote, type HostLoad, hostLoad, sampleHost } from "../lib/bench/host_load.ts";

const ARN = "arn:aws:lambda:us-east-1:123456789012:function:noop";
const TRACE = "Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0";

async function bareRoundTrips(n: number): Promise<number[]> {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response('{"status":"OK"}'),
  );
  const url = `http://127.0.0.1:${server.addr.port}/`;
  const times: number[] = [];
  try {
    for (let i = 0; i < n + 50; i++) {
      const t0 = performance.now();
      const res = await fetch(url, { method: "POST", body: "{}" });
      await res.arrayBuffer();
      if (i >= 50) times.push(performance.now() - t0);
    }
  } finally {
    await server.shutdown();
  }
  return times;
}

/** The headers every Runtime API event carries, so both sides parse the same response. */
function eventHeaders(i: number): Record<string, string> {
  return {
    "content-type": "application/json",
    "lambda-runtime-aws-request-id": `r${i}`,
    "lambda-runtime-deadline-ms": String(Date.now() + 3000),
    "lambda-runtime-invoked-function-arn": ARN,
    "lambda-runtime-trace-id": TRACE,
  };
}

/** Answers a held `/next`: with event number `i`, or with 410 (null) when the series ends. */
type Answer = (i: number | null) => void;

/** A bare long-poll server: `hold` gets each `/next` to answer, `posted` hears each POST. */
type BareServer = (
  hold: (answer: Answer) => void,
  posted: () => void,
) => { port: number; close: () => Promise<void> };

/**
 * The sandbox's protocol with nothing else: a bare server that answers the no-op bootstrap's
 * pending `/next` and waits for its `/response`. Each sample is one cross-process round trip
 * driven from this process (the answer written, the bootstrap woken, its POST read back), timed
 * from the answer to the POST as the sandbox's invoke→response is.
 */
class PollPeer {
  #pending: Answer | null = null;
  #answered: (() => void) | null = null;
  #ready: (() => void) | null = null;
  #server: { port: number; close: () => Promise<void> };
  #child: Deno.ChildProcess;
  #i = 0;

  constructor(bin: string, serve: BareServer) {
    this.#server = serve((answer) => {
      this.#pending = answer;
      this.#ready?.();
    }, () => this.#answered?.());
    this.#child = new Deno.Command(bin, {
      env: { AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${this.#server.port}` },
      stdout: "null",
      stderr: "null",
    }).spawn();
  }

  /** One round trip, in ms. */
  async once(): Promise<number> {
    if (this.#pending === null) await new Promise<void>((r) => (this.#ready = r));
    const done = new Promise<void>((r) => (this.#answered = r));
    const t0 = performance.now();
    const reply = this.#pending!;
    this.#pending = null;
    reply(this.#i++);
    await done;
    return performance.now() - t0;
  }

  async close(): Promise<void> {
    this.#child.kill("SIGKILL");
    await this.#child.status;
    this.#pending?.(null);
    await this.#server.close();
  }
}

/** `n` round trips of a {@link PollPeer} (after 50 not counted). */
async function bareLongPolls(bin: string, n: number, serve: BareServer): Promise<number[]> {
  const peer = new PollPeer(bin, serve);
  const times: number[] = [];
  try {
    for (let i = 0; i < n + 50; i++) {
      const ms = await peer.once();
      if (i >= 50) times.push(ms);
    }
  } finally {
    await peer.close();
  }
  return times;
}

/**
 * The warm invocation and its floor sample by sample: each warm invoke→response beside one bare
 * long poll on Deno.serve (a cross-process loopback round trip of the same bootstrap, driven from
 * this process), in alternating order, so both see the same moment of a shared host and the same
 * state of this process (its garbage collector included). The ratio of the two is then the
 * sandbox's own overhead, not the host's load between two series.
 */
async function pairedWarm(
  sb: Sandbox,
  bin: string,
  n: number,
  payload: Uint8Array,
): Promise<{ warm: number[]; poll: number[] }> {
  const peer = new PollPeer(bin, onDenoServe);
  const warm: number[] = [];
  const poll: number[] = [];
  const invoke = async () => {
    const res = await sb.invoke(payload);
    if (res.status !== "success") throw new Error(`warm invoke failed: ${res.errorType}`);
    return res.clientRttMs;
  };
  try {
    for (let i = 0; i < n + 50; i++) {
      let w: number, p: number;
      if (i % 2 === 0) {
        w = await invoke();
        p = await peer.once();
      } else {
        p = await peer.once();
        w = await invoke();
      }
      if (i < 50) continue;
      warm.push(w);
      poll.push(p);
    }
  } finally {
    await peer.close();
  }
  return { warm, poll };
}

/** On Deno.serve: the floor of any Runtime API server written on it. */
const onDenoServe: BareServer = (hold, posted) => {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    if (req.method === "GET") {
      return await new Promise<Response>((resolve) =>
        hold((i) =>
          resolve(
            i === null
              ? new Response(null, { status: 410 })
              : new Response("{}", { headers: eventHeaders(i) }),
          )
        )
      );
    }
    await req.arrayBuffer();
    posted();
    return new Response('{"status":"OK"}', { status: 202 });
  });
  return { port: server.addr.port, close: () => server.shutdown() };
};

/**
 * On the sandbox's own HTTP/1.1 server (lib/sandbox/http1.ts): the floor of the transport the
 * sandbox uses, so what the sandbox adds on top is its bookkeeping.
 */
const onOwnServer: BareServer = (hold, posted) => {
  const accepted = prebuilt(
    rawResponse(202, { "content-type": "application/json" }, '{"status":"OK"}'),
  );
  const server = Http1Server.listen({}, (req) => {
    if (req.method !== "GET") {
      posted();
      return accepted;
    }
    const later = new Later();
    hold((i) =>
      later.resolve(i === null ? rawResponse(410) : rawResponse(200, eventHeaders(i), "{}"))
    );
    return later;
  });
  return { port: server.port, close: () => server.close() };
};

async function bareSpawns(n: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await new Deno.Command("/bin/true", { stdout: "null", stderr: "null" }).output();
    times.push(performance.now() - t0);
  }
  return times;
}

/**
 * The no-op bootstrap, a release build linked statically where the host has a static C library
 * (as the sandbox's launcher is): no dynamic loader at its start, so a cold start's floor is the
 * sandbox's and the kernel's, not ld.so's. Else a dynamic release build, said on stdout.
 */
async function noopBootstrap(): Promise<string> {
  const options = {
    package: "battle-conformance",
    bin: "noop-bootstrap",
    out: join(BUILD_DIR, "rust", "noop-bootstrap"),
  };
  try {
    return (await buildRustExtension({ ...options, staticCrt: true })).path;
  } catch (err) {
    console.log(
      `perf_sandbox: no static no-op bootstrap (${
        (err as Error).message.split("\n")[0]
      }); using a dynamic one`,
    );
    return (await buildRustExtension(options)).path;
  }
}

/** Round trips from another process (the no-op bootstrap's own HTTP code) to Deno.serve. */
async function crossProcessRoundTrips(bin: string, n: number): Promise<number[]> {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    await req.arrayBuffer();
    return new Response('{"status":"OK"}', { status: 202 });
  });
  try {
    const out = await new Deno.Command(bin, {
      args: ["--ping", `127.0.0.1:${server.addr.port}`, String(n + 50)],
      stdout: "piped",
    }).output();
    if (!out.success) throw new Error("noop-bootstrap --ping failed");
    return new TextDecoder().decode(out.stdout).trim().split("\n").slice(50).map((us) =>
      Number(us) / 1000
    );
  } finally {
    await server.shutdown();
  }
}

/**
 * The floor of a cold start on any Runtime API server: spawn the no-op bootstrap and wait for
 * its first `GET /next` (a bare Deno.serve; no cgroups, no namespace, no bookkeeping).
 */
async function bareFirstNexts(bin: string, n: number): Promise<number[]> {
  let seen: (() => void) | null = null;
  // Held open like a long poll; answered before shutdown, which waits for every handler.
  const held: ((r: Response) => void)[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    if (req.method === "GET") seen?.();
    return new Promise<Response>((resolve) => held.push(resolve));
  });
  const times: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const got = new Promise<void>((r) => (seen = r));
      const t0 = performance.now();
      const child = new Deno.Command(bin, {
        env: { AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${server.addr.port}` },
        stdout: "null",
        stderr: "null",
      }).spawn();
      await got;
      times.push(performance.now() - t0);
      child.kill("SIGKILL");
      await child.status;
    }
  } finally {
    for (const answer of held.splice(0)) answer(new Response(null, { status: 410 }));
    await server.shutdown();
  }
  return times;
}

/** One run's series, each interleaved with its peers so a shared host's load hits all alike. */
interface RunSeries {
  /** Other work on the host while the run's series were measured (lib/bench/host_load.ts). */
  host: HostLoad | null;
  bare: number[];
  cross: number[];
  poll: number[];
  ownPoll: number[];
  warm: number[];
  /** Warm invoke→response and the bare long poll on Deno.serve, sample by sample (pairedWarm). */
  pairedWarm: number[];
  pairedPoll: number[];
  duration: number[];
  thaw: number[];
  cold: number[];
  init: number[];
  spawn: number[];
  firstNext: number[];
}

async function measureRun(
  sb: Sandbox,
  bin: string,
  warmN: number,
  coldN: number,
): Promise<RunSeries> {
  const payload = new TextEncoder().encode("{}");
  const hostBefore = sampleHost();
  const r: RunSeries = {
    host: null,
    bare: [],
    cross: [],
    poll: [],
    ownPoll: [],
    warm: [],
    pairedWarm: [],
    pairedPoll: [],
    duration: [],
    thaw: [],
    cold: [],
    init: [],
    spawn: [],
    firstNext: [],
  };
  await sb.invoke(payload);
  const rounds = Math.min(10, warmN);
  for (let round = 0; round < rounds; round++) {
    const n = Math.floor(warmN / rounds) + (round < warmN % rounds ? 1 : 0);
    r.bare.push(...await bareRoundTrips(n));
    r.cross.push(...await crossProcessRoundTrips(bin, n));
    r.poll.push(...await bareLongPolls(bin, n, onDenoServe));
    r.ownPoll.push(...await bareLongPolls(bin, n, onOwnServer));
    for (let i = 0; i < n + 50; i++) {
      const res = await sb.invoke(payload);
      if (res.status !== "success") throw new Error(`warm invoke failed: ${res.errorType}`);
      if (i < 50) continue;
      r.warm.push(res.clientRttMs);
      r.duration.push(res.durationMs);
      r.thaw.push(sb.lastThawMs);
    }
  }
  const paired = await pairedWarm(sb, bin, warmN, payload);
  r.pairedWarm = paired.warm;
  r.pairedPoll = paired.poll;
  for (let i = 0; i < coldN; i++) {
    await sb.reset();
    const res = await sb.invoke(payload);
    if (!res.cold || res.status !== "success") {
      throw new Error(`cold invoke failed: ${res.errorType}`);
    }
    r.cold.push(res.clientRttMs);
    r.init.push(res.initMs ?? NaN);
    r.spawn.push(...await bareSpawns(1));
    r.firstNext.push(...await bareFirstNexts(bin, 1));
  }
  const hostAfter = sampleHost();
  r.host = hostBefore && hostAfter ? hostLoad(hostBefore, hostAfter) : null;
  return r;
}

function printRun(r: RunSeries, noFreeze: boolean): void {
  const [b, x, p, w] = [r.bare, r.cross, r.poll, r.warm].map(stats) as [Stats, Stats, Stats, Stats];
  const n = r.warm.length;
  console.log(`loopback round trip, in-process     (n=${n}): ${fmt(b)}`);
  console.log(`loopback round trip, other process  (n=${n}): ${fmt(x)}`);
  console.log(`bare long poll on Deno.serve        (n=${n}): ${fmt(p)}`);
  const own = stats(r.ownPoll);
  console.log(`bare long poll, the sandbox's server (n=${n}): ${fmt(own)}`);
  console.log(`sandbox warm invoke→response        (n=${n}): ${fmt(w)}`);
  console.log(`sandbox warm REPORT Duration        (n=${n}): ${fmt(stats(r.duration))}`);
  const minusThaw = stats(r.warm.map((ms, i) => ms - r.thaw[i]!));
  console.log(`sandbox thaw (freezer write)        (n=${n}): ${fmt(stats(r.thaw))}`);
  console.log(`sandbox warm invoke→response − thaw (n=${n}): ${fmt(minusThaw)}`);
  console.log(
    `warm invoke→response / cross-process round trip: ${(w.median / x.median).toFixed(2)}× ` +
      `at the median, ${(w.p99 / x.p99).toFixed(2)}× at the p99; / in-process: ${
        (w.median / b.median).toFixed(2)
      }×; / bare long poll on Deno.serve: ${(w.median / p.median).toFixed(2)}×; / bare long poll ` +
      `on the sandbox's server: ${(w.median / own.median).toFixed(2)}× at the median, ${
        (w.p99 / own.p99).toFixed(2)
      }× at the p99 (sandbox bookkeeping${noFreeze ? "" : " + thaw"} ${
        (w.median - own.median).toFixed(3)
      } ms); without the thaw: ${(minusThaw.median / x.median).toFixed(2)}× / cross-process`,
  );
  const [pw, pp] = [stats(r.pairedWarm), stats(r.pairedPoll)];
  const m = r.pairedWarm.length;
  console.log(`paired, sample by sample (n=${m} pairs):`);
  console.log(`  sandbox warm invoke→response       : ${fmt(pw)}`);
  console.log(`  bare long poll on Deno.serve       : ${fmt(pp)}`);
  console.log(
    `  warm / its paired round trip: ${(pw.median / pp.median).toFixed(2)}× at the median, ${
      (pw.p99 / pp.p99).toFixed(2)
    }× at the p99`,
  );
  if (r.host) {
    console.log(
      `host during the run: other processes ${Math.round(r.host.othersCpu * 100)}% of its CPU, ` +
        `steal ${Math.round(r.host.steal * 100)}%${busyNote(r.host) ? " (busy)" : ""}`,
    );
  }
  const c = r.cold.length;
  console.log(`bare process spawn /bin/true         (n=${c}): ${fmt(stats(r.spawn))}`);
  console.log(`bare spawn → first /next (no-op)     (n=${c}): ${fmt(stats(r.firstNext))}`);
  console.log(`sandbox cold invoke→response        (n=${c}): ${fmt(stats(r.cold))}`);
  console.log(`sandbox cold Init Duration          (n=${c}): ${fmt(stats(r.init))}`);
}

/** Each run's ratios, and their spread over the runs. */
function printSpread(runs: RunSeries[]): void {
  const ratios = runs.map((r) => {
    const [x, w, s, f, i, o, pw, pp] = [
      r.cross,
      r.warm,
      r.spawn,
      r.firstNext,
      r.init,
      r.ownPoll,
      r.pairedWarm,
      r.pairedPoll,
    ].map(stats);
    return {
      host: r.host,
      pairedMedian: pw!.median / pp!.median,
      pairedP99: pw!.p99 / pp!.p99,
      warmMedian: w!.median / x!.median,
      warmP99: w!.p99 / x!.p99,
      ownMedian: o!.median / x!.median,
      ownP99: o!.p99 / x!.p99,
      coldVsSpawn: i!.median / s!.median,
      coldVsFirstNext: i!.median / f!.median,
    };
  });
  console.log("");
  console.log(
    "| run | warm / paired round trip, median | warm / paired round trip, p99 | warm / loopback, median | warm / loopback, p99 | bare long poll on the sandbox's server / loopback, median / p99 | cold Init / spawn of /bin/true | cold Init / bare spawn → first /next | others' CPU, steal |",
  );
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
  ratios.forEach((q, k) =>
    console.log(
      `| ${k + 1} | ${q.pairedMedian.toFixed(2)}× | ${q.pairedP99.toFixed(2)}× | ${
        q.warmMedian.toFixed(2)
      }× | ${q.warmP99.toFixed(2)}× | ${q.ownMedian.toFixed(2)}× / ${q.ownP99.toFixed(2)}× | ${
        q.coldVsSpawn.toFixed(2)
      }× | ${q.coldVsFirstNext.toFixed(2)}× | ${
        q.host ? `${Math.round(q.host.othersCpu * 100)}%, ${Math.round(q.host.steal * 100)}%` : "—"
      } |`,
    )
  );
  const span = (f: (q: typeof ratios[number]) => number) => {
    const v = ratios.map(f);
    return `${Math.min(...v).toFixed(2)}–${Math.max(...v).toFixed(2)}×`;
  };
  console.log(
    `spread over ${runs.length} runs: warm / its paired round trip median ${
      span((q) => q.pairedMedian)
    }, p99 ${span((q) => q.pairedP99)}; warm/loopback median ${span((q) => q.warmMedian)}, p99 ${
      span((q) => q.warmP99)
    } (the bare long poll on the sandbox's server: ${span((q) => q.ownMedian)}, p99 ${
      span((q) => q.ownP99)
    }); cold Init/spawn ${span((q) => q.coldVsSpawn)}, cold Init/bare first /next ${
      span((q) => q.coldVsFirstNext)
    }`,
  );
  // Issue 17's goals: warm within 1.5× of its floor at the median and the p99, cold Init
  // within 1.5× of a bare spawn, in every run.
  const within = (f: (q: typeof ratios[number]) => number) =>
    `${ratios.filter((q) => f(q) <= GOAL).length} of ${ratios.length}`;
  console.log(
    `runs within ${GOAL}×: warm / paired round trip ${within((q) => q.pairedMedian)} at the ` +
      `median, ${within((q) => q.pairedP99)} at the p99; warm / loopback ${
        within((q) => q.warmMedian)
      } and ${within((q) => q.warmP99)}; cold Init / spawn of /bin/true ${
        within((q) => q.coldVsSpawn)
      }`,
  );
}

/** The ratio each figure should stay within. */
const GOAL = 1.5;

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      warm: { type: "string", default: "2000" },
      cold: { type: "string", default: "20" },
      runs: { type: "string", default: "5" },
      memory: { type: "string", default: "1769" },
      "no-freeze": { type: "boolean", default: false },
      fallback: { type: "boolean", default: false },
      "no-launcher": { type: "boolean", default: false },
    },
  });
  const warmN = Number(values.warm);
  const coldN = Number(values.cold);
  const runsN = Number(values.runs);
  const memoryMb = Number(values.memory);
  for (
    const [name, v] of [
      ["--warm", warmN],
      ["--cold", coldN],
      ["--runs", runsN],
      ["--memory", memoryMb],
    ] as const
  ) {
    if (!Number.isInteger(v) || v <= 0) {
      console.error(`perf_sandbox: ${name} must be a positive integer, got ${v}`);
      Deno.exit(2);
    }
  }
  const root = await Deno.makeTempDir({ prefix: "perf_sandbox_" });
  const codeDir = join(root, "code");
  await Deno.mkdir(codeDir);
  const bin = await noopBootstrap();
  await Deno.symlink(bin, join(codeDir, "bootstrap"));
  const sb = await Sandbox.create({
    codeDir,
    runtime: "provided",
    memoryMb,
    logDir: join(root, "logs"),
    functionName: "noop",
    freeze: !values["no-freeze"],
    controls: values.fallback ? "fallback" : "auto",
    ...(values["no-launcher"] ? { launcher: null } : {}),
    // The sandbox's own cost: without the model of reading code from storage on cold starts.
    codeLoading: "cached",
  });
  try {
    console.log(`controls in force: ${JSON.stringify(sb.controls)}`);
    const runs: RunSeries[] = [];
    for (let k = 0; k < runsN; k++) {
      console.log(`\nrun ${k + 1} of ${runsN}`);
      runs.push(await measureRun(sb, bin, warmN, coldN));
      printRun(runs.at(-1)!, values["no-freeze"]);
    }
    printSpread(runs);
  } finally {
    await sb.shutdown();
    await Deno.remove(root, { recursive: true });
  }
}
