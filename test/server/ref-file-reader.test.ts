/**
 * refFileReader (src/server/objects.ts) against git: one reader answers several refs (admission's own refs, a
 * taker's `applied` check of a holder's refs), and `git pack-refs` (git gc, run by receive-pack after a push) may
 * move loose refs into packed-refs between two of its answers. Each answer must be the value git gives at that
 * moment, never a packed-refs read before the move.
 */
import { afterAll, expect, test } from 'vitest';
import { refFileReader } from '../../src/server/objects.js';
import { cleanupTempDirs, commit, git, initRepo, setRef } from '../support/git.js';

afterAll(() => cleanupTempDirs());

test('a ref packed by git pack-refs after the reader first read packed-refs is still found, at its value', () => {
  const gitDir = initRepo({ bare: true });
  const a = commit(gitDir, [], [], 'a');
  const b = commit(gitDir, [], [a], 'b');
  setRef(gitDir, 'refs/heads/packed', a);
  git(['pack-refs', '--all', '--prune'], { gitDir });
  setRef(gitDir, 'refs/heads/loose', b);
  const read = refFileReader(gitDir)!;
  expect(read('refs/heads/packed')).toBe(a); // not loose: packed-refs is read here
  expect(read('refs/heads/loose')).toBe(b);
  git(['pack-refs', '--all', '--prune'], { gitDir }); // refs/heads/loose now only in packed-refs
  expect(git(['rev-parse', 'refs/heads/loose'], { gitDir })).toBe(b);
  expect(read('refs/heads/loose')).toBe(b);
  expect(read('refs/heads/none')).toBeNull();
});

test('a ref deleted from packed-refs after the reader first read it is gone for the reader too', () => {
  const gitDir = initRepo({ bare: true });
  const a = commit(gitDir, [], [], 'a');
  setRef(gitDir, 'refs/heads/one', a);
  setRef(gitDir, 'refs/heads/two', a);
  git(['pack-refs', '--all', '--prune'], { gitDir });
  const read = refFileReader(gitDir)!;
  expect(read('refs/heads/one')).toBe(a);
  git(['update-ref', '-d', 'refs/heads/two'], { gitDir });
  expect(read('refs/heads/two')).toBeNull();
});
