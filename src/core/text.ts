/**
 * Terminal-safe text. A policy is data that others contribute, and a client
 * reads the remote's policy: a file name, a rule or a ref name may hold
 * characters that drive a terminal (ESC and the C1 controls start sequences
 * that write the clipboard, set the title or move the cursor to draw a fake
 * line), reorder what is shown (bidi controls, "Trojan Source"), or are simply
 * invisible, so two different names look alike. Everything the core puts into
 * a reason, a trace line or a diagnostic goes through escapeControls, and the
 * front ends use it for whatever else they print from a repository.
 */

/**
 * Code points escaped, as inclusive ranges: the general categories Cc
 * (C0, DEL, C1), Cf (format: bidi marks, embeddings, overrides and isolates,
 * zero-width characters, the byte-order mark, tag characters), Zl and Zp (line
 * and paragraph separators, which some terminals and editors break lines at),
 * and every Default_Ignorable_Code_Point (invisible by definition: variation
 * selectors, Hangul fillers, soft hyphen, ...), as of Unicode 17. A fixed table
 * rather than `\p{...}`: every engine and version must print the same bytes.
 */
const RANGES: ReadonlyArray<readonly [number, number]> = [
  [0x0000, 0x001f],
  [0x007f, 0x009f],
  [0x00ad, 0x00ad],
  [0x034f, 0x034f],
  [0x0600, 0x0605],
  [0x061c, 0x061c],
  [0x06dd, 0x06dd],
  [0x070f, 0x070f],
  [0x0890, 0x0891],
  [0x08e2, 0x08e2],
  [0x115f, 0x1160],
  [0x17b4, 0x17b5],
  [0x180b, 0x180f],
  [0x200b, 0x200f],
  [0x2028, 0x202e],
  [0x2060, 0x206f],
  [0x3164, 0x3164],
  [0xfe00, 0xfe0f],
  [0xfeff, 0xfeff],
  [0xffa0, 0xffa0],
  [0xfff0, 0xfffb],
  [0x110bd, 0x110bd],
  [0x110cd, 0x110cd],
  [0x13430, 0x1343f],
  [0x1bca0, 0x1bca3],
  [0x1d173, 0x1d17a],
  [0xe0000, 0xe0fff],
];

/**
 * A quick test for "maybe something to escape": every BMP range above, and any
 * surrogate (lone surrogates are escaped; astral ranges are checked one code
 * point at a time). Plain ASCII names never leave the fast path.
 */
const MAYBE =
  /[\x00-\x1f\x7f-\x9f\xad\u034f\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u2028-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffb\ud800-\udfff]/;

/** Whether a code point (or a lone surrogate's code unit) is escaped by escapeControls. */
export function isEscapedCodePoint(cp: number): boolean {
  if (cp >= 0xd800 && cp <= 0xdfff) return true;
  let lo = 0;
  let hi = RANGES.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [a, b] = RANGES[mid]!;
    if (cp < a) hi = mid - 1;
    else if (cp > b) lo = mid + 1;
    else return true;
  }
  return false;
}

const hex = (n: number): string => n.toString(16);

/**
 * The default spelling: `\x1b` up to U+00FF (as the core has always written
 * C0 controls), `\u202e` in the rest of the BMP and for a lone surrogate,
 * `\u{e0041}` beyond. Lower-case hex digits.
 */
export function escapeCodePoint(cp: number): string {
  if (cp <= 0xff) return `\\x${hex(cp).padStart(2, '0')}`;
  if (cp <= 0xffff) return `\\u${hex(cp).padStart(4, '0')}`;
  return `\\u{${hex(cp)}}`;
}

/**
 * `s` with every control, format, separator or invisible character (see
 * RANGES) and every lone surrogate replaced by an escape: by default
 * escapeCodePoint's spelling, or `spell(cp)` (e.g. an RE2 `\x{..}` escape in
 * an example pattern). Everything else is left as is, backslashes included:
 * the result is for reading, it is not meant to be unescaped.
 */
export function escapeControls(s: string, spell: (cp: number) => string = escapeCodePoint): string {
  if (!MAYBE.test(s)) return s;
  let out = '';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let cp = c;
    let len = 1;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        cp = (c - 0xd800) * 0x400 + (d - 0xdc00) + 0x10000;
        len = 2;
      }
    }
    if (isEscapedCodePoint(cp)) {
      out += s.slice(start, i) + spell(cp);
      start = i + len;
    }
    i += len - 1;
  }
  return start === 0 ? s : out + s.slice(start);
}

/** Whether escapeControls would change `s`. */
export function needsEscape(s: string): boolean {
  return MAYBE.test(s) && escapeControls(s) !== s;
}
