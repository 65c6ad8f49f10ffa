//! The native line reader of `deno task ingest` (loaded with `Deno.dlopen` by
//! `lib/ingest/_native.ts`).
//!
//! It reads the lines of a piece of a plain log export as bytes and settles the lines the
//! JavaScript bulk path settles (`readBulkSpan` in `lib/parse/text.ts`): Lambda's text START,
//! END and REPORT lines (with or without an `aws logs tail` prefix) and lines that are noise
//! for certain; and the `XRAY TraceId:` and `INIT_START` lines that path only counts. Every
//! other line, and every line it is not sure of, is [`OTHER`]: the JavaScript parser reads that
//! one from its bytes, so the result is the one the JavaScript reader gives. "Not sure" covers:
//! a non-ASCII START, END or REPORT line, an id over [`SLOT`] bytes, a REPORT with a field it
//! does not read (`Status`, `Error Type`, the restore fields, unknown or damaged names), a bad
//! or repeated value (the JavaScript parser words the rejection), a number over 15 characters,
//! and a prefix time that would need `Date.parse`.
//!
//! The arithmetic (decimals, prefix times, the id hash) is the JavaScript one step for step in
//! IEEE doubles, so the values are the same bit for bit.

use memchr::memmem;

/// Bumped whenever the layout of [`battle_ingest_scan`]'s output changes.
pub const ABI: u32 = 1;

/// A blank line (nothing, or a lone carriage return).
pub const BLANK: u8 = 0;
/// Noise for certain: no `RequestId: `, `_`, `{`, `XRAY` or `\tName: ` in the line.
pub const NOISE: u8 = 1;
/// A REPORT read whole: id, time and numbers (not yet checked against Lambda's limits).
pub const REPORT: u8 = 2;
/// A START with its id and time.
pub const START: u8 = 3;
/// An END with its id.
pub const END: u8 = 4;
/// A line for the JavaScript parser.
pub const OTHER: u8 = 5;
/// An `XRAY TraceId:` line on its own (the join reads no trace ids).
pub const XRAY: u8 = 6;
/// An `INIT_START` line with its `Runtime Version` (counted only: the join does not read it).
pub const INIT_START: u8 = 7;

/// Longest id settled here (`LineNotes` compares longer ones as strings).
pub const SLOT: usize = 64;
/// Numbers per line: time, duration, billed, memory, max memory used, init (NaN for none).
pub const NUMS: usize = 6;
/// `i32`s per line in the offsets: line start, line end (before any `\r`), id start, id length.
pub const OFFS: usize = 4;

/// What one line is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Line {
    pub kind: u8,
    pub id_from: usize,
    pub id_len: usize,
    pub hash: i32,
    pub nums: [f64; NUMS],
}

impl Line {
    fn of(kind: u8) -> Line {
        Line {
            kind,
            id_from: 0,
            id_len: 0,
            hash: 0,
            nums: [f64::NAN; NUMS],
        }
    }
}

/// A value the JavaScript code would reach by another road (`Date.parse`, `Number(...)`).
struct Unsure;

/// The byte at `i`, or 0 past the end (JavaScript's `charCodeAt` gives NaN there: neither
/// matches any character compared with).
#[inline]
fn byte(b: &[u8], i: usize) -> u8 {
    if i < b.len() {
        b[i]
    } else {
        0
    }
}

#[inline]
fn has(b: &[u8], i: usize, word: &[u8]) -> bool {
    i + word.len() <= b.len() && &b[i..i + word.len()] == word
}

fn find(b: &[u8], from: usize, to: usize, c: u8) -> Option<usize> {
    memchr::memchr(c, &b[from..to]).map(|k| from + k)
}

/// The searches of [`scan_line`], built once per call of [`scan_into`].
pub struct Finders {
    request: memmem::Finder<'static>,
    xray: memmem::Finder<'static>,
    name: memmem::Finder<'static>,
    init: memmem::Finder<'static>,
    trace: memmem::Finder<'static>,
}

impl Finders {
    pub fn new() -> Finders {
        Finders {
            request: memmem::Finder::new(b"RequestId: "),
            xray: memmem::Finder::new(b"XRAY"),
            name: memmem::Finder::new(b"\tName: "),
            init: memmem::Finder::new(b"INIT_"),
            trace: memmem::Finder::new(b"XRAY TraceId: "),
        }
    }
}

impl Default for Finders {
    fn default() -> Self {
        Finders::new()
    }
}

