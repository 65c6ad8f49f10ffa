/**
 * Private helper for `create.ts`: decides, per controller, which hierarchy's group holds it
 * (v2 where the unified hierarchy has the controller, else its v1 hierarchy) and creates each
 * group once, on first use.
 *
 * @module
 */
import { join } from "node:path";
import { canWrite, type Hierarchy, readOrNull } from "./_fs.ts";
import { emptyAndRemove, makeGroup, PARENT_NAME, removeStale, v2Parent } from "./_dirs.ts";

/** A control's mechanism and the group directory that holds it. */
export interface Placed {
  version: "cgroup-v1" | "cgroup-v2";
  dir: string;
}

/** The v2 interface file a group has only when the controller is enabled for it. */
const V2_MARKER: Record<string, string> = { memory: "memory.max", cpu: "cpu.max" };

/** Creates one environment's groups across hierarchies and remembers what it made. */
export class Placer {
  /** The group directory made in each hierarchy. */
  readonly dirs: Map<Hierarchy, string> = new Map();
  /** Why hierarchies could not be used, for `inForce.detail`. */
  readonly notes: string[] = [];
  /** Stale groups of crashed runs removed on the way. */
  readonly removed: string[] = [];
  readonly #failed = new Set<Hierarchy>();
  readonly #hs: Hierarchy[];
  readonly #name: string;

  constructor(hierarchies: Hierarchy[], name: string) {
    this.#hs = hierarchies;
    this.#name = name;
  }

  /** The unified hierarchy, if usable. */
  get v2(): Hierarchy | undefined {
    return this.#hs.find((h) => h.version === 2);
  }

  /** The v1 hierarchy that carries `controller`, if any. */
  v1With(controller: string): Hierarchy | undefined {
    return this.#hs.find((h) => h.version === 1 && h.controllers.includes(controller));
  }

  /** Whether any hierarchy (either version) carries `controller`. */
  has(controller: string): boolean {
    return this.#hs.some((h) => h.controllers.includes(controller));
  }

  /**
   * The group directory in `h`, created (with stale siblings removed) on first use.
   * @returns null where `h` cannot be used; the reason goes to `notes`.
   * @throws {Deno.errors.AlreadyExists} when this process already has a group of this name.
   */
  async groupIn(h: Hierarchy): Promise<string | null> {
    if (this.dirs.has(h)) return this.dirs.get(h)!;
    if (this.#failed.has(h)) return null;
    try {
      const wanted = h.version === 2
        ? ["memory", "cpu"].filter((c) => h.controllers.includes(c))
        : [];
      const parent = h.version === 1 ? join(h.ownDir, PARENT_NAME) : await v2Parent(h, wanted);
      if (!(await canWrite(parent)) && !(await canWrite(h.ownDir))) {
        throw new Error(`${parent} not writable (needs root or a delegated cgroup)`);
      }
      if (h.version === 2) await assertCanMove(h.ownDir, parent);
      await Deno.mkdir(parent, { recursive: true });
      this.removed.push(...await removeStale(parent));
      const dir = await makeGroup(parent, this.#name);
      this.dirs.set(h, dir);
      return dir;
    } catch (e) {
      if (e instanceof Deno.errors.AlreadyExists) throw e;
      this.#failed.add(h);
      this.notes.push(`cannot use ${h.mount} (${(e as Error).message})`);
      return null;
    }
  }

  /** Places `controller` (`memory` or `cpu`) in v2 when the v2 group got it, else in v1. */
  async place(controller: string): Promise<Placed | null> {
    const v2 = this.v2;
    if (v2?.controllers.includes(controller)) {
      const dir = await this.groupIn(v2);
      if (dir && (await readOrNull(join(dir, V2_MARKER[controller] ?? controller))) !== null) {
        return { version: "cgroup-v2", dir };
      }
      if (dir) this.notes.push(`${controller} not enabled for ${dir}`);
    }
    const h = this.v1With(controller);
    const dir = h ? await this.groupIn(h) : null;
    return dir ? { version: "cgroup-v1", dir } : null;
  }

  /** Removes every group made so far (when setting up fails half-way). */
  async removeAll(): Promise<void> {
    for (const dir of this.dirs.values()) await emptyAndRemove(dir).catch(() => {});
    this.dirs.clear();
  }
}

/**
 * cgroup v2 lets a process move another from `from` to `to` only with write access to
 * `cgroup.procs` of their closest common ancestor (the delegation containment rule). A
 * desktop shell often runs in `session-N.scope`, outside the user's delegated
 * `user@UID.service`, and could create the group but never move a process into it.
 * @throws {Error} naming the ancestor when the move would be refused.
 */
async function assertCanMove(from: string, to: string): Promise<void> {
  const a = from.split("/");
  const b = to.split("/");
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  const ancestor = a.slice(0, n).join("/") || "/";
  if (!(await canWrite(join(ancestor, "cgroup.procs")))) {
    throw new Error(
      `cannot move processes from ${from} to ${to}: ${ancestor}/cgroup.procs not writable`,
    );
  }
}
