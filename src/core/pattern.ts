/**
 * Rule patterns: RE2 regular expressions and `glob:` globs, turned into RE2
 * source with `$user_id` left as a hole to fill per pusher.
 *
 * Globs are translated here rather than with micromatch/picomatch: those need
 * Node's `util`/`path` (not browser-safe) and emit lookaheads that RE2 rejects.
 */
import { RE2JS } from 're2js';
import type { DiagnosticCode } from './model.js';
import { LIMITS, formatCount } from './limits.js';
import { programLowerBound } from './regex-size.js';
import { isUserId } from './ids.js';

export const USER_ID_VAR = '$user_id';
const GLOB_PREFIX = 'glob:';
/** A bound on compiled program size: policies are contributed data, and a huge program costs memory and time per name. */
const MAX_PROGRAM_SIZE = LIMITS.patternProgram;
/** Stands in for a user ID when validating a pattern: any ID yields the same syntax, because the hole is always a group. */
const SAMPLE_ID = '0123456789ABCDEF0123456789ABCDEF01234567';

export interface PatternInfo {
  glob: boolean;
  /** RE2 source pieces; the pusher's escaped user ID goes between consecutive pieces. */
  parts: string[];
  /** When the pattern is a literal (no wildcard at all), its text pieces, joined by the user ID. */
  literal?: string[];
  /** Literal text that every match starts with, up to the first wildcard or `$user_id`. */
  prefix: string;
  /** Literal text every match starts with, through `$user_id` holes: joined by the user ID, a prefix of every match. */
  prefixParts: string[];
  hasUserId: boolean;
  /** Capturing groups of the pattern as the engine parses it alone: unions check them (bind.ts). */
  captures: number;
  /** RE2 instructions of the compiled pattern (with a user ID filled in): what the policy's program budget counts. */
  programSize: number;
}

export interface PatternProblem {
  /** Offset in the pattern as written (UTF-16 units), for the diagnostic's column. */
  offset: number;
  severity: 'error' | 'warning';
  code: DiagnosticCode;
  message: string;
}

export interface PatternAnalysis {
  info?: PatternInfo;
  problems: PatternProblem[];
}

/**
 * Escapes one code point for RE2 so it means itself anywhere, in a character
 * class too. ASCII punctuation and controls become `\x{..}`: RE2 gives them no
 * meaning there, whatever the neighbours.
 */
function escapeChar(ch: string): string {
  const cp = ch.codePointAt(0)!;
  if (cp >= 0x80 || /[A-Za-z0-9_]/.test(ch)) return ch;
  return `\\x{${cp.toString(16)}}`;
}

export function escapeLiteral(s: string): string {
  let out = '';
  for (const ch of s) out += escapeChar(ch);
  return out;
}

/** The `$user_id` hole filled: a group, so `$user_id+` or `a{$user_id}` keep one meaning for every ID. */
export function userIdSource(userId: string): string {
  return `(?:${escapeLiteral(userId)})`;
}

export function instantiate(info: PatternInfo, userId: string): string {
  return info.hasUserId ? info.parts.join(userIdSource(userId)) : info.parts[0]!;
}

export function literalFor(info: PatternInfo, userId: string): string | undefined {
  return info.literal?.join(userId);
}

/** A pattern compiled for matching names: only ever asked yes or no (`testExact`). */
export function compileSource(source: string): RE2JS {
  const re = RE2JS.compile(source);
  // re2js answers testExact with its one-pass engine whenever a pattern qualifies (most rules do), which
  // allocates a capture array and steps a capture machine through every name; for the other patterns (unions
  // among them) it uses its DFA, which answers the same yes-or-no question 3-4x faster on a push's paths, and
  // falls back by itself to its backtracker or NFA when the DFA gives up. Without the one-pass program every
  // pattern takes that route: same answers (one regular expression, RE2's own engines), less time per name.
  const engine = (re as unknown as { re2Input?: { onepass?: unknown } }).re2Input;
  if (engine !== undefined && engine !== null && 'onepass' in engine) engine.onepass = null;
  return re;
}

function cleanEngineMessage(msg: string): string {
  return msg.replace(/^error parsing regexp: /, '');
}

/**
 * The literal text every match must start with. The evaluator skips a rule
 * whose prefix the name lacks, so this must never claim too much: whenever in
 * doubt (alternation, a possible quantifier), it stops early.
 */
