/**
 * The pre-receive hook's policy cache (src/server/policy-cache.ts) against its oracle, readPolicyTree: on real
 * repositories, the tree from the cache is exactly the tree read from git (files, kinds, sizes, key blobs, and their
 * order), for every preset and for odd policies; a cache file that is not exactly a tree of readPolicyTree's, or
 * not believed as a file, is ignored (the tree comes from git) and replaced; and what readPolicyTree refuses is
 * refused the same way and never cached.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { LIMITS } from '../../src/core/limits.js';
import { openCliStore } from '../../src/git/cli-store.js';
import { readPolicyTree, type PolicyTree } from '../../src/git/policy-files.js';
import type { ObjectStore } from '../../src/git/store.js';
import { readCachedTree, readPolicyTreeCached } from '../../src/server/policy-cache.js';
import { REPO_ROOT, withoutGitVars } from '../support/env.js';
import { Forge } from '../support/forge.js';
import { annotatedTag, cleanupTempDirs, commit, type Entry, file, git, gitlink, initRepo, symlink, tempDir } from '../support/git.js';

const OWNER = 'A'.repeat(40);
const BOB = 'B'.repeat(40);
let repo: string;
let store: ObjectStore;
/** Every read the cached path asks of git, by method: a hit on a commit asks none. */
let reads: string[] = [];
let counted: ObjectStore;
let dir: string;

