/**
 * Bundles the JavaScript extension and the application's handler with esbuild (the pinned npm
 * package, run through Deno) into single ES2023 ESM files under `build/js/`.
 *
 * Extension bundles (one source, `extensions/src/main.ts`):
 * - `extension-node.mjs`: for Node.js, the AWS SDK bundled with its Node.js configuration.
 * - `extension-llrt.mjs`: for an LLRT release that embeds the AWS SDK v3, which is left external.
 * - `extension-llrt-sdk.mjs`: for an LLRT without the SDK (the `llrt_core` crate build): the SDK
 *   is bundled in its browser configuration (fetch, Web Crypto or pure-JS hashes), since LLRT has
 *   `fetch` and `crypto` but no `node:http`.
 *
 * Blank extension bundles (`extensions/blank/main.ts`, no SDK): `blank-extension-node.mjs` and
 * `blank-extension-llrt.mjs`.
 *
 * Handler bundles: `function-<node|llrt>.mjs` without the SDK (modes `none`, `extension`) and
 * `function-<node|llrt>-sqs.mjs` with the SQS client (mode `direct`), and
 * `function-<node|llrt>-dynamodb.mjs` with the DynamoDB client (workload `dynamodb`).
 *
 * @module
 */
import * as esbuild from "esbuild";
import { mkdir, stat } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import {
  JS_BLANK_EXTENSION_LLRT,
  JS_BLANK_EXTENSION_NODE,
  JS_EXTENSION_LLRT,
  JS_EXTENSION_LLRT_SDK,
  JS_EXTENSION_NODE,
  jsFunctionBundle,
  jsFunctionDynamoDbBundle,
  ROOT,
} from "../paths.ts";

/** One file the build produced. */
export interface Artifact {
  /** Stable name, e.g. `JS_EXTENSION_NODE`. */
  name: string;
  /** Absolute path. */
  path: string;
  /** Size in bytes. */
  bytes: number;
}

/** How one bundle is made. */
export interface BundleSpec {
  name: string;
  entry: string;
  outfile: string;
  /** `node`: Node.js resolution and configuration. `llrt`: browser configuration, `node:*` external. */
  target: "node" | "llrt";
  /** Packages left to the runtime (imports kept as they are). */
  external?: string[];
}

const EXTENSION_ENTRY = join(ROOT, "extensions", "src", "main.ts");
const BLANK_EXTENSION_ENTRY = join(ROOT, "extensions", "blank", "main.ts");
const FUNCTION_ENTRY = join(ROOT, "functions", "nodejs", "index.ts");
const FUNCTION_SQS_ENTRY = join(ROOT, "functions", "nodejs", "index_sqs.ts");
const FUNCTION_DYNAMODB_ENTRY = join(ROOT, "functions", "nodejs", "index_dynamodb.ts");

/** Every bundle `buildJsBundles` makes. */
export const JS_BUNDLES: readonly BundleSpec[] = [
  { name: "JS_EXTENSION_NODE", entry: EXTENSION_ENTRY, outfile: JS_EXTENSION_NODE, target: "node" },
  {
    name: "JS_EXTENSION_LLRT",
    entry: EXTENSION_ENTRY,
    outfile: JS_EXTENSION_LLRT,
    target: "llrt",
    external: ["@aws-sdk/*"],
  },
  {
    name: "JS_EXTENSION_LLRT_SDK",
    entry: EXTENSION_ENTRY,
    outfile: JS_EXTENSION_LLRT_SDK,
    target: "llrt",
  },
  {
    name: "JS_BLANK_EXTENSION_NODE",
    entry: BLANK_EXTENSION_ENTRY,
    outfile: JS_BLANK_EXTENSION_NODE,
    target: "node",
  },
  {
    name: "JS_BLANK_EXTENSION_LLRT",
    entry: BLANK_EXTENSION_ENTRY,
    outfile: JS_BLANK_EXTENSION_LLRT,
    target: "llrt",
  },
  {
    name: "JS_FUNCTION_NODE",
    entry: FUNCTION_ENTRY,
    outfile: jsFunctionBundle("node", false),
    target: "node",
  },
  {
    name: "JS_FUNCTION_NODE_SQS",
    entry: FUNCTION_SQS_ENTRY,
    outfile: jsFunctionBundle("node", true),
    target: "node",
  },
  {
    name: "JS_FUNCTION_LLRT",
    entry: FUNCTION_ENTRY,
    outfile: jsFunctionBundle("llrt", false),
    target: "llrt",
  },
  {
    name: "JS_FUNCTION_LLRT_SQS",
    entry: FUNCTION_SQS_ENTRY,
    outfile: jsFunctionBundle("llrt", true),
    target: "llrt",
  },
  {
    name: "JS_FUNCTION_NODE_DYNAMODB",
    entry: FUNCTION_DYNAMODB_ENTRY,
    outfile: jsFunctionDynamoDbBundle("node"),
    target: "node",
  },
  {
    name: "JS_FUNCTION_LLRT_DYNAMODB",
    entry: FUNCTION_DYNAMODB_ENTRY,
    outfile: jsFunctionDynamoDbBundle("llrt"),
    target: "llrt",
  },
];

