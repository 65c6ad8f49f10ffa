import assert from "node:assert/strict";
import { fileMappings, RssSampler } from "./_rss.ts";
import { ProcessTree } from "./_proctree.ts";

const MB = 1024 * 1024;

const SMAPS = [
  "55d0a0000000-55d0a0200000 r-xp 00000000 fe:00 1234   /usr/bin/node",
  "Size:               2048 kB",
  "Rss:                1024 kB",
  "Anonymous:             0 kB",
  "55d0a0200000-55d0a0204000 rw-p 00200000 fe:00 1234   /usr/bin/node",
  "Size:                 16 kB",
  "Rss:                  16 kB",
  "Anonymous:            12 kB",
  "55d0a1000000-55d0a2000000 rw-p 00000000 00:00 0      [heap]",
  "Size:              16384 kB",
  "Rss:                8000 kB",
  "Anonymous:          8000 kB",
  "7f0000000000-7f0000001000 r--p 00000000 fe:00 99     /usr/lib/libc.so.6",
  "Rss:                   4 kB",
  "Anonymous:             0 kB",
  "VmFlags: rd mr mw me sd",
].join("\n");

Deno.test("fileMappings() keeps file-backed resident bytes per mapped object", () => {
  assert.deepEqual(
    fileMappings(SMAPS),
    new Map([
      ["fe:00:1234:00000000:2097152", 1024 * 1024],
      ["fe:00:1234:00200000:16384", 4 * 1024],
      ["fe:00:99:00000000:4096", 4 * 1024],
    ]),
  );
});

Deno.test("RssSampler counts a binary two processes share once", async () => {
  if (!(await Deno.stat("/proc/self/smaps").then(() => true, () => false))) {
    console.log("skipped: no /proc smaps here");
    return;
  }
  const code = "globalThis.kept = new Uint8Array(30 * 1024 * 1024).fill(1); console.log('ready');" +
    "setTimeout(() => {}, 60000);";
  const tree = new ProcessTree();
  const sampler = new RssSampler(tree);
  const kids = [0, 1].map(() =>
    new Deno.Command(Deno.execPath(), { args: ["eval", code], stdout: "piped" }).spawn()
  );
  try {
    for (const k of kids) {
      await tree.add(k.pid);
      const reader = k.stdout.getReader();
      await reader.read();
      reader.releaseLock();
      await k.stdout.cancel();
    }
    const usage = await sampler.usage();
    let statusFile = 0;
    let statusAnon = 0;
    for (const k of kids) {
      const status = await Deno.readTextFile(`/proc/${k.pid}/status`);
      const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(status)![1]);
      statusFile += kb("RssFile") * 1024;
      statusAnon += kb("RssAnon") * 1024;
    }
    assert.ok(
      usage.anonBytes >= 60 * MB,
      `anon ${usage.anonBytes / MB} MB, status ${statusAnon / MB}`,
    );
    assert.ok(Math.abs(usage.anonBytes - statusAnon) < 8 * MB, `${usage.anonBytes} ${statusAnon}`);
    // Both map the same deno binary: the union is well under the sum of the two.
    assert.ok(usage.fileBytes > 0 && usage.fileBytes < statusFile * 0.75, `${usage.fileBytes}`);
    assert.ok((await sampler.peakBytes()) >= usage.currentBytes - MB);
  } finally {
    for (const k of kids) k.kill("SIGKILL");
    for (const k of kids) await k.status;
    await sampler.close();
  }
});
