/**
 * Places text labels next to scatter markers so that they overlap neither each other nor the
 * markers (plotly draws `text` where `textposition` says, without avoiding anything).
 *
 * @module
 */

/** Where plotly may put a marker's text. */
export const TEXT_POSITIONS = [
  "top center",
  "bottom center",
  "middle right",
  "middle left",
  "top right",
  "top left",
  "bottom right",
  "bottom left",
] as const;

/** One of {@link TEXT_POSITIONS}. */
export type TextPosition = typeof TEXT_POSITIONS[number];

/** A labelled marker, in data units. */
export interface LabelledPoint {
  x: number;
  y: number;
  text: string;
  /** Marker diameter (px). */
  size: number;
}

/** The plot area the points are drawn in. */
export interface PlotArea {
  /** Axis ranges in data units (not log10). */
  x: readonly [number, number];
  y: readonly [number, number];
  xLog?: boolean;
  yLog?: boolean;
  /** Plot area in px (the figure less its margins). */
  width: number;
  height: number;
  /** Label font size (px). */
  fontSize: number;
}

type Box = [number, number, number, number];

function overlap(a: Box, b: Box): number {
  const w = Math.min(a[0] + a[2], b[0] + b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[1] + a[3], b[1] + b[3]) - Math.max(a[1], b[1]);
  return w > 0 && h > 0 ? w * h : 0;
}

function labelBox(position: TextPosition, px: number, py: number, w: number, h: number, r: number) {
  const d = r * 0.75;
  const boxes: Record<TextPosition, Box> = {
    "top center": [px - w / 2, py - r - h, w, h],
    "bottom center": [px - w / 2, py + r, w, h],
    "middle right": [px + r, py - h / 2, w, h],
    "middle left": [px - r - w, py - h / 2, w, h],
    "top right": [px + d, py - d - h, w, h],
    "top left": [px - d - w, py - d - h, w, h],
    "bottom right": [px + d, py + d, w, h],
    "bottom left": [px - d - w, py + d, w, h],
  };
  return boxes[position];
}

/**
 * Picks a text position per point, in the order given (put the points whose labels matter most
 * first): the first position whose label box overlaps nothing already placed, no marker and
 * stays inside the plot, else the one that overlaps least.
 *
 * @param points Markers with their labels.
 * @param area Axis ranges and the plot's size in pixels.
 * @returns One `textposition` per point, in the same order.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { placeLabels } from "./_labels.ts";
 * const area = { x: [0, 10], y: [0, 10], width: 500, height: 300, fontSize: 11 } as const;
 * const twins = [{ x: 5, y: 5, text: "512", size: 9 }, { x: 5.1, y: 5, text: "512", size: 9 }];
 * const [a, b] = placeLabels(twins, area);
 * assert.notEqual(a, b);
 * ```
 */
export function placeLabels(
  points: readonly LabelledPoint[],
  area: PlotArea,
): TextPosition[] {
  const scale = (v: number, [lo, hi]: readonly [number, number], log: boolean | undefined) =>
    log
      ? (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))
      : (v - lo) / (hi - lo);
  const pixels = points.map((p) => ({
    px: scale(p.x, area.x, area.xLog) * area.width,
    py: (1 - scale(p.y, area.y, area.yLog)) * area.height,
    r: p.size / 2 + 1.5,
    w: p.text.length * area.fontSize * 0.6 + 2,
    h: area.fontSize * 1.2,
  }));
  const markers: Box[] = pixels.map((p) => [p.px - p.r, p.py - p.r, 2 * p.r, 2 * p.r]);
  const placed: Box[] = [];
  const bounds: Box = [0, 0, area.width, area.height];
  return pixels.map((p, i) => {
    let best: { position: TextPosition; score: number; box: Box } | null = null;
    for (const position of TEXT_POSITIONS) {
      const box = labelBox(position, p.px, p.py, p.w, p.h, p.r);
      const outside = box[2] * box[3] - overlap(box, bounds);
      const score = placed.reduce((sum, b) => sum + overlap(box, b), 0) +
        markers.reduce((sum, m, j) => sum + (j === i ? 0 : overlap(box, m)), 0) + 2 * outside;
      if (best === null || score < best.score - 1e-9) best = { position, score, box };
      if (score === 0) break;
    }
    placed.push(best!.box);
    return best!.position;
  });
}
