/**
 * Every tree operation of docs/reference.md#operations, allowed and denied, through real signed
 * pushes: directories, files, symlinks, submodules, modifications (content,
 * executable bit, link target, gitlink move), deletes inside deleted
 * directories, and changes of kind.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { Forge, type Clone, type Entry, type PushResult } from '../support/forge.js';

let forge: Forge;
let alice: Clone;
let owner: Clone;
let A: string;
let base: string;

const SUB1 = '1'.repeat(40);
const SUB2 = '2'.repeat(40);
const area = (d: string): Record<string, Entry> => ({
  [`${d}/file.txt`]: 'file\n',
  [`${d}/exec.sh`]: 'echo\n',
  [`${d}/link`]: { mode: '120000', content: 'file.txt' },
  [`${d}/sub`]: { mode: '160000', oid: SUB1 },
  [`${d}/dir/inner/deep.txt`]: 'deep\n',
  [`${d}/dir/top.txt`]: 'top\n',
});
const BASE: Record<string, Entry> = { ...area('ok'), ...area('no'), 'sticky/first.txt': 'first\n' };

/** The tree of BASE with `changes` applied (null deletes a path, and a trailing `/` deletes a directory). */
function variant(changes: Record<string, Entry | null>): Record<string, Entry> {
  const out: Record<string, Entry> = { ...BASE };
  for (const [p, e] of Object.entries(changes)) {
    if (p.endsWith('/')) for (const k of Object.keys(out)) if (k.startsWith(p)) delete out[k];
    if (e === null) delete out[p];
    else if (!p.endsWith('/')) out[p] = e;
  }
  return out;
}

function pushVariant(c: Clone, changes: Record<string, Entry | null>, branch = 'work'): PushResult {
  const commit = c.commitTree(variant(changes), [base], 'change');
  return c.push(`${commit}:refs/heads/${branch}`);
}

/** `op path` of every denied tree operation the hook reported, in its order. */
function deniedOps(r: PushResult): string[] {
  return r.remote.flatMap((l) => {
    const m = /^git-acl: denied: no rule lets [0-9A-F]{40} (\S+) (.+?) on heads\/\S+; /.exec(l);
    return m ? [`${m[1]} ${m[2]}`] : [];
  });
}

beforeAll(() => {
  forge = Forge.create({ users: ['alice'] });
  A = forge.user('alice').id;
  forge.setPolicy({
    'refs/work.conf': `${A} fast-forward ^heads/(work|other)$\n`,
    'branches/work.conf': [
      'branch ^heads/work$',
      `${A} create-directory,create-file,create-symlink,create-submodule,modify,delete ^ok(/.*)?$`,
      `${A} create-file ^sticky/[^/]+$`,
      '',
    ].join('\n'),
  });
  alice = forge.clone('alice');
  owner = forge.clone('owner');
  base = owner.commitTree(BASE, [], 'base');
  expect(alice.commitTree(BASE, [], 'base')).toBe(base);
  expect(owner.push(`${base}:refs/heads/other`).code).toBe(0);
});
beforeEach(() => {
  // Every test starts from the base commit on heads/work.
  const r = owner.push(`+${base}:refs/heads/work`);
  expect(r.code, r.stderr).toBe(0);
});
afterAll(() => forge?.cleanup());

describe('creating', () => {
  const creations = (d: string): Record<string, Entry> => ({
    [`${d}/new/nested/f.txt`]: 'new\n',
    [`${d}/l2`]: { mode: '120000', content: '../elsewhere' },
    [`${d}/s2`]: { mode: '160000', oid: SUB2 },
    [`${d}/x.sh`]: { mode: '100755', content: '#!/bin/sh\n' },
  });
  test('directories (parents included), files, executables, symlinks and submodules are allowed where granted', () => {
    const r = pushVariant(alice, creations('ok'));
    expect(r.remote).toEqual([]);
    expect(r.code).toBe(0);
  });
  test('are each denied, one line per operation, where not granted', () => {
    const r = pushVariant(alice, creations('no'));
    expect(r.code).not.toBe(0);
    expect(r.remote[0]).toBe(`git-acl: push rejected for user ${A}; no ref was changed`);
    expect(deniedOps(r)).toEqual([
      'create-symlink no/l2',
      'create-directory no/new',
      'create-directory no/new/nested',
      'create-file no/new/nested/f.txt',
      'create-submodule no/s2',
      'create-file no/x.sh',
    ]);
    expect(r.remote).toContain(
      `git-acl: denied: no rule lets ${A} create-symlink no/l2 on heads/work; nearest: branches/owner.conf:4 "owner create-directory,create-file,create-symlink,create-submodule,modify,delete ^.*$" (applies to the owner only)`,
    );
  });
});

