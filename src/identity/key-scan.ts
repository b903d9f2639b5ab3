/**
 * Reading key files without openpgp: the armor, the packet stream, the v4 key IDs and fingerprints, and the
 * checks every key file passes before openpgp reads it (re-exported by keys.ts). Kept apart from keys.ts so that
 * finding a key file (key-index.ts) and the hook's certificate check on its fast path never load openpgp.
 */
import { errorMessage } from '../core/messages.js';
import { sha1 } from './sha1.js';

export const ARMOR_BEGIN = /^-----BEGIN PGP ([A-Z ,0-9/]+)-----$/;

/** The OpenPGP packet tags a key file may hold key material in (RFC 4880 §4.3). */
export const PacketTag = { secretKey: 5, publicKey: 6, secretSubkey: 7, publicSubkey: 14 } as const;

// ---------------------------------------------------------------------------
// A small, fast OpenPGP packet scanner. It is used to index key files (which
// file holds which key ID) and to refuse secret key material; it never decides
// that a signature is valid — openpgp does that.

export interface ScannedKeyFile {
  /** Armor type, e.g. `PUBLIC KEY BLOCK`. */
  armorType: string;
  /** Packet tags, in order. */
  tags: number[];
  /** 16-hex upper-case key IDs of v4 public keys and public subkeys (PacketTag.publicKey, .publicSubkey), in order. */
  keyIds: string[];
  /** 40-hex upper-case fingerprints of the same keys. */
  fingerprints: string[];
}

/** Decode the one armored block in `text`; throws a plain Error on anything else. */
export function unarmor(text: string): { type: string; data: Uint8Array } {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  let i = 0;
  while (i < lines.length && lines[i]!.trim() === '') i++;
  const m = ARMOR_BEGIN.exec((lines[i] ?? '').trimEnd());
  if (!m) throw new Error('not an armored OpenPGP block (expected "-----BEGIN PGP PUBLIC KEY BLOCK-----")');
  const type = m[1]!;
  i++;
  // Armor headers ("Comment: ..."), then an empty line.
  while (i < lines.length && lines[i]!.trim() !== '') {
    if (!/^[A-Za-z-]+: /.test(lines[i]!)) break;
    i++;
  }
  if (i < lines.length && lines[i]!.trim() === '') i++;
  let b64 = '';
  let ended = false;
  for (; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === `-----END PGP ${type}-----`) {
      ended = true;
      i++;
      break;
    }
    if (line.startsWith('=') && line.length === 5) continue; // CRC24 checksum
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(line)) throw new Error('bad characters inside the armored block');
    b64 += line;
  }
  if (!ended) throw new Error('the armored block is truncated (no END line)');
  for (; i < lines.length; i++) {
    if (lines[i]!.trim() !== '')
      throw new Error('text after the armored block (a key file holds exactly one armored public key and nothing else)');
  }
  return { type, data: base64Decode(b64) };
}

const B64 = new Int16Array(128).fill(-1);
'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.split('').forEach((c, i) => (B64[c.charCodeAt(0)] = i));

