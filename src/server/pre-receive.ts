/**
 * The pre-receive hook (SPEC §5–§7): who is pushing, what the push does, and
 * whether the policy on the branch as it was before the push allows all of it.
 *
 * Order matters for failing closed and for speed: cheap refusals first
 * (unsigned push, no owner, no policy), then the certificate, then the
 * operations. openpgp loads in the background meanwhile. Every error becomes a rejection with one line.
 */
import { readAclConfig } from '../git/exec.js';
import { locationFromEnv } from '../git/location.js';
import { historyRewrittenBy } from '../git/repo-state.js';
import { isZeroOid } from '../git/objects.js';
import { openCliStore, type CliStore } from '../git/cli-store.js';
import { POLICY_REF, readKeyBlob, readPolicyTree } from '../git/policy-files.js';
import { isUserId } from '../core/index.js';
import { errorMessage, oneLine } from '../core/messages.js';
import { checkPushEnv, requireSignedPush } from '../identity/push-env.js';
import { parsePushCert } from '../identity/push-cert.js';
import { compileServerPolicy, judgePush } from '../push/judge.js';
import { formatFailure, formatVerdict } from '../push/report.js';
import { parseRefUpdates } from '../git/ref-updates.js';

export interface PreReceiveInput {
  /** The repository's git directory (pre-receive runs with GIT_DIR set, usually `.`). */
  gitDir: string;
  env: Record<string, string | undefined>;
  stdin: Uint8Array;
  /** A seam for fault-injection tests: replaces the judging step. */
  judge?: typeof judgePush;
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
    if (updates.length === 0) return { accepted: true, lines: [] };
    const certBlob = requireSignedPush(env);
    // openpgp is the largest module the hook loads: let it compile while git answers the reads below.
    const identity = import('../identity/index.js');
    identity.catch(() => undefined); // a failed load is reported where it is awaited

    const config = await readAclConfig(gitDir, env as NodeJS.ProcessEnv);
    const ownerId = config.get('acl.owner')?.at(-1) ?? '';
    if (!isUserId(ownerId)) {
      throw new Error(
        ownerId ? `acl.owner is not a key fingerprint (40 upper-case hex): ${JSON.stringify(ownerId)}` : 'acl.owner is not set on the server; run `git acl init`',
      );
    }

    const rewritten = historyRewrittenBy(gitDir, env);
    if (rewritten) throw new Error(`${rewritten}: git reads its history differently from its commits, so no push can be judged; the operator must remove it`);

    store = openCliStore(locationFromEnv(gitDir, env), { env: env as NodeJS.ProcessEnv });
    // Refs are not updated until this hook exits 0, so this is the policy as it was before the push.
    // All refs at once: the judge compares the pushed names with the stored ones.
    const refs = await store.listRefs();
    // What the push brought (the quarantine): listed while the certificate is verified, checked by the judge.
    const pushedObjects = store.pushedObjects();
    pushedObjects.catch(() => undefined); // a failure is reported where it is awaited
    const policyTip = refs.get(POLICY_REF)?.oid;
    if (!policyTip) throw new Error(`the server has no policy branch ${POLICY_REF}; run \`git acl init\``);
    const policy = await readPolicyTree(store, policyTip);
    const compiled = compileServerPolicy(policy);

    const cert = parsePushCert(await store.readBlob(certBlob));
    checkPushEnv(env, cert, updates, { pushees: config.get('acl.pushee') ?? [] });

    const policyUpdate = updates.find((u) => u.ref === POLICY_REF && !isZeroOid(u.newOid));
    const newPolicy = policyUpdate ? await readPolicyTree(store, policyUpdate.newOid) : undefined;
    // A registration is verified with the key it brings (SPEC §5); only policy pushes load the key-file code.
    const added = newPolicy ? await (await import('../push/key-files.js')).addedKeyFiles(store, policy, newPolicy) : [];
    const { createKeyFinder, verifyPushCert } = await identity;
    const pusher = await verifyPushCert({
      cert,
      findKey: createKeyFinder({ paths: policy.keyBlobs.keys(), read: (p) => readKeyBlob(store!, policy, p) }),
      addedKeyFiles: added,
    });
    userId = pusher.userId;

    const verdict = await (input.judge ?? judgePush)({ store, updates, policy, actor: { userId, ownerId }, refs, pushedObjects: await pushedObjects, ...(newPolicy ? { newPolicy } : {}) }, compiled);
    return { accepted: verdict.accepted, lines: formatVerdict(verdict), userId };
  } catch (e) {
    const why = oneLine(errorMessage(e), Infinity);
    return { accepted: false, lines: formatFailure(userId ? `${why} (user ${userId})` : why), ...(userId ? { userId } : {}) };
  } finally {
    await store?.close().catch(() => undefined);
  }
}
