/**
 * A strict parser of git's push certificate (the blob `GIT_PUSH_CERT` names).
 *
 *     certificate version 0.1
 *     pusher <as the client typed it> <ts> <tz>
 *     pushee <url>                 (optional)
 *     nonce <nonce>                (optional)
 *     push-option <value>          (zero or more)
 *     <empty line>
 *     <old> <new> <ref>            (one or more)
 *     -----BEGIN PGP SIGNATURE-----
 *     ...
 *     -----END PGP SIGNATURE-----
 *
 * Anything else is refused: the hook never guesses what a certificate means.
 */
import { IdentityError } from './errors.js';
import { parseRefUpdates as parseUpdateLines, parseRefUpdateLine, type RefUpdate } from '../git/ref-updates.js';
import type { PushCertificate } from './types.js';

/**
 * The most the hook reads of a certificate: a header, one line of about 100
 * bytes per ref update and a signature, so about 40,000 ref updates. git
 * itself puts no bound on it, and it is read before anyone knows who pushes.
 */
export const PUSH_CERT_MAX_BYTES = 4 * 1024 * 1024;

const PGP_BEGIN = '-----BEGIN PGP SIGNATURE-----';
const PGP_END = '-----END PGP SIGNATURE-----';
const SSH_BEGIN = '-----BEGIN SSH SIGNATURE-----';
const SINGLE_HEADERS = new Set(['pusher', 'pushee', 'nonce']);

function malformed(msg: string): IdentityError {
  return new IdentityError('cert-malformed', `malformed push certificate: ${msg}`);
}

/** Index of the start of the last line that starts with `marker`, or -1. */
function lastLineStartingWith(text: string, marker: string): number {
  const i = text.lastIndexOf(`\n${marker}`);
  if (i >= 0) return i + 1;
  return text.startsWith(marker) ? 0 : -1;
}

/** Show a line in an error message: quoted, control characters escaped, cut short. */
function show(line: string): string {
  const s = JSON.stringify(line.length > 200 ? `${line.slice(0, 200)}...` : line);
  return s;
}

/**
 * Parse a push certificate. Give the blob's bytes when you have them: then
 * `payloadBytes` are exactly the signed bytes, even if a ref name is not UTF-8.
 * Throws `IdentityError` (code `cert-malformed` or `cert-ssh`) on anything malformed.
 */
export function parsePushCert(input: string | Uint8Array): PushCertificate {
  const bytes = typeof input === 'string' ? undefined : input;
  const text = typeof input === 'string' ? input : new TextDecoder('utf-8', { ignoreBOM: true }).decode(input);
  if (text.length === 0) throw malformed('the certificate is empty');

  const pgpAt = lastLineStartingWith(text, PGP_BEGIN);
  const sshAt = lastLineStartingWith(text, SSH_BEGIN);
  if (sshAt > pgpAt) {
    throw new IdentityError(
      'cert-ssh',
      'push certificate is signed with an SSH key: SSH-signed pushes are not supported, sign with a GPG key (git config gpg.format openpgp; git config user.signingkey <GPG key fingerprint>)',
    );
  }
  if (pgpAt < 0) throw malformed('no PGP signature (no line starting "-----BEGIN PGP SIGNATURE-----")');
  if (pgpAt === 0) throw malformed('nothing before the signature');

  const payload = text.slice(0, pgpAt);
  const signature = text.slice(pgpAt);

  if (payload.includes('\r')) throw malformed('carriage return in the certificate (git writes LF line endings)');
  if (payload.includes('\0')) throw malformed('NUL byte in the certificate');

  // The signature block: BEGIN line ... END line, nothing after it but one final newline.
  const sigLines = signature.endsWith('\n') ? signature.slice(0, -1).split('\n') : signature.split('\n');
  if (sigLines[0] !== PGP_BEGIN) throw malformed(`bad signature armor line ${show(sigLines[0] ?? '')}`);
  if (sigLines[sigLines.length - 1] !== PGP_END || sigLines.length < 3) {
    throw malformed('the signature is truncated or has text after "-----END PGP SIGNATURE-----"');
  }
  if (sigLines.slice(1, -1).some((l) => l.startsWith('-----'))) throw malformed('more than one armored block in the signature');

  const lines = payload.slice(0, -1).split('\n');
  const first = lines[0] ?? '';
  if (first !== 'certificate version 0.1') {
    if (first.startsWith('certificate version ')) {
      throw malformed(`unsupported version ${show(first.slice('certificate version '.length))} (only 0.1 is supported)`);
    }
    throw malformed(`first line must be "certificate version 0.1", got ${show(first)}`);
  }

  const seen = new Set<string>();
  let pusher: string | undefined;
  let pushee: string | undefined;
  let nonce: string | undefined;
  const pushOptions: string[] = [];
  let i = 1;
  for (; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') break;
    const sp = line.indexOf(' ');
    const key = sp < 0 ? line : line.slice(0, sp);
    const value = sp < 0 ? '' : line.slice(sp + 1);
    if (/^[0-9a-f]{40}/.test(line)) throw malformed('missing the empty line between the header and the ref updates');
    if (key === 'push-option') {
      pushOptions.push(value);
      continue;
    }
    if (!SINGLE_HEADERS.has(key)) throw malformed(`unknown header line ${show(line)}`);
    if (seen.has(key)) throw malformed(`duplicate "${key}" header`);
    seen.add(key);
    if (value === '') throw malformed(`empty "${key}" header`);
    if (key === 'pusher') pusher = value;
    else if (key === 'pushee') pushee = value;
    else nonce = value;
  }
  if (i >= lines.length) throw malformed('missing the empty line between the header and the ref updates');
  if (pusher === undefined) throw malformed('missing "pusher" header');

  const updates: RefUpdate[] = [];
  for (i++; i < lines.length; i++) {
    const line = lines[i]!;
    const u = parseRefUpdateLine(line);
    // Stricter than a hook's stdin: a signed ref name holds no space or control character, and both ids have one length.
    if (!u || /[\x00-\x20\x7f]/.test(u.ref) || u.oldOid.length !== u.newOid.length) {
      throw malformed(`bad ref update line ${show(line)} (expected "<old-oid> <new-oid> refs/...")`);
    }
    updates.push(u);
  }
  if (updates.length === 0) throw malformed('no ref updates');
  const oidLength = updates[0]!.oldOid.length;
  if (updates.some((u) => u.oldOid.length !== oidLength)) throw malformed('ref updates mix SHA-1 and SHA-256 object IDs');

  const cert: PushCertificate = {
    version: '0.1',
    pusher,
    pushOptions,
    updates,
    payload,
    signature,
  };
  if (pushee !== undefined) cert.pushee = pushee;
  if (nonce !== undefined) cert.nonce = nonce;
  if (bytes) {
    // The payload is everything before the signature's first byte; find it in the bytes
    // (the signature block is ASCII, so its length in bytes equals its length in characters).
    const sigBytes = new TextEncoder().encode(signature).length;
    cert.payloadBytes = bytes.slice(0, bytes.length - sigBytes);
  }
  return cert;
}

/** The bytes the signature covers. */
export function signedBytes(cert: PushCertificate): Uint8Array {
  return cert.payloadBytes ?? new TextEncoder().encode(cert.payload);
}

/** Parse `<old> <new> <ref>` lines as git feeds them to pre-receive on stdin; a bad line is an IdentityError. */
export function parseRefUpdates(stdin: string): RefUpdate[] {
  return parseUpdateLines(stdin, (line) => new IdentityError('cert-malformed', `bad ref update line on stdin: ${show(line)}`));
}
