/**
 * The post-receive hook's git-acl side. The shell script (hooks/post-receive)
 * handles the usual case itself: every judged update was applied, so the
 * entry pre-receive prepared is appended by moving the log ref. This runs
 * otherwise: git applied only some updates (a ref lock failed), or the script
 * could not read the record. It logs exactly the updates git applied (its
 * stdin), then releases the log lock.
 */
import { openCliStore } from '../git/cli-store.js';
import { readRecord } from './inflight.js';
import { releaseRecord } from './log-lock.js';
import { appendForRecord, logTip } from './log-writer.js';
import { formatWarning } from '../push/report.js';
import { errorMessage, oneLine } from '../core/messages.js';

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
    if (!found || !r || r.kind !== 'push' || r.holder.pid !== p.receivePackPid || r.certificate !== p.env.GIT_PUSH_CERT) {
      if (await logTip(p.gitDir, p.env)) {
        return [
          formatWarning(
            'this push was not admitted to the push log by the pre-receive hook; it is not logged, and `git acl verify` will report it',
          ),
        ];
      }
      return [];
    }
    try {
      await appendForRecord({ store, gitDir: p.gitDir, env: p.env, record: r, updates: p.stdin });
    } finally {
      await releaseRecord(p.gitDir, found.bytes);
    }
    return [];
  } catch (e) {
    // Left for the next push to repair from the record, or for `git acl verify` to report.
    return [formatWarning(`could not append this push to the push log: ${oneLine(errorMessage(e), Infinity)}`)];
  } finally {
    await store.close().catch(() => undefined);
  }
}
