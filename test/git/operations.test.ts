/**
 * computeOperations on real repositories, through BOTH stores (every case
 * asserts that the git store and the isomorphic-git store agree).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { analyseUpdates, compareCodePoints, treeOperations } from '../../src/git/operations.js';
import {
  ZERO_OID,
  annotatedTag,
  cleanupTempDirs,
  commit,
  exe,
  file,
  git,
  gitlink,
  initRepo,
  symlink,
  writeTree,
  type Entry,
} from '../support/git.js';
import { both, brief, ops } from './helpers.js';

const SUB1 = '1111111111111111111111111111111111111111';
const SUB2 = '2222222222222222222222222222222222222222';
const MAIN = 'refs/heads/main';

afterAll(() => cleanupTempDirs());

/** Runs every case twice: objects loose, and after `git repack -ad` (packed). */
describe.each(['loose', 'packed'] as const)('computeOperations (%s objects)', (storage) => {
  let repo: string;
  /** Makes a commit; in packed mode everything is repacked before the case's assertions run. */
  const c = (entries: Entry[], parents: string[] = []) => commit(repo, entries, parents);
  const settle = () => {
    if (storage === 'packed') {
      // Nothing here is on a ref, so pack every object explicitly, then drop the loose copies.
      const all = git(['cat-file', '--batch-all-objects', '--batch-check=%(objectname)'], { gitDir: repo });
      git(['pack-objects', '-q', `${repo}/objects/pack/pack`], { gitDir: repo, input: `${all}\n` });
      git(['prune-packed'], { gitDir: repo });
      expect(git(['count-objects', '-v'], { gitDir: repo })).toMatch(/^count: 0$/m);
    }
  };
  const diff = async (oldEntries: Entry[] | null, newEntries: Entry[], ref = MAIN) => {
    const oldC = oldEntries ? c(oldEntries) : ZERO_OID;
    const newC = c(newEntries, oldEntries ? [oldC] : []);
    settle();
    return brief(await ops(repo, [{ oldOid: oldC, newOid: newC, ref }]));
  };

  beforeAll(() => {
    repo = initRepo();
  });

  test('creates a branch: every dir (parents included), file kind, symlink and gitlink', async () => {
    expect(
      await diff(null, [
        file('README'),
        exe('bin/run.sh'),
        file('a/b/c/deep.txt'),
        symlink('a/link', '../README'),
        gitlink('vendor/lib', SUB1),
      ]),
    ).toEqual([
      'ref create-branch refs/heads/main',
      'create-file README',
      'create-directory a',
      'create-directory a/b',
      'create-directory a/b/c',
      'create-file a/b/c/deep.txt',
      'create-symlink a/link',
      'create-directory bin',
      'create-file bin/run.sh',
      'create-directory vendor',
      'create-submodule vendor/lib',
    ]);
  });

  test('modifies content, the executable bit both ways, a symlink target, and moves a gitlink', async () => {
    expect(
      await diff(
        [file('f', 'one'), file('x'), exe('y'), symlink('l', 'a'), gitlink('s', SUB1), file('same')],
        [file('f', 'two'), exe('x'), file('y'), symlink('l', 'b'), gitlink('s', SUB2), file('same')],
      ),
    ).toEqual(['ref fast-forward refs/heads/main', 'modify f', 'modify l', 'modify s', 'modify x', 'modify y']);
  });

  test('a change inside an existing dir reports no directory op', async () => {
    expect(await diff([file('d/e/f', '1'), file('d/g')], [file('d/e/f', '2'), file('d/g')])).toEqual([
      'ref fast-forward refs/heads/main',
      'modify d/e/f',
    ]);
  });

  test('deletes a dir: the dir and every entry inside it, nested', async () => {
    expect(await diff([file('keep'), file('d/a'), exe('d/e/b'), symlink('d/e/l', 'x'), gitlink('d/f/s', SUB1)], [file('keep')])).toEqual([
      'ref fast-forward refs/heads/main',
      'delete-directory d',
      'delete-file d/a',
      'delete-directory d/e',
      'delete-file d/e/b',
      'delete-symlink d/e/l',
      'delete-directory d/f',
      'delete-submodule d/f/s',
    ]);
  });

  test('kind changes: file <-> symlink, file <-> submodule', async () => {
    expect(
      await diff(
        [file('a'), symlink('b', 't'), file('c'), gitlink('d', SUB1)],
        [symlink('a', 't'), file('b'), gitlink('c', SUB1), file('d')],
      ),
    ).toEqual([
      'ref fast-forward refs/heads/main',
      'delete-file a',
      'create-symlink a',
      'delete-symlink b',
      'create-file b',
      'delete-file c',
      'create-submodule c',
      'delete-submodule d',
      'create-file d',
    ]);
  });

  test('kind changes: file -> dir and dir -> file, with everything inside', async () => {
    expect(await diff([file('p'), file('q/r/s'), file('q/t')], [file('p/x/y'), file('p/z'), file('q')])).toEqual([
      'ref fast-forward refs/heads/main',
      'delete-file p',
      'create-directory p',
      'create-directory p/x',
      'create-file p/x/y',
      'create-file p/z',
      'delete-directory q',
      'create-file q',
      'delete-directory q/r',
      'delete-file q/r/s',
      'delete-file q/t',
    ]);
  });

  test('kind changes: symlink -> dir, dir -> submodule', async () => {
    expect(await diff([symlink('a', 'x'), file('b/c')], [file('a/in'), gitlink('b', SUB2)])).toEqual([
      'ref fast-forward refs/heads/main',
      'delete-symlink a',
      'create-directory a',
      'create-file a/in',
      'delete-directory b',
      'create-submodule b',
      'delete-file b/c',
    ]);
  });

  test('paths are the bytes git stores, never quoted: spaces, newlines, quotes, tabs, backslashes, unicode', async () => {
    const names = [
      'with space',
      'new\nline',
      'quo"te',
      "apo'strophe",
      'tab\there',
      'back\\slash',
      'caf\u00e9',
      '\ufeffbom',
      'emoji\u{1f600}',
      'dir with space/in"side',
    ];
    const result = await diff(
      null,
      names.map((n) => file(n, n)),
    );
    expect(result[0]).toBe('ref create-branch refs/heads/main');
    const paths = result.slice(1).map((l) => l.replace(/^[a-z-]+ /, ''));
    expect(new Set(paths)).toEqual(new Set([...names, 'dir with space']));
    expect(result).toContain('create-directory dir with space');
    expect(result).toContain('create-file dir with space/in"side');
    expect(result).toContain('create-file new\nline');
    expect(result).toContain('create-file \ufeffbom');
  });

  test('paths that are not valid UTF-8 are decoded with U+FFFD and flagged unsafe (dirs and what is inside)', async () => {
    const bad = Buffer.from([0x63, 0x61, 0x66, 0xe9]); // "caf" + Latin-1 é
    const badDir = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('/inner')]);
    const bad2 = Buffer.from([0x63, 0x61, 0x66, 0xea]); // decodes to the same text as `bad`
    const surrogate = Buffer.from([0x73, 0xed, 0xa0, 0x80]); // "s" + an encoded UTF-16 surrogate (WTF-8)
    const overlong = Buffer.from([0x6f, 0xc0, 0xaf]); // "o" + an overlong "/"
    const result = await diff(null, [
      file(bad, 'x'),
      file(bad2, 'y'),
      file(badDir, 'z'),
      file('ok'),
      file(surrogate, 's'),
      file(overlong, 'o'),
    ]);
    expect(result).toEqual([
      'ref create-branch refs/heads/main',
      'create-file caf\ufffd !unsafe',
      'create-file caf\ufffd !unsafe',
      'create-file ok',
      'create-file o\ufffd\ufffd !unsafe',
      'create-file s\ufffd\ufffd\ufffd !unsafe',
      'create-directory \ufffd\ufffd !unsafe',
      'create-file \ufffd\ufffd/inner !unsafe',
    ]);
  });

  test('a created branch diffs from the empty tree; an empty commit has no tree ops', async () => {
    expect(await diff(null, [])).toEqual(['ref create-branch refs/heads/main']);
  });

  describe('ref operations', () => {
    let a: string, b: string, side: string, tagA: string, tagB: string, tagOfTag: string;
    let tree: string, blob: string, tagOfTree: string;
    beforeAll(() => {
      a = c([file('f', 'a')]);
      b = c([file('f', 'b'), file('g')], [a]);
      side = c([file('f', 'side')], [a]);
      tagA = annotatedTag(repo, 'ta', a);
      tagB = annotatedTag(repo, 'tb', b);
      tagOfTag = annotatedTag(repo, 'tt', tagB);
      tree = writeTree(repo, [file('t/u')]);
      blob = git(['hash-object', '-w', '--stdin'], { gitDir: repo, input: 'blob' });
      tagOfTree = annotatedTag(repo, 'ttree', tree);
    });
    const run = async (oldOid: string, newOid: string, ref: string) => {
      settle();
      return brief(await ops(repo, [{ oldOid, newOid, ref }]));
    };

    test('create-branch / create-tag (lightweight and annotated) / delete', async () => {
      expect(await run(ZERO_OID, b, 'refs/heads/x')).toEqual(['ref create-branch refs/heads/x', 'create-file f', 'create-file g']);
      expect(await run(ZERO_OID, b, 'refs/tags/v1')).toEqual(['ref create-tag refs/tags/v1']);
      expect(await run(ZERO_OID, tagB, 'refs/tags/v1')).toEqual(['ref create-tag refs/tags/v1']);
      expect(await run(b, ZERO_OID, 'refs/heads/x')).toEqual(['ref delete refs/heads/x']);
      expect(await run(tagB, ZERO_OID, 'refs/tags/v1')).toEqual(['ref delete refs/tags/v1']);
    });

    test('fast-forward and force', async () => {
      expect(await run(a, b, MAIN)).toEqual(['ref fast-forward refs/heads/main', 'modify f', 'create-file g']);
      expect(await run(b, a, MAIN)).toEqual(['ref force refs/heads/main', 'modify f', 'delete-file g']);
      expect(await run(b, side, MAIN)).toEqual(['ref force refs/heads/main', 'modify f', 'delete-file g']);
    });

    test('every move of a tag is force, even a fast-forward one', async () => {
      expect(await run(a, b, 'refs/tags/v1')).toEqual(['ref force refs/tags/v1']);
      expect(await run(tagA, tagB, 'refs/tags/v1')).toEqual(['ref force refs/tags/v1']);
      expect(await run(tagA, tagOfTag, 'refs/tags/v1')).toEqual(['ref force refs/tags/v1']);
    });

    test('annotated tags (and tags of tags) on a branch peel to commits', async () => {
      expect(await run(tagA, tagOfTag, MAIN)).toEqual(['ref fast-forward refs/heads/main', 'modify f', 'create-file g']);
      expect(await run(ZERO_OID, tagOfTag, 'refs/heads/t')).toEqual(['ref create-branch refs/heads/t', 'create-file f', 'create-file g']);
      expect(await both(repo, (s) => s.peel(tagOfTag))).toEqual({ oid: b, type: 'commit' });
    });

    test('a non-tag ref at a tree or blob: no tree ops, never fast-forward, reported as not-a-commit', async () => {
      expect(await run(a, tree, MAIN)).toEqual(['ref force refs/heads/main']);
      expect(await run(a, tagOfTree, MAIN)).toEqual(['ref force refs/heads/main']);
      expect(await run(ZERO_OID, blob, 'refs/heads/blob')).toEqual(['ref create-branch refs/heads/blob']);
      // Old value not a commit: force, and the diff runs from the empty tree.
      expect(await run(tree, b, MAIN)).toEqual(['ref force refs/heads/main', 'create-file f', 'create-file g']);
      const analysis = await both(repo, (s) =>
        analyseUpdates(s, [
          { oldOid: a, newOid: tagOfTree, ref: MAIN },
          { oldOid: a, newOid: b, ref: MAIN },
          { oldOid: ZERO_OID, newOid: a, ref: 'refs/tags/x' },
          { oldOid: a, newOid: ZERO_OID, ref: MAIN },
        ]),
      );
      expect(analysis.map((x) => x.treeDiff)).toEqual(['not-a-commit', 'diffed', 'tag', 'deleted']);
      expect(analysis[0]!.newPeeled).toEqual({ oid: tree, type: 'tree' });
    });

    test('several updates: ops in update order, each ref op before its tree ops; other namespaces get tree ops', async () => {
      expect(
        await run(ZERO_OID, a, 'refs/merge-reqs/1').then(async (first) => [
          ...first,
          ...brief(
            await ops(repo, [
              { oldOid: a, newOid: b, ref: MAIN },
              { oldOid: ZERO_OID, newOid: a, ref: 'refs/tags/v2' },
              { oldOid: b, newOid: ZERO_OID, ref: 'refs/heads/old' },
            ]),
          ),
        ]),
      ).toEqual([
        'ref create-branch refs/merge-reqs/1',
        'create-file f',
        'ref fast-forward refs/heads/main',
        'modify f',
        'create-file g',
        'ref create-tag refs/tags/v2',
        'ref delete refs/heads/old',
      ]);
    });

    test('unreadable objects throw, naming the object; bad input throws', async () => {
      settle();
      const missing = 'deadbeefdeadbeefdeadbeefdeadbeefdeadbeef';
      const { bothThrow } = await import('./helpers.js');
      const { computeOperations } = await import('../../src/git/operations.js');
      for (const msg of await bothThrow(repo, (s) => computeOperations(s, [{ oldOid: a, newOid: missing, ref: MAIN }]))) {
        expect(msg).toContain(missing);
        expect(msg).not.toContain('\n');
      }
      for (const msg of await bothThrow(repo, (s) => computeOperations(s, [{ oldOid: missing, newOid: a, ref: MAIN }]))) {
        expect(msg).toContain(missing);
      }
      for (const msg of await bothThrow(repo, (s) => computeOperations(s, [{ oldOid: ZERO_OID, newOid: 'HEAD', ref: MAIN }]))) {
        expect(msg).toMatch(/invalid new object id/);
      }
      await bothThrow(repo, (s) => computeOperations(s, [{ oldOid: ZERO_OID, newOid: ZERO_OID, ref: MAIN }]));
    });
  });
});

describe('treeOperations / compareCodePoints (pure)', () => {
  test('maps changes and sorts by code point with delete before create', () => {
    const f = { mode: '100644' as const, kind: 'file' as const, oid: SUB1 };
    const d = { mode: '040000' as const, kind: 'directory' as const, oid: SUB2 };
    expect(
      treeOperations('refs/heads/x', [
        { path: 'b', old: f, new: d },
        { path: 'a', old: d, new: { ...d, oid: SUB1 } },
        { path: '\u{1f600}', new: f },
        { path: '\uffff', new: f },
      ]).map((o) => `${o.op} ${o.path}`),
    ).toEqual(['delete-file b', 'create-directory b', 'create-file \uffff', 'create-file \u{1f600}']);
    expect(compareCodePoints('a', 'a/b')).toBeLessThan(0);
    expect(compareCodePoints('a/b', 'a-b')).toBeGreaterThan(0);
    expect(compareCodePoints('\u{1f600}', '\uffff')).toBeGreaterThan(0);
  });
});
