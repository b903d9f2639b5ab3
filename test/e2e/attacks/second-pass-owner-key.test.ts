/**
 * Second red-team pass on issue 7, class 4: more ways a policy push could
 * replace `keys/<owner>.asc` with something the owner cannot push with. Each
 * is refused by the loader that verifies certificates, with the line the
 * pusher sees, and no ref changes.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { execFileSync } from 'node:child_process';
import * as openpgp from 'openpgp';
import { Forge, remoteLines, type Clone } from '../../support/forge.js';
import { addSigningSubkey, exportPublic, gpg, makeGpgHome } from '../../support/gpg.js';
import { attempt, POLICY, refChanges, rejectedFor } from './support.js';

let forge: Forge;
let owner: Clone;
let O: string;
let B: string;
let tip: string;

beforeAll(() => {
  forge = Forge.create({ users: ['bob'] });
  O = forge.owner.id;
  B = forge.user('bob').id;
  owner = forge.clone('owner');
  tip = forge.ref(POLICY)!;
});
afterAll(() => forge?.cleanup());
afterEach(() => {
  if (tip) forge.server(['update-ref', POLICY, tip]);
});

function replaceOwnerKey(content: string) {
  const commit = owner.commitTree(forge.policyFiles({ [`keys/${O}.asc`]: content }), [tip], "replace the owner's key file");
  return attempt(forge, () => owner.push(`${commit}:${POLICY}`));
}
const binary = (fpr: string): Buffer => execFileSync('gpg', ['--batch', '--export', fpr], { env: forge.gpgHome.env });

describe("the owner's key file replaced by", () => {
  test("the owner's key and Bob's in one armored block", async () => {
    const both = openpgp.armor(openpgp.enums.armor.publicKey, Buffer.concat([binary(O), binary(B)]));
    const a = await replaceOwnerKey(both);
    expect(refChanges(a)).toEqual([]);
    expect(a.remote).toEqual([rejectedFor(O), `git-acl: keys/${O}.asc: holds 2 public keys; a key file holds exactly one`]);
  });

  test("the owner's armored key followed by a second armored block (Bob's key)", async () => {
    const a = await replaceOwnerKey(`${exportPublic(forge.gpgHome, O)}${exportPublic(forge.gpgHome, B)}`);
    expect(refChanges(a)).toEqual([]);
    expect(a.remote).toEqual([
      rejectedFor(O),
      `git-acl: keys/${O}.asc: not an armored OpenPGP public key (text after the armored block (a key file holds exactly one armored public key and nothing else))`,
    ]);
  });

  test("the owner's key, exported binary (not armored)", async () => {
    const a = await replaceOwnerKey(binary(O).toString('latin1'));
    expect(refChanges(a)).toEqual([]);
    expect(a.remote).toEqual([
      rejectedFor(O),
      `git-acl: keys/${O}.asc: not an armored OpenPGP public key (not an armored OpenPGP block (expected "-----BEGIN PGP PUBLIC KEY BLOCK-----"))`,
    ]);
  });

  test("the owner's key with an encryption-only subkey added: accepted, and the owner still pushes with it", async () => {
    gpg(forge.gpgHome, ['--quick-add-key', O, 'cv25519', 'encr', 'never']);
    const a = await replaceOwnerKey(exportPublic(forge.gpgHome, O));
    expect(a.remote).toEqual([]);
    expect(refChanges(a)).toHaveLength(1);
    expect(owner.push(`${forge.ref(POLICY)!}:refs/heads/after-encr`).remote).toEqual([]);
  });
});

/** The owner's push signed with the primary key itself (`<fpr>!`), not gpg's choice of the newest signing subkey. */
function pushWithPrimary(ref: string) {
  const r = owner.git(['-c', `user.signingkey=${O}!`, 'push', '--signed', '--porcelain', 'origin', ref]);
  return remoteLines(r.stderr);
}

