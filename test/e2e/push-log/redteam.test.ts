/**
 * Red team against the push log and `git acl verify`: a malicious server that
 * crafts entries by hand (git hash-object / mktree / commit-tree), replays
 * certificates, and moves refs behind the hook's back. Each test is one
 * attack; the ones verify catches show the exact lines it prints, the ones it
 * cannot catch by design are `test.fails` with the limit named (and
 * documented in docs/push-log.md).
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Forge, type Clone } from '../../support/forge.js';
import { cloneOf, copyServer, git, readLog, writeLog, type LoggedEntry } from '../../support/push-log.js';

const LOG = 'refs/heads/apps/push-log';

let forge: Forge;
let alice: Clone;
let A: string;
let m1: string;
let t1: string;
let t2: string;
let honest: LoggedEntry[];
let n = 0;

beforeAll(async () => {
  forge = Forge.create({ users: ['alice', 'bob'] });
  A = forge.user('alice').id;
  forge.setPolicy({ ...Forge.presetFiles('per-user-branches') }); // entry 2
  const owner = forge.clone('owner');
  alice = forge.clone('alice');
  for (const c of [owner, alice]) {
    m1 = c.commitTree({ README: 'main\n' }, [], 'm1');
    t1 = c.commitTree({ 'a.txt': '1\n' }, [], 't1');
    t2 = c.commitTree({ 'a.txt': '2\n' }, [t1], 't2');
  }
  const ok = (r: { code: number; stderr: string }) => expect(r.code, r.stderr).toBe(0);
  ok(owner.push(`${m1}:refs/heads/main`)); // 3
  ok(alice.push(`${t1}:refs/heads/${A}/topic`)); // 4
  ok(alice.push(`${t1}:refs/heads/${A}/r`)); // 5
  ok(alice.push(`:refs/heads/${A}/r`)); // 6
  honest = await readLog(forge.bare, forge.env);
  expect(honest).toHaveLength(6);
});
afterAll(() => forge?.cleanup());

/** A copy of the honest server and a fresh clone of it; `verify()` runs git acl verify there. */
function tamperable() {
  const name = `rt${++n}`;
  const server = copyServer(forge, name);
  const clone = cloneOf(forge, server, `${name}-clone`);
  return {
    name,
    server,
    clone,
    git: (args: string[], input?: string) => git(server, forge.env, args, input),
    verify: (...args: string[]) => forge.acl(['verify', ...args], { cwd: clone }),
  };
}

const short = (c: string) => c.slice(0, 12);
const lines = (s: string) => s.split('\n');
const tip = () => honest[honest.length - 1]!;

/** The entry after the honest log: its last entry again, `time` later (so also a replayed certificate). */
const again = (over: Partial<LoggedEntry>, time = tip().meta.time + 1000): LoggedEntry => ({
  ...tip(),
  ...over,
  meta: { ...tip().meta, time },
});

test('an entry commit whose first parent is not its previous entry (peers comparing tips by first parents would be fooled)', () => {
  const t = tamperable();
  // The server shows this clone a log that ends at entry 5 again (A/r created, never deleted), written as a
  // commit whose first parent is the honest tip: following first parents, as peers do to compare tips, this
  // log "contains" every honest entry, although its entries (by `previous`) never deleted A/r.
  const tree = t.git(['show', '-s', '--format=%T', honest[4]!.commit]).trim();
  const forged = t.git(['commit-tree', tree, '-p', tip().commit, '-p', t1, '-m', 'forged']).trim();
  t.git(['update-ref', LOG, forged]);
  t.git(['update-ref', `refs/heads/${A}/r`, t1]);
  expect(t.git(['rev-list', '--first-parent', LOG]).split('\n')).toContain(tip().commit);
  const r = t.verify();
  expect(r.code).toBe(1);
  expect(lines(r.stdout)).toEqual([
    `the push log of origin does not verify: 1 problem (tip ${forged})`,
    `entry ? (${short(forged)}): cannot read this log entry (0 after the tip): the entry commit's first parent is ${tip().commit}, not its previous entry ${honest[3]!.commit}`,
    '',
  ]);
});

