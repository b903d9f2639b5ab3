/**
 * The key recipes of docs/cookbook.md, end to end on a real forge
 * (self-registration + per-user-branches presets): rotating a signing subkey
 * keeps the user ID, and revoking a key by replacing its file with the revoked
 * export shuts it out for good, while deleting the file would let the same key
 * register again.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Forge, type Clone, type ForgeUser } from '../support/forge.js';
import { addSigningSubkey, exportPublic, gpg, makeGpgHome } from '../support/gpg.js';

const POLICY = 'refs/heads/apps/access-control';

let forge: Forge;

function editPolicy(c: Clone, edit: (c: Clone) => void, message: string): void {
  c.ok(['fetch', '-q', 'origin']);
  c.ok(['checkout', '-q', '-B', 'policy', 'origin/apps/access-control']);
  edit(c);
  c.commit(message);
}

let works = 0;

/** A push to the user's own namespace: proves the key verifies (or not). */
function pushOwnBranch(c: Clone, extraConfig: string[] = []) {
  c.ok(['checkout', '-q', '-B', 'work']);
  c.write('work.txt', `work ${++works}\n`);
  c.commit('work');
  const r = c.git([...extraConfig, 'push', '--signed', '--porcelain', 'origin', `+HEAD:refs/heads/${c.user.id}/work`]);
  return {
    ...r,
    remote: r.stderr
      .split('\n')
      .filter((l) => l.startsWith('remote: '))
      .join('\n'),
  };
}

/** The revoked public key, made in a scratch gpg home so that the user's own gpg can still sign with it. */
function revokedExport(user: ForgeUser): string {
  const scratch = makeGpgHome();
  try {
    gpg(scratch, ['--import'], user.key.publicArmored);
    const rev = fs.readFileSync(path.join(forge.gpgHome.dir, 'openpgp-revocs.d', `${user.id}.rev`), 'utf8');
    gpg(scratch, ['--import'], rev.replace(/^:-----BEGIN/m, '-----BEGIN'));
    return exportPublic(scratch, user.id);
  } finally {
    scratch.cleanup();
  }
}

describe('keys: rotation and revocation', () => {
  beforeAll(() => {
    forge = Forge.create({ presets: ['self-registration', 'per-user-branches'] });
  });
  afterAll(() => forge?.cleanup());

  test('rotating a signing subkey keeps the user ID; the update is signed with the old subkey', () => {
    const dana = forge.addUser('dana', { signingSubkey: true });
    const c = forge.clone(dana);
    const oldSubkey = dana.key.keyId;
    editPolicy(c, (c) => c.write(`keys/${dana.id}.asc`, dana.key.publicArmored), 'register dana');
    expect(c.push(`HEAD:${POLICY}`).code).toBe(0);
    expect(pushOwnBranch(c).code).toBe(0);

    // A new signing subkey, which the server does not know yet. gpg signs with the newest subkey only when it
    // was created in a later second than the old one; within the same second it keeps the old one. So the clone
    // names the subkey that signs (`<KEY ID>!`: exactly that key), as a user who wants to be sure would.
    const rotated = addSigningSubkey(forge.gpgHome, dana.id);
    const added = rotated.subkeys.filter((f) => !dana.key.subkeys.includes(f));
    expect(added).toHaveLength(1);
    const newSubkey = added[0]!.slice(-16);
    expect(newSubkey).not.toBe(oldSubkey);
    c.ok(['config', 'user.signingkey', `${newSubkey}!`]);
    const unknown = pushOwnBranch(c);
    expect(unknown.code).not.toBe(0);
    expect(unknown.remote).toMatch(new RegExp(`push rejected: push certificate is signed by key [0-9A-F]*${newSubkey} `));

    // Publish the refreshed key file, signed with the OLD subkey.
    editPolicy(c, (c) => c.write(`keys/${dana.id}.asc`, rotated.publicArmored), 'keys: new signing subkey');
    const withNew = c.push(`HEAD:${POLICY}`);
    expect(withNew.code, 'signed with the new subkey, the update cannot verify').not.toBe(0);
    expect(withNew.remote.join('\n')).toMatch(new RegExp(`push rejected: push certificate is signed by key [0-9A-F]*${newSubkey} `));
    const r = c.git(['-c', `user.signingkey=${oldSubkey}!`, 'push', '--signed', '--porcelain', 'origin', `HEAD:${POLICY}`]);
    expect(r.code, r.stderr).toBe(0);

    // From now on the new subkey signs, under the same user ID.
    expect(pushOwnBranch(c).code).toBe(0);
    expect(forge.ref(`refs/heads/${dana.id}/work`)).not.toBeNull();
  });

  test('revoking: the revoked file shuts the key out and cannot be replaced by its holder', () => {
    const erin = forge.addUser('erin');
    const c = forge.clone(erin);
    editPolicy(c, (c) => c.write(`keys/${erin.id}.asc`, erin.key.publicArmored), 'register erin');
    expect(c.push(`HEAD:${POLICY}`).code).toBe(0);

    const owner = forge.clone(forge.owner);
    editPolicy(owner, (o) => o.write(`keys/${erin.id}.asc`, revokedExport(erin)), `keys: ${erin.id} is revoked`);
    const o = owner.push(`HEAD:${POLICY}`);
    expect(o.code, o.stderr).toBe(0);

    const after = pushOwnBranch(c);
    expect(after.code).not.toBe(0);
    expect(after.remote).toMatch(/revoked/);

    // The key's holder puts the unrevoked key back: the update is verified with the file on the branch, which is revoked.
    const before = forge.refs();
    editPolicy(c, (c) => c.write(`keys/${erin.id}.asc`, erin.key.publicArmored), 'unrevoke myself');
    expect(c.push(`HEAD:${POLICY}`).code).not.toBe(0);
    expect(forge.refs()).toEqual(before);
  });

  test('deleting a key file instead lets the same key register again (why the cookbook says: revoke, do not delete)', () => {
    const finn = forge.addUser('finn');
    const c = forge.clone(finn);
    editPolicy(c, (c) => c.write(`keys/${finn.id}.asc`, finn.key.publicArmored), 'register finn');
    expect(c.push(`HEAD:${POLICY}`).code).toBe(0);

    const owner = forge.clone(forge.owner);
    editPolicy(owner, (o) => o.remove(`keys/${finn.id}.asc`), `keys: remove ${finn.id}`);
    expect(owner.push(`HEAD:${POLICY}`).code).toBe(0);
    expect(pushOwnBranch(c).code).not.toBe(0);

    editPolicy(c, (c) => c.write(`keys/${finn.id}.asc`, finn.key.publicArmored), 'register finn again');
    expect(c.push(`HEAD:${POLICY}`).code).toBe(0);
    expect(pushOwnBranch(c).code).toBe(0);
  });
});

