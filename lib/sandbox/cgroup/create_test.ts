import assert from "node:assert/strict";
import { join } from "node:path";
import { createControls, detectCgroups, type ResourceControls } from "./create.ts";
import { findHierarchies } from "./_fs.ts";

const MB = 1024 * 1024;
const detected = await detectCgroups();
const cgroupsUsable = detected.version !== null && detected.writable;

/** Prints why a cgroup test does nothing here and returns true, so it passes without root. */
function skipWithoutCgroups(): boolean {
  if (cgroupsUsable) return false;
  console.log(
    `skipped: cgroups not usable here (memory controller on v${detected.version ?? "-"}, ` +
      `writable ${detected.writable}: needs root or a delegated cgroup)`,
  );
  return true;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Spawns `command` inside the controls (wrapped, then added) and returns the child. */
async function spawnIn(
  controls: ResourceControls,
  command: string,
  args: string[],
): Promise<Deno.ChildProcess> {
  const wrapped = controls.wrapCommand(command, args);
  const child = new Deno.Command(wrapped.command, {
    args: wrapped.args,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  await controls.addProcess(child.pid);
  return child;
}

/** A Deno child that fills `mb` MB, says so on a marker file, then sleeps. */
function allocator(mb: number, marker: string): [string, string[]] {
  // Kept reachable from globalThis so the garbage collector cannot give it back.
  const code = `const a = globalThis.kept = new Uint8Array(${mb} * 1024 * 1024).fill(7);` +
    `Deno.writeTextFileSync(${JSON.stringify(marker)}, String(a[a.length - 1]));` +
    `setTimeout(() => {}, 60000);`;
  return [Deno.execPath(), ["eval", "--no-check", code]];
}

const BUSY: [string, string[]] = ["/bin/sh", ["-c", "while :; do :; done"]];

async function waitForFile(path: string, timeoutMs = 20000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      await Deno.stat(path);
      return;
    } catch {
      if (performance.now() > deadline) throw new Error(`${path} never appeared`);
      await sleep(10);
    }
  }
}

async function dirExists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("detectCgroups() finds the memory controller's hierarchy", async () => {
  const hs = await findHierarchies();
  if (hs.length === 0) {
    assert.deepEqual(detected, { version: null, writable: false, detail: "no cgroup file system" });
    return;
  }
  const memory = hs.find((h) => h.controllers.includes("memory"));
  assert.equal(detected.version, memory?.version ?? null);
  assert.match(detected.detail, /v[12] \//);
  if (skipWithoutCgroups()) return;
  const unified = hs.find((h) => h.version === 2 && h.controllers.includes("memory"));
  assert.equal(detected.version, unified ? 2 : 1);
});

Deno.test("createControls() rejects a bad name, memory size or CPU share", async () => {
  await assert.rejects(
    createControls({ name: "a/b", memoryMb: 128 }),
    (e: Error) => e instanceof RangeError && e.message.includes('"a/b"'),
  );
  await assert.rejects(
    createControls({ name: "ok", memoryMb: 0 }),
    (e: Error) => e instanceof RangeError && e.message.includes("memoryMb"),
  );
  await assert.rejects(
    createControls({ name: "ok", memoryMb: 128, cpuFraction: -1 }),
    (e: Error) => e instanceof RangeError && e.message.includes("-1"),
  );
});

Deno.test("createControls() applies limit and quota and destroy() removes every group", async () => {
  if (skipWithoutCgroups()) return;
  const controls = await createControls({ name: "t-limits", memoryMb: 128 });
  try {
    assert.notEqual(controls.inForce.memoryLimit, "none", controls.inForce.detail);
    assert.notEqual(controls.inForce.cpuQuota, "none", controls.inForce.detail);
    assert.notEqual(controls.inForce.freezer, "sigstop", controls.inForce.detail);
    assert.notEqual(controls.inForce.peakMemory, "rss-sampling", controls.inForce.detail);
    assert.equal(controls.limits.memoryBytes, 128 * MB);
    assert.ok(Math.abs(controls.limits.cpuFraction! - 128 / 1769) < 1e-9);
    assert.ok(controls.dirs.length > 0);
    for (const dir of controls.dirs) assert.ok(await dirExists(dir), dir);
    await assert.rejects(
      createControls({ name: "t-limits", memoryMb: 128 }),
      Deno.errors.AlreadyExists,
    );
    await spawnIn(controls, ...BUSY);
    assert.equal((await controls.pids()).length, 1);
  } finally {
    await controls.destroy();
  }
  for (const dir of controls.dirs) assert.equal(await dirExists(dir), false, dir);
  await controls.destroy();
});

Deno.test("createControls() removes groups left by a crashed run", async () => {
  if (skipWithoutCgroups()) return;
  const dead = new Deno.Command("true").spawn();
  await dead.status;
  const first = await createControls({ name: "t-stale-probe", memoryMb: 128 });
  const parents = first.dirs.map((d) => join(d, ".."));
  await first.destroy();
  const stale = parents.map((p) => join(p, `t-stale--${dead.pid}`));
  for (const dir of stale) await Deno.mkdir(dir);
  const controls = await createControls({ name: "t-stale", memoryMb: 128 });
  try {
    for (const dir of stale) assert.equal(await dirExists(dir), false, dir);
    assert.match(controls.inForce.detail ?? "", /removed stale/);
  } finally {
    await controls.destroy();
  }
});

Deno.test("peakMemoryBytes() sees a 60 MB allocation below the limit", async () => {
  if (skipWithoutCgroups()) return;
  const marker = await Deno.makeTempFile();
  await Deno.remove(marker);
  const controls = await createControls({ name: "t-peak", memoryMb: 256, cpuFraction: 1 });
  try {
    await controls.resetPeak();
    const child = await spawnIn(controls, ...allocator(60, marker));
    await waitForFile(marker);
    const peak = await controls.peakMemoryBytes();
    assert.ok(peak >= 60 * MB, `peak ${peak / MB} MB`);
    assert.ok(peak < 256 * MB, `peak ${peak / MB} MB`);
    const usage = await controls.memoryUsage();
    assert.ok(usage.anonBytes >= 60 * MB, `anon ${usage.anonBytes / MB} MB`);
    assert.ok(usage.currentBytes >= usage.anonBytes);
    assert.equal(await controls.oomEvents(), 0);
    await controls.killAll();
    await child.status;
    await controls.resetPeak();
    assert.ok((await controls.peakMemoryBytes()) < 60 * MB, "resetPeak() starts a new window");
  } finally {
    await controls.destroy();
    await Deno.remove(marker).catch(() => {});
  }
});

Deno.test("a child that allocates past the limit is OOM-killed and counted", async () => {
  if (skipWithoutCgroups()) return;
  const marker = await Deno.makeTempFile();
  await Deno.remove(marker);
  const controls = await createControls({ name: "t-oom", memoryMb: 64, cpuFraction: 1 });
  try {
    const child = await spawnIn(controls, ...allocator(200, marker));
    const status = await child.status;
    assert.equal(status.signal, "SIGKILL");
    assert.ok((await controls.oomEvents()) > 0);
    assert.equal(await dirExists(marker), false, "the allocation never completed");
  } finally {
    await controls.destroy();
  }
});

Deno.test("the CPU quota holds a busy loop near memory/1769 of a vCPU", async () => {
  if (skipWithoutCgroups()) return;
  const controls = await createControls({ name: "t-cpu", memoryMb: 128 });
  try {
    const child = await spawnIn(controls, ...BUSY);
    const before = await controls.cpuUsageMs();
    const start = performance.now();
    await sleep(500);
    const share = ((await controls.cpuUsageMs()) - before) / (performance.now() - start);
    console.log(`busy loop at 128 MB: ${(share * 100).toFixed(1)}% of one CPU`);
    assert.ok(share < 0.2, `share ${share}`);
    assert.ok(share > 0, `share ${share}`);
    await controls.killAll();
    await child.status;
  } finally {
    await controls.destroy();
  }
});

Deno.test("cpuPeriodUs sets the quota's period: 20 ms by default, stalls no longer", async () => {
  await assert.rejects(
    createControls({ name: "ok", memoryMb: 128, cpuPeriodUs: 500 }),
    (e: Error) => e instanceof RangeError && e.message.includes("500"),
  );
  if (skipWithoutCgroups()) return;
  for (const periodUs of [undefined, 50_000]) {
    const controls = await createControls({
      name: `t-period-${periodUs}`,
      memoryMb: 128,
      ...(periodUs === undefined ? {} : { cpuPeriodUs: periodUs }),
    });
    try {
      if (controls.inForce.cpuQuota === "none") return;
      const period = periodUs ?? 20_000;
      const quota = Math.round((128 / 1769) * period);
      assert.match(controls.inForce.detail ?? "", new RegExp(`cpu quota ${quota}/${period} us`));
      // The kernel's bandwidth slice is recorded beside the quota, and lowered where it may be.
      const slice = /cpu slice (?:(\d+) us( \(lowered from \d+\))?|unknown)/.exec(
        controls.inForce.detail ?? "",
      );
      assert.ok(slice, controls.inForce.detail);
      if (slice[2] !== undefined) {
        assert.equal(
          (await Deno.readTextFile("/proc/sys/kernel/sched_cfs_bandwidth_slice_us")).trim(),
          slice[1],
        );
      }
      const cpuDir = controls.dirs.find((d) => d.includes("/cpu/") || d.includes("/cpu,"));
      if (controls.inForce.cpuQuota === "cgroup-v1" && cpuDir !== undefined) {
        assert.equal(
          (await Deno.readTextFile(join(cpuDir, "cpu.cfs_period_us"))).trim(),
          `${period}`,
        );
        assert.equal(
          (await Deno.readTextFile(join(cpuDir, "cpu.cfs_quota_us"))).trim(),
          `${quota}`,
        );
        // A busy loop is throttled once per period: about 400/20 = 20 times in 400 ms at the
        // default, 8 at 50 ms (100 ms would give 4).
        const throttled = async () =>
          Number(/nr_throttled (\d+)/.exec(await Deno.readTextFile(join(cpuDir, "cpu.stat")))![1]);
        const child = await spawnIn(controls, ...BUSY);
        const before = await throttled();
        await sleep(400);
        const n = (await throttled()) - before;
        await controls.killAll();
        await child.status;
        const expected = 400_000 / period;
        assert.ok(n >= expected * 0.5 && n <= expected * 1.5, `${n} throttled periods`);
      }
    } finally {
      await controls.destroy();
    }
  }
});

/** Freeze stops CPU time from growing; thaw lets it grow again. */
async function assertFreezeStopsCpu(controls: ResourceControls): Promise<void> {
  const child = await spawnIn(controls, ...BUSY);
  await sleep(100);
  await controls.freeze();
  const frozenAt = await controls.cpuUsageMs();
  await sleep(300);
  const frozenGrowth = (await controls.cpuUsageMs()) - frozenAt;
  assert.ok(frozenGrowth <= 10, `CPU grew ${frozenGrowth} ms while frozen`);
  await controls.thaw();
  const thawedAt = await controls.cpuUsageMs();
  const deadline = performance.now() + 3000;
  while ((await controls.cpuUsageMs()) - thawedAt < 20) {
    assert.ok(performance.now() < deadline, "CPU time never grew after thaw");
    await sleep(20);
  }
  await controls.freeze();
  await controls.killAll();
  const status = await child.status;
  assert.equal(status.signal, "SIGKILL");
}

Deno.test("freeze() stops a busy child and thaw() resumes it", async () => {
  if (skipWithoutCgroups()) return;
  const controls = await createControls({ name: "t-freeze", memoryMb: 1769 });
  try {
    assert.notEqual(controls.inForce.freezer, "sigstop");
    await assertFreezeStopsCpu(controls);
  } finally {
    await controls.destroy();
  }
});

Deno.test("the cgroup v2 freezer stops and resumes a busy child", async () => {
  const v2 = (await findHierarchies()).find((h) => h.version === 2);
  if (!v2 || skipWithoutCgroups()) {
    if (!v2) console.log("skipped: no cgroup v2 hierarchy");
    return;
  }
  const controls = await createControls({ name: "t-v2", memoryMb: 1769, versions: [2] });
  try {
    assert.equal(controls.inForce.freezer, "cgroup-v2", controls.inForce.detail);
    await assertFreezeStopsCpu(controls);
  } finally {
    await controls.destroy();
  }
  for (const dir of controls.dirs) assert.equal(await dirExists(dir), false, dir);
});

Deno.test("the fallback samples RSS of the tree and freezes with SIGSTOP", async () => {
  const marker = await Deno.makeTempFile();
  await Deno.remove(marker);
  const controls = await createControls({ name: "t-fallback", memoryMb: 128, prefer: "fallback" });
  try {
    assert.deepEqual(
      { ...controls.inForce, detail: undefined },
      {
        memoryLimit: "none",
        cpuQuota: "none",
        freezer: "sigstop",
        peakMemory: "rss-sampling",
        detail: undefined,
      },
    );
    assert.deepEqual(controls.limits, { memoryBytes: null, cpuFraction: null });
    assert.deepEqual(controls.dirs, []);
    // A shell whose child allocates: the peak must count the grandchild too.
    const [deno, args] = allocator(60, marker);
    const quoted = [deno, ...args].map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(" ");
    const child = await spawnIn(controls, "/bin/sh", ["-c", `${quoted}; true`]);
    await waitForFile(marker);
    const peak = await controls.peakMemoryBytes();
    assert.ok(peak >= 60 * MB && peak < 1024 * MB, `peak ${peak / MB} MB`);
    assert.equal((await controls.pids()).length, 2);
    const usage = await controls.memoryUsage();
    assert.ok(usage.anonBytes >= 60 * MB, `anon ${usage.anonBytes / MB} MB`);
    assert.ok(usage.currentBytes >= usage.anonBytes + usage.fileBytes - MB);
    await controls.killAll();
    await child.status;
    await assertFreezeStopsCpu(controls);
  } finally {
    await controls.destroy();
    await Deno.remove(marker).catch(() => {});
  }
});

Deno.test("peak: rss samples the tree while the kernel keeps the limit", async () => {
  if (skipWithoutCgroups()) return;
  const marker = await Deno.makeTempFile();
  await Deno.remove(marker);
  const controls = await createControls({
    name: "t-rss",
    memoryMb: 256,
    cpuFraction: 1,
    peak: "rss",
  });
  try {
    assert.equal(controls.inForce.peakMemory, "rss-sampling");
    assert.notEqual(controls.inForce.memoryLimit, "none");
    await spawnIn(controls, ...allocator(60, marker));
    await waitForFile(marker);
    const peak = await controls.peakMemoryBytes();
    assert.ok(peak >= 60 * MB && peak < 256 * MB, `peak ${peak / MB} MB`);
  } finally {
    await controls.destroy();
    await Deno.remove(marker).catch(() => {});
  }
});

Deno.test("peak: rss+kernel adds the tree's mapped files to the kernel's peak", async () => {
  if (skipWithoutCgroups()) return;
  const marker = await Deno.makeTempFile();
  await Deno.remove(marker);
  const controls = await createControls({
    name: "t-rss-kernel",
    memoryMb: 256,
    cpuFraction: 1,
    peak: "rss+kernel",
  });
  try {
    assert.match(controls.inForce.peakMemory, /^rss\+cgroup-v[12]$/);
    await spawnIn(controls, ...allocator(60, marker));
    await waitForFile(marker);
    const peak = await controls.peakMemoryBytes();
    const usage = await controls.memoryUsage();
    // The allocation plus at least the pages of the binary that holds it, cached or not.
    assert.ok(peak >= 60 * MB + MB && peak < 256 * MB, `peak ${peak / MB} MB`);
    assert.ok(peak >= usage.anonBytes, `peak ${peak / MB} MB, anon ${usage.anonBytes / MB} MB`);
    await controls.freeze();
    await controls.thaw();
  } finally {
    await controls.destroy();
    await Deno.remove(marker).catch(() => {});
  }
});

Deno.test("createControls() kills and removes a crashed run's frozen processes", async () => {
  if (skipWithoutCgroups()) return;
  // A run that freezes a busy child and exits without destroy(), leaving an orphan behind.
  const crashed = `
    import { createControls } from ${JSON.stringify(new URL("./create.ts", import.meta.url).href)};
    const c = await createControls({ name: "t-crashed", memoryMb: 256 });
    const w = c.wrapCommand("/bin/sh", ["-c", "while :; do :; done"]);
    const child = new Deno.Command(w.command, { args: w.args, stdin: "null", stdout: "null" })
      .spawn();
    await c.addProcess(child.pid);
    await c.freeze();
    console.log(JSON.stringify({ pid: child.pid, dirs: c.dirs }));
    Deno.exit(0);`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-check", crashed],
    stderr: "inherit",
  }).output();
  const { pid, dirs } = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    pid: number;
    dirs: string[];
  };
  assert.ok(dirs.length > 0);
  const controls = await createControls({ name: "t-after-crash", memoryMb: 128 });
  await controls.destroy();
  for (const dir of dirs) assert.equal(await dirExists(dir), false, dir);
  const deadline = performance.now() + 5000;
  for (;;) {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`).catch(() => null);
    if (stat === null || stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) break;
    assert.ok(performance.now() < deadline, `orphan ${pid} still alive: ${stat}`);
    await sleep(10);
  }
});

Deno.test("setCpuFraction() rewrites the quota (capped at the host's cores) and back", async () => {
  if (skipWithoutCgroups()) return;
  const controls = await createControls({ name: "t-cpu-switch", memoryMb: 128 });
  try {
    await assert.rejects(controls.setCpuFraction(0), { name: "RangeError" });
    if (controls.inForce.cpuQuota !== "cgroup-v1") return;
    const cpuDir = controls.dirs.find((d) => d.includes("/cpu/") || d.includes("/cpu,"))!;
    const quota = async () =>
      Number((await Deno.readTextFile(join(cpuDir, "cpu.cfs_quota_us"))).trim());
    const cores = navigator.hardwareConcurrency;
    await controls.setCpuFraction(64);
    assert.equal(await quota(), cores * 20_000, "capped at the host's cores");
    await controls.setCpuFraction(2);
    assert.equal(await quota(), Math.min(2, cores) * 20_000);
    await controls.setCpuFraction(128 / 1769);
    assert.equal(await quota(), Math.round((128 / 1769) * 20_000));
  } finally {
    await controls.destroy();
  }
});
