/**
 * Private helper for `create.ts`: creates (and removes) one sandbox's cgroup directories under
 * a project parent `battle-sandbox/`, and clears groups left behind by runs that crashed.
 *
 * Group directories are named `<name>--<owner pid>` so a later run can tell a stale group (its
 * owner is gone) from one a concurrent run is using.
 *
 * @module
 */
import { join } from "node:path";
import {
  canWrite,
  findHierarchies,
  groupPids,
  type Hierarchy,
  pidAlive,
  readOrNull,
  signalPid,
  sleep,
  writeControl,
} from "./_fs.ts";

/** The project's parent group below which every sandbox group lives. */
export const PARENT_NAME = "battle-sandbox";

/** Why a hierarchy could not be used, for `inForce.detail`. */
export class GroupUnavailable extends Error {}

/**
 * Picks where the parent group goes in a v2 hierarchy and enables `controllers` for it: the
 * mount root where we may write it (the root is exempt from the "no internal processes" rule),
 * else the shallowest writable ancestor of our own cgroup that has no processes of its own
 * (a systemd-delegated subtree such as `user@1000.service`). A base where none of
 * `controllers` can be enabled is skipped; one where only some can is kept (the caller checks
 * which interface files the group got).
 * @returns the parent directory.
 * @throws {GroupUnavailable} when no candidate works, naming each candidate's reason.
 */
export async function v2Parent(h: Hierarchy, controllers: string[]): Promise<string> {
  const candidates = [h.mount];
  const below = h.ownDir.slice(h.mount.length).split("/").filter((s) => s !== "");
  for (let i = 1; i <= below.length; i++) candidates.push(join(h.mount, ...below.slice(0, i)));
  const reasons: string[] = [];
  for (const base of candidates) {
    if (!(await canWrite(base))) {
      reasons.push(`${base}: not writable`);
      continue;
    }
    try {
      const failures = await enableControllers(base, controllers);
      if (controllers.length > 0 && failures.length === controllers.length) {
        reasons.push(`${base}: ${failures.join(", ")}`);
        continue;
      }
      const parent = join(base, PARENT_NAME);
      await Deno.mkdir(parent, { recursive: true });
      const enabled = controllers.filter((c) => !failures.some((f) => f.startsWith(`${c}:`)));
      await enableControllers(parent, enabled);
      return parent;
    } catch (e) {
      reasons.push(`${base}: ${(e as Error).message}`);
    }
  }
  throw new GroupUnavailable(`no usable v2 parent (${reasons.join("; ")})`);
}

/** Enables each of `controllers` for the children of `dir`; returns `name: reason` failures. */
async function enableControllers(dir: string, controllers: string[]): Promise<string[]> {
  const enabled = ((await readOrNull(join(dir, "cgroup.subtree_control"))) ?? "").split(/\s+/);
  const failures: string[] = [];
  for (const c of controllers.filter((c) => !enabled.includes(c))) {
    try {
      await writeControl(join(dir, "cgroup.subtree_control"), `+${c}`);
    } catch (e) {
      failures.push(
        `${c}: cannot enable in ${dir}/cgroup.subtree_control: ${(e as Error).message}`,
      );
    }
  }
  return failures;
}

/**
 * Removes the groups in `parent` whose owning process is gone, killing what still runs there.
 * Groups of live owners (concurrent runs) are left alone.
 */
export async function removeStale(parent: string): Promise<string[]> {
  const removed: string[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(parent));
  } catch {
    return removed;
  }
  for (const entry of entries) {
    const m = /--(\d+)$/.exec(entry.name);
    if (!entry.isDirectory || !m || (await pidAlive(Number(m[1])))) continue;
    const dir = join(parent, entry.name);
    try {
      await emptyAndRemove(dir);
      removed.push(dir);
    } catch {
      // Another run may be cleaning the same group; it will go on a later pass.
    }
  }
  return removed;
}

/** SIGKILLs whatever is in `dir`, thaws it if frozen, waits until it is empty, removes it. */
export async function emptyAndRemove(dir: string, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const pids = await groupPids(dir);
    for (const pid of pids) signalPid(pid, "SIGKILL");
    // v1-frozen tasks act on SIGKILL only once thawed, and the freezer may be another hierarchy.
    if (pids.length > 0) await thawQuietly(dir);
    for (const pid of pids) await thawFreezerOf(pid);
    try {
      await Deno.remove(dir);
      return;
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return;
      if (performance.now() > deadline) {
        throw new Deno.errors.Busy(
          `Cannot remove cgroup ${dir} (pids ${pids.join(",")}): ${(e as Error).message}`,
        );
      }
    }
    await sleep(2);
  }
}

let hierarchies: Promise<Hierarchy[]> | undefined;

/** Thaws the freezer group `pid` is in, if that group is one of ours (below `battle-sandbox`). */
async function thawFreezerOf(pid: number): Promise<void> {
  const membership = await readOrNull(`/proc/${pid}/cgroup`);
  if (membership === null) return;
  hierarchies ??= findHierarchies();
  for (const line of membership.split("\n")) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!m || !m[2]!.includes(`/${PARENT_NAME}/`)) continue;
    const h = (await hierarchies).find((h) =>
      m[1] === "" ? h.version === 2 : h.version === 1 && h.controllers.includes("freezer") &&
        m[1]!.split(",").includes("freezer")
    );
    if (h) await thawQuietly(join(h.mount, m[2]!));
  }
}

async function thawQuietly(dir: string): Promise<void> {
  for (const [file, value] of [["freezer.state", "THAWED"], ["cgroup.freeze", "0"]] as const) {
    try {
      await writeControl(join(dir, file), value);
    } catch {
      // Not a freezer group.
    }
  }
}

/**
 * Creates the group directory `<parent>/<name>--<pid>`.
 * @throws {Deno.errors.AlreadyExists} when this process already has a group of that name.
 */
export async function makeGroup(parent: string, name: string): Promise<string> {
  const dir = join(parent, `${name}--${Deno.pid}`);
  try {
    await Deno.mkdir(dir);
  } catch (e) {
    if (e instanceof Deno.errors.AlreadyExists) {
      throw new Deno.errors.AlreadyExists(`Cgroup "${name}" already exists: ${dir}`);
    }
    throw e;
  }
  return dir;
}
