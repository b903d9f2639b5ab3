/**
 * Every ref operation of docs/reference.md#operations, allowed and denied, through real signed
 * pushes into a server with the installed hook.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Forge, type Clone } from '../support/forge.js';

let forge: Forge;
let alice: Clone;
let bob: Clone;
let A: string;
let B: string;
let c1: string;
let c2: string;
let other: string;

beforeAll(() => {
  forge = Forge.create({ users: ['alice', 'bob'] });
  A = forge.user('alice').id;
  B = forge.user('bob').id;
  forge.setPolicy({
    'groups/devs.conf': `# alice and bob\n${A}\n${B}\n`,
    'refs/team.conf': [
      `${A} create-branch,fast-forward,force,delete ^heads/alice/.*$`,
      `${A} create-tag,force,delete glob:tags/alice/**`,
      `devs fast-forward ^heads/shared$`,
      `deny ${A} delete ^heads/alice/keep$`,
      '',
    ].join('\n'),
    'branches/team.conf': `branch ^heads/(alice/.*|shared)$\ndevs create-directory,create-file,modify,delete ^.*$\n`,
  });
  alice = forge.clone('alice');
  bob = forge.clone('bob');
  const o = forge.clone('owner');
  // Commits are deterministic (fixed dates), so every clone makes the same ones.
  for (const c of [alice, bob, o]) {
    c1 = c.commitTree({ 'f.txt': 'one\n' }, [], 'c1');
    c2 = c.commitTree({ 'f.txt': 'two\n' }, [c1], 'c2');
    other = c.commitTree({ 'f.txt': 'other\n' }, [], 'other');
  }
  // The owner creates the shared branch (owner-only create) at c1.
  expect(o.push(`${c1}:refs/heads/shared`).code).toBe(0);
});
afterAll(() => forge?.cleanup());

const rejected = (user: string) => `git-acl: push rejected for user ${user}; no ref was changed`;

describe('create-branch', () => {
  test('is allowed where a rule grants it', () => {
    const r = alice.push(`${c1}:refs/heads/alice/topic`);
    expect(r.remote).toEqual([]);
    expect(r.code).toBe(0);
    expect(forge.ref('refs/heads/alice/topic')).toBe(c1);
  });
  test('is denied elsewhere, naming the op, the ref, the user and the nearest rule', () => {
    const r = bob.push(`${c1}:refs/heads/alice/bobs`);
    expect(r.code).not.toBe(0);
    expect(r.remote[0]).toBe(rejected(B));
    expect(r.remote[1]).toBe(
      `git-acl: denied: no rule lets ${B} create-branch heads/alice/bobs; nearest: refs/team.conf:1 "${A} create-branch,fast-forward,force,delete ^heads/alice/.*$" (applies to ${A} only)`,
    );
    expect(forge.ref('refs/heads/alice/bobs')).toBeNull();
  });
});

describe('fast-forward', () => {
  test('is allowed for a group member', () => {
    const r = bob.push(`${c2}:refs/heads/shared`);
    expect(r.remote).toEqual([]);
    expect(forge.ref('refs/heads/shared')).toBe(c2);
  });
  test('is denied on a branch without a rule', () => {
    const o = forge.clone('owner');
    o.commitTree({ 'f.txt': 'one\n' }, [], 'c1');
    expect(o.push(`${c1}:refs/heads/main`).code).toBe(0);
    const r = alice.push(`${c2}:refs/heads/main`);
    expect(r.code).not.toBe(0);
    expect(r.remote).toContain(
      `git-acl: denied: no rule lets ${A} fast-forward heads/main; nearest: refs/team.conf:1 "${A} create-branch,fast-forward,force,delete ^heads/alice/.*$" (pattern does not match heads/main)`,
    );
    expect(forge.ref('refs/heads/main')).toBe(c1);
  });
});

describe('force', () => {
  test('is allowed where granted (a rewind)', () => {
    expect(alice.push(`${c2}:refs/heads/alice/f`).code).toBe(0);
    const r = alice.push(`+${c1}:refs/heads/alice/f`);
    expect(r.remote).toEqual([]);
    expect(forge.ref('refs/heads/alice/f')).toBe(c1);
  });
  test('is what an unrelated history is, and is denied where only fast-forward is granted', () => {
    const r = bob.push(`+${other}:refs/heads/shared`);
    expect(r.code).not.toBe(0);
    expect(r.remote).toContain(
      `git-acl: denied: no rule lets ${B} force heads/shared; nearest: refs/team.conf:3 "devs fast-forward ^heads/shared$" (allows fast-forward, not force)`,
    );
    expect(forge.ref('refs/heads/shared')).toBe(c2);
  });
});

describe('delete', () => {
  test('is allowed where granted', () => {
    expect(alice.push(`${c1}:refs/heads/alice/gone`).code).toBe(0);
    const r = alice.push(':refs/heads/alice/gone');
    expect(r.remote).toEqual([]);
    expect(forge.ref('refs/heads/alice/gone')).toBeNull();
  });
  test('is denied by a deny rule, which wins over the allow rule', () => {
    expect(alice.push(`${c1}:refs/heads/alice/keep`).code).toBe(0);
    const r = alice.push(':refs/heads/alice/keep');
    expect(r.code).not.toBe(0);
    expect(r.remote).toEqual([
      rejected(A),
      `git-acl: denied: ${A} may not delete heads/alice/keep: refs/team.conf:4 "deny ${A} delete ^heads/alice/keep$" forbids it (deny rules always win)`,
    ]);
    expect(forge.ref('refs/heads/alice/keep')).toBe(c1);
  });
});

describe('create-tag and moving tags', () => {
  test('creates a tag in the granted namespace (lightweight and annotated)', () => {
    expect(alice.push(`${c1}:refs/tags/alice/v1`).remote).toEqual([]);
    alice.ok(['fetch', '-q', 'origin', 'refs/heads/alice/topic']);
    alice.ok(['tag', '-a', '-m', 'annotated', 'alice/v2', c1]);
    expect(alice.push('refs/tags/alice/v2').remote).toEqual([]);
    expect(forge.ref('refs/tags/alice/v1')).toBe(c1);
  });
  test('denies a tag outside it', () => {
    const r = alice.push(`${c1}:refs/tags/v1.0`);
    expect(r.code).not.toBe(0);
    expect(r.remote[1]).toMatch(new RegExp(`^git-acl: denied: no rule lets ${A} create-tag tags/v1\\.0; nearest: refs/team\\.conf:2 `));
  });
  test('treats any move of a tag as force, even a fast-forward', () => {
    expect(bob.push(`${c1}:refs/tags/shared-tag`).code).not.toBe(0); // bob cannot create tags at all
    const r = alice.push(`+${c2}:refs/tags/alice/v1`);
    expect(r.remote).toEqual([]); // granted: force on tags/alice/**
    expect(forge.ref('refs/tags/alice/v1')).toBe(c2);
  });
});

describe('a push is all or nothing', () => {
  test('one allowed and one denied ref change nothing', () => {
    const before = forge.refs();
    const r = alice.push(`${c2}:refs/heads/alice/new-one`, `${c2}:refs/heads/main`);
    expect(r.code).not.toBe(0);
    expect(r.remote).toEqual([
      rejected(A),
      `git-acl: denied: no rule lets ${A} fast-forward heads/main; nearest: refs/team.conf:1 "${A} create-branch,fast-forward,force,delete ^heads/alice/.*$" (pattern does not match heads/main)`,
      `git-acl: denied: no rule lets ${A} modify f.txt on heads/main; nearest: branches/team.conf:2 "devs create-directory,create-file,modify,delete ^.*$" (only on branches matching ^heads/(alice/.*|shared)$)`,
    ]);
    expect(forge.refs()).toEqual(before);
  });
});
