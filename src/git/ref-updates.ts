/** Parses pre-receive's stdin: one `<old-oid> <new-oid> <ref>` line per ref update. */
import type { RefUpdate } from './operations.js';
import { decodeName } from './names.js';

const LINE = /^([0-9a-f]{40}|[0-9a-f]{64}) ([0-9a-f]{40}|[0-9a-f]{64}) (refs\/.+)$/;

/** Ref names are bytes to git; a name that is not clean UTF-8 is marked so the core grants it only by an exact rule. */
export function parseUpdates(input: Uint8Array): RefUpdate[] {
  const updates: RefUpdate[] = [];
  let start = 0;
  for (let i = 0; i <= input.length; i++) {
    if (i < input.length && input[i] !== 0x0a) continue;
    const { text: line, unsafe } = decodeName(input.subarray(start, i));
    start = i + 1;
    if (line === '') continue;
    const m = LINE.exec(line);
    if (!m) throw new Error(`unexpected line on the hook's stdin: ${JSON.stringify(line.slice(0, 120))}`);
    updates.push({ oldOid: m[1]!, newOid: m[2]!, ref: m[3]!, ...(unsafe ? { unsafeName: true } : {}) });
  }
  return updates;
}
