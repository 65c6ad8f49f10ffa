/**
 * Private helper for `create.ts`: the memory of a process tree without a memory cgroup, sampled
 * the way one memory cgroup on a fresh host would charge it: every process's anonymous memory,
 * plus each resident file page once however many processes of the tree map it.
 *
 * Summing VmRSS instead would count the runtime binary once per process (two Node.js processes
 * share most of `node`'s text), and the kernel's own cgroup peak misses file pages that another
 * group brought into the page cache first; this estimate does neither. It cannot see page cache
 * filled by `read()` (only mapped files), a small part for the code sizes at hand.
 *
 * Cost: anonymous memory comes from `statm` through descriptors kept open (about 2 µs per
 * process and sample); the file part needs `smaps` (about a millisecond per large process), so
 * it is re-read on full samples (`resetPeak()`, `peakBytes()`) and every `FILES_EVERY`th tick.
 *
 * @module
 */
import { readOrNull } from "./_fs.ts";
import type { ProcessTree } from "./_proctree.ts";

/** Ticks between re-reads of `smaps` (the file part changes slowly) and between tree walks. */
const FILES_EVERY = 50;
const DISCOVER_EVERY = 10;
/**
 * `peakBytes()` re-reads `smaps` only when the last read is older than this: a warm invocation
 * of a millisecond maps no new files, and re-reading a Node.js process's `smaps` costs about a
 * millisecond, which a run of thousands of invocations would pay each time.
 */
const FILES_MAX_AGE_MS = 100;
/** ... or when the tree's file pages per `statm` moved by more than this since. */
const FILES_DRIFT_BYTES = 512 * 1024;
/** `ps` is a process spawn per sample: never sample faster than this without /proc. */
const PS_MIN_SAMPLE_MS = 100;

let pageBytes: number | undefined;
async function pageSize(): Promise<number> {
  if (pageBytes === undefined) {
    try {
      const { stdout } = await new Deno.Command("getconf", { args: ["PAGESIZE"], stderr: "null" })
        .output();
      pageBytes = Number(new TextDecoder().decode(stdout).trim()) || 4096;
    } catch {
      pageBytes = 4096;
    }
  }
  return pageBytes;
}

/**
 * Resident file-backed bytes per mapping of one process, keyed by the mapped object (device,
 * inode, offset, size), from `/proc/<pid>/smaps`: `Rss` minus `Anonymous` (copy-on-write pages
 * of a private file mapping are anonymous).
 */
export function fileMappings(smaps: string): Map<string, number> {
  const out = new Map<string, number>();
  let key: string | null = null;
  let rss = 0;
  const flush = () => {
    if (key !== null && rss > 0) out.set(key, Math.max(out.get(key) ?? 0, rss));
  };
  for (const line of smaps.split("\n")) {
    const header = /^[0-9a-f]+-[0-9a-f]+ \S+ ([0-9a-f]+) (\S+) (\d+)\s*(.*)$/.exec(line);
    if (header) {
      flush();
      const [, offset, dev, inode] = header;
      const size = line.slice(0, line.indexOf(" "));
      const [start = "0", end = "0"] = size.split("-");
      key = inode === "0"
        ? null
        : `${dev}:${inode}:${offset}:${parseInt(end, 16) - parseInt(start, 16)}`;
      rss = 0;
      continue;
    }
    if (key === null) continue;
    const field = /^(Rss|Anonymous):\s+(\d+) kB/.exec(line);
    if (field) rss += (field[1] === "Rss" ? 1 : -1) * Number(field[2]) * 1024;
  }
  flush();
  return out;
}

/** Memory of a process tree, sampled on a timer. */
export class RssSampler {
  readonly #tree: ProcessTree;
  readonly #statm = new Map<number, Deno.FsFile>();
  readonly #buf = new Uint8Array(256);
  #fileBytes = 0;
  #filesAt = -Infinity;
  /** The pids whose `smaps` the last read covered, and their file pages per `statm` then. */
  #filesOf = "";
  #sharedAtFiles = 0;
  /** File-backed resident bytes per `statm` (not deduplicated) at the last sample. */
  #sharedBytes = 0;
  #anonBytes = 0;
  #peak = 0;
  #ticks = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #sampling: Promise<void> | null = null;

  constructor(tree: ProcessTree) {
    this.#tree = tree;
  }

