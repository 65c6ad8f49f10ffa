/**
 * Progress lines for long runs: one line per finished step, with the elapsed time and an ETA
 * from the average time per invocation so far.
 *
 * @module
 */

/** Tracks how many invocations are done out of how many planned. */
export class Progress {
  #done = 0;
  #started: number;
  #total: number;
  #now: () => number;
  #write: (line: string) => void;

  /**
   * @param total Invocations planned in the whole run.
   * @param options `now` (ms clock, default `performance.now`) and `write` (default: stderr).
   */
  constructor(
    total: number,
    options: { now?: () => number; write?: (line: string) => void } = {},
  ) {
    this.#total = total;
    this.#now = options.now ?? (() => performance.now());
    this.#write = options.write ?? ((line) => console.error(line));
    this.#started = this.#now();
  }

  /** Adds finished invocations (retries may add to the plan with `extend`). */
  advance(count = 1): void {
    this.#done += count;
  }

  /** Plans more invocations than first thought (cold-start retries). */
  extend(count: number): void {
    this.#total += count;
  }

  /** Seconds left at the current pace, or null before anything finished. */
  etaSeconds(): number | null {
    if (this.#done === 0) return null;
    const perInvocation = (this.#now() - this.#started) / this.#done;
    return Math.max(0, (this.#total - this.#done) * perInvocation / 1000);
  }

  /** Prints `[done/total] message · 12 s elapsed · ETA 40 s`. */
  report(message: string): void {
    const elapsed = (this.#now() - this.#started) / 1000;
    const eta = this.etaSeconds();
    const etaText = eta === null ? "ETA unknown" : `ETA ${formatSeconds(eta)}`;
    this.#write(
      `[${this.#done}/${this.#total}] ${message} · ${formatSeconds(elapsed)} elapsed · ${etaText}`,
    );
  }
}

/** `75` → `1m15s`, `4.2` → `4s`. */
export function formatSeconds(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}
