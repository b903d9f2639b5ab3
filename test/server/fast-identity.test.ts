/**
 * The certificate check's fast path against openpgp, its oracle: real gpg keys, real push certificates (one real
 * `git push --signed` per key, then gpg's own signatures over that certificate's payload for the variants), and
 * the property that matters: whenever the fast path names a pusher, openpgp's path names the same one at the
 * same moment; and for the common certificates the fast path does name one (else it would be a test of nothing).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parsePushCert, type VerifiedPusher } from '../../src/identity/index.js';
import { fastPusher, parseFastSignature } from '../../src/server/fast-identity.js';
import { keyFileHash, readVerifiedKeys, writeVerifiedKey } from '../../src/server/verify-cache.js';
import { addSigningSubkey, genKey, gpg, makeGpgHome, revokedCopy, type GpgHome, type GpgKey } from '../support/gpg.js';
import { realCertPayload } from '../identity/capture.js';
import { oracleIn, type Outcome } from './oracle.js';
import { finderOf, keyPath } from '../identity/util.js';
import { armorSignature } from '../support/armor.js';

let home: GpgHome;
let cacheDir: string;
/**
 * The moment the cases judge at, taken once every key exists (end of beforeAll): the keys' instants then lie before
 * it however long their generation took on a loaded machine, and no case depends on that duration.
 */
let NOW = new Date();
const HOUR = 3600_000;
const DAY = 24 * HOUR;
const keys: Record<string, GpgKey> = {};
/** A real certificate's payload (the signed text), from a real signed push. */
let payload = '';

function genRsa(name: string, bits: number): GpgKey {
  const uid = `${name} <${name.toLowerCase()}@example.org>`;
  gpg(home, ['--quick-gen-key', uid, `rsa${bits}`, 'sign', 'never']);
  const fpr = /^fpr:+([0-9A-F]{40}):/m.exec(gpg(home, ['--with-colons', '--list-keys', `=${uid}`]))![1]!;
  return {
    fingerprint: fpr,
    keyId: fpr.slice(-16),
    primaryKeyId: fpr.slice(-16),
    subkeys: [],
    publicArmored: gpg(home, ['--armor', '--export', fpr]),
  };
}

/**
 * gpg's detached signature over `text`, as a push certificate's signature block; made at NOW (gpg's clock set to
 * it) unless `extra` sets the clock, not at the wall clock: the cases judge at moments relative to NOW, and a
 * signature made minutes after it (cases that ran slowly on a loaded machine) would be from the future there.
 */
function sign(key: string, text: string, extra: string[] = []): string {
  const file = path.join(home.dir, 'payload');
  fs.writeFileSync(file, text);
  const clock = extra.includes('--faked-system-time') ? [] : ['--faked-system-time', `${Math.floor(NOW.getTime() / 1000)}!`];
  return gpg(home, [...clock, '--armor', '--detach-sign', '-u', `${key}!`, ...extra, '-o', '-', file]);
}

const certOf = (signedText: string, signature: string) => signedText + signature;

beforeAll(() => {
  home = makeGpgHome();
  cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fastid-'));
  keys.ed = genKey(home, 'Ed');
  keys.sub = genKey(home, 'Sub', { signingSubkey: true });
  keys.short = genKey(home, 'Short', { expire: '1d' });
  keys.subexp = addSigningSubkey(home, genKey(home, 'Subexp').fingerprint, '1d');
  keys.revoked = genKey(home, 'Revoked');
  keys.other = genKey(home, 'Other');
  keys.rsa1024 = genRsa('Rsaone', 1024);
  keys.rsa2048 = genRsa('Rsatwo', 2048);
  keys.rsa3072 = genRsa('Rsathree', 3072);
  keys.rsa4096 = genRsa('Rsafour', 4096);
  payload = realCertPayload(home, keys.ed.fingerprint);
  // The next whole second: strictly after every key's creation second, so a signature made at NOW is never in the
  // same second as its key (a record's interval excludes its key's creation instant; the fast path then defers).
  NOW = new Date(Math.floor(Date.now() / 1000) * 1000 + 1000);
}, 120_000);
afterAll(() => {
  home.cleanup();
  fs.rmSync(cacheDir, { recursive: true, force: true });
});

/** openpgp's verdict; what it accepts with a key file of the policy is recorded in the cache, as the hook does. */
const oracle = (cert: string, files: Record<string, string>, date: Date, record = false): Promise<Outcome> =>
  oracleIn(cacheDir, cert, files, date, record);

