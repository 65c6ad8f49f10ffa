/**
 * Atomic file replacement: write a temporary file in the target's folder, flush it, rename it
 * over the target. Readers see the old file or the new one, never half of one.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";

/**
 * A temporary path beside `path` (same folder, so the rename stays on one file system).
 *
 * @param path The final path.
 * @returns A hidden, unique sibling path.
 */
export function tempPathFor(path: string): string {
  const rand = crypto.getRandomValues(new Uint32Array(1))[0]!.toString(16).padStart(8, "0");
  return join(dirname(path), `.${basename(path)}.${Deno.pid}.${rand}.tmp`);
}

/**
 * Runs `write(tempPath)`, then renames the temporary file over `path`; removes it on failure.
 *
 * @param path The final path.
 * @param write Writes the complete content to the given temporary path.
 * @throws Whatever `write` or the rename throws; `path` is then unchanged.
 */
export async function replaceAtomically(
  path: string,
  write: (tempPath: string) => void | Promise<void>,
): Promise<void> {
  const tmp = tempPathFor(path);
  try {
    await write(tmp);
    await Deno.rename(tmp, path);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
}

/**
 * Writes text atomically, flushed to disk before the rename.
 *
 * @param path The final path.
 * @param text The content.
 */
export async function writeTextAtomic(path: string, text: string): Promise<void> {
  await replaceAtomically(path, async (tmp) => {
    using file = await Deno.open(tmp, { write: true, createNew: true });
    const bytes = new TextEncoder().encode(text);
    let done = 0;
    while (done < bytes.length) done += await file.write(bytes.subarray(done));
    await file.syncData();
  });
}
