import * as openpgp from 'openpgp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { IdentityError, parsePushCert, verifyPushCert, type KeyFinder, type PushCertificate } from '../../src/identity/index.js';
import { addSigningSubkey, exportSecret, genKey, makeGpgHome, revokeKey, type GpgHome, type GpgKey } from '../support/gpg.js';
import { makePushRig } from './capture.js';
import { finderOf, keyPath, rejection } from './util.js';

let home: GpgHome;
let alice: GpgKey; // signs with her primary key
let sub: GpgKey; // signs with a signing subkey
let bob: GpgKey;
let carol: GpgKey; // not on the policy branch: registers
let shortlived: GpgKey; // expires in a day
let revoked: GpgKey;
let subexp: GpgKey; // signs with a subkey that expires in a day
let mallory: GpgKey; // made before the pushes, so that keys bound by it predate the certificates
let revokedArmored: string;
const certs: Record<string, string> = {};

beforeAll(() => {
  home = makeGpgHome();
  alice = genKey(home, 'Alice');
  sub = genKey(home, 'Sub', { signingSubkey: true });
  bob = genKey(home, 'Bob');
  carol = genKey(home, 'Carol');
  shortlived = genKey(home, 'Shortlived', { expire: '1d' });
  revoked = genKey(home, 'Revoked');
  subexp = addSigningSubkey(home, genKey(home, 'Subexp').fingerprint, '1d');
  mallory = genKey(home, 'Mallory');
  for (const [name, k] of Object.entries({ alice, sub, bob, carol, shortlived, revoked, subexp })) {
    const rig = makePushRig(home, k.fingerprint);
    try {
      const c = rig.push();
      if (!c.cert) throw new Error(`no certificate captured for ${name}: ${c.stderr}`);
      certs[name] = c.cert;
    } finally {
      rig.cleanup();
    }
  }
  revokedArmored = revokeKey(home, revoked.fingerprint);
});
afterAll(() => home.cleanup());

const files = (...keys: GpgKey[]) => Object.fromEntries(keys.map((k) => [keyPath(k), k.publicArmored]));

async function verifyError(cert: PushCertificate, findKey: KeyFinder, extra: Partial<Parameters<typeof verifyPushCert>[0]> = {}) {
  const e = await rejection(verifyPushCert({ cert, findKey, ...extra }));
  expect(e).toBeInstanceOf(IdentityError);
  return e;
}

/** Change one character of the first update line's new oid. */
function tamper(text: string): string {
  return text.replace(/^(0{40} [0-9a-f]{39})([0-9a-f])/m, (_m, a: string, b: string) => a + (b === '0' ? '1' : '0'));
}

