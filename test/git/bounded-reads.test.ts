/**
 * Reads with a size bound, corrupt objects, object directories whose path
 * holds `:`, and the child processes a store leaves behind. Real git
 * repositories; an old git (no `cat-file --batch-command`) is a wrapper
 * script that refuses that option the way git 2.35 does.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openCliStore } from '../../src/git/cli-store.js';
import { openNodeIsoStore } from '../../src/git/node-fs.js';
import { joinObjectDirectories, splitObjectDirectories } from '../../src/git/location.js';
import { killChildren, runningChildren } from '../../src/git/exec.js';
import { cleanupTempDirs, commit, file, initRepo, tempDir, writeBlob } from '../support/git.js';
import { withoutGitVars } from '../support/env.js';

afterAll(() => cleanupTempDirs());

let repo: string;
let small: string;
let large: string;
let root: string;

beforeAll(() => {
  repo = initRepo();
  small = writeBlob(repo, Buffer.from('small\n'));
  large = writeBlob(repo, Buffer.alloc(100_000, 0x61));
  root = commit(repo, [file('a', 'A')]);
});

/** A git that is git 2.35 as far as cat-file is concerned: `--batch-command` is an unknown option. */
function oldGit(): string {
  const dir = tempDir('old-git-');
  const script = path.join(dir, 'git');
  fs.writeFileSync(
    script,
    `#!/bin/sh\nfor a in "$@"; do [ "$a" = --batch-command ] && { echo "error: unknown option \\\`batch-command'" >&2; exit 129; }; done\nexec git "$@"\n`,
    { mode: 0o755 },
  );
  return script;
}

describe('bounded reads', () => {
  test('git before 2.36: requests in flight when the store finds out are all answered', async () => {
    const store = openCliStore(repo, { env: withoutGitVars(), git: oldGit() });
    try {
      const blobs = await Promise.all(Array.from({ length: 8 }, (_, i) => store.readBlob(i % 2 ? small : large)));
      expect(blobs.map((b) => b.length)).toEqual(Array.from({ length: 8 }, (_, i) => (i % 2 ? 6 : 100_000)));
    } finally {
      await store.close();
    }
  });

  for (const kind of ['git 2.39', 'git before 2.36', 'isomorphic-git'] as const) {
    test(`${kind}: a blob past maxBytes is refused with its size, one within is read`, async () => {
      const store =
        kind === 'isomorphic-git'
          ? openNodeIsoStore({ gitDir: repo })
          : openCliStore(repo, { env: withoutGitVars(), ...(kind === 'git before 2.36' ? { git: oldGit() } : {}) });
      try {
        expect(Buffer.from(await store.readBlob(small, { maxBytes: 6 })).toString()).toBe('small\n');
        await expect(store.readBlob(large, { maxBytes: 99_999 })).rejects.toThrow(
          `object ${large} is 100000 bytes, more than the 99999 this read allows`,
        );
        // The store is still usable after a refusal (nothing of the large blob was left in the pipe).
        expect((await store.readBlob(large)).length).toBe(100_000);
        const tree = (await store.readTree(await store.commitTree(root), { maxBytes: 1000 })).map((e) => e.name);
        expect(tree).toEqual(['a']);
        await expect(store.readTree(await store.commitTree(root), { maxBytes: 10 })).rejects.toThrow(
          / is 29 bytes, more than the 10 this read allows$/,
        );
      } finally {
        await store.close();
      }
    });
  }

  /** A copy of `repo` with a 64 MiB blob of zeros (a few kilobytes on disk), and a git that logs cat-file's requests and starts. */
  function bigRepo(): { big: string; oid: string; script: string; requests: () => string; starts: () => number } {
    const big = tempDir('big-');
    fs.cpSync(repo, big, { recursive: true });
    const oid = writeBlob(big, Buffer.alloc(64 * 1024 * 1024));
    const logs = tempDir('log-');
    const script = path.join(tempDir('tee-git-'), 'git');
    fs.writeFileSync(
      script,
      `#!/bin/sh\nif [ "$1" = cat-file ]; then echo start >> '${logs}/starts'; tee -a '${logs}/requests' | git "$@"; else exec git "$@"; fi\n`,
      { mode: 0o755 },
    );
    const read = (f: string) => (fs.existsSync(path.join(logs, f)) ? fs.readFileSync(path.join(logs, f), 'utf8') : '');
    return { big, oid, script, requests: () => read('requests'), starts: () => read('starts').split('\n').filter(Boolean).length };
  }

  test('the git store never reads the content of a blob past the bound: the header refuses it, the process is stopped', async () => {
    // Reading 64 MiB would take git's and node's time and memory: the refusal comes from the header alone, and the
    // process, which would go on writing the content, is stopped. The next reads go to a new one, sizes first.
    const { big, oid, script, requests, starts } = bigRepo();
    const store = openCliStore(big, { env: withoutGitVars(), git: script });
    try {
      await expect(store.readBlob(oid, { maxBytes: 1024 * 1024 })).rejects.toThrow(
        `object ${oid} is 67108864 bytes, more than the 1048576 this read allows`,
      );
      await expect(store.readBlob(oid, { maxBytes: 1024 * 1024 })).rejects.toThrow(
        `object ${oid} is 67108864 bytes, more than the 1048576 this read allows`,
      );
      await expect(store.readTree(oid, { maxBytes: 1024 * 1024 })).rejects.toThrow(`${oid} is a blob, not a tree`);
      expect(Buffer.from(await store.readBlob(small, { maxBytes: 6 })).toString()).toBe('small\n');
    } finally {
      await store.close();
    }
    expect(requests()).toBe(`contents ${oid}\ninfo ${small}\ncontents ${small}\n`);
    expect(starts()).toBe(2);
  });

  test('reads waiting behind an object past the bound are answered by a new process; one process is stopped at most', async () => {
    const { big, oid, script, starts } = bigRepo();
    const huge = writeBlob(big, Buffer.alloc(32 * 1024 * 1024, 0x62));
    const store = openCliStore(big, { env: withoutGitVars(), git: script });
    try {
      const reads = [small, oid, large, huge, small, large, oid].map((id) =>
        store.readBlob(id, { maxBytes: 1_000_000 }).then(
          (b) => `${b.length}`,
          (e: Error) => e.message,
        ),
      );
      expect(await Promise.all(reads)).toEqual([
        '6',
        `object ${oid} is 67108864 bytes, more than the 1000000 this read allows`,
        '100000',
        `object ${huge} is 33554432 bytes, more than the 1000000 this read allows`,
        '6',
        '100000',
        `object ${oid} is 67108864 bytes, more than the 1000000 this read allows`,
      ]);
      expect((await store.readBlob(large)).length).toBe(100_000);
    } finally {
      await store.close();
    }
    expect(starts()).toBe(2);
  });
});

