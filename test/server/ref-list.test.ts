/**
 * listRefsFromFiles (src/server/ref-list.ts) against `git for-each-ref` (through CliStore.listRefs) on crafted
 * repositories: for every odd case it gives git's listing exactly (names, values, order), or gives up (undefined,
 * and the caller asks git). It must never give a listing that differs from git's.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { openCliStore } from '../../src/git/cli-store.js';
import type { RefInfo } from '../../src/git/store.js';
import { listRefsFromFiles, MAX_FAST_REFS } from '../../src/server/ref-list.js';
import { cleanupTempDirs, git, gitEnv, initRepo } from '../support/git.js';

afterAll(() => cleanupTempDirs());

interface Repo {
  gitDir: string;
  a: string;
  b: string;
  tag: string;
  write(ref: string, content: string): void;
}

/** A bare repository with two commits (`a`, `b`) and an annotated tag of `a`, and no refs but those made here. */
function repo(): Repo {
  const gitDir = initRepo();
  const tree = git(['mktree'], { gitDir, input: '' });
  const a = git(['commit-tree', tree, '-m', 'a'], { gitDir });
  const b = git(['commit-tree', tree, '-p', a, '-m', 'b'], { gitDir });
  const tag = git(['mktag'], {
    gitDir,
    input: `object ${a}\ntype commit\ntag v1\ntagger T <t@e.org> 1700000000 +0000\n\nv1\n`,
  });
  const write = (ref: string, content: string) => {
    fs.mkdirSync(path.dirname(path.join(gitDir, ref)), { recursive: true });
    fs.writeFileSync(path.join(gitDir, ref), content);
  };
  return { gitDir, a, b, tag, write };
}

async function both(gitDir: string): Promise<{ fast: Map<string, RefInfo> | undefined; git: Map<string, RefInfo> }> {
  const store = openCliStore(gitDir, { env: gitEnv() });
  try {
    return { fast: listRefsFromFiles(gitDir, gitEnv()), git: await store.listRefs() };
  } finally {
    await store.close();
  }
}

async function expectSame(gitDir: string, atLeast = 1): Promise<Map<string, RefInfo>> {
  const { fast, git: listed } = await both(gitDir);
  expect(fast).toBeDefined();
  expect([...fast!]).toEqual([...listed]);
  expect(listed.size).toBeGreaterThanOrEqual(atLeast);
  return listed;
}

/** Git's own listing may fail here (an invalid packed-refs): the caller then gets git's error, not a listing. */
function expectGivesUp(gitDir: string, env = gitEnv()): void {
  expect(listRefsFromFiles(gitDir, env)).toBeUndefined();
}

