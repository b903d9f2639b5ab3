/**
 * Second red-team pass on issue 7: refs that exist only in packed-refs
 * (`git pack-refs --all` on the server, as `git gc` does) must count exactly
 * as loose refs do: for name collisions, for the old value a command
 * names, and for finding the policy branch.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Forge, ZERO_OID as ZERO, type Clone } from '../../support/forge.js';
import { packObjectIds, receivePack } from '../../support/receive-pack-client.js';
import { attempt, POLICY, refChanges, rejectedFor } from './support.js';

let forge: Forge;
let owner: Clone;
let bob: Clone;
let B: string;
let tip: string;
let main0: string;
let topic: string;

beforeAll(() => {
  forge = Forge.create({ presets: ['per-user-branches'], users: ['bob'] });
  forge.setPolicy(Forge.presetFiles('per-user-branches'));
  B = forge.user('bob').id;
  owner = forge.clone('owner');
  main0 = owner.commitTree({ README: 'hello\n' }, [], 'main');
  expect(owner.push(`${main0}:refs/heads/main`).remote).toEqual([]);
  bob = forge.clone('bob');
  topic = bob.commitTree({ README: 'bob\n' }, [main0], 'topic');
  expect(bob.push(`${topic}:refs/heads/${B}/Topic`).remote).toEqual([]);
  forge.server(['pack-refs', '--all', '--prune']);
  tip = forge.ref(POLICY)!;
  // Every branch now lives in packed-refs only.
  for (const ref of ['refs/heads/main', POLICY, `refs/heads/${B}/Topic`])
    expect(fs.existsSync(path.join(forge.bare, ref)), ref).toBe(false);
});
afterAll(() => forge?.cleanup());

const collision = (name: string, existing: string) =>
  `git-acl: ${name} and the existing ${existing} would be one file on a case-insensitive or Unicode-normalising file system; such names are refused`;

describe('refs only in packed-refs', () => {
  test('the policy is still found: Bob may push his own branch, not main', async () => {
    const mine = bob.commitTree({ README: 'mine\n' }, [main0], 'mine');
    expect(bob.push(`${mine}:refs/heads/${B}/mine`).remote).toEqual([]);
    const a = await attempt(forge, () => bob.push(`${mine}:refs/heads/main`));
    expect(refChanges(a)).toEqual([]);
    expect(a.remote[0]).toBe(rejectedFor(B));
    expect(a.remote).toEqual([
      rejectedFor(B),
      `git-acl: denied: no rule lets ${B} fast-forward heads/main; nearest: refs/per-user-branches.conf:19 "anyone create-branch,fast-forward,force,delete ^heads/$user_id/.+$" (pattern does not match heads/main)`,
      `git-acl: denied: no rule lets ${B} modify README on heads/main; nearest: branches/per-user-branches.conf:12 "anyone create-directory,create-file,create-symlink,create-submodule,modify,delete ^.+$" (only on branches matching ^heads/$user_id/.+$)`,
    ]);
  });

  test("a name that folds onto Bob's packed branch is refused", async () => {
    const a = await attempt(forge, () => bob.push(`${topic}:refs/heads/${B}/topic`));
    expect(refChanges(a)).toEqual([]);
    expect(a.remote).toEqual([rejectedFor(B), collision(`refs/heads/${B}/topic`, `refs/heads/${B}/Topic`)]);
  });

  test('a name that folds onto the packed policy branch is refused, even for the owner', async () => {
    const name = 'refs/heads/apps/Access-Control';
    const a = await attempt(forge, () => owner.push(`${tip}:${name}`));
    expect(refChanges(a)).toEqual([]);
    expect(a.remote).toEqual([rejectedFor(forge.owner.id), collision(name, POLICY)]);
  });

  test('the packed policy branch cannot be deleted', async () => {
    const a = await attempt(forge, () => owner.push(`:${POLICY}`));
    expect(refChanges(a)).toEqual([]);
    expect(a.remote).toEqual([rejectedFor(forge.owner.id), `git-acl: the policy branch ${POLICY} cannot be deleted`]);
  });

  test("a command that says Bob's packed branch does not exist yet (old value zero) is refused up front, as git would refuse it", async () => {
    const other = bob.commitTree({ README: 'other\n' }, [], 'unrelated');
    const a = await attempt(forge, () =>
      receivePack(forge.bare, forge.env, {
        commands: [{ oldOid: ZERO, newOid: other, ref: `refs/heads/${B}/Topic` }],
        certificate: { signingKey: B },
        pack: packObjectIds(bob.dir, forge.env, bob.ok(['rev-list', '--objects', '--no-object-names', other]).split('\n').filter(Boolean)),
      }),
    );
    // A creation Bob may make, of a ref that exists in packed-refs only: git's ref lock would refuse it after the
    // hook, so the hook refuses it first (a push that lands in part could keep the log's lock held).
    const at = forge.ref(`refs/heads/${B}/Topic`)!.slice(0, 12);
    expect(refChanges(a)).toEqual([]);
    expect(a.remote).toEqual([
      rejectedFor(B),
      `git-acl: refs/heads/${B}/Topic already exists (at ${at}), but this push would create it; git would refuse this command after the others landed: fetch and push again`,
    ]);
  });
});
