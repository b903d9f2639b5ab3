import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { execFileSync } from 'node:child_process';
import * as openpgp from 'openpgp';
import { IdentityError, loadKeyFile, pushedKeyFileProblem, readKeyFile, scanKeyFile } from '../../src/identity/index.js';
import { exportSecret, genKey, makeGpgHome, revokeKey, type GpgHome, type GpgKey } from '../support/gpg.js';
import { keyPath, rejection } from './util.js';

let home: GpgHome;
let alice: GpgKey; // primary + signing subkey
let bob: GpgKey;
let expiring: GpgKey; // expires in 1 day
let revoked: GpgKey;
let revokedArmored: string;

beforeAll(() => {
  home = makeGpgHome();
  alice = genKey(home, 'Alice', { signingSubkey: true });
  bob = genKey(home, 'Bob');
  expiring = genKey(home, 'Shortlived', { expire: '1d' });
  revoked = genKey(home, 'Revoked');
  revokedArmored = revokeKey(home, revoked.fingerprint);
});
afterAll(() => home.cleanup());

async function keyError(armored: string, fileName?: string, date?: Date): Promise<string> {
  const e = await rejection(readKeyFile(armored, fileName, date));
  expect(e).toBeInstanceOf(IdentityError);
  expect(e.code).toBe('key-file');
  return e.message;
}

describe('readKeyFile', () => {
  test('a public key: fingerprint, key IDs, user IDs', async () => {
    const info = await readKeyFile(alice.publicArmored, keyPath(alice));
    expect(info.fingerprint).toBe(alice.fingerprint);
    expect(info.fingerprint).toMatch(/^[0-9A-F]{40}$/);
    expect(info.keyIds).toEqual([alice.primaryKeyId, alice.keyId]);
    expect(info.userIds).toEqual(['Alice <alice@example.org>']);
    expect((await readKeyFile(bob.publicArmored)).fingerprint).toBe(bob.fingerprint);
  });

  test('the file name must be the fingerprint', async () => {
    expect(await keyError(alice.publicArmored, keyPath(bob))).toBe(
      `keys/${bob.fingerprint}.asc: holds the key ${alice.fingerprint}, so it must be named ${alice.fingerprint}.asc`,
    );
    const lower = `keys/${alice.fingerprint.toLowerCase()}.asc`;
    expect(await keyError(alice.publicArmored, lower)).toBe(
      `${lower}: holds the key ${alice.fingerprint}, so it must be named ${alice.fingerprint}.asc`,
    );
    expect(await keyError(alice.publicArmored, 'keys/alice.asc')).toBe(
      `keys/alice.asc: holds the key ${alice.fingerprint}, so it must be named ${alice.fingerprint}.asc`,
    );
  });

  test('secret key material is refused', async () => {
    const secret = exportSecret(home, alice.fingerprint);
    expect(await keyError(secret, keyPath(alice))).toBe(
      `${keyPath(alice)}: holds secret key material: publish only the public key (gpg --armor --export <fingerprint>)`,
    );
    // Secret packets inside a block labelled PUBLIC are refused too.
    const relabelled = secret.replace(/PRIVATE KEY BLOCK/g, 'PUBLIC KEY BLOCK');
    expect(await keyError(relabelled, keyPath(alice))).toBe(
      `${keyPath(alice)}: holds secret key material: publish only the public key (gpg --armor --export <fingerprint>)`,
    );
  });

  test('two keys in one file are refused', async () => {
    const { gpg } = await import('../support/gpg.js');
    const both = gpg(home, ['--armor', '--export', alice.fingerprint, bob.fingerprint]);
    expect(await keyError(both, keyPath(alice))).toBe(`${keyPath(alice)}: holds 2 public keys; a key file holds exactly one`);
    // Two armored blocks, one after the other.
    expect(await keyError(alice.publicArmored + bob.publicArmored, keyPath(alice))).toBe(
      `${keyPath(alice)}: not an armored OpenPGP public key: text after the armored block (a key file holds exactly one armored public key and nothing else)`,
    );
  });

  test('garbage and truncated files are refused', async () => {
    expect(await keyError('hello\n', 'keys/X.asc')).toBe(
      'keys/X.asc: not an armored OpenPGP public key: not an armored OpenPGP block (expected "-----BEGIN PGP PUBLIC KEY BLOCK-----")',
    );
    expect(await keyError('')).toBe(
      'key file: not an armored OpenPGP public key: not an armored OpenPGP block (expected "-----BEGIN PGP PUBLIC KEY BLOCK-----")',
    );
    const lines = alice.publicArmored.split('\n');
    expect(await keyError(lines.slice(0, 5).join('\n'), 'keys/X.asc')).toBe(
      'keys/X.asc: not an armored OpenPGP public key: the armored block is truncated (no END line)',
    );
    // Body cut short but framed correctly: the packet stream is truncated.
    const framed = [...lines.slice(0, 4), ...lines.slice(-3)].join('\n');
    expect(await keyError(framed, 'keys/X.asc')).toMatch(/^keys\/X\.asc: not an (armored|readable) OpenPGP public key: /);
    const sig = '-----BEGIN PGP SIGNATURE-----\n\niHUEABYIAB0WIQQ=\n-----END PGP SIGNATURE-----\n';
    expect(await keyError(sig, 'keys/X.asc')).toBe('keys/X.asc: is a "PGP SIGNATURE", not a "PGP PUBLIC KEY BLOCK"');
  });

  test('an expired key is refused (injectable date)', async () => {
    const info = await readKeyFile(expiring.publicArmored, keyPath(expiring));
    expect(info.fingerprint).toBe(expiring.fingerprint);
    const later = new Date(Date.now() + 3 * 24 * 3600 * 1000);
    expect(await keyError(expiring.publicArmored, keyPath(expiring), later)).toMatch(
      new RegExp(`^${keyPath(expiring)}: key ${expiring.fingerprint} is expired \\(since \\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z\\)$`),
    );
  });

  test('a revoked key is refused', async () => {
    expect(await keyError(revokedArmored, keyPath(revoked))).toBe(`${keyPath(revoked)}: key ${revoked.fingerprint} is revoked`);
    // Before the revocation it was fine.
    expect((await readKeyFile(revoked.publicArmored, keyPath(revoked))).fingerprint).toBe(revoked.fingerprint);
  });
});

