/**
 * A malicious server against a verifying peer: each way of tampering with the
 * log or the refs is detected by `git acl verify`, naming the entry and the
 * ref. Every test works on its own copy of one honest server whose history
 * was made by real signed pushes; the forged entries are written with the
 * library's own entry builder, so each is well-formed and wrong only in the
 * way under test.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Forge, run, type Clone } from '../../support/forge.js';
import { cloneOf, copyServer, git, readLog, writeLog, type LoggedEntry } from '../../support/push-log.js';

const LOG = 'refs/heads/apps/push-log';

let forge: Forge;
let alice: Clone;
let bob: Clone;
let A: string;
let B: string;
let m1: string;
let t1: string;
let t2: string;
let t3: string;
let b1: string;
/** bob's refused push of b1 to main: its certificate (git stores it even for a refused push) and the hook's reasons. */
let refused: { oid: string; nonce: string; reasons: string[] };
let honest: LoggedEntry[];
let n = 0;

beforeAll(async () => {
  forge = Forge.create({ users: ['alice', 'bob'] });
  A = forge.user('alice').id;
  B = forge.user('bob').id;
  forge.setPolicy({ ...Forge.presetFiles('per-user-branches') }); // entry 2
  const owner = forge.clone('owner');
  alice = forge.clone('alice');
  bob = forge.clone('bob');
  for (const c of [owner, alice, bob]) {
    m1 = c.commitTree({ README: 'main\n' }, [], 'm1');
    t1 = c.commitTree({ 'a.txt': '1\n' }, [], 't1');
    t2 = c.commitTree({ 'a.txt': '2\n' }, [t1], 't2');
    t3 = c.commitTree({ 'a.txt': '3\n' }, [], 't3');
    b1 = c.commitTree({ README: 'main\n', 'b.txt': 'bob\n' }, [m1], 'b1');
  }
  const ok = (r: { code: number; stderr: string }) => expect(r.code, r.stderr).toBe(0);
  ok(owner.push(`${m1}:refs/heads/main`)); // 3
  ok(alice.push(`${t1}:refs/heads/${A}/topic`)); // 4
  ok(alice.push(`${t2}:refs/heads/${A}/topic`)); // 5
  ok(alice.push(`+${t3}:refs/heads/${A}/topic`)); // 6
  ok(alice.push(`${t1}:refs/heads/${A}/r`)); // 7
  ok(alice.push(`:refs/heads/${A}/r`)); // 8
  ok(bob.push(`${b1}:refs/heads/${B}/side`)); // 9
  const r = bob.push(`${b1}:refs/heads/main`);
  expect(r.code).not.toBe(0);
  const cert = forge.certificates().find((c) => c.text.includes(`${m1} ${b1} refs/heads/main\n`))!;
  refused = {
    oid: cert.oid,
    nonce: /^nonce (.*)$/m.exec(cert.text)![1]!,
    reasons: r.remote.slice(1).map((l) => l.replace(/^git-acl: /, '')),
  };
  honest = await readLog(forge.bare, forge.env);
  expect(honest).toHaveLength(9);
});
afterAll(() => forge?.cleanup());

/** A copy of the honest server and a fresh clone of it; `verify()` runs git acl verify there. */
function tamperable() {
  const name = `t${++n}`;
  const server = copyServer(forge, name);
  const clone = cloneOf(forge, server, `${name}-clone`);
  return {
    server,
    clone,
    git: (args: string[], input?: string) => git(server, forge.env, args, input),
    verify: (...args: string[]) => forge.acl(['verify', ...args], { cwd: clone }),
    log: () => readLog(server, forge.env),
  };
}

const short = (c: string) => c.slice(0, 12);

test('the honest log verifies', () => {
  const t = tamperable();
  const r = t.verify();
  expect(r.stdout).toBe(`verified the push log of origin: 9 entries (all 9 checked), tip ${honest[8]!.commit}\nowner: ${forge.owner.id}\n`);
  expect(r.code).toBe(0);
});

