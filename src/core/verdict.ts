/**
 * The tests a rule must pass to take part in a decision, written once: the
 * deciding loop (evaluate.ts), the nearest rules and the trace (explain.ts)
 * all read a rule's verdict from here, so an explanation can never disagree
 * with the decision it explains.
 */
import type { CompiledPolicy } from './compile.js';
import { scopeMatches, type BoundActor, type BoundRule } from './bind.js';
import type { OpDescription } from './explain.js';

/** A verdict is the set of tests the rule failed: 0 when it applies. */
export const SUBJECT = 1;
export const OP = 2;
export const PATTERN = 4;
export const SCOPE = 8;
/** An allow rule with wildcards, on a name with a control character or invalid UTF-8: only a literal rule equal to the name grants it (docs/reference.md#operations). */
export const WILDCARD = 16;

/** One operation being judged for one pusher (its op, name, branch and kind), and what every verdict depends on. */
export interface OpContext extends OpDescription {
  compiled: CompiledPolicy;
  bound: BoundActor;
  /** The name holds a control character or is flagged not valid UTF-8. */
  unsafe: boolean;
}

/**
 * A rule's verdict for an operation. `matched` is whether its pattern matches
 * the name, as the matcher found (patterns are never re-tested here). With
 * `all` false the first failed test is returned at once: the deciding loop
 * only needs "applies or not", and a scope is then tested only for rules that
 * pass everything else. With `all` true, every test is made.
 */
export function ruleVerdict(ctx: OpContext, b: BoundRule, matched: boolean, all: boolean): number {
  const r = b.entry.rule;
  const d = ctx;
  let miss = 0;
  if (!b.applies) {
    if (!all) return SUBJECT;
    miss = SUBJECT;
  }
  if (!(r.ops as string[]).includes(d.op)) {
    if (!all) return OP;
    miss |= OP;
  }
  if (!matched) {
    if (!all) return PATTERN;
    miss |= PATTERN;
  }
  if (d.branch !== undefined && !scopeMatches(ctx.compiled, ctx.bound, b.entry.scope, d.branch)) {
    if (!all) return SCOPE;
    miss |= SCOPE;
  }
  // Only a literal rule equal to the name grants an unsafe name; a rule whose pattern misses it is no wildcard question.
  if (ctx.unsafe && !r.deny && matched && b.literal !== d.name) miss |= WILDCARD;
  return miss;
}

/** A rule with its verdict: what the deciding loop found, recorded for the explanations. */
export interface Verdict {
  b: BoundRule;
  miss: number;
}
