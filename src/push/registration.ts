/**
 * Who pushes (docs/reference.md#identity), for the hook and for `git acl verify` alike: the
 * certificate is verified with the key files of the policy in force, and
 * only when none of them verifies it, with the one key file the push adds
 * that can hold the signer (registration). Both callers take the pusher from
 * here, so a peer replaying the log decides exactly as the hook did.
 *
 * Cost before identity: until the pusher is known, the push is anyone's, so
 * nothing it brings is read but what can identify the signer. Of the pushed
 * policy that is its root tree, its `keys/` tree (both bounded) and one key
 * file: `keys/<issuer fingerprint>.asc`, the name a primary-key signature
 * gives away. A signature by a signing subkey names the subkey, not the
 * file: then the push may add exactly one key file, and that file is the
 * candidate; a push that adds several is not a registration. Every candidate
 * is then verified in full (its name must be its key's fingerprint).
 *
 * A push that registers its signer's key may update nothing but the policy
 * branch: in a push that is not atomic, git applies each ref on its own, and
 * the branch could land while the key it was verified with does not (its
 * policy update failing at the ref lock). git's `--atomic` is the client's
 * choice, so it is not relied on.
 */
import { KEY_FILE_PATH, keyFilePath } from '../core/ids.js';
import { formatCount } from '../core/limits.js';
import { isZeroOid } from '../git/objects.js';
import { POLICY_REF, readKeyBlob, readKeyFile, readPolicyTreeEntries, type PolicyTree } from '../git/policy-files.js';
import type { RefUpdate } from '../git/ref-updates.js';
import type { ObjectStore } from '../git/store.js';
import { IdentityError } from '../identity/errors.js';
import type { IndexedKeyFinder, KeyFileRef } from '../identity/key-index.js';
import type { VerifiedPusher, VerifyPushCertOptions } from '../identity/verify.js';
import type { PushCertificate } from '../identity/types.js';

export interface IdentifyInput {
  store: ObjectStore;
  /** The policy in force: the policy branch before the push. */
  policy: PolicyTree;
  /** The push's updates (pre-receive's stdin, or a log entry's). */
  updates: readonly RefUpdate[];
  cert: PushCertificate;
  /** When the push is judged: keys are checked at this moment. */
  date: Date;
  /** The key files of `policy` (default: a new finder over them); give the one a caller already used, to read and scan them once. */
  findKey?: IndexedKeyFinder;
  /** Told what openpgp established when a key file of the policy in force verifies (identity/verify.ts). */
  onVerified?: VerifyPushCertOptions['onVerified'];
}

/** The pusher, or an IdentityError (or a bound's error) saying why not, in one line. */
export async function identifyPusher(input: IdentifyInput): Promise<VerifiedPusher> {
  const { store, policy, updates, cert, date } = input;
  // Loaded here, not at import: openpgp is the largest module there is, and callers start loading it early.
  const { createKeyFinder, verifyPushCert } = await import('../identity/index.js');
  const pusher = await verifyPushCert({
    cert,
    findKey: input.findKey ?? createKeyFinder({ paths: policy.keyBlobs.keys(), read: (p) => readKeyBlob(store, policy, p) }),
    addedKeyFiles: (ids) => registrationKeys(store, policy, updates, ids),
    date,
    ...(input.onVerified ? { onVerified: input.onVerified } : {}),
  });
  if (pusher.registration) {
    const others = [...new Set(updates.filter((u) => u.ref !== POLICY_REF).map((u) => u.ref))];
    if (others.length) {
      const shown = others.slice(0, 3).join(', ') + (others.length > 3 ? ` and ${others.length - 3} more` : '');
      throw new IdentityError(
        'unknown-signer',
        `this push registers the key ${pusher.keyFile} and also updates ${shown}: a push that registers its signer may update nothing but ${POLICY_REF}; push the key alone first, then the rest`,
      );
    }
  }
  return pusher;
}

/**
 * The key file the push adds that can hold the signer: `keys/<issuer>.asc`
 * when the signature names a primary key (by fingerprint, or by key ID: the
 * last 16 digits of the file's name), else the only key file the push adds.
 * None when the push does not update the policy branch.
 */
export async function registrationKeys(
  store: ObjectStore,
  before: PolicyTree,
  updates: readonly RefUpdate[],
  candidateKeyIds: string[],
): Promise<KeyFileRef[]> {
  const update = updates.find((u) => u.ref === POLICY_REF && !isZeroOid(u.newOid));
  if (!update) return [];
  const added = new Map<string, string>();
  for (const e of await readPolicyTreeEntries(store, update.newOid, 'keys')) {
    const path = `keys/${e.name}`;
    if (e.kind === 'file' && KEY_FILE_PATH.test(path) && !before.keyBlobs.has(path)) added.set(path, e.oid);
  }
  const ids = candidateKeyIds.map((c) => c.toUpperCase());
  let chosen = [...added.keys()].filter((p) =>
    ids.some((id) => (id.length === 40 ? p === keyFilePath(id) : id.length === 16 && p.slice(-20, -4) === id)),
  );
  if (chosen.length === 0 && added.size === 1) chosen = [...added.keys()];
  if (chosen.length === 0 && added.size > 1) {
    const [fpr, keyId] = ids.length === 2 ? ids : [undefined, ids[0]];
    throw new IdentityError(
      'unknown-signer',
      `push certificate is signed by key ${fpr ? `${fpr} (key ID ${keyId})` : `key ID ${keyId}`}, which no key file of the policy branch holds, and none of the ${formatCount(added.size)} key files this push adds is named after it: a registration adds one key file, keys/<PRIMARY KEY FINGERPRINT>.asc, signed by that key`,
    );
  }
  const out: KeyFileRef[] = [];
  for (const path of chosen) out.push({ fileName: path, armored: await readKeyFile(store, added.get(path)!, path) });
  return out;
}
