/** Canonical orderings: by code unit, never by locale, so every machine sorts alike. */
import type { Diagnostic } from './model.js';

export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  return (
    compareCodeUnits(a.file, b.file) ||
    a.line - b.line ||
    a.col - b.col ||
    compareCodeUnits(a.severity, b.severity) ||
    compareCodeUnits(a.code, b.code) ||
    compareCodeUnits(a.message, b.message)
  );
}

export function compareSources(a: { file: string; line: number }, b: { file: string; line: number }): number {
  return compareCodeUnits(a.file, b.file) || a.line - b.line;
}