/// `hashId` of `lib/parse/columns.ts`: FNV-1a, then `h ^ (h >>> 15)`.
fn hash_bytes(id: &[u8]) -> i32 {
    let mut h: u32 = 0x811c_9dc5;
    for &c in id {
        h = (h ^ c as u32).wrapping_mul(0x0100_0193);
    }
    (h ^ (h >> 15)) as i32
}

/// True where `b[i]` starts a word: the line start, or after a space, tab or `]`.
fn word_start(b: &[u8], i: usize, start: usize) -> bool {
    i == start || matches!(b[i - 1], 9 | 32 | 93)
}

/// `readDecimal` of `lib/parse/_number.ts`; NaN when the span is not a decimal.
fn read_decimal(b: &[u8], from: usize, to: usize) -> Result<f64, Unsure> {
    if from >= to {
        return Ok(f64::NAN);
    }
    let mut whole = 0.0f64;
    let mut i = from;
    let mut digits = 0;
    while i < to {
        let c = b[i].wrapping_sub(48);
        if c > 9 {
            break;
        }
        whole = whole * 10.0 + c as f64;
        digits += 1;
        i += 1;
    }
    if digits == 0 {
        return Ok(f64::NAN);
    }
    if to - from > 15 {
        return Err(Unsure);
    }
    if i == to {
        return Ok(whole);
    }
    if b[i] != b'.' || i + 1 == to {
        return Ok(f64::NAN);
    }
    i += 1;
    let mut frac = 0.0f64;
    let mut scale = 1.0f64;
    while i < to {
        let c = b[i].wrapping_sub(48);
        if c > 9 {
            return Ok(f64::NAN);
        }
        frac = frac * 10.0 + c as f64;
        scale *= 10.0;
        i += 1;
    }
    Ok((whole * scale + frac) / scale)
}

/// `readMeasure` of `lib/parse/text.ts`: `value ms` or `value MB` in `b[from, to)`.
fn read_measure(b: &[u8], from: usize, to: usize, unit: &[u8]) -> Result<f64, Unsure> {
    let n = unit.len();
    if to < from || to - from < n + 1 || &b[to - n..to] != unit {
        return Ok(f64::NAN);
    }
    read_decimal(b, from, to - n)
}

fn two(b: &[u8], i: usize) -> i64 {
    let x = b[i].wrapping_sub(48);
    let y = b[i + 1].wrapping_sub(48);
    if x <= 9 && y <= 9 {
        (x * 10 + y) as i64
    } else {
        -1
    }
}

/// `days_from_civil` (H. Hinnant), as `lib/parse/_time.ts` has it.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2).div_euclid(5) + day - 1;
    let doe = yoe * 365 + yoe.div_euclid(4) - yoe.div_euclid(100) + doy;
    era * 146_097 + doe - 719_468
}

/// `readIsoTime` of `lib/parse/_time.ts` on `b[s, end)`: `Ok(None)` where it gives null.
fn iso_time(b: &[u8], end: usize, s: usize) -> Result<Option<f64>, Unsure> {
    if end - s < 19 || b[s + 4] != b'-' || b[s + 7] != b'-' {
        return Ok(None);
    }
    let sep = b[s + 10];
    if (sep != b'T' && sep != b' ') || b[s + 13] != b':' || b[s + 16] != b':' {
        return Ok(None);
    }
    let mut y = 0i64;
    for k in 0..4 {
        let c = b[s + k].wrapping_sub(48);
        if c > 9 {
            y = -1;
            break;
        }
        y = y * 10 + c as i64;
    }
    let mo = two(b, s + 5);
    let d = two(b, s + 8);
    let h = two(b, s + 11);
    let mi = two(b, s + 14);
    let sec = two(b, s + 17);
    if y < 0 || !(1..=12).contains(&mo) || !(1..=31).contains(&d) || !(0..=23).contains(&h) {
        return Ok(None);
    }
    if mi < 0 || sec < 0 {
        return Ok(None);
    }
    let mut i = s + 19;
    let mut ms = 0.0f64;
    if b[i] == b'.' {
        i += 1;
        let mut scale = 100.0f64;
        while i < end {
            let c = b[i].wrapping_sub(48);
            if c > 9 {
                break;
            }
            ms += c as f64 * scale;
            scale /= 10.0;
            i += 1;
        }
        ms = ms.floor();
    }
    let z = b[i];
    let offset_min: i64;
    if i == end || (z == b'Z' && i + 1 == end) {
        offset_min = 0;
    } else if (z == b'+' || z == b'-') && i + 6 == end && b[i + 3] == b':' {
        let oh = two(b, i + 1);
        let om = two(b, i + 4);
        if oh < 0 || om < 0 {
            return Ok(None);
        }
        offset_min = (if z == b'+' { 1 } else { -1 }) * (oh * 60 + om);
    } else {
        return Ok(None);
    }
    if y < 100 {
        return Err(Unsure); // Date.UTC maps years 0-99 to 19xx
    }
    let days = days_from_civil(y, mo, d) as f64;
    let utc = days * 86_400_000.0 + (((h * 60 + mi) * 60 + sec) * 1000) as f64 + ms;
    Ok(Some(utc - (offset_min * 60_000) as f64))
}

