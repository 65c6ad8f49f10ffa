// The cgroup v2 memory and parent logic against a fake cgroup tree in a temporary folder, so it
// is checked on machines (like the v1 CI host) whose kernel has no v2 memory controller.
import assert from "node:assert/strict";
import { join } from "node:path";
import { accountingV2, limitV2 } from "./_memory.ts";
import { v2Parent } from "./_dirs.ts";
import type { Hierarchy } from "./_fs.ts";

async function fakeGroup(files: Record<string, string>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "fake-cgroup-" });
  for (const [name, text] of Object.entries(files)) {
    if (text === "<dir>") await Deno.mkdir(join(dir, name), { recursive: true });
    else {
      await Deno.mkdir(join(dir, name, ".."), { recursive: true });
      await Deno.writeTextFile(join(dir, name), text);
    }
  }
  return dir;
}

const read = (dir: string, name: string) => Deno.readTextFile(join(dir, name));

Deno.test("limitV2() writes memory.max and turns swap off", async () => {
  const dir = await fakeGroup({ "memory.max": "max\n", "memory.swap.max": "max\n" });
  try {
    assert.equal(await limitV2(dir, 134217728), "swap off via memory.swap.max=0");
    assert.equal(await read(dir, "memory.max"), "134217728");
    assert.equal((await read(dir, "memory.swap.max")).slice(0, 1), "0");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("accountingV2() without a resettable memory.peak samples memory.current", async () => {
  // memory.peak as a folder cannot be opened for writing, like a kernel before 6.12.
  const dir = await fakeGroup({
    "memory.peak": "<dir>",
    "memory.current": "100\n",
    "memory.events": "low 0\nhigh 0\nmax 3\noom 1\noom_kill 2\n",
    "memory.stat": "anon 70\nfile 30\nkernel 5\n",
  });
  const setCurrent = (n: number) => Deno.writeTextFile(join(dir, "memory.current"), `${n}\n`);
  const accounting = await accountingV2(dir, 1000);
  try {
    await setCurrent(300);
    assert.equal(await accounting.peakBytes(), 300);
    await setCurrent(50);
    assert.equal(await accounting.peakBytes(), 300);
    await accounting.resetPeak();
    assert.equal(await accounting.peakBytes(), 50);
    assert.equal(await accounting.oomKills(), 2);
    assert.deepEqual(await accounting.usage(), { currentBytes: 50, anonBytes: 70, fileBytes: 30 });
  } finally {
    accounting.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("v2Parent() skips a base whose controllers cannot be enabled", async () => {
  // The root's subtree_control refuses writes (a folder here; EBUSY on a real kernel when the
  // namespace root holds processes), so the parent goes below our own group's ancestor `a`.
  const mount = await fakeGroup({
    "cgroup.subtree_control": "<dir>",
    "a/cgroup.subtree_control": "",
    "a/battle-sandbox/cgroup.subtree_control": "",
    "a/b/cgroup.procs": "1\n",
  });
  const h: Hierarchy = {
    version: 2,
    mount,
    controllers: ["cpu", "memory"],
    ownDir: join(mount, "a", "b"),
    readOnly: false,
  };
  try {
    assert.equal(await v2Parent(h, []), join(mount, "battle-sandbox"));
    assert.equal(await v2Parent(h, ["memory"]), join(mount, "a", "battle-sandbox"));
    assert.equal(await read(mount, "a/cgroup.subtree_control"), "+memory");
    assert.equal(await read(mount, "a/battle-sandbox/cgroup.subtree_control"), "+memory");
  } finally {
    await Deno.remove(mount, { recursive: true });
  }
});

Deno.test("v2Parent() names every candidate when none works", async () => {
  const mount = await fakeGroup({ "cgroup.subtree_control": "<dir>", "a/b": "<dir>" });
  const h: Hierarchy = {
    version: 2,
    mount,
    controllers: ["memory"],
    ownDir: join(mount, "a", "b"),
    readOnly: false,
  };
  try {
    await assert.rejects(v2Parent(h, ["memory"]), (e: Error) => {
      assert.match(e.message, /no usable v2 parent/);
      for (const base of [mount, join(mount, "a"), join(mount, "a", "b")]) {
        assert.ok(e.message.includes(`${base}:`), `${base} missing from ${e.message}`);
      }
      return true;
    });
  } finally {
    await Deno.remove(mount, { recursive: true });
  }
});
