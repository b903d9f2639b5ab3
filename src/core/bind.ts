/**
 * Binding a compiled policy to one pusher: fill in `$user_id`, note which
 * rules' subjects include them, and build the matcher for each rule kind.
 *
 * Matching one name: a few RE2 unions of all patterns of the kind answer "does
 * any rule match?" (re2js is slow when asked which alternative matched, so
 * unions only say yes or no). On a hit, the rules that can match are narrowed
 * by their literal prefix, and only those are tested one by one.
 */
import type { RE2JS } from 're2js';
import type { Actor, RuleKind } from './model.js';
import { internalsOf, type CompiledInternals, type CompiledPolicy, type RuleEntry } from './compile.js';
import { compileSource, instantiate, literalFor, shapeMatcher } from './pattern.js';
import { groupsIncluding } from './groups.js';

/**
 * Unions stay small: re2js's DFA runs out of its cache on big unions of long
 * patterns (1,024 alternatives with a 40-digit user ID: 25x slower per name
 * than 128) and falls back to the NFA.
 */
const CHUNK_RULES = 128;
const CHUNK_SOURCE = 32_000;
/** A group this small is tested rule by rule: cheaper than compiling a union for it. */
const SMALL_GROUP = 8;
const MAX_ACTORS = 64;
const MAX_BRANCHES = 4_096;

export interface BoundRule {
  entry: RuleEntry;
  source: string;
  /** Literal text every match starts with, for this pusher. */
  prefix: string;
  /** For a literal pattern: the one name it matches, for this pusher. */
  literal?: string;
  /** Whether the rule's subject includes this pusher. */
  applies: boolean;
  /** Compiled on first use; null when it failed (treated fail-closed, see matchesRule). */
  re?: RE2JS | null;
  /** The pattern's answer without an RE2 engine, for the common shapes (pattern.ts, shapeMatcher). */
  shape?: (name: string) => boolean;
}

interface Chunk {
  /** Compiled on first use; null when the union failed to compile or is not needed (then its rules are tested one by one). */
  re?: RE2JS | null;
  /** Positions in KindMatcher.rules, ascending. */
  rules: number[];
}

/** Rules that share a first path segment, or the rules that have none. */
interface SegmentRules {
  rules: number[];
  chunks?: Chunk[];
}

/** All rules of one kind for one pusher, canonical order, indexed by the first path segment of their prefix. */
export interface KindMatcher {
  rules: BoundRule[];
  /** Rules by the first path segment of their prefix (`heads/`, `merge-reqs/`). */
  bySegment: Map<string, SegmentRules>;
  /** Rules whose prefix has no complete first segment: candidates for every name. */
  generic: SegmentRules;
  /** The pusher's own allow rules per op, for explanations. */
  ownAllowByOp: Map<string, BoundRule[]>;
}

export interface BoundActor {
  actor: Actor;
  /** The groups that include this pusher (see groupsIncluding), found when first needed. */
  groups?: Set<string>;
  kinds: Map<RuleKind, KindMatcher>;
  /** Each scope's matcher for this pusher, made on first use; null when it failed to compile. */
  scopes: Array<((branch: string) => boolean) | null | undefined>;
  /** Branch name -> for each scope, 1 when it matches. */
  branchScopes: Map<string, Uint8Array>;
}

function isOwner(actor: Actor): boolean {
  return actor.ownerId !== '' && actor.userId === actor.ownerId;
}

export function subjectIncludes(c: CompiledInternals, entry: RuleEntry, bound: BoundActor): boolean {
  const s = entry.rule.subject;
  switch (s.kind) {
    case 'anyone':
      return true;
    case 'owner':
      return isOwner(bound.actor);
    case 'user':
      return s.id === bound.actor.userId;
    case 'group':
      bound.groups ??= groupsIncluding(c.groups, bound.actor.userId, isOwner(bound.actor));
      return bound.groups.has(s.name);
  }
}

