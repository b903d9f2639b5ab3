/**
 * Admission: the last step of pre-receive for a push the policy allows.
 * Under the log lock (log-lock.ts), taken whether or not the repository
 * keeps a push log:
 * 1. the policy branch must still be the commit the push was judged by (a
 *    policy push that landed meanwhile would otherwise let a push judged by
 *    the old policy land under the new one);
 * 2. the refs the push creates must still have files of their own: the
 *    judge checked their names against the refs as they were then, and a
 *    push admitted meanwhile may have created one that folds to the same file
 *    (`refs/heads/X/Foo` next to `refs/heads/X/foo`, ref-names.ts), or
 *    one that is a directory of it or whose directory it is; and the refs it
 *    updates or deletes must still be at the old values it sends (git checks
 *    both at its ref locks, after this hook, and would fail that command
 *    alone while the others land);
 * 3. with a log: the certificate must not be in the log already (a replay
 *    within git's nonce slop window);
 * 4. the log entry for the push, as judged, is written (its objects go into
 *    the push's quarantine) and the in-flight record names it, so that the
 *    post-receive hook only has to move the log ref.
 * The lock stays held when the push is admitted: post-receive (or whoever
 * takes the lock next) ends it. Any failure releases it and refuses the push.
 */
import { errorMessage } from '../core/messages.js';
import { POLICY_REF } from '../git/policy-files.js';
import { openCliStore, type CliStore } from '../git/cli-store.js';
import { objectDirectories, withLooseReads } from '../git/loose-objects.js';
import type { PushCertificate } from '../identity/types.js';
import { LOG_REF } from '../push/log-format.js';
import { scanRecentEntries } from '../push/replay.js';
import { signedBytes } from '../identity/push-cert.js';
import { refNameProblems, refStateProblems } from '../push/ref-names.js';
import type { RefInfo } from '../git/store.js';
import { parseRefUpdates } from '../git/ref-updates.js';
import { isZeroOid } from '../git/objects.js';
import { holderOf, type InflightRecord } from './inflight.js';
import { acquireLogLock, type LogLock } from './log-lock.js';
import { compareAndSwapRef, readRefs, refFileReader } from './objects.js';
import { recoverRecord, writePushEntryObjects } from './log-writer.js';
import { openReplayRecord } from './replay-record.js';
import { listRefsFromFiles } from './ref-list.js';

export interface AdmitInput {
  gitDir: string;
  env: NodeJS.ProcessEnv;
  store: CliStore;
  /** The judged updates: pre-receive's stdin, as git sent it. */
  stdin: Uint8Array;
  certBlob: string;
  cert: PushCertificate;
  /** The policy commit the push was judged by. */
  policy: string;
  owner: string;
  pusher: string;
  judgedAt: Date;
  /** The receive-pack running this push: the hook's parent process. */
  receivePackPid: number;
  /** How long to wait for the log's lock (acl.logWaitSeconds; default 60 s). */
  timeoutMs?: number;
}

export type AdmitResult = { ok: true; lock: LogLock | null; notes: string[] } | { ok: false; reason: string; notes: string[] };

