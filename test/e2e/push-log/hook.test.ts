/**
 * Writing the log under concurrency and faults, through the installed hooks:
 * ten pushes racing for the log, a policy that moves while a push waits, a
 * replayed certificate, a receive-pack killed between its ref update and its
 * log entry, and a push git applies only in part. The races are made
 * deterministic by holding the log's lock from the test until every push is
 * known to wait for it (each waiter keeps a file next to the lock).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Forge, ZERO_OID, type Clone, type ForgeUser, type PushResult } from '../../support/forge.js';
import { readLog, updateLines, waitForLockWaiters } from '../../support/push-log.js';
import { acquireLogLock, type LogLock } from '../../../src/server/log-lock.js';
import { holderOf } from '../../../src/server/inflight.js';

const POLICY = 'refs/heads/apps/access-control';
const LOG = 'refs/heads/apps/push-log';

let forge: Forge;
let users: ForgeUser[];
let clones: Clone[];

beforeAll(() => {
  forge = Forge.create({ users: Array.from({ length: 10 }, (_, i) => `user${i}`) });
  users = [...forge.users.values()].filter((u) => u.name.startsWith('user'));
  forge.setPolicy(Forge.presetFiles('per-user-branches'));
  clones = users.map((u) => forge.clone(u));
  // The first push to wait must not give up before the tenth is judged, however slow the machine.
  forge.server(['config', 'acl.logWaitSeconds', '600']);
});
afterAll(() => forge?.cleanup());

/** The test holds the log's lock, as a push between admission and its log entry would. */
async function holdLog(): Promise<LogLock> {
  return acquireLogLock({
    gitDir: forge.bare,
    record: { holder: await holderOf(process.pid), kind: 'admin', command: 'test: hold the log' },
    finished: async () => false,
    recover: async () => undefined,
  });
}

const verify = (c: Clone) => forge.acl(['verify'], { cwd: c.dir });

describe('concurrent pushes', () => {
  test('ten pushes from different users waiting on the log all land, each logged once, in an order that verifies', async () => {
    const before = (await readLog(forge.bare, forge.env)).length;
    const commits = clones.map((c, i) => c.commitTree({ [`f${i}.txt`]: `${i}\n` }, [], `c${i}`));
    const lock = await holdLog();
    const pushes = clones.map((c, i) => c.pushAsync([`${commits[i]}:refs/heads/${c.user.id}/race`]));
    await waitForLockWaiters(forge.bare, pushes, 10);
    await lock.release();
    const results = await Promise.all(pushes);
    expect(results.map((r) => [r.code, r.remote])).toEqual(results.map(() => [0, []]));
    const log = await readLog(forge.bare, forge.env);
    expect(log).toHaveLength(before + 10);
    const added = log.slice(before);
    expect(new Set(added.map((e) => e.meta.pusher))).toEqual(new Set(users.map((u) => u.id)));
    expect(added.flatMap(updateLines).sort()).toEqual(
      clones.map((c, i) => `${ZERO_OID} ${commits[i]} refs/heads/${c.user.id}/race`).sort(),
    );
    expect(verify(clones[0]!).code).toBe(0);
  }, 240_000); // ten hooks judging at once on a shared 2-core machine; nothing here asserts a duration
});

describe('admission under the lock', () => {
  test('refuses a push whose policy moved while it waited to be logged', async () => {
    const c = clones[1]!;
    const commit = c.commitTree({ 'p.txt': 'p\n' }, [], 'p');
    const logBefore = forge.ref(LOG);
    const lock = await holdLog();
    const push = c.pushAsync([`${commit}:refs/heads/${c.user.id}/p`]);
    await waitForLockWaiters(forge.bare, [push]);
    // The policy moves meanwhile (as a policy push that landed first would).
    const tip = forge.ref(POLICY)!;
    const moved = forge.server(['commit-tree', `${tip}^{tree}`, '-p', tip, '-m', 'moved'], '').stdout.trim();
    forge.server(['update-ref', POLICY, moved, tip]);
    await lock.release();
    const r = await push;
    expect(r.code).not.toBe(0);
    expect(r.remote).toEqual([
      `git-acl: push rejected: the policy branch changed while this push was being judged (from ${tip.slice(0, 12)} to ${moved.slice(0, 12)}); push again to be judged by the policy now in force (user ${c.user.id})`,
    ]);
    expect(forge.ref(`refs/heads/${c.user.id}/p`)).toBeNull();
    expect(forge.ref(LOG)).toBe(logBefore);
    forge.server(['update-ref', POLICY, tip, moved]);
  });

  test('refuses a certificate the log already holds (a replay within the nonce slop)', async () => {
    const c = clones[2]!;
    const commit = c.commitTree({ 'r.txt': 'r\n' }, [], 'r');
    expect(c.push(`${commit}:refs/heads/${c.user.id}/replayed`).code).toBe(0);
    const original = forge.ref(LOG)!;
    expect(c.push(`:refs/heads/${c.user.id}/replayed`).code).toBe(0);
    const cert = forge.certificates().find((x) => x.text.includes(` ${commit} refs/heads/${c.user.id}/replayed\n`))!;
    const nonce = /^nonce (.*)$/m.exec(cert.text)![1]!;
    // What git hands the hook when the same certificate comes again within receive.certNonceSlop: nonce status OK.
    const r = forge.runHook(
      { GIT_PUSH_CERT: cert.oid, GIT_PUSH_CERT_NONCE: nonce, GIT_PUSH_CERT_NONCE_STATUS: 'OK' },
      `${ZERO_OID} ${commit} refs/heads/${c.user.id}/replayed\n`,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `git-acl: push rejected: this push certificate was already accepted (push log entry ${original.slice(0, 12)}); a certificate is good for one push: push again (user ${c.user.id})\n`,
    );
    expect(fs.existsSync(path.join(forge.bare, 'git-acl', 'in-flight'))).toBe(false);
  });
});

