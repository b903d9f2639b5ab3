/**
 * Red-team pass on issue 8 (decisions that hold until git writes the refs):
 * attacks that need two pushes at once, with real signed pushes through the
 * installed hook. Races are made deterministic with FIFOs the test opens
 * (a git of the test's, for one push only, that stops at the hook's first
 * object read inside the push's quarantine), never with sleeps.
 *
 * - Two pushes that each create a ref, judged at the same time, whose names
 *   one file would hold on a case-insensitive or normalising file system
 *   (`refs/heads/X/Foo`, `refs/heads/X/foo`): each was judged against refs
 *   that did not hold the other, so the fold check at judgement passes both.
 *   The admission (under the lock) checks the created names again against the
 *   refs as they are then, whether the other push has landed or is admitted
 *   and still writing (the check waits for its lock).
 * - A client that stops reading once its push is admitted: the next push
 *   takes the lock over once git has written all of the stalled push's refs.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Forge, type ForgeUser } from '../../support/forge.js';
import { readLog, updateLines, waitForLockWaiters } from '../../support/push-log.js';
import { judgementHeldAt, makeHold, waitAt } from './hold.js';

const FOLD = 'on a case-insensitive or Unicode-normalising file system; such names are refused';

/** Bob may create any branch under heads/<letter>/, with any file. */
function bobUnderX(bob: ForgeUser): Record<string, string> {
  return {
    'refs/bob.conf': `${bob.id} create-branch,fast-forward ^heads/[A-Za-z]/.+$\n`,
    'branches/bob.conf': `branch ^heads/[A-Za-z]/.+$\n${bob.id} create-file,modify,delete ^.+$\n`,
  };
}

describe('two concurrent pushes whose created refs fold to one file', () => {
  let forge: Forge;
  let bob: ForgeUser;
  beforeAll(() => {
    forge = Forge.create({ users: ['bob'] });
    bob = forge.user('bob');
    forge.setPolicy(bobUnderX(bob));
  });
  afterAll(() => forge?.cleanup());

  test.each([
    [
      'the same file',
      'refs/heads/X/Foo',
      'refs/heads/X/foo',
      'file',
      'refs/heads/X/Foo and the existing refs/heads/X/foo would be one file',
    ],
    [
      'a directory',
      'refs/heads/Y/bar',
      'refs/heads/y/baz',
      'directory',
      'refs/heads/Y/bar: its directory refs/heads/Y/ and the existing refs/heads/y/ would be one directory',
    ],
  ])('the push admitted second is refused (%s)', async (_name, held, other, _what, line) => {
    const a = forge.clone(bob);
    const b = forge.clone(bob);
    const workA = a.commitTree({ 'a.txt': `${held}\n` }, [], 'a');
    const workB = b.commitTree({ 'b.txt': `${other}\n` }, [], 'b');
    const hold = makeHold(forge.root, held.replace(/\W/g, '-'));
    // A is judged against the refs as they are now (no `other`), and stops inside its judgement.
    const slow = a.pushAsync([`${workA}:${held}`], judgementHeldAt(forge.root, hold));
    await hold.ready(slow);
    // B lands meanwhile: when it was judged, `held` did not exist either.
    const fast = b.push(`${workB}:${other}`);
    expect([fast.code, fast.remote]).toEqual([0, []]);
    hold.release();
    const r = await slow;
    expect(r.remote).toEqual([
      `git-acl: push rejected: ${line} ${FOLD} (a ref was created while this push was being judged) (user ${bob.id})`,
    ]);
    expect(r.code).not.toBe(0);
    expect(forge.ref(held)).toBeNull();
    expect(forge.ref(other)).toBe(workB);
    expect(fs.existsSync(path.join(forge.bare, 'git-acl', 'in-flight'))).toBe(false);
  });

  test('also when the other push is admitted but its refs are not written yet: the check runs once the lock is taken', async () => {
    const [held, other] = ['refs/heads/W/Foo', 'refs/heads/W/foo'];
    const a = forge.clone(bob);
    const b = forge.clone(bob);
    const workA = a.commitTree({ 'a.txt': 'wa\n' }, [], 'wa');
    const workB = b.commitTree({ 'b.txt': 'wb\n' }, [], 'wb');
    const judging = makeHold(forge.root, 'w-judging');
    const writing = makeHold(forge.root, 'w-writing');
    const hook = path.join(forge.bare, 'hooks', 'reference-transaction');
    // B stops in git's ref update (after its pre-receive admitted it, holding the lock), before `other` is written.
    fs.writeFileSync(hook, `#!/bin/sh\n[ "$1" = prepared ] || exit 0\ngrep -q ' ${other}$' || exit 0\n${waitAt(writing)}\nexit 0\n`, {
      mode: 0o755,
    });
    try {
      const slow = a.pushAsync([`${workA}:${held}`], judgementHeldAt(forge.root, judging));
      await judging.ready(slow);
      const fast = b.pushAsync([`${workB}:${other}`]);
      await writing.ready(fast);
      expect(forge.ref(other)).toBeNull();
      judging.release();
      // A, judged against refs without `other`, now waits for the lock B holds (its attempt sits next to the lock).
      await waitForLockWaiters(forge.bare, [slow, fast]);
      writing.release();
      const [rb, ra] = [await fast, await slow];
      expect([rb.code, rb.remote]).toEqual([0, []]);
      expect(ra.remote).toEqual([
        `git-acl: push rejected: ${held} and the existing ${other} would be one file ${FOLD} (a ref was created while this push was being judged) (user ${bob.id})`,
      ]);
      expect(forge.ref(held)).toBeNull();
      expect(forge.ref(other)).toBe(workB);
    } finally {
      fs.rmSync(hook, { force: true });
    }
  });
});

