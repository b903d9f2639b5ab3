/**
 * Compiling a parsed policy once, so that each push only binds the pusher and
 * matches names. The compiled form is opaque: its internals live in a WeakMap
 * so that the object stays small, and nobody starts depending on them.
 */
import type { Diagnostic, Policy, Rule, RuleRef } from './model.js';
import { indexGroups, type GroupIndex } from './groups.js';
import { analysePattern, type PatternInfo } from './pattern.js';
import { compareDiagnostics, compareSources } from './order.js';
import { escapeControls } from './text.js';

/** Thrown by compilePolicy when the policy has errors; `diagnostics` holds every error, sorted. */
export class PolicyError extends Error {
  readonly diagnostics: Diagnostic[];
  constructor(diagnostics: Diagnostic[]) {
    const first = diagnostics[0];
    const where = first ? `${escapeControls(first.file)}:${first.line}:${first.col}: ${escapeControls(first.message)}` : 'invalid policy';
    super(`policy has ${diagnostics.length} error${diagnostics.length === 1 ? '' : 's'}; first: ${where}`);
    this.name = 'PolicyError';
    this.diagnostics = diagnostics;
  }
}

export interface RuleEntry {
  /** Position in canonical (file, line) order: "first matching rule" means lowest index. */
  index: number;
  rule: Rule;
  ref: RuleRef;
  pattern: PatternInfo;
  /** Index into CompiledInternals.scopes, or -1 for rules that apply on every branch. */
  scope: number;
}

export interface CompiledInternals {
  entries: RuleEntry[];
  scopes: Array<{ text: string; info: PatternInfo }>;
  /** Groups read upwards, for finding a pusher's groups (bind.ts). */
  groups: GroupIndex;
  /** Per-pusher state, see evaluate.ts. Bounded: a long-lived process may judge many users. */
  actors: Map<string, unknown>;
}

/** A policy ready for evaluate(). Build one with compilePolicy() and reuse it for every push. */
export class CompiledPolicy {
  readonly policy: Policy;
  /** The rules in canonical order (by file path, then line). */
  readonly rules: readonly Rule[];
  constructor(policy: Policy, rules: readonly Rule[]) {
    this.policy = policy;
    this.rules = rules;
  }
}

const INTERNALS = new WeakMap<CompiledPolicy, CompiledInternals>();

export function internalsOf(c: CompiledPolicy): CompiledInternals {
  const i = INTERNALS.get(c);
  if (i === undefined) throw new TypeError('not a CompiledPolicy made by compilePolicy()');
  return i;
}

export function ruleRef(rule: Rule): RuleRef {
  return { file: rule.source.file, line: rule.source.line, text: rule.source.text, deny: rule.deny };
}

/**
 * Compiles a parsed policy. Throws PolicyError when the policy has any error:
 * a policy with errors must never be half-enforced.
 */
export function compilePolicy(policy: Policy): CompiledPolicy {
  const errors = policy.diagnostics.filter((d) => d.severity === 'error');
  const rules = [...policy.rules].sort((a, b) => compareSources(a.source, b.source));
  const entries: RuleEntry[] = [];
  const scopes: CompiledInternals['scopes'] = [];
  const scopeIndex = new Map<string, number>();
  // Patterns are analysed again here because a Policy is plain data: it may come from JSON, not from parsePolicy.
  const analysed = new Map<string, PatternInfo | undefined>();
  const analyse = (text: string, rule: Rule): PatternInfo | undefined => {
    if (!analysed.has(text)) {
      const { info, problems } = analysePattern(text);
      analysed.set(text, info);
      for (const p of problems) {
        if (p.severity !== 'error') continue;
        errors.push({ file: rule.source.file, line: rule.source.line, col: 1, severity: 'error', code: p.code, message: escapeControls(p.message) });
      }
    }
    return analysed.get(text);
  };
  rules.forEach((rule, index) => {
    const pattern = analyse(rule.pattern, rule);
    let scope = -1;
    if (rule.scope !== undefined) {
      const info = analyse(rule.scope, rule);
      const known = scopeIndex.get(rule.scope);
      if (known !== undefined) scope = known;
      else if (info !== undefined) {
        scope = scopes.length;
        scopeIndex.set(rule.scope, scope);
        scopes.push({ text: rule.scope, info });
      }
    }
    if (pattern === undefined || (rule.scope !== undefined && scope < 0)) return;
    entries.push({ index, rule, ref: ruleRef(rule), pattern, scope });
  });
  if (errors.length > 0) throw new PolicyError(errors.sort(compareDiagnostics));
  const compiled = new CompiledPolicy(policy, rules);
  INTERNALS.set(compiled, { entries, scopes, groups: indexGroups(policy.groups), actors: new Map() });
  return compiled;
}
