import type { Diagnostic } from './model.js';

/** `path:line:col: error|warning: message`, the format editors and CI annotate from. */
export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.col}: ${d.severity}: ${d.message}`;
}
