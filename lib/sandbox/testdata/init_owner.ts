// Owns a sandbox whose Init never ends, prints the runtime's pid once it runs, and waits to be
// killed in the middle of that Init (see watchdog_test.ts). Args: <dir>.
import { fileURLToPath } from "node:url";
import { Sandbox } from "../sandbox.ts";

const [dir] = Deno.args;
const testdata = (name: string) => fileURLToPath(new URL(`./${name}`, import.meta.url));
const pidFile = `${dir}/runtime.pid`;
const sb = await Sandbox.create({
  codeDir: testdata("init_forever"),
  runtime: "provided",
  memoryMb: 1769,
  logDir: dir!,
  env: { INIT_PID_FILE: pidFile },
});
sb.invoke(new TextEncoder().encode("{}")).catch(() => {});
for (;;) {
  const text = await Deno.readTextFile(pidFile).catch(() => "");
  if (text.trim() !== "") {
    console.log(text.trim());
    break;
  }
  await new Promise((r) => setTimeout(r, 10));
}
await new Promise(() => setInterval(() => {}, 60_000));
