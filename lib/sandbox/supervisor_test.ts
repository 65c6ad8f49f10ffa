import assert from "node:assert/strict";
import { join } from "node:path";
import {
  listExecutables,
  type ProcessControls,
  type ProcessKind,
  Supervisor,
} from "./supervisor.ts";

/** Controls that wrap nothing and record what they were asked. */
function fakeControls(): ProcessControls & { added: number[]; killed: number } {
  const c = {
    added: [] as number[],
    killed: 0,
    wrapCommand: (command: string, args: readonly string[]) => ({ command, args: [...args] }),
    addProcess: (pid: number) => {
      c.added.push(pid);
      return Promise.resolve();
    },
    killAll: () => {
      c.killed += 1;
      return Promise.resolve();
    },
  };
  return c;
}

function supervisor(): { sup: Supervisor; output: [ProcessKind, string][]; exits: () => number } {
  const output: [ProcessKind, string][] = [];
  let exits = 0;
  const sup = new Supervisor({
    onOutput: (kind, line) => output.push([kind, line]),
    onExit: () => exits++,
  });
  return { sup, output, exits: () => exits };
}

async function until(done: () => boolean): Promise<void> {
  const end = performance.now() + 5000;
  while (!done()) {
    if (performance.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 5));
  }
}

Deno.test("Supervisor pumps stdout and stderr by line and records the exit", async () => {
  const { sup, output, exits } = supervisor();
  const controls = fakeControls();
  const proc = await sup.spawn(controls, {
    kind: "extension",
    name: "ext",
    command: "/bin/sh",
    args: ["-c", 'printf "a\\nb\\n"; printf "err" >&2; exit 3'],
    env: { ONLY: "this" },
    cwd: "/",
  });
  await sup.placed();
  assert.deepEqual(controls.added, [proc.pid]);
  await until(() => proc.exit !== null);
  assert.equal(proc.exit?.code, 3);
  assert.equal(exits(), 1);
  assert.equal(sup.firstExited(), proc);
  assert.equal(sup.isRunning("extension"), false);
  assert.equal(sup.allExited(), true);
  await sup.killAll(controls);
  assert.deepEqual(output.filter(([, l]) => l !== "err"), [["extension", "a"], ["extension", "b"]]);
  assert.ok(output.some(([k, l]) => k === "extension" && l === "err"), "unterminated last line");
  assert.equal(sup.processes.length, 0);
});

Deno.test("Supervisor starts processes with only the given environment", async () => {
  const { sup, output } = supervisor();
  const controls = fakeControls();
  const proc = await sup.spawn(controls, {
    kind: "function",
    name: "runtime",
    command: "/bin/sh",
    args: ["-c", 'echo "$ONLY-${HOME:-none}"'],
    env: { ONLY: "this" },
    cwd: "/",
  });
  await until(() => proc.exit !== null);
  await sup.killAll(controls);
  assert.deepEqual(output, [["function", "this-none"]]);
});

Deno.test("Supervisor.killAll() kills the whole process group, children included", async () => {
  const { sup } = supervisor();
  const controls = fakeControls();
  const dir = await Deno.makeTempDir();
  try {
    const pidFile = join(dir, "child.pid");
    const proc = await sup.spawn(controls, {
      kind: "function",
      name: "runtime",
      command: "/bin/sh",
      args: ["-c", `sleep 30 & echo $! > ${pidFile}; wait`],
      env: {},
      cwd: dir,
    });
    await until(() => {
      try {
        return Deno.readTextFileSync(pidFile).trim() !== "";
      } catch {
        return false;
      }
    });
    const child = Number(Deno.readTextFileSync(pidFile).trim());
    assert.equal(sup.isRunning("function"), true);
    sup.forgetExited();
    assert.equal(sup.processes.length, 1, "a running process is kept");
    await sup.killAll(controls);
    assert.equal(proc.exit?.signal, "SIGKILL");
    assert.equal(controls.killed, 1);
    // The background child was in the same group: gone too (or a zombie awaiting init). The
    // kill is sent to the group at once; its exit may take a moment on a busy host.
    const state = () => {
      try {
        return Deno.readTextFileSync(`/proc/${child}/stat`).split(") ")[1]?.[0];
      } catch {
        return "gone";
      }
    };
    await until(() => state() === "gone" || state() === "Z").catch(() => {});
    assert.ok(state() === "gone" || state() === "Z", `child ${child} state ${state()}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Supervisor.signal() reaches only running processes of the kind", async () => {
  const { sup } = supervisor();
  const controls = fakeControls();
  const spawn = (kind: ProcessKind) =>
    sup.spawn(controls, {
      kind,
      name: kind,
      command: "sleep",
      args: ["30"],
      env: { PATH: "/usr/bin:/bin" },
      cwd: "/",
    });
  const fn = await spawn("function");
  const ext = await spawn("extension");
  sup.signal("function", "SIGTERM");
  await until(() => fn.exit !== null);
  assert.equal(fn.exit?.signal, "SIGTERM");
  assert.equal(sup.isRunning("extension"), true);
  assert.equal(sup.firstExited(), fn);
  sup.forgetExited();
  assert.deepEqual(sup.processes, [ext]);
  await sup.killAll(controls);
  assert.equal(ext.exit?.signal, "SIGKILL");
});

Deno.test("listExecutables() lists executable files and links to them, sorted", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(dir, "b-ext"), "#!/bin/sh\n", { mode: 0o755 });
    await Deno.writeTextFile(join(dir, "a-ext"), "#!/bin/sh\n", { mode: 0o755 });
    await Deno.writeTextFile(join(dir, "notes.txt"), "", { mode: 0o644 });
    await Deno.mkdir(join(dir, "folder"));
    await Deno.symlink(join(dir, "b-ext"), join(dir, "c-link"));
    assert.deepEqual(await listExecutables(dir), ["a-ext", "b-ext", "c-link"]);
    assert.deepEqual(await listExecutables(join(dir, "nope")), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