class PrefixTracker {
  parts: string[] = [''];
  private open = true;
  add(text: string): void {
    if (this.open) this.parts[this.parts.length - 1] += text;
  }
  hole(): void {
    if (this.open) this.parts.push('');
  }
  close(): void {
    this.open = false;
  }
  /** A quantifier applies to the last atom: a literal character, or the `$user_id` group. */
  quantify(): void {
    if (this.open) {
      const last = this.parts[this.parts.length - 1]!;
      if (last.length > 0) this.parts[this.parts.length - 1] = Array.from(last).slice(0, -1).join('');
      else if (this.parts.length > 1) this.parts.pop();
    }
    this.open = false;
  }
  /** Top-level alternation: no text is common to every match. */
  reset(): void {
    this.parts = [''];
    this.open = false;
  }
}

const SIMPLE_ESCAPES: Record<string, string> = { t: '\t', n: '\n', r: '\r', f: '\f', v: '\v', a: '\x07' };

/** Reads an escape at p[i] === '\\'; returns its length and, when it stands for one literal character, that character. */
function readEscape(p: string, i: number): { len: number; lit?: string } {
  const d = p[i + 1];
  if (d === undefined) return { len: 1 };
  if (d === 'x') {
    if (p[i + 2] === '{') {
      const end = p.indexOf('}', i + 3);
      if (end < 0) return { len: 2 };
      const hex = p.slice(i + 3, end);
      if (/^[0-9A-Fa-f]{1,6}$/.test(hex) && parseInt(hex, 16) <= 0x10ffff) {
        return { len: end + 1 - i, lit: String.fromCodePoint(parseInt(hex, 16)) };
      }
      return { len: end + 1 - i };
    }
    const hex = p.slice(i + 2, i + 4);
    if (/^[0-9A-Fa-f]{2}$/.test(hex)) return { len: 4, lit: String.fromCharCode(parseInt(hex, 16)) };
    return { len: 2 };
  }
  const simple = SIMPLE_ESCAPES[d];
  if (simple !== undefined) return { len: 2, lit: simple };
  const cp = d.codePointAt(0)!;
  const ch = String.fromCodePoint(cp);
  if (cp < 0x80 && !/[A-Za-z0-9_]/.test(ch)) return { len: 1 + ch.length, lit: ch };
  return { len: 1 + ch.length };
}

