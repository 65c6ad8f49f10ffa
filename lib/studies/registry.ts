/**
 * The studies of the repository: every `studies/<name>.ts` exporting `study`.
 *
 * @module
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT } from "../paths.ts";
import { checkStudy, type Study } from "./study.ts";

/** Where study files live. */
export const STUDIES_DIR: string = join(ROOT, "studies");

/**
 * Loads every study, sorted by name.
 *
 * @param dir The folder (default `studies/`).
 * @returns The studies.
 * @throws {TypeError} When a study file is malformed or its name differs from its file's.
 */
export async function listStudies(dir: string = STUDIES_DIR): Promise<Study[]> {
  const studies: Study[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    if (!entry.isFile || !entry.name.endsWith(".ts") || entry.name.endsWith("_test.ts")) continue;
    studies.push(await loadStudyFile(join(dir, entry.name)));
  }
  return studies.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

async function loadStudyFile(path: string): Promise<Study> {
  const mod = await import(pathToFileURL(path).href) as { study?: unknown };
  const study = checkStudy(mod.study, path);
  const expected = path.split("/").at(-1)!.replace(/\.ts$/, "");
  if (study.name !== expected) {
    throw new TypeError(`Invalid study in ${path}: "name" is "${study.name}", not "${expected}"`);
  }
  return study;
}

/**
 * One study by name.
 *
 * @param name For example `extension-overhead`.
 * @param dir The folder (default `studies/`).
 * @returns The study.
 * @throws {RangeError} When no study has that name; the message lists the known ones.
 */
export async function studyByName(name: string, dir: string = STUDIES_DIR): Promise<Study> {
  const studies = await listStudies(dir);
  const found = studies.find((s) => s.name === name);
  if (!found) {
    throw new RangeError(
      `Unknown study "${name}": expected one of ${studies.map((s) => s.name).join(", ")}`,
    );
  }
  return found;
}
