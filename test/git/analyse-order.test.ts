/**
 * analyseUpdate reads the new and the old value (and then the ancestry and both trees) at once, and claims to
 * refuse with the first error a one-by-one reading meets. The reads share one `git cat-file`: an old value whose
 * reading kills that process (a loose object git can read the header of but not the body: cat-file prints the
 * header, then dies) must not make the NEW value's reading fail and be reported first.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { deflateSync, inflateSync } from 'node:zlib';
import { afterAll, expect, test } from 'vitest';
import { analyseUpdates } from '../../src/git/operations.js';
import { openCliStore } from '../../src/git/cli-store.js';
import { annotatedTag, cleanupTempDirs, commit, file, git, initRepo } from '../support/git.js';
import { withoutGitVars } from '../support/env.js';

afterAll(() => cleanupTempDirs());

/** Rewrites loose object `oid` so that git reads its header and fails on its body (stored deflate, cut short). */
function corruptBody(repo: string, oid: string): void {
  const f = path.join(repo, 'objects', oid.slice(0, 2), oid.slice(2));
  const z = deflateSync(inflateSync(fs.readFileSync(f)), { level: 0 });
  fs.chmodSync(f, 0o644);
  fs.writeFileSync(f, z.subarray(0, z.length - 30));
}

async function firstError(repo: string, oldOid: string, newOid: string): Promise<string> {
  const store = openCliStore(repo, { env: withoutGitVars() });
  try {
    await analyseUpdates(store, [{ oldOid, newOid, ref: 'refs/heads/x' }]);
    return 'accepted';
  } catch (e) {
    return (e as Error).message;
  } finally {
    await store.close();
  }
}

test('an old value that kills cat-file: the refusal names the old value, as a one-by-one reading does', async () => {
  const repo = initRepo();
  const c = commit(repo, [file('a.txt', 'a\n')]);
  const newTag = annotatedTag(repo, 'new', c); // peeling it takes three round trips
  const oldTag = annotatedTag(repo, 'old', c);
  corruptBody(repo, oldTag);
  const message = await firstError(repo, oldTag, newTag);
  expect(message).toMatch(new RegExp(`^cannot read old value ${oldTag} of refs/heads/x: `));
  // Its own reading would have succeeded: it is the old value that cannot be read.
  expect(await firstError(repo, c, newTag)).toBe('accepted');
});

test('a new value that cannot be read either: its own reason is given, not the dead cat-file', async () => {
  const repo = initRepo();
  const c = commit(repo, [file('a.txt', 'a\n')]);
  const oldTag = annotatedTag(repo, 'old', c);
  corruptBody(repo, oldTag);
  // A tag of a commit that is nowhere: a one-by-one reading stops at the new value, with "not found".
  const absent = 'd'.repeat(40);
  const body = `object ${absent}\ntype commit\ntag gone\ntagger T <t@example.com> 1700000000 +0000\n\ngone\n`;
  const newTag = git(['hash-object', '-t', 'tag', '-w', '--stdin'], { gitDir: repo, input: body });
  expect(await firstError(repo, oldTag, newTag)).toBe(`cannot read new value ${newTag} of refs/heads/x: object ${absent} not found`);
});
