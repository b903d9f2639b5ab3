/**
 * Red-team pass on abf214a (the push log's objects written in place in the push's own quarantine): the variables
 * that name a quarantine are only names. The hook run by hand with GIT_QUARANTINE_PATH = GIT_OBJECT_DIRECTORY a
 * symbolic link named like git's quarantine (`tmp_objdir-incoming-*`) to the repository's own objects had the log
 * entry's objects opened at their final names there. A write cut short (here: a file size limit of 0, as a full
 * disk or a kill between open and write would) then left an empty object file in the repository, which git takes
 * for the object: `git fsck --strict` reports it empty and corrupt, and every later write of that object skips it.
 * Through a temporary file and a link, a write cut short leaves only a temporary file git ignores.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { cleanupTempDirs, ensureBuilt, REPO_ROOT, tempDir, withoutGitVars, ZERO_OID } from '../../support/env.js';
import { ownQuarantine } from '../../../src/server/objects.js';

beforeAll(() => ensureBuilt());
afterAll(() => cleanupTempDirs());

function bareRepo(): string {
  const repo = path.join(tempDir('quarantine-link-'), 'r.git');
  spawnSync('git', ['init', '-q', '--bare', repo], { env: withoutGitVars() });
  return repo;
}

/** Object files (`xx/<38 hex>`) and anything else in the objects' fan-out directories. */
function fanOut(objects: string): string[] {
  return fs
    .readdirSync(objects)
    .filter((d) => /^[0-9a-f]{2}$/.test(d))
    .flatMap((d) => fs.readdirSync(path.join(objects, d)).map((f) => `${d}/${f}`));
}

test('a link named like a quarantine to the repository objects: a log write cut short leaves no broken object', () => {
  const repo = bareRepo();
  const link = path.join(path.dirname(repo), 'tmp_objdir-incoming-Ab12Cd');
  fs.symlinkSync(path.join(repo, 'objects'), link);
  const script = path.join(path.dirname(repo), 'write-entry.mjs');
  const writer = path.join(REPO_ROOT, 'dist/server/log-writer.js');
  fs.writeFileSync(
    script,
    `import { writePushEntryObjects } from ${JSON.stringify(writer)};
const q = ${JSON.stringify(link)};
const a = 'a'.repeat(40);
await writePushEntryObjects({
  store: {}, gitDir: ${JSON.stringify(repo)}, env: { GIT_QUARANTINE_PATH: q, GIT_OBJECT_DIRECTORY: q },
  previous: a, certificate: a, updates: Buffer.from(a + ' ${ZERO_OID} refs/heads/x\\n'),
  policy: a, owner: 'A'.repeat(40), pusher: 'B'.repeat(40), nonce: 'n', time: 1e12, judgedAt: 1e12,
});
`,
  );
  // No file may grow past 0 bytes: the first object's write fails once its file is open.
  const r = spawnSync('sh', ['-c', 'ulimit -f 0; exec "$0" "$1"', process.execPath, script], {
    env: withoutGitVars(),
    encoding: 'utf8',
  });
  expect(r.status).not.toBe(0); // cut short, as meant
  expect(fanOut(path.join(repo, 'objects')).length).toBeGreaterThan(0); // it did get as far as a file
  const fsck = spawnSync('git', ['fsck', '--strict', '--no-dangling'], { env: { ...withoutGitVars(), GIT_DIR: repo }, encoding: 'utf8' });
  expect(fsck.stderr.split('\n').filter((l) => l.startsWith('error'))).toEqual([]);
  expect(fanOut(path.join(repo, 'objects')).filter((f) => /^[0-9a-f]{2}\/[0-9a-f]{38}$/.test(f))).toEqual([]);
});

test('ownQuarantine: only a directory of the repository objects named as git names it, never a link or elsewhere', () => {
  const repo = bareRepo();
  const objects = path.join(repo, 'objects');
  const real = path.join(objects, 'tmp_objdir-incoming-Real01');
  fs.mkdirSync(real);
  const env = (q: string) => ({ GIT_QUARANTINE_PATH: q, GIT_OBJECT_DIRECTORY: q });
  expect(ownQuarantine(repo, env(real))).toBe(real);
  expect(ownQuarantine(repo, env(`${real}/`))).toBe(`${real}/`);
  // A link to the objects themselves, inside the objects or beside the repository.
  const inside = path.join(objects, 'tmp_objdir-incoming-Link01');
  fs.symlinkSync(objects, inside);
  expect(ownQuarantine(repo, env(inside))).toBeUndefined();
  const beside = path.join(path.dirname(repo), 'tmp_objdir-incoming-Link02');
  fs.symlinkSync(objects, beside);
  expect(ownQuarantine(repo, env(beside))).toBeUndefined();
  // A link to a real quarantine: the name is not where git made it.
  const toReal = path.join(path.dirname(repo), 'tmp_objdir-incoming-Link03');
  fs.symlinkSync(real, toReal);
  expect(ownQuarantine(repo, env(toReal))).toBeUndefined();
  // A directory named so, not in this repository's objects; one that does not exist; a file.
  const elsewhere = path.join(path.dirname(repo), 'tmp_objdir-incoming-Else01');
  fs.mkdirSync(elsewhere);
  expect(ownQuarantine(repo, env(elsewhere))).toBeUndefined();
  expect(ownQuarantine(repo, env(path.join(objects, 'tmp_objdir-incoming-None01')))).toBeUndefined();
  const file = path.join(objects, 'tmp_objdir-incoming-File01');
  fs.writeFileSync(file, '');
  expect(ownQuarantine(repo, env(file))).toBeUndefined();
});