function base64Decode(s: string): Uint8Array {
  const clean = s.replace(/=+$/, '');
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let o = 0;
  for (let i = 0; i < clean.length; i++) {
    const v = B64[clean.charCodeAt(i)] ?? -1;
    if (v < 0) throw new Error('bad base64 in the armored block');
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out.subarray(0, o);
}

/** Walk the packets; calls `fn(tag, body)` for each. Throws on a malformed packet stream. */
export function walkPackets(data: Uint8Array, fn: (tag: number, body: Uint8Array) => void): void {
  let p = 0;
  while (p < data.length) {
    const h = data[p++]!;
    if ((h & 0x80) === 0) throw new Error('bad packet header');
    let tag: number;
    let len: number;
    if (h & 0x40) {
      tag = h & 0x3f;
      const b0 = data[p++];
      if (b0 === undefined) throw new Error('truncated packet');
      if (b0 < 192) len = b0;
      else if (b0 < 224) {
        const b1 = data[p++];
        if (b1 === undefined) throw new Error('truncated packet');
        len = ((b0 - 192) << 8) + b1 + 192;
      } else if (b0 === 255) {
        if (p + 4 > data.length) throw new Error('truncated packet');
        len = ((data[p]! << 24) | (data[p + 1]! << 16) | (data[p + 2]! << 8) | data[p + 3]!) >>> 0;
        p += 4;
      } else throw new Error('partial-length packets are not allowed in a key');
    } else {
      tag = (h >> 2) & 0x0f;
      const lt = h & 3;
      if (lt === 3) throw new Error('indeterminate-length packets are not allowed in a key');
      const n = 1 << lt;
      if (p + n > data.length) throw new Error('truncated packet');
      len = 0;
      for (let k = 0; k < n; k++) len = len * 256 + data[p + k]!;
      p += n;
    }
    if (p + len > data.length) throw new Error('truncated packet');
    fn(tag, data.subarray(p, p + len));
    p += len;
  }
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0').toUpperCase());

/** v4 fingerprint of a public key packet body: SHA-1 of 0x99, 2-byte length, body. */
export function v4Fingerprint(body: Uint8Array): string {
  const buf = new Uint8Array(body.length + 3);
  buf[0] = 0x99;
  buf[1] = (body.length >> 8) & 0xff;
  buf[2] = body.length & 0xff;
  buf.set(body, 3);
  let s = '';
  for (const b of sha1(buf)) s += HEX[b];
  return s;
}

/**
 * Scan an armored key file without interpreting it: armor type, packet tags,
 * and the v4 key IDs / fingerprints of its public key and subkey packets.
 * Throws a plain `Error` on malformed armor or packets.
 */
export async function scanKeyFile(armored: string): Promise<ScannedKeyFile> {
  const { type, data } = unarmor(armored);
  const tags: number[] = [];
  const keyBodies: Uint8Array[] = [];
  walkPackets(data, (tag, body) => {
    tags.push(tag);
    if ((tag === PacketTag.publicKey || tag === PacketTag.publicSubkey) && body[0] === 4) keyBodies.push(body);
  });
  const fingerprints = keyBodies.map(v4Fingerprint);
  return { armorType: type, tags, fingerprints, keyIds: fingerprints.map((f) => f.slice(-16)) };
}

/** The outcome of checkKeyPackets: the scan, or what is wrong (`unreadable` when the armor or packets do not parse). */
export type KeyPacketCheck = { ok: true; scan: ScannedKeyFile } | { ok: false; problem: string } | { ok: false; unreadable: string };

export const SECRET_MATERIAL = 'holds secret key material: publish only the public key (gpg --armor --export <fingerprint>)';

/**
 * The checks a key file must pass before openpgp reads it: one armored public
 * key block, no secret key material, exactly one primary key, first. The key
 * loader and the check of a pushed policy both run them, so a key file the
 * server lets onto the policy branch is one the loader can read.
 */
export async function checkKeyPackets(armored: string): Promise<KeyPacketCheck> {
  const declared = ARMOR_BEGIN.exec(armored.trimStart().split('\n', 1)[0]!.trimEnd())?.[1];
  if (declared !== undefined && declared !== 'PUBLIC KEY BLOCK' && declared !== 'PRIVATE KEY BLOCK') {
    return { ok: false, problem: `is a "PGP ${declared}", not a "PGP PUBLIC KEY BLOCK"` };
  }
  let scan: ScannedKeyFile;
  try {
    scan = await scanKeyFile(armored);
  } catch (e) {
    return { ok: false, unreadable: errorMessage(e) };
  }
  if (scan.armorType === 'PRIVATE KEY BLOCK' || scan.tags.includes(PacketTag.secretKey) || scan.tags.includes(PacketTag.secretSubkey)) {
    return { ok: false, problem: SECRET_MATERIAL };
  }
  if (scan.armorType !== 'PUBLIC KEY BLOCK') return { ok: false, problem: `is a "PGP ${scan.armorType}", not a "PGP PUBLIC KEY BLOCK"` };
  const primaries = scan.tags.filter((t) => t === PacketTag.publicKey).length;
  if (primaries === 0) return { ok: false, problem: 'holds no public key' };
  if (primaries > 1) return { ok: false, problem: `holds ${primaries} public keys; a key file holds exactly one` };
  if (scan.tags[0] !== PacketTag.publicKey) return { ok: false, problem: 'does not start with a public key packet' };
  return { ok: true, scan };
}
