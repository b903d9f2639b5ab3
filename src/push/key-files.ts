/**
 * Key files a push adds to or changes on the policy branch.
 *
 * Each must be a public key that the loader verifying certificates reads
 * (identity's loadKeyFile), named after its fingerprint. The linter sees
 * only file names, and identity checks a key only when it signs; without
 * this a user could publish a secret key by mistake, or break their own key
 * file and lock themselves out. Revoked and expired keys pass if otherwise
 * valid: publishing a revocation is how a key is retired (docs/cookbook.md).
 * The owner's key file is the exception: the owner must still be able to
 * push, so it must load as a key that can sign, now.
 */
import { KEY_FILE_PATH, keyFilePath } from '../core/ids.js';
import { errorMessage } from '../core/messages.js';
import { loadKeyFile, pushedKeyFileProblem } from '../identity/keys.js';
import { readKeyBlob, type PolicyTree } from '../git/policy-files.js';
import type { ObjectStore } from '../git/store.js';

/**
 * "Now" for the key checks: the server's time plus the clock skew the
 * certificate check allows (identity/verify.ts), so a key that passes here
 * still verifies a push signed a moment later.
 */
function checkDate(): Date {
  return new Date(Date.now() + 5 * 60_000);
}

/** One line per changed key file that is not a usable public key named after its fingerprint, then the owner's. */
export async function checkChangedKeyFiles(store: ObjectStore, before: PolicyTree, after: PolicyTree, ownerId?: string): Promise<string[]> {
  const problems: string[] = [];
  const date = checkDate();
  // An unknown owner (ownerId '', a clone judging a legacy policy) has no key file to protect here; the server does it.
  const ownerPath = ownerId === undefined || ownerId === '' ? undefined : keyFilePath(ownerId);
  for (const [path, oid] of after.keyBlobs) {
    if (before.keyBlobs.get(path) === oid || path === ownerPath) continue;
    const named = KEY_FILE_PATH.exec(path)?.[1];
    if (!named) continue; // the linter warns about stray files under keys/; they can sign nothing
    const problem = await pushedKeyFileProblem((await readKeyBlob(store, after, path)) ?? '', named, date);
    if (problem) problems.push(`${path}: ${problem}`);
  }
  if (ownerPath !== undefined && before.keyBlobs.get(ownerPath) !== after.keyBlobs.get(ownerPath)) {
    // First the check every key file gets (the same words lint prints), then what only the owner's key needs.
    const armored = await readKeyBlob(store, after, ownerPath);
    const general = armored === null ? null : await pushedKeyFileProblem(armored, ownerId!, date);
    const problem = general !== null ? `${ownerPath}: ${general}` : await ownerKeyProblem(store, after, ownerPath, date);
    if (problem) problems.push(problem);
  }
  return problems;
}

/**
 * Why the owner could not push with the key file `path` of `after`, or null:
 * it must exist, load exactly as the certificate check loads it (not revoked,
 * not expired) and hold a key that can sign. Checked when a push changes or
 * removes it: otherwise one policy push could lock the owner out for good
 * (the path exists, so the key cannot be registered again).
 */
async function ownerKeyProblem(store: ObjectStore, after: PolicyTree, path: string, date: Date): Promise<string | null> {
  const armored = await readKeyBlob(store, after, path);
  if (armored === null) return `${path}: the owner's key file cannot be removed; the owner could no longer push`;
  try {
    const { key } = await loadKeyFile(armored, path, date);
    await key.getSigningKey(undefined, date);
  } catch (e) {
    const why = errorMessage(e).replace(`${path}: `, '');
    return `${path}: the owner's key file must hold a key that can sign pushes, or the owner could no longer push: ${why}`;
  }
  return null;
}
