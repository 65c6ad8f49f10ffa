/**
 * The file system an environment's processes see, laid out as Lambda's: the function's code at
 * `/var/task` (read-only), the layers at `/opt` (read-only; empty without layers), a private
 * writable `/tmp`, and a hosts file in which `sandbox` and `sandbox.localdomain` name the
 * environment's own loopback address. It is a private mount namespace per environment, made by
 * the sandbox's launcher (`rust/launcher`, `battle-sandbox-exec namespace`), which the
 * environment's processes join as they start (`battle-sandbox-exec run --mntns`); the host's
 * own `/opt`, `/var/task`, `/tmp` and `/etc/hosts` are never touched.
 *
 * Where the host cannot (no launcher built, not root, no mount namespaces), the environment
 * runs on the host's file system as before: the code and layers at their own paths, and the
 * reason is kept in {@link EnvironmentFs.detail} for `run.json`'s controls.
 *
 * `/tmp` is private only when none of what the environment runs from lives under the host's
 * `/tmp` (a test's temporary code folder, a layer that links into `/tmp`): a private `/tmp`
 * would hide it. Then the host's `/tmp` is shared and the detail says so. The private `/tmp`
 * is a folder on disk, as Lambda's ephemeral storage is; its size is recorded, not enforced.
 *
 * @example
 * ```ts ignore
 * const fs = await EnvironmentFs.create({ launcher, codeDir: "/srv/fn", optDir: "/srv/layer",
 *   hostPaths: [], address: "127.0.0.1" });
 * fs.taskRoot; // "/var/task" (or "/srv/fn" on the host's file system)
 * await fs.close();
 * ```
 *
 * @module
 */
import { join, resolve } from "node:path";
import { tmpdir } from "node:os";
import { pidAlive } from "./cgroup/mod.ts";

/** Lambda's paths. */
export const TASK_ROOT = "/var/task";
export const OPT_ROOT = "/opt";

/** Lambda's default ephemeral storage, MB. */
export const DEFAULT_TMP_MB = 512;

/** What {@link EnvironmentFs.create} needs. */
export interface EnvironmentFsOptions {
  /** The launcher binary; null when it is not built (then the host's file system is used). */
  launcher: string | null;
  /** The function's code on the host. */
  codeDir: string;
  /** The `/opt`-like folder on the host, if any. */
  optDir?: string;
  /**
   * Host paths the environment's processes run from outside the code and layers (the runtime's
   * binary, the sandbox's own runtime client, `PYTHONPATH` entries): `/tmp` stays the host's
   * when one of them is under it.
   */
  hostPaths: readonly string[];
  /** The address `sandbox` and `sandbox.localdomain` resolve to inside. */
  address: string;
  /** Ephemeral storage size to record; default {@link DEFAULT_TMP_MB}. */
  tmpMb?: number;
  /** `host` skips the namespace (the recorded fallback); default `lambda`. */
  mode?: "lambda" | "host";
}

/** How long a namespace may take to be made before the host's file system is used. */
const READY_TIMEOUT_MS = 5_000;

/** One environment's file system. See the module doc. */
export class EnvironmentFs {
  /** `namespace`: Lambda's layout; `host`: the host's file system (see {@link detail}). */
  readonly kind: "namespace" | "host";
  /** Where the processes find the code (`LAMBDA_TASK_ROOT`). */
  readonly taskRoot: string;
  /** Where the processes find the layers; undefined without layers on the host's layout. */
  readonly optRoot: string | undefined;
  /** The `/proc/PID/ns/mnt` path processes join; null on the host's file system. */
  readonly mntns: string | null;
  /** Whether `/tmp` is the environment's own. */
  readonly privateTmp: boolean;
  /** What `sandbox` and `sandbox.localdomain` name inside (127.0.0.1 on the host's). */
  readonly address: string;
  /** What is in force and why, for `run.json`'s controls. */
  readonly detail: string;
  readonly #holder: Deno.ChildProcess | null;
  readonly #workDir: string | null;

  private constructor(
    fields: {
      kind: "namespace" | "host";
      taskRoot: string;
      optRoot: string | undefined;
      mntns: string | null;
      privateTmp: boolean;
      address: string;
      detail: string;
    },
    holder: Deno.ChildProcess | null,
    workDir: string | null,
  ) {
    this.kind = fields.kind;
    this.taskRoot = fields.taskRoot;
    this.optRoot = fields.optRoot;
    this.mntns = fields.mntns;
    this.privateTmp = fields.privateTmp;
    this.address = fields.address;
    this.detail = fields.detail;
    this.#holder = holder;
    this.#workDir = workDir;
  }

  /** The host's file system, with the reason. */
  static host(o: Pick<EnvironmentFsOptions, "codeDir" | "optDir">, why: string): EnvironmentFs {
    return new EnvironmentFs(
      {
        kind: "host",
        taskRoot: o.codeDir,
        optRoot: o.optDir,
        mntns: null,
        privateTmp: false,
        address: "127.0.0.1",
        detail: `host file system (${why})`,
      },
      null,
      null,
    );
  }

