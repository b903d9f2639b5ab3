/**
 * How much one push may make the hook read: explicit bounds, checked while
 * the tree diff streams in, so that a small pack cannot make the hook hold
 * gigabytes of paths (a chain of 2,500 nested 255-byte directory names is a
 * 118 KB pack whose full paths add up to 800 MB). Past a bound the push is
 * refused with one line; the bounds are documented in docs/security.md
 * ("Limits") and chosen so that no push a person would make reaches them.
 * Pure, browser-safe: both stores count with it.
 */
import { LimitError } from './errors.js';

export interface DiffLimits {
  /** Bytes in one path (git's bytes, from the tree root). */
  maxPathBytes: number;
  /** Changed entries (files, directories, ...) over all the branches of one push. */
  maxChanges: number;
  /** Bytes of all the changed paths of one push, added up. */
  maxTotalPathBytes: number;
  /** Bytes of one tree object the diff reads (checked before it is read, on the git store). */
  maxTreeBytes: number;
}

/**
 * - 4,096 bytes per path: Linux's PATH_MAX; git cannot check out a longer
 *   path there (macOS and Windows stop far earlier).
 * - 1,000,000 changed entries per push: four times the largest push the
 *   bench judges (a 250,000-file branch) and twice the entries of the
 *   largest open-source trees (Chromium: about 450,000 files and
 *   directories).
 * - 256 MiB of changed paths per push: a million paths of 268 bytes, far
 *   above real trees (Chromium's paths average under 100 bytes).
 * - 16 MiB per tree object: about 300,000 entries in one directory, a
 *   hundred times the largest directories of real trees. A tree compresses
 *   a thousandfold in a pack, and the walk reads several at once: without
 *   this bound a 1 MB push could make the hook hold gigabytes.
 */
export const DIFF_LIMITS: Readonly<DiffLimits> = Object.freeze({
  maxPathBytes: 4096,
  maxChanges: 1_000_000,
  maxTotalPathBytes: 256 * 1024 * 1024,
  maxTreeBytes: 16 * 1024 * 1024,
});

const WHERE = "git-acl's limit, see docs/security.md#limits";

function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** What one push has used of its limits; shared by every diff of the push. Throws LimitError past a bound. */
export class DiffBudget {
  readonly limits: Readonly<DiffLimits>;
  changes = 0;
  pathBytes = 0;

  constructor(limits: Readonly<DiffLimits> = DIFF_LIMITS) {
    this.limits = limits;
  }

  /** Counts one changed path of `bytes` bytes; `path` names it in the refusal. */
  take(bytes: number, path: string): void {
    if (bytes > this.limits.maxPathBytes) this.pathTooLong(path);
    this.changes++;
    this.pathBytes += bytes;
    if (this.changes > this.limits.maxChanges) {
      throw new LimitError(`the push changes more than ${count(this.limits.maxChanges)} paths (${WHERE})`);
    }
    if (this.pathBytes > this.limits.maxTotalPathBytes) {
      const max = this.limits.maxTotalPathBytes;
      const size = max % 1048576 === 0 ? `${count(max / 1048576)} MiB` : `${count(max)} bytes`;
      throw new LimitError(`the paths the push changes add up to more than ${size} (${WHERE})`);
    }
  }

  /** Refuses a path known to be longer than the limit before all of it was read. */
  pathTooLong(start: string): never {
    const shown = start.length > 60 ? `${start.slice(0, 60)}...` : start;
    throw new LimitError(`the push holds a path longer than ${count(this.limits.maxPathBytes)} bytes (${JSON.stringify(shown)}; ${WHERE})`);
  }
}
