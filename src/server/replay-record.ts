/**
 * The record of recent push-log entries that spares admission's replay check (src/push/replay.ts) reading them:
 * `<GIT_DIR>/git-acl/cache/log-recent.json` (`log-recent.u<uid>.json` where that name is another user's). For each
 * entry it holds, by commit id, what the scan uses: kind, time, previous entry, nonce, and for push entries the
 * SHA-256 of the certificate's signed payload. Every accepted push is admitted after that scan, so without the
 * record each push reads the entries logged since its nonce was issued (commit, tree, `entry` file, certificate
 * when the nonce is equal); with it, one small file.
 *
 * Why it cannot change a verdict:
 * - an entry is content-addressed: what was true of an id when it was recorded is true of it for ever, so a record
 *   is never stale, only incomplete;
 * - the scan walks the real chain from the real log tip; the record only answers for an id it holds, and an id it
 *   lacks is read as without a record. A record of ids that are not on the chain (another log, an entry of a push
 *   git then failed to apply, whose entry the log ref never reaches) is never asked about;
 * - it only holds ids found valid by the one definition of an entry (push/log-entries.ts readEntry): entries the
 *   scan read, and the entry admission wrote, read back from the objects just written.
 *
 * What it is trusted with: whoever can write it as the hook's user can hide a replay from the hook (a record that
 * lies about a real id). It is believed only as the hook's other caches are (cache-file.ts: a regular file, not
 * through a symbolic link, owned by this user or root and writable by nobody else, in a directory of the same
 * kind); that user can already rewrite the hooks, the refs and the log. A log holding a certificate twice still
 * fails every peer's `git acl verify`. docs/security.md ("Replay") and docs/push-log.md.
 *
 * Written only by admission, under the log's lock, whole (a temporary file renamed into place); any doubt
 * (unreadable, malformed, another format, a foreign owner) and it is ignored: the scan reads the entries, as
 * without a record. A repository the hook cannot write works the same, without the record.
 */
import { resolve } from 'node:path';
import { isOid, parseTreeObject } from '../git/objects.js';
import { hashHex } from '../git/loose-objects.js';
import type { ObjectStore, ReadLimit, TreeEntry } from '../git/store.js';
import { readEntry } from '../push/log-entries.js';
import type { EntryKind, GitObject } from '../push/log-format.js';
import { summaryOf, type EntrySummary, type KnownEntries } from '../push/replay.js';
import { foreignFile, readCacheFile, writeCacheFile } from './cache-file.js';

export const RECORD_FORMAT = 'git-acl push-log recent 1';
/**
 * Entries kept: the newest by entry time. The file is read whole by every admission, so its size must not grow
 * with the push rate; a time window would (a busy server logs several entries a second). The scan needs the
 * entries since the certificate's nonce was issued: for a fresh nonce (the usual push) the last few seconds,
 * which 32 entries cover at the rates servers see (~6 s at five pushes a second; the window is the nonce's age,
 * about a second, plus the scan's 2-second margin). Every entry more costs each push its parsing and writing (at 128
 * the record's upkeep ate most of what it saved at 10 files). Older entries a scan needs (a nonce kept valid by
 * `receive.certNonceSlop`, a push that waited long for the lock, a burst) are read from git, as without a record:
 * a longer window costs time only.
 */
export const RECORD_MAX_ENTRIES = 32;
/** Above the largest record (32 rows of two 64-hex ids, a 256-byte nonce JSON may write twice as long, a digest). */
export const RECORD_MAX_BYTES = 32 << 10;

const NAME = 'log-recent.json';
const ownName = (): string => `log-recent.u${process.getuid?.() ?? 0}.json`;
/** As parseMeta reads them (push/log-format.ts). */
const NONCE = /^[\x21-\x7e]{1,256}$/;
const DIGEST = /^[0-9a-f]{64}$/;
const KINDS = new Set<unknown>(['start', 'push', 'owner']);

const sha256 = (data: Uint8Array): string => hashHex('sha256', data);

/** One row: `[id, kind, time, previous|null, nonce|null, payload|null]`. */
type Row = [string, EntryKind, number, string | null, string | null, string | null];

/** The summaries `text` records, if it is exactly a record of this format within its bounds; else null. Never throws. */
export function parseRecord(text: string): Map<string, EntrySummary> | null {
  try {
    if (text.length > RECORD_MAX_BYTES) return null;
    const doc = JSON.parse(text) as unknown;
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return null;
    const d = doc as Record<string, unknown>;
    if (Object.keys(d).length !== 2 || d.format !== RECORD_FORMAT || !Array.isArray(d.entries)) return null;
    if (d.entries.length > RECORD_MAX_ENTRIES) return null;
    const out = new Map<string, EntrySummary>();
    for (const row of d.entries as unknown[]) {
      const s = checkRow(row);
      if (!s || out.has(s[0])) return null;
      out.set(s[0], s[1]);
    }
    return out;
  } catch {
    return null;
  }
}

