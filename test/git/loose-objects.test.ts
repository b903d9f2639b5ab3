/**
 * In-process loose reads (src/git/loose-objects.ts) give what git gives, and leave to the store behind everything
 * they cannot be certain of: packed, corrupt, trailing bytes, another id, another type, past the bound; in front of
 * a store, also what git compressed (only the log's uncompressed objects are read in-process there). And the push
 * log's loose objects written uncompressed (zlibStored, src/git/loose-objects.ts) are objects git reads and fsck
 * accepts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { deflateSync, inflateSync } from 'node:zlib';
import { afterAll, expect, test } from 'vitest';
import { openCliStore } from '../../src/git/cli-store.js';
import type { ObjectStore } from '../../src/git/store.js';
import { readLooseObject, unzlibStored, withLooseReads, zlibStored } from '../../src/git/loose-objects.js';
import { hashObject, writeLooseObjects } from '../../src/server/objects.js';
import { cleanupTempDirs, git, gitEnv, initRepo, recordCalls, runGit } from '../support/git.js';

afterAll(() => cleanupTempDirs());

/** A blob, a tree and a commit, each a loose file as the log writes its own (uncompressed), and a reader in front of git. */
function setup() {
  const gitDir = initRepo();
  const file = (oid: string) => path.join(gitDir, 'objects', oid.slice(0, 2), oid.slice(2));
  const uncompressed = (oid: string) => {
    const raw = inflateSync(fs.readFileSync(file(oid)));
    fs.chmodSync(file(oid), 0o644);
    fs.writeFileSync(file(oid), zlibStored(raw));
    return oid;
  };
  const blob = uncompressed(git(['hash-object', '-w', '--stdin'], { gitDir, input: 'hello\n' }));
  const tree = uncompressed(git(['mktree'], { gitDir, input: `100644 blob ${blob}\tf.txt\n` }));
  const commit = uncompressed(git(['commit-tree', tree, '-m', 'c'], { gitDir }));
  const store = openCliStore(gitDir, { env: gitEnv() });
  const { proxy: counting, calls: asked } = recordCalls<ObjectStore>(store);
  const fast = withLooseReads(counting, [path.join(gitDir, 'objects')]);
  return { gitDir, blob, tree, commit, store, counting, fast, asked, file };
}

test('small loose objects are read in-process, equal to what git gives', async () => {
  const s = setup();
  try {
    expect(await s.fast.readObject(s.commit)).toEqual(await s.store.readObject(s.commit));
    expect(await s.fast.commitTree(s.commit, { maxBytes: 4096 })).toBe(s.tree);
    expect(await s.fast.readTree(s.tree, { maxBytes: 4096 })).toEqual(await s.store.readTree(s.tree));
    expect(Buffer.from(await s.fast.readBlob(s.blob, { maxBytes: 6 })).toString()).toBe('hello\n');
    expect(await s.fast.readType(s.tree)).toBe('tree'); // read already
    expect(s.asked).toEqual([]);
    const other = git(['hash-object', '-w', '--stdin'], { gitDir: s.gitDir, input: 'other\n' });
    expect(await s.fast.readType(other)).toBe('blob'); // not read yet: the store's header-only answer
    expect(s.asked).toEqual(['readType']);
    // Compressed by git: read in-process on its own, from git in front of it (no zlib loaded for it in a hook).
    expect(Buffer.from(readLooseObject([path.join(s.gitDir, 'objects')], other)!.content).toString()).toBe('other\n');
    expect(readLooseObject([path.join(s.gitDir, 'objects')], other, undefined, { inflate: false })).toBeUndefined();
    expect(Buffer.from(await s.fast.readBlob(other)).toString()).toBe('other\n');
    expect(s.asked).toEqual(['readType', 'readBlob']);
  } finally {
    await s.store.close();
  }
});

