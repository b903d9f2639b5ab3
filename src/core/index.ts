/**
 * git-acl/core: parse, lint, compile and evaluate access-control policies.
 * Pure and browser-safe: no Node built-in, no I/O.
 */
export * from './model.js';
export { parsePolicy } from './parse.js';
export { lintPolicy } from './lint.js';
export { compilePolicy, CompiledPolicy, PolicyError } from './compile.js';
export { evaluate } from './evaluate.js';
export { formatDiagnostic, formatOperation } from './format.js';
export { formatTraceStep } from './explain.js';
export { escapeControls } from './text.js';
export { suggestOp } from './ops.js';
export { isUserId } from './ids.js';
export { OWNER_FILE, parseOwnerFile, recordedOwner } from './owner.js';