test('loose refs in nested directories, and loose refs hiding packed ones, are listed as git lists them', async () => {
  const r = repo();
  r.write('refs/heads/main', `${r.a}\n`);
  r.write('refs/heads/feature/deep/x', `${r.b}\n`);
  r.write('refs/tags/v1', `${r.tag}\n`);
  git(['pack-refs', '--all'], { gitDir: r.gitDir });
  r.write('refs/heads/main', `${r.b}\n`); // loose, over the packed value
  r.write('refs/heads/Z-upper', `${r.a}\n`);
  r.write('refs/notes/commits', `${r.a}\n`);
  fs.mkdirSync(path.join(r.gitDir, 'refs/heads/empty/dir'), { recursive: true });
  const listed = await expectSame(r.gitDir, 5);
  expect(listed.get('refs/heads/main')).toEqual({ oid: r.b });
  expect(fs.readFileSync(path.join(r.gitDir, 'packed-refs'), 'utf8')).toMatch(/^# pack-refs with: peeled fully-peeled sorted \n/);
  expect(fs.readFileSync(path.join(r.gitDir, 'packed-refs'), 'utf8')).toContain(`^${r.a}\n`);
});

test('packed-refs without a header (with a packed name that is a loose directory), and an empty repository, are listed as git lists them', async () => {
  const r = repo();
  fs.writeFileSync(path.join(r.gitDir, 'packed-refs'), `${r.a} refs/heads/a\n${r.b} refs/heads/b\n`);
  r.write('refs/heads/a/below', `${r.b}\n`);
  const listed = await expectSame(r.gitDir, 3);
  expect([...listed.keys()]).toEqual(['refs/heads/a', 'refs/heads/a/below', 'refs/heads/b']);
  const empty = repo();
  const none = await both(empty.gitDir);
  expect(none.git.size).toBe(0);
  expect(none.fast).toEqual(none.git);
});

test('names git skips (dot files and directories, .lock files and directories) are skipped alike', async () => {
  const r = repo();
  r.write('refs/heads/main', `${r.a}\n`);
  r.write('refs/heads/.hidden', `${r.a}\n`);
  r.write('refs/heads/.dir/x', `${r.a}\n`);
  r.write('refs/heads/main.lock', `${r.b}\n`);
  r.write('refs/heads/locked.lock/x', `${r.a}\n`);
  r.write('HEAD', 'ref: refs/heads/main\n'); // outside refs/: for-each-ref does not list it
  r.write('FETCH_HEAD', `${r.b}\t\tbranch 'x' of y\n`);
  const listed = await expectSame(r.gitDir, 1);
  expect([...listed.keys()]).toEqual(['refs/heads/main']);
});

test('a ref whose object is missing is listed by both (GIT_REF_PARANOIA is on by default), loose or packed; with GIT_REF_PARANOIA set it gives up', async () => {
  const r = repo();
  const missing = 'e'.repeat(40);
  r.write('refs/heads/main', `${r.a}\n`);
  r.write('refs/heads/gone', `${missing}\n`);
  fs.writeFileSync(path.join(r.gitDir, 'packed-refs'), `${missing} refs/heads/gone-packed\n${r.b} refs/heads/kept\n`);
  const listed = await expectSame(r.gitDir, 4);
  expect([...listed.keys()]).toEqual(['refs/heads/gone', 'refs/heads/gone-packed', 'refs/heads/kept', 'refs/heads/main']);
  expectGivesUp(r.gitDir, gitEnv({ GIT_REF_PARANOIA: '0' }));
});

test('a ref whose loose object file is corrupt is listed by both (git checks that the file is there)', async () => {
  const r = repo();
  const bad = 'd'.repeat(40);
  fs.mkdirSync(path.join(r.gitDir, 'objects', 'dd'), { recursive: true });
  fs.writeFileSync(path.join(r.gitDir, 'objects', 'dd', bad.slice(2)), 'not zlib');
  r.write('refs/heads/bad', `${bad}\n`);
  const listed = await expectSame(r.gitDir, 1);
  expect(listed.get('refs/heads/bad')).toEqual({ oid: bad });
});

test('symbolic refs, dangling or not, give up (git resolves them)', async () => {
  const r = repo();
  r.write('refs/heads/main', `${r.a}\n`);
  r.write('refs/remotes/origin/HEAD', 'ref: refs/heads/main\n');
  expectGivesUp(r.gitDir);
  const d = repo();
  d.write('refs/heads/dangling', 'ref: refs/heads/nothing\n');
  expectGivesUp(d.gitDir);
});

test('broken loose values give up: garbage, a null id, upper-case hex, extra text, no newline, empty', async () => {
  for (const content of ['garbage\n', `${'0'.repeat(40)}\n`, 'A'.repeat(40) + '\n', '', 'x']) {
    const r = repo();
    r.write('refs/heads/main', `${r.a}\n`);
    r.write('refs/heads/odd', content);
    expectGivesUp(r.gitDir);
  }
  for (const suffix of [' junk\n', '', '\n\n']) {
    const r = repo();
    r.write('refs/heads/odd', `${r.b}${suffix}`);
    expectGivesUp(r.gitDir);
  }
});

test('names of an unusual shape give up: invalid for git, or outside the plain alphabet', async () => {
  for (const name of [
    'refs/heads/a..b',
    'refs/heads/a.',
    'refs/heads/sp ace',
    'refs/heads/caf\u00e9',
    'refs/heads/a@{1}',
    'refs/heads/x~1',
  ]) {
    const r = repo();
    r.write('refs/heads/main', `${r.a}\n`);
    r.write(name, `${r.a}\n`);
    expectGivesUp(r.gitDir);
  }
});

test('a symbolic link under refs/, to a file or to a directory, gives up', async () => {
  const r = repo();
  r.write('refs/heads/main', `${r.a}\n`);
  fs.symlinkSync('main', path.join(r.gitDir, 'refs/heads/link'));
  expectGivesUp(r.gitDir);
  const f = repo();
  git(['update-ref', 'refs/heads/main', f.a], { gitDir: f.gitDir });
  fs.symlinkSync(path.join(f.gitDir, 'refs/heads'), path.join(f.gitDir, 'refs/linked-dir'));
  expectGivesUp(f.gitDir);
});

test('packed-refs it does not fully understand gives up: unknown trait, unsorted, duplicate, stray peeled line, no final newline, a name outside refs/', async () => {
  const cases = (r: Repo): string[] => [
    `# pack-refs with: peeled future-trait \n${r.a} refs/heads/a\n`,
    `${r.b} refs/heads/b\n${r.a} refs/heads/a\n`,
    `${r.a} refs/heads/a\n${r.b} refs/heads/a\n`,
    `^${r.a}\n${r.a} refs/heads/a\n`,
    `${r.a} refs/heads/a\n^${r.a}\n^${r.b}\n`,
    `${r.a} refs/heads/a`,
    `# something else\n${r.a} refs/heads/a\n`,
    `${r.a} HEAD\n`,
    `${r.a} refs/heads/a\n\n`,
  ];
  for (let i = 0; i < cases(repo()).length; i++) {
    const r = repo();
    fs.writeFileSync(path.join(r.gitDir, 'packed-refs'), cases(r)[i]!);
    expectGivesUp(r.gitDir);
  }
});

test('another ref backend or a linked worktree gives up', async () => {
  const r = repo();
  r.write('refs/heads/main', `${r.a}\n`);
  await expectSame(r.gitDir);
  fs.appendFileSync(path.join(r.gitDir, 'config'), '[extensions]\n\trefStorage = reftable\n');
  expectGivesUp(r.gitDir);
  const w = repo();
  w.write('refs/heads/main', `${w.a}\n`);
  fs.writeFileSync(path.join(w.gitDir, 'commondir'), '../..\n');
  expectGivesUp(w.gitDir);
  const c = repo();
  c.write('refs/heads/main', `${c.a}\n`);
  await expectSame(c.gitDir);
  expectGivesUp(c.gitDir, gitEnv({ GIT_COMMON_DIR: c.gitDir }));
});

test(`more than ${MAX_FAST_REFS} refs give up`, async () => {
  const r = repo();
  const lines = Array.from({ length: MAX_FAST_REFS + 1 }, (_, i) => `${r.a} refs/tags/t${String(i).padStart(5, '0')}\n`);
  fs.writeFileSync(path.join(r.gitDir, 'packed-refs'), lines.join(''));
  expectGivesUp(r.gitDir);
  fs.writeFileSync(path.join(r.gitDir, 'packed-refs'), lines.slice(0, MAX_FAST_REFS).join(''));
  await expectSame(r.gitDir, MAX_FAST_REFS);
});

test(`more than ${MAX_FAST_REFS} refs loose and packed together give up too`, async () => {
  const r = repo();
  const half = MAX_FAST_REFS / 2;
  const packed = Array.from({ length: half + 1 }, (_, i) => `${r.a} refs/tags/p${String(i).padStart(5, '0')}\n`);
  fs.writeFileSync(path.join(r.gitDir, 'packed-refs'), packed.join(''));
  for (let i = 0; i < half; i++) r.write(`refs/tags/l${String(i).padStart(5, '0')}`, `${r.b}\n`);
  expectGivesUp(r.gitDir);
  fs.rmSync(path.join(r.gitDir, 'refs/tags/l00000'));
  await expectSame(r.gitDir, MAX_FAST_REFS);
});