function fast(cert: string, files: Record<string, string>, date: Date, dir = cacheDir): Promise<VerifiedPusher | null> {
  let parsed;
  try {
    parsed = parsePushCert(cert);
  } catch {
    return Promise.resolve(null);
  }
  return fastPusher(parsed, finderOf(files), (ref) => readVerifiedKeys(dir, ref), date);
}

/** The property: a pusher from the fast path is openpgp's pusher. Returns both for the case's own assertions. */
async function compare(cert: string, files: Record<string, string>, date: Date): Promise<{ f: VerifiedPusher | null; o: Outcome }> {
  const f = await fast(cert, files, date);
  const o = await oracle(cert, files, date);
  if (f !== null) {
    expect(o.ok, `the fast path accepted what openpgp rejects: ${o.ok ? '' : o.message}`).toBe(true);
    if (o.ok) expect(f).toEqual(o.pusher);
  }
  return { f, o };
}

const filesOf = (...ks: GpgKey[]) => Object.fromEntries(ks.map((k) => [keyPath(k), k.publicArmored]));

/** Warm the cache as an accepted push does: openpgp verifies a good certificate at NOW. */
async function warm(key: GpgKey, signer = key.keyId, files = filesOf(key)): Promise<string> {
  const cert = certOf(payload, sign(signer, payload));
  const o = await oracle(cert, files, NOW, true);
  expect(o.ok).toBe(true);
  return cert;
}

describe('the fast path accepts the common certificates, exactly as openpgp does', () => {
  for (const [name, digest] of [
    ['ed', 'SHA256'],
    ['ed', 'SHA512'],
    ['rsa2048', 'SHA256'],
    ['rsa3072', 'SHA384'],
    ['rsa4096', 'SHA512'],
    ['sub', 'SHA256'],
  ] as const) {
    test(`${name}, ${digest}`, async () => {
      const k = keys[name]!;
      const files = filesOf(keys.other!, k);
      const cert = certOf(payload, sign(k.keyId, payload, ['--digest-algo', digest]));
      // Cold: no record, so openpgp judges alone.
      expect(await fast(cert, files, NOW, path.join(cacheDir, 'empty'))).toBeNull();
      await warm(k, k.keyId, files);
      const { f, o } = await compare(cert, files, new Date(NOW.getTime() + HOUR));
      expect(o.ok).toBe(true);
      expect(f).not.toBeNull();
      expect(f!.userId).toBe(k.fingerprint);
      expect(f!.signingKeyId).toBe(k.keyId);
    });
  }

  test('a record is kept per key file content: another key file of the same key has none', async () => {
    await warm(keys.ed!);
    const ref = { fileName: keyPath(keys.ed!), armored: keys.ed!.publicArmored };
    expect(readVerifiedKeys(cacheDir, ref)).toHaveLength(1);
    expect(readVerifiedKeys(cacheDir, { ...ref, armored: `${ref.armored}\n` })).toEqual([]);
    expect(readVerifiedKeys(cacheDir, { ...ref, fileName: `keys/${keys.other!.fingerprint}.asc` })).toEqual([]);
  });
});