/**
 * The esbuild options of one bundle.
 *
 * @param spec The bundle.
 * @returns Options for `esbuild.build`.
 */
export function esbuildOptions(spec: BundleSpec): esbuild.BuildOptions {
  const common: esbuild.BuildOptions = {
    entryPoints: [spec.entry],
    outfile: spec.outfile,
    bundle: true,
    format: "esm",
    target: "es2023",
    // Minified as a Lambda deployment would be (smaller to load and parse on every cold start).
    // Names are not kept: SDK errors set `name` themselves, and keepNames costs size and start-up.
    minify: true,
    legalComments: "none",
    logLevel: "silent",
    absWorkingDir: ROOT,
    external: spec.external ?? [],
  };
  if (spec.target === "node") {
    return {
      ...common,
      platform: "node",
      // Prefer the SDK's ESM builds; CommonJS left over gets a real `require` from the banner.
      mainFields: ["module", "main"],
      banner: {
        js: 'import { createRequire as __battleCreateRequire } from "node:module";' +
          "const require = __battleCreateRequire(import.meta.url);",
      },
    };
  }
  return {
    ...common,
    // LLRT is neither: it has fetch and Web APIs like a browser plus a subset of node:* modules.
    // The browser build of the SDK only needs the former; node:* imports stay for LLRT to serve.
    platform: "browser",
    mainFields: ["browser", "module", "main"],
    external: [...(spec.external ?? []), "node:*"],
  };
}

/**
 * Builds one bundle.
 *
 * @param spec The bundle.
 * @returns The artifact with its size.
 * @throws {Error} When esbuild reports errors (the message lists them).
 */
export async function buildBundle(spec: BundleSpec): Promise<Artifact> {
  await mkdir(dirname(spec.outfile), { recursive: true });
  try {
    const result = await esbuild.build(esbuildOptions(spec));
    for (const w of result.warnings) {
      console.warn(`esbuild warning in ${spec.name}: ${w.text} (${w.location?.file ?? ""})`);
    }
  } catch (e) {
    const errors = (e as { errors?: esbuild.Message[] }).errors ?? [];
    const detail = errors.map((m) =>
      `${m.text} (${m.location?.file ?? "?"}:${m.location?.line ?? "?"})`
    );
    throw new Error(
      `Cannot bundle ${spec.name} from ${relative(ROOT, spec.entry)}: ${
        detail.join("; ") || String(e)
      }`,
    );
  }
  return { name: spec.name, path: spec.outfile, bytes: (await stat(spec.outfile)).size };
}

/**
 * Builds every JavaScript bundle (extension and handler, per runtime) into `build/js/`.
 *
 * @param specs Which bundles; default {@linkcode JS_BUNDLES}.
 * @returns One artifact per bundle, with sizes.
 * @throws {Error} When a bundle fails to build.
 * @example
 * ```ts ignore
 * import { buildJsBundles } from "./js.ts";
 * for (const a of await buildJsBundles()) console.log(a.name, a.bytes);
 * ```
 */
export async function buildJsBundles(
  specs: readonly BundleSpec[] = JS_BUNDLES,
): Promise<Artifact[]> {
  try {
    const artifacts: Artifact[] = [];
    for (const spec of specs) artifacts.push(await buildBundle(spec));
    return artifacts;
  } finally {
    await esbuild.stop();
  }
}

if (import.meta.main) {
  for (const a of await buildJsBundles()) {
    console.log(`${a.name.padEnd(24)} ${String(a.bytes).padStart(9)} B  ${relative(ROOT, a.path)}`);
  }
}
