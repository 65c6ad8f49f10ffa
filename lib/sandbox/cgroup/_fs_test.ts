import assert from "node:assert/strict";
import { KernelFile } from "./_fs.ts";
import { statmFields } from "./_rss.ts";

Deno.test("KernelFile reads numbers and keys as the kernel writes them, again after each change", () => {
  const path = Deno.makeTempFileSync();
  const file = new KernelFile(path);
  try {
    // Rewritten in place between reads, as the kernel regenerates a cgroup file on each read.
    const put = (text: string) => Deno.writeTextFileSync(path, text);
    put("123456789\n");
    assert.equal(file.number(), 123456789);
    put("max\n");
    assert.equal(file.number(), Infinity);
    put("  42 ");
    assert.equal(file.number(), 42);
    put("-3\n");
    assert.equal(file.number(), -3);
    // Beyond 15 digits Number's own rounding, as readNumber gives.
    put("9223372036854771712\n");
    assert.equal(file.number(), Number("9223372036854771712"));
    for (const bad of ["", "12x", "1e5", "max 1", "-"]) {
      put(bad);
      assert.throws(() => file.number(), TypeError, bad === "" ? '""' : `"${bad}"`);
    }
    const stat = "total_rss 9\nrss 5\ncache 7\nmapped_file 3\nrss_huge 0\nodd x\nempty \n";
    put(stat);
    // A key only at the start of a line: `rss` is not `total_rss`'s tail, `file` is no key.
    const want = { rss: 5, total_rss: 9, cache: 7, mapped_file: 3, rss_huge: 0, empty: 0 };
    for (const [key, value] of Object.entries(want)) assert.equal(file.key(key), value, key);
    for (const key of ["file", "swap", "total", "rss_"]) {
      assert.equal(file.key(key), undefined, key);
    }
    assert.ok(Number.isNaN(file.key("odd")));
    put("anon 12\nfile 4\n");
    assert.equal(file.key("file"), 4);
    put("populated 1\nfrozen 0\n");
    assert.equal(file.key("frozen"), 0);
    put("populated 1\nfrozen 1");
    assert.equal(file.key("frozen"), 1);
    assert.equal(file.text(), "populated 1\nfrozen 1");
    // Longer than the buffer it starts with: read whole.
    const long = Array.from({ length: 400 }, (_, i) => `key_${i} ${i * 7}`).join("\n");
    put(long);
    assert.equal(file.key("key_399"), 399 * 7);
    assert.equal(file.key("key_0"), 0);
    file.close();
    put("7\n");
    assert.equal(file.number(), 7, "a read after close() opens the file again");
  } finally {
    file.close();
    Deno.removeSync(path);
  }
  assert.throws(() => new KernelFile(`${path}.missing`).number(), Deno.errors.NotFound);
});

Deno.test("statmFields() takes resident and shared pages from statm's bytes", () => {
  const enc = new TextEncoder();
  const read = (text: string) => {
    const bytes = enc.encode(text);
    return [...statmFields(bytes, bytes.length)];
  };
  assert.deepEqual(read("2519 318 280 158 0 143 0\n"), [318, 280]);
  assert.deepEqual(read("2519 318 280"), [318, 280]);
  assert.deepEqual(read("2519 318\n"), [318, 0]);
  assert.deepEqual(read(""), [0, 0]);
  assert.deepEqual(read("2519 x1 280 1\n"), [0, 280]);
  // Only the first n bytes count (the buffer is reused between reads).
  const bytes = enc.encode("10 20 30 40 50 60 70\n");
  assert.deepEqual([...statmFields(bytes, 5)], [20, 0]);
});
