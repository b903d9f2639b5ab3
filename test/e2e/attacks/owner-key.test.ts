/**
 * Issue 7, class 4: a policy push may replace the owner's key file with one
 * that the packet scan accepts but the loader that verifies certificates
 * refuses (the bare primary-key packet: no user ID, no self-signature), or
 * with a revoked export. The push is verified with the old file and
 * accepted; from then on no push of the owner verifies, and the path exists,
 * so the key cannot be registered again: the owner is locked out for good.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as openpgp from 'openpgp';
import { scanKeyFile } from '../../../src/identity/index.js';
import { Forge, type Clone } from '../../support/forge.js';
import { exportPublic, gpg, makeGpgHome, setExpiry } from '../../support/gpg.js';
import { attack, attempt, expectRefused, POLICY, refChanges, rejectedFor } from './support.js';

let forge: Forge;
let owner: Clone;
let O: string;
let tip: string;

beforeAll(() => {
  forge = Forge.create();
  O = forge.owner.id;
  owner = forge.clone('owner');
  tip = forge.ref(POLICY)!;
});
afterAll(() => forge?.cleanup());
// A reproduced bypass locks the owner out: put the policy branch back (as the operator could) for the next case.
afterEach(() => {
  if (tip) forge.server(['update-ref', POLICY, tip]);
});

/** The first OpenPGP packet of a binary key export: the primary public key alone. */
function firstPacket(bytes: Buffer): Buffer {
  const b = bytes[0]!;
  if ((b & 0x80) === 0) throw new Error('not an OpenPGP packet');
  let header: number;
  let length: number;
  if (b & 0x40) {
    // New format: one, two or five length octets.
    const l = bytes[1]!;
    if (l < 192) [header, length] = [2, l];
    else if (l < 224) [header, length] = [3, ((l - 192) << 8) + bytes[2]! + 192];
    else if (l === 255) [header, length] = [6, bytes.readUInt32BE(2)];
    else throw new Error('partial body length in a key packet');
  } else {
    const lengthType = b & 0x03;
    if (lengthType === 0) [header, length] = [2, bytes[1]!];
    else if (lengthType === 1) [header, length] = [3, bytes.readUInt16BE(1)];
    else if (lengthType === 2) [header, length] = [5, bytes.readUInt32BE(1)];
    else throw new Error('indeterminate length');
  }
  return bytes.subarray(0, header + length);
}

function barePrimaryKey(fingerprint: string): string {
  return barePrimaryKeyOf(forge, fingerprint);
}

function barePrimaryKeyOf(f: Forge, fingerprint: string): string {
  const packet = firstPacket(execFileSync('gpg', ['--batch', '--export', fingerprint], { env: f.gpgHome.env }));
  const tag = packet[0]! & 0x40 ? packet[0]! & 0x3f : (packet[0]! >> 2) & 0x0f;
  expect(tag, 'a public-key packet').toBe(6);
  return openpgp.armor(openpgp.enums.armor.publicKey, packet);
}

/** The owner's public key with its revocation, made in a scratch home so the forge's gpg can still sign with the key. */
function revokedExport(fingerprint: string): string {
  const scratch = makeGpgHome();
  try {
    gpg(scratch, ['--import'], exportPublic(forge.gpgHome, fingerprint));
    const rev = fs.readFileSync(path.join(forge.gpgHome.dir, 'openpgp-revocs.d', `${fingerprint}.rev`), 'utf8');
    gpg(scratch, ['--import'], rev.replace(/^:-----BEGIN/m, '-----BEGIN'));
    return exportPublic(scratch, fingerprint);
  } finally {
    scratch.cleanup();
  }
}

/** The owner's policy push that replaces keys/<owner>.asc with `armored` (null removes it). */
function replaceOwnerKey(armored: string | null) {
  const commit = owner.commitTree(forge.policyFiles({ [`keys/${O}.asc`]: armored }), [tip], "replace the owner's key file");
  return owner.push(`${commit}:${POLICY}`);
}

