/**
 * The certificate check's fast path (docs/security.md, "The certificate check's fast path"): the hook verifies
 * the common push certificate with node:crypto, without loading openpgp, using what openpgp established earlier
 * about the very same key file (identity/verify.ts `VerifiedKeyRecord`, kept by server/verify-cache.ts).
 *
 * It may only accept, never reject: anything it does not handle with certainty (another armor, packet, version,
 * signature type, algorithm, hash, subpacket; no record; a date outside the record's interval) returns null, and
 * the caller runs the openpgp path, which gives today's verdict and message. Every accept condition is at least
 * as strict as openpgp's (SignaturePacket.verify, createVerificationObject, and identity/verify.ts around them).
 */
import { createHash, verify as cryptoVerify } from 'node:crypto';
import type { KeyFileRef, KeyFinder } from '../identity/key-index.js';
import { signedBytes } from '../identity/push-cert.js';
import { CLOCK_SKEW_MS, type PushCertificate } from '../identity/types.js';
import type { VerifiedKeyRecord, VerifiedPusher } from '../identity/verify.js';
import { readVerifiedKeys } from './verify-cache.js';

/** A v4 binary-document signature as the fast path takes it. */
export interface FastSignature {
  publicKeyAlgorithm: 1 | 22;
  hashAlgorithm: number;
  /** Creation time, ms (a whole second). */
  created: number;
  /** Issuer fingerprint (40 hex) and key ID (16 hex), upper-case. */
  fingerprint: string;
  keyId: string;
  /** The hashed part of the packet: version through the hashed subpackets. */
  hashedPart: Uint8Array;
  left16: Uint8Array;
  /** RSA: [s]; EdDSA: [r, s]; as the MPIs hold them (no leading zero bytes). */
  mpis: Uint8Array[];
}

/**
 * Hash algorithms (OpenPGP IDs) the fast path verifies, each one openpgp accepts for a message signature:
 * SHA-256, SHA-384, SHA-512. (SHA-224 and SHA-3 openpgp accepts too, but verifies them through other code
 * than node:crypto's: the openpgp path keeps them. SHA-1, MD5, RIPEMD-160 openpgp rejects.)
 */
const HASHES: ReadonlyMap<number, string> = new Map([
  [8, 'sha256'],
  [9, 'sha384'],
  [10, 'sha512'],
]);

const BEGIN = '-----BEGIN PGP SIGNATURE-----';
const END = '-----END PGP SIGNATURE-----';
const B64_LINE = /^[A-Za-z0-9+/]{1,76}={0,2}$/;
const CRC_LINE = /^=[A-Za-z0-9+/]{4}$/;

function crc24(data: Uint8Array): number {
  let crc = 0xb704ce;
  for (const b of data) {
    crc ^= b << 16;
    for (let i = 0; i < 8; i++) {
      crc <<= 1;
      if (crc & 0x1000000) crc ^= 0x1864cfb;
    }
  }
  return crc & 0xffffff;
}

/**
 * The one packet of gpg's armored signature, or null. Only the exact form gpg writes: the BEGIN line, an empty
 * line (no armor headers), base64 lines, the CRC-24 line (checked), the END line, one final newline or none.
 */
export function unarmorSignature(text: string): Uint8Array | null {
  const lines = (text.endsWith('\n') ? text.slice(0, -1) : text).split('\n');
  if (lines.length < 5 || lines[0] !== BEGIN || lines[1] !== '' || lines[lines.length - 1] !== END) return null;
  const body = lines.slice(2, -2);
  const crcLine = lines[lines.length - 2]!;
  if (!CRC_LINE.test(crcLine)) return null;
  for (let i = 0; i < body.length; i++) {
    if (!B64_LINE.test(body[i]!)) return null;
    if (i < body.length - 1 && body[i]!.includes('=')) return null; // padding only at the very end
  }
  const b64 = body.join('');
  if (b64.length % 4 !== 0) return null;
  const data = new Uint8Array(Buffer.from(b64, 'base64'));
  // Buffer's decoder skips what it does not take: make sure it took everything, exactly.
  if (Buffer.from(data).toString('base64') !== b64) return null;
  const crc = Buffer.from(crcLine.slice(1), 'base64');
  if (crc.length !== 3 || ((crc[0]! << 16) | (crc[1]! << 8) | crc[2]!) !== crc24(data)) return null;
  return data;
}

