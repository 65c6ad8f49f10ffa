/**
 * The leading timestamp of a prefixed log line, read without Date.parse on the hot path.
 *
 * @module
 */

/**
 * Reads the leading timestamp of a prefixed line (`2024-05-01T10:00:00.123000+00:00 stream ...`).
 *
 * @param text The line, or a text holding it from `start` on.
 * @param end Where the Lambda text starts.
 * @param start Where the line starts (default 0).
 * @param firstTab The first tab at or after `start` (or any index past `end`), when the caller
 *   knows it; else it is looked for.
 * @returns Epoch ms, or null without a parsable leading timestamp.
 */
export function prefixTime(text: string, end: number, start = 0, firstTab = -1): number | null {
  if (end === start) return null;
  const c = text.charCodeAt(start);
  if (c < 48 || c > 57) return null;
  // The token ends at the first space or tab before `end` (builtin scans beat a char loop).
  let stop = text.indexOf(" ", start);
  if (stop < 0 || stop > end) stop = end;
  if (firstTab >= 0) {
    if (firstTab < stop) stop = firstTab;
  } else if (stop > start && text.lastIndexOf("\t", stop - 1) >= start) {
    stop = text.indexOf("\t", start);
  }
  const fast = readIsoTime(text, stop, start);
  if (fast !== null) return fast;
  const token = text.slice(start, stop);
  // Date.parse reads nearly anything ("12" is a date to V8): only try tokens with a clock time.
  if (!token.includes(":")) return null;
  const t = Date.parse(token);
  return Number.isNaN(t) ? null : t;
}

function digits(text: string, at: number, count: number): number {
  let v = 0;
  for (let i = at; i < at + count; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/** Two digits at `at`, or -1. */
function two(text: string, at: number): number {
  const a = text.charCodeAt(at) - 48;
  const b = text.charCodeAt(at + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/** The last date read and its day number: log lines come in runs of the same day. */
let lastDate = -1;
let lastDays = 0;

/**
 * `YYYY-MM-DDTHH:MM:SS[.fraction][Z|±HH:MM]` at the start of `text[b, end)`, without building a
 * string (Date.parse per line costs more than the rest of a REPORT).
 */
function readIsoTime(text: string, end: number, b: number): number | null {
  if (end - b < 19 || text.charCodeAt(b + 4) !== 45 || text.charCodeAt(b + 7) !== 45) return null;
  const sep = text.charCodeAt(b + 10);
  if (
    (sep !== 84 && sep !== 32) || text.charCodeAt(b + 13) !== 58 ||
    text.charCodeAt(b + 16) !== 58
  ) {
    return null;
  }
  const y = digits(text, b, 4);
  const mo = two(text, b + 5);
  const d = two(text, b + 8);
  const h = two(text, b + 11);
  const mi = two(text, b + 14);
  const s = two(text, b + 17);
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || s < 0) {
    return null;
  }
  let i = b + 19;
  let ms = 0;
  if (text.charCodeAt(i) === 46) {
    i++;
    let scale = 100;
    while (i < end) {
      const c = text.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      ms += c * scale;
      scale /= 10;
      i++;
    }
    ms = Math.floor(ms);
  }
  let offsetMin = 0;
  const z = text.charCodeAt(i);
  if (i === end || (z === 90 && i + 1 === end)) {
    // No zone (`aws logs tail --format short`) means UTC there, as Z does.
    offsetMin = 0;
  } else if ((z === 43 || z === 45) && i + 6 === end && text.charCodeAt(i + 3) === 58) {
    const oh = two(text, i + 1);
    const om = two(text, i + 4);
    if (oh < 0 || om < 0) return null;
    offsetMin = (z === 43 ? 1 : -1) * (oh * 60 + om);
  } else {
    return null;
  }
  // Date.UTC costs more than the rest of this function; it also maps years 0-99 to 19xx.
  let utc: number;
  if (y < 100) {
    utc = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  } else {
    const date = (y * 100 + mo) * 100 + d;
    if (date !== lastDate) {
      lastDays = daysFromCivil(y, mo, d);
      lastDate = date;
    }
    utc = lastDays * 86_400_000 + ((h * 60 + mi) * 60 + s) * 1000 + ms;
  }
  return utc - offsetMin * 60_000;
}

/**
 * Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's `days_from_civil`); a day past
 * the month's end runs on into the next month, as with Date.UTC.
 */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}
