/**
 * The benchmark matrix: variants × memory sizes × architectures, with the reason for every cell
 * that cannot run.
 *
 * @module
 */
import type { Arch } from "../schema.ts";
import type { Variant } from "../variants.ts";

/** One cell of the matrix: one function configuration. */
export interface Cell {
  variant: Variant;
  memoryMb: number;
  arch: Arch;
}

/** A cell that will not run, and why. */
export interface SkippedCell extends Cell {
  reason: string;
}

/** Lambda's memory range, in MB. */
export const MIN_MEMORY_MB = 128;
export const MAX_MEMORY_MB = 10_240;

/**
 * Parses `--memory 128,512,...`.
 *
 * @param list Comma-separated whole numbers of MB.
 * @returns The sizes, in the order given, without repeats.
 * @throws {RangeError} When a size is not a whole number within 128–10,240 MB.
 * @example
 * ```ts
 * import { parseMemoryList } from "./matrix.ts";
 * parseMemoryList("128,1024"); // [128, 1024]
 * ```
 */
export function parseMemoryList(list: string): number[] {
  const sizes = list.split(",").map((s) => s.trim()).filter((s) => s !== "").map((s) => {
    const mb = Number(s);
    if (!/^\d+$/.test(s) || mb < MIN_MEMORY_MB || mb > MAX_MEMORY_MB) {
      throw new RangeError(
        `Invalid memory size "${s}": expected a whole number of MB from ${MIN_MEMORY_MB} to ${MAX_MEMORY_MB}`,
      );
    }
    return mb;
  });
  if (sizes.length === 0) throw new RangeError(`Invalid memory list "${list}": it names no size`);
  return [...new Set(sizes)];
}

/**
 * Parses `--arch x86_64,arm64`.
 *
 * @throws {RangeError} When an architecture is not `x86_64` or `arm64`.
 */
export function parseArchList(list: string): Arch[] {
  const archs = list.split(",").map((s) => s.trim()).filter((s) => s !== "").map((s) => {
    if (s !== "x86_64" && s !== "arm64") {
      throw new RangeError(`Invalid architecture "${s}": expected x86_64 or arm64`);
    }
    return s as Arch;
  });
  if (archs.length === 0) throw new RangeError(`Invalid architecture list "${list}"`);
  return [...new Set(archs)];
}

/** The Lambda architecture name of the machine this runs on. */
export function hostArch(): Arch {
  return Deno.build.arch === "aarch64" ? "arm64" : "x86_64";
}

/**
 * Expands the matrix in report order: variant, then memory, then architecture.
 *
 * @param options The axes, and a function that says why a cell cannot run (or null when it can).
 * @returns The cells to run and the cells skipped with their reasons.
 */
export function expandMatrix(options: {
  variants: readonly Variant[];
  memoryMb: readonly number[];
  archs: readonly Arch[];
  skipReason?: (cell: Cell) => string | null;
}): { cells: Cell[]; skipped: SkippedCell[] } {
  const cells: Cell[] = [];
  const skipped: SkippedCell[] = [];
  for (const variant of options.variants) {
    for (const memoryMb of options.memoryMb) {
      for (const arch of options.archs) {
        const cell = { variant, memoryMb, arch };
        const reason = options.skipReason?.(cell) ?? null;
        if (reason === null) cells.push(cell);
        else skipped.push({ ...cell, reason });
      }
    }
  }
  return { cells, skipped };
}

/** A stable label for a cell, used in folder names and progress lines: `rust-128mb-x86_64`. */
export function cellLabel(cell: Cell): string {
  return `${cell.variant.name}-${cell.memoryMb}mb-${cell.arch}`;
}
