/**
 * Private helpers for `create.ts`: where the cgroup hierarchies are mounted, which cgroup this
 * process lives in, and small read/write/poll helpers for cgroup and /proc files.
 *
 * @module
 */
import { join } from "node:path";

/** One mounted cgroup hierarchy. */
export interface Hierarchy {
  version: 1 | 2;
  /** Where it is mounted, e.g. `/sys/fs/cgroup/memory`. */
  mount: string;
  /** v1: the controllers bound to it (`memory`, `cpu`, ...); v2: those in `cgroup.controllers`. */
  controllers: string[];
  /** This process's cgroup in it as a directory (mount + own path relative to the mount root). */
  ownDir: string;
  readOnly: boolean;
}

/** Reads a whole text file, or `null` when it does not exist or cannot be read. */
export async function readOrNull(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return null;
  }
}

/**
 * Writes `value` to an existing kernel interface file in one `write(2)` (cgroup files act on each
 * write, so no truncation or creation). Synchronous underneath: a cgroup file never waits on a
 * device, and a blocking call costs a few µs against tens of µs for a hop to the I/O threads,
 * several times per invocation.
 */
// deno-lint-ignore require-await
export async function writeControl(path: string, value: string): Promise<void> {
  const file = Deno.openSync(path, { write: true });
  try {
    file.writeSync(new TextEncoder().encode(value));
  } finally {
    file.close();
  }
}

/** Reads a file holding one integer (`max` reads as Infinity); synchronous underneath. */
// deno-lint-ignore require-await
export async function readNumber(path: string): Promise<number> {
  const text = Deno.readTextFileSync(path).trim();
  if (text === "max") return Infinity;
  const n = Number(text);
  if (!Number.isFinite(n)) throw new TypeError(`Cannot parse ${path}: "${text}" is not a number`);
  return n;
}

/**
 * A kernel interface file (cgroupfs, procfs) read many times per invocation: through one
 * descriptor kept open, into a reused buffer, parsed in place. A read makes no path, string or
 * map, so the sandbox's bookkeeping between invocations leaves little garbage behind: each
 * young-generation collection of this process is a pause of 0.2–0.5 ms, and one that lands
 * while a runtime answers delays the answer by as much. Synchronous: these files never wait on
 * a device. The descriptor is opened at the first read; {@link KernelFile.close} before the
 * group is removed.
 */
export class KernelFile {
  readonly path: string;
  #file: Deno.FsFile | null = null;
  #buf = new Uint8Array(2048);
  #len = 0;

  constructor(path: string) {
    this.path = path;
  }

  /**
   * The file's number (`max` reads as Infinity), as {@link readNumber} reads it.
   *
   * @throws {TypeError} when the file holds no number
   * @throws {Deno.errors.NotFound} when the file (or its group) is gone
   */
  number(): number {
    this.#read();
    const buf = this.#buf;
    let i = 0;
    let end = this.#len;
    while (i < end && isBlank(buf[i])) i++;
    while (end > i && isBlank(buf[end - 1])) end--;
    if (end - i === 3 && buf[i] === 109 && buf[i + 1] === 97 && buf[i + 2] === 120) {
      return Infinity; // "max"
    }
    const n = end > i ? digits(buf, i, end) : NaN;
    if (!Number.isFinite(n)) {
      const text = new TextDecoder().decode(buf.subarray(i, end));
      throw new TypeError(`Cannot parse ${this.path}: "${text}" is not a number`);
    }
    return n;
  }

  /**
   * The number after `key ` at the start of a line, as the kernel writes `key value` lines
   * (memory.stat, memory.events, cpu.stat, cgroup.events).
   *
   * @returns the number (NaN where the value is not one), or undefined where no line has the key
   * @throws {Deno.errors.NotFound} when the file (or its group) is gone
   */
  key(key: string): number | undefined {
    this.#read();
    const buf = this.#buf;
    const len = this.#len;
    const k = key.length;
    let at = 0;
    while (at < len) {
      let j = 0;
      while (j < k && at + j < len && buf[at + j] === key.charCodeAt(j)) j++;
      if (j === k && at + k < len && buf[at + k] === 32) {
        let end = at + k + 1;
        while (end < len && buf[end] !== 10) end++;
        let from = at + k + 1;
        while (from < end && isBlank(buf[from])) from++;
        let to = end;
        while (to > from && isBlank(buf[to - 1])) to--;
        return to > from ? digits(buf, from, to) : 0;
      }
      while (at < len && buf[at] !== 10) at++;
      at++;
    }
    return undefined;
  }