/// `prefixTime` of `lib/parse/_time.ts`: the time at the start of the line `b[start..]` before
/// `end` (where the Lambda text starts); NaN for none.
fn prefix_time(b: &[u8], end: usize, start: usize, first_tab: usize) -> Result<f64, Unsure> {
    if end == start || !b[start].is_ascii_digit() {
        return Ok(f64::NAN);
    }
    let mut stop = find(b, start, end, b' ').unwrap_or(end);
    if first_tab < stop {
        stop = first_tab;
    }
    if let Some(t) = iso_time(b, stop, start)? {
        return Ok(t);
    }
    if b[start..stop].contains(&b':') {
        return Err(Unsure); // Date.parse would try it
    }
    Ok(f64::NAN)
}

/// The id at `b[from..]` up to a tab, space, carriage return or `to`: its length and hash.
fn scan_id(b: &[u8], from: usize, to: usize) -> (usize, i32) {
    let mut end = from;
    while end < to && !matches!(b[end], 9 | 32 | 13) {
        end += 1;
    }
    (end - from, hash_bytes(&b[from..end]))
}

/// True where `b[s..]` is `key: ` inside the field that ends at `e` (`isKey`).
fn is_key(b: &[u8], s: usize, e: usize, key: &[u8]) -> bool {
    let c = s + key.len();
    c < e && b[c] == b':' && byte(b, c + 1) == b' ' && &b[s..c] == key
}

/// A REPORT whose id starts at `at` in the line ending at `stop`.
fn read_report(b: &[u8], at: usize, stop: usize, time: f64) -> Option<Line> {
    let mut pos = find(b, at, stop, 9).unwrap_or(stop);
    let id = &b[at..pos];
    if id.is_empty() || id.len() > SLOT || !id.iter().all(|&c| (0x21..=0x7e).contains(&c)) {
        return None;
    }
    // time, duration, billed, memory, max used, init
    let mut nums = [f64::NAN; NUMS];
    nums[0] = time;
    while pos < stop {
        let mut s = pos + 1;
        pos = find(b, s, stop, 9).unwrap_or(stop);
        let mut e = pos;
        while s < e && b[s] == 32 {
            s += 1;
        }
        while e > s && (b[e - 1] == 32 || b[e - 1] == 13) {
            e -= 1;
        }
        if s == e {
            continue;
        }
        let (slot, v, unit): (usize, usize, &[u8]) = match b[s] {
            b'D' if is_key(b, s, e, b"Duration") => (1, s + 10, b" ms"),
            b'B' if is_key(b, s, e, b"Billed Duration") => (2, s + 17, b" ms"),
            b'M' if is_key(b, s, e, b"Memory Size") => (3, s + 13, b" MB"),
            b'M' if is_key(b, s, e, b"Max Memory Used") => (4, s + 17, b" MB"),
            b'I' if is_key(b, s, e, b"Init Duration") => (5, s + 15, b" ms"),
            b'X' if is_key(b, s, e, b"XRAY TraceId") => continue,
            _ => {
                // X-Ray's SegmentId and Sampled are skipped when they read `k: v`; any other
                // field (a known one not read here, an unknown or damaged name) goes to JS.
                let skipped = (has(&b[..e], s, b"SegmentId") || has(&b[..e], s, b"Sampled"))
                    && (s..e).any(|p| b[p] == b':' && byte(b, p + 1) == b' ');
                if skipped {
                    continue;
                }
                return None;
            }
        };
        if !nums[slot].is_nan() {
            return None; // stated twice
        }
        match read_measure(b, v, e, unit) {
            Ok(x) if !x.is_nan() => nums[slot] = x,
            _ => return None,
        }
    }
    if nums[1..5].iter().any(|x| x.is_nan()) {
        return None;
    }
    Some(Line {
        kind: REPORT,
        id_from: at,
        id_len: id.len(),
        hash: hash_bytes(id),
        nums,
    })
}

