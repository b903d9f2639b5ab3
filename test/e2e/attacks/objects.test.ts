/**
 * Issue 7, class 2, beyond the reproductions in malformed-trees.test.ts: the
 * hook checks objects as git's fsck does wherever they come from, and refuses
 * a few things git lets through (docs/decisions.md, "Objects a push may
 * bring"). Shared-directory preset: anyone may create a file at the top of
 * shared/, everyone owns shared/<their id>/; Bob wrote shared/notes.txt.
 * git's own checks (receive.fsckObjects) are off here except where a test
 * says otherwise: the hook must not rely on them.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Forge, type Clone } from '../../support/forge.js';
import {
  FILE,
  TREE,
  commitText,
  entryName,
  gitOrder,
  readRawTree,
  writeBlob,
  writeRawCommit,
  writeRawTree,
  type RawEntry,
} from '../../support/craft.js';
import { packObjectIds, receivePack } from '../../support/receive-pack-client.js';
import { attempt, refChanges, rejectedFor, withoutGitChecks } from './support.js';

let forge: Forge;
let alice: Clone;
let A: string;
let main1: string;

beforeAll(() => {
  forge = Forge.create({ users: ['alice', 'bob'] });
  withoutGitChecks(forge);
  forge.setPolicy(Forge.presetFiles('shared-directory'));
  A = forge.user('alice').id;
  const owner = forge.clone('owner');
  const main0 = owner.commitTree({ README: 'shared notes live in shared/\n' }, [], 'main');
  expect(owner.push(`${main0}:refs/heads/main`).code).toBe(0);
  const bob = forge.clone('bob');
  main1 = bob.commitTree({ README: 'shared notes live in shared/\n', 'shared/notes.txt': "Bob's notes\n" }, [main0], 'bob: notes');
  expect(bob.push(`${main1}:refs/heads/main`).remote).toEqual([]);
  alice = forge.clone('alice');
});
afterAll(() => forge?.cleanup());
afterEach(() => {
  if (main1) forge.server(['update-ref', 'refs/heads/main', main1]);
});

const env = () => forge.env;
const blob = (content: string) => writeBlob(alice.dir, env(), content);
const rawTree = (entries: RawEntry[]) => writeRawTree(alice.dir, env(), entries);

/** main1's root with shared/ holding Bob's entries plus `extra` (in git's order unless `asIs`). */
function sharedWith(extra: RawEntry[], asIs = false): string {
  const bobs = readRawTree(alice.dir, env(), `${main1}:shared`);
  const shared = rawTree(asIs ? [...bobs, ...extra] : gitOrder([...bobs, ...extra]));
  const root = readRawTree(alice.dir, env(), `${main1}^{tree}`).map((e) => (entryName(e) === 'shared' ? { ...e, oid: shared } : e));
  return rawTree(root);
}

/** Alice's signed push of a commit with root `tree` on top of main1 (or `parents`), through the raw client. */
async function push(tree: string, objects: string[], opts: { parents?: string[]; text?: string } = {}) {
  const commit = writeRawCommit(alice.dir, env(), opts.text ?? commitText(tree, opts.parents ?? [main1], 'alice'));
  return attempt(forge, () =>
    receivePack(forge.bare, env(), {
      commands: [{ oldOid: main1, newOid: commit, ref: 'refs/heads/main' }],
      certificate: { signingKey: A },
      pack: packObjectIds(alice.dir, env(), [commit, ...objects]),
    }),
  );
}

/** The trees and blobs of `tree` that the server does not have yet. */
function newObjects(tree: string): string[] {
  return alice
    .ok(['rev-list', '--objects', '--no-object-names', tree, `^${main1}^{tree}`])
    .split('\n')
    .filter(Boolean);
}

