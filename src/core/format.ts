import type { Diagnostic } from './model.js';
import { escapeControls } from './text.js';

/**
 * `path:line:col: error|warning: message`, the format editors and CI annotate
 * from. The path and message are escaped (escapeControls) whoever made the
 * diagnostic: both may come from a repository.
 */
export function formatDiagnostic(d: Diagnostic): string {
  return `${escapeControls(d.file)}:${d.line}:${d.col}: ${d.severity}: ${escapeControls(d.message)}`;
}
