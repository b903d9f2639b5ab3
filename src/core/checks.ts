/**
 * Checks across rules that only warn: duplicates, and patterns that can never
 * match because of how names are written (no `refs/`, no leading `/`).
 */
import type { Diagnostic, DiagnosticCode, Rule } from './model.js';
import type { PatternInfo } from './pattern.js';

/** A parsed rule with the columns that its warnings point at. */
export interface RuleSite {
  rule: Rule;
  patternCol: number;
  info: PatternInfo;
  /** The rule had errors: its pattern is checked, but it takes part in nothing else. */
  rejected: boolean;
}

/** Ref namespaces git and common forges use; a ref pattern starting elsewhere is probably missing `heads/`. */
const KNOWN_NAMESPACES = new Set([
  'heads',
  'tags',
  'notes',
  'remotes',
  'replace',
  'stash',
  'changes',
  'pull',
  'merge-requests',
  'for',
  'meta',
  'keep-around',
  'prefetch',
  'bisect',
  'original',
  'rewritten',
  'worktree',
  'users',
  'drafts',
  'publish',
]);

function subjectKey(r: Rule): string {
  const s = r.subject;
  return s.kind === 'group' ? `group:${s.name}` : s.kind === 'user' ? `user:${s.id}` : s.kind;
}

export function ruleKey(r: Rule): string {
  return [r.kind, r.deny ? 'deny' : 'allow', subjectKey(r), [...r.ops].sort().join(','), r.pattern, r.scope ?? ''].join('\u0000');
}

function withNamespace(pattern: string, ns: string): string {
  if (pattern.startsWith('glob:')) return `glob:${ns}${pattern.slice(5)}`;
  if (pattern.startsWith('^')) return `^${ns}${pattern.slice(1)}`;
  return `${ns}${pattern}`;
}

function namespaceWarning(pattern: string, info: PatternInfo, what: string, suggestNs: string): string | undefined {
  const prefix = info.prefix;
  const slash = prefix.indexOf('/');
  const literal = info.literal !== undefined && !info.hasUserId;
  let ns: string;
  if (slash > 0) ns = prefix.slice(0, slash);
  // A literal without any '/' (`main`) names no branch or tag either; `stash` is git's one slash-less ref.
  else if (literal && prefix !== '' && prefix !== 'stash') ns = prefix;
  else return undefined;
  if (KNOWN_NAMESPACES.has(ns) && slash > 0) return undefined;
  return `'${pattern}' matches no ${what} (did you mean '${withNamespace(pattern, suggestNs)}'?)`;
}

/** Warnings for a `branch <pattern>` line: branch names are matched without `refs/`, and never name a tag. */
export function scopeWarnings(pattern: string, info: PatternInfo): Array<{ code: DiagnosticCode; message: string }> {
  if (info.prefix.startsWith('refs/')) {
    return [
      { code: 'never-matches', message: "branch pattern can never match: branch names are matched without 'refs/' (write 'heads/main')" },
    ];
  }
  if (info.prefix.startsWith('tags/')) {
    return [{ code: 'never-matches', message: 'branch pattern can never match: tree rules never apply to tags' }];
  }
  const msg = namespaceWarning(pattern, info, 'branch: branch names are matched as heads/<branch>', 'heads/');
  return msg === undefined ? [] : [{ code: 'unknown-namespace', message: msg }];
}

export function checkRules(sites: RuleSite[], diags: Diagnostic[]): void {
  const first = new Map<string, Rule>();
  for (const { rule, patternCol, info, rejected } of sites) {
    const { file, line } = rule.source;
    const warn = (col: number, code: DiagnosticCode, message: string): void => {
      diags.push({ file, line, col, severity: 'warning', code, message });
    };
    if (rule.kind === 'ref') {
      if (info.prefix.startsWith('refs/')) {
        warn(
          patternCol,
          'never-matches',
          "pattern can never match: ref names are matched without 'refs/' (write 'heads/main', not 'refs/heads/main')",
        );
      } else {
        const onlyTags = rule.ops.length > 0 && rule.ops.every((op) => op === 'create-tag');
        const msg = namespaceWarning(
          rule.pattern,
          info,
          'branch or tag: ref names are matched as heads/<branch> or tags/<tag>',
          onlyTags ? 'tags/' : 'heads/',
        );
        if (msg !== undefined) warn(patternCol, 'unknown-namespace', msg);
      }
    } else if (info.prefix.startsWith('/')) {
      warn(patternCol, 'never-matches', "pattern can never match: paths are matched without a leading '/'");
    }
    if (rejected) continue;
    const key = ruleKey(rule);
    const prev = first.get(key);
    if (prev !== undefined) {
      warn(1, 'duplicate-rule', `duplicate rule: same as ${prev.source.file}:${prev.source.line}`);
    } else first.set(key, rule);
  }
}
