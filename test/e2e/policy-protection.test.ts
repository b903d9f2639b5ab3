/**
 * The policy branch protects itself (docs/reference.md#the-policy-branch-protects-itself): a push is judged by the policy
 * as it was before it; a broken policy, an owner lockout and the deletion of
 * the policy branch are refused; a policy change takes effect on the next push.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Forge, type Clone, type Entry } from '../support/forge.js';
import { exportSecret, genKey, gpg } from '../support/gpg.js';

let forge: Forge;
let owner: Clone;
let alice: Clone;
let A: string;
let O: string;
let main0: string;

beforeAll(() => {
  forge = Forge.create({ users: ['alice'] });
  A = forge.user('alice').id;
  O = forge.owner.id;
  // alice may fast-forward the policy branch, but only change groups/writers.conf on it.
  forge.setPolicy({
    'refs/policy.conf': `${A} fast-forward ^heads/apps/access-control$\nwriters fast-forward ^heads/main$\n`,
    'branches/policy.conf': `branch ^heads/apps/access-control$\n${A} modify ^groups/writers\\.conf$\nbranch ^heads/main$\nwriters create-file,modify ^.*$\n`,
    'groups/writers.conf': `${O}\n`,
  });
  owner = forge.clone('owner');
  alice = forge.clone('alice');
  for (const c of [owner, alice]) main0 = c.commitTree({ README: 'v0\n' }, [], 'v0');
  expect(owner.push(`${main0}:refs/heads/main`).code).toBe(0);
});
afterAll(() => forge?.cleanup());

/** A commit on top of the server's policy branch with its files replaced by `files` (null removes one). */
function policyChange(c: Clone, files: Record<string, string | null>): string {
  const tip = c.fetchRef('refs/heads/apps/access-control')!;
  return c.commitTree(
    forge.policyFiles({
      'refs/policy.conf': `${A} fast-forward ^heads/apps/access-control$\nwriters fast-forward ^heads/main$\n`,
      'branches/policy.conf': `branch ^heads/apps/access-control$\n${A} modify ^groups/writers\\.conf$\nbranch ^heads/main$\nwriters create-file,modify ^.*$\n`,
      'groups/writers.conf': `${O}\n`,
      ...files,
    }),
    [tip],
    'policy change',
  );
}

describe('a policy change cannot authorize the push that brings it', () => {
  test('alice adds herself to writers and pushes main in the same push: main is judged by the old policy', () => {
    const before = forge.refs();
    const main1 = alice.commitTree({ README: 'v1\n' }, [main0], 'v1');
    const pol = policyChange(alice, { 'groups/writers.conf': `${O}\n${A}\n` });
    const r = alice.push(`${pol}:refs/heads/apps/access-control`, `${main1}:refs/heads/main`);
    expect(r.code).not.toBe(0);
    expect(r.remote).toEqual([
      `git-acl: push rejected for user ${A}; no ref was changed`,
      `git-acl: denied: no rule lets ${A} fast-forward heads/main; nearest: refs/policy.conf:2 "writers fast-forward ^heads/main$" (applies to group 'writers', which does not include ${A})`,
      `git-acl: denied: no rule lets ${A} modify README on heads/main; nearest: branches/policy.conf:4 "writers create-file,modify ^.*$" (applies to group 'writers', which does not include ${A})`,
    ]);
    expect(forge.refs()).toEqual(before);
  });

  test('the same change alone is accepted, and takes effect on the next push', () => {
    const pol = policyChange(alice, { 'groups/writers.conf': `${O}\n${A}\n` });
    expect(alice.push(`${pol}:refs/heads/apps/access-control`).remote).toEqual([]);
    const main1 = alice.commitTree({ README: 'v1\n' }, [main0], 'v1');
    const r = alice.push(`${main1}:refs/heads/main`);
    expect(r.remote).toEqual([]);
    expect(forge.ref('refs/heads/main')).toBe(main1);
  });
});

