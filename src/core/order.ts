/** Canonical orderings: by code unit, never by locale, so every machine sorts alike. */
import type { Diagnostic } from './model.js';

export function comparePaths(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  return (
    comparePaths(a.file, b.file) ||
    a.line - b.line ||
    a.col - b.col ||
    comparePaths(a.severity, b.severity) ||
    comparePaths(a.code, b.code) ||
    comparePaths(a.message, b.message)
  );
}

export function compareSources(a: { file: string; line: number }, b: { file: string; line: number }): number {
  return comparePaths(a.file, b.file) || a.line - b.line;
}