describe('a ref moved by another push while this one was being judged', () => {
  let forge: Forge;
  let bob: ForgeUser;
  beforeAll(() => {
    forge = Forge.create({ users: ['bob'] });
    bob = forge.user('bob');
    forge.setPolicy(bobUnderX(bob));
  });
  afterAll(() => forge?.cleanup());

  // git would fail the command at its ref lock (stale old value) after pre-receive, while any other command of the
  // push lands: the admission compares old values with the refs again, under the lock.
  test('is refused at admission, with no ref changed', async () => {
    const a = forge.clone(bob);
    const p = a.commitTree({ 'm.txt': 'p\n' }, [], 'p');
    expect(a.push(`${p}:refs/heads/M/main`).code).toBe(0);
    const b = forge.clone(bob);
    const q = a.commitTree({ 'm.txt': 'q\n' }, [p], 'q');
    const r = b.commitTree({ 'm.txt': 'r\n' }, [p], 'r');
    const hold = makeHold(forge.root, 'moved');
    const slow = a.pushAsync([`${q}:refs/heads/M/main`], judgementHeldAt(forge.root, hold));
    await hold.ready(slow);
    const fast = b.push(`${r}:refs/heads/M/main`);
    expect([fast.code, fast.remote]).toEqual([0, []]);
    hold.release();
    const res = await slow;
    expect(res.remote).toEqual([
      `git-acl: push rejected: refs/heads/M/main is at ${r.slice(0, 12)}, but this push expects it at ${p.slice(0, 12)}; git would refuse this command after the others landed: fetch and push again (another push moved it while this one was being judged) (user ${bob.id})`,
    ]);
    expect(res.code).not.toBe(0);
    expect(forge.ref('refs/heads/M/main')).toBe(r);
  });
});

/**
 * The admission lock is released by post-receive, and git runs post-receive
 * only after it has sent the push's report to the client (receive-pack.c:
 * execute_commands, report, then post-receive). A client that stops reading
 * keeps receive-pack blocked in that write, with the lock held, for as long
 * as it keeps the connection open. The report has a line per ref (`ok
 * <ref>`), so a push of a few dozen long ref names (about 64 KiB, a pipe's
 * buffer) is enough, and its refs are already written when it blocks.
 * Stopping the client (SIGSTOP) once git starts writing the refs is that
 * client, made deterministic. A push waiting for the lock finds every judged
 * ref of the holder at its new value, logs the holder's push (moving the log
 * ref to the entry prepared for it) and takes the lock over.
 */
