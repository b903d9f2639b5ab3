/** The ObjectStore contract, checked on both implementations against real repositories. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openCliStore } from '../../src/git/cli-store.js';
import { EMPTY_TREE_OID } from '../../src/git/objects.js';
import { locationFromEnv, splitObjectDirectories } from '../../src/git/location.js';
import { openIsoStore } from '../../src/git/iso-store.js';
import { nodeFs, openNodeIsoStore } from '../../src/git/node-fs.js';
import { overlayObjectsFs } from '../../src/git/overlay-fs.js';
import type { ObjectStore } from '../../src/git/store.js';
import {
  annotatedTag,
  cleanupTempDirs,
  commit,
  exe,
  file,
  git,
  gitlink,
  initRepo,
  runGit,
  setRef,
  symlink,
  tempDir,
  writeBlob,
} from '../support/git.js';
import { both, bothThrow } from './helpers.js';
import { withoutGitVars } from '../support/env.js';
import { parseRawDiff } from '../support/raw-diff.js';
import { looseObjectIds } from '../../src/git/quarantine.js';
import { DIFF_LIMITS, DiffBudget, type DiffLimits } from '../../src/git/limits.js';

const SUB = '1111111111111111111111111111111111111111';
const MISSING = 'deadbeefdeadbeefdeadbeefdeadbeefdeadbeef';

afterAll(() => cleanupTempDirs());

describe('ObjectStore (both implementations)', () => {
  let repo: string;
  let c1: string, c2: string, c3: string, tag: string, bigBlob: string, big: Buffer;

  beforeAll(() => {
    repo = initRepo();
    c1 = commit(repo, [file('a', 'A'), file('d/e/f'), symlink('l', 'a'), gitlink('s', SUB), exe('x')]);
    c2 = commit(repo, [file('a', 'B'), file('d/e/f'), file('d/g'), file(Buffer.from([0x62, 0xff]), 'bad')], [c1]);
    c3 = commit(repo, [file('other')]);
    tag = annotatedTag(repo, 'v1', c2);
    big = Buffer.alloc(3 * 1024 * 1024 + 7);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7919) & 0xff;
    bigBlob = writeBlob(repo, big);
    setRef(repo, 'refs/heads/main', c2);
    setRef(repo, 'refs/heads/apps/access-control', c1);
    setRef(repo, 'refs/tags/v1', tag);
    git(['symbolic-ref', 'HEAD', 'refs/heads/main'], { gitDir: repo });
  });

  test('resolveRef: exact names only, loose and packed, symbolic HEAD, missing = null', async () => {
    const check = async () => {
      expect(await both(repo, (s) => s.resolveRef('refs/heads/main'))).toBe(c2);
      expect(await both(repo, (s) => s.resolveRef('refs/heads/apps/access-control'))).toBe(c1);
      expect(await both(repo, (s) => s.resolveRef('refs/tags/v1'))).toBe(tag);
      expect(await both(repo, (s) => s.resolveRef('HEAD'))).toBe(c2);
      expect(await both(repo, (s) => s.resolveRef('refs/heads/nope'))).toBeNull();
      expect(await both(repo, (s) => s.resolveRef('refs/heads/mai'))).toBeNull();
      expect(await both(repo, (s) => s.resolveRef('refs/heads/apps'))).toBeNull();
      expect(await both(repo, (s) => s.resolveRef('refs/heads'))).toBeNull();
    };
    await check();
    git(['pack-refs', '--all'], { gitDir: repo });
    expect(fs.existsSync(path.join(repo, 'refs/heads/main'))).toBe(false);
    await check();
    await bothThrow(repo, (s) => s.resolveRef('main'));
    await bothThrow(repo, (s) => s.resolveRef('refs/heads/x y'));
    await bothThrow(repo, (s) => s.resolveRef('refs/heads/x\n'));
    await bothThrow(repo, (s) => s.resolveRef('refs/heads/*'));
  });

  test('readType, peel, commitTree', async () => {
    expect(await both(repo, (s) => s.readType(c1))).toBe('commit');
    expect(await both(repo, (s) => s.readType(tag))).toBe('tag');
    expect(await both(repo, (s) => s.readType(bigBlob))).toBe('blob');
    expect(await both(repo, (s) => s.readType(EMPTY_TREE_OID))).toBe('tree');
    expect(await both(repo, (s) => s.peel(tag))).toEqual({ oid: c2, type: 'commit' });
    expect(await both(repo, (s) => s.peel(c1))).toEqual({ oid: c1, type: 'commit' });
    const tree = await both(repo, (s) => s.commitTree(c2));
    expect(tree).toBe(git(['rev-parse', `${c2}^{tree}`], { gitDir: repo }));
  });

  test('readBlob: exact bytes, also for a multi-megabyte blob read between small ones', async () => {
    const res = await both(repo, async (s) => {
      const [x, y, z] = await Promise.all([s.readBlob(bigBlob), s.readBlob(writeBlob(repo, 'small')), s.readBlob(bigBlob)]);
      return [Buffer.from(x).equals(big), Buffer.from(y).toString(), Buffer.from(z).equals(big), x instanceof Uint8Array];
    });
    expect(res).toEqual([true, 'small', true, true]);
  });

  test('readTree: modes, kinds, and raw bytes for names that are not UTF-8', async () => {
    const root = await both(repo, async (s) => s.readTree(await s.commitTree(c1)));
    expect(root.map((e) => [e.name, e.mode, e.kind])).toEqual([
      ['a', '100644', 'file'],
      ['d', '040000', 'directory'],
      ['l', '120000', 'symlink'],
      ['s', '160000', 'submodule'],
      ['x', '100755', 'file'],
    ]);
    expect(root.find((e) => e.name === 's')!.oid).toBe(SUB);
    const root2 = await both(repo, async (s) => s.readTree(await s.commitTree(c2)));
    const bad = root2.find((e) => e.rawName)!;
    expect(bad.name).toBe('b\ufffd');
    expect(Buffer.from(bad.rawName!)).toEqual(Buffer.from([0x62, 0xff]));
  });

  test('diffTrees: raw changes agree, including modified directories and the empty tree', async () => {
    const changes = await both(repo, async (s) => s.diffTrees(await s.commitTree(c1), await s.commitTree(c2)));
    expect(changes.map((c) => [c.path, c.old?.kind ?? '-', c.new?.kind ?? '-', c.unsafeName ?? false])).toEqual([
      ['a', 'file', 'file', false],
      ['b\ufffd', '-', 'file', true],
      ['d', 'directory', 'directory', false],
      ['d/g', '-', 'file', false],
      ['l', 'symlink', '-', false],
      ['s', 'submodule', '-', false],
      ['x', 'file', '-', false],
    ]);
    const fromEmpty = await both(repo, async (s) => s.diffTrees(null, await s.commitTree(c1)));
    const fromEmptyOid = await both(repo, async (s) => s.diffTrees(EMPTY_TREE_OID, await s.commitTree(c1)));
    expect(fromEmptyOid).toEqual(fromEmpty);
    expect(fromEmpty.map((c) => c.path)).toEqual(['a', 'd', 'd/e', 'd/e/f', 'l', 's', 'x']);
    expect(await both(repo, async (s) => s.diffTrees(await s.commitTree(c3), await s.commitTree(c3)))).toEqual([]);
  });

  test("the stores' tree walk reports exactly what git diff-tree reports", async () => {
    const r = initRepo();
    const a = commit(r, [
      file('a', '1'),
      file('a-b'),
      file('a.c/x'),
      file('b/c/d', 'x'),
      symlink('l', 'a'),
      gitlink('s', SUB),
      exe('x'),
      file('k/f'),
    ]);
    const b = commit(
      r,
      [
        file('a/in', 'dir now'),
        file('a-b', '2'),
        file('a.c/x'),
        symlink('b', 'c/d'),
        file('l', 'file now'),
        gitlink('s', MISSING),
        file('x', 'not exe'),
        file('k/f'),
        file('new/deep/er/file'),
      ],
      [a],
    );
    const c = commit(r, [file('\u00e9/\u00e8'), file(Buffer.from([0x66, 0xfe]), 'bad name'), file('z')]);
    for (const [from, to] of [
      [null, a],
      [a, b],
      [b, a],
      [null, b],
      [b, c],
      [c, a],
    ] as const) {
      const fromTree = from ? git(['rev-parse', `${from}^{tree}`], { gitDir: r }) : EMPTY_TREE_OID;
      const toTree = git(['rev-parse', `${to}^{tree}`], { gitDir: r });
      const raw = runGit(['diff-tree', '-r', '-t', '-z', '--no-renames', '--full-index', fromTree, toTree], { gitDir: r }).stdout;
      const expected = parseRawDiff(raw, `${fromTree}..${toTree}`);
      expect(expected.length).toBeGreaterThan(0);
      expect(await both(r, (s) => s.diffTrees(from ? fromTree : null, toTree))).toEqual(expected);
    }
  });

  test('the diff counts against a budget: a long path, too many changes, too many path bytes, one subtree named a thousand times', async () => {
    const r = initRepo();
    const deep = commit(r, [file(`${'d/'.repeat(40)}f`)]);
    const wide = commit(
      r,
      Array.from({ length: 30 }, (_, i) => file(`w/f${i}`)),
    );
    const tree = (c: string) => git(['rev-parse', `${c}^{tree}`], { gitDir: r });
    const limits = (l: Partial<DiffLimits>) => new DiffBudget({ ...DIFF_LIMITS, ...l });
    for (const msg of await bothThrow(r, (s) => s.diffTrees(null, tree(deep), { budget: limits({ maxPathBytes: 50 }) }))) {
      expect(msg).toBe(`the push holds a path longer than 50 bytes ("${'d/'.repeat(25)}d"; git-acl's limit, see docs/security.md#limits)`);
    }
    for (const msg of await bothThrow(r, (s) => s.diffTrees(null, tree(wide), { budget: limits({ maxChanges: 20 }) }))) {
      expect(msg).toBe("the push changes more than 20 paths (git-acl's limit, see docs/security.md#limits)");
    }
    for (const msg of await bothThrow(r, (s) => s.diffTrees(null, tree(wide), { budget: limits({ maxTotalPathBytes: 100 }) }))) {
      expect(msg).toBe("the paths the push changes add up to more than 100 bytes (git-acl's limit, see docs/security.md#limits)");
    }
    // Three tree objects that describe a billion paths: the walk stops at the bound, having read little.
    const leaf = writeBlob(r, 'x');
    const level = (child: string, mode: string) =>
      git(['mktree'], {
        gitDir: r,
        input: Array.from(
          { length: 1000 },
          (_, i) => `${mode} ${mode === '040000' ? 'tree' : 'blob'} ${child}\tn${String(i).padStart(3, '0')}\n`,
        ).join(''),
      });
    const fanout = level(level(level(leaf, '100644'), '040000'), '040000');
    for (const msg of await bothThrow(r, (s) => s.diffTrees(null, fanout, { budget: limits({ maxChanges: 50_000 }) }))) {
      expect(msg).toBe("the push changes more than 50,000 paths (git-acl's limit, see docs/security.md#limits)");
    }
  });

  test('isAncestor: equality, ancestry, unrelated; non-commits throw', async () => {
    expect(await both(repo, (s) => s.isAncestor(c1, c2))).toBe(true);
    expect(await both(repo, (s) => s.isAncestor(c2, c1))).toBe(false);
    expect(await both(repo, (s) => s.isAncestor(c2, c2))).toBe(true);
    expect(await both(repo, (s) => s.isAncestor(c3, c2))).toBe(false);
    await bothThrow(repo, (s) => s.isAncestor(bigBlob, c2));
    await bothThrow(repo, (s) => s.isAncestor(c1, MISSING));
  });

  test('commits and tags are read as git reads them: a second tree line ends the parents, a mistyped tag does not peel', async () => {
    const tree = git(['rev-parse', `${c2}^{tree}`], { gitDir: repo });
    const ident = 'T <t@example.org> 1700000000 +0000';
    const literally = (type: string, body: string) =>
      git(['hash-object', '-t', type, '--literally', '-w', '--stdin'], { gitDir: repo, input: body });
    // To git a root commit: parse_commit_buffer stops at the second `tree` line.
    const rootToGit = literally('commit', `tree ${tree}\ntree ${tree}\nparent ${c2}\nauthor ${ident}\ncommitter ${ident}\n\nx\n`);
    expect(git(['rev-list', '--parents', '-n', '1', rootToGit], { gitDir: repo })).toBe(rootToGit);
    expect(runGit(['merge-base', '--is-ancestor', c2, rootToGit], { gitDir: repo, allowFail: true }).status).toBe(1);
    expect(await both(repo, (s) => s.isAncestor(c2, rootToGit))).toBe(false);
    expect(await both(repo, (s) => s.isAncestor(c1, rootToGit))).toBe(false);
    expect(await both(repo, (s) => s.commitTree(rootToGit))).toBe(tree);
    // Upper-case hex: git reads it (and lower-cases it).
    const upper = literally('commit', `tree ${tree.toUpperCase()}\nparent ${c2.toUpperCase()}\nauthor ${ident}\ncommitter ${ident}\n\nx\n`);
    expect(await both(repo, (s) => s.isAncestor(c1, upper))).toBe(true);
    expect(await both(repo, (s) => s.commitTree(upper))).toBe(tree);
    // A commit git cannot read at all: both stores refuse it, naming it.
    const bogus = literally('commit', `tree ${tree}\nparent ${c2.slice(0, 30)}\nauthor ${ident}\n\nx\n`);
    expect(runGit(['rev-list', bogus], { gitDir: repo, allowFail: true }).status).not.toBe(0);
    for (const msg of await bothThrow(repo, (s) => s.isAncestor(c1, bogus))) expect(msg).toContain(bogus);
    for (const msg of await bothThrow(repo, (s) => s.commitTree(bogus))) expect(msg).toContain(bogus);
    // A tag that declares `tree` but points at a commit: git cannot peel it, and neither store does.
    const mistyped = literally('tag', `object ${c2}\ntype tree\ntag t\ntagger ${ident}\n\nx\n`);
    expect(runGit(['rev-parse', '--verify', '--quiet', `${mistyped}^{}`], { gitDir: repo, allowFail: true }).status).not.toBe(0);
    for (const msg of await bothThrow(repo, (s) => s.peel(mistyped))) {
      expect(msg).toBe(`tag ${mistyped} says it points at a tree, but ${c2} is a commit; git cannot peel it`);
    }
  });

  test('errors are one line and name the object', async () => {
    for (const [what, f] of [
      ['missing', (s: ObjectStore) => s.readBlob(MISSING)],
      ['missing type', (s: ObjectStore) => s.readType(MISSING)],
      ['wrong type', (s: ObjectStore) => s.readBlob(c1)],
      ['tree of a blob', (s: ObjectStore) => s.commitTree(bigBlob)],
      ['diff of a missing tree', (s: ObjectStore) => s.diffTrees(null, MISSING)],
    ] as const) {
      for (const msg of await bothThrow(repo, f)) {
        expect(msg, what).toMatch(/[0-9a-f]{40}/);
        expect(msg, what).not.toContain('\n');
      }
    }
    for (const msg of await bothThrow(repo, (s) => s.readBlob('--help'))) expect(msg).toMatch(/invalid/);
  });

  test('many concurrent reads on one git store come back matched to their requests', async () => {
    const s = openCliStore(repo, { env: withoutGitVars() });
    try {
      const oids = [c1, c2, c3, tag, bigBlob, MISSING];
      const results = await Promise.allSettled(Array.from({ length: 300 }, (_, i) => s.readType(oids[i % oids.length]!)));
      const types = results.map((r) => (r.status === 'fulfilled' ? r.value : 'error'));
      expect(types.slice(0, 6)).toEqual(['commit', 'commit', 'commit', 'tag', 'blob', 'error']);
      for (let i = 0; i < types.length; i++) expect(types[i]).toBe(types[i % 6]);
    } finally {
      await s.close();
    }
    await expect(s.readType(c1)).rejects.toThrow(/closed/);
  });

  test('a wide diff over loose objects (200 dirs) agrees, and stays within open-file limits', async () => {
    const wide = initRepo();
    const before = commit(
      wide,
      Array.from({ length: 200 }, (_, i) => file(`d${i}/x/f`, `${i}`)),
    );
    const after = commit(
      wide,
      Array.from({ length: 200 }, (_, i) => file(`d${i}/x/f`, `${i}!`)),
      [before],
    );
    const changes = await both(wide, async (s) => s.diffTrees(await s.commitTree(before), await s.commitTree(after)));
    expect(changes.length).toBe(600);
  });

  test('repository config cannot change what the stores report', async () => {
    const r = initRepo();
    const before = commit(r, [file('a', 'same content here\n'.repeat(20)), gitlink('s', SUB), file('z')]);
    const after = commit(
      r,
      [file('b', 'same content here\n'.repeat(20)), gitlink('s', '2222222222222222222222222222222222222222'), file('z', 'new')],
      [before],
    );
    const expected = await both(r, async (s) => s.diffTrees(await s.commitTree(before), await s.commitTree(after)));
    fs.writeFileSync(path.join(r, 'order'), 'z\n');
    for (const [k, v] of [
      ['diff.ignoreSubmodules', 'all'],
      ['diff.renames', 'copies'],
      ['diff.orderFile', path.join(r, 'order')],
      ['core.quotePath', 'true'],
      ['diff.noprefix', 'true'],
      ['diff.external', 'false'],
    ])
      git(['config', k!, v!], { gitDir: r });
    expect(await both(r, async (s) => s.diffTrees(await s.commitTree(before), await s.commitTree(after)))).toEqual(expected);
    expect(expected.map((c) => c.path)).toEqual(['a', 'b', 's', 'z']);
  });

  test('the git store fails closed when git cannot run or the repository is missing', async () => {
    const noGit = openCliStore(repo, { git: '/nonexistent/git', env: withoutGitVars() });
    await expect(noGit.readType(c1)).rejects.toThrow(/cannot run|cannot read object/);
    await expect(noGit.diffTrees(null, EMPTY_TREE_OID)).rejects.toThrow(/cannot run/);
    await noGit.close();
    const noRepo = openCliStore('/nonexistent/repo.git', { env: withoutGitVars() });
    for (const f of [
      () => noRepo.readType(c1),
      () => noRepo.resolveRef('refs/heads/main'),
      () => noRepo.isAncestor(c1, c2),
      () => noRepo.diffTrees(null, EMPTY_TREE_OID),
    ]) {
      const e = await (f() as Promise<unknown>).then(
        () => null,
        (err: Error) => err,
      );
      expect(e).toBeInstanceOf(Error);
      expect(e!.message).not.toContain('\n');
    }
    await noRepo.close();
    const isoNoRepo = openNodeIsoStore({ gitDir: '/nonexistent/repo.git' });
    await expect(isoNoRepo.readType(c1)).rejects.toThrow(c1);
    expect(await isoNoRepo.resolveRef('refs/heads/main')).toBeNull();
  });

  test('a repository that borrows objects through objects/info/alternates', async () => {
    const borrower = initRepo();
    fs.writeFileSync(path.join(borrower, 'objects/info/alternates'), `${path.join(repo, 'objects')}\n`);
    const own = commit(borrower, [file('mine')], [c2]);
    expect(await both(borrower, (s) => s.isAncestor(c1, own))).toBe(true);
    expect(await both(borrower, async (s) => (await s.diffTrees(await s.commitTree(c2), await s.commitTree(own))).length)).toBeGreaterThan(
      0,
    );
  });

  test("the git store lists a quarantine's commits, trees and tags, loose (found in the directory) or packed (listed by git)", async () => {
    const main = initRepo();
    const q = path.join(tempDir('quarantine-'), 'objects');
    fs.mkdirSync(q);
    const inQ = { GIT_OBJECT_DIRECTORY: q, GIT_ALTERNATE_OBJECT_DIRECTORIES: path.join(main, 'objects') };
    const c = commit(main, [file('a', 'in main')]);
    // Objects as a small push leaves them: loose, in the quarantine only.
    const blob = git(['hash-object', '-w', '--stdin'], { gitDir: main, input: 'pushed', env: inQ });
    const tree = git(['mktree'], { gitDir: main, input: `100644 blob ${blob}\tb\n`, env: inQ });
    const pushed = git(['commit-tree', tree, '-p', c, '-m', 'pushed'], { gitDir: main, env: inQ });
    const tag = git(['hash-object', '-t', 'tag', '-w', '--stdin'], {
      gitDir: main,
      input: `object ${pushed}\ntype commit\ntag t\ntagger T <t@example.org> 1 +0000\n\nt\n`,
      env: inQ,
    });
    const expected = new Map([
      [tree, 'tree'],
      [pushed, 'commit'],
      [tag, 'tag'],
    ]);
    const loc = { gitDir: main, objectDirectory: q, alternateObjectDirectories: [path.join(main, 'objects')] };
    expect((await looseObjectIds(q))?.sort()).toEqual([blob, tree, pushed, tag].sort());
    const store = openCliStore(loc, { env: withoutGitVars() });
    try {
      expect(await store.pushedObjects()).toEqual(expected);
      // A pack in the quarantine (a bigger push): the directory cannot say, git does.
      const pack = runGit(['pack-objects', '--revs', path.join(q, 'pack', 'pack')], {
        gitDir: main,
        input: `${tag}\n${pushed}\n^${c}\n`,
        env: inQ,
      });
      expect(pack.status).toBe(0);
      expect(await looseObjectIds(q)).toBeNull();
      expect(await store.pushedObjects()).toEqual(expected);
      // Outside pre-receive there is no quarantine to list.
      expect(await openCliStore(main, { env: withoutGitVars() }).pushedObjects()).toBeNull();
    } finally {
      await store.close();
    }
  });

  test('the git store honours an explicit quarantine location', async () => {
    // Build a fake quarantine: a new object directory that only the location names.
    const q = tempDir('quarantine-');
    const main = initRepo();
    const objs = path.join(q, 'objects');
    fs.mkdirSync(objs);
    const inQ = git(['hash-object', '-w', '--stdin'], { gitDir: main, input: 'quarantined', env: { GIT_OBJECT_DIRECTORY: objs } });
    const loc = { gitDir: main, objectDirectory: objs, alternateObjectDirectories: [path.join(main, 'objects')] };
    expect(await both(loc, (s) => s.readType(inQ))).toBe('blob');
    await bothThrow(main, (s) => s.readType(inQ));
  });
});

describe('helpers', () => {
  test('locationFromEnv / splitObjectDirectories', () => {
    expect(locationFromEnv('/r', {})).toEqual({ gitDir: '/r' });
    expect(
      locationFromEnv('/r', {
        GIT_OBJECT_DIRECTORY: '/r/objects/incoming-x',
        GIT_QUARANTINE_PATH: '/r/objects/incoming-x',
        GIT_ALTERNATE_OBJECT_DIRECTORIES: '/r/objects',
      }),
    ).toEqual({ gitDir: '/r', objectDirectory: '/r/objects/incoming-x', alternateObjectDirectories: ['/r/objects'] });
    expect(splitObjectDirectories('/a:/b::"/c:d\\"e\\303\\251"')).toEqual(['/a', '/b', '/c:d"e\u00e9']);
  });

  test('overlay fs: overlay first, union readdir, writes refused', async () => {
    const base = tempDir('ovl-');
    fs.mkdirSync(path.join(base, 'g/objects/pack'), { recursive: true });
    fs.mkdirSync(path.join(base, 'q/pack'), { recursive: true });
    fs.writeFileSync(path.join(base, 'g/objects/pack/a.idx'), 'main');
    fs.writeFileSync(path.join(base, 'g/objects/pack/b.idx'), 'main-b');
    fs.writeFileSync(path.join(base, 'q/pack/a.idx'), 'quarantine');
    fs.writeFileSync(path.join(base, 'q/pack/c.idx'), 'q-c');
    const o = overlayObjectsFs(nodeFs, path.join(base, 'g'), [path.join(base, 'q')]).promises;
    expect(await o.readdir(path.join(base, 'g/objects/pack'))).toEqual(['a.idx', 'b.idx', 'c.idx']);
    expect(String(await o.readFile(path.join(base, 'g/objects/pack/a.idx'), 'utf8'))).toBe('quarantine');
    expect(String(await o.readFile(path.join(base, 'g//objects/./pack/b.idx'), 'utf8'))).toBe('main-b');
    await expect(o.readFile(path.join(base, 'g/objects/pack/zz.idx'))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(o.writeFile(path.join(base, 'g/objects/x'), 'y')).rejects.toMatchObject({ code: 'EROFS' });
    await expect(o.mkdir(path.join(base, 'g/objects/y'))).rejects.toMatchObject({ code: 'EROFS' });
  });

  test('iso store takes an injected fs (no node:fs import in iso-store.ts)', async () => {
    const src = fs.readFileSync(path.resolve(__dirname, '../../src/git/iso-store.ts'), 'utf8');
    const src2 = fs.readFileSync(path.resolve(__dirname, '../../src/git/overlay-fs.ts'), 'utf8');
    expect(src + src2).not.toMatch(/from ['"](node:|fs|path|os|child_process)/);
    const repo = initRepo();
    const c = commit(repo, [file('x')]);
    let reads = 0;
    const counting = { ...nodeFs, readFile: (p: string, o?: unknown) => (reads++, nodeFs.readFile(p, o)) };
    const s = openIsoStore({ gitDir: repo }, { fs: counting });
    expect(await s.readType(c)).toBe('commit');
    expect(reads).toBeGreaterThan(0);
    await s.close();
    expect(runGit(['cat-file', '-t', c], { gitDir: repo }).stdout.toString().trim()).toBe('commit');
    void openNodeIsoStore;
  });
});
