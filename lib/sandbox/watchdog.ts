/**
 * Ties an environment's processes to the process that owns the sandbox. A frozen environment
 * does nothing on its own: if its owner is killed (`kill -9`, an out-of-memory kill, a CI job
 * cancelled) while the runtime and extensions are frozen, they would stay frozen, holding their
 * ports and memory, until the next sandbox start cleared them. So each environment gets a small
 * watchdog: a shell in a session of its own (out of reach of the owner's terminal signals),
 * outside the environment's groups, whose stdin is a pipe from the owner. The owner tells it
 * the process groups and cgroup directories to watch; when the pipe closes without a `done`
 * (the owner died: the kernel closes its end), the watchdog thaws the groups, kills every
 * process in them, waits until they are empty and removes them. At a normal teardown the owner
 * kills the processes itself and sends `done`; the watchdog then exits without touching
 * anything (so a recycled pid is never signalled).
 *
 * The kernel's parent-death signal (`PR_SET_PDEATHSIG`) would not do: it reaches only the
 * direct child, not what that child started, and a task frozen by the cgroup v1 freezer does
 * not act on SIGKILL until it is thawed.
 *
 * @example
 * ```ts
 * import { Watchdog } from "./watchdog.ts";
 * const child = new Deno.Command("setsid", { args: ["sleep", "30"] }).spawn();
 * const watchdog = Watchdog.start([]);
 * watchdog.watch(child.pid);
 * child.kill("SIGKILL");
 * await child.status;
 * await watchdog.close(); // the owner cleaned up: the watchdog leaves everything alone
 * ```
 *
 * @module
 */

/**
 * The watchdog's script. Lines on stdin: `pid <n>` (a process group leader to kill), `dir <path>`
 * (a cgroup directory to thaw, empty and remove), `done` (exit quietly). End of input without
 * `done`: the owner is gone, clean up.
 */
const SCRIPT = `
trap '' INT HUP TERM QUIT
pids=
dirs=
while read -r kind arg; do
  case $kind in
    pid) pids="$pids $arg" ;;
    dir) dirs="$dirs $arg" ;;
    done) exit 0 ;;
  esac
done
for d in $dirs; do
  if [ -e "$d/freezer.state" ]; then echo THAWED > "$d/freezer.state"; fi
  if [ -e "$d/cgroup.freeze" ]; then echo 0 > "$d/cgroup.freeze"; fi
  if [ -e "$d/cgroup.kill" ]; then echo 1 > "$d/cgroup.kill"; fi
done 2>/dev/null
for p in $pids; do
  kill -s KILL -- "-$p" || kill -s KILL -- "$p"
done 2>/dev/null
i=0
while [ "$i" -lt 100 ]; do
  left=
  for d in $dirs; do
    for p in $(cat "$d/cgroup.procs" 2>/dev/null); do left=1; kill -s KILL -- "$p" 2>/dev/null; done
  done
  [ -z "$left" ] && break
  sleep 0.05
  i=$((i + 1))
done
for d in $dirs; do rmdir "$d" 2>/dev/null; done
exit 0
`;

const encoder = new TextEncoder();

/** A running watchdog; see the module doc. */
export class Watchdog {
  readonly #child: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  /** Writes in order; a failed write (the watchdog is gone) is ignored. */
  #writes: Promise<void> = Promise.resolve();
  #closed = false;

  private constructor(child: Deno.ChildProcess) {
    this.#child = child;
    this.#writer = child.stdin.getWriter();
    // A live watchdog must not keep its owner's event loop alive.
    child.unref();
  }

  /**
   * Starts a watchdog for an environment.
   *
   * @param dirs the environment's cgroup directories (none in the process-tree fallback)
   * @returns the watchdog, already watching `dirs`
   * @throws {Deno.errors.NotFound} when `/bin/sh` is missing
   */
  static start(dirs: readonly string[]): Watchdog {
    const setsid = ["/usr/bin/setsid", "/bin/setsid"].find((p) => isFile(p));
    const child = new Deno.Command(setsid ?? "/bin/sh", {
      args: setsid ? ["/bin/sh", "-c", SCRIPT, "battle-watchdog"] : ["-c", SCRIPT],
      stdin: "piped",
      stdout: "null",
      stderr: "null",
      // Without setsid(1), a session of its own by Deno's own means.
      detached: setsid === undefined,
    }).spawn();
    const watchdog = new Watchdog(child);
    for (const dir of dirs) watchdog.#send(`dir ${dir}`);
    return watchdog;
  }

  /** The watchdog's pid. */
  get pid(): number {
    return this.#child.pid;
  }

  /**
   * Adds a process group to kill if the owner dies.
   *
   * @param pid the group's leader (a process started in a session of its own)
   */
  watch(pid: number): void {
    this.#send(`pid ${pid}`);
  }

  /**
   * Tells the watchdog the owner cleaned up, and waits for it to exit. Idempotent.
   *
   * @returns when the watchdog has exited
   */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      // Now its exit is awaited: it must hold the event loop until then.
      this.#child.ref();
      this.#send("done");
      const writes = this.#writes;
      this.#writes = writes.then(() => this.#writer.close()).catch(() => {});
    }
    await this.#writes;
    await this.#child.status;
  }

  #send(line: string): void {
    if (this.#closed && line !== "done") return;
    this.#writes = this.#writes
      .then(() => this.#writer.write(encoder.encode(`${line}\n`)))
      .catch(() => {});
  }
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}
