/**
 * `git acl verify` diffs every logged push through one `git diff-tree --stdin`
 * (src/git/diff-batch.ts): it must give exactly what the hook's store gives,
 * for any path git can store, and fail per request, not for the whole run.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { openCliStore } from '../../src/git/cli-store.js';
import { EMPTY_TREE_OID } from '../../src/git/objects.js';
import { withBatchDiff } from '../../src/git/diff-batch.js';
import { cleanupTempDirs, exe, file, gitlink, initRepo, symlink, writeTree } from '../support/git.js';

let repo: string;
let trees: string[];
afterAll(() => cleanupTempDirs());

beforeAll(() => {
  repo = initRepo();
  trees = [
    writeTree(repo, [file('a', 'A'), file('d/e/f'), symlink('l', 'a'), gitlink('s', '1'.repeat(40)), exe('x')]),
    writeTree(repo, [file('a', 'B'), file('d/e/f'), file('d/g'), file(Buffer.from([0x62, 0xff]), 'not utf-8')]),
    // Paths that look like the protocol: a newline, the marker's text, a leading colon.
    writeTree(repo, [file('new\nline'), file('git-acl-end-2\n'), file(':colon'), file('d', 'a file where a directory was')]),
  ];
});

test('gives the same changes as CliStore for every pair, in any order, concurrently', async () => {
  const plain = openCliStore(repo);
  const batch = withBatchDiff(openCliStore(repo), repo);
  try {
    const pairs: Array<[string | null, string]> = [];
    for (const a of [null, ...trees]) for (const b of trees) pairs.push([a, b]);
    const expected = await Promise.all(pairs.map(([a, b]) => plain.diffTrees(a, b)));
    const got = await Promise.all(pairs.map(([a, b]) => batch.diffTrees(a, b)));
    expect(got).toEqual(expected);
    expect(got.some((c) => c.some((x) => x.path === 'new\nline'))).toBe(true);
    expect(await batch.diffTrees(trees[0]!, trees[0]!)).toEqual([]);
    expect(await batch.diffTrees(EMPTY_TREE_OID, trees[1]!)).toEqual(await plain.diffTrees(null, trees[1]!));
  } finally {
    await plain.close();
    await batch.close();
  }
});

test('a missing tree fails that request only', async () => {
  const batch = withBatchDiff(openCliStore(repo), repo);
  try {
    const missing = 'deadbeef'.repeat(5);
    await expect(batch.diffTrees(trees[0]!, missing)).rejects.toThrow(`cannot diff trees ${trees[0]}..${missing}`);
    expect((await batch.diffTrees(null, trees[0]!)).length).toBeGreaterThan(0);
  } finally {
    await batch.close();
  }
});
