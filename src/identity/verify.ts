/**
 * Who is pushing: verify a push certificate with OpenPGP (openpgp.js, never
 * the server's gpg) against the key files of the policy branch (docs/reference.md#identity), and
 * check that the push git is about to apply is the push that was signed.
 */
import * as openpgp from 'openpgp';
import { errorMessage } from '../core/messages.js';
import { IdentityError, type IdentityErrorCode } from './errors.js';
import type { KeyFileRef, KeyFinder } from './key-index.js';
import { keyFilePath } from '../core/ids.js';
import { loadKeyFile } from './keys.js';
import { signedBytes } from './push-cert.js';
import { CLOCK_SKEW_MS, type KeyInfo, type PushCertificate } from './types.js';

export interface VerifyPushCertOptions {
  cert: PushCertificate;
  /**
   * The key files of the policy branch as it was before this push, by issuer
   * (see `KeyFinder`; `createKeyFinder` builds one from a file list and a reader).
   */
  findKey: KeyFinder & { hasFile?: (path: string) => boolean };
  /**
   * Registration (docs/reference.md#identity): the `keys/<FPR>.asc` files this push ADDS to the
   * policy branch (new paths, content as pushed). They are used only when no key
   * file of the policy branch verifies the certificate, only if their name is
   * their key's fingerprint, and never when the policy branch already holds a
   * file of that name (a push cannot replace a registered key to prove who it is).
   * A function is called only then, with the signature's issuer IDs (as for
   * `findKey`), so that nothing the push adds is read before the registered
   * keys have had their turn (push/registration.ts reads only the one file
   * that can hold the issuer).
   */
  addedKeyFiles?: KeyFileRef[] | ((candidateKeyIds: string[]) => Promise<KeyFileRef[]>);
  /** "Now", for key expiry and revocation. Default: the current time. */
  date?: Date;
  /**
   * How far in the future (client clock ahead) a signature or key may be dated.
   * Default 5 minutes. Key expiry and revocation are checked at `date` plus this.
   */
  clockSkewMs?: number;
  /**
   * Called when a key file of the policy branch (not a registration) verifies the certificate: what openpgp
   * established about its signing key, for the hook's fast path (server/fast-identity.ts) to reuse. Never called
   * when the record cannot be made exactly (see `verifiedKeyRecord`).
   */
  onVerified?: (ref: KeyFileRef, record: VerifiedKeyRecord) => void;
}

/**
 * What openpgp established when a key file verified a certificate, as the hook's fast path may reuse it
 * (docs/security.md, "The certificate check's fast path"). openpgp judges a key file at a date only by comparing
 * that date with instants the file holds (creation and expiration times of its keys and signatures): between two
 * consecutive such instants its verdict cannot change. The record holds the open interval around the date it
 * was judged at, so that any date inside gets the verdict openpgp gave: this signing key can sign.
 */
export interface VerifiedKeyRecord {
  /** The signing (sub)key: 40 and 16 hex, upper-case. */
  fingerprint: string;
  keyId: string;
  /** OpenPGP public-key algorithm: 1 (RSA) or 22 (EdDSA on Ed25519, v4 "legacy"). */
  algorithm: 1 | 22;
  /** RSA modulus and exponent, or the Ed25519 point (32 bytes), in hex. */
  publicKey: { n: string; e: string } | { x: string };
  /** The signing key's creation time, ms. */
  keyCreated: number;
  /** The open interval (after, before) in ms, null for unbounded, in which openpgp's verdict on the key file holds. */
  after: number | null;
  before: number | null;
  pusher: { userId: string; keyInfo: KeyInfo; keyFile: string; signingKeyId: string };
}

export interface VerifiedPusher {
  /** The user ID: primary key fingerprint, 40 upper-case hex. */
  userId: string;
  keyInfo: KeyInfo;
  /** The key file that verified, e.g. `keys/<FPR>.asc`. */
  keyFile: string;
  /** 16-hex upper-case ID of the (sub)key that made the signature. */
  signingKeyId: string;
  /** True when the key came from `addedKeyFiles` (the push registers it). */
  registration: boolean;
}

interface CertSignature {
  signature: openpgp.Signature;
  keyId: openpgp.KeyID;
  /** 16 hex, upper-case. */
  keyIdHex: string;
  /** 40 hex, upper-case, when the signature carries an issuer fingerprint. */
  fingerprint?: string;
}

