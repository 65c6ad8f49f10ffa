/**
 * What Lambda can report. Every REPORT (text line, JSON-format `platform.report`, Telemetry
 * batch, `filter-log-events` message, row and columnar path alike) passes {@link checkReport}
 * before it is kept, so no stored value is one the platform cannot produce.
 *
 * @module
 */
import type { ReportRecord } from "./records.ts";

/** Bounds of the values Lambda states, in ms and MB. */
export const LAMBDA_LIMITS = {
  /** The 900 s function timeout, plus 1 s for the overshoot of a timed-out invocation. */
  maxDurationMs: 901_000,
  /**
   * Init: 10 s on demand, but a timed-out Init is retried inside the first invoke under the
   * function timeout, and SnapStart or provisioned-concurrency Init may run up to 15 minutes:
   * so the same 900 s (+1 s) bound as Duration.
   */
  maxInitMs: 901_000,
  /** SnapStart restore phases: held to the same bound. */
  maxRestoreMs: 901_000,
  /** Billed Duration covers Init since 2025-08-01 (and always for custom runtimes). */
  maxBilledMs: 1_802_000,
  /** Memory is configured from 128 to 10,240 MB in 1 MB steps. */
  minMemoryMb: 128,
  maxMemoryMb: 10_240,
} as const;

/** The REPORT values {@link checkReport} checks. */
export type CheckedFields = Pick<
  ReportRecord,
  | "durationMs"
  | "billedDurationMs"
  | "memorySizeMb"
  | "maxMemoryUsedMb"
  | "initDurationMs"
  | "restoreDurationMs"
  | "billedRestoreDurationMs"
>;

/** How a log format names each field in its messages, e.g. `REPORT: "Duration"`. */
export interface FieldLabels {
  durationMs: string;
  billedDurationMs: string;
  memorySizeMb: string;
  maxMemoryUsedMb: string;
  initDurationMs: string;
  restoreDurationMs: string;
  billedRestoreDurationMs: string;
}

/** Field labels of text REPORT lines. */
export const TEXT_LABELS: FieldLabels = {
  durationMs: 'REPORT: "Duration"',
  billedDurationMs: 'REPORT: "Billed Duration"',
  memorySizeMb: 'REPORT: "Memory Size"',
  maxMemoryUsedMb: 'REPORT: "Max Memory Used"',
  initDurationMs: 'REPORT: "Init Duration"',
  restoreDurationMs: 'REPORT: "Restore Duration"',
  billedRestoreDurationMs: 'REPORT: "Billed Restore Duration"',
};

/** Field labels of JSON `platform.report` records. */
export const JSON_LABELS: FieldLabels = {
  durationMs: 'platform.report: "metrics.durationMs"',
  billedDurationMs: 'platform.report: "metrics.billedDurationMs"',
  memorySizeMb: 'platform.report: "metrics.memorySizeMB"',
  maxMemoryUsedMb: 'platform.report: "metrics.maxMemoryUsedMB"',
  initDurationMs: 'platform.report: "metrics.initDurationMs"',
  restoreDurationMs: 'platform.report: "metrics.restoreDurationMs"',
  billedRestoreDurationMs: 'platform.report: "metrics.billedRestoreDurationMs"',
};

/**
 * Checks a REPORT's values against what Lambda can report: every duration finite, ≥ 0 and
 * within its limit ({@link LAMBDA_LIMITS}), Memory Size a whole number of MB within
 * 128–10,240, Max Memory Used ≥ 0 and not above Memory Size.
 *
 * @param r The values, as read from the log.
 * @param labels How the log format names the fields ({@link TEXT_LABELS}, {@link JSON_LABELS}).
 * @returns null when every value is possible, else the rejection reason (the offending value
 *   quoted after `value`, see `rejectionKind`).
 * @example
 * ```ts
 * import { checkReport, TEXT_LABELS } from "./limits.ts";
 * const r = {
 *   durationMs: 1e20, billedDurationMs: 1, memorySizeMb: 128, maxMemoryUsedMb: 60,
 *   initDurationMs: null, restoreDurationMs: null, billedRestoreDurationMs: null,
 * };
 * checkReport(r, TEXT_LABELS); // 'REPORT: "Duration" has a too-large value "1e+20" (limit 901,000 ms)'
 * ```
 */
export function checkReport(r: CheckedFields, labels: FieldLabels): string | null {
  const L = LAMBDA_LIMITS;
  // `!(0 <= x && x <= max)` is also true for NaN.
  if (!(r.durationMs >= 0 && r.durationMs <= L.maxDurationMs)) {
    return outOfRange(labels.durationMs, r.durationMs, L.maxDurationMs, "ms");
  }
  if (!(r.billedDurationMs >= 0 && r.billedDurationMs <= L.maxBilledMs)) {
    return outOfRange(labels.billedDurationMs, r.billedDurationMs, L.maxBilledMs, "ms");
  }
  const size = r.memorySizeMb;
  if (!(size >= L.minMemoryMb && size <= L.maxMemoryMb && Math.floor(size) === size)) {
    const why = Number.isFinite(size) && size >= 0 && Math.floor(size) !== size
      ? "a non-integer"
      : "an out-of-range";
    return `${labels.memorySizeMb} has ${why} value "${size}" (128–10,240 MB)`;
  }
  const used = r.maxMemoryUsedMb;
  if (!(used >= 0 && used <= size)) {
    if (used > size) {
      return `${labels.maxMemoryUsedMb} has a too-large value "${used}" (above Memory Size ${size} MB)`;
    }
    return outOfRange(labels.maxMemoryUsedMb, used, size, "MB");
  }
  const init = r.initDurationMs;
  if (init !== null && !(init >= 0 && init <= L.maxInitMs)) {
    return outOfRange(labels.initDurationMs, init, L.maxInitMs, "ms");
  }
  const restore = r.restoreDurationMs;
  if (restore !== null && !(restore >= 0 && restore <= L.maxRestoreMs)) {
    return outOfRange(labels.restoreDurationMs, restore, L.maxRestoreMs, "ms");
  }
  const billedRestore = r.billedRestoreDurationMs;
  if (billedRestore !== null && !(billedRestore >= 0 && billedRestore <= L.maxRestoreMs)) {
    return outOfRange(labels.billedRestoreDurationMs, billedRestore, L.maxRestoreMs, "ms");
  }
  return null;
}

/**
 * Checks one duration of another record (`platform.runtimeDone`, `INIT_REPORT`, restore
 * phases): finite, ≥ 0 and at most `max`.
 *
 * @param label The field as messages name it, e.g. `platform.runtimeDone: "metrics.durationMs"`.
 * @param ms The value.
 * @param max The limit (one of {@link LAMBDA_LIMITS}).
 * @returns null when possible, else the rejection reason.
 */
export function checkDuration(label: string, ms: number, max: number): string | null {
  return ms >= 0 && ms <= max ? null : outOfRange(label, ms, max, "ms");
}

function outOfRange(label: string, value: number, max: number, unit: string): string {
  if (value < 0) return `${label} has a negative value "${value}"`;
  if (!Number.isFinite(value)) return `${label} has a non-finite value "${value}"`;
  return `${label} has a too-large value "${value}" (limit ${max.toLocaleString("en-US")} ${unit})`;
}
