import assert from "node:assert/strict";
import { parseKeyed, valueOf } from "./_fs.ts";

Deno.test("parseKeyed() reads key value lines as the kernel writes them", () => {
  const stat = "cache 4096\nrss 123456789\nhierarchical_memory_limit 9223372036854771712\n";
  assert.deepEqual(
    parseKeyed(stat),
    new Map([["cache", 4096], ["rss", 123456789], [
      "hierarchical_memory_limit",
      9223372036854771712,
    ]]),
  );
  // Blank lines, leading blanks, tabs and a third field as before (the second field counts).
  assert.deepEqual(
    parseKeyed("\n  populated 1\nfrozen\t0\nkey 5 extra\nlonely\n\n"),
    new Map([["populated", 1], ["frozen", 0], ["key", 5]]),
  );
  assert.ok(Number.isNaN(parseKeyed("oom_kill x").get("oom_kill")));
  assert.equal(parseKeyed("").size, 0);
});

Deno.test("valueOf() finds a key only at the start of a line", () => {
  const stat = "total_rss 9\nrss 5\ncache 7\nmapped_file 3";
  assert.equal(valueOf(stat, "rss"), 5);
  assert.equal(valueOf(stat, "total_rss"), 9);
  assert.equal(valueOf(stat, "mapped_file"), 3);
  assert.equal(valueOf(stat, "file"), undefined);
  assert.equal(valueOf(stat, "swap"), undefined);
  assert.equal(valueOf("anon 12\nfile 4\n", "file"), 4);
});
