/**
 * Judging operations. Deny wins, then any allow, then the default: denied.
 */
import type { Actor, Decision, EvaluateOptions, Operation, RuleRef, TraceStep } from './model.js';
import { allMatches, bindActor, kindMatcher, type BoundRule, type KindMatcher } from './bind.js';
import type { CompiledPolicy } from './compile.js';
import { allowedReason, defaultDenyReason, deniedByRuleReason, describeOp, nearestRules, traceStep, type Candidate } from './explain.js';
import { hasControlChar } from './pattern.js';
import { ruleVerdict, type OpContext, type Verdict } from './verdict.js';

/**
 * Explanations look at every rule that matches the name; beyond this many
 * denials in one call (a push adding thousands of forbidden files) the reason
 * still names the op, the name and the user but skips the nearest rules.
 */
const EXPLAINED_DENIALS = 1_000;

/**
 * Judges each operation for one pusher. Returns one decision per op, in the
 * same order. With `{ trace: true }` each decision also has a `trace`: every
 * rule of its kind and why it did or did not apply.
 */
export function evaluate(compiled: CompiledPolicy, actor: Actor, ops: Operation[], options: EvaluateOptions = {}): Decision[] {
  const bound = bindActor(compiled, actor);
  const tracing = options.trace === true;
  let denials = 0;
  return ops.map((operation): Decision => {
    const d = describeOp(operation);
    const m = kindMatcher(compiled, bound, d.kind);
    const ctx: OpContext = { compiled, bound, d, unsafe: operation.unsafeName === true || hasControlChar(d.name) };
    const matching = allMatches(m, d.name);
    let deny: BoundRule | undefined;
    let allow: BoundRule | undefined;
    for (const b of matching) {
      if (ruleVerdict(ctx, b, true, false) !== 0) continue;
      if (b.entry.rule.deny) {
        deny = b;
        break;
      }
      allow ??= b;
    }
    const decided = deny ?? allow;
    // The verdicts the explanations read: made once, when one is first read, and only for what can need them.
    let record = noRecord;
    if (tracing || decided === undefined) {
      let recorded: Verdict[] | undefined;
      record = () => (recorded ??= recordVerdicts(ctx, m, matching));
    }
    const trace = tracing ? (): TraceStep[] => traceOf(ctx, m, record(), decided, deny !== undefined || allow === undefined) : undefined;
    if (deny !== undefined) {
      const rule = deny.entry.ref;
      return decision(operation, false, rule, NONE, () => deniedByRuleReason(actor, d, rule), trace);
    }
    if (allow !== undefined) {
      const rule = allow.entry.ref;
      return decision(operation, true, rule, NONE, () => allowedReason(actor, d, rule), trace);
    }
    denials++;
    const explained = denials <= EXPLAINED_DENIALS;
    let nearest: Candidate[] | undefined;
    const near = (): Candidate[] => (nearest ??= explained ? nearestRules(ctx, record()) : []);
    return decision(
      operation,
      false,
      undefined,
      () => near().map((n) => n.b.entry.ref),
      () => defaultDenyReason(actor, ctx, near()),
      trace,
    );
  });
}

/**
 * Every test of every rule whose pattern matches the name, and of the
 * pusher's own allow rules for this op (the nearest rules come from these):
 * the same verdicts as the deciding loop's, with no shortcut.
 */
function recordVerdicts(ctx: OpContext, m: KindMatcher, matching: BoundRule[]): Verdict[] {
  const out: Verdict[] = matching.map((b) => ({ b, miss: ruleVerdict(ctx, b, true, true) }));
  const matched = new Set(matching);
  for (const b of m.ownAllowByOp.get(ctx.d.op) ?? []) if (!matched.has(b)) out.push({ b, miss: ruleVerdict(ctx, b, false, true) });
  return out;
}

/** Every rule of the kind, in canonical order; a rule the matcher did not find is one whose pattern does not match. */
function traceOf(ctx: OpContext, m: KindMatcher, record: Verdict[], decided: BoundRule | undefined, denied: boolean): TraceStep[] {
  const known = new Map<BoundRule, number>();
  for (const v of record) known.set(v.b, v.miss);
  return m.rules.map((b) => traceStep({ b, miss: known.get(b) ?? ruleVerdict(ctx, b, false, true) }, ctx, decided, denied));
}

const NONE = (): RuleRef[] => [];
const noRecord = (): Verdict[] => [];

/**
 * The reason, the nearest rules and the trace are made when first read: a
 * push of 100,000 files would otherwise spend more time explaining than
 * judging, and the hook prints only the first few denials. All are
 * enumerable getters, so JSON, spreading and structuredClone see plain
 * properties.
 */
function decision(
  operation: Operation,
  allowed: boolean,
  rule: RuleRef | undefined,
  nearest: () => RuleRef[],
  reason: () => string,
  trace: (() => TraceStep[]) | undefined,
): Decision {
  let text: string | undefined;
  let near: RuleRef[] | undefined;
  let d: Decision;
  // Two literal shapes rather than a spread: this runs once per operation, 100,000 times for a big push.
  if (rule === undefined) {
    d = {
      operation,
      allowed,
      get candidates(): RuleRef[] {
        return (near ??= nearest());
      },
      get reason(): string {
        return (text ??= reason());
      },
    };
  } else {
    d = {
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
  if (trace !== undefined) {
    let steps: TraceStep[] | undefined;
    Object.defineProperty(d, 'trace', { enumerable: true, configurable: true, get: () => (steps ??= trace()) });
  }
  return d;
}
