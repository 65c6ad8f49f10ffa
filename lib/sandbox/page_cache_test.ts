import assert from "node:assert/strict";
import { join } from "node:path";
import { canEvict, evictFromPageCache } from "./page_cache.ts";

/** Resident pages of a file, from util-linux `fincore` (null where it is missing). */
async function residentPages(path: string): Promise<number | null> {
  try {
    const out = await new Deno.Command("fincore", {
      args: ["--bytes", "--noheadings", "--output", "PAGES", path],
      stdout: "piped",
      stderr: "null",
    }).output();
    return out.success ? Number(new TextDecoder().decode(out.stdout).trim()) : null;
  } catch {
    return null;
  }
}

Deno.test({
  name: "evictFromPageCache() drops a folder's files from the page cache, following symlinks",
  ignore: !canEvict(),
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "page-cache-" });
    try {
      await Deno.mkdir(join(dir, "sub"));
      const big = join(dir, "sub", "code.bin");
      await Deno.writeFile(big, new Uint8Array(4 * 1024 * 1024).fill(7));
      await Deno.writeTextFile(join(dir, "small.js"), "export const x = 1;\n");
      await Deno.symlink(big, join(dir, "link.bin"));
      await Deno.readFile(big);
      // Pages still being written back cannot be dropped: flush them first.
      await new Deno.Command("sync").output();
      const before = await residentPages(big);
      const result = await evictFromPageCache([dir]);
      assert.equal(result.files, 2, "the symlink's target is counted once");
      assert.equal(result.bytes, 4 * 1024 * 1024 + 20);
      assert.equal(result.failed, 0);
      if (before !== null) {
        assert.ok(before > 0, `resident before: ${before}`);
        assert.equal(await residentPages(big), 0);
      }
      assert.deepEqual(await evictFromPageCache([join(dir, "absent")]), {
        files: 0,
        bytes: 0,
        failed: 0,
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