describe('tampering is detected, naming the entry and the ref', () => {
  test('a server-side update-ref outside any push: an unlogged update', () => {
    const t = tamperable();
    t.git(['update-ref', `refs/heads/${A}/topic`, t1]);
    const r = t.verify();
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n')).toEqual([
      `the push log of origin does not verify: 1 problem (tip ${honest[8]!.commit})`,
      `entry 9 (${short(honest[8]!.commit)}) refs/heads/${A}/topic: unlogged update: the remote has ${t1}, the log's replay ends at ${t3} (the ref moved without a log entry after entry 9, or its entry is missing)`,
      '',
    ]);
    const json = JSON.parse(t.verify('--json').stdout);
    expect(json.ok).toBe(false);
    expect(json.problems).toEqual([
      {
        entry: 9,
        commit: honest[8]!.commit,
        refs: [`refs/heads/${A}/topic`],
        reason: `unlogged update: the remote has ${t1}, the log's replay ends at ${t3} (the ref moved without a log entry after entry 9, or its entry is missing)`,
      },
    ]);
  });

  test('an entry dropped from the log, the log force-rewritten', async () => {
    const t = tamperable();
    // Entry 5 (alice's fast-forward t1 -> t2) disappears; every later entry is rewritten to chain without it.
    const log = [...honest.slice(0, 4), ...honest.slice(5)];
    const commits = await writeLog(t.server, forge.env, log);
    const r = t.verify();
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n')).toEqual([
      `the push log of origin does not verify: 1 problem (tip ${commits[7]})`,
      `entry 5 (${short(commits[4]!)}) refs/heads/${A}/topic: the update's old value is ${t2}, but the log's replay has ${t1}: the log misses an update of this ref, or this entry replays an old certificate`,
      '',
    ]);
  });

  test('a certificate byte changed in an entry', async () => {
    const t = tamperable();
    const cert = t.git(['cat-file', 'blob', honest[3]!.certificate!]);
    // One byte of the signed text: the pusher line's time moves by one second.
    const changed = cert.replace(
      /^(pusher .* )(\d+)( [+-]\d{4})$/m,
      (_m, a: string, ts: string, tz: string) => `${a}${Number(ts) + 1}${tz}`,
    );
    expect(changed).not.toBe(cert);
    const blob = t.git(['hash-object', '-w', '--stdin'], changed).trim();
    const log = honest.map((e, i) => (i === 3 ? { ...e, certificate: blob } : e));
    const commits = await writeLog(t.server, forge.env, log);
    const r = t.verify();
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n')).toEqual([
      `the push log of origin does not verify: 1 problem (tip ${commits[8]})`,
      `entry 4 (${short(commits[3]!)}) refs/heads/${A}/topic: bad push certificate signature (checked with keys/${A}.asc): Signed digest did not match`,
      '',
    ]);
  });

  test('an entry replaying an older certificate', async () => {
    const t = tamperable();
    // Entry 7 created A/r at t1 and entry 8 deleted it: the state matches entry 7's certificate again.
    const replay: LoggedEntry = { ...honest[6]!, meta: { ...honest[6]!.meta, time: honest[8]!.meta.time + 1000 } };
    const commits = await writeLog(t.server, forge.env, [...honest, replay]);
    t.git(['update-ref', `refs/heads/${A}/r`, t1]);
    const r = t.verify();
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n')).toEqual([
      `the push log of origin does not verify: 1 problem (tip ${commits[9]})`,
      `entry 10 (${short(commits[9]!)}) refs/heads/${A}/r: the certificate was already used by entry 7: a replayed certificate`,
      '',
    ]);
  });

  test('an entry whose update the policy of its time does not allow', async () => {
    const t = tamperable();
    // bob's refused push of b1 to main, logged anyway with the certificate git kept, and applied behind the hook's back.
    const forged: LoggedEntry = {
      commit: '',
      meta: {
        version: 1,
        kind: 'push',
        time: honest[8]!.meta.time + 1000,
        judgedAt: honest[8]!.meta.time + 1000,
        policy: honest[8]!.meta.policy,
        owner: forge.owner.id,
        pusher: B,
        nonce: refused.nonce,
      },
      certificate: refused.oid,
      updates: new TextEncoder().encode(`${m1} ${b1} refs/heads/main\n`),
      objects: [],
      extraParents: [b1],
      summary: 'forged',
    };
    const commits = await writeLog(t.server, forge.env, [...honest, forged]);
    t.git(['update-ref', 'refs/heads/main', b1]);
    const r = t.verify();
    expect(r.code).toBe(1);
    // Exactly what the hook told bob when it refused the push.
    expect(refused.reasons).toHaveLength(2);
    expect(refused.reasons[0]).toMatch(/^denied: no rule lets [0-9A-F]{40} fast-forward heads\/main/);
    expect(r.stdout.split('\n')).toEqual([
      `the push log of origin does not verify: 2 problems (tip ${commits[9]})`,
      ...refused.reasons.map((reason) => `entry 10 (${short(commits[9]!)}) refs/heads/main: ${reason}`),
      '',
    ]);
  });

  test('a log rolled back behind what this clone verified before', () => {
    const t = tamperable();
    expect(t.verify().code).toBe(0);
    // The server goes back two entries, refs included: a log consistent in itself.
    t.git(['update-ref', LOG, honest[6]!.commit]);
    t.git(['update-ref', '-d', `refs/heads/${B}/side`]);
    t.git(['update-ref', `refs/heads/${A}/r`, t1]);
    const r = t.verify();
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n')).toEqual([
      `the push log of origin does not verify: 1 problem (tip ${honest[6]!.commit})`,
      `entry ? (${short(honest[6]!.commit)}): the log does not descend from entry 9 (${honest[8]!.commit}) that this clone verified before: it was rewritten or rolled back (the log now has 7 entries)`,
      '',
    ]);
    // A fresh clone, which never saw the longer log, cannot tell: peers compare tips (docs/push-log.md).
    const fresh = cloneOf(forge, t.server, `t${n}-fresh`);
    const f = forge.acl(['verify'], { cwd: fresh });
    expect(f.stdout).toBe(
      `verified the push log of origin: 7 entries (all 7 checked), tip ${honest[6]!.commit}\nowner: ${forge.owner.id}\n`,
    );
  });

  test('a dropped entry is also a rewrite for a clone that verified before', async () => {
    const t = tamperable();
    expect(t.verify().code).toBe(0);
    await writeLog(t.server, forge.env, [...honest.slice(0, 4), ...honest.slice(5)]);
    const r = t.verify();
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      `: the log does not descend from entry 9 (${honest[8]!.commit}) that this clone verified before: it was rewritten or rolled back (the log now has 8 entries)`,
    );
    expect(run('git', ['-C', t.clone, 'rev-parse', 'refs/git-acl/verify/origin/heads/apps/push-log'], { env: forge.env }).code).toBe(0);
  });
});
