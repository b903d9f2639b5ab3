/**
 * Decision explanations: the one place where the reason text and the nearest
 * rules are made. The hook, `git acl check` and the pre-push hook all print
 * these strings verbatim, so users read the same words everywhere.
 */
import type { Actor, Operation, RuleRef } from './model.js';
import type { CompiledPolicy } from './compile.js';
import { kindMatcher, scopeMatches, type BoundActor, type BoundRule } from './bind.js';
import { escapeLiteral } from './pattern.js';

export const MAX_CANDIDATES = 3;

/** Names go into one-line messages: quote any that hold spaces, quotes or control characters. */
export function displayName(name: string): string {
  return /[\x00-\x20\x7f"\\]/.test(name) || name === '' ? JSON.stringify(name) : name;
}

/** A rule as written, in double quotes; backslashes stay as the user typed them, control characters are escaped. */
export function displayRule(ref: RuleRef): string {
  const text = ref.text.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return `${ref.file}:${ref.line} "${text}"`;
}

/** The name a rule's pattern sees: ref names and branches without `refs/`. */
export function stripRefs(ref: string): string {
  return ref.startsWith('refs/') ? ref.slice(5) : ref;
}

export interface Subjectless {
  op: string;
  name: string;
  branch?: string;
  kind: 'ref' | 'tree';
}

export function describeOp(o: Operation): Subjectless {
  return o.type === 'ref'
    ? { op: o.op, name: stripRefs(o.ref), kind: 'ref' }
    : { op: o.op, name: o.path, branch: stripRefs(o.branch), kind: 'tree' };
}

function what(d: Subjectless): string {
  return `${d.op} ${displayName(d.name)}${d.branch !== undefined ? ` on ${displayName(d.branch)}` : ''}`;
}

export function allowedReason(actor: Actor, d: Subjectless, rule: RuleRef): string {
  return `allowed: ${actor.userId} may ${what(d)} by ${displayRule(rule)}`;
}

export function deniedByRuleReason(actor: Actor, d: Subjectless, rule: RuleRef): string {
  return `denied: ${actor.userId} may not ${what(d)}: ${displayRule(rule)} forbids it (deny rules always win)`;
}

export interface Candidate {
  b: BoundRule;
  tier: number;
  score: number;
  /** Built only for the candidates shown. */
  hint: () => string;
}

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

function subjectHint(b: BoundRule, actor: Actor): string {
  const s = b.entry.rule.subject;
  if (s.kind === 'owner') return '(applies to the owner only)';
  if (s.kind === 'group') return `(applies to group '${s.name}', which does not include ${actor.userId})`;
  if (s.kind === 'user') return `(applies to ${s.id} only)`;
  return '';
}

/**
 * Rules that come closest to allowing a denied operation, best first:
 * 1. the pusher's rules whose pattern and scope match but that grant other ops
 *    ("you may create-file here, not modify": the sticky-directory case);
 * 2. rules for this op whose pattern (with a literal start, e.g. `^tags/v`)
 *    and scope match but that belong to someone else ("the maintainers may":
 *    the group to ask to join);
 * 3. the pusher's own rules for this op whose pattern misses, but shares a
 *    literal start with the name (`^shared/$user_id/` for `shared/<other>/x`);
 * 4. the pusher's own rules for this op whose pattern matches but whose branch
 *    scope misses;
 * 5. catch-all rules (`^.*$`, no literal start) for this op that belong to
 *    someone else: true ("applies to the owner only") but rarely the news, so
 *    a group's rule (one can ask to join) comes before the owner's;
 * 6. the pusher's own rules for this op whose pattern has nothing in common
 *    with the name.
 * Within a tier: the longer the pattern's literal start shared with the name
 * (the more specific the rule), the better; then canonical (file, line) order.
 */
export function nearestRules(compiled: CompiledPolicy, bound: BoundActor, d: Subjectless, unsafe: boolean, matching: BoundRule[]): Candidate[] {
  const m = kindMatcher(compiled, bound, d.kind);
  // `matching` holds every rule whose pattern matches; the pusher's own rules for this op come from an index.
  // Nothing else can be a candidate, so a denial never tests every rule one by one.
  const matched = new Set(matching);
  const out: Candidate[] = [];
  const scopeOk = (b: BoundRule): boolean => d.branch === undefined || scopeMatches(compiled, bound, b.entry.scope, d.branch);
  for (const b of m.ownAllowByOp.get(d.op) ?? []) {
    const patternOk = matched.has(b);
    const inScope = scopeOk(b);
    if (patternOk && inScope) {
      // Only reachable for unsafe names: the rule matches but has wildcards.
      if (unsafe) out.push({ b, tier: 0, score: 0, hint: () => '(has wildcards, which never allow names with control characters or invalid UTF-8)' });
    } else if (patternOk) {
      out.push({ b, tier: 4, score: commonPrefix(b.prefix, d.name), hint: () => `(only on branches matching ${b.entry.rule.scope ?? ''})` });
    } else {
      const score = commonPrefix(b.prefix, d.name);
      out.push({ b, tier: score > 0 ? 3 : 6, score, hint: () => `(pattern does not match ${displayName(d.name)})` });
    }
  }
  for (const b of matching) {
    const r = b.entry.rule;
    if (r.deny) continue;
    const opOk = (r.ops as string[]).includes(d.op);
    if (b.applies && opOk) continue;
    if (!scopeOk(b)) continue;
    const score = commonPrefix(b.prefix, d.name);
    if (b.applies) out.push({ b, tier: 1, score, hint: () => `(allows ${r.opsWritten.join(',')}, not ${d.op})` });
    else if (opOk) {
      const notOwner = r.subject.kind === 'owner' ? 0 : 1;
      out.push({ b, tier: score > 0 ? 2 : 5, score: score * 2 + notOwner, hint: () => subjectHint(b, bound.actor) });
    }
  }
  return best(out, MAX_CANDIDATES);
}

/** The k best candidates in order, without sorting them all (a policy may give thousands). */
function best(all: Candidate[], k: number): Candidate[] {
  const cmp = (x: Candidate, y: Candidate): number => x.tier - y.tier || y.score - x.score || x.b.entry.index - y.b.entry.index;
  const top: Candidate[] = [];
  for (const c of all) {
    if (top.length === k && cmp(c, top[k - 1]!) >= 0) continue;
    top.push(c);
    top.sort(cmp);
    if (top.length > k) top.pop();
  }
  return top;
}

export function defaultDenyReason(actor: Actor, d: Subjectless, unsafe: boolean, nearest: Candidate[]): string {
  const head = unsafe
    ? `denied: no rule lets ${actor.userId} ${what(d)}: the name holds a control character or invalid UTF-8, which only a rule whose pattern is exactly this name allows`
    : `denied: no rule lets ${actor.userId} ${what(d)}`;
  const first = nearest[0];
  if (first !== undefined) return `${head}; nearest: ${displayRule(first.b.entry.ref)} ${first.hint()}`.trimEnd();
  const file = d.kind === 'ref' ? 'refs/*.conf' : 'branches/*.conf';
  const example = `${actor.userId} ${d.op} ^${escapeForExample(d.name)}$`;
  const scope = d.branch !== undefined ? ` (under 'branch ^${escapeForExample(d.branch)}$' to limit it to this branch)` : '';
  return `${head}; no rule comes close: a rule like '${example}' in ${file}${scope} would allow it`;
}

/** Example patterns in messages: readable, yet exact (punctuation other than / and - escaped). */
function escapeForExample(name: string): string {
  return name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/[\x00-\x1f\x7f]/g, (ch) => escapeLiteral(ch));
}
