/**
 * Decision explanations: the one place where the reason text, the nearest
 * rules and the trace are made. The hook, `git acl check` and the pre-push
 * hook all print these strings verbatim, so users read the same words
 * everywhere. Nothing here tests a rule again: the words come from the
 * verdicts the deciding loop recorded (verdict.ts).
 */
import type { Actor, RuleRef, TraceStep } from './model.js';
import type { BoundRule } from './bind.js';
import { OP, PATTERN, SCOPE, SUBJECT, WILDCARD, type OpContext, type Verdict } from './verdict.js';
import { escapeControls, needsEscape } from './text.js';

export const MAX_CANDIDATES = 3;

/**
 * Names go into one-line messages: quote any that hold spaces, quotes or
 * characters escapeControls escapes. The quoted form is JSON's (C0 controls
 * as `\u0007`, as it has always been), and escapeControls then catches what
 * JSON leaves raw (DEL, C1, bidi and invisible characters).
 */
export function displayName(name: string): string {
  if (PLAIN_NAME.test(name)) return name; // the usual name, printable ASCII: none of the tests below can hold
  return /[\x00-\x20\x7f"\\]/.test(name) || name === '' || needsEscape(name) ? escapeControls(JSON.stringify(name)) : name;
}

/** Printable ASCII without space, quote or backslash: a name shown as it is (needsEscape holds only outside it). */
const PLAIN_NAME = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** A rule as written, in double quotes; backslashes stay as the user typed them, control characters are escaped. */
export function displayRule(ref: RuleRef): string {
  return `${escapeControls(ref.file)}:${ref.line} "${escapeControls(ref.text)}"`;
}

/** The name a rule's pattern sees: ref names and branches without `refs/`. */
export function stripRefs(ref: string): string {
  return ref.startsWith('refs/') ? ref.slice(5) : ref;
}

/** An operation as a reason names it: what is done to which name (and branch), not who does it. */
export interface OpDescription {
  op: string;
  name: string;
  branch?: string;
  kind: 'ref' | 'tree';
}

/** `op` and `on` are the op's words and ` on <branch>` (or ''), which ruleReasons makes once for many operations. */
function what(d: OpDescription, op = escapeControls(d.op), on = onBranch(d.branch)): string {
  return `${op} ${displayName(d.name)}${on}`;
}

function onBranch(branch: string | undefined): string {
  return branch !== undefined ? ` on ${displayName(branch)}` : '';
}

/** A user ID as printed: adapters give 40 hex digits, but a library caller may pass anything. */
function who(actor: Actor): string {
  return escapeControls(actor.userId);
}

/**
 * The reasons of the decisions a rule made, for one pusher, with what every operation of a push shares (the user
 * ID, each rule, the op words, the branch) put into words once: evaluate makes one reason per operation, 100,000
 * for a big push, and escaping the same texts again each time was most of that.
 */
export function ruleReasons(actor: Actor): {
  allowed(d: OpDescription, rule: RuleRef): string;
  denied(d: OpDescription, rule: RuleRef): string;
} {
  const user = who(actor);
  const rules = new Map<RuleRef, string>();
  const ops = new Map<string, string>();
  let branch: string | undefined;
  let on = '';
  const ruleText = (rule: RuleRef): string => {
    let t = rules.get(rule);
    if (t === undefined) rules.set(rule, (t = displayRule(rule)));
    return t;
  };
  const said = (d: OpDescription): string => {
    let op = ops.get(d.op);
    if (op === undefined) ops.set(d.op, (op = escapeControls(d.op)));
    if (d.branch !== branch) {
      branch = d.branch;
      on = onBranch(branch);
    }
    return what(d, op, on);
  };
  return {
    allowed: (d, rule) => `allowed: ${user} may ${said(d)} by ${ruleText(rule)}`,
    denied: (d, rule) => `denied: ${user} may not ${said(d)}: ${ruleText(rule)} forbids it (deny rules always win)`,
  };
}

/**
 * What one failed test means, in words: the nearest rules' hints (in
 * parentheses) and the trace's notes are both made here.
 */
function missText(test: number, b: BoundRule, ctx: OpContext): string {
  const r = b.entry.rule;
  switch (test) {
    case SUBJECT: {
      const s = r.subject;
      if (s.kind === 'owner') return 'applies to the owner only';
      if (s.kind === 'group') return `applies to group '${escapeControls(s.name)}', which does not include ${who(ctx.bound.actor)}`;
      if (s.kind === 'user') return `applies to ${escapeControls(s.id)} only`;
      return '';
    }
    case OP:
      return `${r.deny ? 'denies' : 'allows'} ${escapeControls(r.opsWritten.join(','))}, not ${escapeControls(ctx.op)}`;
    case PATTERN:
      return `pattern does not match ${displayName(ctx.name)}`;
    case SCOPE:
      return `only on branches matching ${escapeControls(r.scope ?? '')}`;
    default:
      return 'has wildcards, which never allow names with control characters or invalid UTF-8';
  }
}

const TESTS = [SUBJECT, OP, PATTERN, SCOPE, WILDCARD];

export interface Candidate {
  b: BoundRule;
  tier: number;
  score: number;
  /** The test whose failure the hint names; the hint is built only for the candidates shown. */
  test: number;
}

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/**
 * Rules that come closest to allowing a denied operation, best first, ranked
 * from the verdicts the deciding loop recorded (`record`: every rule whose
 * pattern matches, and the pusher's own allow rules for this op):
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
 * For an unsafe name, the pusher's wildcard rules that pass every other test
 * come first (tier 0).
 */
export function nearestRules(ctx: OpContext, record: Verdict[]): Candidate[] {
  const out: Candidate[] = [];
  const name = ctx.name;
  for (const { b, miss } of record) {
    if (b.entry.rule.deny) continue;
    const score = commonPrefix(b.prefix, name);
    // Whether a wildcard rule could grant the name matters for tier 0 only.
    const m = miss & ~WILDCARD;
    if (miss === WILDCARD) out.push({ b, tier: 0, score: 0, test: WILDCARD });
    else if (m === OP) out.push({ b, tier: 1, score, test: OP });
    else if (m === SUBJECT) {
      const notOwner = b.entry.rule.subject.kind === 'owner' ? 0 : 1;
      out.push({ b, tier: score > 0 ? 2 : 5, score: score * 2 + notOwner, test: SUBJECT });
    } else if ((m & ~SCOPE) === PATTERN) out.push({ b, tier: score > 0 ? 3 : 6, score, test: PATTERN });
    else if (m === SCOPE) out.push({ b, tier: 4, score, test: SCOPE });
  }
  return best(out, MAX_CANDIDATES);
}

/** A candidate's hint, as the reason shows it. */
export function candidateHint(c: Candidate, ctx: OpContext): string {
  const text = missText(c.test, c.b, ctx);
  return text === '' ? '' : `(${text})`;
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

export function defaultDenyReason(actor: Actor, ctx: OpContext, nearest: Candidate[]): string {
  const d = ctx;
  const head = ctx.unsafe
    ? `denied: no rule lets ${who(actor)} ${what(d)}: the name holds a control character or invalid UTF-8, which only a rule whose pattern is exactly this name allows`
    : `denied: no rule lets ${who(actor)} ${what(d)}`;
  const first = nearest[0];
  if (first !== undefined) return `${head}; nearest: ${displayRule(first.b.entry.ref)} ${candidateHint(first, ctx)}`.trimEnd();
  const file = d.kind === 'ref' ? 'refs/*.conf' : 'branches/*.conf';
  const example = `${who(actor)} ${escapeControls(d.op)} ^${escapeForExample(d.name)}$`;
  const scope = d.branch !== undefined ? ` (under 'branch ^${escapeForExample(d.branch)}$' to limit it to this branch)` : '';
  return `${head}; no rule comes close: a rule like '${example}' in ${file}${scope} would allow it`;
}

/** Example patterns in messages: readable, yet exact (punctuation other than / and - escaped, controls as RE2 `\x{..}`). */
function escapeForExample(name: string): string {
  return escapeControls(name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), (cp) => `\\x{${cp.toString(16)}}`);
}

/**
 * One step of a trace: a rule, each test it passed or failed, and a note in
 * words. `decided` is the rule that decided the operation, if any; `denied`
 * whether the operation was denied.
 */
export function traceStep(v: Verdict, ctx: OpContext, decided: BoundRule | undefined, denied: boolean): TraceStep {
  const { b, miss } = v;
  const r = b.entry.rule;
  const step: TraceStep = {
    rule: b.entry.ref,
    subject: (miss & SUBJECT) === 0,
    op: (miss & OP) === 0,
    pattern: (miss & PATTERN) === 0,
  } as TraceStep;
  if (ctx.branch !== undefined && b.entry.scope >= 0) step.scope = (miss & SCOPE) === 0;
  if (ctx.unsafe && !r.deny && (miss & PATTERN) === 0) step.literal = (miss & WILDCARD) === 0;
  step.effect = miss !== 0 ? 'skip' : r.deny ? 'deny' : 'allow';
  step.decisive = b === decided;
  if (miss !== 0)
    step.note = TESTS.filter((t) => (miss & t) !== 0)
      .map((t) => missText(t, b, ctx))
      .join('; ');
  else if (step.decisive)
    step.note = r.deny ? 'decides: deny rules always win' : 'decides: the first allow rule that applies, and no deny rule applies';
  else if (r.deny) step.note = 'applies too; an earlier deny rule decided';
  else step.note = denied ? 'applies, but a deny rule wins' : 'applies too; an earlier allow rule decided';
  return step;
}

/** A trace step as one line: `skip  refs/a.conf:2 "anyone modify ^x$": allows modify, not delete-file`. */
export function formatTraceStep(step: TraceStep): string {
  const label = step.decisive ? step.effect.toUpperCase() : step.effect;
  return `${label.padEnd(5)} ${displayRule(step.rule)}: ${escapeControls(step.note)}`;
}
