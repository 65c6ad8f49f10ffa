/**
 * Code loading as a fresh Lambda environment pays it. A new environment reads its function code
 * and layers from storage: nothing of them is in its memory yet. On this host they sit in the page
 * cache after the first run, so every later cold start would read them from RAM. Before each cold
 * start the sandbox drops exactly those files from the page cache
 * (`posix_fadvise(POSIX_FADV_DONTNEED)`, per file, no root needed), so Init reads them from disk
 * again. Files of the host's managed runtimes (Node.js, Python) stay cached, as a runtime's base
 * image is shared by every environment on a Lambda worker.
 *
 * @module
 */
import { join } from "node:path";

const POSIX_FADV_DONTNEED = 4;
const O_RDONLY = 0;

interface Libc {
  open(path: Uint8Array, flags: number): number;
  close(fd: number): number;
  posix_fadvise(fd: number, offset: bigint, len: bigint, advice: number): number;
}

let libc: Libc | null | undefined;

function loadLibc(): Libc | null {
  if (libc !== undefined) return libc;
  try {
    const lib = Deno.dlopen("libc.so.6", {
      open: { parameters: ["buffer", "i32"], result: "i32" },
      close: { parameters: ["i32"], result: "i32" },
      posix_fadvise: { parameters: ["i32", "i64", "i64", "i32"], result: "i32" },
    });
    libc = lib.symbols as unknown as Libc;
  } catch {
    libc = null;
  }
  return libc;
}

/** Whether this host can drop single files from its page cache (Linux with glibc, FFI allowed). */
export function canEvict(): boolean {
  return Deno.build.os === "linux" && loadLibc() !== null;
}

/** What one eviction did. */
export interface EvictionResult {
  /** Regular files advised out of the page cache. */
  files: number;
  /** Their total size in bytes. */
  bytes: number;
  /** Files that could not be opened or advised. */
  failed: number;
}

async function* regularFiles(path: string): AsyncGenerator<{ path: string; size: number }> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path); // follows symlinks: the target's pages are what a read loads
  } catch {
    return;
  }
  if (info.isFile) {
    yield { path: await Deno.realPath(path), size: info.size };
    return;
  }
  if (!info.isDirectory) return;
  for await (const entry of Deno.readDir(path)) yield* regularFiles(join(path, entry.name));
}

/**
 * Drops the files under `paths` (files or folders, walked recursively) from the page cache.
 *
 * @param paths Files and folders: the function's code, the layers, a custom runtime's binary.
 * @returns How many files and bytes were advised out.
 * @throws {Error} When this host cannot evict (see {@link canEvict}).
 * @example
 * ```ts
 * import { canEvict, evictFromPageCache } from "./page_cache.ts";
 * if (canEvict()) {
 *   const file = await Deno.makeTempFile();
 *   await Deno.writeTextFile(file, "code");
 *   (await evictFromPageCache([file])).files; // 1
 *   await Deno.remove(file);
 * }
 * ```
 */
export async function evictFromPageCache(paths: readonly string[]): Promise<EvictionResult> {
  const c = loadLibc();
  if (c === null) throw new Error("Cannot evict files from the page cache: no libc through FFI");
  const result: EvictionResult = { files: 0, bytes: 0, failed: 0 };
  const seen = new Set<string>();
  for (const root of paths) {
    for await (const file of regularFiles(root)) {
      if (seen.has(file.path)) continue;
      seen.add(file.path);
      const fd = c.open(new TextEncoder().encode(`${file.path}\0`), O_RDONLY);
      if (fd < 0) {
        result.failed++;
        continue;
      }
      const advised = c.posix_fadvise(fd, 0n, 0n, POSIX_FADV_DONTNEED) === 0;
      c.close(fd);
      if (advised) {
        result.files++;
        result.bytes += file.size;
      } else result.failed++;
    }
  }
  return result;
}
