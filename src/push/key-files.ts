/**
 * Key files a push adds to or changes on the policy branch must be usable
 * public keys named after their fingerprint. The linter sees only file names,
 * and identity checks a key only when it signs; without this a user could
 * publish a secret key by mistake, or break their own key file and lock
 * themselves out. Revoked and expired keys pass: publishing a revocation is
 * how a key is retired (docs/cookbook.md).
 */
import { errorMessage } from '../core/messages.js';
import { KEY_FILE_PATH, scanKeyFile } from '../identity/index.js';
import { readKeyBlob, type PolicyTree } from '../git/policy-files.js';
import type { ObjectStore } from '../git/store.js';

export async function checkChangedKeyFiles(store: ObjectStore, before: PolicyTree, after: PolicyTree): Promise<string[]> {
  const problems: string[] = [];
  for (const [path, oid] of after.keyBlobs) {
    if (before.keyBlobs.get(path) === oid) continue;
    const named = KEY_FILE_PATH.exec(path)?.[1];
    if (!named) continue; // the linter warns about stray files under keys/; they can sign nothing
    const problem = await keyFileProblem((await readKeyBlob(store, after, path)) ?? '', named);
    if (problem) problems.push(`${path}: ${problem}`);
  }
  return problems;
}

async function keyFileProblem(armored: string, named: string): Promise<string | null> {
  let scan;
  try {
    scan = await scanKeyFile(armored);
  } catch (e) {
    return `not an armored OpenPGP public key (${errorMessage(e)})`;
  }
  if (scan.armorType === 'PRIVATE KEY BLOCK' || scan.tags.includes(5) || scan.tags.includes(7)) {
    return 'holds secret key material: publish only the public key (gpg --armor --export <fingerprint>)';
  }
  if (scan.armorType !== 'PUBLIC KEY BLOCK') return `is a "PGP ${scan.armorType}", not a "PGP PUBLIC KEY BLOCK"`;
  const primaries = scan.tags.filter((t) => t === 6).length;
  if (primaries !== 1) return `holds ${primaries} public keys; a key file holds exactly one`;
  const fpr = scan.fingerprints[0];
  if (fpr !== named) return fpr ? `holds the key ${fpr}, so it must be named ${fpr}.asc` : 'holds no v4 public key';
  return null;
}
