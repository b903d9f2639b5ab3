/**
 * Judging operations. Deny wins, then any allow, then the default: denied.
 * Only a union hit costs a per-rule search; misses cost one test per chunk.
 */
import type { Actor, Decision, Operation } from './model.js';
import { bindActor, firstMatch, matcherSet } from './bind.js';
import type { CompiledPolicy } from './compile.js';
import { allowedReason, defaultDenyReason, deniedByRuleReason, describeOp, nearestRules } from './explain.js';
import { hasControlChar } from './pattern.js';

/**
 * Full explanations test every rule of the policy; beyond this many denials in
 * one call (a push that adds thousands of forbidden files) the reason keeps
 * naming the op, the name and the user but skips the search for near rules.
 */
const EXPLAINED_DENIALS = 1_000;

/** Judges each operation for one pusher. Returns one decision per op, in the same order. */
export function evaluate(compiled: CompiledPolicy, actor: Actor, ops: Operation[]): Decision[] {
  const bound = bindActor(compiled, actor);
  let denials = 0;
  return ops.map((operation): Decision => {
    const d = describeOp(operation);
    const set =
      operation.type === 'ref'
        ? matcherSet(compiled, bound, operation.op, 'ref')
        : matcherSet(compiled, bound, operation.op, 'tree', d.branch);
    const unsafe = operation.unsafeName === true || hasControlChar(d.name);
    const deny = firstMatch(set.deny, d.name);
    if (deny !== undefined) {
      const rule = deny.entry.ref;
      return { operation, allowed: false, rule, candidates: [], reason: deniedByRuleReason(actor, d, rule) };
    }
    const allow = unsafe ? set.literalAllow.get(d.name) : firstMatch(set.allow, d.name);
    if (allow !== undefined) {
      const rule = allow.entry.ref;
      return { operation, allowed: true, rule, candidates: [], reason: allowedReason(actor, d, rule) };
    }
    denials++;
    const nearest = denials <= EXPLAINED_DENIALS ? nearestRules(compiled, bound, d, unsafe) : [];
    return {
      operation,
      allowed: false,
      candidates: nearest.map((n) => n.b.entry.ref),
      reason: defaultDenyReason(actor, d, unsafe, nearest),
    };
  });
}
