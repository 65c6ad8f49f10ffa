import assert from "node:assert/strict";
import { parseBenchArgs } from "./bench.ts";

Deno.test("parseBenchArgs() applies defaults: local, every variant, host arch", () => {
  const a = parseBenchArgs([]);
  assert.equal(a.backend, "local");
  assert.deepEqual(a.memoryMb, [128, 512, 1024]);
  assert.equal(a.archs.length, 1);
  assert.equal(a.plan.cold, 10);
  assert.equal(a.plan.warm, 20);
  assert.equal(a.plan.gapMs, 20, "warm invocations parted as by a client's round trip");
  assert.deepEqual(a.functionSettings, { workIterations: 2000, timeoutS: 10 });
  assert.ok(a.variants.length >= 5);
});

Deno.test("parseBenchArgs() leaves work and timeout to the deployed functions on AWS", () => {
  assert.equal(parseBenchArgs(["--backend", "aws"]).functionSettings, null);
  assert.throws(() => parseBenchArgs(["--backend", "aws", "--timeout", "5"]), {
    name: "RangeError",
    message: /^--timeout is a deploy-time setting on AWS/,
  });
  assert.throws(() => parseBenchArgs(["--backend", "aws", "--work-iterations", "5"]), {
    message: /^--work-iterations is a deploy-time setting on AWS/,
  });
  assert.deepEqual(
    parseBenchArgs(["--timeout", "30", "--work-iterations", "7"]).functionSettings,
    { workIterations: 7, timeoutS: 30 },
  );
});

Deno.test("parseBenchArgs() reads the contract's flags", () => {
  const a = parseBenchArgs([
    "--backend=aws",
    "--variants",
    "none,rust,node",
    "--memory",
    "128,1024",
    "--cold",
    "3",
    "--warm",
    "5",
    "--out",
    "/tmp/x",
    "--payload-bytes",
    "65536",
    "--concurrency",
    "2",
  ]);
  assert.equal(a.backend, "aws");
  assert.deepEqual(a.variants.map((v) => v.name), ["none", "rust", "node"]);
  assert.deepEqual(a.archs, ["x86_64", "arm64"]);
  assert.deepEqual(a.memoryMb, [128, 1024]);
  assert.equal(a.plan.cold, 3);
  assert.equal(a.plan.payloadBytes, 65536);
  assert.equal(a.concurrency, 2);
  assert.equal(a.out, "/tmp/x");
});

Deno.test("parseBenchArgs() rejects bad input with the offending value", () => {
  assert.throws(() => parseBenchArgs(["--backend", "gcp"]), { message: /"gcp"/ });
  assert.throws(() => parseBenchArgs(["--variants", "bun"]), { message: /"bun"/ });
  assert.throws(() => parseBenchArgs(["--cold=-1"]), { message: /--cold "-1"/ });
  assert.throws(() => parseBenchArgs(["--cold", "0", "--warm", "0"]), {
    message: /Nothing to run/,
  });
  assert.throws(() => parseBenchArgs(["--timeout", "901"]), { message: /900/ });
  assert.throws(() => parseBenchArgs(["--bogus"]), /bogus/);
});

Deno.test("deno task bench exits 2 with one line on bad input", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./bench.ts", import.meta.url).pathname, "--memory", "64"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 2);
  const err = new TextDecoder().decode(out.stderr).trim();
  assert.equal(err.split("\n").length, 1);
  assert.match(err, /^bench: Invalid memory size "64"/);
});

Deno.test("deno task bench --backend aws stops at once without credentials", async () => {
  const home = await Deno.makeTempDir();
  try {
    const t0 = performance.now();
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("./bench.ts", import.meta.url).pathname, "--backend", "aws"],
      clearEnv: true,
      env: {
        HOME: Deno.env.get("HOME") ?? home,
        PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
        NO_COLOR: "1",
        AWS_CONFIG_FILE: `${home}/config`,
        AWS_SHARED_CREDENTIALS_FILE: `${home}/credentials`,
      },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 1);
    const err = new TextDecoder().decode(out.stderr).trim().split("\n").at(-1) ?? "";
    assert.match(err, /^bench: Cannot use AWS: no AWS credentials .*; no AWS region/);
    assert.equal(new TextDecoder().decode(out.stdout), "", "no run folder is printed");
    assert.ok(performance.now() - t0 < 15_000);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("parseBenchArgs() reads the sandbox's Lambda models, for the local backend only", () => {
  assert.deepEqual(parseBenchArgs([]).models, {});
  assert.deepEqual(parseBenchArgs(["--init-cpus", "1", "--code-loading", "cached"]).models, {
    initCpus: 1,
    codeLoading: "cached",
  });
  assert.throws(() => parseBenchArgs(["--code-loading", "lazy"]), {
    name: "RangeError",
    message: 'Invalid --code-loading "lazy": expected evict or cached',
  });
  assert.throws(() => parseBenchArgs(["--init-cpus", "0"]), { message: /--init-cpus "0"/ });
  assert.throws(() => parseBenchArgs(["--backend", "aws", "--init-cpus", "2"]), {
    message: "--init-cpus and --code-loading shape the local sandbox only",
  });
});

Deno.test("parseBenchArgs() crosses --functions, --extensions and --workloads beside --variants", () => {
  const a = parseBenchArgs([
    "--variants",
    "none",
    "--functions",
    "nodejs,llrt,python,python-pyo3,rust,go",
    "--extensions",
    "none,node",
  ]);
  assert.deepEqual(a.variants.map((v) => v.name), [
    "none",
    "nodejs-none-sqs",
    "nodejs-node-sqs",
    "llrt-none-sqs",
    "python-none-sqs",
    "python-pyo3-none-sqs",
    "rust-none-sqs",
    "go-none-sqs",
  ]);
  // The Node.js extension needs the function runtime's Node.js: left out with the reason.
  assert.deepEqual(a.impossible.map((c) => c.name), [
    "llrt-node-sqs",
    "python-node-sqs",
    "python-pyo3-node-sqs",
    "rust-node-sqs",
    "go-node-sqs",
  ]);
  assert.throws(() => parseBenchArgs(["--functions", "cobol"]), {
    name: "RangeError",
    message: /^Unknown function runtime "cobol": expected one of nodejs, python, python-pyo3/,
  });
  assert.throws(() => parseBenchArgs(["--functions", "go", "--extensions", "node"]), {
    message: /^Nothing to run: go-node-sqs \(extension node runs on/,
  });
});

Deno.test("parseBenchArgs() pauses before warm invocations and load requests locally, not on AWS", () => {
  assert.equal(parseBenchArgs(["--backend", "aws"]).plan.gapMs, 0);
  assert.equal(parseBenchArgs(["--invoke-gap-ms", "0"]).plan.gapMs, 0);
  assert.equal(parseBenchArgs(["--backend", "aws", "--invoke-gap-ms", "50"]).plan.gapMs, 50);
  assert.throws(() => parseBenchArgs(["--invoke-gap-ms", "-1"]), /invoke-gap-ms/);
  assert.equal(parseBenchArgs(["--load"]).load?.gapMs, 20, "a load's callers pause too");
  assert.equal(parseBenchArgs(["--load", "--invoke-gap-ms", "5"]).load?.gapMs, 5);
  assert.equal(parseBenchArgs(["--load", "--backend", "aws"]).load?.gapMs, 0);
});