describe('corrupt objects', () => {
  test('a loose object git cannot inflate is reported as corrupt, not as not found (git store)', async () => {
    const r = tempDir('corrupt-');
    fs.cpSync(repo, r, { recursive: true });
    const oid = writeBlob(r, Buffer.from('to be damaged\n'));
    const f = path.join(r, 'objects', oid.slice(0, 2), oid.slice(2));
    fs.chmodSync(f, 0o644);
    fs.writeFileSync(f, 'not zlib at all');
    const store = openCliStore(r, { env: withoutGitVars() });
    try {
      await expect(store.readBlob(oid)).rejects.toThrow(`object ${oid} is corrupt: git cannot read its file ${f}`);
      await expect(store.readType(oid)).rejects.toThrow(`object ${oid} is corrupt: git cannot read its file ${f}`);
      await expect(store.readBlob(oid, { maxBytes: 10 })).rejects.toThrow(`object ${oid} is corrupt: git cannot read its file ${f}`);
      const absent = 'de'.repeat(20);
      await expect(store.readBlob(absent)).rejects.toThrow(`object ${absent} not found`);
    } finally {
      await store.close();
    }
  });
});

describe('object directories whose path holds a colon', () => {
  test('joined as git joins them, and read back as one directory each', () => {
    const dirs = ['/srv/a:b.git/objects', '/plain/objects', '"/odd', '/tab\there'];
    const joined = joinObjectDirectories(dirs);
    expect(joined).toBe('"/srv/a:b.git/objects":/plain/objects:"\\"/odd":/tab\there');
    expect(splitObjectDirectories(joined)).toEqual(dirs);
  });

  test('a store on a repository under a path with a colon reads through an alternate there', async () => {
    const parent = path.join(tempDir('colon-'), 'a:b');
    fs.mkdirSync(parent);
    const withColon = path.join(parent, 'repo.git');
    fs.cpSync(repo, withColon, { recursive: true });
    const empty = initRepo();
    const store = openCliStore({ gitDir: empty, alternateObjectDirectories: [path.join(withColon, 'objects')] }, { env: withoutGitVars() });
    try {
      expect(Buffer.from(await store.readBlob(small)).toString()).toBe('small\n');
    } finally {
      await store.close();
    }
  });
});

describe('child processes', () => {
  test('killChildren ends every git child a store started, and they are forgotten', async () => {
    const store = openCliStore(repo, { env: withoutGitVars() });
    await store.readBlob(small);
    expect(runningChildren()).toBeGreaterThan(0);
    const pids = fs
      .readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .filter((p) => {
        try {
          return (
            fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('cat-file\0--batch-command') &&
            Number(fs.readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]) === process.pid
          );
        } catch {
          return false;
        }
      });
    expect(pids.length).toBeGreaterThan(0);
    expect(killChildren()).toBeGreaterThan(0);
    expect(runningChildren()).toBe(0);
    await store.close();
    for (const p of pids) {
      // Reaped by node once 'close' ran; either way it no longer runs.
      const state = fs.existsSync(`/proc/${p}/stat`) ? fs.readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' ')[0] : 'gone';
      expect(['gone', 'Z', 'X']).toContain(state);
    }
  });
});
