/**
 * Issue 7, class 5c: a small push that describes an enormous tree. A chain of
 * 2,500 nested directories with 255-byte names is a 118 KB pack; its full
 * paths add up to 800 MB, and `git diff-tree` alone holds 2.3 GB for it
 * before printing anything. A few trees that name one subtree a thousand
 * times each describe a billion paths. The hook walks trees itself and
 * refuses at its documented bounds (docs/security.md, "Limits"); how fast and
 * in how much memory is for bench/push.mjs to show, not for a test.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Forge, type Clone } from '../../support/forge.js';
import { attempt, looseObject as writeLoose, looseTree as tree, refChanges, withoutGitChecks } from './support.js';

describe('pushes past the bounds', () => {
  let forge: Forge;
  let alice: Clone;
  let A: string;

  beforeAll(() => {
    forge = Forge.create({ presets: ['per-user-branches'], users: ['alice'] });
    withoutGitChecks(forge);
    forge.setPolicy(Forge.presetFiles('per-user-branches'));
    A = forge.user('alice').id;
    alice = forge.clone('alice');
  });
  afterAll(() => forge?.cleanup());

  test('a chain of 2,500 nested 255-byte directory names is refused at the path-length bound, on every branch it is pushed to', async () => {
    const name = 'a'.repeat(255);
    let id = writeLoose(alice, 'blob', Buffer.from('deep\n'));
    let mode = '100644';
    for (let i = 0; i < 2500; i++) {
      id = tree(alice, [[name, mode, id]]);
      mode = '40000';
    }
    const commit = alice.ok(['commit-tree', id.toString('hex'), '-m', 'deep']);
    const refs = Array.from({ length: 6 }, (_, i) => `${commit}:refs/heads/${A}/deep-${i}`);
    const a = await attempt(forge, () => alice.push(...refs));
    expect(refChanges(a)).toEqual([]);
    expect(a.remote).toEqual([
      `git-acl: push rejected: the push holds a path longer than 4,096 bytes ("${name.slice(0, 60)}..."; git-acl's limit, see docs/security.md#limits) (user ${A})`,
    ]);
  });

  test('three trees that name one subtree a thousand times each are refused at the bound on changed paths', async () => {
    const blob = writeLoose(alice, 'blob', Buffer.from('x\n'));
    const names = Array.from({ length: 1000 }, (_, i) => `n${String(i).padStart(3, '0')}`);
    const l1 = tree(
      alice,
      names.map((n) => [n, '100644', blob]),
    );
    const l2 = tree(
      alice,
      names.map((n) => [n, '40000', l1]),
    );
    const l3 = tree(
      alice,
      names.map((n) => [n, '40000', l2]),
    );
    const commit = alice.ok(['commit-tree', l3.toString('hex'), '-m', 'a billion paths']);
    const a = await attempt(forge, () => alice.push(`${commit}:refs/heads/${A}/fan`));
    expect(refChanges(a)).toEqual([]);
    expect(a.remote).toEqual([
      `git-acl: push rejected: the push changes more than 1,000,000 paths (git-acl's limit, see docs/security.md#limits) (user ${A})`,
    ]);
  });
  test('a tree of more than 16 MiB (one directory of 70,000 entries) is refused before it is read', async () => {
    const blob = writeLoose(alice, 'blob', Buffer.from('x\n'));
    const entries = Array.from({ length: 70_000 }, (_, i): [string, string, Buffer] => [
      `${String(i).padStart(6, '0')}${'n'.repeat(230)}`,
      '100644',
      blob,
    ]);
    const big = tree(alice, entries);
    const commit = alice.ok(['commit-tree', big.toString('hex'), '-m', 'wide']);
    const size = Number(alice.ok(['cat-file', '-s', big.toString('hex')]));
    expect(size).toBeGreaterThan(16 * 1024 * 1024);
    const a = await attempt(forge, () => alice.push(`${commit}:refs/heads/${A}/wide`));
    expect(refChanges(a)).toEqual([]);
    const mib = (size / 1048576).toLocaleString('en-US', { maximumFractionDigits: 1 });
    expect(a.remote).toEqual([
      `git-acl: push rejected: the push holds a tree of ${mib} MiB (${big.toString('hex')}), more than 16 MiB (git-acl's limit, see docs/security.md#limits) (user ${A})`,
    ]);
  });
});
