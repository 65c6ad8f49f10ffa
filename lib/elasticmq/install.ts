/**
 * Fetches ElasticMQ (an SQS-compatible server on the JVM) and every jar it needs from Maven
 * Central into `.cache/elasticmq/<version>/`, once, and prepares a class-data-sharing archive
 * that halves the JVM's start-up.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { CACHE_DIR, ROOT } from "../paths.ts";
import { launch } from "./_launch.ts";

/** The ElasticMQ release in use (`org.elasticmq:elasticmq-server_2.13`). */
export const ELASTICMQ_VERSION = "1.7.1";

/** The pom that names ElasticMQ as its only dependency. */
const POM = join(ROOT, "tools", "elasticmq", "pom.xml");

/** JVM flags tuned for a fast start of a small, short-lived server. */
export const JVM_FLAGS: readonly string[] = [
  "-XX:TieredStopAtLevel=1",
  "-XX:+UseSerialGC",
  "-Xss512k",
  "-Xms32m",
  "-Xmx256m",
  "-Xshare:auto",
];

/** Where ElasticMQ lives on disk and how to start it. */
export interface ElasticMQInstall {
  /** The ElasticMQ version. */
  version: string;
  /** The `java` executable. */
  java: string;
  /** The folder of jars. */
  libDir: string;
  /** The JVM class path (`<libDir>/*`). */
  classpath: string;
  /** The class-data-sharing archive, or null where it could not be made. */
  sharedArchive: string | null;
}

/** Options of {@linkcode ensureElasticMQ}. */
export interface EnsureOptions {
  /** Cache folder; default `.cache/elasticmq`. */
  cacheDir?: string;
  /** The `java` executable; default `java` on PATH. */
  java?: string;
  /** The `mvn` executable; default `mvn` on PATH. */
  mvn?: string;
}

async function run(cmd: string, args: string[], what: string): Promise<string> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new Error(
        `Cannot ${what}: "${cmd}" is not installed (apt-get install maven openjdk-17-jre-headless)`,
      );
    }
    throw err;
  }
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success) {
    throw new Error(`Cannot ${what}: "${cmd}" exited with ${out.code}\n${text.slice(-2000)}`);
  }
  return text;
}

/**
 * Makes sure ElasticMQ's jars are in the cache (downloading them with Maven the first time)
 * and that `java` runs. Idempotent and safe to call from parallel processes: each download goes
 * to a private folder that is renamed into place.
 *
 * @param options Cache folder and tool paths.
 * @returns Where the jars are and how to run them.
 * @throws {Error} When `java` or `mvn` is missing or the download fails; the message says which.
 * @example
 * ```ts
 * const install = await ensureElasticMQ();
 * console.log(install.classpath);
 * ```
 */
export async function ensureElasticMQ(options: EnsureOptions = {}): Promise<ElasticMQInstall> {
  const cacheDir = options.cacheDir ?? join(CACHE_DIR, "elasticmq");
  const java = options.java ?? "java";
  const home = join(cacheDir, ELASTICMQ_VERSION);
  const libDir = join(home, "lib");
  await run(java, ["-version"], "start ElasticMQ");
  if (!existsSync(libDir)) {
    await Deno.mkdir(home, { recursive: true });
    const staging = await Deno.makeTempDir({ dir: home, prefix: "lib-" });
    await Deno.chmod(staging, 0o755);
    await run(options.mvn ?? "mvn", [
      "-q",
      "-B",
      "-f",
      POM,
      `-Delasticmq.version=${ELASTICMQ_VERSION}`,
      "dependency:copy-dependencies",
      `-DoutputDirectory=${staging}`,
    ], `download ElasticMQ ${ELASTICMQ_VERSION} with Maven`);
    try {
      await Deno.rename(staging, libDir);
    } catch (err) {
      // Another process won the race; its folder is as good as ours.
      await Deno.remove(staging, { recursive: true });
      if (!existsSync(libDir)) throw err;
    }
  }
  const classpath = join(libDir, "*");
  const install = { version: ELASTICMQ_VERSION, java, libDir, classpath, sharedArchive: null };
  return { ...install, sharedArchive: await ensureSharedArchive(install, home) };
}

/** Dumps the classes a start-up loads into a CDS archive once; null where the JVM declines. */
async function ensureSharedArchive(
  install: ElasticMQInstall,
  home: string,
): Promise<string | null> {
  const archive = join(home, "elasticmq.jsa");
  if (existsSync(archive)) return archive;
  const staging = join(home, `elasticmq-${Deno.pid}.jsa`);
  try {
    const flags = [`-XX:ArchiveClassesAtExit=${staging}`];
    const proc = await launch(install, { port: 0, queues: [], extraFlags: flags });
    await proc.terminate();
    await Deno.rename(staging, archive);
    return archive;
  } catch {
    await Deno.remove(staging).catch(() => {});
    return existsSync(archive) ? archive : null;
  }
}
