/**
 * `git diff-tree -r -t -z --no-renames --full-index` output parsed into
 * TreeChanges in git's byte order: git's own reading of a diff, for tests
 * that check the stores' in-process walk (src/git/tree-diff.ts) against it.
 * (The stores do not run diff-tree: it holds the whole diff in memory before
 * printing any of it, so its work cannot be bounded from outside.)
 */
import { isUtf8 } from 'node:buffer';
import type { EntryMode, TreeChange } from '../../src/git/store.js';
import { decodeName, sortChanges, type KeyedChange } from '../../src/git/names.js';
import { canonicalMode, kindOfMode } from '../../src/git/modes.js';
import { oneLine } from '../../src/core/messages.js';
import { GitProcessError } from '../../src/git/errors.js';
import { DiffBudget } from '../../src/git/limits.js';

/** `:` + two 6-digit modes + two 64-hex ids + status, with their separators: no header is longer. */
const MAX_HEADER = 1 + 7 + 7 + 65 + 65 + 1;

/**
 * Parses `git diff-tree -r -t -z --no-renames` output, pushed chunk by chunk:
 * `:<old mode> <new mode> <old oid> <new oid> <status>\0<path>\0` per record.
 * Records for the same path (a kind change such as file → directory comes as
 * a delete and an add) are merged into one TreeChange by `finish`, which
 * returns the changes sorted by path bytes.
 */
export class RawDiffParser {
  private readonly list: KeyedChange[] = [];
  /** The start of a record cut by a chunk boundary (a copy: never a view that keeps a whole chunk alive). */
  private carry: Buffer | null = null;

  constructor(
    private readonly what: string,
    private readonly budget: DiffBudget = new DiffBudget(),
  ) {}

  push(chunk: Buffer): void {
    const buf = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    this.carry = null;
    const n = buf.length;
    let i = 0;
    while (i < n) {
      if (buf[i] !== 0x3a /* : */) throw this.unexpected();
      const hdrEnd = buf.indexOf(0, i);
      if (hdrEnd < 0) {
        if (n - i > MAX_HEADER) throw this.unexpected();
        break;
      }
      const pathEnd = buf.indexOf(0, hdrEnd + 1);
      if (pathEnd < 0) {
        // The path is still coming: refuse it as soon as it is known to be too long.
        if (n - hdrEnd - 1 > this.budget.limits.maxPathBytes) this.budget.pathTooLong(buf.toString('latin1', hdrEnd + 1, hdrEnd + 61));
        break;
      }
      this.record(buf, i, hdrEnd, pathEnd);
      i = pathEnd + 1;
    }
    if (i < n) this.carry = Buffer.from(buf.subarray(i));
  }

  /** The changes, sorted by path bytes, the records of one path merged. Throws if the output ended mid-record. */
  finish(): TreeChange[] {
    if (this.carry) throw this.unexpected();
    return mergeSorted(this.list, this.what);
  }

  private record(buf: Buffer, start: number, hdrEnd: number, pathEnd: number): void {
    const header = buf.toString('latin1', start + 1, hdrEnd);
    // `<6> <6> <L> <L> <status>`: the ids' length follows from the header's (40 for SHA-1, 64 for SHA-256).
    const oidLength = (header.length - 17) / 2;
    if (
      (oidLength !== 40 && oidLength !== 64) ||
      header.charCodeAt(6) !== 0x20 ||
      header.charCodeAt(13) !== 0x20 ||
      header.charCodeAt(14 + oidLength) !== 0x20 ||
      header.charCodeAt(15 + 2 * oidLength) !== 0x20
    ) {
      throw new GitProcessError(`unexpected diff-tree record for ${this.what}: ${oneLine(header)}`, ['diff-tree']);
    }
    const status = header[header.length - 1]!;
    if (status !== 'A' && status !== 'D' && status !== 'M' && status !== 'T') {
      throw new GitProcessError(`unexpected diff-tree record for ${this.what}: ${oneLine(header)}`, ['diff-tree']);
    }
    const oldMode = header.slice(0, 6);
    const newMode = header.slice(7, 13);
    const oldOid = header.slice(14, 14 + oidLength);
    const newOid = header.slice(15 + oidLength, 15 + 2 * oidLength);
    // The key is the path's exact bytes (one char per byte); for an ASCII path it is also the path.
    const key = buf.toString('latin1', hdrEnd + 1, pathEnd);
    this.budget.take(pathEnd - hdrEnd - 1, key);
    const change: TreeChange = { path: key };
    if (!isAscii(key)) {
      const bytes = buf.subarray(hdrEnd + 1, pathEnd);
      if (isUtf8(bytes)) change.path = buf.toString('utf8', hdrEnd + 1, pathEnd);
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
    this.list.push({ key, change });
  }

  private unexpected(): GitProcessError {
    return new GitProcessError(`unexpected diff-tree output for ${this.what}`, ['diff-tree']);
  }
}

/** Parses a whole `git diff-tree -r -t -z --no-renames` output at once (see RawDiffParser). */
export function parseRawDiff(out: Buffer, what: string, budget?: DiffBudget): TreeChange[] {
  const p = new RawDiffParser(what, budget);
  p.push(out);
  return p.finish();
}

/** Sorts by path bytes and merges the two records git prints for a path whose kind changed. */
function mergeSorted(list: KeyedChange[], what: string): TreeChange[] {
  const sorted = sortChanges(list);
  const merged: TreeChange[] = [];
  let prevKey: string | null = null;
  for (let k = 0; k < sorted.length; k++) {
    const c = sorted[k]!;
    const key = list[k]!.key; // sortChanges sorted `list` in place
    const prev = merged[merged.length - 1];
    if (prev && key === prevKey) {
      if ((c.old && prev.old) || (c.new && prev.new))
        throw new GitProcessError(`duplicate diff-tree record for ${what}: ${c.path}`, ['diff-tree']);
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

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}