describe('scanKeyFile', () => {
  test('finds the key IDs and fingerprints openpgp finds', async () => {
    const s = await scanKeyFile(alice.publicArmored);
    expect(s.armorType).toBe('PUBLIC KEY BLOCK');
    expect(s.fingerprints).toEqual([alice.fingerprint, ...alice.subkeys]);
    expect(s.keyIds).toEqual([alice.primaryKeyId, alice.keyId]);
  });
});

/** The primary-key packet of `key` alone, armored: no user ID, no self-signature. */
function barePrimaryKey(key: GpgKey): string {
  const bytes = execFileSync('gpg', ['--batch', '--export', key.fingerprint], { env: home.env });
  // gpg 2.2 writes the public-key packet (tag 6) in the old format, with a one- or two-octet length.
  const b = bytes[0]!;
  expect(b & 0xc0, 'an old-format packet').toBe(0x80);
  expect((b >> 2) & 0x0f, 'a public-key packet').toBe(6);
  const [header, length] = (b & 3) === 0 ? [2, bytes[1]!] : [3, bytes.readUInt16BE(1)];
  return openpgp.armor(openpgp.enums.armor.publicKey, bytes.subarray(0, header + length));
}

describe('what a policy may publish (pushedKeyFileProblem, loadKeyFile allowRetired)', () => {
  test('a usable key is fine and not retired', async () => {
    expect(await pushedKeyFileProblem(alice.publicArmored, alice.fingerprint)).toBeNull();
    expect((await loadKeyFile(alice.publicArmored, keyPath(alice), new Date(), { allowRetired: true })).retired).toBeUndefined();
  });

  test('revoked and expired keys may be published (that is how a key is retired), marked as such', async () => {
    const later = new Date(Date.now() + 3 * 24 * 3600 * 1000);
    expect(await pushedKeyFileProblem(revokedArmored, revoked.fingerprint)).toBeNull();
    expect(await pushedKeyFileProblem(expiring.publicArmored, expiring.fingerprint, later)).toBeNull();
    expect((await loadKeyFile(revokedArmored, keyPath(revoked), new Date(), { allowRetired: true })).retired).toBe('revoked');
    expect((await loadKeyFile(expiring.publicArmored, keyPath(expiring), later, { allowRetired: true })).retired).toBe('expired');
  });

  test('a bare primary-key packet passes the packet scan but not the loader: it cannot be published', async () => {
    const bare = barePrimaryKey(bob);
    expect(await scanKeyFile(bare)).toMatchObject({ tags: [6], fingerprints: [bob.fingerprint] });
    const problem = await pushedKeyFileProblem(bare, bob.fingerprint);
    expect(problem).toMatch(new RegExp(`^(key ${bob.fingerprint} is not valid|not a readable OpenPGP public key): `));
    await expect(loadKeyFile(bare, keyPath(bob), new Date(), { allowRetired: true })).rejects.toThrow(new RegExp(`^${keyPath(bob)}: `));
  });

  test('the packet checks still come first, with their own wording', async () => {
    expect(await pushedKeyFileProblem('hello\n', bob.fingerprint)).toBe(
      'not an armored OpenPGP public key (not an armored OpenPGP block (expected "-----BEGIN PGP PUBLIC KEY BLOCK-----"))',
    );
    expect(await pushedKeyFileProblem(alice.publicArmored, bob.fingerprint)).toBe(
      `holds the key ${alice.fingerprint}, so it must be named ${alice.fingerprint}.asc`,
    );
  });
});