/** The owner's next push, after a case landed: what locks them out. */
let probes = 0;
function ownersNextPush(): string {
  const r = owner.push(`${tip}:refs/heads/probe-${++probes}`);
  return `the owner's next push: ${JSON.stringify(r.remote)}`;
}

describe("the owner's key file", () => {
  test('a bare primary-key packet: the key scan reads one public key with the right fingerprint, openpgp refuses to use it', async () => {
    const bare = barePrimaryKey(O);
    const scan = await scanKeyFile(bare);
    expect(scan).toMatchObject({ armorType: 'PUBLIC KEY BLOCK', tags: [6], fingerprints: [O] });
    const key = await openpgp.readKey({ armoredKey: bare }).catch((e: unknown) => e);
    // openpgp v6 refuses a key without a user ID or a self-signature as soon as it reads it, or when it is used.
    if (key instanceof openpgp.PublicKey) await expect(key.getSigningKey()).rejects.toThrow();
    else expect(key).toBeInstanceOf(Error);
  });

  test(
    'replacing it with its bare primary-key packet (no user ID, no self-signature) is refused',
    attack(async (ctx) => {
      const a = await attempt(forge, () => replaceOwnerKey(barePrimaryKey(O)));
      expectRefused(ctx, a, [rejectedFor(O), expect.stringMatching(new RegExp(`keys/${O}\\.asc`))], ownersNextPush);
    }),
  );

  test(
    'replacing it with its revoked export is refused (the owner would be locked out)',
    attack(async (ctx) => {
      const a = await attempt(forge, () => replaceOwnerKey(revokedExport(O)));
      expectRefused(ctx, a, [rejectedFor(O), expect.stringMatching(new RegExp(`keys/${O}\\.asc`))], ownersNextPush);
    }),
  );
});

describe('what else a policy push may do to key files', () => {
  test("the owner's key file cannot be removed", async () => {
    const a = await attempt(forge, () => replaceOwnerKey(null));
    expect(refChanges(a)).toEqual([]);
    // The pushed policy's lint (the recorded owner needs a key file) and the key-file check both say so.
    expect(a.remote).toEqual([
      rejectedFor(O),
      'git-acl: the pushed policy has 1 error; fix it and push again',
      `git-acl: owner:1:1: error: the owner ${O} has no key file keys/${O}.asc: the owner could not sign a push`,
      `git-acl: keys/${O}.asc: the owner's key file cannot be removed; the owner could no longer push`,
    ]);
  });

  test('the owner may publish a renewal of their own key (a new expiry), and still push afterwards', () => {
    const renewed = setExpiry(forge.gpgHome, O, '2y');
    expect(renewed).not.toBe(forge.owner.key.publicArmored);
    const r = replaceOwnerKey(renewed);
    expect(r.remote).toEqual([]);
    const next = forge.ref(POLICY)!;
    expect(next).not.toBe(tip);
    expect(owner.push(`${next}:refs/heads/after-renewal`).remote).toEqual([]);
  });

  test("a user's own key file replaced by a bare key packet is refused by the loader's check (it would lock her out)", async () => {
    const f = Forge.create({ presets: ['self-registration'], users: ['alice'] });
    try {
      const preset = Forge.presetFiles('self-registration');
      f.setPolicy(preset);
      const alice = f.user('alice');
      const c = f.clone(alice);
      const policyTip = c.fetchRef(POLICY)!;
      const bare = barePrimaryKeyOf(f, alice.id);
      const commit = c.commitTree(f.policyFiles({ ...preset, [`keys/${alice.id}.asc`]: bare }), [policyTip], 'my key, shorter');
      const before = f.refs();
      const r = c.push(`${commit}:${POLICY}`);
      expect(f.refs()).toEqual(before);
      expect(r.remote).toEqual([
        rejectedFor(alice.id),
        expect.stringMatching(new RegExp(`^git-acl: keys/${alice.id}\\.asc: key ${alice.id} is not valid: `)),
      ]);
    } finally {
      f.cleanup();
    }
  });
});