describe('faults between the ref update and the log entry', () => {
  test('a receive-pack killed after updating the ref: verify reports the gap, the next push repairs the log', async () => {
    const hook = path.join(forge.bare, 'hooks', 'post-receive');
    const installed = fs.readFileSync(hook, 'utf8');
    const a = clones[3]!;
    const b = clones[4]!;
    const commit = a.commitTree({ 'k.txt': 'k\n' }, [], 'k');
    const logBefore = forge.ref(LOG)!;
    try {
      fs.writeFileSync(hook, '#!/bin/sh\nkill -9 $PPID\n');
      a.push(`${commit}:refs/heads/${a.user.id}/killed`);
    } finally {
      fs.writeFileSync(hook, installed);
    }
    expect(forge.ref(`refs/heads/${a.user.id}/killed`)).toBe(commit);
    expect(forge.ref(LOG)).toBe(logBefore);

    const v = verify(clones[0]!);
    expect(v.code).toBe(1);
    const entries = (await readLog(forge.bare, forge.env)).length;
    expect(v.stdout.split('\n')[1]).toBe(
      `entry ${entries} (${logBefore.slice(0, 12)}) refs/heads/${a.user.id}/killed: unlogged update: the remote has ${commit}, the log's replay ends at no such ref (the ref moved without a log entry after entry ${entries}, or its entry is missing)`,
    );

    const next = b.commitTree({ 'n.txt': 'n\n' }, [], 'n');
    const r = b.push(`${next}:refs/heads/${b.user.id}/next`);
    expect(r.code).toBe(0);
    expect(r.remote).toHaveLength(1);
    expect(r.remote[0]).toMatch(
      new RegExp(
        `^git-acl: note: logged 1 of 1 updates of an earlier push by ${a.user.id} that was applied but not logged \\(its receive-pack \\d+ stopped first\\)$`,
      ),
    );
    const log = await readLog(forge.bare, forge.env);
    expect(log.slice(-2).map((e) => [e.meta.pusher, updateLines(e)])).toEqual([
      [a.user.id, [`${ZERO_OID} ${commit} refs/heads/${a.user.id}/killed`]],
      [b.user.id, [`${ZERO_OID} ${next} refs/heads/${b.user.id}/next`]],
    ]);
    expect(verify(clones[0]!).code).toBe(0);
  });

  test('a push git applies only in part is logged with exactly the updates it applied', async () => {
    const a = clones[5]!;
    const id = a.user.id;
    const c1 = a.commitTree({ 'p1.txt': '1\n' }, [], 'p1');
    const c2 = a.commitTree({ 'p2.txt': '2\n' }, [], 'p2');
    // A stale lock file makes git fail the second ref's update after the hook accepted both.
    const lockFile = path.join(forge.bare, 'refs', 'heads', id, 'p2.lock');
    fs.mkdirSync(path.dirname(lockFile), { recursive: true });
    fs.writeFileSync(lockFile, '');
    let r: PushResult;
    try {
      r = a.push(`${c1}:refs/heads/${id}/p1`, `${c2}:refs/heads/${id}/p2`);
    } finally {
      fs.rmSync(lockFile);
    }
    expect(r.stderr).toMatch(new RegExp(`cannot lock ref 'refs/heads/${id}/p2'`));
    expect(r.code).not.toBe(0);
    expect(forge.ref(`refs/heads/${id}/p1`)).toBe(c1);
    expect(forge.ref(`refs/heads/${id}/p2`)).toBeNull();
    const last = (await readLog(forge.bare, forge.env)).at(-1)!;
    expect(updateLines(last)).toEqual([`${ZERO_OID} ${c1} refs/heads/${id}/p1`]);
    const cert = forge.server(['cat-file', 'blob', last.certificate!]).stdout;
    expect(cert).toContain(` ${c2} refs/heads/${id}/p2\n`);
    expect(fs.existsSync(path.join(forge.bare, 'git-acl', 'in-flight'))).toBe(false);
    expect(verify(clones[0]!).code).toBe(0);
  });

  test('runs the server’s own post-receive.local after logging, with the same input', async () => {
    const a = clones[6]!;
    const out = path.join(forge.root, 'local-hook-input');
    const local = path.join(forge.bare, 'hooks', 'post-receive.local');
    fs.writeFileSync(local, `#!/bin/sh\ncat > '${out}'\n`, { mode: 0o755 });
    try {
      const c = a.commitTree({ 'l.txt': 'l\n' }, [], 'l');
      expect(a.push(`${c}:refs/heads/${a.user.id}/local`).remote).toEqual([]);
      const line = `${ZERO_OID} ${c} refs/heads/${a.user.id}/local`;
      expect(fs.readFileSync(out, 'utf8')).toBe(`${line}\n`);
      expect(updateLines((await readLog(forge.bare, forge.env)).at(-1)!)).toEqual([line]);
    } finally {
      fs.rmSync(local);
    }
  });
});