describe('objects already in the repository are checked where a push reuses them', () => {
  test('a malformed tree that predates the hook (written on the server) is refused when a new commit puts it on main', async () => {
    // Two entries named notes.txt, written straight into the server's objects: as if pushed while the hook was off.
    const bobs = readRawTree(alice.dir, env(), `${main1}:shared`);
    const dup = rawTree([...bobs, { mode: FILE, name: 'notes.txt', oid: blob("Alice's notes\n") }]);
    for (const oid of [dup, ...alice.ok(['ls-tree', '--object-only', dup]).split('\n')]) {
      const loose = path.join('objects', oid.slice(0, 2), oid.slice(2));
      if (!fs.existsSync(path.join(forge.bare, loose))) {
        fs.mkdirSync(path.dirname(path.join(forge.bare, loose)), { recursive: true });
        fs.copyFileSync(path.join(alice.dir, '.git', loose), path.join(forge.bare, loose));
      }
    }
    expect(forge.server(['cat-file', '-t', dup]).stdout.trim()).toBe('tree');
    const root = rawTree(readRawTree(alice.dir, env(), `${main1}^{tree}`).map((e) => (entryName(e) === 'shared' ? { ...e, oid: dup } : e)));
    const a = await push(root, [root]); // the pack carries only the commit and the root tree
    expect(refChanges(a)).toEqual([]);
    expect(a.remote).toEqual([rejectedFor(A), 'git-acl: shared/notes.txt: contains duplicate file entries (git fsck: duplicateEntries)']);
  });
});

describe('every object of the push, not only the tips', () => {
  for (const [how, unpackLimit] of [
    ['unpacked into loose objects', null],
    ['kept as a pack (receive.unpackLimit=1)', '1'],
  ] as const) {
    test(`a commit in the history of the pushed tip that git fsck refuses (no author), ${how}`, async () => {
      if (unpackLimit) forge.server(['config', 'receive.unpackLimit', unpackLimit]);
      try {
        const tree = alice.ok(['rev-parse', `${main1}^{tree}`]);
        const bad = writeRawCommit(
          alice.dir,
          env(),
          `tree ${tree}\nparent ${main1}\ncommitter Mallory <m@example.org> 1767225600 +0000\n\nno author\n`,
        );
        const a = await push(tree, [bad], { parents: [bad] });
        expect(refChanges(a)).toEqual([]);
        expect(a.remote).toEqual([
          rejectedFor(A),
          `git-acl: commit ${bad}: invalid format - expected 'author' line (git fsck: missingAuthor)`,
        ]);
      } finally {
        forge.server(['config', '--unset', 'receive.unpackLimit']);
      }
    });
  }

  test("a .gitmodules whose URL git refuses, in Alice's own directory", async () => {
    const modules = blob('[submodule "x"]\n\tpath = x\n\turl = --upload-pack=touch /tmp/pwned\n');
    const mine = rawTree([{ mode: FILE, name: '.gitmodules', oid: modules }]);
    const root = sharedWith([{ mode: TREE, name: A, oid: mine }]);
    const a = await push(root, newObjects(root));
    expect(refChanges(a)).toEqual([]);
    expect(a.remote).toEqual([
      rejectedFor(A),
      `git-acl: shared/${A}/.gitmodules: disallowed submodule url: --upload-pack=touch /tmp/pwned (git fsck: gitmodulesUrl)`,
    ]);
  });
});

describe('stricter than git', () => {
  test('a file entry that names a tree the push brings', async () => {
    const inner = rawTree([{ mode: FILE, name: 'x', oid: blob('x\n') }]);
    const mine = rawTree([{ mode: FILE, name: 'looks-like-a-file', oid: inner }]);
    const root = sharedWith([{ mode: TREE, name: A, oid: mine }]);
    const a = await push(root, [...newObjects(root), inner]);
    expect(refChanges(a)).toEqual([]);
    expect(a.remote).toEqual([
      rejectedFor(A),
      `git-acl: shared/${A}/looks-like-a-file: its mode 100644 says it is a file, but the push brings ${inner} as a tree; git cannot check it out`,
    ]);
  });

  test('a mode git does not write (1, which git reads as a submodule) is refused; an old-style 100664 is read as 100644 and accepted', async () => {
    const odd = rawTree([{ mode: '1', name: 'odd', oid: blob('odd\n') }]);
    const root = sharedWith([{ mode: TREE, name: A, oid: odd }]);
    const a = await push(root, newObjects(root));
    expect(refChanges(a)).toEqual([]);
    expect(a.remote).toEqual([
      rejectedFor(A),
      `git-acl: shared/${A}/odd: mode 1 is not one git writes, and git reads it as another kind of entry (refused by git-acl; git fsck only warns: badFilemode)`,
    ]);
    const legacy = rawTree([{ mode: '100664', name: 'legacy', oid: blob('legacy\n') }]);
    const ok = sharedWith([{ mode: TREE, name: A, oid: legacy }]);
    const b = await push(ok, newObjects(ok));
    expect(b.remote).toEqual([]);
    expect(refChanges(b)).toHaveLength(1);
  });
});