describe('a pusher whose client stops reading after its push was admitted', () => {
  let forge: Forge;
  let bob: ForgeUser;
  let alice: ForgeUser;
  beforeAll(() => {
    forge = Forge.create({ users: ['bob', 'alice'] });
    bob = forge.user('bob');
    alice = forge.user('alice');
    forge.setPolicy({
      ...bobUnderX(bob),
      'refs/alice.conf': `${alice.id} create-branch ^heads/alice$\n`,
      'branches/alice.conf': `branch ^heads/alice$\n${alice.id} create-file ^.+$\n`,
    });
    // The takeover ends Alice's wait; without it, her refusal ("the push log is busy ...") still comes within the test's time.
    forge.server(['config', 'acl.logWaitSeconds', '20']);
  });
  afterAll(() => forge?.cleanup());

  test('does not keep other pushes from landing', async () => {
    const hold = makeHold(forge.root, 'stalled-client');
    const hook = path.join(forge.bare, 'hooks', 'reference-transaction');
    // At the first ref update of the push: stop the client (`git push`: receive-pack's parent, or the sh between them), then let git go on.
    fs.writeFileSync(
      hook,
      `#!/bin/sh\n[ "$1" = prepared ] || exit 0\nmkdir '${hold.dir}/claimed' 2>/dev/null || exit 0\n` +
        `client=$(ps -o ppid= -p $PPID | tr -d ' ')\n[ "$(ps -o comm= -p $client)" = sh ] && client=$(ps -o ppid= -p $client | tr -d ' ')\necho $client > '${hold.dir}/client'\nkill -STOP $client\necho held > '${hold.dir}/ready'\nexit 0\n`,
      { mode: 0o755 },
    );
    const c = forge.clone(bob);
    const work = c.commitTree({ 'z.txt': 'z\n' }, [], 'z');
    // 40 refs of about 2,000 bytes: a report of about 80 KiB.
    const long = Array.from({ length: 10 }, (_, i) => `${String(i).repeat(190)}`).join('/');
    const refs = Array.from({ length: 40 }, (_, i) => `refs/heads/Z/${i}/${long}`);
    const logBefore = (await readLog(forge.bare, forge.env)).length;
    const stalled = c.pushAsync(refs.map((r) => `${work}:${r}`));
    let client = 0;
    let resumed = false;
    try {
      await hold.ready(stalled);
      client = Number(fs.readFileSync(path.join(hold.dir, 'client'), 'utf8'));
      const a = forge.clone(alice);
      const aw = a.commitTree({ 'a.txt': 'a\n' }, [], 'a');
      // Bob's client is still stopped: Alice's push lands anyway, after Bob's push is logged for him.
      const victim = a.push(`${aw}:refs/heads/alice`);
      expect([victim.code, victim.remote]).toEqual([0, []]);
      expect(forge.ref('refs/heads/alice')).toBe(aw);
      const during = (await readLog(forge.bare, forge.env)).slice(logBefore);
      expect(during.map((e) => e.meta.pusher)).toEqual([bob.id, alice.id]);
      process.kill(client, 'SIGCONT');
      resumed = true;
      // Bob's post-receive finds its lock taken over and its push logged: it says nothing and changes nothing.
      const r = await stalled;
      expect([r.code, r.remote]).toEqual([0, []]);
      for (const ref of refs) expect(forge.ref(ref)).toBe(work);
      const log = (await readLog(forge.bare, forge.env)).slice(logBefore);
      expect(log.map((e) => e.meta.pusher)).toEqual([bob.id, alice.id]);
      expect(updateLines(log[0]!).sort()).toEqual(refs.map((ref) => `${'0'.repeat(40)} ${work} ${ref}`).sort());
      const v = forge.acl(['verify'], { cwd: a.dir });
      expect([v.code, v.stderr]).toEqual([0, '']);
    } finally {
      if (client && !resumed) process.kill(client, 'SIGCONT');
      fs.rmSync(hook, { force: true });
      await stalled;
    }
  });
});
