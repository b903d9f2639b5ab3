/** User IDs and names that rules and groups use as subjects, and where a user's key lives. */

/** A v4 key fingerprint as gpg prints it: 40 upper-case hex digits. */
const FINGERPRINT = '[0-9A-F]{40}';
const USER_ID = new RegExp(`^${FINGERPRINT}$`);
const GROUP_NAME = /^[A-Za-z0-9_.-]+$/;

/** Reserved words: never group names. */
export const RESERVED_NAMES: readonly string[] = ['owner', 'anyone', 'deny', 'branch'];

/** A user ID: the full v4 fingerprint, 40 upper-case hex digits, as `gpg --with-colons` prints it. */
export function isUserId(s: string): boolean {
  return USER_ID.test(s);
}

/** A user ID as people type it: spaces and lower case are accepted (gpg prints fingerprints in groups). Null when it is not one. */
export function normaliseUserId(s: string): string | null {
  const t = s.replace(/\s+/g, '').toUpperCase();
  return isUserId(t) ? t : null;
}

/** A key file's path on the policy branch, `keys/<FINGERPRINT>.asc`; group 1 is the fingerprint. */
export const KEY_FILE_PATH = new RegExp(`^keys/(${FINGERPRINT})\\.asc$`);

/** The path a key must have on the policy branch. */
export function keyFilePath(fingerprint: string): string {
  return `keys/${fingerprint.toUpperCase()}.asc`;
}

export function isGroupNameSyntax(s: string): boolean {
  return GROUP_NAME.test(s);
}

/**
 * Something meant as a key ID or fingerprint but not a valid user ID: a short
 * or long key ID, a lower-case fingerprint, a `0x` prefix. Requiring a digit
 * keeps names like `deadbeef` or `facade` usable as group names.
 */
export function looksLikeKeyId(s: string): boolean {
  if (isUserId(s)) return false;
  const hex = s.replace(/^0x/i, '');
  if (!/^[0-9A-Fa-f]+$/.test(hex)) return false;
  if (hex !== s) return true;
  return hex.length >= 8 && /[0-9]/.test(hex);
}

export function malformedUserIdMessage(s: string): string {
  const hex = s.replace(/^0x/i, '');
  let hint: string;
  if (hex.length === 40) hint = `write it without prefix, in upper case: ${hex.toUpperCase()}`;
  else if (hex.length === 16) hint = 'a 16-digit (64-bit) key ID is not enough';
  else if (hex.length === 8) hint = 'an 8-digit short key ID is not enough';
  else hint = `it has ${hex.length} digits`;
  return `malformed user ID '${s}': a user ID is the full fingerprint of the key's primary key, 40 upper-case hex digits (gpg --with-colons --fingerprint); ${hint}`;
}