describe('modifying', () => {
  const mods = (d: string): Record<string, Entry> => ({
    [`${d}/file.txt`]: 'changed\n',
    [`${d}/exec.sh`]: { mode: '100755', content: 'echo\n' },
    [`${d}/link`]: { mode: '120000', content: 'dir/top.txt' },
    [`${d}/sub`]: { mode: '160000', oid: SUB2 },
  });
  test('content, executable bit, link target and gitlink moves are allowed where granted', () => {
    expect(pushVariant(alice, mods('ok')).remote).toEqual([]);
  });
  test('are each a denied modify where not granted', () => {
    const r = pushVariant(alice, mods('no'));
    expect(deniedOps(r)).toEqual(['modify no/exec.sh', 'modify no/file.txt', 'modify no/link', 'modify no/sub']);
  });
  test('a sticky directory lets alice create a file but not modify one', () => {
    expect(pushVariant(alice, { 'sticky/mine.txt': 'mine\n' }).remote).toEqual([]);
    owner.push(`+${base}:refs/heads/work`);
    const r = pushVariant(alice, { 'sticky/first.txt': 'overwritten\n' });
    expect(r.remote).toEqual([
      `git-acl: push rejected for user ${A}; no ref was changed`,
      `git-acl: denied: no rule lets ${A} modify sticky/first.txt on heads/work; nearest: branches/work.conf:3 "${A} create-file ^sticky/[^/]+$" (allows create-file, not modify)`,
    ]);
  });
});

describe('deleting', () => {
  const dels = (d: string): Record<string, Entry | null> => ({
    [`${d}/file.txt`]: null,
    [`${d}/link`]: null,
    [`${d}/sub`]: null,
    [`${d}/dir/`]: null,
  });
  test('the `delete` alias covers files, symlinks, submodules and whole directories', () => {
    expect(pushVariant(alice, dels('ok')).remote).toEqual([]);
  });
  test('every entry inside a deleted directory is an operation of its own', () => {
    const r = pushVariant(alice, dels('no'));
    expect(deniedOps(r)).toEqual([
      'delete-directory no/dir',
      'delete-directory no/dir/inner',
      'delete-file no/dir/inner/deep.txt',
      'delete-file no/dir/top.txt',
      'delete-file no/file.txt',
      'delete-symlink no/link',
      'delete-submodule no/sub',
    ]);
  });
});

describe('changing kind', () => {
  test('file to symlink is a delete-file and a create-symlink', () => {
    const r = pushVariant(alice, { 'no/file.txt': { mode: '120000', content: 'exec.sh' } });
    expect(deniedOps(r)).toEqual(['delete-file no/file.txt', 'create-symlink no/file.txt']);
  });
  test('file to directory and directory to file delete and create everything involved', () => {
    const r = pushVariant(alice, { 'no/file.txt': null, 'no/file.txt/inside': 'x\n', 'no/dir/': null, 'no/dir': 'now a file\n' });
    expect(deniedOps(r)).toEqual([
      'delete-directory no/dir',
      'create-file no/dir',
      'delete-directory no/dir/inner',
      'delete-file no/dir/inner/deep.txt',
      'delete-file no/dir/top.txt',
      'delete-file no/file.txt',
      'create-directory no/file.txt',
      'create-file no/file.txt/inside',
    ]);
  });
  test('is allowed where both halves are granted', () => {
    expect(pushVariant(alice, { 'ok/file.txt': { mode: '120000', content: 'exec.sh' }, 'ok/dir/': null, 'ok/dir': 'f\n' }).remote).toEqual(
      [],
    );
  });
});

describe('branch scopes', () => {
  test('rules under `branch ^heads/work$` do not apply to another branch', () => {
    const r = pushVariant(alice, { 'ok/file.txt': 'changed\n' }, 'other');
    expect(r.remote).toEqual([
      `git-acl: push rejected for user ${A}; no ref was changed`,
      `git-acl: denied: no rule lets ${A} modify ok/file.txt on heads/other; nearest: branches/work.conf:2 "${A} create-directory,create-file,create-symlink,create-submodule,modify,delete ^ok(/.*)?$" (only on branches matching ^heads/work$)`,
    ]);
  });
});

describe('names with control characters', () => {
  test('are not granted by a wildcard, only by a rule that spells them exactly', () => {
    const r = pushVariant(alice, { 'ok/bell\x07name': 'ding\n' });
    expect(r.code).not.toBe(0);
    expect(r.remote).toEqual([
      `git-acl: push rejected for user ${A}; no ref was changed`,
      `git-acl: denied: no rule lets ${A} create-file "ok/bell\\u0007name" on heads/work: the name holds a control character or invalid UTF-8, which only a rule whose pattern is exactly this name allows; nearest: branches/work.conf:2 "${A} create-directory,create-file,create-symlink,create-submodule,modify,delete ^ok(/.*)?$" (has wildcards, which never allow names with control characters or invalid UTF-8)`,
    ]);
  });
});
