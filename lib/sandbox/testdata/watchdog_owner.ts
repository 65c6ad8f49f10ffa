// Starts a process group of its own (a busy loop), stops it as the SIGSTOP freezer does, hands
// it to a Watchdog, prints its pid and waits to be killed (see watchdog_test.ts).
import { Watchdog } from "../watchdog.ts";

const child = new Deno.Command("/usr/bin/setsid", {
  args: ["/bin/sh", "-c", "while :; do :; done"],
  stdout: "null",
  stderr: "null",
}).spawn();
const watchdog = Watchdog.start([]);
watchdog.watch(child.pid);
await new Promise((r) => setTimeout(r, 100));
Deno.kill(child.pid, "SIGSTOP");
console.log(child.pid);
await new Promise(() => setInterval(() => {}, 60_000));