/// JavaScript's ASCII whitespace (`trim()` on an ASCII line).
fn blank(c: u8) -> bool {
    matches!(c, 9..=13 | 32)
}

fn trim(b: &[u8]) -> &[u8] {
    let mut s = 0;
    let mut e = b.len();
    while s < e && blank(b[s]) {
        s += 1;
    }
    while e > s && blank(b[e - 1]) {
        e -= 1;
    }
    &b[s..e]
}

/// A line with some word of a platform line but no `RequestId: `, as `parseTextLine` reads it
/// after the bulk path: an `INIT_START` with its runtime version, an `XRAY TraceId:` line, or
/// [`OTHER`] (any other `INIT_`, and everything else).
fn without_request_id(f: &Finders, b: &[u8], start: usize, stop: usize) -> u8 {
    let line = &b[start..stop];
    if let Some(k) = f.init.find(line) {
        let at = start + k;
        if !word_start(b, at, start) || !has(line, k, b"INIT_START") || !line.is_ascii() {
            return OTHER;
        }
        // readFields on the text after `INIT_START `: tab-separated `Key: value` parts.
        let from = at + 11;
        if from > stop || find(b, from, stop, 9).is_none() {
            return OTHER;
        }
        let mut version: &[u8] = b"";
        for raw in b[from..stop].split(|&c| c == 9) {
            let part = trim(raw);
            if part.is_empty() {
                continue;
            }
            let Some(colon) = memmem::find(part, b": ") else {
                return OTHER; // JS rejects it
            };
            if &part[..colon] == b"Runtime Version" {
                version = trim(&part[colon + 2..]);
            }
        }
        return if version.is_empty() {
            OTHER
        } else {
            INIT_START
        };
    }
    if let Some(k) = f.trace.find(line) {
        let id = start + k + 14;
        if word_start(b, start + k, start) && id < stop && !matches!(b[id], 9 | 32 | 13) {
            return XRAY;
        }
    }
    OTHER
}

/// Reads the line `b[start, stop)` (no newline, no trailing carriage return).
pub fn scan_line(f: &Finders, b: &[u8], start: usize, stop: usize) -> Line {
    if stop == start {
        return Line::of(BLANK);
    }
    if b[start] == b'{' {
        return Line::of(OTHER);
    }
    let line = &b[start..stop];
    let Some(r) = f.request.find(line).map(|k| start + k) else {
        // Noise for certain when none of the words a platform line or JSON event needs is in it.
        let word = memchr::memchr2(b'_', b'{', line).is_some()
            || f.xray.find(line).is_some()
            || f.name.find(line).is_some();
        return Line::of(if !word {
            NOISE
        } else {
            without_request_id(f, b, start, stop)
        });
    };
    if !line.is_ascii() {
        return Line::of(OTHER);
    }
    let first_tab = find(b, start, r, 9).unwrap_or(usize::MAX);
    let rel = r - start;
    if rel < 4 {
        return Line::of(OTHER);
    }
    let id_at = r + 11;
    if rel >= 7 && has(b, r - 7, b"REPORT ") && word_start(b, r - 7, start) {
        let Ok(time) = prefix_time(b, r - 7, start, first_tab) else {
            return Line::of(OTHER);
        };
        return read_report(b, id_at, stop, time).unwrap_or(Line::of(OTHER));
    }
    let (kind, time) = if rel >= 6 && has(b, r - 6, b"START ") && word_start(b, r - 6, start) {
        match prefix_time(b, r - 6, start, first_tab) {
            Ok(t) => (START, t),
            Err(Unsure) => return Line::of(OTHER),
        }
    } else if has(b, r - 4, b"END ") && word_start(b, r - 4, start) {
        (END, f64::NAN)
    } else {
        return Line::of(OTHER);
    };
    let (len, hash) = scan_id(b, id_at, stop);
    if len == 0 || len > SLOT {
        return Line::of(OTHER); // JS rejects an empty id and compares long ones as strings
    }
    let mut nums = [f64::NAN; NUMS];
    nums[0] = time;
    Line {
        kind,
        id_from: id_at,
        id_len: len,
        hash,
        nums,
    }
}