test('what it cannot be certain of is asked of the store, which gives git answers and git errors', async () => {
  const s = setup();
  try {
    // Another type, past the bound: the store's errors.
    await expect(s.fast.readBlob(s.commit)).rejects.toThrow(/commit/);
    await expect(s.fast.readBlob(s.blob, { maxBytes: 5 })).rejects.toThrow(/6 bytes|more than/);
    expect(s.asked).toEqual(['readBlob', 'readBlob']);
    s.asked.length = 0;
    // Bytes after the zlib stream: git calls the object corrupt.
    const body = fs.readFileSync(s.file(s.blob));
    fs.chmodSync(s.file(s.blob), 0o644);
    fs.writeFileSync(s.file(s.blob), Buffer.concat([body, Buffer.from('junk')]));
    expect(readLooseObject([path.join(s.gitDir, 'objects')], s.blob)).toBeUndefined();
    // A file that inflates to an object of another id.
    fs.writeFileSync(s.file(s.blob), deflateSync(Buffer.from('blob 6\0HELLO\n')));
    expect(readLooseObject([path.join(s.gitDir, 'objects')], s.blob)).toBeUndefined();
    // A fresh reader (one keeps its last object: an id names its bytes).
    const fresh = withLooseReads(s.store, [path.join(s.gitDir, 'objects')]);
    expect(Buffer.from(await fresh.readBlob(s.blob)).toString()).toBe('HELLO\n'); // what git reads, from git
    s.asked.push('readBlob');
    expect(s.asked).toEqual(['readBlob']);
    // Not zlib at all: the store's corrupt-object error.
    fs.writeFileSync(s.file(s.blob), 'not zlib');
    await expect(withLooseReads(s.store, [path.join(s.gitDir, 'objects')]).readBlob(s.blob)).rejects.toThrow(/corrupt/);
    // Packed: not loose, asked of the store.
    fs.writeFileSync(s.file(s.blob), body);
    runGit(['update-ref', 'refs/heads/main', s.commit], { gitDir: s.gitDir });
    runGit(['repack', '-adq'], { gitDir: s.gitDir });
    runGit(['prune-packed'], { gitDir: s.gitDir });
    expect(fs.existsSync(s.file(s.tree))).toBe(false);
    s.asked.length = 0;
    expect(await s.fast.readTree(s.tree)).toEqual(await s.store.readTree(s.tree));
    expect(s.asked).toEqual(['readTree']);
  } finally {
    await s.store.close();
  }
});

test('directories are searched in the order given, as git does: a file missing from one is looked for in the next', async () => {
  const s = setup();
  try {
    const objects = path.join(s.gitDir, 'objects');
    const empty = path.join(s.gitDir, 'empty-quarantine'); // as a fresh quarantine: no fan-out directory yet
    fs.mkdirSync(empty);
    const notDir = path.join(s.gitDir, 'a-file');
    fs.writeFileSync(notDir, '');
    const want = readLooseObject([objects], s.tree)!;
    expect(want.type).toBe('tree');
    expect(readLooseObject([empty, objects], s.tree)).toEqual(want);
    expect(readLooseObject([notDir, objects], s.tree)).toEqual(want); // ENOTDIR: not there, as for git
    expect(readLooseObject([empty], s.tree)).toBeUndefined();
    // Something else under the object's name in the first directory: not certain, so the store is asked.
    fs.mkdirSync(path.join(empty, s.tree.slice(0, 2), s.tree.slice(2)), { recursive: true });
    expect(readLooseObject([empty, objects], s.tree)).toBeUndefined();
    // The path as git makes it: a directory named with a trailing slash or through ".." is not rewritten.
    expect(readLooseObject([`${objects}/`], s.tree)).toEqual(want);
    expect(readLooseObject([path.join(s.gitDir, 'refs') + '/../objects'], s.tree)).toEqual(want);
  } finally {
    await s.store.close();
  }
});

