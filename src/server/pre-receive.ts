/**
 * The pre-receive hook (docs/reference.md#the-hook-contract): who is pushing, what the push does, and
 * whether the policy on the branch as it was before the push allows all of it.
 *
 * Order matters for failing closed and for speed: cheap refusals first
 * (unsigned push, no owner, no policy), then the certificate, then the
 * operations. openpgp loads only when the certificate check's fast path cannot vouch for the signature
 * (fast-identity.ts). Every error becomes a rejection with one line.
 */
import { readHookConfig } from '../git/exec.js';
import { locationFromEnv } from '../git/location.js';
import { historyRewrittenBy } from '../git/repo-state.js';
import { openCliStore, type CliStore } from '../git/cli-store.js';
import { POLICY_REF, readKeyBlob } from '../git/policy-files.js';
import { createKeyFinder } from '../identity/key-index.js';
import type { ObjectStore, RefInfo } from '../git/store.js';
import { listRefsFromFiles } from './ref-list.js';
import { isUserId } from '../core/index.js';
import { errorMessage, oneLine } from '../core/messages.js';
import { checkPushEnv, requireSignedPush } from '../identity/push-env.js';
import { IdentityError } from '../identity/errors.js';
import { objectStoreWriteProblem, unreadableConfig } from './repo-health.js';
import { findReceivePack } from './inflight.js';
import { LOCK_TIMEOUT_MS } from './log-lock.js';
import { noteWarmSeconds, warmSeconds } from './warm-judge.js';
import { parsePushCert, PUSH_CERT_MAX_BYTES } from '../identity/push-cert.js';
import { ObjectTooLargeError } from '../git/errors.js';
import { formatCount } from '../core/limits.js';
import { identifyPusher } from '../push/registration.js';
import { fastIdentify } from './fast-identity.js';
import { writeVerifiedKey } from './verify-cache.js';
import { readPolicyTreeCached } from './policy-cache.js';
import { serverOwnerProblem } from '../push/owner-check.js';
import { compileServerPolicy, judgePush } from '../push/judge.js';
import { formatFailure, formatNote, formatVerdict } from '../push/report.js';
import { parseRefUpdates } from '../git/ref-updates.js';
import { refStateProblems } from '../push/ref-names.js';
import { isZeroOid } from '../git/objects.js';
import type { RefUpdate } from '../git/ref-updates.js';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export interface PreReceiveInput {
  /** The repository's git directory (pre-receive runs with GIT_DIR set, usually `.`). */
  gitDir: string;
  env: Record<string, string | undefined>;
  stdin: Uint8Array;
  /** A seam for fault-injection tests: replaces the judging step. */
  judge?: typeof judgePush;
  /**
   * Admit an accepted push to the push log (default true): lock the log, check the policy did not move
   * and the certificate was never used, prepare the entry. False judges only (for callers that are not
   * the hook of a receive-pack, which must not take the log's lock).
   */
  pushLog?: boolean;
  /** Told the hook's time limit once the config is read (it depends on acl.logWaitSeconds): hook/main.ts re-arms its timer. */
  onTimeLimit?: (ms: number) => void;
  /** The receive-pack running the push (default: the nearest ancestor that is one, see findReceivePack). */
  receivePackPid?: number;
  /**
   * The caller exits as soon as this returns (the hook process): the store's git children are told to stop (their
   * stdin closed) but not waited for, ~1 ms of every push; the exit kills whatever is left (git/exec.ts killChildren).
   */
  exitsAfter?: boolean;
}

export interface PreReceiveResult {
  accepted: boolean;
  /** What to print on stderr, one entry a line. */
  lines: string[];
  /** The verified pusher, once known. */
  userId?: string;
}

