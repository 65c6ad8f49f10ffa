/**
 * The native line reader (`rust/ingest`, built by `deno task setup` into
 * `build/native/libbattle_ingest.so`), loaded with `Deno.dlopen`: it reads Lambda's START, END
 * and REPORT text lines and certain noise from bytes, and leaves every other line to the
 * JavaScript parser (see `ExportReader.readScanned`), so an ingest gives the same result with
 * it or without it.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { type ScannedLines, scannedLines } from "../parse/mod.ts";
import { INGEST_NATIVE_LIB } from "../paths.ts";

/** The layout version this loader reads (`ABI` in `rust/ingest/src/lib.rs`). */
export const NATIVE_ABI = 1;

/** Lines read per call: few enough that what the reader wrote is still in cache when read. */
const CAP = 1 << 11;

const SYMBOLS = {
  battle_ingest_abi: { parameters: [], result: "u32" },
  battle_ingest_scan: {
    parameters: ["buffer", "u32", "u8", "buffer", "buffer", "buffer", "buffer", "u32", "buffer"],
    result: "void",
  },
} as const;

/** One thread's handle on the native reader, with its output arrays. */
export class NativeLines {
  /** The lines of the last {@link scan}. */
  readonly lines: ScannedLines = scannedLines(CAP);
  /** Lines one {@link scan} reads at most. */
  readonly cap = CAP;
  readonly #meta = new Int32Array(2);
  readonly #lib: Deno.DynamicLibrary<typeof SYMBOLS>;
  /** The library's file. */
  readonly path: string;

  /**
   * @param lib The opened library.
   * @param path Its file.
   */
  constructor(lib: Deno.DynamicLibrary<typeof SYMBOLS>, path: string) {
    this.#lib = lib;
    this.path = path;
  }

  /** Bytes the last {@link scan} consumed (its whole lines). */
  get consumed(): number {
    return this.#meta[1]!;
  }

  /**
   * Reads the whole lines of `bytes` into {@link lines}, at most {@link cap}.
   *
   * @param bytes The bytes (at most 2 GiB).
   * @param last True where the bytes after the last newline are a line too (the range's end).
   * @returns How many lines were read; {@link consumed} says how many bytes they took.
   */
  scan(bytes: Uint8Array<ArrayBuffer>, last: boolean): number {
    const l = this.lines;
    this.#lib.symbols.battle_ingest_scan(
      bytes,
      bytes.length,
      last ? 1 : 0,
      l.kinds,
      l.offs,
      l.hashes,
      l.nums,
      CAP,
      this.#meta,
    );
    return this.#meta[0]!;
  }
}

const loaded = new Map<string, NativeLines | string>();

/**
 * This thread's native reader, opened on first use.
 *
 * @param path The library; default `build/native/libbattle_ingest.so`.
 * @returns The reader, or why it cannot be had (not built, stale, not loadable).
 */
export function nativeLines(path: string = INGEST_NATIVE_LIB): NativeLines | string {
  let result = loaded.get(path);
  if (result === undefined) loaded.set(path, result = open(path));
  return result;
}

function open(path: string): NativeLines | string {
  const build = "`deno task setup` builds it (cargo build --release -p battle-ingest)";
  if (!existsSync(path)) return `the native line reader ${path} is not built: ${build}`;
  let lib: Deno.DynamicLibrary<typeof SYMBOLS>;
  try {
    lib = Deno.dlopen(path, SYMBOLS);
  } catch (err) {
    return `the native line reader ${path} does not load (${(err as Error).message})`;
  }
  const abi = lib.symbols.battle_ingest_abi();
  if (abi !== NATIVE_ABI) {
    lib.close();
    return `the native line reader ${path} is stale (layout ${abi}, this code reads ${NATIVE_ABI}): ` +
      build;
  }
  return new NativeLines(lib, path);
}