describe('names a case-insensitive or normalising checkout would make one file', () => {
  // Invisible and bidi characters reach the pusher's terminal escaped (\u200c), as every name from a repository does.
  const line = (added: string, existing: string) =>
    `git-acl: shared/${added.replace(/\u200c/g, '\\u200c')} and shared/${existing} would be one file on a case-insensitive or Unicode-normalising file system (macOS, Windows): a checkout there would show one in place of the other; such a new name is refused`;

  for (const [what, name] of [
    ['in another case', 'Notes.txt'],
    ['with a character HFS+ ignores', 'notes\u200c.txt'],
    ['with a trailing dot (NTFS drops it)', 'notes.txt.'],
  ] as const) {
    test(`a new file next to Bob's shared/notes.txt, ${what}, is refused (the preset would allow creating it)`, async () => {
      const root = sharedWith([{ mode: FILE, name, oid: blob("Alice's notes\n") }]);
      const a = await push(root, newObjects(root));
      expect(refChanges(a)).toEqual([]);
      expect(a.remote).toEqual([rejectedFor(A), line(name, 'notes.txt')]);
    });
  }

  test("a new file whose NFD name is Bob's NFC name is refused", async () => {
    const bob = forge.clone('bob');
    const caf = bob.commitTree(
      { README: 'shared notes live in shared/\n', 'shared/notes.txt': "Bob's notes\n", 'shared/caf\u00e9.txt': 'nfc\n' },
      [main1],
      'bob: café',
    );
    expect(bob.push(`${caf}:refs/heads/main`).remote).toEqual([]);
    try {
      expect(alice.fetchRef('refs/heads/main')).toBe(caf);
      const tree = alice.commitTree(
        {
          README: 'shared notes live in shared/\n',
          'shared/notes.txt': "Bob's notes\n",
          'shared/caf\u00e9.txt': 'nfc\n',
          'shared/cafe\u0301.txt': 'nfd\n',
        },
        [caf],
        'alice',
      );
      const r = alice.push(`${tree}:refs/heads/main`);
      expect(r.remote).toEqual([rejectedFor(A), line('cafe\u0301.txt', 'caf\u00e9.txt')]);
      expect(forge.ref('refs/heads/main')).toBe(caf);
    } finally {
      forge.server(['update-ref', 'refs/heads/main', main1]);
    }
  });

  test('names that arrive together, in a new directory of her own, are hers to choose: accepted', () => {
    const c = alice.commitTree(
      {
        README: 'shared notes live in shared/\n',
        'shared/notes.txt': "Bob's notes\n",
        [`shared/${A}/Readme`]: 'a\n',
        [`shared/${A}/README`]: 'b\n',
      },
      [main1],
      'alice',
    );
    const r = alice.push(`${c}:refs/heads/main`);
    expect(r.remote).toEqual([]);
    expect(forge.ref('refs/heads/main')).toBe(c);
  });
});

describe("with git's own checks on (as `git acl init` sets them)", () => {
  test('git refuses a duplicate-entry tree before the hook runs: the second wall', async () => {
    forge.server(['config', 'receive.fsckObjects', 'true']);
    try {
      const root = sharedWith([{ mode: FILE, name: 'notes.txt', oid: blob("Alice's notes\n") }], true);
      const a = await push(root, newObjects(root));
      expect(refChanges(a)).toEqual([]);
      expect(a.remote.join('\n')).toMatch(/duplicateEntries: contains duplicate file entries/);
      expect(a.remote.some((l) => l.startsWith('git-acl: '))).toBe(false);
    } finally {
      withoutGitChecks(forge);
    }
  });
});