describe('verifyPushCert with real signed pushes', () => {
  test('a primary-key signature verifies to the primary fingerprint, reading one key file', async () => {
    const finder = finderOf(files(bob, alice, sub, carol));
    const r = await verifyPushCert({ cert: parsePushCert(certs.alice!), findKey: finder });
    expect(r.userId).toBe(alice.fingerprint);
    expect(r.keyInfo.fingerprint).toBe(alice.fingerprint);
    expect(r.keyFile).toBe(keyPath(alice));
    expect(r.signingKeyId).toBe(alice.primaryKeyId);
    expect(r.registration).toBe(false);
    expect(finder.reads).toEqual([keyPath(alice)]);
  });

  test('a subkey signature verifies to the PRIMARY fingerprint', async () => {
    expect(sub.keyId).not.toBe(sub.primaryKeyId);
    const finder = finderOf(files(bob, alice, sub, carol));
    const r = await verifyPushCert({ cert: parsePushCert(certs.sub!), findKey: finder });
    expect(r.userId).toBe(sub.fingerprint);
    expect(r.signingKeyId).toBe(sub.keyId);
    expect(r.keyFile).toBe(keyPath(sub));
  });

  test('the certificate parsed from bytes verifies too', async () => {
    const cert = parsePushCert(new TextEncoder().encode(certs.alice!));
    expect((await verifyPushCert({ cert, findKey: finderOf(files(alice)) })).userId).toBe(alice.fingerprint);
  });

  test('a ref name that is not UTF-8 verifies when the certificate is parsed from bytes', async () => {
    const rig = makePushRig(home, alice.fingerprint);
    try {
      const c = rig.push({ printfRefspec: 'main:refs/heads/caf\\351' });
      expect(c.certBytes).toBeDefined();
      expect(Buffer.from(c.certBytes!).includes(Buffer.from('refs/heads/caf\xe9', 'latin1'))).toBe(true);
      const fromBytes = parsePushCert(c.certBytes!);
      expect(fromBytes.updates.map((u) => u.ref)).toContain('refs/heads/caf\ufffd');
      expect((await verifyPushCert({ cert: fromBytes, findKey: finderOf(files(alice)) })).userId).toBe(alice.fingerprint);
      // From a lossily decoded string the signed bytes are gone: it fails (closed).
      const fromText = parsePushCert(new TextDecoder().decode(c.certBytes!));
      expect((await verifyError(fromText, finderOf(files(alice)))).code).toBe('bad-signature');
    } finally {
      rig.cleanup();
    }
  });

  test('a finder may return one file, a list, or null', async () => {
    const cert = parsePushCert(certs.alice!);
    const one: KeyFinder = async () => ({ fileName: keyPath(alice), armored: alice.publicArmored });
    const list: KeyFinder = async () => [
      { fileName: keyPath(bob), armored: bob.publicArmored },
      { fileName: keyPath(alice), armored: alice.publicArmored },
    ];
    expect((await verifyPushCert({ cert, findKey: one })).userId).toBe(alice.fingerprint);
    expect((await verifyPushCert({ cert, findKey: list })).userId).toBe(alice.fingerprint);
    const e = await verifyError(cert, async () => null);
    expect(e.code).toBe('unknown-signer');
  });

  test('one changed byte in an update line fails', async () => {
    const bad = tamper(certs.alice!);
    expect(bad).not.toBe(certs.alice);
    const e = await verifyError(parsePushCert(bad), finderOf(files(alice)));
    expect(e.code).toBe('bad-signature');
    expect(e.message).toBe(`bad push certificate signature (checked with ${keyPath(alice)}): Signed digest did not match`);
  });

  test('a changed header (pushee) fails', async () => {
    const bad = certs.sub!.replace(/^pushee (.*)$/m, 'pushee /elsewhere.git');
    const e = await verifyError(parsePushCert(bad), finderOf(files(sub)));
    expect(e.message).toBe(`bad push certificate signature (checked with ${keyPath(sub)}): Signed digest did not match`);
  });

  test("another key's signature on this payload fails", async () => {
    const a = parsePushCert(certs.alice!);
    const b = parsePushCert(certs.bob!);
    const spliced = parsePushCert(a.payload + b.signature);
    const e = await verifyError(spliced, finderOf(files(alice, bob)));
    expect(e.message).toBe(`bad push certificate signature (checked with ${keyPath(bob)}): Signed digest did not match`);
  });

  test('a signer with no key file on the policy branch is unknown', async () => {
    const e = await verifyError(parsePushCert(certs.bob!), finderOf(files(alice, sub)));
    expect(e.code).toBe('unknown-signer');
    expect(e.message).toBe(
      `push certificate is signed by key ${bob.fingerprint} (key ID ${bob.primaryKeyId}), which no key file of the policy branch holds: register your public key as keys/<PRIMARY KEY FINGERPRINT>.asc`,
    );
  });

  test('a key file with the wrong name is refused', async () => {
    const wrong = `keys/${'A'.repeat(40)}.asc`;
    const e = await verifyError(parsePushCert(certs.alice!), async () => ({ fileName: wrong, armored: alice.publicArmored }));
    expect(e.code).toBe('key-file');
    expect(e.message).toBe(`${wrong}: holds the key ${alice.fingerprint}, so it must be named ${alice.fingerprint}.asc`);
  });

  test('a key file with secret key material is refused', async () => {
    const secret = exportSecret(home, alice.fingerprint);
    const e = await verifyError(parsePushCert(certs.alice!), finderOf({ [keyPath(alice)]: secret }));
    expect(e.message).toBe(
      `${keyPath(alice)}: holds secret key material: publish only the public key (gpg --armor --export <fingerprint>)`,
    );
  });

  test('a file holding two keys is refused', async () => {
    const both = (await import('../support/gpg.js')).gpg(home, ['--armor', '--export', alice.fingerprint, bob.fingerprint]);
    const e = await verifyError(parsePushCert(certs.alice!), finderOf({ [keyPath(alice)]: both }));
    expect(e.message).toBe(`${keyPath(alice)}: holds 2 public keys; a key file holds exactly one`);
  });

  test('an expired key is refused', async () => {
    const cert = parsePushCert(certs.shortlived!);
    const finder = finderOf(files(shortlived));
    expect((await verifyPushCert({ cert, findKey: finder })).userId).toBe(shortlived.fingerprint);
    const e = await verifyError(cert, finderOf(files(shortlived)), { date: new Date(Date.now() + 3 * 86400_000) });
    expect(e.message).toMatch(new RegExp(`^${keyPath(shortlived)}: key ${shortlived.fingerprint} is expired \\(since [0-9T:.-]+Z\\)$`));
  });

  test('a revoked key is refused', async () => {
    const cert = parsePushCert(certs.revoked!);
    expect((await verifyPushCert({ cert, findKey: finderOf(files(revoked)) })).userId).toBe(revoked.fingerprint);
    const e = await verifyError(cert, finderOf({ [keyPath(revoked)]: revokedArmored }));
    expect(e.message).toBe(`${keyPath(revoked)}: key ${revoked.fingerprint} is revoked`);
  });

  test('a signing subkey that expired since it signed is refused', async () => {
    const cert = parsePushCert(certs.subexp!);
    expect(subexp.keyId).not.toBe(subexp.primaryKeyId);
    expect((await verifyPushCert({ cert, findKey: finderOf(files(subexp)) })).signingKeyId).toBe(subexp.keyId);
    const e = await verifyError(cert, finderOf(files(subexp)), { date: new Date(Date.now() + 3 * 86400_000) });
    expect(e.code).toBe('key-file');
    expect(e.message).toMatch(
      new RegExp(`^${keyPath(subexp)}: signing key ${subexp.keyId} of ${subexp.fingerprint} cannot sign now \\(.+\\)$`),
    );
  });

  test('a garbage signature is refused', async () => {
    const c = parsePushCert(certs.alice!);
    const garbage = parsePushCert(`${c.payload}-----BEGIN PGP SIGNATURE-----\n\nSGVsbG8gd29ybGQ=\n-----END PGP SIGNATURE-----\n`);
    const e = await verifyError(garbage, finderOf(files(alice)));
    expect(e.code).toBe('cert-malformed');
    expect(e.message).toMatch(/^malformed push certificate: the signature is not a valid OpenPGP signature \(.+\)$/);
  });

  test('flipped signature bytes are refused (the verified promise is awaited)', async () => {
    // Payload unchanged, so the 2-byte digest check passes: only the real signature check can fail.
    const c = parsePushCert(certs.alice!);
    const bin = (await openpgp.readSignature({ armoredSignature: c.signature })).write();
    bin[bin.length - 1]! ^= 1;
    const flipped = await openpgp.readSignature({ binarySignature: bin });
    const e = await verifyError(parsePushCert(c.payload + flipped.armor()), finderOf(files(alice)));
    expect(e.code).toBe('bad-signature');
    expect(e.message).toBe(`bad push certificate signature (checked with ${keyPath(alice)}): Signature verification failed`);
  });

  test('two signatures in the block are refused', async () => {
    const a = parsePushCert(certs.alice!);
    const s1 = await openpgp.readSignature({ armoredSignature: a.signature });
    const s2 = await openpgp.readSignature({ armoredSignature: parsePushCert(certs.bob!).signature });
    s1.packets.push(...s2.packets);
    const e = await verifyError(parsePushCert(a.payload + s1.armor()), finderOf(files(alice, bob)));
    expect(e.message).toBe('malformed push certificate: expected exactly one signature, found 2 packets');
  });

  test('a hostile file holding copies of the key does not hide the real one', async () => {
    // Mallory's "key file" under a name sorted first that is really Alice's key: it fails its name check, Alice's file still verifies.
    const mallory = `keys/${'0'.repeat(24)}${alice.fingerprint.slice(-16)}.asc`;
    const finder = finderOf({ [mallory]: alice.publicArmored, ...files(alice) });
    const r = await verifyPushCert({ cert: parsePushCert(certs.alice!), findKey: finder });
    expect(r.userId).toBe(alice.fingerprint);
  });
});

