/** foldName: one key for every pair of names a case-insensitive or normalising file system stores as one. */
import { describe, expect, test } from 'vitest';
import { foldName } from '../../src/git/fold.js';

describe('foldName', () => {
  test.each([
    ['refs/heads/app\u017f/access-control', 'refs/heads/apps/access-control', 'U+017F folds to s'],
    ['caf\u00e9', 'cafe\u0301', 'NFC and NFD'],
    ['Topic', 'topic', 'ASCII case'],
    ['stra\u00dfe', 'STRASSE', 'full folding of ß'],
    ['acce\u1e9e', 'access', 'full folding of capital sharp s (U+1E9E upper-cases to itself, lower-cases to ß)'],
    ['\u1e9e', '\u00df', 'capital and small sharp s'],
    ['con\u00adtrol', 'control', 'soft hyphen is default-ignorable'],
    ['pass\u200bwords', 'passwords', 'zero width space is default-ignorable'],
    ['x\ufe0f', 'x', 'variation selector is default-ignorable'],
    ['\u212a', 'k', 'Kelvin sign'],
    ['\u0131', 'I', 'dotless i upper-cases to I (NTFS)'],
    ['\u0130', 'i\u0307', 'dotted capital I'],
    ['\ufb01le', 'FILE', 'ligature'],
    ['\u03c2', '\u03a3', 'final sigma'],
    ['.git\u200c', '.GIT', 'HFS+ ignores U+200C'],
    ['no\ufefftes', 'notes', 'HFS+ ignores U+FEFF'],
    ['notes.txt.', 'notes.txt', 'NTFS drops a trailing dot'],
    ['dir. /notes.txt ', 'DIR/notes.txt', 'NTFS drops trailing dots and spaces of every component'],
  ])('%j and %j are one name (%s)', (a, b) => {
    expect(foldName(a)).toBe(foldName(b));
  });

  test.each([
    ['notes.txt', 'notes-txt'],
    ['a.b', 'ab'],
    ['caf\u00e9', 'cafe'],
    ['.notes', 'notes'],
    ['a/b', 'a\\b'],
  ])('%j and %j stay apart', (a, b) => {
    expect(foldName(a)).not.toBe(foldName(b));
  });

  test('the ASCII shortcut gives what the full folding gives', () => {
    for (const name of ['Refs/Heads/Main', 'a b/c.d', 'x.y/z', 'README.md', '~!@#$%^&*()_+{}|:"<>?`-=[];\',./']) {
      const full = name
        .normalize('NFD')
        .toLowerCase()
        .toUpperCase()
        .toLowerCase()
        .normalize('NFD')
        .replace(/[. ]+(?=\/|$)/g, '');
      expect(foldName(name), name).toBe(full);
    }
  });
});
