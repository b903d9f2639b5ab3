/**
 * RED TEAM (rt12) reproduction: the record cache followed a symbolic link at a record's name. The design
 * (docs/security.md) reads a record "only if it is a regular file owned by the hook's user or root and writable by
 * nobody else"; openSync followed the link and fstat judged the target, so a link planted by anyone who can write
 * the cache directory (a repository several accounts share) pointing at any file of the hook's user whose bytes
 * that someone chose (a work tree that `receive.denyCurrentBranch=updateInstead` checks out, a file a service of
 * that user writes) was believed. A believed record names a pusher and the public key to verify with: here the
 * victim, with the attacker's own Ed25519 key, and the fast path names the victim for the attacker's signature.
 *
 * The victim is a real gpg key; the attacker's key is node:crypto's (the fast path verifies with node:crypto;
 * openpgp, the oracle, refuses the certificate).
 */
import { createHash, generateKeyPairSync, sign as cryptoSign } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { parsePushCert, verifyPushCert } from '../../src/identity/index.js';
import { fastPusher } from '../../src/server/fast-identity.js';
import { keyFileHash, readVerifiedKeys } from '../../src/server/verify-cache.js';
import { genKey, makeGpgHome, type GpgHome, type GpgKey } from '../support/gpg.js';
import { realCertPayload } from '../identity/capture.js';
import { finderOf, keyPath } from '../identity/util.js';
import { armorSignature } from '../support/armor.js';

let home: GpgHome;
let dir: string;
let victim: GpgKey;
let payload = '';

beforeAll(() => {
  home = makeGpgHome();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vcsym-'));
  victim = genKey(home, 'Victim');
  payload = realCertPayload(home, victim.fingerprint);
}, 120_000);
afterAll(() => {
  home.cleanup();
  fs.rmSync(dir, { recursive: true, force: true });
});

const mpi = (b: Buffer): Buffer => {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  const v = b.subarray(i);
  const bits = (v.length - 1) * 8 + (32 - Math.clz32(v[0]!));
  return Buffer.concat([Buffer.from([bits >> 8, bits & 0xff]), v]);
};

/** A v4 EdDSA signature over `text` made with `privateKey`, naming `issuerFpr` as its issuer, armored as gpg does. */
function forgedSignature(text: string, issuerFpr: string, privateKey: ReturnType<typeof generateKeyPairSync>['privateKey']): string {
  const created = Buffer.alloc(4);
  created.writeUInt32BE(Math.floor(Date.now() / 1000) - 60);
  const hashedSub = Buffer.concat([Buffer.from([22, 33, 4]), Buffer.from(issuerFpr, 'hex'), Buffer.from([5, 2]), created]);
  const hashedPart = Buffer.concat([Buffer.from([4, 0x00, 22, 8, hashedSub.length >> 8, hashedSub.length & 0xff]), hashedSub]);
  const trailer = Buffer.alloc(6);
  trailer[0] = 4;
  trailer[1] = 0xff;
  trailer.writeUInt32BE(hashedPart.length, 2);
  const digest = createHash('sha256').update(Buffer.from(text)).update(hashedPart).update(trailer).digest();
  const rs = cryptoSign(null, digest, privateKey);
  const unhashed = Buffer.concat([Buffer.from([9, 16]), Buffer.from(issuerFpr.slice(-16), 'hex')]);
  const body = Buffer.concat([
    hashedPart,
    Buffer.from([unhashed.length >> 8, unhashed.length & 0xff]),
    unhashed,
    digest.subarray(0, 2),
    mpi(rs.subarray(0, 32)),
    mpi(rs.subarray(32)),
  ]);
  return armorSignature(Buffer.concat([Buffer.from([0xc2, body.length]), body]));
}

/**
 * A record naming the victim but holding the attacker's own Ed25519 key (node:crypto's), as a planted record file
 * would; with the attacker's private key and the victim's key file.
 */
