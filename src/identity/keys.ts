/**
 * Key files of the policy branch: `keys/<FINGERPRINT>.asc`, each exactly one
 * armored OpenPGP public key (docs/reference.md: the policy branch, identity).
 */
import * as openpgp from 'openpgp';
import { errorMessage } from '../core/messages.js';
import { IdentityError } from './errors.js';
import { checkKeyPackets, SECRET_MATERIAL } from './key-scan.js';
import type { KeyInfo } from './types.js';

export { KEY_FILE_PATH, keyFilePath } from '../core/ids.js';

export { PacketTag, scanKeyFile, checkKeyPackets, type ScannedKeyFile, type KeyPacketCheck } from './key-scan.js';

function keyFileError(file: string | undefined, msg: string): IdentityError {
  return new IdentityError('key-file', `${file ?? 'key file'}: ${msg}`);
}

function baseName(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? p : p.slice(i + 1);
}

/**
 * What is wrong with a key file pushed as `keys/<named>.asc`, or null: the
 * packet checks, its key's fingerprint must be its name, and the loader that
 * verifies certificates (`loadKeyFile`) must read it, so that no file passes
 * here that could sign nothing (a bare key packet without user ID or
 * self-signature). Revoked and expired keys pass, if otherwise valid:
 * publishing a revocation is how a key is retired.
 */
export async function pushedKeyFileProblem(armored: string, named: string, date: Date = new Date()): Promise<string | null> {
  const check = await checkKeyPackets(armored);
  if ('unreadable' in check) return `not an armored OpenPGP public key (${check.unreadable})`;
  if (!check.ok) return check.problem;
  const fpr = check.scan.fingerprints[0];
  if (fpr !== named) return fpr ? `holds the key ${fpr}, so it must be named ${fpr}.asc` : 'holds no v4 public key';
  try {
    await loadKeyFile(armored, undefined, date, { allowRetired: true });
  } catch (e) {
    return errorMessage(e).replace(/^key file: /, '');
  }
  return null;
}

// ---------------------------------------------------------------------------

export interface LoadedKey {
  info: KeyInfo;
  key: openpgp.PublicKey;
  /** Set (only with `allowRetired`) when the key is revoked or expired at the date it was loaded for. */
  retired?: 'revoked' | 'expired';
}

export interface LoadKeyOptions {
  /**
   * Accept a key that is revoked or expired but otherwise valid (a
   * self-signature openpgp accepts), marking it `retired`: what a policy may
   * publish. Never used to verify a signature.
   */
  allowRetired?: boolean;
}

/**
 * Read and check a key file: exactly one public key, no secret key material,
 * a v4 key, not revoked and not expired at `date` (default: now). With
 * `fileName`, its base name must be `<FINGERPRINT>.asc`.
 */
export async function loadKeyFile(
  armored: string,
  fileName?: string,
  date: Date = new Date(),
  options: LoadKeyOptions = {},
): Promise<LoadedKey> {
  const check = await checkKeyPackets(armored);
  if ('unreadable' in check) throw keyFileError(fileName, `not an armored OpenPGP public key: ${check.unreadable}`);
  if (!check.ok) throw keyFileError(fileName, check.problem);

  let keys: openpgp.Key[];
  try {
    keys = await openpgp.readKeys({ armoredKeys: armored });
  } catch (e) {
    throw keyFileError(fileName, `not a readable OpenPGP public key: ${errorMessage(e)}`);
  }
  if (keys.length !== 1) throw keyFileError(fileName, `holds ${keys.length} keys; a key file holds exactly one public key`);
  const key = keys[0]!;
  if (key.isPrivate()) throw keyFileError(fileName, SECRET_MATERIAL);
  if (key.keyPacket.version !== 4) throw keyFileError(fileName, `is a version ${key.keyPacket.version} key; only v4 keys are supported`);

  const fingerprint = key.getFingerprint().toUpperCase();
  if (fileName !== undefined && baseName(fileName) !== `${fingerprint}.asc`) {
    throw keyFileError(fileName, `holds the key ${fingerprint}, so it must be named ${fingerprint}.asc`);
  }

  let retired: LoadedKey['retired'];
  if (await key.isRevoked(undefined, undefined, date)) {
    if (!options.allowRetired) throw keyFileError(fileName, `key ${fingerprint} is revoked`);
    retired = 'revoked';
    // Revoked, but it must still be a key: a self-signature openpgp accepts.
    try {
      await key.getPrimaryUser(date);
    } catch (e) {
      throw keyFileError(fileName, `key ${fingerprint} is not valid: ${errorMessage(e)}`);
    }
  } else {
    try {
      await key.verifyPrimaryKey(date);
    } catch (e) {
      const msg = errorMessage(e);
      if (/expired/i.test(msg)) {
        // verifyPrimaryKey found a valid self-signature before it looked at the expiry.
        if (options.allowRetired) retired = 'expired';
        else {
          let when = '';
          try {
            const t = await key.getExpirationTime();
            if (t instanceof Date) when = ` (since ${t.toISOString()})`;
          } catch {
            /* keep the plain message */
          }
          throw keyFileError(fileName, `key ${fingerprint} is expired${when}`);
        }
      } else if (/revoked/i.test(msg)) throw keyFileError(fileName, `key ${fingerprint} is revoked`);
      else throw keyFileError(fileName, `key ${fingerprint} is not valid: ${msg}`);
    }
  }

  const userIds = key.users.map((u) => u.userID?.userID).filter((u): u is string => typeof u === 'string');
  const info: KeyInfo = {
    fingerprint,
    keyIds: key.getKeyIDs().map((k) => k.toHex().toUpperCase()),
    userIds,
  };
  const loaded: LoadedKey = { info, key: key as openpgp.PublicKey };
  if (retired) loaded.retired = retired;
  return loaded;
}

/**
 * Read and check a key file (see `loadKeyFile`); returns what the policy needs.
 * Errors are `IdentityError` (code `key-file`) whose message starts with the file name.
 */
export async function readKeyFile(armored: string, fileName?: string, date?: Date): Promise<KeyInfo> {
  return (await loadKeyFile(armored, fileName, date)).info;
}
