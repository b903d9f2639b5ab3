/**
 * readEntry (src/push/log-entries.ts) reads an entry's commit once through a store that has `readCommit` (the
 * admission's loose reads, src/git/loose-objects.ts), and through `commitTree` then `readObject` from any other
 * store. Both ways give the same entry and refuse a malformed one with the same line: the checks must not depend
 * on where the entry is (loose, packed) or which store reads it.
 */
import * as path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { openCliStore, type CliStore } from '../../src/git/cli-store.js';
import { withLooseReads } from '../../src/git/loose-objects.js';
import type { ObjectStore } from '../../src/git/store.js';
import { buildEntry, LOG_LIMITS, type EntryContent, type EntryMeta } from '../../src/push/log-format.js';
import { readEntry } from '../../src/push/log-entries.js';
import { hashObject, writeLooseObjects } from '../../src/server/objects.js';
import { cleanupTempDirs, commit, file, git, gitEnv, initRepo, recordCalls, runGit, writeBlob, ZERO_OID } from '../support/git.js';

const OWNER = '0123456789ABCDEF0123456789ABCDEF01234567';
const T = 1_796_000_000_000;

let gitDir: string;
let cli: CliStore;
let loose: ObjectStore;
/** Every store readEntry meets, by name: the plain git store, and the admission's loose reads in front of it. */
let stores: Array<[string, ObjectStore]>;
let policy: string;
let tip: string;
let start: string;
let push: string;
let cert: string;

async function write(content: Omit<EntryContent, 'algo' | 'hash'>): Promise<string> {
  const { commit: c, objects } = await buildEntry({ ...content, algo: 'sha1', hash: hashObject });
  await writeLooseObjects(path.join(gitDir, 'objects'), objects);
  return c;
}

function pushMeta(previous: string, over: Partial<EntryMeta> = {}): EntryMeta {
  return {
    version: 1,
    kind: 'push',
    previous,
    time: T + 1000,
    judgedAt: T + 900,
    policy,
    owner: OWNER,
    pusher: OWNER,
    nonce: '1796000000-00ff',
    ...over,
  };
}

const pushEntry = (previous: string, over: Partial<EntryContent> = {}) =>
  write({
    meta: pushMeta(previous),
    certificate: cert,
    updates: Buffer.from(`${ZERO_OID} ${tip} refs/heads/x\n`),
    extraParents: [tip],
    summary: 'push',
    ...over,
  });

/** What readEntry gives (the entry) or throws (its message), through `store`. */
const outcome = (store: ObjectStore, c: string) =>
  readEntry(store, c).then(
    (e) => ({ entry: e }),
    (e: Error) => ({ error: e.message }),
  );

beforeAll(async () => {
  gitDir = initRepo();
  cli = openCliStore(gitDir, { env: gitEnv() });
  loose = withLooseReads(cli, [path.join(gitDir, 'objects')]);
  stores = [
    ['git', cli],
    ['loose reads', loose],
  ];
  policy = commit(gitDir, [file('owner', `${OWNER}\n`)]);
  tip = commit(gitDir, [file('a.txt', 'a\n')]);
  cert = writeBlob(gitDir, 'a certificate, as far as readEntry is concerned\n');
  start = await write({
    meta: { version: 1, kind: 'start', time: T, policy, owner: OWNER },
    refs: new Map([['refs/heads/x', tip]]),
    extraParents: [tip],
    summary: 'start',
  });
  push = await pushEntry(start);
});
afterAll(async () => {
  await cli?.close();
  cleanupTempDirs();
});

test('an entry read through either store is the same entry, its commit read once with the loose reads', async () => {
  const fromGit = await readEntry(cli, push);
  expect(fromGit.meta).toEqual(pushMeta(start));
  expect(fromGit.certificate).toBe(cert);
  expect(await readEntry(loose, push)).toEqual(fromGit);
  expect(await readEntry(loose, start)).toEqual(await readEntry(cli, start));

  const behind = recordCalls<ObjectStore>(cli);
  const fresh = recordCalls(withLooseReads(behind.proxy, [path.join(gitDir, 'objects')]));
  expect(await readEntry(fresh.proxy, push)).toEqual(fromGit);
  // The commit read once, its tree and entry file after it; nothing asked of git.
  expect([fresh.calls, behind.calls]).toEqual([['readCommit', 'readTree', 'readBlob'], []]);
});

test('an entry commit whose first parent is not its previous entry: the same line through either store', () => {
  // The push entry's tree on top of another commit: its entry file names `start` as previous, its first parent is `tip`.
  const tree = git(['rev-parse', `${push}^{tree}`], { gitDir });
  const wrong = git(['commit-tree', tree, '-p', tip, '-p', start, '-m', 'push'], { gitDir, env: gitEnv() });
  const line = `the entry commit's first parent is ${tip}, not its previous entry ${start}`;
  return Promise.all(stores.map(async ([, store]) => expect(await outcome(store, wrong)).toEqual({ error: line })));
});

test('an entry commit past the bound of its kind is refused with the same line through either store, loose or packed', async () => {
  // A push entry's commit may have LOG_LIMITS.pushBytes: one message byte more than that. (Past the loose reads'
  // own bound too, so they give it to git, as they give every object they do not read themselves.)
  const big = await pushEntry(start, { summary: `${'x'.repeat(LOG_LIMITS.pushBytes)}\n` });
  const size = Number(git(['cat-file', '-s', big], { gitDir }));
  expect(size).toBeGreaterThan(LOG_LIMITS.pushBytes);
  const line = `the entry commit is ${size} bytes, more than the ${LOG_LIMITS.pushBytes} a push entry's commit may have`;
  for (const [, store] of stores) expect(await outcome(store, big)).toEqual({ error: line });

  // Not a commit at all: the store's error, the same both ways.
  const notCommit = await outcome(cli, cert);
  expect(notCommit).toEqual({ error: expect.stringMatching(/blob/) });
  expect(await outcome(loose, cert)).toEqual(notCommit);

  // Packed (git gc): the loose reads find no file and ask git, which reads the same entry and refuses the same way.
  runGit(['update-ref', 'refs/heads/log', push], { gitDir });
  runGit(['update-ref', 'refs/heads/big', big], { gitDir });
  runGit(['repack', '-adq'], { gitDir });
  runGit(['prune-packed'], { gitDir });
  const repacked = withLooseReads(cli, [path.join(gitDir, 'objects')]);
  expect(await readEntry(repacked, push)).toEqual(await readEntry(cli, push));
  expect(await outcome(repacked, big)).toEqual({ error: line });
});
