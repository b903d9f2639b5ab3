import type { Diagnostic, PolicyFile } from './model.js';
import { analysedPatterns, parsePolicy } from './parse.js';
import { analysePattern } from './pattern.js';
import { recordedOwner } from './owner.js';
import { policyBranchGrants } from './reach.js';
import { compareDiagnostics } from './order.js';
import { escapeControls } from './text.js';

/**
 * Every problem of a policy: syntax, unknown ops and groups, bad patterns, and
 * warnings (duplicates, patterns that can never match, stray files, tree rules
 * that let a non-owner change the policy branch), sorted by file, line,
 * column. A policy is enforceable iff none has severity `error`.
 *
 * The warnings about reaching the policy branch are made here, not by
 * parsePolicy: the hook parses the policy on every push and needs only its
 * errors, while this check compiles every tree rule's pattern.
 */
export function lintPolicy(files: PolicyFile[]): Diagnostic[] {
  const policy = parsePolicy(files);
  const infos = analysedPatterns(policy);
  const reach = policyBranchGrants(policy.rules, (text) => infos?.get(text) ?? analysePattern(text).info, recordedOwner(files));
  if (reach.length === 0) return policy.diagnostics;
  for (const d of reach) d.message = escapeControls(d.message);
  return [...policy.diagnostics, ...reach].sort(compareDiagnostics);
}