describe("a hostile key file claiming someone else's signing subkey", () => {
  /** Mallory's key with Sub's public signing subkey bound to it by Mallory (no back-signature from the subkey: Mallory cannot make one). */
  async function malloryClaimingSubsSubkey(): Promise<{ fileName: string; armored: string }> {
    const priv = await openpgp.readPrivateKey({ armoredKey: exportSecret(home, mallory.fingerprint) });
    const victim = await openpgp.readKey({ armoredKey: sub.publicArmored });
    const stolen = victim.subkeys[0]!.keyPacket;
    const binding = new openpgp.SignaturePacket();
    binding.signatureType = openpgp.enums.signature.subkeyBinding;
    binding.publicKeyAlgorithm = priv.keyPacket.algorithm;
    binding.hashAlgorithm = openpgp.enums.hash.sha256;
    binding.keyFlags = new Uint8Array([openpgp.enums.keyFlags.signData]);
    await binding.sign(
      priv.keyPacket as never,
      { key: priv.keyPacket, bind: stolen } as never,
      new Date(Math.max(priv.keyPacket.created.getTime(), stolen.created.getTime())),
      false,
      openpgp.config as never,
    );
    const list = priv.toPublic().toPacketList();
    list.push(stolen, binding);
    const armored = new openpgp.PublicKey(list).armor();
    return { fileName: keyPath(mallory), armored };
  }

  test('it cannot take the push, nor hide the real key file', async () => {
    const hostile = await malloryClaimingSubsSubkey();
    const cert = parsePushCert(certs.sub!);
    // Only Mallory's file: the push is not attributed to Mallory.
    const e = await verifyError(cert, async () => [hostile]);
    expect(e.message).toMatch(
      new RegExp(`^bad push certificate signature \\(checked with ${hostile.fileName}\\): .*embedded signature`, 'i'),
    );
    // Mallory's file first, then Sub's: Sub is the pusher.
    const r = await verifyPushCert({ cert, findKey: async () => [hostile, { fileName: keyPath(sub), armored: sub.publicArmored }] });
    expect(r.userId).toBe(sub.fingerprint);
    // The same through the scanning finder.
    const r2 = await verifyPushCert({ cert, findKey: finderOf({ [hostile.fileName]: hostile.armored, ...files(sub) }) });
    expect(r2.userId).toBe(sub.fingerprint);
  });
});