/// Reads the lines of `buf` into the output arrays until `cap` lines are written or no whole
/// line is left. A line ends at `\n`; with `last` set, the bytes after the last `\n` are a line
/// too (a file's end). Writes the lines written and the bytes consumed to `meta[0]` and `meta[1]`.
///
/// # Safety
/// `buf` holds `len` readable bytes; `kinds` and `hashes` have room for `cap` values, `offs` for
/// `cap * OFFS`, `nums` for `cap * NUMS` and `meta` for 2. `len` is below 2 GiB.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn battle_ingest_scan(
    buf: *const u8,
    len: u32,
    last: u8,
    kinds: *mut u8,
    offs: *mut i32,
    hashes: *mut i32,
    nums: *mut f64,
    cap: u32,
    meta: *mut i32,
) {
    let (len, cap) = (len as usize, cap as usize);
    let b: &[u8] = if len == 0 {
        &[]
    } else {
        std::slice::from_raw_parts(buf, len)
    };
    let kinds = std::slice::from_raw_parts_mut(kinds, cap);
    let offs = std::slice::from_raw_parts_mut(offs, cap * OFFS);
    let hashes = std::slice::from_raw_parts_mut(hashes, cap);
    let nums = std::slice::from_raw_parts_mut(nums, cap * NUMS);
    let meta = std::slice::from_raw_parts_mut(meta, 2);
    let (count, pos) = scan_into(b, last != 0, kinds, offs, hashes, nums);
    meta[0] = count as i32;
    meta[1] = pos as i32;
}

/// [`battle_ingest_scan`] on slices: returns the lines written and the bytes consumed.
pub fn scan_into(
    b: &[u8],
    last: bool,
    kinds: &mut [u8],
    offs: &mut [i32],
    hashes: &mut [i32],
    nums: &mut [f64],
) -> (usize, usize) {
    let cap = kinds.len();
    let finders = Finders::new();
    let mut pos = 0;
    let mut count = 0;
    while count < cap && pos < b.len() {
        let (end, next) = match find(b, pos, b.len(), b'\n') {
            Some(nl) => (nl, nl + 1),
            None if last => (b.len(), b.len()),
            None => break,
        };
        let stop = if end > pos && b[end - 1] == 13 {
            end - 1
        } else {
            end
        };
        let line = scan_line(&finders, b, pos, stop);
        kinds[count] = line.kind;
        let o = &mut offs[count * OFFS..(count + 1) * OFFS];
        o[0] = pos as i32;
        o[1] = stop as i32;
        o[2] = line.id_from as i32;
        o[3] = line.id_len as i32;
        hashes[count] = line.hash;
        nums[count * NUMS..(count + 1) * NUMS].copy_from_slice(&line.nums);
        count += 1;
        pos = next;
    }
    (count, pos)
}

/// The layout version, checked by the loader against its own.
#[no_mangle]
pub extern "C" fn battle_ingest_abi() -> u32 {
    ABI
}

#[cfg(test)]
mod tests {
    use super::*;

    const PREFIX: &str = "2024-05-01T10:00:00.123000+00:00 2024/05/01/[$LATEST]abc ";

    fn line(s: &str) -> Line {
        scan_line(&Finders::new(), s.as_bytes(), 0, s.len())
    }

    #[test]
    fn reads_a_prefixed_report_with_its_time_and_numbers() {
        let text = format!(
            "{PREFIX}REPORT RequestId: 8f1c-aa\tDuration: 12.34 ms\tBilled Duration: 13 ms\t\
             Memory Size: 128 MB\tMax Memory Used: 64 MB\tInit Duration: 250.50 ms\t\
             XRAY TraceId: 1-abc\tSegmentId: 12\tSampled: true\t"
        );
        let l = line(&text);
        assert_eq!(l.kind, REPORT);
        assert_eq!(&text[l.id_from..l.id_from + l.id_len], "8f1c-aa");
        assert_eq!(l.hash, hash_bytes(b"8f1c-aa"));
        assert_eq!(l.nums[0], 1_714_557_600_123.0);
        assert_eq!(&l.nums[1..], &[12.34, 13.0, 128.0, 64.0, 250.5]);
    }

    #[test]
    fn the_hash_is_the_javascript_one() {
        // hashId("abc") in lib/parse/columns.ts
        assert_eq!(hash_bytes(b"abc"), 440_917_380);
        assert_eq!(hash_bytes(b""), -2_128_764_932);
    }

    #[test]
    fn start_and_end_give_their_ids() {
        let s = line(&format!("{PREFIX}START RequestId: id-1 Version: $LATEST"));
        assert_eq!((s.kind, s.id_len), (START, 4));
        assert_eq!(s.nums[0], 1_714_557_600_123.0);
        let e = line("END RequestId: id-22");
        assert_eq!((e.kind, e.id_len), (END, 5));
        assert!(e.nums[0].is_nan());
    }