/** The body of the one signature packet (tag 2) that is all of `data`, or null. */
function onePacket(data: Uint8Array): Uint8Array | null {
  if (data.length < 2) return null;
  const h = data[0]!;
  if ((h & 0x80) === 0) return null;
  let p = 1;
  let len: number;
  if (h & 0x40) {
    if ((h & 0x3f) !== 2) return null;
    const b0 = data[p++]!;
    if (b0 < 192) len = b0;
    else if (b0 < 224) {
      if (p >= data.length) return null;
      len = ((b0 - 192) << 8) + data[p++]! + 192;
    } else if (b0 === 255) {
      if (p + 4 > data.length) return null;
      len = ((data[p]! << 24) | (data[p + 1]! << 16) | (data[p + 2]! << 8) | data[p + 3]!) >>> 0;
      p += 4;
    } else return null; // partial lengths
  } else {
    if (((h >> 2) & 0x0f) !== 2) return null;
    const lt = h & 3;
    if (lt === 3) return null;
    const n = 1 << lt;
    if (p + n > data.length) return null;
    len = 0;
    for (let k = 0; k < n; k++) len = len * 256 + data[p + k]!;
    p += n;
  }
  if (p + len !== data.length) return null;
  return data.subarray(p);
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex').toUpperCase();

/**
 * Subpackets of one area, or null on anything but issuer key ID (16), issuer fingerprint (33) and, hashed only,
 * signature creation time (2), each well formed and not critical.
 */
function subpackets(area: Uint8Array, hashed: boolean): Array<{ type: number; body: Uint8Array }> | null {
  const out: Array<{ type: number; body: Uint8Array }> = [];
  let p = 0;
  while (p < area.length) {
    const b0 = area[p++]!;
    let len: number;
    if (b0 < 192) len = b0;
    else if (b0 < 255) {
      if (p >= area.length) return null;
      len = ((b0 - 192) << 8) + area[p++]! + 192;
    } else {
      if (p + 4 > area.length) return null;
      len = ((area[p]! << 24) | (area[p + 1]! << 16) | (area[p + 2]! << 8) | area[p + 3]!) >>> 0;
      p += 4;
    }
    if (len < 1 || p + len > area.length) return null;
    const typeByte = area[p]!;
    const body = area.subarray(p + 1, p + len);
    p += len;
    if (typeByte & 0x80) return null;
    const ok =
      (typeByte === 2 && hashed && body.length === 4) ||
      (typeByte === 16 && body.length === 8) ||
      (typeByte === 33 && body.length === 21 && body[0] === 4);
    if (!ok) return null;
    out.push({ type: typeByte, body });
  }
  return out;
}

/** Reads MPIs that must fill `material` exactly; null otherwise. */
function mpis(material: Uint8Array, count: number): Uint8Array[] | null {
  const out: Uint8Array[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 2 > material.length) return null;
    const bits = (material[p]! << 8) | material[p + 1]!;
    const n = (bits + 7) >>> 3;
    p += 2;
    if (p + n > material.length) return null;
    out.push(material.subarray(p, p + n));
    p += n;
  }
  return p === material.length ? out : null;
}

/** The certificate's signature as the fast path takes it, or null (then only openpgp may judge it). */
export function parseFastSignature(armored: string): FastSignature | null {
  const data = unarmorSignature(armored);
  if (!data) return null;
  const b = onePacket(data);
  if (!b || b.length < 6) return null;
  // v4, signature of a binary document (a text-mode signature is left to openpgp).
  if (b[0] !== 4 || b[1] !== 0x00) return null;
  const publicKeyAlgorithm = b[2]!;
  const hashAlgorithm = b[3]!;
  if ((publicKeyAlgorithm !== 1 && publicKeyAlgorithm !== 22) || !HASHES.has(hashAlgorithm)) return null;
  const hashedLen = (b[4]! << 8) | b[5]!;
  const hashedEnd = 6 + hashedLen;
  if (hashedEnd + 2 > b.length) return null;
  const hashed = subpackets(b.subarray(6, hashedEnd), true);
  const unhashedLen = (b[hashedEnd]! << 8) | b[hashedEnd + 1]!;
  const unhashedEnd = hashedEnd + 2 + unhashedLen;
  if (!hashed || unhashedEnd + 2 > b.length) return null;
  const unhashed = subpackets(b.subarray(hashedEnd + 2, unhashedEnd), false);
  if (!unhashed) return null;
  const all = [...hashed, ...unhashed];
  const created = hashed.filter((s) => s.type === 2);
  const fprs = all.filter((s) => s.type === 33);
  const ids = all.filter((s) => s.type === 16);
  if (created.length !== 1 || fprs.length !== 1 || ids.length > 1) return null;
  const fingerprint = hex(fprs[0]!.body.subarray(1));
  const keyId = fingerprint.slice(-16);
  if (keyId === '0000000000000000') return null; // identity/verify.ts refuses the wildcard issuer
  if (ids.length === 1 && hex(ids[0]!.body) !== keyId) return null;
  const c = created[0]!.body;
  const createdMs = (((c[0]! << 24) | (c[1]! << 16) | (c[2]! << 8) | c[3]!) >>> 0) * 1000;
  const material = mpis(b.subarray(unhashedEnd + 2), publicKeyAlgorithm === 1 ? 1 : 2);
  if (!material) return null;
  return {
    publicKeyAlgorithm,
    hashAlgorithm,
    created: createdMs,
    fingerprint,
    keyId,
    hashedPart: b.subarray(0, hashedEnd),
    left16: b.subarray(unhashedEnd, unhashedEnd + 2),
    mpis: material,
  };
}

function leftPad(b: Uint8Array, n: number): Buffer | null {
  if (b.length > n) return null;
  const out = Buffer.alloc(n);
  out.set(b, n - b.length);
  return out;
}

