/**
 * Field helpers off the hot path: reading `Key: value` lines whose tabs became spaces, and
 * telling a damaged field name (`Init Duraton`) from an unknown one.
 *
 * @module
 */

/** Field names of several words, in Lambda's text lines. */
const MULTI_WORD_KEYS = new Set([
  "Billed Restore Duration",
  "Runtime Version ARN",
  "Max Memory Used",
  "Billed Duration",
  "Memory Size",
  "Init Duration",
  "Restore Duration",
  "Error Type",
  "XRAY TraceId",
  "Runtime Version",
]);

const CAPITALISED_WORD = /^[A-Z][a-z]+$/;

/**
 * Rewrites `Key: value Key: value` (fields separated by spaces, as console copy-paste and some
 * log shippers leave them) as `Key: value\tKey: value`. A field name ends at a word ending in
 * `:`; it is the longest known name ending there (`Max Memory Used:`), else that word with any
 * capitalised words before it (so `Init Duraton:` and `Inlt Duration:` stay one damaged name
 * rather than a second `Duration`); the value is everything up to the next name.
 *
 * @param text The line.
 * @param from Where the fields (or, for REPORT, the request id) start.
 * @param lead Words before the first field that are not a field (1: a REPORT's request id).
 * @returns The lead words, then one tab-separated `Key: value` per field.
 */
export function tabSeparate(text: string, from: number, lead: number): string {
  const words = text.slice(from).split(/[ \t\r]+/).filter((w) => w !== "");
  /** Per field: index of its first word and of the word ending in `:`. */
  const keys: Array<[number, number]> = [];
  for (let i = lead; i < words.length; i++) {
    const word = words[i]!;
    if (word.length < 2 || !word.endsWith(":")) continue;
    const name = word.slice(0, -1);
    const prev = keys.at(-1);
    // The field before keeps at least one word of value.
    const minStart = prev === undefined ? lead : prev[1] + 2;
    let start = i;
    for (const n of [3, 2]) {
      const s = i - n + 1;
      if (s >= minStart && MULTI_WORD_KEYS.has(`${words.slice(s, i).join(" ")} ${name}`)) {
        start = s;
        break;
      }
    }
    if (start === i) {
      while (start - 1 >= minStart && CAPITALISED_WORD.test(words[start - 1]!)) start--;
    }
    keys.push([start, i]);
  }
  const parts = [words.slice(0, keys[0]?.[0] ?? words.length).join(" ")];
  keys.forEach(([start, colon], k) => {
    const end = keys[k + 1]?.[0] ?? words.length;
    const value = words.slice(colon + 1, end).join(" ");
    const name = words.slice(start, colon + 1).join(" ");
    parts.push(value === "" ? name : `${name} ${value}`);
  });
  return parts.join("\t");
}

/** A field a damaged name may have been, and how far (in edits) the name may be from it. */
export interface DamageTarget {
  /** The name lower-cased, letters only (`initduration`). */
  folded: string;
  /** The field as rejection reasons name it, e.g. `REPORT: "Init Duration"`. */
  label: string;
  /** Edits (insert, delete, replace) a damaged name may be away. */
  maxEdits: number;
  /** A folded name starting with this is damaged too (`Init Duratio`, `Init Dur`). */
  prefix?: string;
}

/**
 * The optional field an unknown field name is a damaged copy of, if any: its letters,
 * lower-cased, within a few edits (a swap of neighbours counts as one) of the field's name (or starting like it). Optional fields
 * matter: a lost `Init Duration` would turn a cold start into a warm one, a lost `Status` a
 * failure into a success.
 *
 * @param name The unknown field name.
 * @param targets The fields to compare with.
 * @returns The label of the field it resembles, or null.
 */
export function damagedName(name: string, targets: readonly DamageTarget[]): string | null {
  if (name.length > 40) return null;
  let folded = "";
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i) | 32; // lower case
    if (c >= 97 && c <= 122) folded += String.fromCharCode(c);
  }
  for (const t of targets) {
    if (t.prefix !== undefined && folded.startsWith(t.prefix)) return t.label;
    if (Math.abs(folded.length - t.folded.length) > t.maxEdits) continue;
    if (editDistance(folded, t.folded, t.maxEdits) <= t.maxEdits) return t.label;
  }
  return null;
}

/**
 * Edit distance with adjacent transpositions (optimal string alignment: `Statsu` is one edit
 * from `Status`), or `max + 1` once it is certainly above `max`.
 */
function editDistance(a: string, b: string, max: number): number {
  const w = b.length + 1;
  // Rows i-2, i-1 and i of the table, one after the other.
  const d = new Int32Array(3 * w);
  for (let j = 0; j < w; j++) d[w + j] = j;
  for (let i = 1; i <= a.length; i++) {
    const cur = (i % 3) * w;
    const prev = ((i + 2) % 3) * w;
    const before = ((i + 1) % 3) * w;
    d[cur] = i;
    let rowMin = i;
    for (let j = 1; j < w; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      let v = Math.min(d[prev + j]! + 1, d[cur + j - 1]! + 1, d[prev + j - 1]! + cost);
      if (
        i > 1 && j > 1 && a.charCodeAt(i - 1) === b.charCodeAt(j - 2) &&
        a.charCodeAt(i - 2) === b.charCodeAt(j - 1)
      ) {
        v = Math.min(v, d[before + j - 2]! + 1);
      }
      d[cur + j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
  }
  return d[(a.length % 3) * w + b.length]!;
}