beforeAll(() => {
  repo = initRepo();
  store = openCliStore(repo, { env: withoutGitVars() });
  counted = new Proxy(store, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        reads.push(String(prop));
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
});
afterEach(() => {
  reads = [];
});
afterAll(async () => {
  await store.close();
  cleanupTempDirs();
});

const cacheDir = (): string => path.join(tempDir('pcache-'), 'cache');
const fileOf = (tip: string): string => path.join(dir, `policy-${tip}.json`);
const fresh = (tip: string): Promise<PolicyTree> => readPolicyTree(store, tip);

/** `b` is `a` field for field, key blobs in the same order. */
function same(b: PolicyTree | null, a: PolicyTree): void {
  expect(b).toStrictEqual(a);
  expect([...b!.keyBlobs]).toEqual([...a.keyBlobs]);
}

/** A policy commit of `files` (path -> content) plus the owner file and two key files. */
function policyCommit(files: Record<string, string>, extra: Entry[] = []): string {
  return commit(repo, [
    file('owner', `${OWNER}\n`),
    file(`keys/${OWNER}.asc`, 'not a key: only listed\n'),
    file(`keys/${BOB}.asc`, 'nor this one\n'),
    ...Object.entries(files).map(([p, c]) => file(p, c)),
    ...extra,
  ]);
}

/** A miss (read from git, cached), then a hit that asks git nothing: both exactly the fresh read. */
async function roundTrip(tip: string): Promise<PolicyTree> {
  const want = await fresh(tip);
  same(await readPolicyTreeCached(counted, tip, dir), want);
  expect(fs.existsSync(fileOf(tip))).toBe(true);
  reads = [];
  same(await readPolicyTreeCached(counted, tip, dir), want);
  expect(reads).toEqual([]);
  same(readCachedTree(dir, tip), want);
  return want;
}

describe('the cached tree is the tree read from git', () => {
  const presets = fs.readdirSync(path.join(REPO_ROOT, 'policies'));
  test.each(presets)('preset %s', async (preset) => {
    dir = cacheDir();
    const want = await roundTrip(policyCommit(Forge.presetFiles(preset)));
    expect(want.files.some((f) => f.content !== '')).toBe(true);
    expect(want.keyBlobs.size).toBe(2);
  });

  test('an odd policy: symlinks, a gitlink, a directory where a file is expected, unread and unlisted files, bytes that are not UTF-8', async () => {
    dir = cacheDir();
    const bad = new Uint8Array([0x6f, 0x77, 0x6e, 0x65, 0x72, 0xff, 0xfe, 0x20, 0xc3, 0x28, 0x0a]);
    const tip = policyCommit(
      {
        'refs/owner.conf': 'owner create-branch ^.*$\n',
        'refs/ünïcødé.conf': '# \u0000\u001f\u2028 "quoted" \\ ✓\n',
        'refs/README': 'listed by name only\n',
        'refs/a/b/c/deep.conf': 'owner delete ^.*$\n',
        'refs/dir.conf/inner.conf': 'owner force ^x$\n',
        'groups/team.conf': `${OWNER}\n${BOB}\n`,
        'groups/empty.conf': '',
        'keys/sub/nested.asc': 'nested key file\n',
        'keys/not-a-key.conf': 'a .conf under keys/ is a key path: listed only\n',
        'README.md': 'not in a policy directory: not listed\n',
        'other/x.conf': 'not a policy directory\n',
      },
      [
        { path: 'branches/bytes.conf', content: bad },
        symlink('branches/linked.conf', '../refs/owner.conf'),
        symlink(`keys/${'C'.repeat(40)}.asc`, `${OWNER}.asc`),
        gitlink('groups/sub.conf', 'e'.repeat(40)),
        file('branches/big.conf', `# ${'x'.repeat(LIMITS.fileBytes)}\n`),
      ],
    );
    const want = await roundTrip(tip);
    const kinds = Object.fromEntries(want.files.map((f) => [f.path, f.kind ?? (f.size !== undefined ? `size ${f.size}` : 'file')]));
    expect(kinds).toMatchObject({
      'branches/big.conf': `size ${LIMITS.fileBytes + 3}`,
      'branches/linked.conf': 'symlink',
      'groups/sub.conf': 'submodule',
      [`keys/${'C'.repeat(40)}.asc`]: 'symlink',
      'refs/dir.conf/inner.conf': 'file',
    });
    expect(want.files.find((f) => f.path === 'branches/bytes.conf')?.content).toContain('\ufffd');
    expect([...want.keyBlobs.keys()]).toEqual([`keys/${OWNER}.asc`, `keys/${BOB}.asc`, 'keys/not-a-key.conf', 'keys/sub/nested.asc']);
  });

  test.each([
    ['a directory', (): Entry[] => [file('owner/x', 'x\n')]],
    ['a symlink', (): Entry[] => [symlink('owner', 'elsewhere')]],
    ['a gitlink', (): Entry[] => [gitlink('owner', 'e'.repeat(40))]],
    ['missing', (): Entry[] => []],
  ])('an owner that is %s', async (_, owner) => {
    dir = cacheDir();
    const tip = commit(repo, [...owner(), file('refs/owner.conf', 'owner create ^.*$\n')]);
    await roundTrip(tip);
  });

  test('a policy branch at an annotated tag: the peeled commit is recorded, and checked against git (the tag only)', async () => {
    dir = cacheDir();
    const target = policyCommit({ 'refs/owner.conf': 'owner create ^.*$\n' });
    const tag = annotatedTag(repo, 'policy', annotatedTag(repo, 'inner', target));
    const want = await fresh(tag);
    expect(want.commit).toBe(target);
    same(await readPolicyTreeCached(counted, tag, dir), want);
    reads = [];
    same(await readPolicyTreeCached(counted, tag, dir), want);
    expect(reads).toEqual(['peel']);
  });
});

describe('what readPolicyTree refuses is refused alike, and never cached', () => {
  const outcome = (read: Promise<PolicyTree>): Promise<string> =>
    read.then(
      () => 'read',
      (e: Error) => `${e.name}: ${e.message}`,
    );

  test.each([
    ['a tree', () => git(['write-tree'], { gitDir: repo, env: { GIT_INDEX_FILE: path.join(tempDir(), 'i') } })],
    ['a blob', () => git(['hash-object', '-w', '--stdin'], { gitDir: repo, input: 'x' })],
    ['a tag of a blob', () => annotatedTag(repo, 'b', git(['hash-object', '-w', '--stdin'], { gitDir: repo, input: 'y' }))],
    [
      'a commit past its bound',
      () =>
        git(['commit-tree', git(['write-tree'], { gitDir: repo, env: { GIT_INDEX_FILE: path.join(tempDir(), 'i') } }), '-F', '-'], {
          gitDir: repo,
          input: 'm'.repeat(1024 * 1024 + 1),
        }),
    ],
    ['an object git does not have', () => 'd'.repeat(40)],
  ])('a policy branch at %s', async (_, make) => {
    dir = cacheDir();
    const tip = make();
    const why = await outcome(fresh(tip));
    expect(why).not.toBe('read');
    for (let i = 0; i < 2; i++) {
      expect(await outcome(readPolicyTreeCached(store, tip, dir))).toBe(why);
    }
    expect(fs.existsSync(dir) ? fs.readdirSync(dir) : []).toEqual([]);
  });
});

describe('a cache file is believed only when it is exactly one the hook wrote', () => {
  let tip: string;
  let other: string;
  let want: PolicyTree;
  let good: string;

  beforeAll(async () => {
    tip = policyCommit({ 'refs/owner.conf': 'owner create ^.*$\n', 'branches/owner.conf': 'owner create-file ^.*$\n' }, [
      symlink('refs/link.conf', 'owner.conf'),
    ]);
    other = policyCommit({ 'refs/owner.conf': 'owner delete ^.*$\n' });
    want = await fresh(tip);
    dir = cacheDir();
    await readPolicyTreeCached(store, tip, dir);
    good = fs.readFileSync(fileOf(tip), 'utf8');
  });

  type Doc = {
    format: string;
    ref: string;
    commit: string;
    files: Array<Record<string, unknown>>;
    keyBlobs: Array<[string, string]>;
  };
  /** The good file, with one rule more: what a doctored file would add if it were believed. */
  const permissive = (): Doc => {
    const doc = JSON.parse(good) as Doc;
    doc.files.push({ path: 'refs/zz-open.conf', content: 'anyone create,fast-forward,force,delete ^.*$\n' });
    return doc;
  };
  const write = (doc: unknown, file = fileOf(tip)): void => {
    fs.rmSync(file, { force: true, recursive: true });
    fs.writeFileSync(file, typeof doc === 'string' ? doc : JSON.stringify(doc), { mode: 0o644 });
  };
  const doctor = (change: (d: Doc) => void) => (): void => {
    const doc = permissive();
    change(doc);
    write(doc);
  };

  test('the permissive file itself is believed (so what follows tests the one change each makes)', async () => {
    doctor(() => undefined)();
    const got = await readPolicyTreeCached(store, tip, dir);
    expect(got.files.map((f) => f.path)).toContain('refs/zz-open.conf');
    write(good);
  });

  const spoilt: Array<[string, () => void]> = [
    ['not JSON', () => write('{"format":')],
    ['truncated', () => write(JSON.stringify(permissive()).slice(0, -2))],
    ['empty', () => write('')],
    ['writable by others', () => (doctor(() => undefined)(), fs.chmodSync(fileOf(tip), 0o666))],
    ['writable by its group', () => (doctor(() => undefined)(), fs.chmodSync(fileOf(tip), 0o664))],
    [
      'a symbolic link to a file of this user',
      () => {
        const target = path.join(tempDir(), 'target.json');
        write(permissive(), target);
        fs.rmSync(fileOf(tip));
        fs.symlinkSync(target, fileOf(tip));
      },
    ],
    ['past the size bound (sparse)', () => (write(good), fs.truncateSync(fileOf(tip), (64 << 20) + 1))],
    ['another policy commit under this name', doctor((d) => (d.ref = other))],
    ['a recorded commit that is not the tip', doctor((d) => (d.commit = other))],
    ['another format', doctor((d) => (d.format = d.format.replace(/ 1;/, ' 2;')))],
    ['other bounds', doctor((d) => (d.format = d.format.replace(/bounds \d+/, 'bounds 1')))],
    ['an extra field', () => write({ ...permissive(), note: 1 })],
    ['a missing field', () => write({ ...permissive(), keyBlobs: undefined })],
    ['files not in path order', doctor((d) => d.files.reverse())],
    ['a path twice', doctor((d) => d.files.push({ ...d.files.at(-1)! }))],
    ['a path outside the policy directories', doctor((d) => (d.files.at(-1)!.path = 'zz/open.conf'))],
    ['a path with an empty segment', doctor((d) => (d.files.at(-1)!.path = 'refs//zz.conf'))],
    ['a path to a directory', doctor((d) => (d.files.at(-1)!.path = 'refs/'))],
    ['content that is not a string', doctor((d) => (d.files.at(-1)!.content = ['x']))],
    ['a kind git-acl does not list', doctor((d) => (d.files.find((f) => f.kind)!.kind = 'file'))],
    ['a symlink that is read', doctor((d) => (d.files.find((f) => f.kind)!.content = 'owner delete ^.*$\n'))],
    ['kind other on a rule file', doctor((d) => (d.files.find((f) => f.kind)!.kind = 'other'))],
    ['a size and a content', doctor((d) => (d.files.at(-1)!.size = 3))],
    ['a size that is not a count', doctor((d) => ((d.files.at(-1)!.content = ''), (d.files.at(-1)!.size = -1)))],
    ['a rule file past fileBytes', doctor((d) => (d.files.at(-1)!.content = 'x'.repeat(LIMITS.fileBytes + 1)))],
    ['content for a key file', doctor((d) => (d.files.find((f) => f.path === `keys/${OWNER}.asc`)!.content = 'key'))],
    ['content for a file only listed', doctor((d) => d.files.push({ path: 'refs/zz-zREADME', content: 'x' }))],
    ['a key file without its blob', doctor((d) => d.keyBlobs.pop())],
    ['a blob for a path that is no key file', doctor((d) => d.keyBlobs.push(['refs/owner.conf', 'e'.repeat(40)]))],
    ['a key blob id that is not one', doctor((d) => (d.keyBlobs[0]![1] = 'E'.repeat(40)))],
    ['a key blob id of another length', doctor((d) => (d.keyBlobs[0]![1] = 'e'.repeat(64)))],
    ['a key blob twice', doctor((d) => d.keyBlobs.push([...d.keyBlobs[0]!]))],
    ['key blobs as an object', doctor((d) => (d.keyBlobs = Object.fromEntries(d.keyBlobs) as never))],
  ];

  test.each(spoilt)('%s: ignored, the tree comes from git, and the file is replaced', async (_, spoil) => {
    spoil();
    const got = await readPolicyTreeCached(store, tip, dir);
    same(got, want);
    const st = fs.lstatSync(fileOf(tip));
    expect(st.isFile() && (st.mode & 0o777) === 0o644).toBe(true);
    expect(fs.readFileSync(fileOf(tip), 'utf8')).toBe(good);
  });

  test('a directory at its name: ignored (and left: a file cannot be renamed over it)', async () => {
    fs.rmSync(fileOf(tip));
    fs.mkdirSync(fileOf(tip));
    try {
      same(await readPolicyTreeCached(store, tip, dir), want);
      expect(fs.lstatSync(fileOf(tip)).isDirectory()).toBe(true);
    } finally {
      write(good);
    }
  });

  test('in a directory others may write: ignored', async () => {
    doctor(() => undefined)();
    fs.chmodSync(dir, 0o777);
    try {
      same(await readPolicyTreeCached(store, tip, dir), want);
    } finally {
      fs.chmodSync(dir, 0o755);
      write(good);
    }
  });

  test.skipIf(process.getuid?.() !== 0)('owned by another user: ignored, and this user keeps its own file beside it', async () => {
    doctor(() => undefined)();
    fs.chownSync(fileOf(tip), 12345, 12345);
    const own = path.join(dir, `policy-${tip}.u${process.getuid?.()}.json`);
    try {
      same(await readPolicyTreeCached(store, tip, dir), want);
      expect(fs.readFileSync(own, 'utf8')).toBe(good);
      expect(fs.statSync(fileOf(tip)).uid).toBe(12345); // never replaced
      reads = [];
      same(await readPolicyTreeCached(counted, tip, dir), want);
      expect(reads).toEqual([]); // the own file is read
    } finally {
      fs.rmSync(own, { force: true });
      write(good);
    }
  });

  test("a new policy's file replaces this user's files of older ones, not another user's", async () => {
    write(good);
    const foreign = path.join(dir, `policy-${'f'.repeat(40)}.json`);
    write(good, foreign);
    if (process.getuid?.() === 0) fs.chownSync(foreign, 12345, 12345);
    const unrelated = path.join(dir, 'key-0.json');
    write('{}', unrelated);
    await readPolicyTreeCached(store, other, dir);
    const left = fs.readdirSync(dir).sort();
    expect(left).toEqual([`policy-${other}.json`, 'key-0.json', ...(process.getuid?.() === 0 ? [path.basename(foreign)] : [])].sort());
    fs.rmSync(foreign);
    fs.rmSync(unrelated);
    await readPolicyTreeCached(store, tip, dir);
    expect(fs.readdirSync(dir)).toEqual([`policy-${tip}.json`]);
  });

  test('a directory that cannot be made: no cache, the same tree', async () => {
    const blocked = path.join(tempDir(), 'file');
    fs.writeFileSync(blocked, '');
    same(await readPolicyTreeCached(store, tip, path.join(blocked, 'cache')), want);
  });
});
