import assert from "node:assert/strict";
import { commaList, numberFlag, parseFlags, runCommand } from "./_flags.ts";

/** Runs `fn` with console.log/error captured. */
async function captured(fn: () => Promise<number>) {
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  console.log = (...a: unknown[]) => out.push(a.join(" "));
  console.error = (...a: unknown[]) => err.push(a.join(" "));
  try {
    return { code: await fn(), out, err };
  } finally {
    console.log = log;
    console.error = error;
  }
}

Deno.test("parseFlags() reads typed values and positionals", () => {
  const { values, positionals } = parseFlags({
    args: ["a.txt", "--out", "o", "--merge", "--env", "A=1", "--env", "B=2"],
    options: {
      out: { type: "string" },
      merge: { type: "boolean", default: false },
      env: { type: "string", multiple: true, default: [] },
    },
    allowPositionals: true,
  });
  assert.deepEqual({ ...values }, { out: "o", merge: true, env: ["A=1", "B=2"] });
  assert.deepEqual(positionals, ["a.txt"]);
});

Deno.test("parseFlags() throws a one-line TypeError on a bad command line", () => {
  const options = { out: { type: "string" } } as const;
  assert.throws(() => parseFlags({ args: ["--bogus"], options }), {
    name: "TypeError",
    message: "Unknown option '--bogus'",
  });
  assert.throws(() => parseFlags({ args: ["--out"], options }), {
    name: "TypeError",
    message: "Option '--out <value>' argument missing",
  });
  assert.throws(() => parseFlags({ args: ["--out", "--x"], options }), {
    name: "TypeError",
    message: "Option '--out' argument is ambiguous.",
  });
  assert.throws(() => parseFlags({ args: ["stray"], options }), {
    name: "TypeError",
    message: "Unexpected argument 'stray'",
  });
});

Deno.test("numberFlag() checks whole numbers and bounds, naming flag and value", () => {
  assert.equal(numberFlag("cold", "10", { integer: true, min: 0 }), 10);
  assert.equal(numberFlag("timeout", "0.5", { above: 0, max: 900 }), 0.5);
  assert.throws(() => numberFlag("cold", "-1", { integer: true, min: 0 }), {
    name: "RangeError",
    message: 'Invalid --cold "-1": expected a whole number ≥ 0',
  });
  assert.throws(() => numberFlag("cold", "1.5", { integer: true }), {
    message: 'Invalid --cold "1.5": expected a whole number',
  });
  assert.throws(() => numberFlag("timeout", "0", { above: 0, max: 900 }), {
    message: 'Invalid --timeout "0": expected a number > 0 and ≤ 900',
  });
  assert.throws(() => numberFlag("memory", "", { integer: true }), { name: "RangeError" });
  assert.throws(() => numberFlag("memory", "x"), {
    message: 'Invalid --memory "x": expected a number',
  });
});

Deno.test("commaList() trims, drops empty items and maps each", () => {
  assert.deepEqual(commaList("arch", " arm64 ,x86_64,"), ["arm64", "x86_64"]);
  assert.deepEqual(commaList("memory", "128,512", Number), [128, 512]);
  assert.throws(() => commaList("arch", " , "), {
    name: "RangeError",
    message: 'Invalid --arch " , ": expected a comma-separated list',
  });
});

Deno.test("runCommand() exits 2 with one line on a bad command line, before running", async () => {
  let ran = false;
  const r = await captured(() =>
    runCommand("demo", ["--bogus"], {
      parse: (args) => parseFlags({ args, options: {} }),
      run: () => {
        ran = true;
      },
    })
  );
  assert.deepEqual(r, { code: 2, out: [], err: ["demo: Unknown option '--bogus'"] });
  assert.equal(ran, false);
});

Deno.test("runCommand() exits with the run's code, or 1 (failureCode) with one line on a throw", async () => {
  const steps = (fail: boolean) => ({
    parse: () => null,
    run: () => {
      if (fail) throw new Error('Cannot read "x": no such file\nmore detail');
      return 3;
    },
  });
  assert.equal((await captured(() => runCommand("demo", [], steps(false)))).code, 3);
  const r = await captured(() => runCommand("demo", [], steps(true)));
  assert.deepEqual(r, { code: 1, out: [], err: ['demo: Cannot read "x": no such file'] });
  const two = await captured(() => runCommand("demo", [], steps(true), { failureCode: 2 }));
  assert.equal(two.code, 2);
  const none = await captured(() => runCommand("demo", [], { parse: () => 0, run: () => {} }));
  assert.equal(none.code, 0);
});

Deno.test("runCommand() prints the usage for --help and after a bad command line", async () => {
  const steps = {
    parse: (args: string[]) => parseFlags({ args, options: { help: { type: "boolean" } } }),
    run: () => 9,
  } as const;
  const help = await captured(() => runCommand("demo", ["-h"], steps, { usage: "usage: demo" }));
  assert.deepEqual(help, { code: 0, out: ["usage: demo"], err: [] });
  const bad = await captured(() => runCommand("demo", ["-x"], steps, { usage: "usage: demo" }));
  assert.deepEqual(bad.err, ["demo: Unknown option '-x' (usage: demo)"]);
});

Deno.test("every command line prints one line and exits 2 on an unknown flag", async () => {
  const root = new URL("../../", import.meta.url);
  const entries = [
    "lib/cli/bench.ts",
    "lib/cli/build.ts",
    "lib/cli/ingest.ts",
    "lib/cli/report.ts",
    "lib/cli/sandbox.ts",
    "lib/cli/setup.ts",
    "lib/cli/study.ts",
    "notebooks/jupyter.ts",
  ];
  for (const entry of entries) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL(entry, root).pathname, "--bogus"],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const command = entry === "notebooks/jupyter.ts" ? "notebooks" : entry.slice(8, -3);
    assert.equal(out.code, 2, entry);
    assert.equal(new TextDecoder().decode(out.stdout), "", entry);
    const stderr = new TextDecoder().decode(out.stderr).trim();
    assert.match(stderr, new RegExp(`^${command}: Unknown option '--bogus'( \\(usage: .*\\))?$`));
  }
});

Deno.test("parseFlags() leaves out parseArgs's advice after the first sentence", () => {
  assert.throws(
    () => parseFlags({ args: ["--bogus"], options: {}, allowPositionals: true }),
    { name: "TypeError", message: "Unknown option '--bogus'" },
  );
});

Deno.test("parseFlags() reads a negative number after a string option as its value", () => {
  const options = { cold: { type: "string" }, quiet: { type: "boolean" } } as const;
  const { values } = parseFlags({ args: ["--cold", "-1", "--quiet"], options });
  assert.equal(values.cold, "-1");
  assert.throws(
    () => numberFlag("cold", values.cold!, { integer: true, min: 0 }),
    (e: unknown) => e instanceof RangeError && /^Invalid --cold "-1"/.test(e.message),
  );
  assert.throws(() => parseFlags({ args: ["--quiet", "-1"], options }), TypeError);
});