const toHex = (b: Uint8Array): string =>
  Array.from(b, (x) => x.toString(16).padStart(2, '0'))
    .join('')
    .toUpperCase();

async function readCertSignature(cert: PushCertificate): Promise<CertSignature> {
  let signature: openpgp.Signature;
  try {
    signature = await openpgp.readSignature({ armoredSignature: cert.signature });
  } catch (e) {
    throw new IdentityError(
      'cert-malformed',
      `malformed push certificate: the signature is not a valid OpenPGP signature (${errorMessage(e)})`,
    );
  }
  const packets = [...signature.packets];
  if (packets.length !== 1 || !(packets[0] instanceof openpgp.SignaturePacket)) {
    throw new IdentityError(
      'cert-malformed',
      `malformed push certificate: expected exactly one signature, found ${packets.length} packets`,
    );
  }
  const p = packets[0] as openpgp.SignaturePacket & { issuerFingerprint?: Uint8Array | null };
  if (p.signatureType !== openpgp.enums.signature.binary && p.signatureType !== openpgp.enums.signature.text) {
    throw new IdentityError('cert-malformed', 'malformed push certificate: the signature is not a signature over data');
  }
  let fingerprint: string | undefined;
  if (p.issuerFingerprint && p.issuerFingerprint.length === 20) fingerprint = toHex(p.issuerFingerprint);
  const keyId = p.issuerKeyID;
  const keyIdHex = keyId ? keyId.toHex().toUpperCase() : '';
  // openpgp finds the verification key by this ID, so it must be a real one (not the wildcard).
  if (!/^[0-9A-F]{16}$/.test(keyIdHex) || keyIdHex === '0000000000000000') {
    throw new IdentityError('cert-malformed', 'malformed push certificate: the signature names no issuer key');
  }
  if (fingerprint !== undefined && fingerprint.slice(-16) !== keyIdHex) {
    throw new IdentityError('cert-malformed', 'malformed push certificate: the signature names two different issuer keys');
  }
  return fingerprint !== undefined ? { signature, keyId, keyIdHex, fingerprint } : { signature, keyId, keyIdHex };
}

async function* candidatesOf(found: ReturnType<KeyFinder>): AsyncGenerator<KeyFileRef> {
  const r = await found;
  if (r == null) return;
  if (Array.isArray(r)) yield* r;
  else if (Symbol.asyncIterator in (r as object)) yield* r as AsyncIterable<KeyFileRef>;
  else yield r as KeyFileRef;
}

type Attempt = { ok: true; pusher: VerifiedPusher } | { ok: false; code: IdentityErrorCode; message: string };

async function tryKeyFile(
  ref: KeyFileRef,
  sig: CertSignature,
  payload: Uint8Array,
  date: Date,
  registration: boolean,
  onVerified?: VerifyPushCertOptions['onVerified'],
): Promise<Attempt> {
  let loaded;
  try {
    loaded = await loadKeyFile(ref.armored, ref.fileName, date);
  } catch (e) {
    return { ok: false, code: e instanceof IdentityError ? e.code : 'key-file', message: errorMessage(e) };
  }
  const { key, info } = loaded;
  const issuer = key.getKeys(sig.keyId);
  if (issuer.length === 0 || (sig.fingerprint !== undefined && !issuer.some((k) => k.getFingerprint().toUpperCase() === sig.fingerprint))) {
    return {
      ok: false,
      code: 'unknown-signer',
      message: `${ref.fileName} does not hold the signing key ${sig.fingerprint ?? sig.keyIdHex}`,
    };
  }
  const bad = (why: string): Attempt => ({
    ok: false,
    code: 'bad-signature',
    message: `bad push certificate signature (checked with ${ref.fileName}): ${why.replace(/^Error verifying signed message: /, '')}`,
  });
  try {
    const message = await openpgp.createMessage({ binary: payload });
    const result = await openpgp.verify({
      message,
      signature: sig.signature,
      verificationKeys: [key],
      expectSigned: true,
      format: 'binary',
      date,
    });
    if (result.signatures.length !== 1) return bad(`expected one signature, found ${result.signatures.length}`);
    const s = result.signatures[0]!;
    // Never trust a result without awaiting `verified`: it is a promise, and a promise is truthy, so garbage would "verify".
    if ((await s.verified) !== true) return bad('the signature does not verify');
    if (s.keyID.toHex().toUpperCase() !== sig.keyIdHex) return bad('signed by an unexpected key');
  } catch (e) {
    return bad(errorMessage(e));
  }
  // The signing (sub)key must still be valid now, not only when it signed.
  try {
    await key.getSigningKey(sig.keyId, date);
  } catch (e) {
    return {
      ok: false,
      code: 'key-file',
      message: `${ref.fileName}: signing key ${sig.keyIdHex} of ${info.fingerprint} cannot sign now (${errorMessage(e)})`,
    };
  }
  const pusher = { userId: info.fingerprint, keyInfo: info, keyFile: ref.fileName, signingKeyId: sig.keyIdHex };
  if (onVerified && !registration) {
    const signedAt = (sig.signature.packets[0] as openpgp.SignaturePacket | undefined)?.created ?? null;
    const record = signedAt ? verifiedKeyRecord(key, sig.keyId, date, signedAt, pusher) : null;
    if (record) onVerified(ref, record);
  }
  return { ok: true, pusher: { ...pusher, registration } };
}