function unsupportedFeature(p: string): string | undefined {
  if (/\\[1-9]/.test(p) || /\\k[<{']/.test(p) || /\(\?P=/.test(p)) return 'backreferences';
  if (/\(\?<?[=!]/.test(p)) return 'lookahead and lookbehind';
  if (/\(\?>/.test(p)) return 'atomic groups';
  if (/[*+?}]\+/.test(p)) return 'possessive quantifiers';
  return undefined;
}

/** What the linter learns from compiling a pattern: re2js's programSize() and groupCount(). */
interface ProgramFacts {
  size: number;
  captures: number;
}

/**
 * The compiled pattern's facts, or undefined with a problem pushed. `known` is what compiling would tell, for a
 * shape (shapeProgram): then nothing is compiled, and the checks and messages are the same.
 */
function checkCompiles(
  source: string,
  offset: number,
  what: string,
  problems: PatternProblem[],
  known?: ProgramFacts,
): ProgramFacts | undefined {
  // Compiling costs time in proportion to the program: a pattern certainly past the bound is refused unread.
  const atLeast = programLowerBound(source);
  if (atLeast > MAX_PROGRAM_SIZE) {
    problems.push({
      offset,
      severity: 'error',
      code: 'pattern-too-large',
      message: `${what} is too large (at least ${atLeast} instructions, limit ${MAX_PROGRAM_SIZE}); split it into several rules`,
    });
    return undefined;
  }
  try {
    let facts = known;
    if (facts === undefined) {
      const re = RE2JS.compile(source);
      facts = { size: re.programSize(), captures: re.groupCount() };
    }
    if (facts.size > MAX_PROGRAM_SIZE) {
      problems.push({
        offset,
        severity: 'error',
        code: 'pattern-too-large',
        message: `${what} is too large (${facts.size} instructions, limit ${MAX_PROGRAM_SIZE}); split it into several rules`,
      });
      return undefined;
    }
    return facts;
  } catch (e) {
    problems.push({
      offset,
      severity: 'error',
      code: what === 'glob' ? 'invalid-glob' : 'invalid-regex',
      message: `invalid ${what === 'glob' ? 'glob' : 'regular expression'}: ${cleanEngineMessage((e as Error).message)}`,
    });
    return undefined;
  }
}

/**
 * A pattern cut at each `$user_id`: the regex source of each piece (`parts`)
 * and its literal text (`lits`, which serve while the whole pattern is a
 * literal). The prefix tracker learns of every cut.
 */
class Pieces {
  readonly parts: string[] = [];
  readonly lits: string[] = [];
  src = '';
  lit = '';
  constructor(private readonly pre: PrefixTracker) {}
  /** A `$user_id`: the current piece ends here. */
  cut(): void {
    this.end();
    this.src = '';
    this.lit = '';
    this.pre.hole();
  }
  /** The end of the pattern: the last piece. */
  end(): void {
    this.parts.push(this.src);
    this.lits.push(this.lit);
  }
}

function analyseRegex(p: string, useShapes: boolean): PatternAnalysis {
  const problems: PatternProblem[] = [];
  let isLiteral = true;
  const pre = new PrefixTracker();
  const pieces = new Pieces(pre);
  const n = p.length;
  let i = 0;
  if (p[0] === '^') {
    pieces.src = '^';
    i = 1;
  }
  const addLit = (text: string): void => {
    pieces.lit += text;
    pre.add(text);
  };
  const breakLiteral = (): void => {
    isLiteral = false;
    pre.close();
  };
  while (i < n) {
    const c = p[i]!;
    if (p.startsWith(USER_ID_VAR, i)) {
      pieces.cut();
      i += USER_ID_VAR.length;
      continue;
    }
    if (c === '\\') {
      if (p[i + 1] === 'Q') {
        // RE2 quotes up to the next \E, or to the very end: in a union of rules, to the end of the union,
        // swallowing the rules after it. An unterminated \Q is refused, so no rule can change another's meaning.
        const end = p.indexOf('\\E', i + 2);
        if (end < 0) {
          problems.push({
            offset: i,
            severity: 'error',
            code: 'unterminated-quote',
            message: 'unterminated \\Q: end the quoted text with \\E (RE2 would quote everything after it)',
          });
          return { problems };
        }
        addLit(p.slice(i + 2, end));
        pieces.src += p.slice(i, end + 2);
        i = end + 2;
        continue;
      }
      const esc = readEscape(p, i);
      if (esc.lit !== undefined) addLit(esc.lit);
      else breakLiteral();
      pieces.src += p.slice(i, i + esc.len);
      i += esc.len;
      continue;
    }
    if (c === '[') {
      breakLiteral();
      let j = i + 1;
      if (p[j] === '^') j++;
      if (p[j] === ']') j++;
      while (j < n && p[j] !== ']') {
        if (p[j] === '\\') j += 2;
        else if (p.startsWith('[:', j)) {
          const k = p.indexOf(':]', j + 2);
          j = k < 0 ? j + 1 : k + 2;
        } else {
          if (p.startsWith(USER_ID_VAR, j)) {
            problems.push({
              offset: j,
              severity: 'error',
              code: 'user-id-in-class',
              message: `${USER_ID_VAR} cannot be used inside a character class [...]`,
            });
          }
          j++;
        }
      }
      pieces.src += p.slice(i, Math.min(j + 1, n));
      i = j + 1;
      continue;
    }
    if (c === '$' && i === n - 1) {
      pieces.src += c;
      i++;
      continue;
    }
    if (c === '|') pre.reset();
    else if ('*+?{'.includes(c)) pre.quantify();
    if ('.()*+?{}|^$'.includes(c)) breakLiteral();
    else addLit(c);
    pieces.src += c;
    i++;
  }
  pieces.end();
  const { parts, lits } = pieces;
  if (problems.length > 0) return { problems };
  const feature = unsupportedFeature(p);
  // The probe compiles the pattern: not one certainly too large to compile (checkCompiles refuses it unread).
  if (feature !== undefined && programLowerBound(p) <= MAX_PROGRAM_SIZE) {
    try {
      RE2JS.compile(p);
    } catch {
      problems.push({
        offset: 0,
        severity: 'error',
        code: 'unsupported-regex',
        message: `${feature} are not supported: patterns use RE2 syntax, which guarantees matching in linear time`,
      });
      return { problems };
    }
  }
  // A shape's program is known from its text (shapeProgram): re2js is neither loaded nor run for it.
  const shape = useShapes ? shapeOf(parts) : undefined;
  // The pattern as written gives messages that quote the user's own text; the filled-in one must compile too.
  let facts = checkCompiles(p, 0, 'regex', problems, shape && shapeProgram(shape, RAW_HOLE_SIZE));
  if (facts === undefined) return { problems };
  const hasUserId = parts.length > 1;
  const info: PatternInfo = { glob: false, parts, prefix: pre.parts[0]!, prefixParts: pre.parts, hasUserId, captures: 0, programSize: 0 };
  if (isLiteral) info.literal = lits;
  if (hasUserId) facts = checkCompiles(instantiate(info, SAMPLE_ID), 0, 'regex', problems, shape && shapeProgram(shape, SAMPLE_ID.length));
  if (facts === undefined) return { problems };
  info.captures = facts.captures;
  info.programSize = facts.size;
  return { info, problems };
}

const POSIX_CLASSES = new Set([
  'alnum',
  'alpha',
  'ascii',
  'blank',
  'cntrl',
  'digit',
  'graph',
  'lower',
  'print',
  'punct',
  'space',
  'upper',
  'word',
  'xdigit',
]);

function analyseGlob(g: string, base: number): PatternAnalysis {
  const problems: PatternProblem[] = [];
  let isLiteral = true;
  const pre = new PrefixTracker();
  const pieces = new Pieces(pre);
  const braces: number[] = [];
  const n = g.length;
  let i = 0;
  const err = (offset: number, message: string, code: DiagnosticCode = 'invalid-glob'): void => {
    problems.push({ offset: base + offset, severity: 'error', code, message });
  };
  const wild = (): void => {
    isLiteral = false;
    pre.close();
  };
  const addLit = (text: string): void => {
    pieces.src += escapeLiteral(text);
    pieces.lit += text;
    pre.add(text);
  };
  const boundaryBefore = (k: number): boolean =>
    k === 0 || g[k - 1] === '/' || (braces.length > 0 && (g[k - 1] === '{' || g[k - 1] === ','));
  const boundaryAfter = (k: number): boolean => k === n || g[k] === '/' || (braces.length > 0 && (g[k] === ',' || g[k] === '}'));
  const starRunEnd = (k: number): number => {
    while (g[k] === '*') k++;
    return k;
  };
  if (n === 0) err(0, 'empty glob');
  while (i < n) {
    if (g.startsWith(USER_ID_VAR, i)) {
      pieces.cut();
      i += USER_ID_VAR.length;
      continue;
    }
    const c = g[i]!;
    if (c === '\\') {
      const cp = g.codePointAt(i + 1);
      if (cp === undefined) {
        err(i, 'a glob cannot end with a lone backslash');
        i++;
        continue;
      }
      addLit(String.fromCodePoint(cp));
      i += 1 + String.fromCodePoint(cp).length;
      continue;
    }
    if (c === '/' && g.startsWith('**', i + 1)) {
      const end = starRunEnd(i + 1);
      if (boundaryAfter(end)) {
        // `a/**` also matches `a` itself, like git's wildmatch and micromatch.
        wild();
        pieces.src += '(?:/.*)?';
        i = end;
        continue;
      }
    }
    if (c === '*') {
      wild();
      const end = starRunEnd(i);
      if (end - i >= 2 && boundaryBefore(i) && boundaryAfter(end)) {
        if (g[end] === '/') {
          pieces.src += '(?:.*/)?';
          i = end + 1;
        } else {
          pieces.src += '.*';
          i = end;
        }
        continue;
      }
      if (end - i >= 2) {
        problems.push({
          offset: base + i,
          severity: 'warning',
          code: 'glob-double-star',
          message: "'**' crosses '/' only as a whole path segment (like 'a/**/b'); here it acts like '*'",
        });
      }
      pieces.src += '[^/]*';
      i = end;
      continue;
    }
    if (c === '?') {
      wild();
      pieces.src += '[^/]';
      i++;
      continue;
    }
    if (c === '[') {
      wild();
      let j = i + 1;
      let negate = false;
      if (g[j] === '!' || g[j] === '^') {
        negate = true;
        j++;
      }
      let members = '';
      let first = true;
      let bad = false;
      const readMember = (): string | undefined => {
        if (g[j] === '\\') j++;
        const cp = g.codePointAt(j);
        if (cp === undefined) return undefined;
        const ch = String.fromCodePoint(cp);
        j += ch.length;
        return ch;
      };
      while (j < n && (g[j] !== ']' || first)) {
        first = false;
        if (g.startsWith('[:', j)) {
          const k = g.indexOf(':]', j + 2);
          const name = k < 0 ? '' : g.slice(j + 2, k);
          if (POSIX_CLASSES.has(name)) {
            members += `[:${name}:]`;
            j = k + 2;
            continue;
          }
        }
        if (g.startsWith(USER_ID_VAR, j)) {
          err(j, `${USER_ID_VAR} cannot be used inside a character class [...]`, 'user-id-in-class');
          bad = true;
        }
        const lo = readMember();
        if (lo === undefined) break;
        if (g[j] === '-' && j + 1 < n && g[j + 1] !== ']') {
          j++;
          const hi = readMember();
          if (hi === undefined) break;
          if (hi.codePointAt(0)! < lo.codePointAt(0)!) {
            err(i, `invalid range '${lo}-${hi}' in [...]`);
            bad = true;
          }
          members += `${escapeChar(lo)}-${escapeChar(hi)}`;
        } else members += escapeChar(lo);
      }
      if (j >= n) {
        err(i, "unclosed '[' in glob");
        break;
      }
      if (!bad) pieces.src += negate ? `[^/${members}]` : `[${members}]`;
      i = j + 1;
      continue;
    }
    if (c === '{') {
      wild();
      braces.push(i);
      pieces.src += '(?:';
      i++;
      continue;
    }
    if (c === ',' && braces.length > 0) {
      pieces.src += '|';
      i++;
      continue;
    }
    if (c === '}') {
      if (braces.length === 0) {
        err(i, "unmatched '}' in glob (write '\\}' for a literal brace)");
        i++;
        continue;
      }
      braces.pop();
      pieces.src += ')';
      i++;
      continue;
    }
    const ch = String.fromCodePoint(g.codePointAt(i)!);
    addLit(ch);
    i += ch.length;
  }
  for (const open of braces) err(open, "unclosed '{' in glob");
  pieces.end();
  const { parts, lits } = pieces;
  if (problems.some((p) => p.severity === 'error')) return { problems };
  const info: PatternInfo = {
    glob: true,
    parts,
    prefix: pre.parts[0]!,
    prefixParts: pre.parts,
    hasUserId: parts.length > 1,
    captures: 0,
    programSize: 0,
  };
  if (isLiteral) info.literal = lits;
  const facts = checkCompiles(instantiate(info, SAMPLE_ID), base, 'glob', problems);
  if (facts === undefined) return { problems };
  info.captures = facts.captures;
  info.programSize = facts.size;
  return { info, problems };
}

/** Parses and validates a pattern as written in a rule: a regex, or `glob:<glob>`. */
export function analysePattern(text: string): PatternAnalysis {
  if (text.length > LIMITS.patternLength) {
    // Not parsed at all: the bound is on the work, not only on the result.
    const message = `pattern is too long (${formatCount(text.length)} characters, limit ${formatCount(LIMITS.patternLength)}); split it into several rules or use a group`;
    return { problems: [{ offset: 0, severity: 'error', code: 'pattern-too-long', message }] };
  }
  if (text.startsWith(GLOB_PREFIX)) return analyseGlob(text.slice(GLOB_PREFIX.length), GLOB_PREFIX.length);
  return analyseRegex(text, true);
}

/** analysePattern with every regex compiled by re2js, shapes included: the oracle shapeProgram is tested against. */
export function analysePatternByEngine(text: string): PatternAnalysis {
  if (text.length > LIMITS.patternLength || text.startsWith(GLOB_PREFIX)) return analysePattern(text);
  return analyseRegex(text, false);
}

/** Control characters (U+0000–U+001F, U+007F) make a name unsafe: docs/reference.md#operations allows it only through an exact rule. */
export function hasControlChar(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/**
 * The pattern shapes most policies are made of (`^shared$`, `^shared/[^/]+$`, `^shared/$user_id(/.+)?$`,
 * `^shared/[0-9A-F]{40}$`, `^keys/$user_id\.asc$`, ...) answered with string operations instead of an RE2 engine:
 * a push of n files asks each candidate rule about every path, and in a fresh hook process re2js runs in V8's
 * interpreter. The linter takes a shape's program size and captures from its text too (shapeProgram), so a policy
 * made only of shapes never loads re2js's tables or runs its parser.
 *
 * A pattern qualifies only when, after its leading `^`, every piece between `$user_id` holes is made of plain
 * text (letters, digits, `_`, `-`, `/`: characters that stand for themselves in RE2 outside a class), RE2
 * metacharacters escaped with a backslash (`\.`), and runs of a simple class repeated a fixed number of times
 * (`[0-9A-F]{40}`: letters and digits and ranges of them, no negation, 1 to 64 times), and its end is one of the
 * tails below, written exactly so; anything else is matched and measured by re2js as before. The answers and the
 * program sizes are re2js's own: test/core/shape.test.ts checks them against re2js on generated patterns and names.
 */
const PLAIN = /^[A-Za-z0-9_/-]$/;
const META = '\\.+*?()|[]{}^$';
const ALNUM = /^[A-Za-z0-9]$/;
const MAX_CLASS_REPEAT = 64;

interface Tail {
  text: string;
  /** How the text after the rest of the pattern may continue (RE2's `.` is anything but `\n`). */
  rest: (rest: string) => boolean;
  /** RE2 instructions the tail compiles to, and its capturing groups. */
  size: number;
  captures: number;
}

const TAILS: readonly Tail[] = [
  { text: '$', rest: (r) => r === '', size: 1, captures: 0 },
  {
    text: '(/.+)?$',
    rest: (r) => r === '' || (r.length > 1 && r.charCodeAt(0) === 0x2f && !r.includes('\n', 1)),
    size: 7,
    captures: 1,
  },
  { text: '(/.*)?$', rest: (r) => r === '' || (r.charCodeAt(0) === 0x2f && !r.includes('\n', 1)), size: 7, captures: 1 },
  { text: '/.+$', rest: (r) => r.length > 1 && r.charCodeAt(0) === 0x2f && !r.includes('\n', 1), size: 4, captures: 0 },
  { text: '/.*$', rest: (r) => r.length > 0 && r.charCodeAt(0) === 0x2f && !r.includes('\n', 1), size: 4, captures: 0 },
  { text: '.+$', rest: (r) => r.length > 0 && !r.includes('\n'), size: 3, captures: 0 },
  { text: '.*$', rest: (r) => !r.includes('\n'), size: 3, captures: 0 },
  { text: '[^/]+$', rest: (r) => r.length > 0 && !r.includes('/'), size: 3, captures: 0 },
  { text: '[^/]*$', rest: (r) => !r.includes('/'), size: 3, captures: 0 },
];

/** A fixed number of characters from a set of ASCII letters and digits: code units in [lo, hi] ranges. */
interface ClassRun {
  ranges: number[];
  n: number;
}
/** Literal text, a class run, or the `$user_id` hole. */
type Atom = string | ClassRun | null;

interface Shape {
  atoms: Atom[];
  tail: Tail;
  /** Instructions of everything but the holes: `^`, the tail, the match and fail instructions, atoms. */
  size: number;
}

/** `[...]{n}` at p[i]: the run and where it ends, or undefined when it is not one this module fully understands. */
function readClassRun(p: string, i: number): { run: ClassRun; end: number } | undefined {
  const close = p.indexOf(']', i + 1);
  if (close < 0) return undefined;
  const body = p.slice(i + 1, close);
  const ranges: number[] = [];
  for (let k = 0; k < body.length; ) {
    if (!ALNUM.test(body[k]!)) return undefined;
    const lo = body.charCodeAt(k);
    if (body[k + 1] === '-') {
      if (k + 2 >= body.length || !ALNUM.test(body[k + 2]!)) return undefined;
      const hi = body.charCodeAt(k + 2);
      if (hi < lo) return undefined;
      ranges.push(lo, hi);
      k += 3;
    } else {
      ranges.push(lo, lo);
      k++;
    }
  }
  if (ranges.length === 0) return undefined;
  const rep = /^\{([1-9][0-9]?)\}/.exec(p.slice(close + 1, close + 5));
  if (rep === null) return undefined;
  const n = Number(rep[1]);
  if (n > MAX_CLASS_REPEAT) return undefined;
  return { run: { ranges, n }, end: close + 1 + rep[0].length };
}

/** The atoms of one piece (text between holes), or undefined when any part of it is outside the shapes. */
function readPiece(p: string, atoms: Atom[]): number | undefined {
  let size = 0;
  let text = '';
  for (let i = 0; i < p.length; ) {
    const c = p[i]!;
    if (PLAIN.test(c)) {
      text += c;
      i++;
    } else if (c === '\\' && i + 1 < p.length && META.includes(p[i + 1]!)) {
      text += p[i + 1];
      i += 2;
    } else if (c === '[') {
      const r = readClassRun(p, i);
      if (r === undefined) return undefined;
      if (text !== '') atoms.push(text);
      size += text.length + r.run.n;
      text = '';
      atoms.push(r.run);
      i = r.end;
    } else return undefined;
  }
  if (text !== '') atoms.push(text);
  return size + text.length;
}

/** The shape of a regex pattern cut at its `$user_id` holes (PatternInfo.parts), or undefined. */
function shapeOf(parts: readonly string[]): Shape | undefined {
  if (!parts[0]!.startsWith('^')) return undefined;
  const last = parts.length - 1;
  for (const tail of TAILS) {
    if (!parts[last]!.endsWith(tail.text)) continue;
    const pieces = parts.map((p, i) => (i === last ? p.slice(0, p.length - tail.text.length) : p));
    // `^` and the tail must not overlap (`^$` has both in one piece of length 2).
    if (!pieces[0]!.startsWith('^')) continue;
    pieces[0] = pieces[0]!.slice(1);
    const atoms: Atom[] = [];
    // Fail and match instructions, `^`, the tail.
    let size = 3 + tail.size;
    let ok = true;
    pieces.forEach((piece, k) => {
      if (k > 0) atoms.push(null);
      const s = ok ? readPiece(piece, atoms) : undefined;
      if (s === undefined) ok = false;
      else size += s;
    });
    if (ok) return { atoms, tail, size };
  }
  return undefined;
}

/** RE2 instructions of `$user_id` read as a regex (`$`, then seven letters) and of a filled-in user ID (a literal). */
const RAW_HOLE_SIZE = 1 + USER_ID_VAR.length - 1;

/** What compiling a shape would tell: re2js's programSize() and groupCount(), with each hole `hole` instructions. */
function shapeProgram(shape: Shape, hole: number): ProgramFacts {
  let holes = 0;
  for (const a of shape.atoms) if (a === null) holes++;
  return { size: shape.size + holes * hole, captures: shape.tail.captures };
}

function inRanges(ranges: readonly number[], c: number): boolean {
  for (let k = 0; k < ranges.length; k += 2) if (c >= ranges[k]! && c <= ranges[k + 1]!) return true;
  return false;
}

/** A matcher equal to `compileSource(instantiate(info, userId)).testExact`, for the shapes above; undefined otherwise. */
export function shapeMatcher(info: PatternInfo, userId: string): ((name: string) => boolean) | undefined {
  if (info.glob) return undefined;
  // Only for a real user ID: one like SAMPLE_ID, with which the linter compiled the pattern, so it compiles with
  // this one too (for anything else a failed compile must stay fail-closed, see bind.ts matchesRule).
  if (!isUserId(userId)) return undefined;
  const shape = shapeOf(info.parts);
  if (shape === undefined) return undefined;
  const rest = shape.tail.rest;
  // Holes filled in and adjacent texts joined: the common shapes become one literal before the tail.
  const atoms: Array<string | ClassRun> = [];
  for (const a of shape.atoms) {
    const t = a === null ? userId : a;
    const prev = atoms[atoms.length - 1];
    if (typeof t === 'string' && typeof prev === 'string') atoms[atoms.length - 1] = prev + t;
    else atoms.push(t);
  }
  if (atoms.length === 0) return (name) => rest(name);
  if (atoms.length === 1 && typeof atoms[0] === 'string') {
    const literal = atoms[0];
    return (name) => name.startsWith(literal) && rest(name.slice(literal.length));
  }
  // With the tail `$` every match has the atoms' length: most names are refused on it alone.
  const length = rest === TAILS[0]!.rest ? atoms.reduce((n, a) => n + (typeof a === 'string' ? a.length : a.n), 0) : -1;
  return (name) => {
    if (length >= 0 && name.length !== length) return false;
    let at = 0;
    for (const a of atoms) {
      if (typeof a === 'string') {
        if (!name.startsWith(a, at)) return false;
        at += a.length;
      } else {
        if (at + a.n > name.length) return false;
        // ASCII sets: a code point outside ASCII fails them in UTF-16 code units as in code points.
        for (let k = 0; k < a.n; k++) if (!inRanges(a.ranges, name.charCodeAt(at + k))) return false;
        at += a.n;
      }
    }
    return rest(name.slice(at));
  };
}