export async function admitPush(a: AdmitInput): Promise<AdmitResult> {
  const notes: string[] = [];
  // Taken whether or not the repository keeps a log: the lock is also what keeps a decision true until git has
  // written the refs (no other push can be admitted, and so none can move the policy, while it is held).
  const base: InflightRecord = { holder: await holderOf(a.receivePackPid), kind: 'push', certificate: a.certBlob };
  const lock = await acquireLogLock({
    gitDir: a.gitDir,
    record: base,
    ...(a.timeoutMs !== undefined ? { timeoutMs: a.timeoutMs } : {}),
    ...holderChecks(a.gitDir, a.env),
    recover: async (r) => {
      if (!r) return;
      // That push's objects are in the repository; this push's quarantine must not hold the repair (it may be dropped),
      // and git refuses ref updates from inside a quarantine.
      const env = outsideQuarantine(a.env);
      const store = openCliStore(a.gitDir, { env });
      try {
        const done = await recoverRecord({ store, gitDir: a.gitDir, env, record: r });
        if (done.logged)
          notes.push(
            `logged ${done.landed} of ${done.total} updates of an earlier push by ${r.pusher} that was applied but not logged (its receive-pack ${r.holder.pid} stopped first)`,
          );
      } finally {
        await store.close();
      }
    },
  });
  try {
    // One reader of git's ref files for the whole admission: with the refs packed (`git gc`), each new reader would
    // read all of packed-refs again for each ref it does not find loose.
    const files = refFileReader(a.gitDir);
    const policyNow = await readRef(a.gitDir, a.env, POLICY_REF, files);
    if (policyNow !== a.policy) {
      throw new AdmitError(
        `the policy branch changed while this push was being judged (from ${a.policy.slice(0, 12)} to ${policyNow?.slice(0, 12) ?? 'nothing'}); push again to be judged by the policy now in force`,
      );
    }
    await checkRefsNow(a, files);
    const tip = await readRef(a.gitDir, a.env, LOG_REF, files);
    if (!tip) {
      // No log (logging is on once `git acl init` started it): the lock alone. Held until post-receive releases
      // it or this push's receive-pack exits, as for a logged push.
      const judgedAt = a.judgedAt.getTime();
      await lock.update({
        ...base,
        policy: a.policy,
        owner: a.owner,
        pusher: a.pusher,
        nonce: a.cert.nonce!,
        time: Math.max(Date.now(), judgedAt),
        judgedAt,
        updates: a.stdin,
      });
      return { ok: true, lock, notes };
    }
    // The log's newest entries are loose objects: read in-process (src/git/loose-objects.ts),
    // not through cat-file round trips, while the lock is held.
    const store = withLooseReads(a.store, objectDirectories(a.gitDir, a.env));
    // What the scan needs of the entries it met before, from one small file kept under this lock (replay-record.ts):
    // an entry it holds is not read again. Any doubt about the file and the scan reads them all, as without it.
    const record = openReplayRecord(a.gitDir);
    const { usedBy: used, tipTime } = await scanRecentEntries(store, tip, a.cert, record);
    if (used)
      throw new AdmitError(
        `this push certificate was already accepted (push log entry ${used.slice(0, 12)}); a certificate is good for one push: push again`,
      );
    const judgedAt = a.judgedAt.getTime();
    // Taken under the lock: entries' times follow the log's order (judgement times need not: pushes wait here).
    // Never before the tip either: a clock stepped back must not make the log go back in time.
    const time = Math.max(Date.now(), judgedAt, tipTime);
    const logged = { policy: a.policy, owner: a.owner, pusher: a.pusher, nonce: a.cert.nonce!, time, judgedAt };
    const { commit: entry, objects } = await writePushEntryObjects({
      store,
      gitDir: a.gitDir,
      env: a.env,
      previous: tip,
      certificate: a.certBlob,
      updates: a.stdin,
      ...logged,
    });
    await lock.update({ ...base, entry, logParent: tip, ...logged, updates: a.stdin });
    // Still under the lock. Should git fail to apply this push, the entry never joins the log: the scan walks from
    // the log's real tip, so the record's line for it is never asked about.
    await record.addWritten(store, entry, objects, signedBytes(a.cert));
    record.save();
    return { ok: true, lock, notes };
  } catch (e) {
    await lock.release().catch(() => undefined);
    if (e instanceof AdmitError) return { ok: false, reason: e.message, notes };
    return { ok: false, reason: `cannot write the push log: ${errorMessage(e)}`, notes };
  }
}

class AdmitError extends Error {}

/**
 * The checks of ref-names.ts again, under the lock, against the refs as they are now: a push admitted after this
 * one's judgement may have created a ref whose name folds to, or is a directory of, a name this push creates, or
 * moved a ref this push updates (git would then fail that command at its ref lock, after the others landed). Only
 * refs this push names can have moved in a way that matters, and only created names meet new names, so a push
 * that creates nothing reads just its own refs' files; one that creates a ref lists them all, from git's files
 * too when ref-list.ts can (no process either).
 */