test("readCommit: a loose commit's bytes in-process within the bound; anything else with the store's checks and errors", async () => {
  const s = setup();
  try {
    const { content } = await s.store.readObject(s.commit);
    expect(await s.fast.readCommit(s.commit, { maxBytes: 4096 })).toEqual(content);
    expect(s.asked).toEqual([]);
    // Past the bound or not a commit: commitTree's refusal, from the store.
    const refusal = (p: Promise<unknown>) => p.then(String, (e: Error) => e.message);
    const tooLarge = await refusal(s.store.commitTree(s.commit, { maxBytes: content.length - 1 }));
    const notCommit = await refusal(s.store.commitTree(s.blob, { maxBytes: 4096 }));
    expect([tooLarge, notCommit]).toEqual([expect.stringMatching(/more than/), expect.stringMatching(/blob/)]);
    expect(await refusal(s.fast.readCommit(s.commit, { maxBytes: content.length - 1 }))).toBe(tooLarge);
    expect(await refusal(s.fast.readCommit(s.blob, { maxBytes: 4096 }))).toBe(notCommit);
    expect(s.asked).toEqual(['commitTree', 'commitTree']);
    s.asked.length = 0;
    // Packed: the store's bounded commitTree first, then the bytes.
    runGit(['update-ref', 'refs/heads/main', s.commit], { gitDir: s.gitDir });
    runGit(['repack', '-adq'], { gitDir: s.gitDir });
    runGit(['prune-packed'], { gitDir: s.gitDir });
    expect(fs.existsSync(s.file(s.commit))).toBe(false);
    const packed = withLooseReads(s.counting, [path.join(s.gitDir, 'objects')]); // a fresh reader: none kept
    expect(await packed.readCommit(s.commit, { maxBytes: 4096 })).toEqual(content);
    expect(s.asked).toEqual(['commitTree', 'readObject']);
  } finally {
    await s.store.close();
  }
});

test('the log writes small objects uncompressed: git reads them and fsck --strict accepts them', async () => {
  const gitDir = initRepo();
  const blob = { type: 'blob', body: Buffer.from('x'.repeat(70000)) }; // past one stored block, past the stored size
  const small = { type: 'blob', body: Buffer.from('entry\n') };
  const empty = { type: 'blob', body: Buffer.alloc(0) };
  const objects = [blob, small, empty].map((o) => ({ ...o, oid: hashObject(o.type, o.body, 'sha1') }));
  const tree = Buffer.concat(objects.map((o, i) => Buffer.concat([Buffer.from(`100644 f${i}\0`), Buffer.from(o.oid, 'hex')])));
  const treeObject = { type: 'tree', body: tree, oid: hashObject('tree', tree, 'sha1') };
  await writeLooseObjects(path.join(gitDir, 'objects'), [...objects, treeObject] as never);
  const loose = fs.readFileSync(path.join(gitDir, 'objects', objects[1]!.oid.slice(0, 2), objects[1]!.oid.slice(2)));
  expect(loose.subarray(0, 2)).toEqual(Buffer.from([0x78, 0x01])); // stored blocks
  expect(git(['cat-file', '-p', objects[1]!.oid], { gitDir })).toBe('entry');
  expect(git(['cat-file', '-s', objects[0]!.oid], { gitDir })).toBe('70000');
  expect(git(['cat-file', '-s', objects[2]!.oid], { gitDir })).toBe('0');
  expect(git(['ls-tree', treeObject.oid], { gitDir }).split('\n')).toHaveLength(3);
  runGit(['update-ref', 'refs/heads/main', git(['commit-tree', treeObject.oid, '-m', 't'], { gitDir })], { gitDir });
  const fsck = runGit(['fsck', '--strict', '--no-dangling'], { gitDir, allowFail: true });
  expect(fsck.stderr).toBe('');
  expect(fsck.status).toBe(0);
  const store = openCliStore(gitDir, { env: gitEnv() });
  try {
    expect(Buffer.from(await withLooseReads(store, [path.join(gitDir, 'objects')]).readBlob(objects[1]!.oid)).toString()).toBe('entry\n');
  } finally {
    await store.close();
  }
});

test('stored zlib streams: zlib reads what zlibStored writes, unzlibStored reads it back, and refuses any other stream', () => {
  for (const n of [0, 1, 100, 5552, 5553, 65535, 65536, 200000]) {
    const data = n % 2 ? randomBytes(n) : Buffer.alloc(n, 0xff); // all 0xff: the checksum's largest sums
    const z = zlibStored(data);
    expect(inflateSync(z)).toEqual(data);
    expect(unzlibStored(z, n)).toEqual(data);
    expect(unzlibStored(z, n - 1)).toBeUndefined(); // past the bound
    const badSum = Buffer.from(z);
    badSum[badSum.length - 1]! ^= 1;
    expect(unzlibStored(badSum, n)).toBeUndefined();
    expect(unzlibStored(Buffer.concat([z, Buffer.from('x')]), n)).toBeUndefined();
  }
  expect(unzlibStored(deflateSync(Buffer.from('blob 5\0hello')), 100)).toBeUndefined(); // compressed: zlib's job
});
