import type { Diagnostic, Operation } from './model.js';
import { displayName, stripRefs } from './explain.js';
import { escapeControls } from './text.js';

/**
 * `path:line:col: error|warning: message`, the format editors and CI annotate
 * from. The path and message are escaped (escapeControls) whoever made the
 * diagnostic: both may come from a repository.
 */
export function formatDiagnostic(d: Diagnostic): string {
  return `${escapeControls(d.file)}:${d.line}:${d.col}: ${d.severity}: ${escapeControls(d.message)}`;
}

/** An operation in a few words, `fast-forward heads/main` or `modify docs/a.md` (the branch left out), for lists. */
export function formatOperation(op: Operation): string {
  return `${op.op} ${displayName(op.type === 'ref' ? stripRefs(op.ref) : op.path)}`;
}
