/** refNameProblems: one command per ref file (the end-to-end cases are in test/e2e/attacks/duplicate-commands.test.ts). */
import { describe, expect, test } from 'vitest';
import { refNameProblems } from '../../src/push/ref-names.js';
import type { RefInfo } from '../../src/git/store.js';
import { ZERO_OID } from '../support/env.js';

const O = 'a'.repeat(40);
const N = 'b'.repeat(40);
const Z = ZERO_OID;
const refs = (...names: string[]): Map<string, RefInfo> => new Map(names.map((n) => [n, { oid: O }]));
const up = (ref: string, newOid = N, oldOid = O) => ({ oldOid, newOid, ref });
const SUFFIX = 'on a case-insensitive or Unicode-normalising file system; such names are refused';

describe('refNameProblems', () => {
  test('an ordinary push has none; updating or deleting an existing ref is not a collision with itself', () => {
    expect(
      refNameProblems([up('refs/heads/main'), up('refs/heads/new', N, Z), up('refs/tags/v1', Z)], refs('refs/heads/main', 'refs/tags/v1')),
    ).toEqual([]);
  });

  test('a ref named twice or three times', () => {
    expect(refNameProblems([up('refs/heads/x'), up('refs/heads/x', Z)], refs())).toEqual([
      'refs/heads/x is named twice in this push; a push may update each ref only once',
    ]);
    expect(refNameProblems([up('refs/heads/x'), up('refs/heads/x'), up('refs/heads/x')], refs())).toEqual([
      'refs/heads/x is named 3 times in this push; a push may update each ref only once',
    ]);
  });

  test('two pushed names, one file: reported once', () => {
    expect(refNameProblems([up('refs/heads/Topic', N, Z), up('refs/heads/topic', N, Z)], refs())).toEqual([
      `refs/heads/Topic and refs/heads/topic would be one file ${SUFFIX}`,
    ]);
  });

  test('a pushed name and a stored one, also for a delete', () => {
    expect(refNameProblems([up('refs/heads/MAIN', Z)], refs('refs/heads/main'))).toEqual([
      `refs/heads/MAIN and the existing refs/heads/main would be one file ${SUFFIX}`,
    ]);
  });

  test('directories: a pushed name written into a stored directory of another spelling', () => {
    expect(refNameProblems([up('refs/heads/Feature/b', N, Z)], refs('refs/heads/feature/a'))).toEqual([
      `refs/heads/Feature/b: its directory refs/heads/Feature/ and the existing refs/heads/feature/ would be one directory ${SUFFIX}`,
    ]);
    // A file and a directory of the same folded name are git's own conflict (it refuses the lock), not a collision.
    expect(refNameProblems([up('refs/heads/Feature/b', N, Z)], refs('refs/heads/feature'))).toEqual([]);
  });

  test('a symbolic ref', () => {
    const existing = new Map<string, RefInfo>([
      ['refs/heads/alias', { oid: O, symref: 'refs/heads/main' }],
      ['refs/heads/main', { oid: O }],
    ]);
    expect(refNameProblems([up('refs/heads/alias')], existing)).toEqual([
      'refs/heads/alias is a symbolic ref to refs/heads/main; git would update refs/heads/main: push to it by its own name',
    ]);
  });

  test("stored collisions that the push does not touch are not the push's problem", () => {
    expect(refNameProblems([up('refs/heads/other')], refs('refs/heads/a', 'refs/heads/A', 'refs/heads/other'))).toEqual([]);
  });
});
