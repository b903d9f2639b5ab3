/**
 * Reading back a file the hook wrote to save work on later pushes: the hook's V8 code cache (src/hook/start.ts)
 * and the records of verified keys (verify-cache.ts). What such a file says is believed (compiled code to run, a
 * key to verify a pusher with), so it is read only where nobody but the hook's user (or root) could have put it:
 * - the directory holding it is a directory itself (not a symbolic link), owned by this user or root and writable
 *   by nobody else: in a directory others may write, anyone can rename in a file this user owns (a checked-out
 *   work tree's, another service's) whose bytes they chose;
 * - the file is a regular file reached without following a symbolic link (fstat would judge the link's target),
 *   owned by this user or root, writable by nobody else, of at most `maxBytes`.
 * Anything else, or any error, is null: the caller then works without its cache (slower, never another answer).
 * docs/security.md ("The certificate check's fast path") and docs/performance.md ("How the hook starts").
 */
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  type Stats,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

const ours = (st: Stats): boolean => {
  const uid = process.getuid?.() ?? 0;
  return (st.uid === uid || st.uid === 0) && (st.mode & 0o022) === 0;
};

/** The bytes of `<dir>/<name>` when the hook may believe them (above), else null. Never throws. */
export function readCacheFile(dir: string, name: string, maxBytes: number): Buffer | null {
  let fd: number | undefined;
  try {
    const d = lstatSync(dir, { throwIfNoEntry: false });
    if (!d?.isDirectory() || !ours(d)) return null;
    fd = openSync(join(dir, name), constants.O_RDONLY | constants.O_NOFOLLOW);
    const st = fstatSync(fd);
    if (!st.isFile() || !ours(st) || st.size > maxBytes) return null;
    const data = Buffer.allocUnsafe(st.size);
    let got = 0;
    while (got < data.length) {
      const n = readSync(fd, data, got, data.length - got, got);
      if (n === 0) return null; // shrank while read
      got += n;
    }
    return data;
  } catch {
    return null;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** A file made by another user than this one or root: never read, never replaced. */
export function foreignFile(file: string): boolean {
  try {
    const uid = lstatSync(file).uid;
    return uid !== (process.getuid?.() ?? 0) && uid !== 0;
  } catch {
    return false;
  }
}

/**
 * Writes `data` as `<dir>/<name>` whole: a temporary file renamed into place, so readers see the old file or the
 * new one, never half. Where `name` belongs to another user (accounts sharing a repository), this user's own name
 * `own` is written instead, so that they do not replace each other's file in turn. Returns the path written, or
 * null (a directory that cannot be written: the caller works without its cache). Never throws.
 */
export function writeCacheFile(dir: string, name: string, own: string, data: Uint8Array | string): string | null {
  const tmp = join(dir, `.${name}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  const target = join(dir, foreignFile(join(dir, name)) ? own : name);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    writeFileSync(tmp, data, { mode: 0o644, flag: 'wx' });
    renameSync(tmp, target);
    return target;
  } catch {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // nothing was written there
    }
    return null;
  }
}