/** Every instant (ms) of `key` that openpgp compares a date with. */
function keyInstants(key: openpgp.Key): number[] {
  const created = [key.keyPacket.created.getTime(), ...key.subkeys.map((s) => s.keyPacket.created.getTime())];
  const out = new Set<number>(created);
  const addSig = (s: openpgp.SignaturePacket | null | undefined): void => {
    if (!s) return;
    const p = s as openpgp.SignaturePacket & {
      keyExpirationTime?: number | null;
      embeddedSignature?: openpgp.SignaturePacket | null;
    };
    if (p.created) out.add(p.created.getTime());
    const exp = p.getExpirationTime();
    if (exp instanceof Date) out.add(exp.getTime());
    else if (typeof exp === 'number' && Number.isFinite(exp)) out.add(exp);
    // A key expiration time is relative to its key's creation: added for every key, whichever it binds.
    if (typeof p.keyExpirationTime === 'number' && p.keyExpirationTime > 0)
      for (const c of created) out.add(c + p.keyExpirationTime * 1000);
    addSig(p.embeddedSignature);
  };
  const k = key as openpgp.Key & { directSignatures: openpgp.SignaturePacket[]; revocationSignatures: openpgp.SignaturePacket[] };
  for (const s of k.directSignatures) addSig(s);
  for (const s of k.revocationSignatures) addSig(s);
  for (const u of key.users) for (const s of [...u.selfCertifications, ...u.otherCertifications, ...u.revocationSignatures]) addSig(s);
  for (const sk of key.subkeys) for (const s of [...sk.bindingSignatures, ...sk.revocationSignatures]) addSig(s);
  return [...out];
}

/**
 * The record of a verified signing key (see VerifiedKeyRecord), or null when it cannot be made exactly: an
 * algorithm the fast path does not verify, a key ID two keys of the file share, an instant of the file within
 * the very second of `date` (openpgp compares dates rounded down to the second as well as whole), an instant
 * between the signature's creation and `date`.
 *
 * That last one because openpgp's verdict is not a function of `date` alone: one verification judges the key at
 * `date`, at the signature's creation, then at `date` again, on the same key object, and what it finds sticks to
 * the signatures it walked (`SignaturePacket.revoked`: a user ID found revoked at the signature's creation stays
 * revoked at `date`, so another user ID, with other key flags, may become primary). A verdict that leaned on a
 * moment outside the interval says nothing about the moments inside it. With the signature's creation inside,
 * every moment openpgp judged at compares alike with every instant of the file (openpgp's checks hold from an
 * instant on: `created <= date`, `date < expiry`; so the interval's lower end itself is as good as inside), and
 * so does every moment the fast path lets it judge at later.
 */