describe('where openpgp rejects or the fast path is not sure, the fast path names nobody', () => {
  test('hash algorithms: SHA-1 and MD5 (openpgp rejects), SHA-224 (left to openpgp)', async () => {
    const k = keys.rsa2048!;
    await warm(k);
    for (const digest of ['SHA1', 'MD5', 'SHA224']) {
      const { f, o } = await compare(certOf(payload, sign(k.keyId, payload, ['--digest-algo', digest])), filesOf(k), NOW);
      expect(f).toBeNull();
      if (digest !== 'SHA224')
        expect(o).toMatchObject({ ok: false, message: expect.stringMatching(/Insecure (message )?hash algorithm: (SHA1|MD5)/) });
    }
  });

  test('subpackets the fast path does not know are left to openpgp: notations (critical or not), an expiry, a signer', async () => {
    const k = keys.ed!;
    await warm(k);
    const variants: Array<[string[], RegExp | null]> = [
      [['--sig-notation', 'note@example.org=hello'], null],
      [['--sig-notation', '!crit@example.org=hello'], /Unknown critical notation: crit@example.org/],
      [['--default-sig-expire', '1d'], null],
      [['--sender', 'ed@example.org'], null],
    ];
    for (const [extra, rejected] of variants) {
      const cert = certOf(payload, sign(k.keyId, payload, extra));
      const { f, o } = await compare(cert, filesOf(k), NOW);
      expect(f, extra.join(' ')).toBeNull();
      if (rejected) expect(o).toMatchObject({ ok: false, message: expect.stringMatching(rejected) });
      else expect(o.ok, extra.join(' ')).toBe(true);
    }
  });

  test('a text-mode signature is left to openpgp', async () => {
    await warm(keys.ed!);
    const { f } = await compare(certOf(payload, sign(keys.ed!.keyId, payload, ['--textmode'])), filesOf(keys.ed!), NOW);
    expect(f).toBeNull();
  });

  test('RSA 1024 (openpgp refuses the key): never recorded, never accepted', async () => {
    const k = keys.rsa1024!;
    const cert = certOf(payload, sign(k.keyId, payload));
    const o = await oracle(cert, filesOf(k), NOW, true);
    expect(o).toMatchObject({ ok: false, message: expect.stringMatching(/RSA keys shorter than 2047 bits/) });
    expect(readVerifiedKeys(cacheDir, { fileName: keyPath(k), armored: k.publicArmored })).toEqual([]);
    expect((await compare(cert, filesOf(k), NOW)).f).toBeNull();
  });

  test('a key that expires: accepted before, not after its expiry', async () => {
    const cert = await warm(keys.short!);
    expect((await compare(cert, filesOf(keys.short!), new Date(NOW.getTime() + HOUR))).f).not.toBeNull();
    const { f, o } = await compare(cert, filesOf(keys.short!), new Date(NOW.getTime() + 2 * DAY));
    expect(o).toMatchObject({ ok: false, message: expect.stringMatching(/expired/) });
    expect(f).toBeNull();
  });

  test('a signing subkey that expires: accepted before, not after its expiry', async () => {
    const k = keys.subexp!;
    const cert = await warm(k);
    expect((await compare(cert, filesOf(k), new Date(NOW.getTime() + HOUR))).f).not.toBeNull();
    const { f, o } = await compare(cert, filesOf(k), new Date(NOW.getTime() + 2 * DAY));
    expect(o.ok).toBe(false);
    expect(f).toBeNull();
  });

  test('a revoked key: its key file with the revocation has no record of its own', async () => {
    const k = keys.revoked!;
    const cert = await warm(k);
    const revoked = { [keyPath(k)]: revokedCopy(home, k.fingerprint) };
    const { f, o } = await compare(cert, revoked, NOW);
    expect(o).toMatchObject({ ok: false, message: expect.stringMatching(/revoked/) });
    expect(f).toBeNull();
  });

  test('a key not in the policy, and a key file that does not hold the signer', async () => {
    await warm(keys.ed!);
    const cert = certOf(payload, sign(keys.other!.keyId, payload));
    expect((await compare(cert, filesOf(keys.ed!), NOW)).f).toBeNull();
    // The signer's file name, another key's content.
    const swapped = { [keyPath(keys.other!)]: keys.ed!.publicArmored };
    expect((await compare(cert, swapped, NOW)).o.ok).toBe(false);
  });

  test('a certificate dated in the future: 3 minutes is within the clock skew, an hour is not', async () => {
    await warm(keys.ed!);
    const at = (ms: number) => `${Math.floor((NOW.getTime() + ms) / 1000)}!`;
    const soon = certOf(payload, sign(keys.ed!.keyId, payload, ['--faked-system-time', at(3 * 60_000)]));
    const { f: f1, o: o1 } = await compare(soon, filesOf(keys.ed!), NOW);
    expect(o1.ok).toBe(true);
    expect(f1).not.toBeNull();
    const later = certOf(payload, sign(keys.ed!.keyId, payload, ['--faked-system-time', at(HOUR)]));
    const { f, o } = await compare(later, filesOf(keys.ed!), NOW);
    expect(o).toMatchObject({ ok: false, message: expect.stringMatching(/in the future/) });
    expect(f).toBeNull();
  });

  test('a moment before the key existed, and a tampered payload', async () => {
    const cert = await warm(keys.ed!);
    expect((await compare(cert, filesOf(keys.ed!), new Date(NOW.getTime() - DAY))).f).toBeNull();
    const tampered = cert.replace(/^(0{40} [0-9a-f]{39})([0-9a-f])/m, (_m, a: string, b: string) => a + (b === '0' ? '1' : '0'));
    expect(tampered).not.toBe(cert);
    const { f, o } = await compare(tampered, filesOf(keys.ed!), NOW);
    expect(o.ok).toBe(false);
    expect(f).toBeNull();
  });
});

// --- random damage ---------------------------------------------------------------------------------------------

/** gpg's armor around `packet`, with a correct checksum: damage inside reaches the packet parser. */
const armor = armorSignature;

