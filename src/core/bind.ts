/**
 * Binding a compiled policy to one pusher: keep the rules whose subject
 * includes them, fill in `$user_id`, and build per-op unions of patterns so
 * that one RE2 test answers "does any rule match?" for most names.
 */
import type { RE2JS } from 're2js';
import type { Actor, RefOp, TreeOp } from './model.js';
import { internalsOf, type CompiledInternals, type CompiledPolicy, type RuleEntry } from './compile.js';
import { compileSource, instantiate, literalFor } from './pattern.js';

/** re2js slows down sharply when asked which alternative of a big union matched, so unions only answer yes/no, in chunks. */
const CHUNK_RULES = 128;
const CHUNK_SOURCE = 16_000;
const MAX_ACTORS = 64;
const MAX_SETS = 4_096;

export interface BoundRule {
  entry: RuleEntry;
  source: string;
  /** For a literal pattern: the one name it matches, for this pusher. */
  literal?: string;
  /** Compiled on first use; null when it failed (treated fail-closed, see matchesRule). */
  re?: RE2JS | null;
}

interface Chunk {
  from: number;
  to: number;
  re: RE2JS | null;
}

export interface RuleList {
  rules: BoundRule[];
  chunks: Chunk[];
}

export interface MatcherSet {
  allow: RuleList;
  deny: RuleList;
  /** Literal allow rules by name, first rule (canonical order) kept: the only way an unsafe name is allowed. */
  literalAllow: Map<string, BoundRule>;
}

export interface BoundActor {
  actor: Actor;
  /** Every rule of the policy, bound to this pusher (for explanations), by entry index. */
  all: BoundRule[];
  /** Rules whose subject includes this pusher. */
  applicable: BoundRule[];
  scopes: Array<RE2JS | null | undefined>;
  /** Branch name -> which scopes match it, as a key. */
  branchKeys: Map<string, string>;
  sets: Map<string, MatcherSet>;
}

export function subjectIncludes(c: CompiledInternals, entry: RuleEntry, actor: Actor): boolean {
  const s = entry.rule.subject;
  switch (s.kind) {
    case 'anyone':
      return true;
    case 'owner':
      return actor.ownerId !== '' && actor.userId === actor.ownerId;
    case 'user':
      return s.id === actor.userId;
    case 'group': {
      const m = c.membership.get(s.name);
      if (m === undefined) return false;
      return m.anyone || (m.owner && actor.ownerId !== '' && actor.userId === actor.ownerId) || m.users.has(actor.userId);
    }
  }
}

export function bindActor(compiled: CompiledPolicy, actor: Actor): BoundActor {
  const c = internalsOf(compiled);
  const key = `${actor.userId}\u0000${actor.ownerId}`;
  const cached = c.actors.get(key) as BoundActor | undefined;
  if (cached !== undefined) return cached;
  const all: BoundRule[] = c.entries.map((entry) => {
    const b: BoundRule = { entry, source: instantiate(entry.pattern, actor.userId) };
    const lit = literalFor(entry.pattern, actor.userId);
    if (lit !== undefined) b.literal = lit;
    return b;
  });
  const bound: BoundActor = {
    actor: { userId: actor.userId, ownerId: actor.ownerId },
    all,
    applicable: all.filter((b) => subjectIncludes(c, b.entry, actor)),
    scopes: new Array(c.scopes.length).fill(undefined),
    branchKeys: new Map(),
    sets: new Map(),
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
 * Whether one rule's pattern matches. A pattern that cannot be compiled for
 * this pusher (only conceivable for a hostile user ID) fails closed: an allow
 * rule then matches nothing, a deny rule everything.
 */
export function matchesRule(b: BoundRule, name: string): boolean {
  if (b.re === undefined) b.re = tryCompile(b.source);
  if (b.re === null) return b.entry.rule.deny;
  return b.re.testExact(name);
}

export function scopeMatches(c: CompiledInternals, bound: BoundActor, scope: number, branch: string): boolean {
  if (scope < 0) return true;
  let re = bound.scopes[scope];
  if (re === undefined) {
    re = tryCompile(instantiate(c.scopes[scope]!.info, bound.actor.userId));
    bound.scopes[scope] = re;
  }
  // A scope that cannot compile narrows to nothing, which fails closed for allow and open for deny; deny rules
  // under a broken scope are as unreachable as the branch they meant. Parse-time validation makes this moot.
  return re !== null && re.testExact(branch);
}

function ruleList(rules: BoundRule[]): RuleList {
  const chunks: Chunk[] = [];
  let from = 0;
  while (from < rules.length) {
    let to = from;
    let size = 0;
    while (to < rules.length && to - from < CHUNK_RULES && (to === from || size + rules[to]!.source.length < CHUNK_SOURCE)) {
      size += rules[to]!.source.length + 5;
      to++;
    }
    const source = rules
      .slice(from, to)
      .map((b) => `(?:${b.source})`)
      .join('|');
    chunks.push({ from, to, re: tryCompile(source) });
    from = to;
  }
  return { rules, chunks };
}

/** The first rule of the list (canonical order) that matches, or undefined. */
export function firstMatch(list: RuleList, name: string): BoundRule | undefined {
  for (const chunk of list.chunks) {
    // A chunk whose union did not compile is tested rule by rule: slower, never wrong.
    if (chunk.re !== null && !chunk.re.testExact(name)) continue;
    for (let k = chunk.from; k < chunk.to; k++) {
      const b = list.rules[k]!;
      if (matchesRule(b, name)) return b;
    }
  }
  return undefined;
}

export function branchKey(c: CompiledInternals, bound: BoundActor, branch: string): string {
  let key = bound.branchKeys.get(branch);
  if (key === undefined) {
    const hits: number[] = [];
    for (let s = 0; s < c.scopes.length; s++) if (scopeMatches(c, bound, s, branch)) hits.push(s);
    key = hits.join(',');
    if (bound.branchKeys.size >= MAX_SETS) bound.branchKeys.clear();
    bound.branchKeys.set(branch, key);
  }
  return key;
}

/** The matcher set for one op, for ref ops (branch undefined) or tree ops on one branch. */
export function matcherSet(compiled: CompiledPolicy, bound: BoundActor, op: RefOp | TreeOp, kind: 'ref' | 'tree', branch?: string): MatcherSet {
  const c = internalsOf(compiled);
  const bKey = branch === undefined ? '' : branchKey(c, bound, branch);
  const key = `${kind}\u0000${op}\u0000${bKey}`;
  let set = bound.sets.get(key);
  if (set !== undefined) return set;
  const inScope = bKey === '' ? new Set<number>() : new Set(bKey.split(',').map(Number));
  const allow: BoundRule[] = [];
  const deny: BoundRule[] = [];
  const literalAllow = new Map<string, BoundRule>();
  for (const b of bound.applicable) {
    const e = b.entry;
    if (e.rule.kind !== kind || !e.rule.ops.includes(op)) continue;
    if (e.scope >= 0 && !inScope.has(e.scope)) continue;
    if (e.rule.deny) deny.push(b);
    else {
      allow.push(b);
      if (b.literal !== undefined && !literalAllow.has(b.literal)) literalAllow.set(b.literal, b);
    }
  }
  set = { allow: ruleList(allow), deny: ruleList(deny), literalAllow };
  if (bound.sets.size >= MAX_SETS) bound.sets.clear();
  bound.sets.set(key, set);
  return set;
}
