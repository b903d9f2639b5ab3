import type { Diagnostic, Operation } from './model.js';
import { describeOp } from './explain.js';

/** `path:line:col: error|warning: message`, the format editors and CI annotate from. */
export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.col}: ${d.severity}: ${d.message}`;
}

/** An operation in a few words, `fast-forward heads/main` or `modify docs/a.md` (the branch left out), for lists. */
export function formatOperation(op: Operation): string {
  const d = describeOp(op);
  return `${d.op} ${d.name}`;
}
