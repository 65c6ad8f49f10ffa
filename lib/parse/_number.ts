/**
 * Strict, allocation-free decimal reading for the hot path of the parser.
 *
 * @module
 */

/**
 * Reads an unsigned decimal (`12`, `12.34`) from `text[from, to)`.
 * Accepts no sign, exponent, blank or trailing dot, so a cut-off `12.` is not a number.
 *
 * @param text The string holding the number.
 * @param from First index.
 * @param to Index after the last character.
 * @returns The value, or NaN when the span is not exactly a decimal.
 */
export function readDecimal(text: string, from: number, to: number): number {
  if (from >= to) return NaN;
  let whole = 0;
  let i = from;
  let digits = 0;
  for (; i < to; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    whole = whole * 10 + c;
    digits++;
  }
  if (digits === 0) return NaN;
  // Past 15 digits the integer arithmetic below is no longer exact.
  if (to - from > 15) return strictNumber(text, from, to);
  if (i === to) return whole;
  if (text.charCodeAt(i) !== 46 /* . */ || i + 1 === to) return NaN;
  i++;
  let frac = 0;
  let scale = 1;
  for (; i < to; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return NaN;
    frac = frac * 10 + c;
    scale *= 10;
  }
  // Dividing two exact integers rounds once, so this equals Number("12.34").
  return (whole * scale + frac) / scale;
}

function strictNumber(text: string, from: number, to: number): number {
  const s = text.slice(from, to);
  return /^\d+(\.\d+)?$/.test(s) ? Number(s) : NaN;
}