test('an entry dated past what a date can hold is reported, not a crash', async () => {
  const t = tamperable();
  const commits = await writeLog(t.server, forge.env, [...honest, again({}, 9_000_000_000_000_000)]);
  const r = t.verify();
  expect(r.stderr).toBe('');
  expect(r.code).toBe(1);
  const at = `entry 7 (${short(commits[6]!)}) refs/heads/${A}/r`;
  expect(lines(r.stdout)).toEqual([
    `the push log of origin does not verify: 4 problems (tip ${commits[6]})`,
    `${at}: dated 9000000000000000 ms after 1970, in the future`,
    `${at}: judged at ${new Date(tip().meta.judgedAt!).toISOString()}, which is not within 11 minutes before the entry's time 9000000000000000 ms after 1970`,
    `${at}: the update's old value is ${t1}, but the log's replay has no such ref: the log misses an update of this ref, or this entry replays an old certificate`,
    `${at}: the certificate was already used by entry 6: a replayed certificate`,
    '',
  ]);
});

test('a certificate past the 4 MiB a certificate can have is not read', async () => {
  const t = tamperable();
  const big = t.git(['hash-object', '-w', '--stdin'], 'x'.repeat(4 * 1024 * 1024 + 1)).trim();
  const commits = await writeLog(t.server, forge.env, [...honest, again({ certificate: big })]);
  const r = t.verify();
  expect(r.code).toBe(1);
  const at = `entry 7 (${short(commits[6]!)}) refs/heads/${A}/r`;
  expect(lines(r.stdout)).toEqual([
    `the push log of origin does not verify: 2 problems (tip ${commits[6]})`,
    `${at}: the update's old value is ${t1}, but the log's replay has no such ref: the log misses an update of this ref, or this entry replays an old certificate`,
    `${at}: the certificate file is 4194305 bytes, more than the 4194304 a reader reads (docs/push-log.md#limits-and-consequences)`,
    '',
  ]);
});

test("an entry tree in another encoding than the format's: an executable entry file, or a stray file in objects/", () => {
  const got: string[][] = [];
  for (const k of ['mode', 'objects'] as const) {
    const t = tamperable();
    const ls = t.git(['ls-tree', tip().commit]);
    const stray = t.git(['mktree'], `100644 blob ${t.git(['hash-object', '-w', '--stdin'], 'junk').trim()}\tREADME\n`).trim();
    const tree = t
      .git(['mktree'], k === 'mode' ? ls.replace(/^100644 (blob \S+\tentry)$/m, '100755 $1') : `${ls}040000 tree ${stray}\tobjects\n`)
      .trim();
    const forged = t.git(['commit-tree', tree, '-p', honest[4]!.commit, '-m', tip().summary]).trim();
    t.git(['update-ref', LOG, forged]);
    const r = t.verify();
    expect(r.code).toBe(1);
    got.push(lines(r.stdout).map((l) => l.replaceAll(forged, '<forged>').replaceAll(short(forged), '<forged>')));
  }
  expect(got).toEqual([
    [
      'the push log of origin does not verify: 1 problem (tip <forged>)',
      'entry ? (<forged>): cannot read this log entry (0 after the tip): the entry file has mode 100755, not 100644',
      '',
    ],
    [
      'the push log of origin does not verify: 1 problem (tip <forged>)',
      'entry ? (<forged>): cannot read this log entry (0 after the tip): objects/ holds "README" (mode 100644), not <oid> or <oid>.tag',
      '',
    ],
  ]);
});