export async function runPreReceive(input: PreReceiveInput): Promise<PreReceiveResult> {
  const { gitDir, env } = input;
  let store: CliStore | undefined;
  let userId: string | undefined;
  try {
    const updates = parseRefUpdates(input.stdin);
    // git runs pre-receive only with commands to judge: none means something else ran the hook, or took its stdin
    // first (a warm judge that read them and died); accepting would let through whatever git then applies.
    if (updates.length === 0)
      throw new Error('git passed this hook no ref update to judge; the server admin must check how the hook is run');
    const certBlob = signedPush(gitDir, env);
    // The config is read by a git child while the refs are read. Reading refs starts nothing that a refusal below
    // would have to undo; the refs are only used, and a failure to list them only reported, once the config checks
    // passed.
    const configRead = readHookConfig(gitDir, env as NodeJS.ProcessEnv);
    store = openCliStore(locationFromEnv(gitDir, env), { env: env as NodeJS.ProcessEnv });
    // The certificate is asked for now, first in cat-file's queue: its answer comes while the policy is read and
    // compiled. Like every read started ahead, a failure is reported where it is awaited, in the same order.
    const certRead = readCertificate(store, certBlob);
    certRead.catch(() => undefined);
    // From git's files when that gives for-each-ref's listing with certainty (ref-list.ts): no child to start.
    const refsRead = refsFromFiles(gitDir, env) ?? store.listRefs();
    refsRead.catch(() => undefined); // a failure is reported where it is awaited

    const config = await configRead;
    const lockWaitMs = logWaitMs(config.get('acl.logwaitseconds')?.at(-1));
    input.onTimeLimit?.(hookTimeoutMs(lockWaitMs));
    noteWarmSeconds(warmSeconds(config.get('acl.warmseconds')?.at(-1)));
    const ownerId = config.get('acl.owner')?.at(-1) ?? '';
    if (ownerId === '') {
      const unreadable = unreadableConfig(gitDir);
      if (unreadable)
        throw new Error(`cannot read the repository's git config (${unreadable}); the server admin must check the repository`);
    }
    if (!isUserId(ownerId)) {
      throw new Error(
        ownerId
          ? `acl.owner is not a key fingerprint (40 upper-case hex): ${JSON.stringify(ownerId)}`
          : 'acl.owner is not set on the server; run `git acl init`',
      );
    }

    const rewritten = historyRewrittenBy(gitDir, env);
    if (rewritten)
      throw new Error(
        `${rewritten}: git reads its history differently from its commits, so no push can be judged; the operator must remove it`,
      );

    // Refs are not updated until this hook exits 0, so this is the policy as it was before the push.
    // All refs at once: the judge compares the pushed names with the stored ones.
    const refs = await refsRead;
    // What the push brought (the quarantine): listed while the certificate is verified, checked by the judge.
    const pushedObjects = store.pushedObjects();
    pushedObjects.catch(() => undefined); // a failure is reported where it is awaited
    const policyTip = refs.get(POLICY_REF)?.oid;
    if (!policyTip) throw new Error(`the server has no policy branch ${POLICY_REF}; run \`git acl init\``);
    const cacheDir = resolve(gitDir, 'git-acl', 'cache');
    const policy = await readPolicyTreeCached(store, policyTip, cacheDir); // from git when the policy moved (policy-cache.ts)
    const compiled = compileServerPolicy(policy);
    const ownerProblem = serverOwnerProblem(policy, ownerId);
    if (ownerProblem) throw new Error(ownerProblem);

    const cert = parsePushCert(await certRead);
    checkPushEnv(env, cert, updates, { pushees: config.get('acl.pushee') ?? [] });

    // Who pushes, before anything else the push brings is read: with the keys in force, and only then with the one
    // key file the push adds that can hold the signer (registration.ts). The pushed policy is read by the judge.
    // The moment of judgement: keys are checked at it, and the push log records it so peers check at it too.
    const judgedAt = new Date();
    // First without openpgp, from what openpgp established about the same key file before (fast-identity.ts); it
    // only ever accepts: anything else is openpgp's to judge, and what openpgp accepts is recorded for next time.
    const policyStore = store;
    const findKey = createKeyFinder({ paths: policy.keyBlobs.keys(), read: (p) => readKeyBlob(policyStore, policy, p) });
    const pusher =
      (await fastIdentify({ cert, findKey, date: judgedAt, cacheDir })) ??
      (await identifyPusher({
        store,
        policy,
        updates,
        cert,
        date: judgedAt,
        findKey,
        onVerified: (ref, record) => void writeVerifiedKey(cacheDir, ref, record),
      }));
    userId = pusher.userId;

    // Old values as git will check them at its ref locks (after this hook): a command that would fail there must
    // fail here, with the whole push (ref-names.ts refStateProblems; admission checks again under the lock).
    // Checked once the push is otherwise accepted, so that what the judge finds first (a name given twice) is said.
    let verdict = await (input.judge ?? judgePush)(
      { store, updates, policy, actor: { userId, ownerId }, refs, pushedObjects: await pushedObjects },
      compiled,
    );
    const stale = verdict.accepted ? [...refStateProblems(updates, refs), ...deletionDenials(gitDir, config, updates)] : [];
    if (stale.length) verdict = { actor: verdict.actor, decisions: [], problems: stale, accepted: false };
    if (!verdict.accepted || input.pushLog === false) return { accepted: verdict.accepted, lines: formatVerdict(verdict), userId };
    const { admitPush } = await import('../server/admit.js');
    const admitted = await admitPush({
      gitDir,
      env: env as NodeJS.ProcessEnv,
      store,
      stdin: input.stdin,
      certBlob,
      cert,
      policy: policyTip,
      owner: ownerId,
      pusher: userId,
      judgedAt,
      receivePackPid: input.receivePackPid ?? findReceivePack(),
      timeoutMs: lockWaitMs,
    });
    const notes = admitted.notes.map(formatNote);
    if (!admitted.ok) return { accepted: false, lines: [...notes, ...formatFailure(`${admitted.reason} (user ${userId})`)], userId };
    return { accepted: true, lines: notes, userId };
  } catch (e) {
    const why = oneLine(errorMessage(e), Infinity);
    return { accepted: false, lines: formatFailure(userId ? `${why} (user ${userId})` : why), ...(userId ? { userId } : {}) };
  } finally {
    const closed = store?.close().catch(() => undefined);
    if (!input.exitsAfter) await closed;
  }
}

