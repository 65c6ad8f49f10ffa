/**
 * The CDK app. The CDK CLI runs it (`infra/cdk.json`: `deno run -A app.ts`); `infra/cli.ts`
 * drives the CLI. It reads its settings from context or the environment (see `settings.ts`),
 * checks the builds (see `builds.ts`), prints on stderr what it leaves out, and synthesises one
 * stack.
 *
 * @module
 */
import { join } from "node:path";
import { App } from "aws-cdk-lib";
import type { CloudAssembly } from "aws-cdk-lib/cx-api";
import {
  type BuildLocations,
  type DeploymentPlan,
  describeSkip,
  locationsFor,
  planDeployment,
} from "./builds.ts";
import { resolveSettings } from "./settings.ts";
import { BattleStack } from "./stack.ts";

/** Options of {@link synthesizeApp}; every field has a default for the real run. */
export interface SynthesizeOptions {
  /** Context values (the CDK CLI passes them in `CDK_CONTEXT_JSON`); default none. */
  context?: Record<string, unknown>;
  /** Environment for settings; default `Deno.env.toObject()`. */
  env?: Record<string, string | undefined>;
  /** Where the builds are; default the `buildDir` setting, else `build/`. */
  locations?: BuildLocations;
  /** Where layer folders are assembled; default `<outdir>/staging`. */
  stagingDir?: string;
  /** Cloud assembly folder; default `CDK_OUTDIR` (set by the CDK CLI) or a temp folder. */
  outdir?: string;
}

/** What {@link synthesizeApp} made. */
export interface SynthesizeResult {
  app: App;
  stack: BattleStack;
  plan: DeploymentPlan;
  assembly: CloudAssembly;
}

/**
 * Builds the app and synthesises it.
 *
 * @param options Context, environment, build locations, staging and output folders.
 * @returns The app, the stack, the plan it followed and the cloud assembly.
 * @throws {RangeError} When a setting is malformed.
 * @throws {Error} In strict mode (`-c strict=true`, used by deploy) when a build is missing;
 * the message lists every missing build.
 */
export function synthesizeApp(options: SynthesizeOptions = {}): SynthesizeResult {
  const app = new App({
    ...(options.context === undefined ? {} : { context: options.context }),
    ...(options.outdir === undefined ? {} : { outdir: options.outdir }),
  });
  const settings = resolveSettings((key) => app.node.tryGetContext(key), options.env);
  const plan = planDeployment(settings, options.locations ?? locationsFor(settings.buildDir));
  if (settings.strict && plan.skipped.length > 0) {
    throw new Error(
      `Cannot deploy: builds are missing:\n${plan.skipped.map(describeSkip).join("\n")}\n` +
        `Build them (deno task build) or leave those variants out (--variants, --arch).`,
    );
  }
  const stack = new BattleStack(app, settings.stackName, {
    settings,
    plan,
    stagingDir: options.stagingDir ?? join(app.outdir, "staging"),
    description: "Battle of the Extensions: Lambda extension cost study (LLRT, Node.js, Rust)",
    ...(settings.region === undefined ? {} : { env: { region: settings.region } }),
  });
  return { app, stack, plan, assembly: app.synth() };
}

if (import.meta.main) {
  try {
    const { plan } = synthesizeApp();
    for (const skip of plan.skipped) console.error(describeSkip(skip));
    console.error(`synthesised ${plan.functions.length} functions`);
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    Deno.exit(1);
  }
}