describe('clock skew', () => {
  test('a signature dated a little in the future is accepted, far in the future refused', async () => {
    const cert = parsePushCert(certs.alice!);
    const finder = () => finderOf(files(alice));
    // "Now" is set relative to when the certificate was signed, not to when this test runs: the test must not
    // depend on how long the machine took to get here.
    const signed = (await openpgp.readSignature({ armoredSignature: cert.signature })).packets[0]!.created!.getTime();
    expect((await verifyPushCert({ cert, findKey: finder(), date: new Date(signed - 2 * 60_000) })).userId).toBe(alice.fingerprint);
    const e = await verifyError(cert, finder(), { date: new Date(signed - 10 * 60_000) });
    // The key itself was made seconds before the push, so its self-signature is "in the future" too.
    expect(e.message).toMatch(/Signature creation time is in the future/);
    expect((await verifyPushCert({ cert, findKey: finder(), date: new Date(signed - 10 * 60_000), clockSkewMs: 15 * 60_000 })).userId).toBe(
      alice.fingerprint,
    );
  });
});

describe('registration: key files the push adds', () => {
  test('a new user is verified with the key the push adds', async () => {
    const r = await verifyPushCert({
      cert: parsePushCert(certs.carol!),
      findKey: finderOf(files(alice, bob)),
      addedKeyFiles: [{ fileName: keyPath(carol), armored: carol.publicArmored }],
    });
    expect(r.userId).toBe(carol.fingerprint);
    expect(r.registration).toBe(true);
    expect(r.keyFile).toBe(keyPath(carol));
  });

  test('the added file must be named after its fingerprint', async () => {
    const wrong = `keys/${alice.fingerprint}.asc`;
    const e = await verifyError(parsePushCert(certs.carol!), finderOf(files(bob)), {
      addedKeyFiles: [{ fileName: wrong, armored: carol.publicArmored }],
    });
    expect(e.message).toBe(`${wrong}: holds the key ${carol.fingerprint}, so it must be named ${carol.fingerprint}.asc`);
  });

  test('added files that do not hold the signer are ignored', async () => {
    const e = await verifyError(parsePushCert(certs.carol!), finderOf(files(bob)), {
      addedKeyFiles: [{ fileName: keyPath(alice), armored: alice.publicArmored }],
    });
    expect(e.code).toBe('unknown-signer');
  });

  test('a push cannot replace a registered (revoked) key to prove who it is', async () => {
    const e = await verifyError(parsePushCert(certs.revoked!), finderOf({ [keyPath(revoked)]: revokedArmored }), {
      addedKeyFiles: [{ fileName: keyPath(revoked), armored: revoked.publicArmored }],
    });
    expect(e.message).toBe(
      `${keyPath(revoked)}: key ${revoked.fingerprint} is revoked; ${keyPath(revoked)} is already on the policy branch and does not verify this push; a push cannot replace a registered key to prove who pushes it`,
    );
  });

  test('the same check with a plain finder (no hasFile)', async () => {
    const plain: KeyFinder = async (ids) =>
      ids.includes(revoked.fingerprint) ? [{ fileName: keyPath(revoked), armored: revokedArmored }] : null;
    const e = await verifyError(parsePushCert(certs.revoked!), plain, {
      addedKeyFiles: [{ fileName: keyPath(revoked), armored: revoked.publicArmored }],
    });
    expect(e.message).toMatch(/is already on the policy branch and does not verify this push/);
  });
});

describe('many key files', () => {
  // How long this takes is measured by the bench (bench/), never asserted here: a loaded machine would fail it.
  test('a subkey signature is found among thousands of key files; a primary-key signature reads none of the others', async () => {
    // 3000 decoy files (a real key, under made-up names) + the signer's file: the subkey signature forces one scan.
    const many: Record<string, string> = files(sub);
    for (let i = 0; i < 3000; i++) many[`keys/${i.toString(16).toUpperCase().padStart(40, 'D')}.asc`] = bob.publicArmored;
    const r = await verifyPushCert({ cert: parsePushCert(certs.sub!), findKey: finderOf(many) });
    expect(r.userId).toBe(sub.fingerprint);
    const finderMany = finderOf({ ...many, ...files(alice) });
    expect((await verifyPushCert({ cert: parsePushCert(certs.alice!), findKey: finderMany })).userId).toBe(alice.fingerprint);
    expect(finderMany.reads).toEqual([keyPath(alice)]);
  });
});
