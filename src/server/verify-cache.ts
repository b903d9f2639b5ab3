/**
 * Where the certificate check's fast path (fast-identity.ts) finds what openpgp established about a key file:
 * `<GIT_DIR>/git-acl/cache/key-<sha256>.json` (`key-<sha256>.u<uid>.json` where that name is another user's),
 * one file per key file, named after the SHA-256 of the key file's
 * path and bytes (so a changed key file, a revocation included, is another file: content decides, never a
 * name). Same rules as the hook's code cache (src/hook/start.ts): written whole (a temporary file renamed into
 * place), read only if it is a regular file owned by this user or root and writable by nobody else, in a
directory of the same kind (cache-file.ts); any doubt
 * (unreadable, malformed, another format, another key file) and the file is ignored: the openpgp path runs,
 * with the same verdict. A repository this user cannot write gets no cache, and the same verdicts.
 */
import { createHash } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { foreignFile, readCacheFile, writeCacheFile } from './cache-file.js';
import type { KeyFileRef } from '../identity/key-index.js';
import type { VerifiedKeyRecord } from '../identity/verify.js';

const FORMAT = 'git-acl verified keys 1';
/** Far above a real file (a few records of a few KiB): a bigger one is not ours. */
const MAX_BYTES = 256 << 10;
/** Records kept per key file (one per signing key; a new one replaces the old one of the same key). */
const MAX_RECORDS = 8;

/** The SHA-256 (hex) of a key file's path and bytes: what names its cache file. */
export function keyFileHash(ref: KeyFileRef): string {
  return createHash('sha256').update(ref.fileName).update('\0').update(ref.armored).digest('hex');
}

const fileOf = (dir: string, hash: string): string => join(dir, `key-${hash}.json`);
/**
 * This user's own name for the file where the shared name belongs to another user (a repository several
 * accounts push to): each keeps its own, as with the code cache, instead of replacing the other's in turn.
 */
const ownFileOf = (dir: string, hash: string): string => join(dir, `key-${hash}.u${process.getuid?.() ?? 0}.json`);

const isHex = (s: unknown, len?: number): s is string =>
  typeof s === 'string' && /^[0-9a-fA-F]*$/.test(s) && s.length % 2 === 0 && (len === undefined || s.length === len);
const isTime = (t: unknown): t is number | null => t === null || (typeof t === 'number' && Number.isSafeInteger(t));
const isStrings = (a: unknown): a is string[] => Array.isArray(a) && a.every((x) => typeof x === 'string');

/** The record, if `x` is exactly one (every field of the right type); else null. */
function checkRecord(x: unknown): VerifiedKeyRecord | null {
  if (typeof x !== 'object' || x === null) return null;
  const r = x as Record<string, unknown>;
  const pk = r.publicKey as Record<string, unknown> | undefined;
  const pusher = r.pusher as Record<string, unknown> | undefined;
  const info = pusher?.keyInfo as Record<string, unknown> | undefined;
  if (!/^[0-9A-F]{40}$/.test(String(r.fingerprint)) || r.keyId !== String(r.fingerprint).slice(-16)) return null;
  if (typeof pk !== 'object' || pk === null) return null;
  if (r.algorithm === 1) {
    if (!isHex(pk.n) || !isHex(pk.e) || pk.n.length === 0 || pk.e.length === 0 || Object.keys(pk).length !== 2) return null;
  } else if (r.algorithm === 22) {
    if (!isHex(pk.x, 64) || Object.keys(pk).length !== 1) return null;
  } else return null;
  if (!isTime(r.keyCreated) || r.keyCreated === null || !isTime(r.after) || !isTime(r.before)) return null;
  if (typeof pusher !== 'object' || pusher === null || typeof info !== 'object' || info === null) return null;
  if (!/^[0-9A-F]{40}$/.test(String(pusher.userId)) || typeof pusher.keyFile !== 'string' || pusher.signingKeyId !== r.keyId) return null;
  if (info.fingerprint !== pusher.userId || !isStrings(info.keyIds) || !isStrings(info.userIds)) return null;
  return x as VerifiedKeyRecord;
}

/** The records kept for this key file; [] when there are none or on any doubt. Never throws. */
export function readVerifiedKeys(dir: string, ref: KeyFileRef): VerifiedKeyRecord[] {
  const hash = keyFileHash(ref);
  return readFile(foreignFile(fileOf(dir, hash)) ? ownFileOf(dir, hash) : fileOf(dir, hash), hash, ref);
}

function readFile(file: string, hash: string, ref: KeyFileRef): VerifiedKeyRecord[] {
  try {
    // Believed only where nobody else could have put it (cache-file.ts): no symbolic link, this user's, in a directory of this user's.
    const data = readCacheFile(dirname(file), basename(file), MAX_BYTES);
    if (!data) return [];
    const doc = JSON.parse(data.toString('utf8')) as { format?: unknown; keyFile?: unknown; records?: unknown };
    if (doc.format !== FORMAT || doc.keyFile !== hash || !Array.isArray(doc.records) || doc.records.length > MAX_RECORDS) return [];
    const records = doc.records.map(checkRecord);
    if (records.some((r) => r === null || r.pusher.keyFile !== ref.fileName)) return [];
    return records as VerifiedKeyRecord[];
  } catch {
    return [];
  }
}

/** Keeps `record` for this key file (replacing the one of the same signing key). Never throws; false if not written. */
export function writeVerifiedKey(dir: string, ref: KeyFileRef, record: VerifiedKeyRecord): boolean {
  const hash = keyFileHash(ref);
  const records = [record, ...readVerifiedKeys(dir, ref).filter((r) => r.fingerprint !== record.fingerprint)].slice(0, MAX_RECORDS);
  const data = JSON.stringify({ format: FORMAT, keyFile: hash, records });
  return writeCacheFile(dir, basename(fileOf(dir, hash)), basename(ownFileOf(dir, hash)), data) !== null;
}
