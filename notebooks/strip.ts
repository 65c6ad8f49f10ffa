/**
 * Strips notebook outputs so git holds only the source: `deno run -A notebooks/strip.ts`
 * rewrites every notebook in place; `--check` only reports (exit 1) the ones that are not
 * stripped. `notebooks/notebooks_test.ts` runs the check.
 *
 * @module
 */
import { allNotebooks } from "../lib/jupyter.ts";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function sortKeys(value: Json): Json {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys(value[k]!)]));
  }
  return value;
}

/**
 * The stripped form of a notebook: code cells without outputs and execution counts, and no
 * per-run metadata; keys sorted and indented as Jupyter writes them.
 *
 * @param text The notebook's JSON text.
 * @returns The stripped text and whether it differs from the input.
 * @throws {SyntaxError} When the text is not JSON.
 */
export function stripNotebook(text: string): { text: string; changed: boolean } {
  const nb = JSON.parse(text) as {
    cells?: Array<Record<string, Json>>;
    metadata?: Record<string, Json>;
  };
  for (const cell of nb.cells ?? []) {
    if (cell.cell_type === "code") {
      cell.outputs = [];
      cell.execution_count = null;
    }
    const meta = cell.metadata as Record<string, Json> | undefined;
    if (meta) {
      delete meta.execution;
      delete meta.collapsed;
      delete meta.scrolled;
    }
  }
  if (nb.metadata) delete nb.metadata.widgets;
  const out = JSON.stringify(sortKeys(nb as unknown as Json), null, 1) + "\n";
  return { text: out, changed: out !== text };
}

if (import.meta.main) {
  const check = Deno.args.includes("--check");
  const files = Deno.args.filter((a) => a !== "--check");
  let dirty = 0;
  for (const path of files.length > 0 ? files : allNotebooks()) {
    const { text, changed } = stripNotebook(Deno.readTextFileSync(path));
    if (!changed) continue;
    if (check) {
      console.error(`not stripped: ${path}`);
      dirty++;
    } else {
      Deno.writeTextFileSync(path, text);
      console.log(`stripped ${path}`);
    }
  }
  if (dirty > 0) {
    console.error(`${dirty} notebook(s) carry outputs: run deno run -A notebooks/strip.ts`);
    Deno.exit(1);
  }
}
