/**
 * Key files a push adds to or changes on the policy branch.
 *
 * Each must be a usable public key named after its fingerprint. The linter
 * sees only file names, and identity checks a key only when it signs; without
 * this a user could publish a secret key by mistake, or break their own key
 * file and lock themselves out. Revoked and expired keys pass: publishing a
 * revocation is how a key is retired (docs/cookbook.md). The checks are
 * identity's (pushedKeyFileProblem), the ones its key loader runs.
 */
import { KEY_FILE_PATH } from '../core/ids.js';
import { pushedKeyFileProblem } from '../identity/keys.js';
import type { KeyFileRef } from '../identity/key-index.js';
import { readKeyBlob, type PolicyTree } from '../git/policy-files.js';
import type { ObjectStore } from '../git/store.js';

/** One line per changed key file that is not a usable public key named after its fingerprint. */
export async function checkChangedKeyFiles(store: ObjectStore, before: PolicyTree, after: PolicyTree): Promise<string[]> {
  const problems: string[] = [];
  for (const [path, oid] of after.keyBlobs) {
    if (before.keyBlobs.get(path) === oid) continue;
    const named = KEY_FILE_PATH.exec(path)?.[1];
    if (!named) continue; // the linter warns about stray files under keys/; they can sign nothing
    const problem = await pushedKeyFileProblem((await readKeyBlob(store, after, path)) ?? '', named);
    if (problem) problems.push(`${path}: ${problem}`);
  }
  return problems;
}

