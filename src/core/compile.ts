/**
 * Compiling a parsed policy once, so that each push only binds the pusher and
 * matches names. The compiled form is opaque: its internals live in a WeakMap
 * so that the object stays small, and nobody starts depending on them.
 */
import type { Diagnostic, DiagnosticCode, Policy, Rule, RuleRef } from './model.js';
import { indexGroups, type GroupIndex } from './groups.js';
import { analysePattern, type PatternInfo } from './pattern.js';
import { compareDiagnostics, compareSources } from './order.js';
import { escapeControls } from './text.js';
import { LIMITS, formatCount } from './limits.js';
import { analysedPatterns } from './parse.js';

/** Thrown when a policy with errors would be enforced (compilePolicy, the server); `diagnostics` holds every error, sorted. */
export class PolicyError extends Error {
  readonly diagnostics: Diagnostic[];
  constructor(diagnostics: Diagnostic[], message?: string) {
    const first = diagnostics[0];
    const where = first ? `${escapeControls(first.file)}:${first.line}:${first.col}: ${escapeControls(first.message)}` : 'invalid policy';
    super(message ?? `policy has ${diagnostics.length} error${diagnostics.length === 1 ? '' : 's'}; first: ${where}`);
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
 * a policy with errors must never be half-enforced. The bounds on rules,
 * groups, members and program size (LIMITS) hold here too, for a Policy that
 * did not come from parsePolicy; past one, nothing more is compiled.
 */
export function compilePolicy(policy: Policy): CompiledPolicy {
  const errors = policy.diagnostics.filter((d) => d.severity === 'error');
  const reported = new Set<DiagnosticCode>(errors.map((d) => d.code));
  const fail = (): never => {
    throw new PolicyError(errors.sort(compareDiagnostics));
  };
  const bound = (code: DiagnosticCode, at: { file: string; line: number }, message: string): void => {
    if (!reported.has(code))
      errors.push({ file: at.file, line: at.line, col: 1, severity: 'error', code, message: escapeControls(message) });
    reported.add(code);
  };
  if (policy.rules.length > LIMITS.rules) {
    bound(
      'too-many-rules',
      policy.rules[LIMITS.rules]!.source,
      `too many rules: a policy holds at most ${formatCount(LIMITS.rules)} rules`,
    );
    fail();
  }
  const groupNames = Object.keys(policy.groups);
  if (groupNames.length > LIMITS.groups) {
    bound(
      'too-many-groups',
      { file: policy.groups[groupNames[LIMITS.groups]!]!.file, line: 1 },
      `too many groups: a policy has at most ${formatCount(LIMITS.groups)} groups`,
    );
  }
  let members = 0;
  for (const name of groupNames) members += policy.groups[name]!.members.length;
  if (members > LIMITS.members) {
    bound(
      'too-many-members',
      { file: policy.groups[groupNames[0]!]!.file, line: 1 },
      `too many group members: a policy's groups list at most ${formatCount(LIMITS.members)} members in all`,
    );
  }
  if (reported.has('too-many-groups') || reported.has('too-many-members')) fail();
  const rules = [...policy.rules].sort((a, b) => compareSources(a.source, b.source));
  const entries: RuleEntry[] = [];
  const scopes: CompiledInternals['scopes'] = [];
  const scopeIndex = new Map<string, number>();
  // A Policy is plain data: it may come from JSON, not from parsePolicy. Patterns parsePolicy analysed are
  // looked up by text; any other is analysed here, and every distinct one counts towards the program budget.
  const known = analysedPatterns(policy);
  const analysed = new Map<string, PatternInfo | undefined>();
  let program = 0;
  const analyse = (text: string, rule: Rule): PatternInfo | undefined => {
    if (analysed.has(text)) return analysed.get(text);
    if (program > LIMITS.policyProgram) return undefined;
    let info = known?.get(text);
    if (info === undefined) {
      const a = analysePattern(text);
      info = a.info;
      for (const p of a.problems) {
        if (p.severity !== 'error') continue;
        errors.push({
          file: rule.source.file,
          line: rule.source.line,
          col: 1,
          severity: 'error',
          code: p.code,
          message: escapeControls(p.message),
        });
      }
    }
    analysed.set(text, info);
    program += info?.programSize ?? 0;
    if (program > LIMITS.policyProgram) {
      bound(
        'policy-too-costly',
        rule.source,
        `the policy's patterns compile to more than ${formatCount(LIMITS.policyProgram)} RE2 instructions in all`,
      );
    }
    return info;
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
  if (errors.length > 0) fail();
  const compiled = new CompiledPolicy(policy, rules);
  INTERNALS.set(compiled, { entries, scopes, groups: indexGroups(policy.groups), actors: new Map() });
  return compiled;
}
