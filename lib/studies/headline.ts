/**
 * The opening of a study's `summary.md`: the question, the answer with 95% intervals (each
 * headline comparison, per memory size), and the published study it reproduces with what that
 * study found, so the two can be read side by side.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { LoadedRuns, RunInfo } from "../analysis/load.ts";
import { formatMedian, formatRatio, num } from "../analysis/format.ts";
import { seededRandom } from "../analysis/random.ts";
import {
  DEFAULT_LEVEL,
  describe,
  type Interval,
  minSamplesForInterval,
  quantileSorted,
  ratioOfMedians,
  sortedFinite,
  tooFewNote,
} from "../analysis/stats.ts";
import { type MetricKey, METRICS } from "../analysis/summary.ts";
import { LOAD_METRICS, type LoadMetricKey, type Study, type StudyHeadline } from "./study.ts";

/** A difference of two medians (`a − b`) with its bootstrap interval. */
export interface DifferenceEstimate {
  difference: number | null;
  ci: Interval | null;
  note: string | null;
}

function median(sorted: ArrayLike<number>): number {
  return quantileSorted(sorted, 0.5)!;
}

/**
 * Difference of the medians of two samples with a percentile-bootstrap interval (both samples
 * resampled independently, seeded, as `ratioOfMedians` does).
 *
 * @param a The subject's sample.
 * @param b The baseline's sample.
 * @param options Level (default 0.95), resamples (default 2000), seed (default 1).
 * @returns The difference; `ci` is null with a `note` for samples too small.
 * @example
 * ```ts
 * import { differenceOfMedians } from "./headline.ts";
 * differenceOfMedians([5, 5, 5, 5, 5, 5], [2, 2, 2, 2, 2, 2]).difference; // 3
 * ```
 */
export function differenceOfMedians(
  a: Iterable<number | null | undefined>,
  b: Iterable<number | null | undefined>,
  options: { level?: number; resamples?: number; seed?: number } = {},
): DifferenceEstimate {
  const level = options.level ?? DEFAULT_LEVEL;
  const sa = sortedFinite(a);
  const sb = sortedFinite(b);
  if (sa.length === 0 || sb.length === 0) return { difference: null, ci: null, note: "no data" };
  const difference = median(sa) - median(sb);
  const min = minSamplesForInterval(level);
  if (sa.length < min || sb.length < min) {
    return { difference, ci: null, note: tooFewNote(Math.min(sa.length, sb.length), level) };
  }
  const random = seededRandom(options.seed ?? 1);
  const resamples = options.resamples ?? 2000;
  const draw = (s: Float64Array) => {
    const r = new Float64Array(s.length);
    for (let i = 0; i < s.length; i++) r[i] = s[Math.floor(random() * s.length)]!;
    return median(r.sort());
  };
  const diffs = new Float64Array(resamples);
  for (let i = 0; i < resamples; i++) diffs[i] = draw(sa) - draw(sb);
  diffs.sort();
  const alpha = (1 - level) / 2;
  return {
    difference,
    ci: { lower: quantileSorted(diffs, alpha)!, upper: quantileSorted(diffs, 1 - alpha)!, level },
    note: null,
  };
}

/** True for a run made by the load mode (`run.json` has `loadCells`). */
export function isLoadRun(run: RunInfo): boolean {
  return run.manifest?.loadCells !== undefined && run.manifest.loadCells !== null;
}

function isLoadMetric(metric: string): metric is LoadMetricKey {
  return metric in LOAD_METRICS;
}

/** The column, the rows and the label a headline's metric reads. */
function metricOf(metric: MetricKey | LoadMetricKey) {
  if (isLoadMetric(metric)) {
    const m = LOAD_METRICS[metric];
    return { column: m.column, rows: "all" as const, label: m.label, load: true };
  }
  const m = METRICS[metric];
  return { column: m.column, rows: m.rows, label: m.label, load: false };
}

/** The successful values of a metric for one variant and memory size, from the right runs. */
function values(
  loaded: LoadedRuns,
  o: { metric: MetricKey | LoadMetricKey; variant: string; memoryMb: number },
): number[] {
  const m = metricOf(o.metric);
  const runIds = loaded.runs.filter((r) => isLoadRun(r) === m.load).map((r) => r.runId);
  if (runIds.length === 0) return [];
  const inRuns = runIds.map((id) => pl.col("run_id").eq(pl.lit(id))).reduce((x, y) => x.or(y));
  const kind = m.rows === "cold"
    ? pl.col("cold")
    : m.rows === "warm"
    ? pl.col("cold").not()
    : pl.lit(true);
  return loaded.frame.filter(
    inRuns
      .and(pl.col("variant").eq(pl.lit(o.variant)))
      .and(pl.col("memory_mb").eq(pl.lit(o.memoryMb)))
      .and(pl.col("status").eq(pl.lit("success")))
      .and(kind)
      .and(pl.col(m.column).isNotNull()),
  ).getColumn(m.column).toArray() as number[];
}

