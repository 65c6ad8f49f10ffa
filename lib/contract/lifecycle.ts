/**
 * The lifecycle part of the extension contract, for extensions that deliver nothing (the blank
 * extensions): register under the executable's name for INVOKE and SHUTDOWN, ask for the next
 * event after each INVOKE without waiting for a function, exit 0 on SHUTDOWN before its
 * deadline without asking again, and report a failed events loop to `/exit/error` with the
 * contract's `Extension.Crash` before exiting non-zero. No SQS is started: each case gets only a
 * test Extensions API and the extension process with Lambda's environment for extensions.
 *
 * @example
 * ```ts ignore
 * // lib/contract/blank_rust_test.ts
 * import { RUST_BLANK_EXTENSION_BIN } from "../paths.ts";
 * runLifecycleSuite({
 *   name: "blank-rust",
 *   extensionName: "battle-ext-blank",
 *   command: RUST_BLANK_EXTENSION_BIN,
 * });
 * ```
 *
 * @module
 */
import assert from "node:assert/strict";
import { CONTRACT } from "../../extensions/src/contract.ts";
import { type ExtensionsApi, startExtensionsApi } from "./extensions_api.ts";
import type { ExtensionCommand } from "./harness.ts";

/** Options of {@linkcode runLifecycleSuite}. */
export interface LifecycleSuiteOptions extends ExtensionCommand {
  /** Short implementation name; tests are named `lifecycle(<name>): ...`. */
  name: string;
  /** The `Lambda-Extension-Name` it must register with (its executable's name in Lambda). */
  extensionName: string;
  /** Skip every case (e.g. when the implementation is not built); default false. */
  ignore?: boolean;
}

/** One extension process and its test Extensions API. */
interface Running {
  api: ExtensionsApi;
  /** Everything the process printed. */
  log(): string;
  /** Resolves with the exit and `performance.now()` of it, or null after `timeoutMs`. */
  waitForExit(timeoutMs: number): Promise<{ code: number; at: number } | null>;
  close(): Promise<void>;
}

function start(extension: ExtensionCommand): Running {
  const api = startExtensionsApi();
  const child = new Deno.Command(extension.command, {
    args: extension.args ?? [],
    env: {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: Deno.env.get("HOME") ?? "/tmp",
      TZ: "UTC",
      AWS_LAMBDA_RUNTIME_API: api.address,
      AWS_LAMBDA_FUNCTION_NAME: "lifecycle",
      AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "128",
      AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
      AWS_REGION: "us-east-1",
      ...extension.env,
    },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output: string[] = [];
  const decoder = new TextDecoder();
  const pumps = Promise.all([child.stdout, child.stderr].map(async (stream) => {
    for await (const chunk of stream) output.push(decoder.decode(chunk));
  }));
  let exit: { code: number; at: number } | null = null;
  const status = child.status.then((s) => exit = { code: s.code, at: performance.now() });
  return {
    api,
    log: () => output.join(""),
    async waitForExit(timeoutMs) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([status, new Promise((r) => timer = setTimeout(r, timeoutMs))]);
      clearTimeout(timer);
      return exit;
    },
    async close() {
      if (exit === null) {
        try {
          child.kill("SIGKILL");
        } catch { /* exited meanwhile */ }
      }
      await status;
      await pumps;
      await api.close();
    },
  };
}

/**
 * Registers the lifecycle cases as `Deno.test`s for one implementation.
 *
 * @param options The implementation: name, expected extension name, how to start it.
 */
export function runLifecycleSuite(options: LifecycleSuiteOptions): void {
  const command: ExtensionCommand = {
    command: options.command,
    ...(options.args ? { args: options.args } : {}),
    ...(options.env ? { env: options.env } : {}),
  };
  const test = (name: string, fn: (x: Running) => Promise<void>) =>
    Deno.test({
      name: `lifecycle(${options.name}): ${name}`,
      ignore: options.ignore ?? false,
      fn: async () => {
        const x = start(command);
        try {
          // Init ends when the extension first asks for an event (Lambda's limit: 10 s).
          await x.api.waitForNext(1, 10_000);
          await fn(x);
        } catch (err) {
          if (err instanceof Error) err.message += `\n--- extension output ---\n${x.log()}`;
          throw err;
        } finally {
          await x.close();
        }
      },
    });

  test(`registers once as ${options.extensionName} for INVOKE and SHUTDOWN, then asks for an event`, async (x) => {
    assert.equal((await x.api.waitForRegistration()).name, options.extensionName);
    assert.equal(x.api.registrations.length, 1);
    const [registration] = x.api.registrations;
    assert.equal(registration?.name, options.extensionName);
    assert.deepEqual([...registration?.events ?? []].sort(), ["INVOKE", "SHUTDOWN"]);
    assert.ok((registration?.at ?? Infinity) < (x.api.nextCalls[0] ?? -Infinity));
    assert.deepEqual(x.api.errors, []);
  });

  test("asks for the next event promptly after each of 20 INVOKEs, without a function", async (x) => {
    for (let i = 0; i < 20; i++) {
      const count = x.api.nextCalls.length;
      const invokedAt = performance.now();
      x.api.invoke();
      const nextAt = await x.api.waitForNext(count + 1, 5_000);
      assert.ok(nextAt - invokedAt < 1_000, `INVOKE ${i}: /next after ${nextAt - invokedAt} ms`);
    }
    assert.equal(x.api.registrations.length, 1);
    assert.deepEqual(x.api.errors, []);
  });

  test("on SHUTDOWN exits 0 before the deadline without asking for another event", async (x) => {
    x.api.invoke();
    await x.api.waitForNext(2, 5_000);
    const calls = x.api.nextCalls.length;
    const deadlineAt = performance.now() + 2_000;
    x.api.shutdown({ deadlineMs: Date.now() + 2_000 });
    const exit = await x.waitForExit(3_000);
    assert.ok(exit, "still running 1 s past the SHUTDOWN deadline");
    assert.equal(exit.code, 0);
    assert.ok(exit.at <= deadlineAt, `exited ${Math.round(exit.at - deadlineAt)} ms late`);
    assert.equal(x.api.nextCalls.length, calls, "asked for an event after SHUTDOWN");
  });

  test(`when /event/next fails reports /exit/error ${CONTRACT.errorTypes.fatal} and exits non-zero`, async (x) => {
    x.api.failNext();
    const exit = await x.waitForExit(10_000);
    assert.ok(exit, "still running after /event/next failed");
    assert.notEqual(exit.code, 0);
    assert.deepEqual(
      x.api.errors.map((e) => ({ kind: e.kind, id: e.id, errorType: e.errorType })),
      [{ kind: "exit", id: x.api.registrations[0]?.id, errorType: CONTRACT.errorTypes.fatal }],
    );
  });
}
