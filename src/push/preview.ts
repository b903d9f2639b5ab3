/**
 * Judging a push before it is sent, as the server will: the hook's own
 * judgePush and report, on a clone's objects, against the remote's policy.
 * What a clone cannot check is the signature; the one thing it can say about
 * it is whether the server holds the pusher's key at all.
 *
 * The owner is the one the remote's policy records (its root file `owner`,
 * which the hook keeps equal to the server's acl.owner), unless the caller
 * names one. A policy from before owners were recorded leaves it unknown;
 * then the preview never refuses what the server could accept: the push is
 * judged as by a non-owner and, if refused, once more as by the owner.
 */
import { keyFilePath } from '../core/ids.js';
import { PolicyError, type CompiledPolicy } from '../core/index.js';
import { isZeroOid } from '../git/objects.js';
import { POLICY_REF, policyOwner, readPolicyTree, type PolicyTree } from '../git/policy-files.js';
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
  /** The pusher, and the owner when the caller knows better than the policy (default: the owner the policy records). */
  actor: { userId: string; ownerId?: string | null };
  /** How many denied operations to list before the summary (default: as many as the hook lists). */
  maxDenied?: number;
}

export interface PreviewResult {
  /** What the server would answer, given a valid signature by a registered key. */
  accepted: boolean;
  /** The lines the hook would print. */
  lines: string[];
  /** The verdict, when the policy compiled. */
  verdict: Verdict | null;
  /** `keys/<pusher>.asc`, the key file the server needs to verify the push. */
  keyFile: string;
  /** The policy branch lacks keyFile and the push does not add it: the server will reject the signature (and `accepted` is false). */
  keyMissing: boolean;
  /** The owner the push was judged with; null when neither the caller nor the policy names one. */
  owner: string | null;
  /** Where `owner` came from. */
  ownerFrom: 'caller' | 'policy' | null;
  /**
   * With an unknown owner only: the push is accepted only if the pusher is the owner (it was refused as by
   * anyone else). `accepted` is then true: the preview refuses nothing the server could accept.
   */
  onlyIfOwner: boolean;
}

export async function previewPush(input: PreviewInput): Promise<PreviewResult> {
  const { store, updates } = input;
  const userId = input.actor.userId;
  const policy = await readPolicyTree(store, input.policyCommit);
  const keyFile = keyFilePath(userId);
  const keyMissing = !policy.keyBlobs.has(keyFile) && !(await pushAddsKey(store, updates, keyFile));
  const given = input.actor.ownerId || null;
  const owner = given ?? policyOwner(policy);
  const ownerFrom = given ? 'caller' : owner ? 'policy' : null;
  const base = { keyFile, keyMissing, owner, ownerFrom, onlyIfOwner: false } as const;
  let compiled: CompiledPolicy;
  try {
    compiled = compileServerPolicy(policy);
  } catch (e) {
    if (!(e instanceof PolicyError)) throw e;
    return { ...base, accepted: false, lines: formatFailure(e.message), verdict: null };
  }
  const judge = (ownerId: string): Promise<Verdict> => judgePush({ store, updates, policy, actor: { userId, ownerId } }, compiled);
  let verdict = await judge(owner ?? '');
  let onlyIfOwner = false;
  if (!verdict.accepted && owner === null) {
    const asOwner = await judge(userId);
    if (asOwner.accepted) {
      verdict = asOwner;
      onlyIfOwner = true;
    }
  }
  const lines = formatVerdict(verdict, input.maxDenied);
  return { ...base, accepted: verdict.accepted && !keyMissing, lines, verdict, onlyIfOwner };
}

/** True when the push brings `keyFile` onto the policy branch (a registration). */
async function pushAddsKey(store: ObjectStore, updates: RefUpdate[], keyFile: string): Promise<boolean> {
  const u = updates.find((x) => x.ref === POLICY_REF && !isZeroOid(x.newOid));
  if (!u) return false;
  const next: PolicyTree | null = await readPolicyTree(store, u.newOid).catch(() => null);
  return next?.keyBlobs.has(keyFile) ?? false;
}
