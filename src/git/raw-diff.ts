/**
 * The raw diff of two trees as `git diff-tree -r -t -z --no-renames
 * --full-index` prints it, parsed into TreeChanges in git's byte order: what
 * the git store's diffTrees returns.
 */
import { isUtf8 } from 'node:buffer';
import type { EntryMode, TreeChange } from './store.js';
import { decodeName, sortChanges, type KeyedChange } from './names.js';
import { canonicalMode, kindOfMode } from './modes.js';
import { oneLine } from '../core/messages.js';
import { GitProcessError } from './errors.js';

/**
 * Parses `git diff-tree -r -t -z --no-renames` output:
 * `:<old mode> <new mode> <old oid> <new oid> <status>\0<path>\0` per record.
 * Records for the same path (a kind change such as file → directory comes as
 * a delete and an add) are merged into one TreeChange. Sorted by path bytes.
 */
export function parseRawDiff(out: Buffer, what: string): TreeChange[] {
  const list: KeyedChange[] = [];
  let i = 0;
  while (i < out.length) {
    // Header: ":<old mode> <new mode> <old oid> <new oid> <status>", then NUL, then the path, then NUL.
    const hdrEnd = out.indexOf(0, i);
    if (out[i] !== 0x3a /* : */ || hdrEnd < 0) throw new GitProcessError(`unexpected diff-tree output for ${what}`, ['diff-tree']);
    const header = out.toString('latin1', i + 1, hdrEnd);
    const pathEnd = out.indexOf(0, hdrEnd + 1);
    if (pathEnd < 0) throw new GitProcessError(`unexpected diff-tree output for ${what}`, ['diff-tree']);
    const parts = header.split(' ');
    const [oldMode, newMode, oldOid, newOid, status] = parts as [string, string, string, string, string];
    if (parts.length !== 5 || status.length !== 1 || !'ADMT'.includes(status) || !isHex(oldOid) || !isHex(newOid)) {
      throw new GitProcessError(`unexpected diff-tree record for ${what}: ${oneLine(header)}`, ['diff-tree']);
    }
    // The key is the path's exact bytes (one char per byte); for an ASCII path it is also the path.
    const key = out.toString('latin1', hdrEnd + 1, pathEnd);
    const change: TreeChange = { path: key };
    if (!isAscii(key)) {
      const bytes = out.subarray(hdrEnd + 1, pathEnd);
      if (isUtf8(bytes)) change.path = out.toString('utf8', hdrEnd + 1, pathEnd);
      else {
        change.path = decodeName(bytes).text;
        change.unsafeName = true;
      }
    }
    if (oldMode !== '000000') {
      const mode: EntryMode = canonicalMode(oldMode);
      change.old = { mode, kind: kindOfMode(mode), oid: oldOid };
    }
    if (newMode !== '000000') {
      const mode: EntryMode = canonicalMode(newMode);
      change.new = { mode, kind: kindOfMode(mode), oid: newOid };
    }
    list.push({ key, change });
    i = pathEnd + 1;
  }
  const sorted = sortChanges(list);
  // A change of kind (file <-> directory) comes as two records for one path, now adjacent: merge them.
  const merged: TreeChange[] = [];
  let prevKey: string | null = null;
  for (let k = 0; k < sorted.length; k++) {
    const c = sorted[k]!;
    const key = list[k]!.key; // sortChanges sorted `list` in place
    const prev = merged[merged.length - 1];
    if (prev && key === prevKey) {
      if ((c.old && prev.old) || (c.new && prev.new)) throw new GitProcessError(`duplicate diff-tree record for ${what}: ${c.path}`, ['diff-tree']);
      if (c.old) prev.old = c.old;
      if (c.new) prev.new = c.new;
      // Keep old before new in the object for stable equality with the other store.
      const { old, new: nu } = prev;
      delete prev.old;
      delete prev.new;
      if (old) prev.old = old;
      if (nu) prev.new = nu;
      continue;
    }
    merged.push(c);
    prevKey = key;
  }
  return merged;
}

function isHex(s: string): boolean {
  return (s.length === 40 || s.length === 64) && /^[0-9a-f]+$/.test(s);
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}