  /** The file's text without surrounding blanks (allocates a string, unlike the others). */
  text(): string {
    this.#read();
    return new TextDecoder().decode(this.#buf.subarray(0, this.#len)).trim();
  }

  /** Closes the descriptor (a later read opens it again). */
  close(): void {
    this.#file?.close();
    this.#file = null;
  }

  #read(): void {
    this.#file ??= Deno.openSync(this.path, { read: true });
    const file = this.#file;
    file.seekSync(0, Deno.SeekMode.Start);
    let len = 0;
    for (;;) {
      if (len === this.#buf.length) {
        const grown = new Uint8Array(len * 2);
        grown.set(this.#buf);
        this.#buf = grown;
      }
      const n = file.readSync(this.#buf.subarray(len));
      if (!n) break;
      len += n;
    }
    this.#len = len;
  }
}

function isBlank(c: number | undefined): boolean {
  return c === 32 || c === 10 || c === 9 || c === 13;
}

/** A decimal integer (an optional `-`) from `buf[from, to)`, or NaN when anything else is there. */
function digits(buf: Uint8Array, from: number, to: number): number {
  let sign = 1;
  if (buf[from] === 45) {
    sign = -1;
    from++;
  }
  if (from === to) return NaN;
  // Beyond 15 digits the running sum could round differently from Number's parse.
  if (to - from > 15) {
    return sign * Number(new TextDecoder().decode(buf.subarray(from, to)).replace(/[^0-9]/g, "x"));
  }
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = buf[i]! - 48;
    if (d < 0 || d > 9) return NaN;
    n = n * 10 + d;
  }
  return sign * n;
}

/** Waits `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `check` every `everyMs` until it returns true.
 * @throws {Deno.errors.TimedOut} naming `what` when `timeoutMs` passes first.
 */
export async function pollUntil(
  check: () => Promise<boolean>,
  opts: { what: string; timeoutMs?: number; everyMs?: number },
): Promise<void> {
  const deadline = performance.now() + (opts.timeoutMs ?? 5000);
  let wait = 0.5;
  while (!(await check())) {
    if (performance.now() > deadline) {
      throw new Deno.errors.TimedOut(`Timed out waiting for ${opts.what}`);
    }
    await sleep(wait);
    wait = Math.min(wait * 2, opts.everyMs ?? 10);
  }
}

/** Lists the pids in a cgroup directory (`cgroup.procs`), empty when it is gone. */
export async function groupPids(dir: string): Promise<number[]> {
  const text = await readOrNull(join(dir, "cgroup.procs"));
  if (text === null) return [];
  return text.split("\n").filter((l) => l.trim() !== "").map(Number);
}

/** Sends `signal` to `pid`, ignoring processes that are already gone. */
export function signalPid(pid: number, signal: Deno.Signal): void {
  try {
    Deno.kill(pid, signal);
  } catch {
    // ESRCH: the process exited meanwhile, which is what we wanted anyway.
  }
}

/** Whether a process with this pid exists (zombies included). */
export async function pidAlive(pid: number): Promise<boolean> {
  try {
    await Deno.stat(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

/**
 * Finds the cgroup hierarchies mounted in this process's mount namespace and this process's
 * cgroup in each, from /proc/self/mountinfo and /proc/self/cgroup.
 * @returns an empty list where there is no /proc or no cgroup file system (macOS, BSD).
 */
export async function findHierarchies(): Promise<Hierarchy[]> {
  const mountinfo = await readOrNull("/proc/self/mountinfo");
  const membership = await readOrNull("/proc/self/cgroup");
  if (mountinfo === null || membership === null) return [];
  // /proc/self/cgroup: "hierarchy-id:controller,list:/path"; v2 is "0::/path".
  const ownPaths = new Map<string, string>();
  for (const line of membership.split("\n")) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (m) ownPaths.set(m[1] === "0" ? "" : m[2]!, m[3]!);
  }
  const hierarchies: Hierarchy[] = [];
  for (const line of mountinfo.split("\n")) {
    // id parent major:minor root mountpoint options [optional...] - fstype source superoptions
    const [left, right] = line.split(" - ");
    if (!left || !right) continue;
    const fields = left.split(" ");
    const [fstype, , superOptions = ""] = right.split(" ");
    const root = unescapeMount(fields[3] ?? "/");
    const mount = unescapeMount(fields[4] ?? "");
    const readOnly = (fields[5] ?? "").split(",").includes("ro");
    if (fstype === "cgroup2") {
      const ownPath = ownPaths.get("") ?? "/";
      const controllers = ((await readOrNull(join(mount, "cgroup.controllers"))) ?? "")
        .trim().split(/\s+/).filter((c) => c !== "");
      hierarchies.push({
        version: 2,
        mount,
        controllers,
        ownDir: join(mount, relativeTo(ownPath, root)),
        readOnly,
      });
    } else if (fstype === "cgroup") {
      const options = superOptions.split(",");
      const key = [...ownPaths.keys()].find((k) =>
        k !== "" && k.split(",").every((c) => options.includes(c))
      );
      const controllers = options.filter((o) =>
        !["rw", "ro", "relatime", "noexec", "nosuid", "nodev", "clone_children"].includes(o) &&
        !o.startsWith("name=") && !o.startsWith("release_agent=")
      );
      hierarchies.push({
        version: 1,
        mount,
        controllers,
        ownDir: join(mount, relativeTo(key === undefined ? "/" : ownPaths.get(key)!, root)),
        readOnly,
      });
    }
  }
  return hierarchies;
}

/** The part of `path` below the mount's `root` (a container sees only its own subtree). */
function relativeTo(path: string, root: string): string {
  if (root === "/" || root === "") return path;
  return path.startsWith(root) ? path.slice(root.length) || "/" : path;
}

/** mountinfo escapes space, tab, newline and backslash as octal. */
function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Whether this process may create directories and write files in `dir`. */
export async function canWrite(dir: string): Promise<boolean> {
  try {
    const info = await Deno.stat(dir);
    const uid = Deno.uid();
    if (uid === 0) return true;
    if (info.uid === uid) return ((info.mode ?? 0) & 0o200) !== 0;
    return ((info.mode ?? 0) & 0o002) !== 0;
  } catch {
    return false;
  }
}
