import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { Watchdog } from "./watchdog.ts";

const testdata = (name: string) => fileURLToPath(new URL(`./testdata/${name}`, import.meta.url));

function alive(pid: number): boolean {
  try {
    // A zombie is dead for our purpose: it holds no port and runs nothing.
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    return !/^State:\s+Z/m.test(status);
  } catch {
    return false;
  }
}

/** utime + stime of a process, in clock ticks. */
function cpuTicks(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

function portFree(port: number): boolean {
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
    return true;
  } catch {
    return false;
  }
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
}

/** Polls `done` every 50 ms for up to `ms`; returns how long it took, or null. */
async function within(ms: number, done: () => boolean): Promise<number | null> {
  const started = performance.now();
  while (performance.now() - started < ms) {
    if (done()) return performance.now() - started;
    await new Promise((r) => setTimeout(r, 50));
  }
  return done() ? performance.now() - started : null;
}

/** Starts a Deno script and waits for its first line of output. */
async function startOwner(script: string, args: string[]) {
  const owner = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, ...args],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = owner.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  reader.releaseLock();
  return { owner, line: text.trim() };
}

async function killOwner(owner: Deno.ChildProcess): Promise<void> {
  owner.kill("SIGKILL");
  await owner.status;
  await owner.stdout.cancel().catch(() => {});
  await owner.stderr.cancel().catch(() => {});
}

Deno.test("Watchdog kills a stopped process group once its owner is killed", async () => {
  const { owner, line } = await startOwner(testdata("watchdog_owner.ts"), []);
  const pid = Number(line);
  try {
    assert.ok(pid > 0 && alive(pid), `no stopped process: ${line}`);
    // A stopped task shows "T" once it next runs; on a busy host that can take a moment.
    const state = () => /^State:.*$/m.exec(Deno.readTextFileSync(`/proc/${pid}/status`))?.[0];
    const stopped = await within(2_000, () => /^State:\s+T/.test(state() ?? ""));
    assert.ok(stopped !== null, `not stopped: ${state()}`);
  } finally {
    await killOwner(owner);
  }
  const took = await within(5_000, () => !alive(pid));
  assert.ok(took !== null, `pid ${pid} outlived its owner by 5 s`);
});

Deno.test("an environment dies with its owner killed during Init (the watchdog starts before)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "watchdog_init_test_" });
  const { owner, line } = await startOwner(testdata("init_owner.ts"), [dir]);
  const pid = Number(line);
  try {
    assert.ok(pid > 0 && alive(pid), `no runtime in Init: ${line}`);
  } finally {
    await killOwner(owner);
  }
  try {
    const took = await within(5_000, () => !alive(pid));
    assert.ok(took !== null, `the runtime (pid ${pid}) outlived its owner, killed in Init, by 5 s`);
  } finally {
    if (alive(pid)) Deno.kill(pid, "SIGKILL");
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Watchdog.close() leaves everything alone: the owner cleaned up", async () => {
  const child = new Deno.Command("/usr/bin/setsid", {
    args: ["sleep", "30"],
    stdout: "null",
    stderr: "null",
  }).spawn();
  const watchdog = Watchdog.start([]);
  watchdog.watch(child.pid);
  await watchdog.close();
  await watchdog.close();
  assert.equal(alive(child.pid), true, "close() must not kill");
  assert.equal(alive(watchdog.pid), false);
  child.kill("SIGKILL");
  await child.status;
});

for (const controls of ["auto", "fallback"] as const) {
  Deno.test(
    `a frozen environment (${controls} controls) dies with its owner: after kill -9 its processes are gone and its port is free`,
    async () => {
      const dir = await Deno.makeTempDir({ prefix: "watchdog_test_" });
      const port = freePort();
      const { owner, line } = await startOwner(testdata("frozen_owner.ts"), [
        String(port),
        dir,
        controls,
      ]);
      let pids: number[] = [];
      try {
        assert.equal(line, "frozen");
        pids = ["listener.pid", "spin.pid"].map((f) =>
          Number(Deno.readTextFileSync(`${dir}/${f}`))
        );
        assert.ok(pids.every(alive), `not running: ${pids}`);
        assert.equal(portFree(port), false, "the extension holds its port");
        const spin = pids[1]!;
        const before = cpuTicks(spin);
        await new Promise((r) => setTimeout(r, 300));
        assert.equal(cpuTicks(spin), before, "the busy loop ran: the environment is not frozen");
      } finally {
        await killOwner(owner);
      }
      try {
        const took = await within(5_000, () => !pids.some(alive) && portFree(port));
        console.log(`gone ${took === null ? "never" : Math.round(took)} ms after the kill`);
        assert.ok(
          took !== null,
          `5 s after the owner's kill: alive ${pids.filter(alive)}, port ${port} free: ${
            portFree(port)
          }`,
        );
      } finally {
        for (const pid of pids.filter(alive)) Deno.kill(pid, "SIGKILL");
        await Deno.remove(dir, { recursive: true });
      }
    },
  );
}