test('a ref name with terminal controls in an entry is printed escaped, in text and in --json', async () => {
  const t = tamperable();
  const ref = 'refs/heads/\x1b]0;pwn\x07\u009b31m';
  const commits = await writeLog(t.server, forge.env, [...honest, again({ updates: new TextEncoder().encode(`${t1} ${t2} ${ref}\n`) })]);
  const r = t.verify();
  expect(r.code).toBe(1);
  const at = `entry 7 (${short(commits[6]!)}) refs/heads/\\x1b]0;pwn\\x07\\x9b31m`;
  expect(lines(r.stdout)).toEqual([
    `the push log of origin does not verify: 4 problems (tip ${commits[6]})`,
    `${at}: the update's old value is ${t1}, but the log's replay has no such ref: the log misses an update of this ref, or this entry replays an old certificate`,
    `${at}: the update ${t1} ${t2} is not in the entry's signed push certificate`,
    `${at}: the certificate was already used by entry 6: a replayed certificate`,
    `${at}: unlogged update: the remote has no such ref, the log's replay ends at ${t2} (the ref moved without a log entry after entry 7, or its entry is missing)`,
    '',
  ]);
  const j = t.verify('--json');
  expect(j.stdout).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
  expect(j.stdout).toContain('"refs/heads/\\u001b]0;pwn\\u0007\\u009b31m"');
  expect(JSON.parse(j.stdout).problems.map((p: { refs: string[] }) => p.refs)).toEqual([[ref], [ref], [ref], [ref]]);
});

// Design limit (docs/push-log.md, threat model): a peer cannot check the certificate's pushee (the URL the
// pusher pushed to) nor its nonce's HMAC (it needs the server's secret seed), so a certificate that a user
// signed for another repository whose refs had the same old values (a fork, a mirror) can be logged here.
test("a certificate signed for another repository, logged here, verifies: the known limit (pushee and nonce seed are the server's)", async () => {
  const x = tamperable();
  const y = tamperable();
  const ok = (r: { code: number; stderr: string }) => expect(r.code, r.stderr).toBe(0);
  // alice pushes to X only: first a branch of her own (X's log now differs from Y's), then A/topic t1 -> t2.
  ok(alice.git(['push', '--signed', '--porcelain', x.server, `${t1}:refs/heads/${A}/x`]));
  ok(alice.git(['push', '--signed', '--porcelain', x.server, `${t2}:refs/heads/${A}/topic`]));
  const xlog = await readLog(x.server, forge.env);
  const stolen = xlog[xlog.length - 1]!;
  expect(stolen.meta.previous).not.toBe(tip().commit);
  // Y's server takes the certificate and the objects, and logs the push as if alice had made it to Y.
  y.git(['hash-object', '-w', '--stdin'], x.git(['cat-file', 'blob', stolen.certificate!]));
  y.git(['fetch', '-q', x.server, `refs/heads/${A}/topic:refs/stolen`]);
  y.git(['update-ref', '-d', 'refs/stolen']);
  await writeLog(y.server, forge.env, [...honest, stolen]);
  y.git(['update-ref', `refs/heads/${A}/topic`, t2]);
  const r = y.verify();
  expect(r.stdout).toBe(
    `verified the push log of origin: 7 entries (all 7 checked), tip ${y.git(['rev-parse', LOG]).trim()}\nowner: ${forge.owner.id}\n`,
  );
  // What the claim "a server cannot forge" would need is exit 1; verify passes instead. A fix makes this fail.
  expect(r.code).toBe(0);
});

// No push may write under refs/git-acl/ (git-acl's own namespace on each peer), and verify fetches it like any
// other ref: a server ref there moved outside any push.
test('a ref moved outside the log under refs/git-acl/verify/ on the server is an unlogged update', () => {
  const t = tamperable();
  t.git(['update-ref', 'refs/git-acl/verify/hidden', m1]);
  const r = t.verify();
  expect(r.stdout).toContain(`refs/git-acl/verify/hidden: unlogged update: the remote has ${m1}, the log's replay ends at no such ref`);
  expect(r.code).toBe(1);
});
