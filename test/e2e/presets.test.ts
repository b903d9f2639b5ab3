/**
 * The per-user-branches, shared-directory and self-registration presets on a
 * real forge: signed pushes through the installed hook. Includes the two
 * net-diff cases of docs/security.md: laundering a change through one's own
 * branch is denied; a history that edits and reverts a protected file is fine.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Forge, type Clone, type ForgeUser, type PushResult } from '../support/forge.js';

const POLICY = 'refs/heads/apps/access-control';
let forge: Forge;
let alice: Clone, bob: Clone;
let A: string;

function register(c: Clone): void {
  c.ok(['fetch', '-q', 'origin']);
  c.ok(['checkout', '-q', '-B', 'register', 'origin/apps/access-control']);
  c.write(`keys/${c.user.id}.asc`, c.user.key.publicArmored);
  c.commit('register');
  const r = c.push(`HEAD:${POLICY}`);
  if (r.code !== 0) throw new Error(r.stderr);
}

function fresh(c: Clone, branch = 'main'): void {
  c.ok(['fetch', '-q', 'origin']);
  c.ok(['checkout', '-q', '-B', 'work', `origin/${branch}`]);
}

function expectDenied(r: PushResult, before: Record<string, string>, user: ForgeUser, ...what: RegExp[]): void {
  expect(r.code, r.stderr).not.toBe(0);
  const text = r.remote.join('\n');
  expect(text).toContain(`push rejected for user ${user.id}`);
  for (const w of what) expect(text).toMatch(w);
  expect(forge.refs()).toEqual(before);
}

describe('presets on a real forge', () => {
  beforeAll(() => {
    forge = Forge.create({ presets: ['per-user-branches', 'shared-directory', 'self-registration'], users: ['alice', 'bob'] });
    A = forge.user('alice').id;
    const owner = forge.clone(forge.owner);
    owner.write('README.md', 'readme\n').write('shared/WELCOME', 'drop files here\n');
    owner.commit('initial');
    expect(owner.push('HEAD:refs/heads/main').code).toBe(0);
    alice = forge.clone('alice');
    bob = forge.clone('bob');
    register(alice);
    register(bob);
  });
  afterAll(() => forge?.cleanup());

  test('shared-directory: create at the top, but never change someone else’s file', () => {
    fresh(alice);
    alice.write('shared/alice-notes.txt', 'notes\n');
    alice.commit('notes');
    expect(alice.push('HEAD:refs/heads/main').code).toBe(0);

    const before = forge.refs();
    fresh(bob);
    bob.write('shared/alice-notes.txt', 'bob was here\n');
    bob.commit('edit');
    expectDenied(bob.push('HEAD:refs/heads/main'), before, bob.user, /modify shared\/alice-notes\.txt on heads\/main/);

    fresh(bob);
    bob.remove('shared/WELCOME');
    bob.commit('delete');
    expectDenied(bob.push('HEAD:refs/heads/main'), before, bob.user, /delete-file shared\/WELCOME/);
  });

  test('shared-directory: own subdirectory fully; no squatting of another user’s', () => {
    fresh(alice);
    alice.write(`shared/${A}/a.txt`, '1\n');
    alice.commit('mine');
    expect(alice.push('HEAD:refs/heads/main').code).toBe(0);
    fresh(alice);
    alice.write(`shared/${A}/a.txt`, '2\n').write(`shared/${A}/sub/b.txt`, 'b\n');
    alice.commit('edit mine');
    expect(alice.push('HEAD:refs/heads/main').code).toBe(0);

    const before = forge.refs();
    fresh(bob);
    bob.write(`shared/${A}/a.txt`, 'bob\n');
    bob.commit('edit hers');
    expectDenied(bob.push('HEAD:refs/heads/main'), before, bob.user, new RegExp(`modify shared/${A}/a\\.txt`));

    // Bob tries to take the name of a user who has no directory yet (a file named like an ID).
    const carol = 'C'.repeat(40);
    fresh(bob);
    bob.write(`shared/${carol}`, 'mine now\n');
    bob.commit('squat');
    expectDenied(bob.push('HEAD:refs/heads/main'), before, bob.user, /forbids it \(deny rules always win\)/);
  });

  test('per-user-branches: own namespace free (force included), others’ closed', () => {
    fresh(alice);
    alice.write('topic.txt', '1\n');
    alice.commit('topic 1');
    expect(alice.push(`HEAD:refs/heads/${A}/topic`).code).toBe(0);
    alice.ok(['commit', '-q', '--amend', '-m', 'topic 1, amended']);
    expect(alice.push(`+HEAD:refs/heads/${A}/topic`).code).toBe(0);
    expect(alice.push(`HEAD:refs/tags/${A}/v1`).code).toBe(0);
    expect(alice.push(`:refs/tags/${A}/v1`).code).toBe(0);

    const before = forge.refs();
    expectDenied(bob.push(`HEAD:refs/heads/${A}/topic2`), before, bob.user, new RegExp(`create-branch heads/${A}/topic2`));
    expectDenied(bob.push(`:refs/heads/${A}/topic`), before, bob.user, new RegExp(`delete heads/${A}/topic`));
  });

  test('net diff: a change laundered through one’s own branch is judged when it reaches main', () => {
    fresh(alice);
    alice.write('README.md', 'alice rewrote the readme\n');
    const c = alice.commit('rewrite readme');
    expect(alice.push(`HEAD:refs/heads/${A}/launder`).code).toBe(0);
    const before = forge.refs();
    // main can be fast-forwarded by anyone (shared-directory), but not to this.
    expectDenied(alice.push(`${c}:refs/heads/main`), before, alice.user, /modify README\.md on heads\/main/);
  });

  test('net diff: a history that edits and reverts a protected file, and adds a shared file, is accepted', () => {
    fresh(alice);
    alice.write('README.md', 'temporarily different\n');
    alice.commit('edit readme');
    alice.write('README.md', forge.server(['show', 'refs/heads/main:README.md']).stdout);
    alice.write('shared/net-diff.txt', 'only this is new\n');
    const tip = alice.commit('revert readme, add a shared file');
    const r = alice.push('HEAD:refs/heads/main');
    expect(r.code, r.stderr).toBe(0);
    expect(forge.ref('refs/heads/main')).toBe(tip);
  });
});
