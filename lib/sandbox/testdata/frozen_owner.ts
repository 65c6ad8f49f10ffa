// Owns a sandbox whose environment is frozen after one invocation, prints "frozen", and waits
// to be killed (see watchdog_test.ts). Args: <port> <dir> [auto|fallback].
import { fileURLToPath } from "node:url";
import { Sandbox } from "../sandbox.ts";

const [port, dir, controls] = Deno.args;
const testdata = (name: string) => fileURLToPath(new URL(`./${name}`, import.meta.url));
const sb = await Sandbox.create({
  codeDir: testdata("shell_fn"),
  optDir: testdata("opt_listener"),
  runtime: "provided",
  memoryMb: 1769,
  logDir: dir!,
  controls: controls === "fallback" ? "fallback" : "auto",
  env: {
    LISTENER_PORT: port!,
    LISTENER_PID_FILE: `${dir}/listener.pid`,
    SPIN_PID_FILE: `${dir}/spin.pid`,
  },
});
const result = await sb.invoke(new TextEncoder().encode(JSON.stringify("spin")));
console.log(result.status === "success" ? "frozen" : `invoke failed: ${result.status}`);
await new Promise(() => setInterval(() => {}, 60_000));