    #[test]
    fn certain_noise_and_lines_left_to_javascript() {
        assert_eq!(line("hello world").kind, NOISE);
        assert_eq!(line("héllo wörld").kind, NOISE);
        assert_eq!(line("an_underscore").kind, OTHER);
        assert_eq!(line("{\"time\":1}").kind, OTHER);
        assert_eq!(line("INIT_START Runtime Version: x").kind, OTHER); // no tab: JS's to read
        assert_eq!(
            line("INIT_START Runtime Version: x\tRuntime Version ARN: y").kind,
            INIT_START
        );
        assert_eq!(
            line("INIT_START Runtime Version: \tRuntime Version ARN: y").kind,
            OTHER
        );
        assert_eq!(line("INIT_START Runtime Version: x\tbroken").kind, OTHER);
        assert_eq!(
            line("INIT_REPORT Init Duration: 1 ms\tPhase: init").kind,
            OTHER
        );
        assert_eq!(line("XRAY TraceId: 1-2\tSegmentId: 3").kind, XRAY);
        assert_eq!(line("XRAY TraceId: \tSegmentId: 3").kind, OTHER);
        assert_eq!(line("aXRAY TraceId: 1-2").kind, OTHER);
        assert_eq!(line("").kind, BLANK);
        // A REPORT with a field read by JavaScript only, a cut-off one, a repeated field.
        let head = "REPORT RequestId: a\tDuration: 1 ms\tBilled Duration: 1 ms\t";
        let tail = "Memory Size: 128 MB\tMax Memory Used: 1 MB";
        assert_eq!(line(&format!("{head}{tail}")).kind, REPORT);
        assert_eq!(line(&format!("{head}{tail}\tStatus: error")).kind, OTHER);
        assert_eq!(line("REPORT RequestId: a\tDuration: 12.").kind, OTHER);
        assert_eq!(line(&format!("{head}Duration: 2 ms\t{tail}")).kind, OTHER);
        assert_eq!(
            line(&format!("{head}{tail}\tInit Duratoin: 3 ms")).kind,
            OTHER
        );
        assert_eq!(line("START RequestId: ").kind, OTHER);
        assert_eq!(line("START RequestId: é").kind, OTHER);
        assert_eq!(line("xSTART RequestId: a").kind, OTHER);
    }

    #[test]
    fn decimals_round_as_javascript_does() {
        let d = |s: &str| read_decimal(s.as_bytes(), 0, s.len()).ok().unwrap();
        assert_eq!(d("12.34"), 12.34);
        assert_eq!(d("0.1"), 0.1);
        assert_eq!(d("120.07"), 120.07);
        assert!(d("12.").is_nan());
        assert!(d("1e3").is_nan());
        assert!(read_decimal(b"1234567890.1234567", 0, 18).is_err());
    }

    #[test]
    fn prefix_times_as_javascript_reads_them() {
        let t = |s: &str| prefix_time(s.as_bytes(), s.len(), 0, usize::MAX);
        assert_eq!(t("2024-05-01T10:00:00Z").ok(), Some(1_714_557_600_000.0));
        assert_eq!(
            t("2024-05-01T12:00:00.5+02:00").ok(),
            Some(1_714_557_600_500.0)
        );
        assert!(t("abc").ok().unwrap().is_nan());
        assert!(t("12:30 tomorrow").is_err()); // Date.parse's to judge
        assert!(t("0099-05-01T10:00:00Z").is_err());
    }

    #[test]
    fn scans_whole_lines_and_keeps_the_rest() {
        let text = b"a\r\nEND RequestId: x\n\npartial";
        let mut kinds = [9u8; 8];
        let mut offs = [0i32; 8 * OFFS];
        let mut hashes = [0i32; 8];
        let mut nums = [0f64; 8 * NUMS];
        let (n, used) = scan_into(text, false, &mut kinds, &mut offs, &mut hashes, &mut nums);
        assert_eq!((n, used), (3, 21));
        assert_eq!(&kinds[..3], &[NOISE, END, BLANK]);
        assert_eq!(&offs[..2], &[0, 1]);
        let (n, used) = scan_into(text, true, &mut kinds, &mut offs, &mut hashes, &mut nums);
        assert_eq!((n, used), (4, text.len()));
        assert_eq!(kinds[3], NOISE);
    }
}
