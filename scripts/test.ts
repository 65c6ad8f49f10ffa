/**
 * `deno task test`: every test, Rust, Go and Python included. Runs setup (idempotent), `cargo
 * test` over the workspace, `go test` in every Go module under `functions/`, pytest over the
 * Python functions and the notebooks' headless runner (in the project's venv, `.cache/venv`),
 * then `deno test --doc` (the tests, and every ```ts example in a doc comment or a Markdown
 * file, type-checked and run), and ends with
 * one line `N passed, N failed` that counts all of them. A missing Go or pytest counts as one
 * failure with its reason: a language's tests are never silently left out.
 *
 * Flags: `--no-setup` skips setup; `--rust-only`, `--deno-only`; anything after `--` goes to
 * `deno test` (for example a file filter).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { ROOT, RUST_DIR } from "../lib/paths.ts";
import { PYTHON } from "../lib/jupyter.ts";

/** The Python test folders (pytest): the Python functions, and the notebooks' headless runner. */
const PYTHON_TEST_DIRS = ["functions/python", "functions/python-pyo3", "notebooks"];

/** Every folder under `dir` holding a `go.mod`. */
function goModules(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const path = join(dir, entry.name);
    if (readdirSync(path).includes("go.mod")) found.push(path);
    else found.push(...goModules(path));
  }
  return found;
}

interface Tally {
  passed: number;
  failed: number;
}

/** Sums every `test result: ... N passed; M failed` line cargo printed. */
export function tallyCargo(output: string): Tally {
  const tally = { passed: 0, failed: 0 };
  for (const m of output.matchAll(/^test result: \w+\. (\d+) passed; (\d+) failed/gm)) {
    tally.passed += Number(m[1]);
    tally.failed += Number(m[2]);
  }
  return tally;
}

/** Reads pytest's closing line, e.g. `3 failed, 14 passed, 2 skipped in 0.57s`. */
export function tallyPytest(output: string): Tally {
  const last = output.trimEnd().split("\n").reverse().find((l) => / in [\d.]+s\b/.test(l)) ?? "";
  const count = (word: string) => Number(new RegExp(`(\\d+) ${word}`).exec(last)?.[1] ?? 0);
  return { passed: count("passed"), failed: count("failed") + count("errors?") };
}

/** Counts `go test -v`'s `--- PASS` and `--- FAIL` lines (subtests included). */
export function tallyGo(output: string): Tally {
  return {
    passed: [...output.matchAll(/^\s*--- PASS: /gm)].length,
    failed: [...output.matchAll(/^\s*--- FAIL: /gm)].length,
  };
}

/** Reads Deno's closing `ok | N passed | M failed` (or `FAILED | ...`) line. */
export function tallyDeno(output: string): Tally {
  // deno test prints ANSI colours unless NO_COLOR; strip them before matching.
  // deno-lint-ignore no-control-regex
  const plain = output.replace(/\x1b\[[0-9;]*m/g, "");
  const m = [...plain.matchAll(/^(?:ok|FAILED) \| (\d+) passed[^|]*\| (\d+) failed/gm)].at(-1);
  return m ? { passed: Number(m[1]), failed: Number(m[2]) } : { passed: 0, failed: 0 };
}

async function run(
  cmd: string,
  args: string[],
  cwd?: string,
): Promise<{ code: number; out: string }> {
  const child = new Deno.Command(cmd, {
    args,
    ...(cwd === undefined ? {} : { cwd }),
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const decoder = new TextDecoder();
  let out = "";
  const pump = async (stream: ReadableStream<Uint8Array>, sink: typeof Deno.stdout) => {
    for await (const chunk of stream) {
      out += decoder.decode(chunk, { stream: true });
      await sink.write(chunk);
    }
  };
  await Promise.all([pump(child.stdout, Deno.stdout), pump(child.stderr, Deno.stderr)]);
  const { code } = await child.status;
  return { code, out };
}

/** {@link run}, or one failure line naming the missing command. */
async function runOrMissing(cmd: string, args: string[], cwd: string) {
  try {
    return await run(cmd, args, cwd);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    const out = `${cmd} is not installed: the tests in ${cwd} cannot run (.ci/run installs it)`;
    console.error(out);
    return { code: 1, out };
  }
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    options: {
      "no-setup": { type: "boolean", default: false },
      "rust-only": { type: "boolean", default: false },
      "deno-only": { type: "boolean", default: false },
    },
    allowPositionals: true,
  });
  const total: Tally = { passed: 0, failed: 0 };
  if (!values["no-setup"]) {
    const setup = await run(Deno.execPath(), ["run", "-A", "lib/cli/setup.ts"]);
    if (setup.code !== 0) {
      console.error(`setup failed (exit ${setup.code}); tests that need its builds will fail`);
      total.failed += 1;
    }
  }
  if (!values["deno-only"]) {
    const cargo = await run("cargo", ["test", "--workspace", "--color", "never"], RUST_DIR);
    const t = tallyCargo(cargo.out);
    if (cargo.code !== 0 && t.failed === 0) t.failed = 1; // a build error counts as a failure
    total.passed += t.passed;
    total.failed += t.failed;
  }
  if (!values["rust-only"] && !values["deno-only"]) {
    for (const module of goModules(join(ROOT, "functions"))) {
      const go = await runOrMissing("go", ["test", "-v", "-count=1", "./..."], module);
      const t = tallyGo(go.out);
      if (go.code !== 0 && t.failed === 0) t.failed = 1;
      total.passed += t.passed;
      total.failed += t.failed;
    }
    const pytest = await runOrMissing(PYTHON, [
      "-m",
      "pytest",
      "-q",
      "-p",
      "no:cacheprovider",
      ...PYTHON_TEST_DIRS,
    ], ROOT);
    const t = tallyPytest(pytest.out);
    if (pytest.code !== 0 && t.failed === 0) t.failed = 1;
    total.passed += t.passed;
    total.failed += t.failed;
  }
  if (!values["rust-only"]) {
    const deno = await run(Deno.execPath(), [
      "test",
      "-A",
      "--doc",
      "--no-check=remote",
      ...positionals,
    ]);
    const t = tallyDeno(deno.out);
    if (deno.code !== 0 && t.failed === 0) t.failed = 1;
    total.passed += t.passed;
    total.failed += t.failed;
  }
  console.log(`${total.passed} passed, ${total.failed} failed`);
  Deno.exit(total.failed === 0 ? 0 : 1);
}
