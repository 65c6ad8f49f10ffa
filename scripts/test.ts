/**
 * `deno task test`: every test, Rust included. Runs setup (idempotent), `cargo test` over the
 * workspace, then `deno test --doc` (the tests, and every ```ts example in a doc comment or a
 * Markdown file, type-checked and run), and ends with one line `N passed, N failed` that counts
 * all of them.
 *
 * Flags: `--no-setup` skips setup; `--rust-only`, `--deno-only`; anything after `--` goes to
 * `deno test` (for example a file filter).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { RUST_DIR } from "../lib/paths.ts";

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