export function bindActor(compiled: CompiledPolicy, actor: Actor): BoundActor {
  const c = internalsOf(compiled);
  const key = `${actor.userId}\u0000${actor.ownerId}`;
  const cached = c.actors.get(key) as BoundActor | undefined;
  if (cached !== undefined) return cached;
  const bound: BoundActor = {
    actor: { userId: actor.userId, ownerId: actor.ownerId },
    kinds: new Map(),
    scopes: new Array<((branch: string) => boolean) | null | undefined>(c.scopes.length).fill(undefined),
    branchScopes: new Map(),
  };
  if (c.actors.size >= MAX_ACTORS) c.actors.clear();
  c.actors.set(key, bound);
  return bound;
}

function tryCompile(source: string): RE2JS | null {
  try {
    return compileSource(source);
  } catch {
    return null;
  }
}

/**
 * The union of patterns, or null when it cannot be trusted to mean "any of
 * them". Each alternative is a capturing group of its own, and the union must
 * have exactly one group per alternative plus the alternatives' own: if any
 * pattern's text changed how the text after it is read (an unterminated `\Q`
 * quotes to the end of the union, swallowing the next rules' parentheses
 * until some later `\E`), groups go missing and the union is refused. The
 * linter already refuses such patterns; this holds whatever reaches it.
 * Captures cost nothing here: unions are only asked yes or no.
 */
export function unionOf(alternatives: ReadonlyArray<{ source: string; captures: number }>): RE2JS | null {
  const re = tryCompile(alternatives.map((a) => `(${a.source})`).join('|'));
  if (re === null) return null;
  let expected = alternatives.length;
  for (const a of alternatives) expected += a.captures;
  return re.groupCount() === expected ? re : null;
}

function firstSegment(s: string): string | undefined {
  const slash = s.indexOf('/');
  return slash < 0 ? undefined : s.slice(0, slash + 1);
}

export function kindMatcher(compiled: CompiledPolicy, bound: BoundActor, kind: RuleKind): KindMatcher {
  let m = bound.kinds.get(kind);
  if (m !== undefined) return m;
  const c = internalsOf(compiled);
  const userId = bound.actor.userId;
  const rules: BoundRule[] = [];
  for (const entry of c.entries) {
    if (entry.rule.kind !== kind) continue;
    const b: BoundRule = {
      entry,
      source: instantiate(entry.pattern, userId),
      prefix: entry.pattern.prefixParts.join(userId),
      applies: subjectIncludes(c, entry, bound),
    };
    const lit = literalFor(entry.pattern, userId);
    if (lit !== undefined) b.literal = lit;
    const shape = shapeMatcher(entry.pattern, userId);
    if (shape !== undefined) b.shape = shape;
    rules.push(b);
  }
  const bySegment = new Map<string, SegmentRules>();
  const generic: SegmentRules = { rules: [] };
  const ownAllowByOp = new Map<string, BoundRule[]>();
  rules.forEach((b, k) => {
    const seg = firstSegment(b.prefix);
    if (seg === undefined) generic.rules.push(k);
    else {
      let g = bySegment.get(seg);
      if (g === undefined) bySegment.set(seg, (g = { rules: [] }));
      g.rules.push(k);
    }
    if (b.applies && !b.entry.rule.deny) {
      for (const op of b.entry.rule.ops) {
        let l = ownAllowByOp.get(op);
        if (l === undefined) ownAllowByOp.set(op, (l = []));
        l.push(b);
      }
    }
  });
  m = { rules, bySegment, generic, ownAllowByOp };
  bound.kinds.set(kind, m);
  return m;
}

/**
 * Whether one rule's pattern matches. A pattern that cannot be compiled for
 * this pusher (only conceivable for a hostile user ID) fails closed: an allow
 * rule then matches nothing, a deny rule everything.
 */
export function matchesRule(b: BoundRule, name: string): boolean {
  // A shape is text and fixed-length classes around a fixed tail: its pattern always compiles (the linter sized
  // it with a user ID of the same length and alphabet), so there is no failure to fail closed on.
  if (b.shape !== undefined) return b.shape(name);
  if (b.re === undefined) b.re = tryCompile(b.source);
  if (b.re === null) return b.entry.rule.deny;
  return b.re.testExact(name);
}