  /**
   * Makes the environment's namespace, or falls back to the host's file system with the reason.
   *
   * @param o the code, layers, launcher and the host paths the processes need
   * @returns the file system; never throws for a host that cannot, only records why
   */
  static async create(o: EnvironmentFsOptions): Promise<EnvironmentFs> {
    if (o.mode === "host") return EnvironmentFs.host(o, "asked for");
    if (o.launcher === null) {
      return EnvironmentFs.host(o, "the sandbox's launcher is not built: deno task build");
    }
    const tmpMb = o.tmpMb ?? DEFAULT_TMP_MB;
    await (staleSwept ??= removeStaleWorkDirs());
    const workDir = await Deno.makeTempDir({ prefix: WORK_PREFIX });
    try {
      // Whose it is, so a later process can remove it should this one die without closing it.
      await Deno.writeTextFile(join(workDir, OWNER_FILE), String(Deno.pid));
      const hostTmp = resolve(tmpdir());
      const sources = await hostSources(o);
      const underTmp = sources.find((p) => p === hostTmp || p.startsWith(`${hostTmp}/`));
      const emptyOpt = join(workDir, "opt");
      const tmp = join(workDir, "tmp");
      const scratch = join(workDir, "scratch");
      const hosts = join(workDir, "hosts");
      const shToBash = await shIsNotBash();
      await Promise.all([emptyOpt, tmp, scratch].map((d) => Deno.mkdir(d)));
      await Deno.chmod(tmp, 0o1777);
      await Deno.writeTextFile(hosts, hostsFile(o.address));
      const args = [
        "namespace",
        "--scratch",
        scratch,
        ...["--bind", o.codeDir, TASK_ROOT, "ro"],
        ...["--bind", o.optDir ?? emptyOpt, OPT_ROOT, "ro"],
        ...["--bind", hosts, "/etc/hosts", "ro"],
        ...(shToBash ? ["--bind", BASH, "/bin/sh", "ro"] : []),
        // Last: the sources above may live under the host's /tmp.
        ...(underTmp === undefined ? ["--bind", tmp, "/tmp", "rw"] : []),
      ];
      const holder = new Deno.Command(o.launcher, {
        args,
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const answer = await firstLine(holder, READY_TIMEOUT_MS);
      if (answer.line !== "ready") {
        await stopHolder(holder);
        await Deno.remove(workDir, { recursive: true }).catch(() => {});
        return EnvironmentFs.host(o, answer.error || "the launcher did not make a namespace");
      }
      const tmpDetail = underTmp === undefined
        ? `private /tmp (${tmpMb} MB recorded, not enforced)`
        : `the host's /tmp (${underTmp} is under it)`;
      return new EnvironmentFs(
        {
          kind: "namespace",
          taskRoot: TASK_ROOT,
          optRoot: OPT_ROOT,
          mntns: `/proc/${holder.pid}/ns/mnt`,
          privateTmp: underTmp === undefined,
          address: o.address,
          detail: `mount namespace: code at ${TASK_ROOT} and layers at ${OPT_ROOT} (read-only), ` +
            `${tmpDetail}, sandbox.localdomain is ${o.address}` +
            (shToBash ? ", /bin/sh is bash as on Amazon Linux" : ""),
        },
        holder,
        workDir,
      );
    } catch (e) {
      await Deno.remove(workDir, { recursive: true }).catch(() => {});
      if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.PermissionDenied) {
        return EnvironmentFs.host(o, `cannot start the launcher: ${(e as Error).message}`);
      }
      throw e;
    }
  }

  /** Lets the namespace go and removes the environment's `/tmp`. */
  async close(): Promise<void> {
    if (this.#holder !== null) await stopHolder(this.#holder);
    if (this.#workDir !== null) {
      await Deno.remove(this.#workDir, { recursive: true }).catch(() => {});
    }
  }
}

const BASH = "/bin/bash";
let shCheck: Promise<boolean> | null = null;

/**
 * Whether the host's `/bin/sh` is another shell while bash is there (Debian's dash): Amazon
 * Linux's `/bin/sh` is bash, and Lambda bootstraps written `#!/bin/sh` use bash's `source` and
 * `pipefail` (AWS's own custom-runtime tutorial does), so inside, bash is mounted at `/bin/sh`.
 */
function shIsNotBash(): Promise<boolean> {
  shCheck ??= (async () => {
    try {
      const [sh, bash] = await Promise.all([Deno.realPath("/bin/sh"), Deno.realPath(BASH)]);
      return sh !== bash;
    } catch {
      return false;
    }
  })();
  return shCheck;
}

/**
 * Whether this host can give environments their own file system: null when it can, else why
 * not (for tests and reports that need to know before making a sandbox).
 *
 * @param launcher the launcher binary, or null when it is not built
 * @param codeDir any folder to stand in for the code
 * @returns null, or the reason the host's file system would be used
 */
export async function namespaceSupport(
  launcher: string | null,
  codeDir: string,
): Promise<string | null> {
  const fs = await EnvironmentFs.create({ launcher, codeDir, hostPaths: [], address: "127.0.0.1" });
  await fs.close();
  return fs.kind === "namespace" ? null : fs.detail;
}

const WORK_PREFIX = "sandbox_env_";
const OWNER_FILE = "owner.pid";
let staleSwept: Promise<void> | null = null;

/**
 * Removes the folders (and so the private `/tmp`s) of environments whose owning process died
 * without closing them (`kill -9`; their namespaces went with their processes). Runs once per
 * process; a folder whose owner still runs, or that names none, is left alone.
 *
 * @returns when the sweep is done
 */
export async function removeStaleWorkDirs(): Promise<void> {
  const base = tmpdir();
  try {
    for await (const e of Deno.readDir(base)) {
      if (!e.isDirectory || !e.name.startsWith(WORK_PREFIX)) continue;
      const dir = join(base, e.name);
      const owner = Number((await Deno.readTextFile(join(dir, OWNER_FILE)).catch(() => "")).trim());
      if (!Number.isInteger(owner) || owner <= 0 || owner === Deno.pid) continue;
      if (await pidAlive(owner)) continue;
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  } catch {
    // An unreadable temporary folder: nothing to sweep.
  }
}

let addressSeq = 0;

/**
 * A loopback address of the environment's own (Linux routes all of 127.0.0.0/8 to `lo`), so
 * listeners that bind `sandbox.localdomain` on a fixed port (the Logs and Telemetry API
 * examples use 4243) do not collide across environments that run at once. 127.0.0.1 is left to
 * the Runtime API and `localhost`. The second byte comes from the process id, so two sandbox
 * processes on one host pick apart, the last two count environments.
 *
 * @returns an address in 127.64.0.1 – 127.191.255.254
 * @example nextSandboxAddress().startsWith("127.") // true
 */
export function nextSandboxAddress(): string {
  const n = addressSeq++ % 65_024; // 254 × 256 addresses per process
  return `127.${64 + (Deno.pid % 128)}.${Math.floor(n / 254)}.${(n % 254) + 1}`;
}

/** The hosts file inside: loopback names, and Lambda's names for the environment. */
export function hostsFile(address: string): string {
  return [
    "127.0.0.1\tlocalhost",
    "::1\tlocalhost ip6-localhost ip6-loopback",
    `${address}\tsandbox.localdomain sandbox`,
    "",
  ].join("\n");
}

/**
 * Every host path the environment runs from, symlinks followed one level into the layers'
 * `extensions/` (a layer made of links into a temporary folder runs from there).
 */
async function hostSources(o: EnvironmentFsOptions): Promise<string[]> {
  const real = (p: string) => Deno.realPath(p).catch(() => resolve(p));
  const out = await Promise.all([o.codeDir, ...(o.optDir ? [o.optDir] : []), ...o.hostPaths].map(
    real,
  ));
  if (o.optDir !== undefined) {
    const ext = join(o.optDir, "extensions");
    out.push(await real(ext));
    try {
      for await (const e of Deno.readDir(ext)) out.push(await real(join(ext, e.name)));
    } catch {
      // no extensions folder
    }
  }
  return out;
}

async function firstLine(
  child: Deno.ChildProcess,
  timeoutMs: number,
): Promise<{ line: string; error: string }> {
  const reader = child.stdout.getReader();
  let text = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((
    r,
  ) => (timer = setTimeout(() => r("timeout"), timeoutMs)));
  try {
    while (!text.includes("\n")) {
      const next = await Promise.race([reader.read(), timeout]);
      if (next === "timeout") return { line: "", error: `no answer in ${timeoutMs} ms` };
      if (next.done) break;
      text += new TextDecoder().decode(next.value);
    }
  } finally {
    clearTimeout(timer);
    reader.releaseLock();
  }
  const line = text.split("\n")[0]!.trim();
  if (line === "ready") {
    // Nothing more is written to either stream; keep them from holding the event loop.
    child.stdout.cancel().catch(() => {});
    child.stderr.cancel().catch(() => {});
    return { line, error: "" };
  }
  const err = await new Response(child.stderr).text().catch(() => "");
  return { line, error: err.trim().split("\n").pop() ?? "" };
}

async function stopHolder(child: Deno.ChildProcess): Promise<void> {
  await child.stdin.close().catch(() => {});
  let timer: ReturnType<typeof setTimeout> | undefined;
  const done = await Promise.race([
    child.status.then(() => true),
    new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 2_000))),
  ]);
  clearTimeout(timer);
  if (!done) {
    try {
      child.kill("SIGKILL");
    } catch {
      // gone
    }
    await child.status;
  }
  await child.stdout.cancel().catch(() => {});
  await child.stderr.cancel().catch(() => {});
}