/** The refs as listRefsFromFiles reads them, or undefined (then git lists them): any doubt, an error included, is git's. */
function refsFromFiles(gitDir: string, env: Record<string, string | undefined>): Promise<Map<string, RefInfo>> | undefined {
  try {
    const refs = listRefsFromFiles(gitDir, env);
    return refs ? Promise.resolve(refs) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * GIT_PUSH_CERT, or why there is none. git sets no GIT_PUSH_CERT both for an
 * unsigned push and for a signed one whose certificate it could not store;
 * when the object store cannot be written to, the second is the likely one.
 */
function signedPush(gitDir: string, env: Record<string, string | undefined>): string {
  try {
    return requireSignedPush(env);
  } catch (e) {
    if (!(e instanceof IdentityError) || e.code !== 'unsigned-push') throw e;
    const problem = objectStoreWriteProblem(gitDir);
    if (problem) {
      throw new Error(
        `git passed no push certificate to this hook, and the server cannot write to its object store (${problem}): if the push was signed, git could not store its certificate (a full disk or a read-only repository); the server admin must fix it`,
      );
    }
    throw e;
  }
}

/** The push certificate git stored, within PUSH_CERT_MAX_BYTES; a certificate git stored but that cannot be read says so. */
async function readCertificate(store: ObjectStore, oid: string): Promise<Uint8Array> {
  try {
    return await store.readBlob(oid, { maxBytes: PUSH_CERT_MAX_BYTES });
  } catch (e) {
    if (e instanceof ObjectTooLargeError) {
      throw new Error(
        `the push certificate is ${formatCount(e.size)} bytes, more than ${formatCount(PUSH_CERT_MAX_BYTES)} (git-acl's limit, see docs/security.md#bounds-on-what-the-hook-reads); push fewer refs at once`,
      );
    }
    throw new Error(
      `git stored this push's certificate as ${oid} but it cannot be read: ${oneLine(errorMessage(e))}; the server admin must check the repository`,
    );
  }
}

/**
 * How long the hook may run. Judging a 100,000-file push takes about a
 * second, so two minutes only ever cut off a hang (a wedged git child); then
 * the push waits for the log's lock, at most `acl.logWaitSeconds`. Together
 * never more than ten minutes: `git acl verify` refuses an entry whose
 * judgement is more than 11 minutes older than its admission
 * (docs/push-log.md, "Time"), so the lock wait is capped to fit.
 */
export const JUDGE_TIMEOUT_MS = 2 * 60_000;
export const MAX_HOOK_MS = 10 * 60_000;

/** The hook's time limit for a given lock wait (see JUDGE_TIMEOUT_MS). */
export function hookTimeoutMs(lockWaitMs: number = LOCK_TIMEOUT_MS): number {
  return JUDGE_TIMEOUT_MS + Math.min(lockWaitMs, MAX_HOOK_MS - JUDGE_TIMEOUT_MS);
}

/** `acl.logWaitSeconds`: how long an accepted push waits for the push log's lock (default 60 s, at most 8 minutes). */
export function logWaitMs(value: string | undefined): number {
  const n = Number(value);
  const ms = value !== undefined && Number.isFinite(n) && n > 0 ? n * 1000 : LOCK_TIMEOUT_MS;
  return Math.min(ms, MAX_HOOK_MS - JUDGE_TIMEOUT_MS);
}

/**
 * Deletions git's receive-pack refuses after pre-receive by its own settings (update(): receive.denyDeletes for
 * branches; receive.denyDeleteCurrent, refusing by default, for the branch the repository's HEAD names), while the
 * push's other commands land. The settings come with the hook's one config read (readHookConfig).
 */
function deletionDenials(gitDir: string, config: ReadonlyMap<string, string[]>, updates: readonly RefUpdate[]): string[] {
  const deletes = updates.filter((u) => isZeroOid(u.newOid) && !isZeroOid(u.oldOid));
  if (deletes.length === 0) return [];
  // The last value wins, as in git; a key without a value is true.
  const isFalse = (v: string | undefined) => v !== undefined && /^(false|no|off|0+)$/i.test(v);
  const deletesSetting = config.get('receive.denydeletes')?.at(-1);
  const denyDeletes = deletesSetting !== undefined && !isFalse(deletesSetting);
  const current = config.get('receive.denydeletecurrent')?.at(-1);
  const denyCurrent = !(current !== undefined && (/^(ignore|warn)$/i.test(current) || isFalse(current)));
  let head: string | null = null;
  try {
    head = /^ref: (\S+)\n?$/.exec(readFileSync(join(gitDir, 'HEAD'), 'utf8'))?.[1] ?? null;
  } catch {
    // no HEAD file: nothing is the current branch
  }
  const out: string[] = [];
  for (const u of deletes) {
    if (denyDeletes && u.ref.startsWith('refs/heads/')) {
      out.push(
        `${u.ref}: the server refuses to delete branches (receive.denyDeletes), and git would refuse this command after the others landed`,
      );
    } else if (denyCurrent && u.ref === head) {
      out.push(
        `${u.ref} is the branch the server's HEAD names, which git refuses to delete (receive.denyDeleteCurrent), and it would refuse this command after the others landed`,
      );
    }
  }
  return out;
}
