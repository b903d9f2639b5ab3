/**
 * Key registration (docs/reference.md#identity): the key files a push adds to the policy branch.
 * The hook verifies a certificate with them when no registered key does, and
 * `verifyLog` replays that exactly, so both take the list from here.
 */
import { readKeyBlob, type PolicyTree } from '../git/policy-files.js';
import type { ObjectStore } from '../git/store.js';
import type { KeyFileRef } from '../identity/key-index.js';

/** Key files present in `after` whose paths `before` does not have, with their content as pushed. */
export async function addedKeyFiles(store: ObjectStore, before: PolicyTree, after: PolicyTree): Promise<KeyFileRef[]> {
  const added: KeyFileRef[] = [];
  for (const path of after.keyBlobs.keys()) {
    if (before.keyBlobs.has(path)) continue;
    const armored = await readKeyBlob(store, after, path);
    if (armored !== null) added.push({ fileName: path, armored });
  }
  return added;
}
