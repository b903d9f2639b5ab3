/**
 * Issue 8: commands git would fail after pre-receive, at their ref lock,
 * while the push's other commands land. A push that lands in part cannot be
 * told apart from one whose refs are still being written, so the admission
 * lock could not be taken over from its stalled client (log-lock.ts); the
 * hook refuses such pushes whole, up front. `git push` sends the old values
 * it was told and never a conflicting pair of names in one push; the raw
 * client (test/support/receive-pack-client.ts) sends anything, with a real
 * signed certificate.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Forge, type Clone, type ForgeUser } from '../../support/forge.js';
import { ZERO_OID } from '../../support/env.js';
import { packObjects, receivePack, type RefCommand } from '../../support/receive-pack-client.js';
import { attempt, refChanges, rejectedFor } from './support.js';

const LATE = 'git would refuse this command after the others landed';

describe('a push with a command git would fail at its ref lock is refused whole', () => {
  let forge: Forge;
  let bob: ForgeUser;
  let c: Clone;
  let base: string;
  let work: string;

  beforeAll(() => {
    forge = Forge.create({ users: ['bob'] });
    bob = forge.user('bob');
    forge.setPolicy({
      'refs/bob.conf': `${bob.id} create-branch,fast-forward,force,delete ^heads/x/.+$\n`,
      'branches/bob.conf': `branch ^heads/x/.+$\n${bob.id} create-file,modify,delete ^.+$\n`,
    });
    c = forge.clone(bob);
    base = c.commitTree({ 'a.txt': 'a\n' }, [], 'base');
    work = c.commitTree({ 'a.txt': 'b\n' }, [base], 'work');
    for (const ref of ['refs/heads/x/main', 'refs/heads/x/dir']) expect(c.push(`${base}:${ref}`).code).toBe(0);
  });
  afterAll(() => forge?.cleanup());

  /** `commands` plus a command that would land (creating refs/heads/x/lands), signed by Bob. */
  async function push(commands: RefCommand[], objects: string[] = []) {
    const a = await attempt(forge, () =>
      receivePack(forge.bare, forge.env, {
        commands: [{ oldOid: ZERO_OID, newOid: work, ref: 'refs/heads/x/lands' }, ...commands],
        certificate: { signingKey: bob.id },
        pack: packObjects(c.dir, forge.env, [work, ...objects, `^${base}`]),
      }),
    );
    expect(refChanges(a)).toEqual([]);
    return a.remote;
  }

  test('an old value that is not the ref\'s value (git: "stale info")', async () => {
    const other = c.commitTree({ 'a.txt': 'c\n' }, [base], 'other');
    expect(await push([{ oldOid: other, newOid: work, ref: 'refs/heads/x/main' }], [other])).toEqual([
      rejectedFor(bob.id),
      `git-acl: refs/heads/x/main is at ${base.slice(0, 12)}, but this push expects it at ${other.slice(0, 12)}; ${LATE}: fetch and push again`,
    ]);
  });

  test('creating a ref that exists', async () => {
    expect(await push([{ oldOid: ZERO_OID, newOid: work, ref: 'refs/heads/x/main' }])).toEqual([
      rejectedFor(bob.id),
      `git-acl: refs/heads/x/main already exists (at ${base.slice(0, 12)}), but this push would create it; ${LATE}: fetch and push again`,
    ]);
  });

  test('deleting a ref that does not exist', async () => {
    expect(await push([{ oldOid: base, newOid: ZERO_OID, ref: 'refs/heads/x/gone' }])).toEqual([
      rejectedFor(bob.id),
      `git-acl: refs/heads/x/gone does not exist, but this push expects it at ${base.slice(0, 12)}; ${LATE}: fetch and push again`,
    ]);
  });

  test("a ref under an existing ref's name (a file and a directory at once)", async () => {
    expect(await push([{ oldOid: ZERO_OID, newOid: work, ref: 'refs/heads/x/dir/a' }])).toEqual([
      rejectedFor(bob.id),
      `git-acl: refs/heads/x/dir/a and the existing refs/heads/x/dir cannot both be refs: one name would be a directory of the other, and ${LATE}; such names are refused`,
    ]);
  });

  test('a ref and a ref under its name in one push', async () => {
    expect(
      await push([
        { oldOid: ZERO_OID, newOid: work, ref: 'refs/heads/x/new' },
        { oldOid: ZERO_OID, newOid: work, ref: 'refs/heads/x/new/a' },
      ]),
    ).toEqual([
      rejectedFor(bob.id),
      `git-acl: refs/heads/x/new/a and refs/heads/x/new cannot both be refs: one name would be a directory of the other, and ${LATE}; such names are refused`,
    ]);
  });

  test('a name receive-pack refuses ("funny refname")', async () => {
    expect(await push([{ oldOid: ZERO_OID, newOid: work, ref: 'refs/heads/x/a..b' }])).toEqual([
      rejectedFor(bob.id),
      `git-acl: refs/heads/x/a..b is not a ref name git accepts from a push (git check-ref-format; ${LATE}); such names are refused`,
    ]);
  });

  test("deleting the branch the server's HEAD names (git's default receive.denyDeleteCurrent)", async () => {
    const head = forge.server(['symbolic-ref', 'HEAD']).stdout.trim();
    forge.server(['symbolic-ref', 'HEAD', 'refs/heads/x/main']);
    try {
      expect(await push([{ oldOid: base, newOid: ZERO_OID, ref: 'refs/heads/x/main' }])).toEqual([
        rejectedFor(bob.id),
        `git-acl: refs/heads/x/main is the branch the server's HEAD names, which git refuses to delete (receive.denyDeleteCurrent), and it would refuse this command after the others landed`,
      ]);
    } finally {
      forge.server(['symbolic-ref', 'HEAD', head]);
    }
  });

  test('deleting a branch where the server sets receive.denyDeletes', async () => {
    forge.server(['config', 'receive.denyDeletes', 'true']);
    try {
      expect(await push([{ oldOid: base, newOid: ZERO_OID, ref: 'refs/heads/x/dir' }])).toEqual([
        rejectedFor(bob.id),
        `git-acl: refs/heads/x/dir: the server refuses to delete branches (receive.denyDeletes), and ${LATE}`,
      ]);
    } finally {
      forge.server(['config', '--unset', 'receive.denyDeletes']);
    }
    // Allowed again: the deletion lands (a test that would pass with every deletion refused would prove nothing).
    const ok = await receivePack(forge.bare, forge.env, {
      commands: [{ oldOid: base, newOid: ZERO_OID, ref: 'refs/heads/x/dir' }],
      certificate: { signingKey: bob.id },
    });
    expect(ok.remote).toEqual([]);
    expect(forge.ref('refs/heads/x/dir')).toBeNull();
  });
});
