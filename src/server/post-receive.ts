/**
 * The post-receive hook's git-acl side. The shell script (hooks/post-receive)
 * handles the usual case itself: every judged update was applied, so the
 * entry pre-receive prepared is appended by moving the log ref. This runs
 * otherwise: git applied only some updates (a ref lock failed), or the script
 * could not read the record. It logs exactly the updates git applied (its
 * stdin), then releases the log lock.
 *
 * The record may no longer be this push's: a push whose client stopped
 * reading its report had its refs written long before git got here, and a
 * push waiting for the lock logged it and took the lock over (log-lock.ts).
 * Its certificate is in the log then, and there is nothing left to do.
 */
import { openCliStore } from '../git/cli-store.js';
import { readRecord } from './inflight.js';
import { finishRecord } from './log-lock.js';
import { appendForRecord, logTip } from './log-writer.js';
import { formatWarning } from '../push/report.js';
import { errorMessage, oneLine } from '../core/messages.js';
import { scanRecentEntries } from '../push/replay.js';
import { parsePushCert, PUSH_CERT_MAX_BYTES } from '../identity/push-cert.js';
import type { ObjectStore } from '../git/store.js';

export interface PostReceiveInput {
  gitDir: string;
  env: NodeJS.ProcessEnv;
  /** The updates git applied: post-receive's stdin. */
  stdin: Uint8Array;
  /** The receive-pack that ran the push (the hook's parent). */
  receivePackPid: number;
}

/** Returns the lines to print (git shows them to the pusher); never throws. */
export async function runPostReceive(p: PostReceiveInput): Promise<string[]> {
  const store = openCliStore(p.gitDir, { env: p.env });
  try {
    const found = readRecord(p.gitDir);
    const r = found?.record;
    const own = found && r && r.kind === 'push' && r.holder.pid === p.receivePackPid && r.certificate === p.env.GIT_PUSH_CERT;
    // Appended and released only if the record is still this push's when the breaker lock is held: a waiter may be
    // taking it over at this moment.
    if (
      own &&
      (await finishRecord(
        p.gitDir,
        found.bytes,
        async () => void (await appendForRecord({ store, gitDir: p.gitDir, env: p.env, record: r, updates: p.stdin })),
      ))
    ) {
      return [];
    }
    const tip = await logTip(p.gitDir, p.env);
    if (tip && !(await loggedByTakeover(store, tip, p.env.GIT_PUSH_CERT))) {
      return [
        formatWarning(
          'this push was not admitted to the push log by the pre-receive hook; it is not logged, and `git acl verify` will report it',
        ),
      ];
    }
    return [];
  } catch (e) {
    // Left for the next push to repair from the record, or for `git acl verify` to report.
    return [formatWarning(`could not append this push to the push log: ${oneLine(errorMessage(e), Infinity)}`)];
  } finally {
    await store.close().catch(() => undefined);
  }
}

/** Is this push's certificate in the log (entries since its nonce was issued), put there by whoever took its lock over? */
async function loggedByTakeover(store: ObjectStore, tip: string, certBlob: string | undefined): Promise<boolean> {
  if (!certBlob) return false;
  try {
    const cert = parsePushCert(await store.readBlob(certBlob, { maxBytes: PUSH_CERT_MAX_BYTES }));
    return (await scanRecentEntries(store, tip, cert)).usedBy !== null;
  } catch {
    return false; // unreadable: say it is not logged, and let `git acl verify` tell
  }
}