async function checkRefsNow(a: AdmitInput, read: RefFiles): Promise<void> {
  const updates = parseRefUpdates(a.stdin);
  let refs: ReadonlyMap<string, RefInfo> | undefined;
  if (updates.some((u) => isZeroOid(u.oldOid))) {
    // From git's files where that is certain (ref-list.ts), else from git.
    refs = listRefsFromFiles(a.gitDir, a.env) ?? (await a.store.listRefs());
    const problems = refNameProblems(updates, refs);
    if (problems.length) throw new AdmitError(`${problems.join('; ')} (a ref was created while this push was being judged)`);
  } else {
    const own = new Map<string, RefInfo>();
    for (const u of updates) {
      const oid = read?.(u.ref);
      if (oid === undefined) {
        own.clear();
        refs = await a.store.listRefs(); // not readable from files (reftable, a symbolic ref, a lock file): ask git
        break;
      }
      if (oid !== null) own.set(u.ref, { oid });
    }
    refs ??= own;
  }
  const stale = refStateProblems(updates, refs);
  if (stale.length) throw new AdmitError(`${stale.join('; ')} (another push moved it while this one was being judged)`);
}

/** The hook's environment without the push quarantine: for writing to the repository itself. */
export function outsideQuarantine(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  delete out.GIT_QUARANTINE_PATH;
  delete out.GIT_OBJECT_DIRECTORY;
  delete out.GIT_ALTERNATE_OBJECT_DIRECTORIES;
  return out;
}

/**
 * What a taker of the log lock checks of a holder (log-lock.ts): whether its push is logged (`finished`), and
 * whether git has written all of it (`applied`), in which case the taker logs it itself (`complete`).
 *
 * Why taking over a live holder whose judged refs are all at their new values is safe: git writes a push's refs
 * (one transaction per command, or one for all) before it reports to the client and runs post-receive; nothing
 * else moves those refs while the lock is held (every push is admitted under it), so a ref at its new value was
 * written by this push, and once every one is, all that post-receive would still do is move the log ref to the
 * prepared entry. The up-front refusals (ref-names.ts refStateProblems, checked at judgement and again at
 * admission) leave git no reason it can be made to have to fail one of an admitted push's updates, so a push
 * is not left with some refs written for good and others still coming.
 */
export function holderChecks(
  gitDir: string,
  env: NodeJS.ProcessEnv,
): {
  finished(r: InflightRecord): Promise<boolean>;
  applied(r: InflightRecord): Promise<boolean>;
  complete(r: InflightRecord): Promise<boolean>;
} {
  const applied = async (r: InflightRecord): Promise<boolean> => {
    // Admitted, not still being admitted: the record names the policy (and the entry when there is a log).
    if (
      r.kind !== 'push' ||
      !r.updates ||
      r.updates.length === 0 ||
      !r.policy ||
      !r.certificate ||
      Boolean(r.entry) !== Boolean(r.logParent)
    )
      return false;
    const read = refFileReader(gitDir);
    if (!read) return false; // refs not in files: only the holder knows when it is done
    for (const u of parseRefUpdates(r.updates)) {
      const now = read(u.ref);
      if (now === undefined || now !== (isZeroOid(u.newOid) ? null : u.newOid)) return false;
    }
    return true;
  };
  return {
    finished: (r) => isLogged(gitDir, env, r),
    applied,
    async complete(r) {
      if (!(await applied(r))) return false;
      // The move post-receive's usual path makes (hooks/post-receive), made from outside any push's quarantine.
      if (r.entry) return compareAndSwapRef(gitDir, outsideQuarantine(env), LOG_REF, r.entry, r.logParent!);
      return (await readRef(gitDir, env, LOG_REF)) === null; // no log: nothing to move
    },
  };
}

/** A holder is done when its prepared entry is the log tip (post-receive's usual path only moves the ref). */
async function isLogged(gitDir: string, env: NodeJS.ProcessEnv, r: InflightRecord): Promise<boolean> {
  if (r.kind !== 'push' || !r.entry) return false;
  return (await readRef(gitDir, env, LOG_REF)) === r.entry;
}

type RefFiles = ReturnType<typeof refFileReader>;

/** A ref's value from git's files (no process to start: this runs on every push and in the lock's waiting loop), else from git. */
async function readRef(
  gitDir: string,
  env: NodeJS.ProcessEnv,
  ref: string,
  files: RefFiles = refFileReader(gitDir),
): Promise<string | null> {
  let fast: string | null | undefined;
  try {
    fast = files?.(ref);
  } catch {
    fast = undefined; // unreadable: ask git
  }
  return fast === undefined ? ((await readRefs(gitDir, env, [ref])).get(ref) ?? null) : fast;
}
