/** refNameProblems: one command per ref file (the end-to-end cases are in test/e2e/attacks/duplicate-commands.test.ts). */
import { describe, expect, test } from 'vitest';
import { refNameProblems, refStateProblems } from '../../src/push/ref-names.js';
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
    // A file and a directory of the same folded name: git's own conflict on such a file system.
    expect(refNameProblems([up('refs/heads/Feature/b', N, Z)], refs('refs/heads/feature'))).toEqual([
      `refs/heads/Feature/b and the existing refs/heads/feature cannot both be refs: one name would be a directory of the other on a case-insensitive or Unicode-normalising file system, and git would refuse this command after the others landed; such names are refused`,
    ]);
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

describe('refNameProblems: commands git would fail after pre-receive', () => {
  const DF =
    'cannot both be refs: one name would be a directory of the other, and git would refuse this command after the others landed; such names are refused';

  test('a ref and a directory of refs, against stored refs, either way', () => {
    expect(refNameProblems([up('refs/heads/x/a', N, Z)], refs('refs/heads/x'))).toEqual([
      `refs/heads/x/a and the existing refs/heads/x ${DF}`,
    ]);
    expect(refNameProblems([up('refs/heads/x', N, Z)], refs('refs/heads/x/a/b'))).toEqual([
      `refs/heads/x and the existing refs/heads/x/a/b ${DF}`,
    ]);
  });

  test('within the push: reported once; a deletion of the other name in the same push does not help', () => {
    expect(refNameProblems([up('refs/heads/x', N, Z), up('refs/heads/x/a', N, Z)], refs())).toEqual([
      `refs/heads/x/a and refs/heads/x ${DF}`,
    ]);
    expect(refNameProblems([up('refs/heads/x', Z), up('refs/heads/x/a', N, Z)], refs('refs/heads/x'))).toEqual([
      `refs/heads/x/a and the existing refs/heads/x ${DF}`,
    ]);
  });

  test('deleting a ref is no conflict, nor are siblings and names that only share a prefix', () => {
    expect(refNameProblems([up('refs/heads/x/a', Z)], refs('refs/heads/x/a', 'refs/heads/x/b'))).toEqual([]);
    expect(refNameProblems([up('refs/heads/xy', N, Z), up('refs/heads/x/b', N, Z)], refs('refs/heads/x/a', 'refs/heads/x-'))).toEqual([]);
  });

  test("names git's receive-pack refuses", () => {
    for (const ref of [
      'refs/heads/a..b',
      'refs/heads/x.lock',
      'refs/heads/.hidden',
      'refs/x',
      'refs/heads/a/',
      'refs/heads/a//b',
      'refs/heads/a@{b',
      'HEAD',
      'refs/heads/a~1',
    ]) {
      expect(refNameProblems([up(ref, N, Z)], refs())).toEqual([
        `${ref} is not a ref name git accepts from a push (git check-ref-format; git would refuse this command after the others landed); such names are refused`,
      ]);
    }
  });
});

describe('refStateProblems', () => {
  const FIX = 'git would refuse this command after the others landed: fetch and push again';
  test("old values that are the refs' values now pass", () => {
    expect(
      refStateProblems([up('refs/heads/main'), up('refs/heads/new', N, Z), up('refs/tags/v1', Z)], refs('refs/heads/main', 'refs/tags/v1')),
    ).toEqual([]);
  });
  test('a creation of a stored ref, an update or deletion of a missing one, another old value', () => {
    const M = 'c'.repeat(40);
    expect(
      refStateProblems(
        [up('refs/heads/main', N, Z), up('refs/heads/gone'), up('refs/heads/gone2', Z), up('refs/heads/other', N, M)],
        refs('refs/heads/main', 'refs/heads/other'),
      ),
    ).toEqual([
      `refs/heads/main already exists (at aaaaaaaaaaaa), but this push would create it; ${FIX}`,
      `refs/heads/gone does not exist, but this push expects it at aaaaaaaaaaaa; ${FIX}`,
      `refs/heads/gone2 does not exist, but this push expects it at aaaaaaaaaaaa; ${FIX}`,
    ]);
    expect(refStateProblems([up('refs/heads/other', N, M)], refs('refs/heads/other'))).toEqual([
      `refs/heads/other is at aaaaaaaaaaaa, but this push expects it at cccccccccccc; ${FIX}`,
    ]);
  });
});
