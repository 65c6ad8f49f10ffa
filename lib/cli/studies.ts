/**
 * `deno task studies`: lists the studies of `studies/` — name, the question in a line, the
 * matrix, counts and load, and the published study each reproduces. Run one with
 * `deno task study --study NAME [bench flags]`.
 *
 * @module
 */
import { listStudies } from "../studies/registry.ts";
import type { Study } from "../studies/study.ts";
import { parseFlags, runCommand } from "./_flags.ts";

/**
 * One study as the listing prints it.
 *
 * @param s The study.
 * @returns Lines: the name and title, the matrix, the source.
 */
export function describeStudy(s: Study): string[] {
  const m = s.matrix;
  const axes = [
    m.variants?.length ? `variants ${m.variants.join(",")}` : "",
    m.functions?.length ? `functions ${m.functions.join(",")}` : "",
    m.extensions?.length ? `extensions ${m.extensions.join(",")}` : "",
    m.workloads?.length ? `workloads ${m.workloads.join(",")}` : "",
    `memory ${m.memoryMb.join(",")} MB`,
  ].filter((a) => a !== "");
  const load = s.load
    ? `; load ${s.load.requests} requests at ${s.load.concurrency} concurrent` +
      (s.load.source
        ? ` (source: ${
          s.load.source.requests.toLocaleString("en-US")
        } at ${s.load.source.concurrency})`
        : "")
    : "";
  return [
    `${s.name} — ${s.title}`,
    `  ${axes.join("; ")}; ${s.counts.cold} cold + ${s.counts.warm} warm${load}`,
    `  reproduces: ${s.source.title} (${s.source.author}, ${s.source.published}) ${s.source.url}`,
  ];
}

if (import.meta.main) {
  Deno.exit(
    await runCommand("studies", Deno.args, {
      parse: (args) => parseFlags({ args, options: {}, allowPositionals: false }),
      run: async () => {
        const studies = await listStudies();
        for (const s of studies) console.log(describeStudy(s).join("\n") + "\n");
        console.log(`${studies.length} studies; run one with deno task study --study NAME`);
      },
    }),
  );
}
