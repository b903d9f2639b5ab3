/**
 * Judging operations. Deny wins, then any allow, then the default: denied.
 */
import type { Actor, Decision, Operation, RuleRef } from './model.js';
import { allMatches, bindActor, kindMatcher, scopeMatches, type BoundRule } from './bind.js';
import type { CompiledPolicy } from './compile.js';
import { allowedReason, defaultDenyReason, deniedByRuleReason, describeOp, nearestRules } from './explain.js';
import { hasControlChar } from './pattern.js';

/**
 * Explanations look at every rule that matches the name; beyond this many
 * denials in one call (a push adding thousands of forbidden files) the reason
 * still names the op, the name and the user but skips the nearest rules.
 */
const EXPLAINED_DENIALS = 1_000;

/** Judges each operation for one pusher. Returns one decision per op, in the same order. */
export function evaluate(compiled: CompiledPolicy, actor: Actor, ops: Operation[]): Decision[] {
  const bound = bindActor(compiled, actor);
  let denials = 0;
  return ops.map((operation): Decision => {
    const d = describeOp(operation);
    const m = kindMatcher(compiled, bound, d.kind);
    const unsafe = operation.unsafeName === true || hasControlChar(d.name);
    const matching = allMatches(m, d.name);
    let deny: BoundRule | undefined;
    let allow: BoundRule | undefined;
    for (const b of matching) {
      const r = b.entry.rule;
      if (!b.applies || !(r.ops as string[]).includes(d.op)) continue;
      if (d.branch !== undefined && !scopeMatches(compiled, bound, b.entry.scope, d.branch)) continue;
      if (r.deny) {
        deny = b;
        break;
      }
      // Wildcards never grant an unsafe name: only a literal rule equal to it does (SPEC section 4).
      if (allow === undefined && (!unsafe || b.literal === d.name)) allow = b;
    }
    if (deny !== undefined) {
      const rule = deny.entry.ref;
      return decision(operation, false, rule, NONE, () => deniedByRuleReason(actor, d, rule));
    }
    if (allow !== undefined) {
      const rule = allow.entry.ref;
      return decision(operation, true, rule, NONE, () => allowedReason(actor, d, rule));
    }
    denials++;
    const explained = denials <= EXPLAINED_DENIALS;
    let nearest: ReturnType<typeof nearestRules> | undefined;
    const near = (): ReturnType<typeof nearestRules> => (nearest ??= explained ? nearestRules(compiled, bound, d, unsafe, matching) : []);
    return decision(
      operation,
      false,
      undefined,
      () => near().map((n) => n.b.entry.ref),
      () => defaultDenyReason(actor, d, unsafe, near()),
    );
  });
}

const NONE = (): RuleRef[] => [];

/**
 * The reason and the nearest rules are made when first read: a push of
 * 100,000 files would otherwise spend more time explaining than judging, and
 * the hook prints only the first few denials. Both are enumerable getters, so
 * JSON, spreading and structuredClone see plain properties.
 */
function decision(operation: Operation, allowed: boolean, rule: RuleRef | undefined, nearest: () => RuleRef[], reason: () => string): Decision {
  let text: string | undefined;
  let near: RuleRef[] | undefined;
  // Two literal shapes rather than a spread: this runs once per operation, 100,000 times for a big push.
  if (rule === undefined) {
    return {
      operation,
      allowed,
      get candidates(): RuleRef[] {
        return (near ??= nearest());
      },
      get reason(): string {
        return (text ??= reason());
      },
    };
  }
  return {
    operation,
    allowed,
    rule,
    get candidates(): RuleRef[] {
      return (near ??= nearest());
    },
    get reason(): string {
      return (text ??= reason());
    },
  };
}
