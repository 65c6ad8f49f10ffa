/**
 * `deno task build`: builds every artifact a run needs with `lib/build/all.ts` — the Rust
 * extension, LLRT, the JS bundles, the per-variant layer and function folders — writes
 * `build/build.json` and prints the size of each artifact. A part that cannot be built is
 * reported with its reason and the rest still builds; then the command exits 1. No flags.
 *
 * @module
 */
import { buildAll } from "../build/all.ts";
import { parseFlags, runCommand } from "./_flags.ts";

if (import.meta.main) {
  Deno.exit(
    await runCommand("build", Deno.args, {
      parse: (args) => parseFlags({ args, options: {} }),
      run: async () => {
        const { manifest, summary } = await buildAll();
        for (const line of summary) console.log(line);
        if (manifest.failures.length === 0) return 0;
        console.error(
          `build: ${manifest.failures.length} part(s) failed: ${
            manifest.failures.map((f) => f.part).join(", ")
          }`,
        );
        return 1;
      },
    }),
  );
}
