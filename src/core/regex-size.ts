/**
 * A lower bound on the RE2 program a pattern compiles to, read from its text
 * alone, without compiling it.
 *
 * Compiling costs time in proportion to the program (a few microseconds an
 * instruction with re2js): a pattern of 8,192 characters such as
 * `[ab]{1000}[ab]{1000}...` compiles to 800,000 instructions in about two
 * seconds, only to be refused as larger than LIMITS.patternProgram, and a
 * hundred of them cost minutes. With this bound such a pattern is refused
 * before it is compiled, and the policy's program budget stops before the
 * pattern that would certainly cross it.
 *
 * Sound by construction (the bound never exceeds what RE2 compiles, checked
 * against re2js in test/core/regex-size.test.ts): every character, class,
 * `.` and escape that matches a character is at least one instruction;
 * anchors and other empty-width assertions count nothing; `x{n,m}` is m
 * copies of x (RE2 expands counted repetition), `x{n,}` n copies (at least
 * one), `x*`, `x+`, `x?` one; a sequence is the sum of its parts; an
 * alternation is its largest branch (RE2 may merge what branches share).
 * Where RE2 itself would refuse the pattern (a repetition count over 1,000,
 * nested counts whose product is over 1,000) the bound is 0: the engine's own
 * message says why, and a pattern it refuses costs nothing to compile.
 */

const MAX_REPEAT = 1000;

/** The lower bound (see the module comment); 0 when the pattern is one RE2 refuses on parsing. */
export function programLowerBound(source: string): number {
  let i = 0;
  let invalid = false;
  const n = source.length;

  interface Bound {
    /** The bound for the whole. */
    size: number;
    /** The part a following quantifier applies to (a `\Q...\E` run quantifies only its last character). */
    last: number;
    /** The largest product of nested counted repetitions inside (RE2 refuses one over 1,000). */
    product: number;
    /** Matches nothing and is not an atom of its own (an empty `\Q\E`, a `(?flags)`): a quantifier after it applies to what came before. */
    transparent?: boolean;
  }

  /** An alternation, up to a `)` or the end: its largest branch. */
  function alternation(): Bound {
    let size = 0;
    let product = 1;
    for (;;) {
      const b = sequence();
      size = Math.max(size, b.size);
      product = Math.max(product, b.product);
      if (source[i] !== '|') return { size, last: size, product };
      i++;
    }
  }

  function sequence(): Bound {
    let size = 0;
    let product = 1;
    /**
     * The last atom that matches something, the copies of it counted so far and the product of the counted
     * repetitions on it: a quantifier after an empty `\Q\E` or a `(?flags)` applies to it too.
     */
    let last: { atom: Bound; times: number; product: number } | null = null;
    const added = (t: { atom: Bound; times: number }) => t.atom.size - t.atom.last + t.atom.last * t.times;
    while (i < n && source[i] !== '|' && source[i] !== ')') {
      const before = i;
      const a = atom();
      const transparent = a.size === 0 && a.transparent === true;
      if (!transparent) {
        last = { atom: a, times: 1, product: a.product };
        size += a.size;
        product = Math.max(product, a.product);
      }
      const q = quantifier();
      if (q !== null && last !== null) {
        const was = added(last);
        last.times *= q.times;
        size += added(last) - was;
        if (q.counted >= 2) last.product *= q.counted;
        if (last.product > MAX_REPEAT) invalid = true;
        product = Math.max(product, last.product);
      }
      if (i === before) i++; // never stall on a character this reader does not know
    }
    return { size, last: size, product };
  }

  function atom(): Bound {
    const c = source[i]!;
    if (c === '(') {
      i++;
      if (source[i] === '?') {
        // (?:re) (?flags:re) (?P<name>re) (?<name>re), or (?flags), which sets flags and matches nothing.
        let j = i + 1;
        if (source[j] === 'P' && source[j + 1] === '<') j++;
        if (source[j] === '<') {
          const close = source.indexOf('>', j);
          j = close < 0 ? n : close + 1;
        } else {
          while (j < n && /[a-zA-Z-]/.test(source[j]!)) j++;
          if (source[j] === ')') {
            i = j + 1;
            return { size: 0, last: 0, product: 1, transparent: true };
          }
          if (source[j] === ':') j++;
        }
        i = j;
      }
      const inner = alternation();
      if (source[i] === ')') i++;
      return inner;
    }
    if (c === '[') {
      i = classEnd(i);
      return { size: 1, last: 1, product: 1 };
    }
    if (c === '\\') {
      const d = source[i + 1];
      if (d === 'Q') {
        const end = source.indexOf('\\E', i + 2);
        const chars = [...source.slice(i + 2, end < 0 ? n : end)].length;
        i = end < 0 ? n : end + 2;
        return { size: chars, last: chars > 0 ? 1 : 0, product: 1, transparent: chars === 0 };
      }
      i = escapeEnd(i);
      // Empty-width: \b \B \A \z; every other escape matches one character.
      const width = d !== undefined && 'bBAz'.includes(d) ? 0 : 1;
      return { size: width, last: width, product: 1 };
    }
    if (c === '^' || c === '$') {
      i++;
      return { size: 0, last: 0, product: 1 };
    }
    i += source.codePointAt(i)! > 0xffff ? 2 : 1;
    return { size: 1, last: 1, product: 1 };
  }

  /** A quantifier at `i`: `times`, the copies of its atom RE2 compiles at least; `counted`, a `{}` count (1 for `*+?`). Null when there is none. */
  function quantifier(): { times: number; counted: number } | null {
    const c = source[i];
    if (c === '*' || c === '+' || c === '?') {
      i++;
      if (source[i] === '?') i++;
      return { times: 1, counted: 1 };
    }
    if (c !== '{') return null;
    const m = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(i, i + 24));
    if (!m) return null; // a literal '{'
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === '' ? -1 : Number(m[3]);
    if (min > MAX_REPEAT || max > MAX_REPEAT || (max >= 0 && min > max)) invalid = true;
    i += m[0].length;
    if (source[i] === '?') i++;
    const times = max < 0 ? Math.max(min, 1) : max;
    return { times, counted: max < 0 ? min : max };
  }

  function classEnd(start: number): number {
    let j = start + 1;
    if (source[j] === '^') j++;
    if (source[j] === ']') j++;
    while (j < n && source[j] !== ']') {
      if (source[j] === '\\') j = escapeEnd(j);
      else if (source.startsWith('[:', j)) {
        const k = source.indexOf(':]', j + 2);
        j = k < 0 ? j + 1 : k + 2;
      } else j++;
    }
    return Math.min(j + 1, n);
  }

  function escapeEnd(start: number): number {
    const d = source[start + 1];
    if (d === undefined) return n;
    if ((d === 'x' || d === 'p' || d === 'P') && source[start + 2] === '{') {
      const close = source.indexOf('}', start + 3);
      return close < 0 ? n : close + 1;
    }
    if (d === 'x') return Math.min(start + 4, n);
    if (d === 'p' || d === 'P') return Math.min(start + 3, n);
    if (/[0-7]/.test(d)) {
      let j = start + 2;
      while (j < start + 4 && /[0-7]/.test(source[j] ?? '')) j++;
      return j;
    }
    return start + 1 + (source.codePointAt(start + 1)! > 0xffff ? 2 : 1);
  }

  const size = alternation().size;
  // Anything left is a stray `)`: RE2 refuses the pattern.
  return invalid || i < n ? 0 : size;
}
