/**
 * Imports point downward: `lib/` is the library, so none of its non-test files may import from
 * `infra/` (the CDK app), `notebooks/` (the narrative drivers) or a `testdata/` folder, nor
 * reach one through `new URL(..., import.meta.url)`. Doc comments are left out: their examples
 * run as tests (`deno test --doc`).
 *
 * @module
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { ROOT } from "./paths.ts";

const LIB = join(ROOT, "lib");
const FORBIDDEN = [join(ROOT, "infra"), join(ROOT, "notebooks")];

/** Specifiers in `import`/`export ... from`, `import "..."`, `import("...")` and `new URL`. */
const SPECIFIER = new RegExp(
  [
    String.raw`\bfrom\s*["']([^"']+)["']`,
    String.raw`\bimport\s*["']([^"']+)["']`,
    String.raw`\bimport\(\s*["']([^"']+)["']\s*\)`,
    String.raw`\bnew URL\(\s*["']([^"']+)["']\s*,\s*import\.meta\.url`,
  ].join("|"),
  "g",
);

/** Lines of JSDoc (`/**` and ` * ...`): their examples run as doc tests, where test data is fine. */
const DOC_LINE = /^\s*(\/\*\*|\*)/;

/** The specifiers of `text` (a file at `path`) that reach infra/, notebooks/ or testdata/. */
function forbiddenImports(path: string, text: string): string[] {
  const bad: string[] = [];
  const code = text.split("\n").filter((line) => !DOC_LINE.test(line)).join("\n");
  for (const m of code.matchAll(SPECIFIER)) {
    const spec = m.slice(1).find((s) => s !== undefined)!;
    let target: string;
    if (spec.startsWith(".")) target = resolve(dirname(path), spec);
    else if (spec.startsWith("file:")) target = new URL(spec).pathname;
    else if (spec.startsWith("/")) target = spec;
    else continue; // a package: npm:, jsr:, node:, or a bare name from the import map
    const inForbidden = FORBIDDEN.some((dir) => target === dir || target.startsWith(dir + sep));
    if (inForbidden || target.split(sep).includes("testdata")) bad.push(spec);
  }
  return bad;
}

/** Every `.ts` file under `dir` that is library code: not a `_test.ts`, not in `testdata/`. */
function libraryFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "testdata" ? [] : libraryFiles(path);
    return entry.name.endsWith(".ts") && !entry.name.endsWith("_test.ts") ? [path] : [];
  });
}

Deno.test("forbiddenImports() finds imports reaching infra/, notebooks/ or testdata/", () => {
  const path = join(LIB, "bench", "aws.ts");
  const text = [
    'import type { DeployedFunction } from "../../infra/outputs.ts";',
    'export { FIXTURE_RUN } from "../analysis/testdata/make_fixture.ts";',
    'const j = await import("../../notebooks/support.ts");',
    'const u = new URL("../sandbox/testdata/shell_fn", import.meta.url);',
    'import "../../infra/app.ts";',
    'import { x } from "../aws/outputs.ts";',
    'import pl from "nodejs-polars";',
    'import { join } from "node:path";',
    'const infra = "../../infra/outputs.ts"; // a string, not an import',
    "/**",
    ' * const codeDir = new URL("./testdata/shell_fn", import.meta.url); // a doc example',
    " */",
  ].join("\n");
  assert.deepEqual(forbiddenImports(path, text), [
    "../../infra/outputs.ts",
    "../analysis/testdata/make_fixture.ts",
    "../../notebooks/support.ts",
    "../sandbox/testdata/shell_fn",
    "../../infra/app.ts",
  ]);
});

Deno.test("lib/ imports nothing from infra/, notebooks/ or a testdata/ folder", () => {
  const files = libraryFiles(LIB);
  assert.ok(files.length > 50, `found ${files.length} library files`);
  const offenders = files.flatMap((file) =>
    forbiddenImports(file, readFileSync(file, "utf8")).map((spec) =>
      `${relative(ROOT, file)} imports ${spec}`
    )
  );
  assert.deepEqual(offenders, []);
});
