import assert from "node:assert/strict";
import { parseCpuTime, ProcessTree } from "./_proctree.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("parseCpuTime() reads procps and BSD ps times", () => {
  assert.equal(parseCpuTime("00:01:05"), 65);
  assert.equal(parseCpuTime("1-00:00:01"), 86401);
  assert.equal(parseCpuTime("0:02.50"), 2.5);
});

for (const source of ["procfs", "ps"] as const) {
  Deno.test(`ProcessTree (${source}) follows grandchildren, stops and kills them`, async () => {
    const usable = source === "procfs"
      ? await Deno.stat("/proc/self").then(() => true, () => false)
      : await new Deno.Command("ps", { args: ["-o", "pid="], stdout: "null" }).output()
        .then((o) => o.success, () => false);
    if (!usable) {
      console.log(`skipped: no ${source} here`);
      return;
    }
    const tree = new ProcessTree(source);
    // sh starts a busy grandchild and waits for it.
    const child = new Deno.Command("/bin/sh", {
      args: ["-c", "sh -c 'while :; do :; done' & wait"],
      stdin: "null",
    }).spawn();
    try {
      await tree.add(child.pid);
      let pids: number[] = [];
      for (let i = 0; i < 200 && pids.length < 2; i++) {
        pids = await tree.pids();
        await sleep(10);
      }
      assert.equal(pids.length, 2, `pids ${pids}`);
      await tree.stopAll();
      for (const p of await tree.refresh()) assert.match(p.state, /^[Tt]$/, `${p.pid} ${p.state}`);
      await tree.continueAll();
      for (const p of await tree.refresh()) assert.doesNotMatch(p.state, /^[Tt]$/);
    } finally {
      await tree.signalAll("SIGKILL");
      await child.status;
    }
    assert.deepEqual(await tree.pids(), []);
  });
}