describe('a signing subkey the owner signs with', () => {
  // Not a lockout by the rule the check enforces (the file still holds a key that signs: the primary), but
  // the owner's plain `git push --signed` stops verifying until they name the primary key or publish the subkey
  // again. Anyone the rules let edit keys/ can do this with an older public export. Left as is: dropping a
  // subkey from the file is also how an owner retires one, and the owner can always push with the primary.
  test("stripped from the owner's key file while the primary still signs: accepted; the owner's default push then fails, a push by the primary works", async () => {
    const withSub = addSigningSubkey(forge.gpgHome, O);
    const publish = owner.commitTree(forge.policyFiles({ [`keys/${O}.asc`]: withSub.publicArmored }), [tip], 'publish a signing subkey');
    expect(pushWithPrimary(`${publish}:${POLICY}`)).toEqual([]);
    const scratch = makeGpgHome();
    let stripped: string;
    try {
      gpg(scratch, ['--import'], withSub.publicArmored);
      gpg(scratch, ['--batch', '--yes', '--delete-keys', `${withSub.subkeys[withSub.subkeys.length - 1]}!`]);
      stripped = exportPublic(scratch, O);
    } finally {
      scratch.cleanup();
    }
    const commit = owner.commitTree(forge.policyFiles({ [`keys/${O}.asc`]: stripped }), [publish], 'strip the subkey');
    const a = await attempt(forge, () => owner.push(`${commit}:${POLICY}`));
    expect(a.remote).toEqual([]);
    expect(refChanges(a)).toHaveLength(1);
    const sub = withSub.subkeys[withSub.subkeys.length - 1]!;
    expect(owner.push(`${commit}:refs/heads/after-strip`).remote).toEqual([
      `git-acl: push rejected: push certificate is signed by key ${sub} (key ID ${sub.slice(-16)}), which no key file of the policy branch holds: register your public key as keys/<PRIMARY KEY FINGERPRINT>.asc`,
    ]);
    expect(pushWithPrimary(`${commit}:refs/heads/after-strip`)).toEqual([]);
  });
});

describe('an owner whose primary key cannot sign (certify only) and who signs with a subkey', () => {
  test('may publish that key and push with it; a key file without the signing subkey is refused', async () => {
    const f = Forge.create();
    try {
      const id = f.owner.id;
      const c = f.clone('owner');
      const tip0 = f.ref(POLICY)!;
      const sub = addSigningSubkey(f.gpgHome, id);
      const subFpr = sub.subkeys[sub.subkeys.length - 1]!;
      const withSub = c.commitTree(f.policyFiles({ [`keys/${id}.asc`]: sub.publicArmored }), [tip0], 'publish a signing subkey');
      expect(
        remoteLines(c.git(['-c', `user.signingkey=${id}!`, 'push', '--signed', '--porcelain', 'origin', `${withSub}:${POLICY}`]).stderr),
      ).toEqual([]);
      // The primary key keeps only its certify capability (gpg's expert change-usage: toggle S off).
      execFileSync(
        'gpg',
        ['--batch', '--pinentry-mode', 'loopback', '--passphrase', '', '--expert', '--command-fd', '0', '--edit-key', id],
        {
          env: f.gpgHome.env,
          input: 'change-usage\nS\nQ\nsave\n',
          stdio: ['pipe', 'ignore', 'ignore'],
        },
      );
      const certOnly = exportPublic(f.gpgHome, id);
      const published = c.commitTree(f.policyFiles({ [`keys/${id}.asc`]: certOnly }), [withSub], 'the primary key only certifies');
      expect(c.push(`${published}:${POLICY}`).remote).toEqual([]);
      expect(c.push(`${published}:refs/heads/signed-by-the-subkey`).remote).toEqual([]);
      // Anyone who may edit keys/ holds this public key and can drop the subkey from it.
      const scratch = makeGpgHome();
      let stripped: string;
      try {
        gpg(scratch, ['--import'], certOnly);
        gpg(scratch, ['--batch', '--yes', '--delete-keys', `${subFpr}!`]);
        stripped = exportPublic(scratch, id);
      } finally {
        scratch.cleanup();
      }
      const commit = c.commitTree(f.policyFiles({ [`keys/${id}.asc`]: stripped }), [published], 'drop the signing subkey');
      const before = f.refs();
      const r = c.push(`${commit}:${POLICY}`);
      expect(f.refs()).toEqual(before);
      expect(r.remote).toEqual([
        rejectedFor(id),
        expect.stringMatching(
          new RegExp(
            `^git-acl: keys/${id}\\.asc: the owner's key file must hold a key that can sign pushes, or the owner could no longer push: `,
          ),
        ),
      ]);
    } finally {
      f.cleanup();
    }
  });
});