const b64url = (h: string): string => Buffer.from(h, 'hex').toString('base64url');

/**
 * True only if openpgp, given the key file the record was made from, would accept `sig` over `payload` at
 * `date` (the judging moment plus the clock skew) with the record's signing key; false means "ask openpgp".
 */
export function fastVerify(sig: FastSignature, payload: Uint8Array, record: VerifiedKeyRecord, date: number): boolean {
  if (sig.fingerprint !== record.fingerprint || sig.keyId !== record.keyId || sig.publicKeyAlgorithm !== record.algorithm) return false;
  const second = Math.floor(date / 1000) * 1000;
  // The dates openpgp judges the key at (the signature's creation, then `date`) lie strictly inside the interval
  // in which its verdict on this key file was "this key can sign", so its verdict there is the same.
  const inside = (t: number): boolean => (record.after === null || record.after < t) && (record.before === null || t < record.before);
  if (!inside(second) || !inside(date) || !inside(sig.created)) return false;
  // Not made in the future (openpgp compares with `date` rounded down to the second), not before its key.
  if (sig.created > second || record.keyCreated > sig.created) return false;
  const hashName = HASHES.get(sig.hashAlgorithm);
  if (hashName === undefined) return false;
  const hashedPart = sig.hashedPart;
  const trailer = Buffer.alloc(6);
  trailer[0] = 4;
  trailer[1] = 0xff;
  trailer.writeUInt32BE(hashedPart.length, 2);
  const toHash = Buffer.concat([payload, hashedPart, trailer]);
  const digest = createHash(hashName).update(toHash).digest();
  if (digest[0] !== sig.left16[0] || digest[1] !== sig.left16[1]) return false;
  try {
    if (record.algorithm === 1 && 'n' in record.publicKey) {
      const n = Buffer.from(record.publicKey.n, 'hex');
      const s = leftPad(sig.mpis[0]!, n.length);
      if (!s) return false;
      const jwk = { kty: 'RSA', n: b64url(record.publicKey.n), e: b64url(record.publicKey.e) };
      return cryptoVerify(hashName, toHash, { key: jwk, format: 'jwk' }, s) === true;
    }
    if (record.algorithm === 22 && 'x' in record.publicKey) {
      const r = leftPad(sig.mpis[0]!, 32);
      const s = leftPad(sig.mpis[1]!, 32);
      if (!r || !s || record.publicKey.x.length !== 64) return false;
      // openpgp signs and verifies the digest itself with Ed25519 (legacy EdDSA), through WebCrypto: OpenSSL, as here.
      const jwk = { kty: 'OKP', crv: 'Ed25519', x: b64url(record.publicKey.x) };
      return cryptoVerify(null, digest, { key: jwk, format: 'jwk' }, Buffer.concat([r, s])) === true;
    }
  } catch {
    return false;
  }
  return false;
}

export interface FastIdentifyInput {
  cert: PushCertificate;
  /** The key files of the policy in force (the finder the openpgp path is then given too). */
  findKey: KeyFinder;
  /** The moment of judgement (the clock skew is added here, as identity/verify.ts does). */
  date: Date;
  /** Where verified keys are recorded (verify-cache.ts). */
  cacheDir: string;
}

/**
 * The pusher, when the fast path can vouch that openpgp would name the same one; null otherwise. Only the first
 * key file the finder proposes is considered, the one openpgp's path tries first: if it verifies there, openpgp's
 * path ends there too. Never throws.
 */
export function fastIdentify(input: FastIdentifyInput): Promise<VerifiedPusher | null> {
  return fastPusher(input.cert, input.findKey, (ref) => readVerifiedKeys(input.cacheDir, ref), input.date);
}

/** fastIdentify's core, over any finder and record source (the tests give it in-memory key files). */
export async function fastPusher(
  cert: PushCertificate,
  findKey: KeyFinder,
  recordsOf: (ref: KeyFileRef) => VerifiedKeyRecord[],
  date: Date,
): Promise<VerifiedPusher | null> {
  try {
    const sig = parseFastSignature(cert.signature);
    if (!sig) return null;
    const first = await firstCandidate(findKey([sig.fingerprint, sig.keyId]));
    if (!first) return null;
    const record = recordsOf(first).find((r) => r.fingerprint === sig.fingerprint);
    if (!record || record.pusher.keyFile !== first.fileName) return null;
    if (!fastVerify(sig, signedBytes(cert), record, date.getTime() + CLOCK_SKEW_MS)) return null;
    return { ...record.pusher, registration: false };
  } catch {
    return null;
  }
}

/** The first key file a finder proposes (as identity/verify.ts consumes it), without asking for more. */
async function firstCandidate(found: ReturnType<KeyFinder>): Promise<KeyFileRef | null> {
  const r = await found;
  if (r == null) return null;
  if (Array.isArray(r)) return r[0] ?? null;
  if (Symbol.asyncIterator in (r as object)) {
    const it = (r as AsyncIterable<KeyFileRef>)[Symbol.asyncIterator]();
    const first = await it.next();
    await it.return?.(undefined);
    return first.done ? null : first.value;
  }
  return r as KeyFileRef;
}
