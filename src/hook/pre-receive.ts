/**
 * The pre-receive hook (SPEC §5–§7): who is pushing, what the push does, and
 * whether the policy on the branch as it was before the push allows all of it.
 *
 * Order matters for failing closed and for speed: cheap refusals first
 * (unsigned push, no owner, no policy), then the certificate, then the
 * operations. openpgp loads in the background meanwhile. Every error becomes a rejection with one line.
 */
import { readAclConfig } from '../git/exec.js';
import { locationFromEnv, isZeroOid } from '../git/common.js';
import { openCliStore } from '../git/cli-store.js';
import { POLICY_REF, readKeyBlob, readPolicyTree, type PolicyTree } from '../git/policy-files.js';
import type { ObjectStore } from '../git/store.js';
import { isUserId } from '../core/index.js';
import { checkPushEnv, requireSignedPush } from '../identity/push-env.js';
import { parsePushCert } from '../identity/push-cert.js';
import type { KeyFileRef } from '../identity/key-index.js';
import { serverOwnerProblem } from '../push/owner-check.js';
import { compileServerPolicy, judgePush } from './judge.js';
import { formatFailure, formatVerdict } from './report.js';
import { parseUpdates } from './stdin.js';

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
  let store: ObjectStore | undefined;
  let userId: string | undefined;
  try {
    const updates = parseUpdates(input.stdin);
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

    store = openCliStore(locationFromEnv(gitDir, env), { env: env as NodeJS.ProcessEnv });
    // Refs are not updated until this hook exits 0, so this is the policy as it was before the push.
    const policyTip = await store.resolveRef(POLICY_REF);
    if (!policyTip) throw new Error(`the server has no policy branch ${POLICY_REF}; run \`git acl init\``);
    const policy = await readPolicyTree(store, policyTip);
    const compiled = compileServerPolicy(policy);
    const ownerProblem = serverOwnerProblem(policy, ownerId);
    if (ownerProblem) throw new Error(ownerProblem);

    const cert = parsePushCert(await store.readBlob(certBlob));
    checkPushEnv(env, cert, updates, { pushees: config.get('acl.pushee') ?? [] });

    const policyUpdate = updates.find((u) => u.ref === POLICY_REF && !isZeroOid(u.newOid));
    const newPolicy = policyUpdate ? await readPolicyTree(store, policyUpdate.newOid) : undefined;
    const { createKeyFinder, verifyPushCert } = await identity;
    const pusher = await verifyPushCert({
      cert,
      findKey: createKeyFinder({ paths: policy.keyBlobs.keys(), read: (p) => readKeyBlob(store!, policy, p) }),
      addedKeyFiles: newPolicy ? await addedKeys(store, policy, newPolicy) : [],
    });
    userId = pusher.userId;

    const verdict = await (input.judge ?? judgePush)({ store, updates, policy, actor: { userId, ownerId }, ...(newPolicy ? { newPolicy } : {}) }, compiled);
    return { accepted: verdict.accepted, lines: formatVerdict(verdict), userId };
  } catch (e) {
    const why = (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ').trim();
    return { accepted: false, lines: formatFailure(userId ? `${why} (user ${userId})` : why), ...(userId ? { userId } : {}) };
  } finally {
    await store?.close().catch(() => undefined);
  }
}

/** Key files the push adds to the policy branch: a registration is verified with the key it brings (SPEC §5). */
async function addedKeys(store: ObjectStore, before: PolicyTree, after: PolicyTree): Promise<KeyFileRef[]> {
  const added: KeyFileRef[] = [];
  for (const path of after.keyBlobs.keys()) {
    if (before.keyBlobs.has(path)) continue;
    const armored = await readKeyBlob(store, after, path);
    if (armored !== null) added.push({ fileName: path, armored });
  }
  return added;
}