  /** Starts sampling every `everyMs` ms; the peak feeds `peakBytes()`. */
  start(everyMs: number): void {
    if (this.#timer !== undefined) return;
    if (this.#tree.source === "ps") everyMs = Math.max(everyMs, PS_MIN_SAMPLE_MS);
    const tick = () => {
      this.#timer = setTimeout(() => {
        this.#sampling = this.sample().finally(() => {
          this.#sampling = null;
          if (this.#timer !== undefined) tick();
        });
      }, everyMs);
      // A forgotten sampler must not keep the process alive.
      this.#timer.unref();
    };
    tick();
  }

  /** Stops sampling and waits for a sample in progress. */
  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#sampling;
  }

  /**
   * Takes one sample now. `full` also walks every thread's children and re-reads `smaps`;
   * `quick` only re-reads `statm` of the processes already known (microseconds).
   */
  async sample(mode: "tick" | "full" | "quick" = "tick"): Promise<void> {
    const full = mode === "full";
    const tick = mode === "tick" ? this.#ticks++ : 1;
    if (this.#tree.source === "ps") {
      const live = await this.#tree.refresh();
      this.#anonBytes = live.reduce((sum, p) => sum + p.rssBytes, 0);
      this.#fileBytes = 0;
    } else {
      if (full || tick % DISCOVER_EVERY === 0) await this.#tree.refresh(full);
      if (full || tick % FILES_EVERY === 0) await this.#readFiles();
      this.#anonBytes = await this.#readAnon();
    }
    this.#peak = Math.max(this.#peak, this.#anonBytes + this.#fileBytes);
  }

  /**
   * The highest sample since `resetPeak()`, including one taken now (the tree walked again and
   * `smaps` re-read when older than `FILES_MAX_AGE_MS` or taken before a process was added).
   */
  async peakBytes(): Promise<number> {
    await this.sample("quick");
    // A process that exec'd or mapped more since the last read (statm sees the sum move).
    const stale = performance.now() - this.#filesAt > FILES_MAX_AGE_MS ||
      this.#pidsKey() !== this.#filesOf ||
      Math.abs(this.#sharedBytes - this.#sharedAtFiles) > FILES_DRIFT_BYTES;
    if (stale) await this.sample("full");
    return this.#peak;
  }

  /** Mapped file pages of the tree (each once) at the last `smaps` read. */
  get fileBytes(): number {
    return this.#fileBytes;
  }

  /**
   * Starts a new peak window at the current memory. Quick (no tree walk, no `smaps`), since it
   * sits on the path to delivering an event: the file part is the one last measured.
   */
  async resetPeak(): Promise<void> {
    this.#peak = 0;
    await this.sample("quick");
  }

  /** The current estimate: anonymous plus deduplicated file-backed bytes. */
  async usage(): Promise<{ currentBytes: number; anonBytes: number; fileBytes: number }> {
    await this.sample("full");
    const anonBytes = this.#anonBytes;
    const fileBytes = this.#fileBytes;
    return { currentBytes: anonBytes + fileBytes, anonBytes, fileBytes };
  }

  /** Stops sampling and closes the descriptors. */
  async close(): Promise<void> {
    await this.stop();
    for (const file of this.#statm.values()) file.close();
    this.#statm.clear();
  }

  #pidsKey(): string {
    return this.#tree.knownPids().sort((a, b) => a - b).join(",");
  }

  async #readFiles(): Promise<void> {
    const union = new Map<string, number>();
    this.#filesOf = this.#pidsKey();
    await this.#readAnon();
    this.#sharedAtFiles = this.#sharedBytes;
    for (const pid of this.#tree.knownPids()) {
      const smaps = await readOrNull(`/proc/${pid}/smaps`);
      if (smaps === null) continue;
      for (const [key, bytes] of fileMappings(smaps)) {
        union.set(key, Math.max(union.get(key) ?? 0, bytes));
      }
    }
    this.#fileBytes = [...union.values()].reduce((a, b) => a + b, 0);
    this.#filesAt = performance.now();
  }

  /**
   * Sum of `resident - shared` pages (RssAnon; the `shared` sum goes to `#sharedBytes`) from
   * `statm` through descriptors kept open
   * between samples: a synchronous read of an open procfs file costs about 2 µs against about
   * 20 µs for an asynchronous open-read-close, and procfs reads never wait on a device. A
   * descriptor stays bound to its process, so a reused pid reads as an error.
   */
  async #readAnon(): Promise<number> {
    const page = await pageSize();
    const known = new Set(this.#tree.knownPids());
    for (const [pid, file] of this.#statm) {
      if (!known.has(pid)) {
        file.close();
        this.#statm.delete(pid);
      }
    }
    let pages = 0;
    let sharedPages = 0;
    for (const pid of known) {
      try {
        let file = this.#statm.get(pid);
        if (!file) {
          file = Deno.openSync(`/proc/${pid}/statm`, { read: true });
          this.#statm.set(pid, file);
        }
        file.seekSync(0, Deno.SeekMode.Start);
        const n = file.readSync(this.#buf) ?? 0;
        const [resident, shared] = statmFields(this.#buf, n);
        pages += Math.max(0, resident - shared);
        sharedPages += shared;
      } catch {
        this.#statm.get(pid)?.close();
        this.#statm.delete(pid);
      }
    }
    this.#sharedBytes = sharedPages * page;
    return pages * page;
  }
}

const STATM_FIELDS: [number, number] = [0, 0];

/**
 * The second and third fields of `statm` (resident and shared pages) read from its bytes in
 * place: a sample every few milliseconds makes no string or array. A field that is missing or
 * not a number reads as 0. The returned pair is reused by the next call.
 *
 * @param buf the bytes read
 * @param n how many of them
 * @returns [resident, shared]
 */
export function statmFields(buf: Uint8Array, n: number): readonly [number, number] {
  let field = 0;
  let value = 0;
  let digits = false;
  let bad = false;
  STATM_FIELDS[0] = 0;
  STATM_FIELDS[1] = 0;
  for (let i = 0; i <= n && field <= 2; i++) {
    const c = i < n ? buf[i]! : 32;
    if (c === 32 || c === 10) {
      if (field >= 1 && digits && !bad) STATM_FIELDS[field - 1] = value;
      if (digits || bad) field++;
      value = 0;
      digits = false;
      bad = false;
    } else if (c >= 48 && c <= 57) {
      value = value * 10 + (c - 48);
      digits = true;
    } else bad = true;
  }
  return STATM_FIELDS;
}
