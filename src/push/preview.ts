/**
 * Judging a push before it is sent, as the server will: the hook's own
 * judgePush and report, on a clone's objects, against the remote's policy.
 * What a clone cannot check is the signature; the one thing it can say about
 * it is whether the server holds the pusher's key at all.
 */
import { keyFilePath } from '../core/ids.js';
import { PolicyError, type Actor } from '../core/index.js';
import { isZeroOid } from '../git/objects.js';
import { POLICY_REF, readPolicyTree } from '../git/policy-files.js';
import type { RefUpdate } from '../git/ref-updates.js';
import type { ObjectStore } from '../git/store.js';
import { compileServerPolicy, judgePush, type Verdict } from './judge.js';
import { formatFailure, formatVerdict } from './report.js';

export interface PreviewInput {
  /** A store that holds the policy commit and both sides of every update. */
  store: ObjectStore;
  /** The remote's policy branch, fetched. */
  policyCommit: string;
  updates: RefUpdate[];
  actor: Actor;
}

export interface PreviewResult {
  /** What the server would answer, given a valid signature by a registered key. */
  accepted: boolean;
  /** The lines the hook would print, every one of them (the hook shortens long lists and points to preview). */
  lines: string[];
  /** The verdict, when the policy compiled. */
  verdict: Verdict | null;
  /** `keys/<pusher>.asc`, the key file the server needs to verify the push. */
  keyFile: string;
  /** The policy branch lacks keyFile and the push does not add it: the server will reject the signature (and `accepted` is false). */
  keyMissing: boolean;
}

export async function previewPush(input: PreviewInput): Promise<PreviewResult> {
  const { store, updates, actor } = input;
  const policy = await readPolicyTree(store, input.policyCommit);
  const keyFile = keyFilePath(actor.userId);
  const keyMissing = !policy.keyBlobs.has(keyFile) && !(await pushAddsKey(store, updates, keyFile));
  try {
    const verdict = await judgePush({ store, updates, policy, actor }, compileServerPolicy(policy));
    return { accepted: verdict.accepted && !keyMissing, lines: formatVerdict(verdict, Infinity), verdict, keyFile, keyMissing };
  } catch (e) {
    if (!(e instanceof PolicyError)) throw e;
    return { accepted: false, lines: formatFailure(e.message), verdict: null, keyFile, keyMissing };
  }
}

/** True when the push brings `keyFile` onto the policy branch (a registration). */
async function pushAddsKey(store: ObjectStore, updates: RefUpdate[], keyFile: string): Promise<boolean> {
  const u = updates.find((x) => x.ref === POLICY_REF && !isZeroOid(x.newOid));
  if (!u) return false;
  const next = await readPolicyTree(store, u.newOid).catch(() => null);
  return next?.keyBlobs.has(keyFile) ?? false;
}