function unarmor(sig: string): Uint8Array {
  const body = sig.split('\n').filter((l) => /^[A-Za-z0-9+/]+=*$/.test(l) && !l.startsWith('='));
  return new Uint8Array(Buffer.from(body.join(''), 'base64'));
}

/** A small deterministic generator: the same damage on every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('random damage never makes the fast path accept what openpgp rejects', () => {
  for (const name of ['ed', 'rsa2048', 'sub'] as const) {
    test(`${name}: flipped bits in the signature packet and in the payload`, async () => {
      const k = keys[name]!;
      const files = filesOf(k);
      const cert = await warm(k);
      const sig = cert.slice(payload.length);
      expect(armor(unarmor(sig))).toBe(sig); // the test's armor is gpg's
      expect(parseFastSignature(sig)).not.toBeNull();
      const next = rng(name.length * 7919);
      let fastAccepts = 0;
      let oracleAccepts = 0;
      for (let i = 0; i < 120; i++) {
        const packet = unarmor(sig);
        let text = payload;
        if (i % 3 === 2) {
          const at = Math.floor(next() * text.length);
          text = text.slice(0, at) + String.fromCharCode(text.charCodeAt(at) ^ (1 << Math.floor(next() * 7))) + text.slice(at + 1);
        } else {
          const at = Math.floor(next() * packet.length);
          packet[at]! ^= 1 << Math.floor(next() * 8);
        }
        const { f, o } = await compare(certOf(text, armor(packet)), files, NOW);
        if (f) fastAccepts++;
        if (o.ok) oracleAccepts++;
      }
      // Some damage leaves the signature valid (a flip in the unhashed issuer ID openpgp does not use, say): the
      // property above held for each; the fast path never accepted more than openpgp.
      expect(fastAccepts).toBeLessThanOrEqual(oracleAccepts);
    }, 60_000);
  }
});

describe('the cache file', () => {
  const ref = () => ({ fileName: keyPath(keys.ed!), armored: keys.ed!.publicArmored });
  const file = () => path.join(cacheDir, `key-${keyFileHash(ref())}.json`);

  test('is ignored when writable by others, malformed, or made for another key file', async () => {
    await warm(keys.ed!);
    expect(readVerifiedKeys(cacheDir, ref())).toHaveLength(1);
    const good = fs.readFileSync(file());
    fs.chmodSync(file(), 0o666);
    expect(readVerifiedKeys(cacheDir, ref())).toEqual([]);
    fs.chmodSync(file(), 0o644);
    expect(readVerifiedKeys(cacheDir, ref())).toHaveLength(1);
    fs.writeFileSync(file(), good.subarray(0, good.length - 5));
    expect(readVerifiedKeys(cacheDir, ref())).toEqual([]);
    // Another key file's cache file under this one's name (a copy, a link): it names its own key file.
    const otherRef = { fileName: keyPath(keys.rsa2048!), armored: keys.rsa2048!.publicArmored };
    await warm(keys.rsa2048!);
    fs.copyFileSync(path.join(cacheDir, `key-${keyFileHash(otherRef)}.json`), file());
    expect(readVerifiedKeys(cacheDir, ref())).toEqual([]);
    fs.writeFileSync(file(), good);
    expect(readVerifiedKeys(cacheDir, ref())).toHaveLength(1);
  });

  // Only root can give a file away.
  test.skipIf(process.getuid?.() !== 0)("another user's file is neither read nor replaced: this user keeps its own beside it", async () => {
    await warm(keys.ed!);
    fs.chownSync(file(), 12345, 12345);
    expect(readVerifiedKeys(cacheDir, ref())).toEqual([]);
    await warm(keys.ed!);
    expect(fs.statSync(file()).uid).toBe(12345);
    expect(fs.existsSync(file().replace(/\.json$/, '.u0.json'))).toBe(true);
    expect(readVerifiedKeys(cacheDir, ref())).toHaveLength(1);
    fs.rmSync(file());
    fs.rmSync(file().replace(/\.json$/, '.u0.json'));
  });

  test('a read-only cache directory: nothing is written, nothing fails', async () => {
    const ro = fs.mkdtempSync(path.join(os.tmpdir(), 'fastid-ro-'));
    fs.chmodSync(ro, 0o555);
    try {
      const rec = readVerifiedKeys(cacheDir, ref())[0]!;
      const written = writeVerifiedKey(path.join(ro, 'cache'), ref(), rec);
      // root writes anywhere; anyone else cannot
      if (process.getuid?.() !== 0) expect(written).toBe(false);
    } finally {
      fs.chmodSync(ro, 0o755);
      fs.rmSync(ro, { recursive: true, force: true });
    }
  });
});
