/**
 * Writes a report's post: `post.md`, `post.html`, and the open data they link
 * (`data/<run-id>/invocations.parquet` and `run.json`, copied as they are), so the report folder
 * can be published on its own.
 *
 * @module
 */
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { RunInfo } from "../analysis/load.ts";
import { runPaths } from "../store/mod.ts";
import {
  postBlocks,
  type PostData,
  type PostFigure,
  type PostInput,
  postMarkdown,
} from "./post.ts";
import { type FigureImages, postHtml } from "./post_html.ts";

/** Post file names inside the report folder. */
export const POST_MD = "post.md";
export const POST_HTML = "post.html";

/**
 * A figure's caption in the post: its number, what it shows with units, and the run.
 *
 * @param f The figure and its number.
 * @param runs The runs shown.
 * @returns For example `Figure 1. Init Duration (ms) per variant and memory size. Run X, local sandbox.`
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { postCaption } from "./post_write.ts";
 * const figure = { name: "x", caption: "Init Duration (ms)", figure: { data: [], layout: {} } };
 * assert.equal(
 *   postCaption({ figure, number: 2 }, [{ runId: "r1", backend: "aws" }]),
 *   "Figure 2. Init Duration (ms). Run r1, AWS Lambda.",
 * );
 * ```
 */
export function postCaption(
  f: PostFigure,
  runs: readonly Pick<RunInfo, "runId" | "backend">[],
): string {
  const where = (b: string | null) =>
    b === "local" ? "local sandbox" : b === "aws" ? "AWS Lambda" : "backend unknown";
  const sources = runs.map((r) => `${r.runId}, ${where(r.backend)}`).join("; ");
  return `Figure ${f.number}. ${f.figure.caption.replace(/\.$/, "")}. Run${
    runs.length > 1 ? "s" : ""
  } ${sources}.`;
}

/**
 * Copies each run's Parquet and manifest beside the post.
 *
 * @param runs The runs.
 * @param outDir The report folder.
 * @returns What the post links, and the files written.
 */
export function copyOpenData(
  runs: readonly RunInfo[],
  outDir: string,
  rows: (run: RunInfo) => number,
): { data: PostData[]; files: string[] } {
  const files: string[] = [];
  const data = runs.map((r) => {
    const paths = runPaths(r.dir);
    const rel = `data/${r.runId}`;
    mkdirSync(join(outDir, rel), { recursive: true });
    copyFileSync(paths.invocations, join(outDir, rel, "invocations.parquet"));
    files.push(join(outDir, rel, "invocations.parquet"));
    const hasManifest = existsSync(paths.manifest);
    if (hasManifest) {
      copyFileSync(paths.manifest, join(outDir, rel, "run.json"));
      files.push(join(outDir, rel, "run.json"));
    }
    return {
      runId: r.runId,
      parquet: `${rel}/invocations.parquet`,
      manifest: hasManifest ? `${rel}/run.json` : null,
      rows: rows(r),
    };
  });
  return { data, files };
}

/**
 * Writes `post.md`, `post.html` and the open data into the report folder.
 *
 * @param input What the post shows, less the open data (copied here).
 * @param options `outDir`; `images`: each chart's SVG by name once rendered, or null before
 * (then the Markdown links the interactive charts and the HTML draws them with plotly.js).
 * @returns The files written.
 */
export function writePost(
  input: Omit<PostInput, "data">,
  options: { outDir: string; images: ReadonlyMap<string, FigureImages> | null },
): string[] {
  const { frame, runs } = input.loaded;
  const ids = frame.getColumn("run_id").toArray() as Array<string | null>;
  const { data, files } = copyOpenData(
    runs,
    options.outDir,
    (r) => runs.length === 1 ? frame.height : ids.filter((id) => id === r.runId).length,
  );
  const blocks = postBlocks({ ...input, data });
  const caption = (f: PostFigure) => postCaption(f, runs);
  const title = (typeof blocks[0] === "string" ? blocks[0] : "").split("\n")[0]!.replace(
    /^#\s*/,
    "",
  );
  const md = join(options.outDir, POST_MD);
  Deno.writeTextFileSync(md, postMarkdown(blocks, { images: options.images !== null, caption }));
  const html = join(options.outDir, POST_HTML);
  Deno.writeTextFileSync(
    html,
    postHtml(blocks, { title, caption, images: options.images ?? new Map() }),
  );
  return [...files, md, html];
}
