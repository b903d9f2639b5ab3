/**
 * Judging operations. Deny wins, then any allow, then the default: denied.
 */
import type { Actor, Decision, EvaluateOptions, Operation, RuleRef, TraceStep } from './model.js';
import { allMatches, bindActor, kindMatcher, type BoundActor, type BoundRule, type KindMatcher } from './bind.js';
import type { CompiledPolicy } from './compile.js';
import { defaultDenyReason, nearestRules, ruleReasons, stripRefs, traceStep, type Candidate } from './explain.js';
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
  const reasons = ruleReasons(actor);
  let denials = 0;
  return ops.map((operation): Decision => {
    const ctx = opRecord(operation, compiled, bound);
    let deny: BoundRule | undefined;
    let allow: BoundRule | undefined;
    for (const b of ctx.matching) {
      if (ruleVerdict(ctx, b, true, false) !== 0) continue;
      if (b.entry.rule.deny) {
        deny = b;
        break;
      }
      allow ??= b;
    }
    let traced: OpRecord | undefined;
    if (tracing) {
      ctx.decided = deny ?? allow;
      ctx.denied = deny !== undefined || allow === undefined;
      traced = ctx;
    }
    // A rule decided: its reason is one line made at once (cheaper than a lazy getter, and then the operation's
    // record is not kept alive by it: a 100,000-file push keeps 100,000 decisions).
    if (deny !== undefined) {
      const rule = deny.entry.ref;
      if (traced === undefined) return { operation, allowed: false, rule, candidates: [], reason: reasons.denied(ctx, rule) };
      return decision(operation, false, rule, NONE, () => reasons.denied(ctx, rule), traced);
    }
    if (allow !== undefined) {
      const rule = allow.entry.ref;
      if (traced === undefined) return { operation, allowed: true, rule, candidates: [], reason: reasons.allowed(ctx, rule) };
      return decision(operation, true, rule, NONE, () => reasons.allowed(ctx, rule), traced);
    }
    denials++;
    const explained = denials <= EXPLAINED_DENIALS;
    let nearest: Candidate[] | undefined;
    const near = (): Candidate[] => (nearest ??= explained ? nearestRules(ctx, verdicts(ctx)) : []);
    return decision(
      operation,
      false,
      undefined,
      () => near().map((n) => n.b.entry.ref),
      () => defaultDenyReason(actor, ctx, near()),
      traced,
    );
  });
}

/** One operation as the deciding loop left it: what the explanations read, and nothing they would recompute. */
interface OpRecord extends OpContext {
  m: KindMatcher;
  /** Every rule whose pattern matches the name, in canonical order (the matcher's answer). */
  matching: readonly BoundRule[];
  /** Made when an explanation first needs them (see verdicts). */
  verdicts: Verdict[] | undefined;
  /** With a trace only: the rule that decided, and whether the op was denied. */
  decided: BoundRule | undefined;
  denied: boolean;
}

/**
 * The operation as the patterns see it (names without `refs/`), and matched.
 * One object per operation, every field set at once: it is made 100,000
 * times for a big push, and the explanations made later need nothing else.
 */
function opRecord(operation: Operation, compiled: CompiledPolicy, bound: BoundActor): OpRecord {
  const tree = operation.type === 'tree';
  const name = tree ? operation.path : stripRefs(operation.ref);
  const m = kindMatcher(compiled, bound, operation.type);
  return {
    op: operation.op,
    name,
    branch: tree ? stripRefs(operation.branch) : undefined,
    kind: operation.type,
    compiled,
    bound,
    unsafe: operation.unsafeName === true || hasControlChar(name),
    m,
    matching: allMatches(m, name),
    verdicts: undefined,
    decided: undefined,
    denied: false,
  };
}

/**
 * Every test of every rule whose pattern matches the name, and of the
 * pusher's own allow rules for this op (the nearest rules come from these):
 * the same verdicts as the deciding loop's, with no shortcut, made once.
 */
function verdicts(r: OpRecord): Verdict[] {
  if (r.verdicts !== undefined) return r.verdicts;
  const out: Verdict[] = r.matching.map((b) => ({ b, miss: ruleVerdict(r, b, true, true) }));
  const matched = new Set(r.matching);
  for (const b of r.m.ownAllowByOp.get(r.op) ?? []) if (!matched.has(b)) out.push({ b, miss: ruleVerdict(r, b, false, true) });
  return (r.verdicts = out);
}

/** Every rule of the kind, in canonical order; a rule the matcher did not find is one whose pattern does not match. */
function traceOf(r: OpRecord): TraceStep[] {
  const known = new Map<BoundRule, number>();
  for (const v of verdicts(r)) known.set(v.b, v.miss);
  return r.m.rules.map((b) => traceStep({ b, miss: known.get(b) ?? ruleVerdict(r, b, false, true) }, r, r.decided, r.denied));
}

const NONE = (): RuleRef[] => [];

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
  traced: OpRecord | undefined,
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
  if (traced !== undefined) {
    let steps: TraceStep[] | undefined;
    Object.defineProperty(d, 'trace', { enumerable: true, configurable: true, get: () => (steps ??= traceOf(traced)) });
  }
  return d;
}