function plantedRecord() {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const x = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('hex');
  const ref = { fileName: keyPath(victim), armored: victim.publicArmored };
  const hash = keyFileHash(ref);
  const record = {
    fingerprint: victim.fingerprint,
    keyId: victim.keyId,
    algorithm: 22,
    publicKey: { x },
    keyCreated: 0,
    after: null,
    before: null,
    pusher: {
      userId: victim.fingerprint,
      keyInfo: { fingerprint: victim.fingerprint, keyIds: [victim.keyId], userIds: [] },
      keyFile: ref.fileName,
      signingKeyId: victim.keyId,
    },
  };
  return { privateKey, ref, hash, record };
}

test('DEFECT (failed before the fix in verify-cache.ts): a record reached through a symbolic link is believed', async () => {
  const { privateKey, ref, hash, record } = plantedRecord();
  // A file of the hook's user (this test's), with bytes someone else chose, outside the cache directory.
  const elsewhere = path.join(dir, 'worktree');
  fs.mkdirSync(elsewhere);
  const chosen = path.join(elsewhere, 'README.json');
  fs.writeFileSync(chosen, JSON.stringify({ format: 'git-acl verified keys 1', keyFile: hash, records: [record] }), { mode: 0o644 });
  // The link at the record's name in the cache directory.
  const cacheDir = path.join(dir, 'cache');
  fs.mkdirSync(cacheDir);
  fs.symlinkSync(chosen, path.join(cacheDir, `key-${hash}.json`));

  const cert = parsePushCert(payload + forgedSignature(payload, victim.fingerprint, privateKey));
  const files = { [ref.fileName]: ref.armored };
  const now = new Date();
  // openpgp: the victim's key did not make this signature.
  await expect(verifyPushCert({ cert, findKey: finderOf(files), date: now })).rejects.toThrow(/bad push certificate signature/);
  // The fast path must not name anyone (with the defect it named the victim).
  const f = await fastPusher(cert, finderOf(files), (r) => readVerifiedKeys(cacheDir, r), now);
  expect(f, 'the fast path named the victim for the attacker signature').toBeNull();
  expect(readVerifiedKeys(cacheDir, ref)).toEqual([]);
  // The same bytes as a regular file of the cache directory are believed (the trust the design states): the
  // test's forged signature is the right shape for the fast path, so the refusal above is the link's.
  fs.rmSync(path.join(cacheDir, `key-${hash}.json`));
  fs.copyFileSync(chosen, path.join(cacheDir, `key-${hash}.json`));
  expect((await fastPusher(cert, finderOf(files), (r) => readVerifiedKeys(cacheDir, r), now))?.userId).toBe(victim.fingerprint);
});

test('a record in a directory others may write, or reached through a linked directory, is not believed', async () => {
  const { privateKey, ref, hash, record } = plantedRecord();
  // A regular file of the hook's user with bytes someone else chose, renamed into a cache directory they may write.
  const cacheDir = path.join(dir, 'shared-cache');
  fs.mkdirSync(cacheDir, { mode: 0o755 });
  fs.writeFileSync(
    path.join(cacheDir, `key-${hash}.json`),
    JSON.stringify({ format: 'git-acl verified keys 1', keyFile: hash, records: [record] }),
    {
      mode: 0o644,
    },
  );
  const cert = parsePushCert(payload + forgedSignature(payload, victim.fingerprint, privateKey));
  const files = { [ref.fileName]: ref.armored };
  const now = new Date();
  const fast = (d: string) => fastPusher(cert, finderOf(files), (r) => readVerifiedKeys(d, r), now);
  // In a directory only this user may write, the record is believed (the trust the design states).
  expect((await fast(cacheDir))?.userId).toBe(victim.fingerprint);
  for (const mode of [0o777, 0o775, 0o757]) {
    fs.chmodSync(cacheDir, mode);
    expect(await fast(cacheDir), `directory mode ${mode.toString(8)}`).toBeNull();
    expect(readVerifiedKeys(cacheDir, ref)).toEqual([]);
  }
  fs.chmodSync(cacheDir, 0o755);
  const linked = path.join(dir, 'linked-cache');
  fs.symlinkSync(cacheDir, linked);
  expect(await fast(linked)).toBeNull();
  expect(readVerifiedKeys(linked, ref)).toEqual([]);
});