function memorySizes(loaded: LoadedRuns): number[] {
  return (loaded.frame.getColumn("memory_mb").unique().dropNulls().toArray() as number[])
    .sort((a, b) => a - b);
}

/**
 * One headline as a line of Markdown per memory size, or a line saying it has no data.
 *
 * @param h The headline.
 * @param loaded The runs.
 * @returns Lines such as `- Init Duration (ms), 128 MB: llrt vs nodejs 0.21× [0.18, 0.25] —
 *   96.1 [90.0, 101] vs 455 [430, 470]`.
 */
export function headlineLines(h: StudyHeadline, loaded: LoadedRuns): string[] {
  const m = metricOf(h.metric);
  const lines: string[] = [];
  for (const memoryMb of h.memoryMb ?? memorySizes(loaded)) {
    const a = values(loaded, { metric: h.metric, variant: h.subject, memoryMb });
    const b = values(loaded, { metric: h.metric, variant: h.baseline, memoryMb });
    if (a.length === 0 || b.length === 0) continue;
    // The interval's absence is said once, by the comparison; the medians then stand alone.
    const median = (v: number[]) => {
      const e = describe(v);
      return e.ci === null ? num(e.p50) : formatMedian(e);
    };
    const medians = `${median(a)} vs ${median(b)}`;
    let answer: string;
    if (h.compare === "difference") {
      const d = differenceOfMedians(a, b);
      const sign = (x: number) => (x > 0 ? "+" : "") + num(x);
      answer = d.difference === null
        ? `– (${d.note})`
        : d.ci === null
        ? `${sign(d.difference)} (${d.note})`
        : `${sign(d.difference)} [${sign(d.ci.lower)}, ${sign(d.ci.upper)}]`;
    } else {
      answer = formatRatio(ratioOfMedians(a, b));
    }
    lines.push(
      `- **${h.label}**, ${memoryMb} MB: ${answer} — ${m.label}: ${medians} ` +
        `(n = ${a.length}, ${b.length})`,
    );
  }
  if (lines.length === 0) {
    lines.push(`- **${h.label}**: no data (${h.subject} and ${h.baseline} not both measured)`);
  }
  return lines;
}

/** What the load runs said about the host (an oversubscribed CPU), once each. */
function hostNotes(loaded: LoadedRuns): string[] {
  const notes = loaded.runs.filter(isLoadRun).flatMap((r) =>
    (r.manifest?.cells ?? []).flatMap((c) => c.notes.filter((n) => n.includes("vCPUs")))
  );
  return [...new Set(notes)];
}

/**
 * The Markdown the study's `summary.md` opens with.
 *
 * @param study The study.
 * @param loaded Its runs (the cold/warm run and, when it has one, the load run).
 * @returns The section, ending in a blank line.
 */
export function studyHeadline(study: Study, loaded: LoadedRuns): string {
  const backends = [...new Set(loaded.runs.map((r) => r.backend ?? "unknown"))].join(", ");
  const where = backends === "local" ? "the local sandbox" : backends;
  const s = study.source;
  const load = loaded.runs.flatMap((r) => r.manifest?.loadCells ?? []);
  const sent = load[0]?.plan;
  const loadLines = load.map((c) =>
    `- ${c.cell}: ${num(c.throughputRps)} requests/s, round trip p50 ${num(c.latencyMs.p50)} ms ` +
    `/ p99 ${num(c.latencyMs.p99)} ms, ${c.coldStarts} cold starts in ${c.environments} ` +
    `environments, ${c.throttles} throttles, ${c.errors} errors (${c.sent} requests at ` +
    `concurrency ${c.plan.concurrency})`
  );
  return [
    `# ${study.title}`,
    "",
    `**Study \`${study.name}\`.** ${study.question}`,
    "",
    `**Answer** (${where}, run ${loaded.runs.map((r) => r.runId).join(" + ")}; medians with ` +
    `95% intervals):`,
    "",
    ...study.headlines.flatMap((h) => headlineLines(h, loaded)),
    ...(loadLines.length > 0 ? ["", "**Under load:**", "", ...loadLines] : []),
    ...hostNotes(loaded).map((n) => `- Caveat: ${n}`),
    "",
    `**Source.** This reproduces [${s.title}](${s.url}) (${s.author}, ${s.published}), which ` +
    `reported: ${s.finding}` +
    (study.load?.source && sent
      ? ` Its load was ${study.load.source.requests.toLocaleString("en-US")} requests at ` +
        `${study.load.source.concurrency} concurrent; this run sent ${sent.requests} per cell at ` +
        `${sent.concurrency} (sized for a 2-core machine; \`--requests\`, \`--concurrency\`).`
      : ""),
    ...(study.caveats?.length ? ["", ...study.caveats.map((c) => `- ${c}`)] : []),
    "",
    "",
  ].join("\n");
}