function checkRow(row: unknown): [string, EntrySummary] | null {
  if (!Array.isArray(row) || row.length !== 6) return null;
  const [id, kind, time, previous, nonce, payload] = row as unknown[];
  if (typeof id !== 'string' || !isOid(id) || !KINDS.has(kind)) return null;
  if (typeof time !== 'number' || !Number.isSafeInteger(time) || time < 0) return null;
  const k = kind as EntryKind;
  // The fields an entry of its kind has, and no other (push/log-format.ts FIELDS).
  if (k === 'start' ? previous !== null : typeof previous !== 'string' || !isOid(previous) || previous.length !== id.length) return null;
  if (k === 'push' ? typeof nonce !== 'string' || !NONCE.test(nonce) : nonce !== null) return null;
  if (payload !== null && (k !== 'push' || typeof payload !== 'string' || !DIGEST.test(payload))) return null;
  return [
    id,
    {
      kind: k,
      time,
      ...(previous !== null ? { previous: previous as string } : {}),
      ...(nonce !== null ? { nonce: nonce as string } : {}),
      ...(payload !== null ? { payload: payload as string } : {}),
    },
  ];
}

/** The record of `entries`: the newest RECORD_MAX_ENTRIES by time (the first met of equal times). */
export function serialiseRecord(entries: ReadonlyMap<string, EntrySummary>): string {
  const rows: Row[] = [...entries]
    .map(([id, s], i) => ({ id, s, i }))
    .sort((a, b) => b.s.time - a.s.time || a.i - b.i)
    .slice(0, RECORD_MAX_ENTRIES)
    .map(({ id, s }) => [id, s.kind, s.time, s.previous ?? null, s.nonce ?? null, s.payload ?? null]);
  return JSON.stringify({ format: RECORD_FORMAT, entries: rows });
}

/** The record admission keeps: what the scan asks and learns, and the entry admission wrote. */
export interface ReplayRecord extends KnownEntries {
  /**
   * Records the push entry admission just wrote, once readEntry finds it valid as read from `objects` (what
   * writePushEntryObjects wrote), with the digest of `payload` (the signed payload of its certificate, which the
   * hook parsed from the same blob). Never throws: an entry it cannot check is not recorded.
   */
  addWritten(store: ObjectStore, commit: string, objects: readonly GitObject[], payload: Uint8Array): Promise<void>;
  /** Writes the record if it learnt anything. Never throws; false when not written. */
  save(): boolean;
}

/** The record of `gitDir` (empty on any doubt). Never throws. */
export function openReplayRecord(gitDir: string): ReplayRecord {
  const dir = resolve(gitDir, 'git-acl', 'cache');
  let entries: Map<string, EntrySummary> | null = null;
  try {
    const data = readCacheFile(dir, foreignFile(resolve(dir, NAME)) ? ownName() : NAME, RECORD_MAX_BYTES);
    entries = data ? parseRecord(data.toString('utf8')) : null;
  } catch {
    entries = null;
  }
  const known = entries ?? new Map<string, EntrySummary>();
  let changed = false;
  const add = (id: string, s: EntrySummary): void => {
    if (known.has(id)) return; // an id's entry never changes
    known.set(id, s);
    changed = true;
  };
  return {
    get: (id) => known.get(id),
    digest: sha256,
    add,
    async addWritten(store, commit, objects, payload) {
      try {
        const e = await readEntry(fromObjects(store, objects), commit);
        if (e.meta.kind === 'push') add(commit, summaryOf(e, sha256(payload)));
      } catch {
        // not recorded: the next scan reads it, and says what is wrong with it
      }
    },
    save() {
      if (!changed) return false;
      try {
        return writeCacheFile(dir, NAME, ownName(), serialiseRecord(known)) !== null;
      } catch {
        return false;
      }
    },
  };
}

/**
 * `store` answering from `objects` what it is sure of (an object of the type asked, within the bound), and asking
 * `store` otherwise, so that the errors are the store's own: readEntry reads an entry just written without
 * reading its files back.
 */
function fromObjects(
  store: ObjectStore,
  objects: readonly GitObject[],
): ObjectStore & { readCommit(oid: string, limit: ReadLimit): Promise<Uint8Array> } {
  const byId = new Map(objects.map((o) => [o.oid, o]));
  const typed = (oid: string, type: GitObject['type'], limit?: ReadLimit): Uint8Array | undefined => {
    const o = byId.get(oid);
    return o && o.type === type && (limit?.maxBytes === undefined || o.body.length <= limit.maxBytes) ? o.body : undefined;
  };
  const commitRead = (store as Partial<{ readCommit(oid: string, limit: ReadLimit): Promise<Uint8Array> }>).readCommit;
  return {
    resolveRef: (ref) => store.resolveRef(ref),
    readType: async (oid) => byId.get(oid)?.type ?? store.readType(oid),
    peel: (oid) => store.peel(oid),
    commitTree: (oid, limit) => store.commitTree(oid, limit),
    async readCommit(oid, limit) {
      const c = typed(oid, 'commit', limit);
      if (c) return c;
      if (commitRead) return commitRead.call(store, oid, limit);
      await store.commitTree(oid, limit);
      return (await store.readObject(oid)).content;
    },
    readBlob: async (oid, limit) => typed(oid, 'blob', limit) ?? store.readBlob(oid, limit),
    readObject: async (oid) => {
      const o = byId.get(oid);
      return o ? { type: o.type, content: o.body } : store.readObject(oid);
    },
    readTree: async (oid, limit): Promise<TreeEntry[]> => {
      const t = typed(oid, 'tree', limit);
      return t ? parseTreeObject(t, oid, oid.length / 2) : store.readTree(oid, limit);
    },
    diffTrees: (a, b, options) => store.diffTrees(a, b, options),
    isAncestor: (a, b) => store.isAncestor(a, b),
    close: () => store.close(),
  };
}
