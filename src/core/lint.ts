import type { Diagnostic, PolicyFile } from './model.js';
import { parsePolicy } from './parse.js';

/**
 * Every problem of a policy: syntax, unknown ops and groups, bad patterns, and
 * warnings (duplicates, patterns that can never match, stray files), sorted by
 * file, line, column. A policy is enforceable iff none has severity `error`.
 */
export function lintPolicy(files: PolicyFile[]): Diagnostic[] {
  return parsePolicy(files).diagnostics;
}