function verifiedKeyRecord(
  key: openpgp.Key,
  keyId: openpgp.KeyID,
  date: Date,
  signedAt: Date,
  pusher: VerifiedKeyRecord['pusher'],
): VerifiedKeyRecord | null {
  try {
    const matching = key.getKeys(keyId);
    if (matching.length !== 1) return null;
    const packet = matching[0]!.keyPacket as openpgp.PublicKeyPacket & {
      algorithm: number;
      publicParams: { n?: Uint8Array; e?: Uint8Array; Q?: Uint8Array; oid?: { getName(): string } };
    };
    if (packet.version !== 4) return null;
    let publicKey: VerifiedKeyRecord['publicKey'];
    let algorithm: VerifiedKeyRecord['algorithm'];
    const pp = packet.publicParams;
    if (packet.algorithm === 1 && pp.n instanceof Uint8Array && pp.e instanceof Uint8Array) {
      algorithm = 1;
      publicKey = { n: hexOf(pp.n), e: hexOf(pp.e) };
    } else if (
      packet.algorithm === 22 &&
      pp.Q instanceof Uint8Array &&
      pp.Q.length === 33 &&
      pp.Q[0] === 0x40 &&
      pp.oid?.getName() === 'ed25519Legacy'
    ) {
      algorithm = 22;
      publicKey = { x: hexOf(pp.Q.subarray(1)) };
    } else return null;
    const d = date.getTime();
    const floor = Math.floor(d / 1000) * 1000;
    let after: number | null = null;
    let before: number | null = null;
    for (const t of keyInstants(key)) {
      if (!Number.isFinite(t)) return null;
      if (t >= floor && t <= d) return null;
      if (t < floor && (after === null || t > after)) after = t;
      if (t > d && (before === null || t < before)) before = t;
    }
    if (after !== null && signedAt.getTime() < after) return null;
    return {
      fingerprint: packet.getFingerprint().toUpperCase(),
      keyId: packet.getKeyID().toHex().toUpperCase(),
      algorithm,
      publicKey,
      keyCreated: packet.created.getTime(),
      after,
      before,
      pusher,
    };
  } catch {
    return null;
  }
}

const hexOf = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/**
 * Verify a push certificate and name the pusher. Tries the key files the
 * finder proposes, in order, then the key files the push adds (registration);
 * the first that verifies names the pusher. Throws `IdentityError` otherwise.
 */
export async function verifyPushCert(opts: VerifyPushCertOptions): Promise<VerifiedPusher> {
  // Everything is judged at now + skew: a client clock ahead of ours may date the
  // signature (and a key made a minute ago) slightly in the future; expiry and
  // revocation only get stricter by it.
  const date = new Date((opts.date ?? new Date()).getTime() + (opts.clockSkewMs ?? CLOCK_SKEW_MS));
  const sig = await readCertSignature(opts.cert);
  const payload = signedBytes(opts.cert);
  const ids = sig.fingerprint !== undefined ? [sig.fingerprint, sig.keyIdHex] : [sig.keyIdHex];
  const failures: Array<{ code: IdentityErrorCode; message: string }> = [];

  for await (const ref of candidatesOf(opts.findKey(ids))) {
    const r = await tryKeyFile(ref, sig, payload, date, false, opts.onVerified);
    if (r.ok) return r.pusher;
    failures.push(r);
  }

  const added = typeof opts.addedKeyFiles === 'function' ? await opts.addedKeyFiles(ids) : (opts.addedKeyFiles ?? []);
  for (const ref of added) {
    // Cheap pre-check: does this file hold the issuer at all? (the full checks follow)
    let holds = false;
    try {
      const keys = await openpgp.readKeys({ armoredKeys: ref.armored });
      holds = keys.some((k) => k.getKeys(sig.keyId).length > 0);
    } catch {
      holds = false;
    }
    if (!holds) continue;
    const r = await tryKeyFile(ref, sig, payload, date, true);
    if (!r.ok) {
      failures.push(r);
      continue;
    }
    const path = keyFilePath(r.pusher.userId);
    const exists = opts.findKey.hasFile ? opts.findKey.hasFile(path) : await registeredByName(opts.findKey, r.pusher.userId);
    if (exists) {
      failures.push({
        code: 'unknown-signer',
        message: `${path} is already on the policy branch and does not verify this push; a push cannot replace a registered key to prove who pushes it`,
      });
      continue;
    }
    return r.pusher;
  }

  if (failures.length === 0) {
    const who = sig.fingerprint !== undefined ? `${sig.fingerprint} (key ID ${sig.keyIdHex})` : `key ID ${sig.keyIdHex}`;
    throw new IdentityError(
      'unknown-signer',
      `push certificate is signed by key ${who}, which no key file of the policy branch holds: register your public key as keys/<PRIMARY KEY FINGERPRINT>.asc`,
    );
  }
  throw new IdentityError(failures[0]!.code, failures.map((f) => f.message).join('; '));
}

async function registeredByName(findKey: KeyFinder, fingerprint: string): Promise<boolean> {
  const path = keyFilePath(fingerprint);
  for await (const ref of candidatesOf(findKey([fingerprint]))) {
    if (ref.fileName === path || ref.fileName.endsWith(`/${fingerprint}.asc`)) return true;
  }
  return false;
}
