import assert from "node:assert/strict";
import { ensurePrerequisites, onPath, type Prerequisite } from "./_prereqs.ts";

function fake(name: string, aptPackage: string, present: boolean): Prerequisite & { on: boolean } {
  const p = {
    name,
    aptPackage,
    neededFor: `the ${name} step`,
    on: present,
    present: () => p.on,
  };
  return p;
}

Deno.test("ensurePrerequisites() does nothing when everything is there", async () => {
  const calls: string[] = [];
  const run = (c: string) => {
    calls.push(c);
    return Promise.resolve({ success: true, output: "" });
  };
  assert.deepEqual(
    await ensurePrerequisites([fake("a", "pa", true)], { canInstall: true, run }),
    [],
  );
  assert.deepEqual(calls, []);
});

Deno.test("ensurePrerequisites() stops at once with the one install command when it may not install", async () => {
  const calls: string[] = [];
  const run = (c: string) => {
    calls.push(c);
    return Promise.resolve({ success: true, output: "" });
  };
  const list = [fake("Chromium", "chromium", false), fake("java", "default-jre-headless", false)];
  await assert.rejects(
    ensurePrerequisites(list, { canInstall: false, run }),
    (e: Error) =>
      /^Missing Chromium \(the Chromium step\), java \(the java step\): install with: (sudo )?apt-get install -y --no-install-recommends chromium default-jre-headless$/
        .test(e.message),
  );
  assert.deepEqual(calls, [], "nothing run");
});

Deno.test("ensurePrerequisites() installs what is missing with apt-get when it may", async () => {
  const chromium = fake("Chromium", "chromium", false);
  const calls: string[] = [];
  const run = (command: string, args: string[]) => {
    calls.push([command, ...args].join(" "));
    if (args[0] === "install") chromium.on = true;
    return Promise.resolve({ success: true, output: "" });
  };
  const installed = await ensurePrerequisites([chromium, fake("curl", "curl", true)], {
    canInstall: true,
    run,
    log: () => {},
  });
  assert.deepEqual(installed, ["chromium"]);
  assert.deepEqual(calls, [
    "apt-get update -qq",
    "apt-get install -y -qq --no-install-recommends chromium",
  ]);
});

Deno.test("ensurePrerequisites() names a failed apt-get and what is still missing", async () => {
  const failing = (_c: string, args: string[]) =>
    Promise.resolve({ success: args[0] !== "install", output: "E: Unable to locate package x" });
  await assert.rejects(
    ensurePrerequisites([fake("x", "x", false)], { canInstall: true, run: failing, log: () => {} }),
    {
      message:
        "apt-get install -y -qq --no-install-recommends x failed: E: Unable to locate package x",
    },
  );
  const noop = () => Promise.resolve({ success: true, output: "" });
  await assert.rejects(
    ensurePrerequisites([fake("x", "x", false)], { canInstall: true, run: noop, log: () => {} }),
    { message: "Still missing after apt-get install: x (the x step)" },
  );
});

Deno.test("onPath() finds executables on PATH", () => {
  assert.equal(onPath("sh", "/nonexistent:/bin:/usr/bin"), true);
  assert.equal(onPath("no-such-tool-here", "/bin:/usr/bin"), false);
});
