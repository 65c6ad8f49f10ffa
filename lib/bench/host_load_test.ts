import assert from "node:assert/strict";
import {
  busyNote,
  hostLoad,
  isBusy,
  LoadMeter,
  parseProcStat,
  processFacts,
  processTable,
  processTicks,
  sampleHost,
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
  assert.deepEqual(processFacts(line), { ppid: 1, kernel: false, start: 1234, ticks: 165 });
  // A kernel thread: PF_KTHREAD in the flags, a child of kthreadd.
  const kworker = "57 (kworker/1:1H-kblockd) I 2 0 0 0 -1 69238880 0 0 0 0 0 3 0 0 0 -20 1 0 " +
    "120 0 0 18446744073709551615";
  assert.deepEqual(processFacts(kworker), { ppid: 2, kernel: true, start: 120, ticks: 3 });
  assert.equal(processFacts("4242 (short) S 1 2 3"), null);
});

Deno.test("hostLoad() is the other processes' growth, a share of every tick", () => {
  const a = { at: 1000, steal: 10, total: 5000, others: new Map([["7:1", 100], ["8:2", 40]]) };
  // 7 grew by 60, 8 exited (its time is its parent's now), 9 is new: 40 from its start.
  const b = { at: 3000, steal: 30, total: 5400, others: new Map([["7:1", 160], ["9:3", 40]]) };
  const load = hostLoad(a, b);
  assert.deepEqual(load, { othersCpu: 0.25, steal: 0.05, seconds: 2 });
  assert.ok(isBusy(load));
  assert.equal(busyNote(load), "host busy: other processes used 25% of its CPU");
  // A pid reused by another process is that process's whole time, not a difference.
  const reused = { ...b, others: new Map([["7:1", 100], ["8:9", 12]]) };
  assert.equal(hostLoad(a, reused).othersCpu, 0.03);
  assert.deepEqual(hostLoad(a, a), { othersCpu: 0, steal: 0, seconds: 0 });
  const quiet = hostLoad(a, { ...b, steal: 12, others: new Map([["7:1", 120]]) });
  assert.equal(isBusy(quiet), false);
  assert.equal(busyNote(quiet), null);
  assert.match(
    busyNote(hostLoad(a, { ...b, others: a.others, steal: 70 }))!,
    /hypervisor took 15%/,
  );
});

Deno.test("LoadMeter adds up a cell's windows, then takes the shares of the sum", () => {
  const meter = new LoadMeter();
  assert.equal(meter.load(), null, "no window yet");
  const at = (ms: number, total: number, steal: number, ticks: number) => ({
    at: ms,
    steal,
    total,
    others: new Map([["7:1", ticks]]),
  });
  meter.add(null, at(0, 0, 0, 0));
  assert.equal(meter.load(), null, "a window without a sample does not count");
  // Two windows: quiet (nothing of 100 ticks), then busy (50 of 100); 9 s between them unseen.
  meter.add(at(0, 0, 0, 10), at(500, 100, 0, 10));
  meter.add(at(9000, 1000, 5, 20), at(9500, 1100, 15, 70));
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
  return hostLoad(a, sampleHost()!);
}

Deno.test({
  name: "a busy child of this process counts as the benchmark's, a detached one as another's",
  ignore: !linux,
  async fn() {
    // The CPUs /proc/stat counts (a container may see fewer through hardwareConcurrency).
    const cores = (Deno.readTextFileSync("/proc/stat").match(/^cpu\d+ /gm) ?? []).length;
    // A child this process waits for (in the tree while it runs, then reaped).
    const own = await measure(async () => {
      await new Deno.Command(Deno.execPath(), { args: ["eval", spin(800)] }).output();
    });
    // The same spin started through a shell that does not wait: the spinner is reparented to
    // init, outside this tree, as another job on the host is.
    const script = `"${Deno.execPath()}" eval '${spin(800)}' >/dev/null 2>&1 &`;
    const detached = await measure(async () => {
      await new Deno.Command("/bin/sh", { args: ["-c", script] }).output();
      await new Promise((r) => setTimeout(r, 1000));
    });
    // In CPUs: the spinner kept about one busy for most of the window; the child is not counted.
    const busy = detached.othersCpu * cores;
    assert.ok(busy >= 0.5, `others used ${busy.toFixed(2)} CPUs while the spinner ran`);
    const ownAsOthers = own.othersCpu * cores;
    assert.ok(ownAsOthers < 0.3, `the waited-for child read as ${ownAsOthers.toFixed(2)} CPUs`);
  },
});

Deno.test({
  name: "processTable() puts this process's descendants in its tree, init and kthreadd out",
  ignore: !linux,
  async fn() {
    // A shell that waits for a sleeping grandchild: both are this process's descendants.
    const child = new Deno.Command("/bin/sh", { args: ["-c", "sleep 5 & wait"] }).spawn();
    try {
      let table = processTable(Deno.pid);
      for (let i = 0; i < 100 && table.tree.size < 3; i++) {
        await new Promise((r) => setTimeout(r, 10));
        table = processTable(Deno.pid);
      }
      const { facts, tree } = table;
      assert.ok(tree.has(Deno.pid) && tree.has(child.pid), [...tree].join(","));
      assert.ok(tree.size >= 3, `this process, the shell and its sleep: ${[...tree]}`);
      assert.ok(!tree.has(1), "not init");
      if (facts.has(2)) assert.ok(facts.get(2)!.kernel || facts.get(2)!.ppid === 0, "kthreadd");
      const sample = sampleHost()!;
      for (const key of sample.others.keys()) {
        assert.ok(!tree.has(Number(key.split(":")[0])), `${key} is the tree's`);
      }
    } finally {
      child.kill("SIGKILL");
      await child.status;
    }
  },
});
