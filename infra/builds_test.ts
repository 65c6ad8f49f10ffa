import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseVariantList } from "../lib/variants.ts";
import { buildLocationsUnder, describeSkip, planDeployment, readLlrtInfo } from "./builds.ts";

const FIXTURE = fileURLToPath(new URL("./testdata/build-fixture", import.meta.url));
const ALL = {
  variants: parseVariantList(undefined),
  memorySizes: [128],
  architectures: ["arm64", "x86_64"] as ("arm64" | "x86_64")[],
};

/** Copies the fixture into a temp folder, lets `change` edit it, and plans against it. */
function planWith(change: (dir: string) => void) {
  const dir = Deno.makeTempDirSync({ prefix: "infra-builds-" });
  try {
    for (const entry of walk(FIXTURE)) {
      const target = join(dir, entry.slice(FIXTURE.length));
      Deno.mkdirSync(join(target, ".."), { recursive: true });
      Deno.copyFileSync(entry, target);
    }
    change(dir);
    return { plan: planDeployment(ALL, buildLocationsUnder(dir)), dir };
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

function walk(dir: string): string[] {
  return [...Deno.readDirSync(dir)].flatMap((e) =>
    e.isDirectory ? walk(join(dir, e.name)) : [join(dir, e.name)]
  );
}

Deno.test("planDeployment() plans every built variant in variant, memory, arch order", () => {
  const plan = planDeployment({ ...ALL, memorySizes: [128, 256] }, buildLocationsUnder(FIXTURE));
  assert.deepEqual(
    plan.functions.slice(0, 4).map((f) => `${f.variant.name}/${f.memoryMb}/${f.arch}`),
    ["none/128/arm64", "none/128/x86_64", "none/256/arm64", "none/256/x86_64"],
  );
  const rust = plan.functions.find((f) => f.variant.name === "rust" && f.arch === "x86_64");
  assert.deepEqual(rust?.extension, {
    build: "rust",
    name: "battle-ext-rust",
    binary: join(FIXTURE, "lambda", "x86_64", "battle-ext-rust"),
  });
  const llrt = plan.functions.find((f) => f.variant.name === "llrt");
  assert.deepEqual(llrt?.llrt, { binary: join(FIXTURE, "llrt", "llrt"), replaces: null });
  assert.equal(llrt?.extension?.build === "js" && llrt.extension.perArch, true);
  const node = plan.functions.find((f) => f.variant.name === "node");
  assert.equal(node?.llrt, null);
  assert.equal(node?.extension?.build === "js" && node.extension.perArch, false);
  assert.deepEqual(plan.skipped.map(describeSkip), [
    "skipped llrt on x86_64: the LLRT binary is built for arm64 (infra/testdata/build-fixture/llrt/llrt.json) and infra/testdata/build-fixture/lambda/x86_64/llrt is missing",
  ]);
});

Deno.test("planDeployment() skips llrt with the reason llrt.json gives", () => {
  const { plan } = planWith((dir) =>
    Deno.writeTextFileSync(
      join(dir, "llrt", "llrt.json"),
      JSON.stringify({ available: false, reason: "no release for x86_64" }),
    )
  );
  const skip = plan.skipped.find((s) => s.variant === "llrt");
  assert.equal(skip?.arch, null);
  assert.match(skip?.reason ?? "", /^no LLRT binary \(.*llrt\.json: available false: no release/);
  assert.equal(plan.functions.filter((f) => f.variant.name === "llrt").length, 0);
});

Deno.test("planDeployment() skips a variant without function code or JS layer", () => {
  const { plan } = planWith((dir) => {
    Deno.removeSync(join(dir, "functions", "direct"), { recursive: true });
    Deno.removeSync(join(dir, "layers", "node"), { recursive: true });
    Deno.removeSync(join(dir, "functions", "llrt", "bootstrap"));
  });
  const reasons = Object.fromEntries(plan.skipped.map((s) => [s.variant, s.reason]));
  assert.match(reasons.direct ?? "", /^no function code \(.*functions\/direct\/index\.mjs missing/);
  assert.match(
    reasons.node ?? "",
    /^no JS extension layer \(.*extensions\/battle-ext-node missing/,
  );
  assert.match(
    reasons.llrt ?? "",
    /^no custom runtime bootstrap \(.*functions\/llrt\/bootstrap missing/,
  );
  assert.deepEqual([...new Set(plan.functions.map((f) => f.variant.name))], ["none", "rust"]);
});

Deno.test("planDeployment() skips Rust only on the architecture it was not built for", () => {
  const { plan } = planWith((dir) =>
    Deno.removeSync(join(dir, "lambda", "arm64", "battle-ext-rust"))
  );
  const skip = plan.skipped.find((s) => s.variant === "rust");
  assert.equal(skip?.arch, "arm64");
  assert.match(describeSkip(skip!), /^skipped rust on arm64: .*battle-ext-rust missing/);
  assert.deepEqual(
    plan.functions.filter((f) => f.variant.name === "rust").map((f) => f.arch),
    ["x86_64"],
  );
});

Deno.test("planDeployment() uses an LLRT cross-compiled for the architecture", () => {
  const { plan, dir } = planWith((dir) => {
    Deno.writeTextFileSync(join(dir, "lambda", "x86_64", "llrt"), "x86_64 llrt");
    Deno.removeSync(join(dir, "llrt"), { recursive: true });
  });
  const llrt = plan.functions.filter((f) => f.variant.name === "llrt");
  assert.deepEqual(llrt.map((f) => [f.arch, f.llrt]), [
    ["x86_64", {
      binary: join(dir, "lambda", "x86_64", "llrt"),
      replaces: join(dir, "llrt", "llrt"),
    }],
  ]);
  assert.deepEqual(plan.skipped.map((s) => [s.variant, s.arch]), [["llrt", "arm64"]]);
  assert.match(plan.skipped[0]!.reason, /^no LLRT binary \(.*llrt\.json missing/);
});

Deno.test("readLlrtInfo() returns null without the file and reads its fields", () => {
  assert.equal(readLlrtInfo("/nonexistent/llrt.json"), null);
  assert.deepEqual(readLlrtInfo(join(FIXTURE, "llrt", "llrt.json")), {
    available: true,
    source: "fixture",
    version: "0.0.0-fixture",
    arch: "arm64",
    sdkEmbedded: true,
  });
});
