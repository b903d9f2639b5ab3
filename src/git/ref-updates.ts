/**
 * `<old-oid> <new-oid> <ref>` lines: what git feeds pre-receive (and
 * post-receive) on stdin, and what a push certificate signs. One parser for
 * both. No Node-only imports.
 */
import { decodeName } from './names.js';
import { GitError } from './errors.js';

/** One ref update: a line of a hook's stdin or of a push certificate. A 40-zero (or 64-zero) oid means absent. */
export interface RefUpdate {
  oldOid: string;
  newOid: string;
  /** Full ref name, e.g. `refs/heads/main`. */
  ref: string;
  /** Set when the ref name's bytes were not valid UTF-8; copied to the ref operation. */
  unsafeName?: boolean;
}

const LINE = /^([0-9a-f]{40}|[0-9a-f]{64}) ([0-9a-f]{40}|[0-9a-f]{64}) (refs\/.+)$/;

/** One `<oid> <oid> refs/...` line, or undefined when the line is anything else. */
export function parseRefUpdateLine(line: string): RefUpdate | undefined {
  const m = LINE.exec(line);
  return m ? { oldOid: m[1]!, newOid: m[2]!, ref: m[3]! } : undefined;
}

function unexpectedLine(line: string): Error {
  return new GitError('malformed-input', `unexpected line on the hook's stdin: ${JSON.stringify(line.slice(0, 120))}`);
}

/**
 * Every update of a hook's stdin, in order; empty lines are skipped, any other
 * line that is not an update throws (`bad` makes the error). Ref names are
 * bytes to git: from bytes, a name that is not clean UTF-8 is marked
 * (`unsafeName`) so the core grants it only by an exact rule.
 */
export function parseRefUpdates(input: Uint8Array | string, bad: (line: string) => Error = unexpectedLine): RefUpdate[] {
  const updates: RefUpdate[] = [];
  const take = (line: string, unsafe: boolean): void => {
    if (line === '') return;
    const u = parseRefUpdateLine(line);
    if (!u) throw bad(line);
    if (unsafe) u.unsafeName = true;
    updates.push(u);
  };
  if (typeof input === 'string') {
    for (const line of input.split('\n')) take(line, false);
    return updates;
  }
  let start = 0;
  for (let i = 0; i <= input.length; i++) {
    if (i < input.length && input[i] !== 0x0a) continue;
    const { text, unsafe } = decodeName(input.subarray(start, i));
    start = i + 1;
    take(text, unsafe);
  }
  return updates;
}