function chunksOf(m: KindMatcher, g: SegmentRules): Chunk[] {
  if (g.chunks !== undefined) return g.chunks;
  const chunks: Chunk[] = [];
  let cur: number[] = [];
  let size = 0;
  for (const k of g.rules) {
    const len = m.rules[k]!.source.length + 5;
    if (cur.length > 0 && (cur.length >= CHUNK_RULES || size + len > CHUNK_SOURCE)) {
      chunks.push({ rules: cur });
      cur = [];
      size = 0;
    }
    cur.push(k);
    size += len;
  }
  if (cur.length > 0) chunks.push({ rules: cur });
  g.chunks = chunks;
  return chunks;
}

/**
 * Positions of the group's rules that match the name, ascending, appended to
 * `out` (made on the first match: most names match nothing, and this runs
 * for every operation of a push).
 */
function groupMatches(m: KindMatcher, g: SegmentRules, name: string, out: number[] | undefined): number[] | undefined {
  if (g.rules.length <= SMALL_GROUP) {
    for (const k of g.rules) {
      const b = m.rules[k]!;
      if (name.startsWith(b.prefix) && matchesRule(b, name)) (out ??= []).push(k);
    }
    return out;
  }
  for (const chunk of chunksOf(m, g)) {
    if (chunk.re === undefined) {
      // Rules that all have shapes are tested one by one with string operations: cheaper than compiling a union
      // (and loading re2js's tables) to save a prefix check per rule.
      chunk.re = chunk.rules.every((k) => m.rules[k]!.shape !== undefined)
        ? null
        : unionOf(chunk.rules.map((k) => ({ source: m.rules[k]!.source, captures: m.rules[k]!.entry.pattern.captures })));
    }
    // A chunk without a union (it did not compile, or all its rules have shapes) is tested rule by rule: never wrong.
    if (chunk.re !== null && !chunk.re.testExact(name)) continue;
    const before = out?.length ?? 0;
    for (const k of chunk.rules) {
      const b = m.rules[k]!;
      if (name.startsWith(b.prefix) && matchesRule(b, name)) (out ??= []).push(k);
    }
    if ((out?.length ?? 0) === before && chunk.re !== null) {
      // The union said yes but no rule did: prefixes are conservative, so this should not happen; if it
      // ever does, test without the prefix shortcut rather than risk missing a deny rule.
      for (const k of chunk.rules) if (matchesRule(m.rules[k]!, name)) (out ??= []).push(k);
    }
  }
  return out;
}

/** What allMatches returns when nothing matches: shared, so never changed by anyone. */
const NO_MATCH: readonly BoundRule[] = Object.freeze([]);

/** Every rule of the kind whose pattern matches the name (scope, subject and op not considered), in canonical order. */
export function allMatches(m: KindMatcher, name: string): readonly BoundRule[] {
  const seg = firstSegment(name);
  const bucket = seg === undefined ? undefined : m.bySegment.get(seg);
  const a = bucket !== undefined ? groupMatches(m, bucket, name, undefined) : undefined;
  const g = groupMatches(m, m.generic, name, undefined);
  if (g === undefined) return a === undefined ? NO_MATCH : a.map((k) => m.rules[k]!);
  if (a === undefined) return g.map((k) => m.rules[k]!);
  return [...a, ...g].sort((x, y) => x - y).map((k) => m.rules[k]!);
}

export function scopeMatches(compiled: CompiledPolicy, bound: BoundActor, scope: number, branch: string): boolean {
  if (scope < 0) return true;
  let flags = bound.branchScopes.get(branch);
  if (flags === undefined) {
    const c = internalsOf(compiled);
    flags = new Uint8Array(c.scopes.length);
    for (let s = 0; s < c.scopes.length; s++) {
      let match = bound.scopes[s];
      if (match === undefined) {
        const info = c.scopes[s]!.info;
        match = shapeMatcher(info, bound.actor.userId) ?? null;
        if (match === null) {
          const re = tryCompile(instantiate(info, bound.actor.userId));
          if (re !== null) match = (name) => re.testExact(name);
        }
        bound.scopes[s] = match;
      }
      // A scope that cannot compile matches no branch (parse-time validation makes this unreachable).
      flags[s] = match !== null && match(branch) ? 1 : 0;
    }
    if (bound.branchScopes.size >= MAX_BRANCHES) bound.branchScopes.clear();
    bound.branchScopes.set(branch, flags);
  }
  return flags[scope] === 1;
}