describe('the policy must stay usable', () => {
  test('a policy with lint errors is refused, showing each error', () => {
    const pol = policyChange(owner, { 'refs/broken.conf': `owner fast-foward ^heads/x$\nnobody-group create ^tags/.*$\n` });
    const r = owner.push(`${pol}:refs/heads/apps/access-control`);
    expect(r.code).not.toBe(0);
    expect(r.remote).toEqual([
      `git-acl: push rejected for user ${O}; no ref was changed`,
      'git-acl: the pushed policy has 2 errors; fix them and push again',
      "git-acl: refs/broken.conf:1:7: error: unknown operation 'fast-foward'; did you mean 'fast-forward'?",
      "git-acl: refs/broken.conf:2:1: error: undefined group 'nobody-group' (no file groups/nobody-group.conf)",
    ]);
  });

  test('a policy that would lock the owner out is refused', () => {
    const pol = policyChange(owner, { 'refs/owner.conf': null, 'branches/owner.conf': null });
    const r = owner.push(`${pol}:refs/heads/apps/access-control`);
    expect(r.code).not.toBe(0);
    expect(r.remote).toEqual([
      `git-acl: push rejected for user ${O}; no ref was changed`,
      'git-acl: the pushed policy would lock the owner out of refs/heads/apps/access-control: the owner could no longer fast-forward heads/apps/access-control, create-file refs/owner.conf, modify refs/owner.conf, delete-file refs/owner.conf',
    ]);
  });

  test('the policy branch cannot be deleted, not even by the owner', () => {
    const before = forge.refs();
    const r = owner.push(':refs/heads/apps/access-control');
    expect(r.code).not.toBe(0);
    expect(r.remote).toEqual([
      `git-acl: push rejected for user ${O}; no ref was changed`,
      'git-acl: the policy branch refs/heads/apps/access-control cannot be deleted',
    ]);
    expect(forge.refs()).toEqual(before);
  });

  test('key files the push adds or changes must be one public key named after its fingerprint', () => {
    const carol = genKey(forge.gpgHome, 'carol');
    const cases: Array<[Record<string, string>, string]> = [
      [
        { [`keys/${carol.fingerprint}.asc`]: exportSecret(forge.gpgHome, carol.fingerprint) },
        `keys/${carol.fingerprint}.asc: holds secret key material: publish only the public key (gpg --armor --export <fingerprint>)`,
      ],
      [
        { [`keys/${carol.fingerprint}.asc`]: 'not a key\n' },
        `keys/${carol.fingerprint}.asc: not an armored OpenPGP public key (not an armored OpenPGP block (expected "-----BEGIN PGP PUBLIC KEY BLOCK-----"))`,
      ],
      [
        { [`keys/${A}.asc`]: carol.publicArmored },
        `keys/${A}.asc: holds the key ${carol.fingerprint}, so it must be named ${carol.fingerprint}.asc`,
      ],
      [
        { [`keys/${carol.fingerprint}.asc`]: gpg(forge.gpgHome, ['--armor', '--export', carol.fingerprint, A]) },
        `keys/${carol.fingerprint}.asc: holds 2 public keys; a key file holds exactly one`,
      ],
    ];
    for (const [files, message] of cases) {
      const r = owner.push(`${policyChange(owner, files)}:refs/heads/apps/access-control`);
      expect(r.code).not.toBe(0);
      expect(r.remote).toEqual([`git-acl: push rejected for user ${O}; no ref was changed`, `git-acl: ${message}`]);
    }
    const ok = owner.push(
      `${policyChange(owner, { [`keys/${carol.fingerprint}.asc`]: carol.publicArmored })}:refs/heads/apps/access-control`,
    );
    expect(ok.remote).toEqual([]);
  });

  test('a symlinked policy file is refused, never read as empty (which would drop its deny rules)', () => {
    const tip = owner.fetchRef('refs/heads/apps/access-control')!;
    const files: Record<string, Entry> = {
      ...forge.policyFiles(),
      'refs/guard.conf': { mode: '120000', content: '../elsewhere/guard.conf' },
    };
    const r = owner.push(`${owner.commitTree(files, [tip], 'symlinked rules')}:refs/heads/apps/access-control`);
    expect(r.code).not.toBe(0);
    expect(r.remote).toEqual([
      `git-acl: push rejected for user ${O}; no ref was changed`,
      'git-acl: the pushed policy has 1 error; fix it and push again',
      "git-acl: refs/guard.conf:1:1: error: is a symlink, not a regular file: policy files are read only as regular files (a symlink's target is never followed)",
    ]);
  });

  test('a ref that differs from the policy branch only in case is refused, even for the owner', () => {
    const before = forge.refs();
    const r = owner.push(`${main0}:refs/heads/Apps/Access-Control`);
    expect(r.code).not.toBe(0);
    expect(r.remote).toEqual([
      `git-acl: push rejected for user ${O}; no ref was changed`,
      'git-acl: refs/heads/Apps/Access-Control and the existing refs/heads/apps/access-control would be one file on a case-insensitive or Unicode-normalising file system; such names are refused',
    ]);
    expect(forge.refs()).toEqual(before);
  });
});
