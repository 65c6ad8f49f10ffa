import assert from "node:assert/strict";
import {
  busyNote,
  hostLoad,
  isBusy,
  LoadMeter,
  parseProcStat,
  processTicks,
  sampleHost,
  treeByScan,
  treeTicks,
} from "./host_load.ts";

Deno.test("parseProcStat() reads the aggregate cpu line as the kernel writes it", () => {
  // Captured from a 2-core guest: user nice system idle iowait irq softirq steal guest guest_nice.
  const text = "cpu  30925 12 10540 621399 1297 0 1185 744 0 0\n" +
    "cpu0 15540 5 5215 310467 650 0 1039 371 0 0\ncpu1 15385 7 5325 310932 647 0 146 373 0 0\n" +
    "intr 5160853 0 9 0\nctxt 10283310\nbtime 1764678078\n";
  assert.deepEqual(parseProcStat(text), {
    busy: 30925 + 12 + 10540 + 0 + 1185,
    steal: 744,
    total: 30925 + 12 + 10540 + 1185 + 621399 + 1297 + 744,
  });
  // An old kernel without steal and later columns.
  assert.deepEqual(parseProcStat("cpu  10 0 5 80\n"), { busy: 15, steal: 0, total: 95 });
  assert.equal(parseProcStat("cpu0 1 2 3 4\n"), null, "only per-CPU lines");
  assert.equal(parseProcStat(""), null);
});

Deno.test("processTicks() sums utime, stime, cutime and cstime after a command with blanks", () => {
  const line = "4242 (tokio (runtime) w) S 1 4242 4242 0 -1 4194560 2791 40 0 0 " +
    "120 35 7 3 20 0 9 0 1234 567890 1000 18446744073709551615";
  assert.equal(processTicks(line), 120 + 35 + 7 + 3);
  assert.equal(processTicks("4242 (cut"), null);
  assert.equal(processTicks("4242 (short) S 1 2 3"), null);
});

Deno.test("hostLoad() is the host's CPU beyond the tree, shares of every tick", () => {
  const a = { at: 1000, busy: 500, steal: 10, total: 5000, own: 200 };
  const b = { at: 3000, busy: 900, steal: 30, total: 5400, own: 500 };
  const load = hostLoad(a, b);
  assert.deepEqual(load, { othersCpu: 0.25, steal: 0.05, seconds: 2 });
  assert.ok(isBusy(load));
  assert.equal(busyNote(load), "host busy: other processes used 25% of its CPU");
  // The tree counted more than the host (ticks are sampled): never below zero.
  assert.equal(hostLoad(a, { ...b, own: 1000 }).othersCpu, 0);
  assert.deepEqual(hostLoad(a, a), { othersCpu: 0, steal: 0, seconds: 0 });
  const quiet = hostLoad(a, { ...b, busy: 820, steal: 12 });
  assert.equal(isBusy(quiet), false);
  assert.equal(busyNote(quiet), null);
  assert.match(busyNote(hostLoad(a, { ...b, busy: 800, steal: 70 }))!, /hypervisor took 15%/);
});

Deno.test("LoadMeter adds up a cell's windows, then takes the shares of the sum", () => {
  const meter = new LoadMeter();
  assert.equal(meter.load(), null, "no window yet");
  meter.add(null, { at: 0, busy: 0, steal: 0, total: 0, own: 0 });
  assert.equal(meter.load(), null, "a window without a sample does not count");
  // Two windows: quiet (10 of 100 ticks busy, all the tree's), then busy (60 of 100, 10 the tree's).
  meter.add({ at: 0, busy: 0, steal: 0, total: 0, own: 0 }, {
    at: 500,
    busy: 10,
    steal: 0,
    total: 100,
    own: 10,
  });
  meter.add({ at: 9000, busy: 100, steal: 5, total: 1000, own: 50 }, {
    at: 9500,
    busy: 160,
    steal: 15,
    total: 1100,
    own: 60,
  });
  // Others: 0 + 50 of 200 ticks; steal 10 of 200; one second of windows, not the 9.5 s between.
  assert.deepEqual(meter.load(), { othersCpu: 0.25, steal: 0.05, seconds: 1 });
});

const linux = Deno.build.os === "linux";

/** Spins one CPU for `ms` in a process of its own. */
function spin(ms: number): string {
  return `const end = Date.now() + ${ms}; while (Date.now() < end) {}`;
}

async function measure(work: () => Promise<void>) {
  const a = sampleHost()!;
  await work();
  const b = sampleHost()!;
  return { load: hostLoad(a, b), ownTicks: b.own - a.own };
}

Deno.test({
  name: "a busy child of this process counts as the benchmark's, a detached one as another's",
  ignore: !linux,
  async fn() {
    const cores = navigator.hardwareConcurrency;
    // A child this process waits for: its CPU is the tree's (reaped: cutime).
    const own = await measure(async () => {
      await new Deno.Command(Deno.execPath(), { args: ["eval", spin(800)] }).output();
    });
    assert.ok(own.ownTicks >= 50, `the child's ~80 ticks in the tree, got ${own.ownTicks}`);
    // The same spin started through a shell that does not wait: the spinner is reparented to
    // init, outside this tree, as another job on the host is.
    const script = `"${Deno.execPath()}" eval '${spin(800)}' >/dev/null 2>&1 &`;
    const detached = await measure(async () => {
      await new Deno.Command("/bin/sh", { args: ["-c", script] }).output();
      await new Promise((r) => setTimeout(r, 1000));
    });
    // One of `cores` CPUs busy for most of the window.
    const share = detached.load.othersCpu * cores;
    assert.ok(share >= 0.5, `others used ${share.toFixed(2)} CPUs while the spinner ran`);
    // The spinner left the tree: none of its ticks are the tree's.
    assert.ok(detached.ownTicks < 40, `the tree gained ${detached.ownTicks} ticks meanwhile`);
    assert.ok(treeTicks() > 0);
  },
});

Deno.test({
  name: "treeByScan() finds the same tree from every process's parent as the children lists",
  ignore: !linux,
  async fn() {
    // A shell that waits for a sleeping grandchild: both are this process's descendants.
    const child = new Deno.Command("/bin/sh", { args: ["-c", "sleep 5 & wait"] }).spawn();
    try {
      let tree = new Map<number, string>();
      for (let i = 0; i < 100 && tree.size < 3; i++) {
        tree = treeByScan(Deno.pid);
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.ok(tree.has(Deno.pid) && tree.has(child.pid), [...tree.keys()].join(","));
      assert.ok(tree.size >= 3, `this process, the shell and its sleep: ${[...tree.keys()]}`);
      assert.ok(!tree.has(1), "not init");
      let ticks = 0;
      for (const line of tree.values()) ticks += processTicks(line) ?? 0;
      const listed = treeTicks();
      assert.ok(Math.abs(ticks - listed) <= 5, `${ticks} ticks by scan, ${listed} by the lists`);
    } finally {
      child.kill("SIGKILL");
      await child.status;
    }
  },
});
