import assert from "node:assert/strict";
import { parseJupyterArgs } from "./jupyter.ts";
import { labArgs } from "../lib/jupyter_lab.ts";

Deno.test("parseJupyterArgs() reads lab's --port and --no-browser", () => {
  assert.deepEqual(parseJupyterArgs(["lab", "--port", "9000", "--no-browser"]), {
    command: "lab",
    port: 9000,
    openBrowser: false,
  });
  assert.deepEqual(parseJupyterArgs(["lab"]), { command: "lab", port: 8888, openBrowser: true });
  assert.deepEqual(parseJupyterArgs(["execute", "a.ipynb"]), {
    command: "execute",
    notebooks: ["a.ipynb"],
  });
});

Deno.test("parseJupyterArgs() refuses a bad port, stray arguments and misplaced flags", () => {
  assert.throws(() => parseJupyterArgs(["lab", "--port", "http"]), {
    name: "RangeError",
    message: 'Invalid --port "http": expected a whole number ≥ 1 and ≤ 65535',
  });
  assert.throws(() => parseJupyterArgs(["lab", "x.ipynb"]), {
    name: "TypeError",
    message: 'lab takes no arguments, got "x.ipynb"',
  });
  assert.throws(() => parseJupyterArgs(["setup", "--no-browser"]), {
    name: "TypeError",
    message: "--no-browser and --port belong to lab, not setup",
  });
  assert.throws(() => parseJupyterArgs(["serve"]), {
    name: "RangeError",
    message: 'Unknown command "serve": expected setup, execute or lab',
  });
});

Deno.test("labArgs() stays on loopback, fails on a taken port and never calls home", () => {
  const args = labArgs({ port: 8890, token: "t", rootDir: "/nb", asRoot: false });
  assert.ok(args.includes("--ServerApp.ip=127.0.0.1"));
  assert.ok(args.includes("--ServerApp.port_retries=0"));
  assert.ok(args.includes("--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"));
  assert.ok(!args.includes("--allow-root"));
  assert.ok(labArgs({ port: 1, token: "t", rootDir: "/", asRoot: true }).includes("--allow-root"));
  assert.ok(
    labArgs({ port: 1, token: "t", rootDir: "/", openBrowser: true }).every((a) =>
      a !== "--no-browser"
    ),
  );
});
