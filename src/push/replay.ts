/**
 * Has the log already accepted this certificate? git's nonce is an HMAC of
 * the time in seconds, so with `receive.certNonceSlop` a captured certificate
 * stays acceptable to git for the slop window (docs/security.md, "Replay").
 * The log holds every accepted certificate, and the original push of a
 * certificate was logged after its nonce was issued, so only the entries since
 * the nonce's time need a look: the cost is the pushes logged since this push's
 * nonce was issued (usually none or one), not the log's length.
 *
 * Two different pushes in the same second get the same nonce from git, so the
 * identity of a certificate is its signed payload (pusher line with its
 * timestamp, pushee, nonce, options, updates), never the nonce alone nor the
 * blob (unhashed signature data can be changed without breaking it).
 */
import type { ObjectStore } from '../git/store.js';
import { parsePushCert, signedBytes } from '../identity/push-cert.js';
import type { PushCertificate } from '../identity/types.js';
import { nonceTime, type EntryKind } from './log-format.js';
import { readEntry, readEntryCertificate, type LogEntry } from './log-entries.js';

/**
 * The original push was admitted after git issued its nonce, on the same clock: entries older than the
 * nonce cannot be it. The margin only absorbs a small clock step; a replay hidden by a larger one is still
 * caught by every peer's `git acl verify` (no certificate twice).
 */
export const REPLAY_MARGIN_MS = 2_000;

export async function findCertificateInLog(store: ObjectStore, tip: string, cert: PushCertificate): Promise<string | null> {
  return (await scanRecentEntries(store, tip, cert)).usedBy;
}

/**
 * What the scan uses of one entry, as a record of recent entries keeps it (src/server/replay-record.ts). An entry
 * is content-addressed, so what is true of an id once is true of it for ever.
 */
export interface EntrySummary {
  kind: EntryKind;
  time: number;
  /** Absent for the start entry only. */
  previous?: string;
  /** Push entries. */
  nonce?: string;
  /** Push entries: the digest (KnownEntries.digest) of its certificate's signed payload, when the certificate was read. */
  payload?: string;
}

/**
 * Entries known to be valid, by commit id: a record kept by the server under the log's lock. The scan still walks
 * the real chain from the real tip; only for an id the record holds does it take what it needs from there instead
 * of reading the entry. Any id it lacks is read as without a record (and offered to `add`).
 */
export interface KnownEntries {
  get(id: string): EntrySummary | undefined;
  /** The digest the record keeps of a signed payload (equal digests = equal payloads). */
  digest(payload: Uint8Array): string;
  /** An entry the scan read whole and found valid (readEntry), with its certificate's digest when it was read. */
  add(id: string, summary: EntrySummary): void;
}

/** What a record keeps of an entry read and found valid by readEntry. */
export function summaryOf(e: LogEntry, payload?: string): EntrySummary {
  const { kind, time, previous, nonce } = e.meta;
  return {
    kind,
    time,
    ...(previous !== undefined ? { previous } : {}),
    ...(nonce !== undefined ? { nonce } : {}),
    ...(payload !== undefined ? { payload } : {}),
  };
}

/**
 * The entry that already holds `cert` (or null), and the time of the log's tip (the next entry must not be older).
 *
 * Each entry down to the first one older than the nonce is read whole (readEntry: commit, tree, `entry` file, and
 * `objects/` when it has one), the certificate only when the nonces are equal. Comparing nonces needs less (the
 * `objects/` tree, the file list's strictness), but a malformed entry in the window is refused here as everywhere
 * else, by the one definition of a valid entry, rather than passed over. Nor can the scan stop at a commit's
 * date: readers do not check it against the entry's `time`, so only the `entry` file says how old an entry is.
 *
 * With `known`, an entry the record holds is not read: the record only holds entries found valid by that same
 * definition (read, or written by admission and read back), so skipping the read changes no verdict. A push
 * entry with the certificate's nonce whose payload the record does not know is read as without a record. A walk
 * that comes back to an entry (only a record's links can lead it round) is made again without the record.
 */
export async function scanRecentEntries(
  store: ObjectStore,
  tip: string,
  cert: PushCertificate,
  known?: KnownEntries,
): Promise<{ usedBy: string | null; tipTime: number }> {
  const seconds = cert.nonce === undefined ? null : nonceTime(cert.nonce);
  if (seconds === null) throw new Error(`the push certificate's nonce ${JSON.stringify(cert.nonce ?? '')} carries no time`);
  const floor = seconds * 1000 - REPLAY_MARGIN_MS;
  const payload = signedBytes(cert);
  let digest: string | undefined;
  const payloadDigest = (k: KnownEntries): string => (digest ??= k.digest(payload));
  let tipTime: number | null = null;
  // Ids met, with a record only: a real chain never comes back to an entry (each id hashes the previous one's), so
  // a walk that does was led round by the record's links, with no read in between to end it (the hook's timer and
  // signal handlers would never run, the log's lock held for ever). Such a record is not believed at all.
  const met = known ? new Set<string>() : undefined;
  for (let cur: string | undefined = tip; cur; ) {
    if (met) {
      if (met.has(cur)) return scanRecentEntries(store, tip, cert);
      met.add(cur);
    }
    const k: EntrySummary | undefined = known?.get(cur);
    if (k && !(k.kind === 'push' && k.nonce === cert.nonce && k.payload === undefined)) {
      tipTime ??= k.time;
      if (k.time < floor) break;
      if (k.kind === 'push' && k.nonce === cert.nonce && k.payload === payloadDigest(known!)) return { usedBy: cur, tipTime };
      cur = k.previous;
      continue;
    }
    const e = await readEntry(store, cur);
    tipTime ??= e.meta.time;
    if (e.meta.time < floor) {
      known?.add(cur, summaryOf(e));
      break;
    }
    let other: Uint8Array | undefined;
    if (e.meta.kind === 'push' && e.meta.nonce === cert.nonce) {
      other = signedBytes(parsePushCert(await readEntryCertificate(store, e)));
    }
    known?.add(cur, summaryOf(e, other && known.digest(other)));
    if (other && sameBytes(other, payload)) return { usedBy: cur, tipTime };
    cur = e.meta.previous;
  }
  return { usedBy: null, tipTime: tipTime ?? 0 };
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