describe("git acl lint runs the server's key-file checks", () => {
  let f: Forge;
  beforeAll(() => {
    f = Forge.create({ users: ['erin', 'fred'] });
  });
  afterAll(() => f?.cleanup());

  test('junk, a key under another fingerprint and a secret key: lint reports what the server refuses, word for word', () => {
    const erin = f.user('erin');
    const fred = f.user('fred');
    const owner = f.clone(f.owner);
    editPolicy(
      owner,
      (c) => {
        c.write(`keys/${erin.id}.asc`, 'hello\n');
        c.write(`keys/${fred.id}.asc`, erin.key.publicArmored);
        c.write(`keys/${f.owner.id}.asc`, gpg(f.gpgHome, ['--armor', '--export-secret-keys', f.owner.id]));
      },
      'bad keys',
    );
    // In the clone, on the commit about to be pushed (--ref), and on a checkout of it (a directory).
    const byRef = f.acl(['lint', '--ref', 'HEAD', '--json'], { cwd: owner.dir });
    const byDir = f.acl(['lint', '--json', '.'], { cwd: owner.dir });
    expect(byRef.code).toBe(1);
    expect(byDir.code).toBe(1);
    type Doc = { diagnostics: Array<{ file: string; line: number; col: number; severity: string; code: string; message: string }> };
    const found = (JSON.parse(byRef.stdout) as Doc).diagnostics.filter((d) => d.code === 'unusable-key-file');
    expect((JSON.parse(byDir.stdout) as Doc).diagnostics.filter((d) => d.code === 'unusable-key-file')).toEqual(found);
    expect(found.map((d) => [d.file, d.severity])).toEqual(
      [
        [`keys/${erin.id}.asc`, 'error'],
        [`keys/${fred.id}.asc`, 'error'],
        [`keys/${f.owner.id}.asc`, 'error'],
      ].sort((a, b) => (a[0]! < b[0]! ? -1 : 1)),
    );
    const push = owner.push(`HEAD:${POLICY}`);
    expect(push.code).not.toBe(0);
    const refused = push.remote.filter((l) => l.startsWith('git-acl: keys/'));
    expect(refused.sort()).toEqual(found.map((d) => `git-acl: ${d.file}: ${d.message}`).sort());
    expect(found.find((d) => d.file === `keys/${fred.id}.asc`)!.message).toBe(
      `holds the key ${erin.id}, so it must be named ${erin.id}.asc`,
    );
  });

  test('good key files lint clean', () => {
    const owner = f.clone(f.owner);
    editPolicy(owner, (c) => c.write(`keys/${f.user('erin').id}.asc`, f.user('erin').key.publicArmored), 'erin');
    const r = f.acl(['lint', '.'], { cwd: owner.dir });
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('0 errors, 0 warnings');
    expect(r.code).toBe(0);
  });
});
