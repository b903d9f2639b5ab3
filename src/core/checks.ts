/**
 * Checks across rules that only warn: duplicates, and patterns that can never
 * match because of how names are written (no `refs/`, no leading `/`).
 */
import type { Diagnostic, Rule } from './model.js';

/** A parsed rule with the columns that its warnings point at. */
export interface RuleSite {
  rule: Rule;
  patternCol: number;
  /** Literal text every match of the pattern starts with. */
  prefix: string;
  scopeCol: number;
  scopeLine: number;
  scopePrefix: string;
}

/** Ref namespaces git and common forges use; a ref pattern starting elsewhere is probably missing `heads/`. */
const KNOWN_NAMESPACES = new Set([
  'heads', 'tags', 'notes', 'remotes', 'replace', 'stash', 'changes', 'pull', 'merge-requests', 'for', 'meta',
  'keep-around', 'prefetch', 'bisect', 'original', 'rewritten', 'worktree', 'users', 'drafts', 'publish',
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

function namespaceWarning(pattern: string, prefix: string, what: string, suggestNs: string): string | undefined {
  const slash = prefix.indexOf('/');
  if (slash <= 0) return undefined;
  const ns = prefix.slice(0, slash);
  if (KNOWN_NAMESPACES.has(ns)) return undefined;
  return `'${pattern}' matches no branch or tag: ${what} are matched as heads/<branch> or tags/<tag> (did you mean '${withNamespace(pattern, suggestNs)}'?)`;
}

export function checkRules(sites: RuleSite[], diags: Diagnostic[]): void {
  const first = new Map<string, Rule>();
  const scopesSeen = new Set<string>();
  for (const { rule, patternCol, prefix, scopeCol, scopeLine, scopePrefix: sp } of sites) {
    const { file, line } = rule.source;
    const warn = (col: number, code: string, message: string, atLine = line): void => {
      diags.push({ file, line: atLine, col, severity: 'warning', code, message });
    };
    if (rule.kind === 'ref') {
      if (prefix.startsWith('refs/')) {
        warn(patternCol, 'never-matches', "pattern can never match: ref names are matched without 'refs/' (write 'heads/main', not 'refs/heads/main')");
      } else {
        const onlyTags = rule.ops.every((op) => op === 'create-tag');
        const msg = namespaceWarning(rule.pattern, prefix, 'ref names', onlyTags ? 'tags/' : 'heads/');
        if (msg !== undefined) warn(patternCol, 'unknown-namespace', msg);
      }
    } else if (prefix.startsWith('/')) {
      warn(patternCol, 'never-matches', "pattern can never match: paths are matched without a leading '/'");
    }
    if (rule.scope !== undefined) {
      const scopeKey = `${file}\u0000${scopeLine}`;
      if (!scopesSeen.has(scopeKey)) {
        scopesSeen.add(scopeKey);
        if (sp.startsWith('refs/')) {
          warn(scopeCol, 'never-matches', "branch pattern can never match: branch names are matched without 'refs/' (write 'heads/main')", scopeLine);
        } else if (sp.startsWith('tags/')) {
          warn(scopeCol, 'never-matches', 'branch pattern can never match: tree rules never apply to tags', scopeLine);
        } else {
          const msg = namespaceWarning(rule.scope, sp, 'branch names', 'heads/');
          if (msg !== undefined) warn(scopeCol, 'unknown-namespace', msg, scopeLine);
        }
      }
    }
    const key = ruleKey(rule);
    const prev = first.get(key);
    if (prev !== undefined) {
      warn(1, 'duplicate-rule', `duplicate rule: same as ${prev.source.file}:${prev.source.line}`);
    } else first.set(key, rule);
  }
}
