/**
 * A decision holds until git has written the refs (issue 8 point 1), with
 * real pushes whose races are made deterministic:
 * - the judged push is held inside its own judgement (a git of the test's,
 *   for that push only, stops at the hook's first object read: the policy
 *   tip is known, nothing of it read yet) until the owner's revocation of
 *   its key has landed; it is then refused at admission, with and without a
 *   push log;
 * - an admitted push is held between its pre-receive and its ref update (a
 *   reference-transaction hook of the test's); a revocation pushed meanwhile
 *   waits for it, also when the pre-receive script runs node without `exec`;
 * - a receive-pack killed at that point leaves nothing behind that stops
 *   the next push.
 * Every hold is a FIFO the test opens: no sleeps, no timing.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Forge, type Clone, type ForgeUser, type PushResult } from '../support/forge.js';
import { revokedCopy } from '../support/gpg.js';
import { readLog, waitForLockWaiters } from '../support/push-log.js';
import { judgementHeldAt, makeHold, waitAt, type Hold } from './attacks/hold.js';

const POLICY = 'refs/heads/apps/access-control';
const MAIN = 'refs/heads/main';
const LOG = 'refs/heads/apps/push-log';

/** Bob may build main; the owner may do anything. */
function bobOnMain(bob: ForgeUser): Record<string, string> {
  return {
    'refs/bob.conf': `${bob.id} create-branch,fast-forward ^heads/main$\n`,
    'branches/bob.conf': `branch ^heads/main$\n${bob.id} create-file,modify,delete ^.+$\n`,
  };
}

/** The owner's push that revokes Bob's key (his file replaced by the revoked export); returns the new policy commit. */
function revokeBob(forge: Forge, bob: ForgeUser): { commit: string; owner: Clone; push: () => PushResult } {
  const owner = forge.clone('owner');
  const tip = owner.fetchRef(POLICY)!;
  const commit = owner.commitTree(
    forge.policyFiles({ ...bobOnMain(bob), [`keys/${bob.id}.asc`]: revokedCopy(forge.gpgHome, bob.id) }),
    [tip],
    'revoke bob',
  );
  return { commit, owner, push: () => owner.push(`${commit}:${POLICY}`) };
}

describe.each([
  ['with a push log', true],
  ['without a push log', false],
] as const)('a revocation that lands while a push is being judged (%s)', (_name, logged) => {
  let forge: Forge;
  let bob: ForgeUser;
  beforeAll(() => {
    forge = Forge.create({ users: ['bob'] });
    bob = forge.user('bob');
    forge.setPolicy(bobOnMain(bob));
    if (!logged) forge.server(['update-ref', '-d', LOG]);
  });
  afterAll(() => forge?.cleanup());

  test('the judged push is refused at admission: the policy it was judged by is no longer in force', async () => {
    const c = forge.clone(bob);
    const work = c.commitTree({ 'big.txt': 'the slow push\n' }, [], 'slow');
    const policyBefore = forge.ref(POLICY)!;
    const hold = makeHold(forge.root, 'judging');
    // Bob's push only: its hook stops at its first object read, inside the quarantine (the client's git never has one).
    const slow = c.pushAsync([`${work}:${MAIN}`], judgementHeldAt(forge.root, hold));
    await hold.ready(slow);

    const revocation = revokeBob(forge, bob);
    expect(revocation.push().remote).toEqual([]);
    expect(forge.ref(POLICY)).toBe(revocation.commit);

    hold.release();
    const r = await slow;
    expect(r.code).not.toBe(0);
    expect(r.remote).toEqual([
      `git-acl: push rejected: the policy branch changed while this push was being judged (from ${policyBefore.slice(0, 12)} to ${revocation.commit.slice(0, 12)}); push again to be judged by the policy now in force (user ${bob.id})`,
    ]);
    expect(forge.ref(MAIN)).toBeNull();
    // Pushed again, it is judged by the policy now in force: the key is revoked.
    const again = c.push(`${work}:${MAIN}`);
    expect(again.code).not.toBe(0);
    expect(again.remote.join('\n')).toMatch(/revoked/);
    // Both refusals released what they held.
    expect(fs.existsSync(path.join(forge.bare, 'git-acl', 'in-flight'))).toBe(false);
  });
});

describe('an admitted push holds the lock until its refs are written', () => {
  let forge: Forge;
  let bob: ForgeUser;
  let hook: string;
  beforeAll(() => {
    forge = Forge.create({ users: ['bob'] });
    bob = forge.user('bob');
    forge.setPolicy(bobOnMain(bob));
    hook = path.join(forge.bare, 'hooks', 'reference-transaction');
  });
  afterAll(() => forge?.cleanup());

  /** A reference-transaction hook that stops the first transaction updating main, in its `prepared` state, then runs `then`. */
  function holdMainUpdate(hold: Hold, then = ''): void {
    fs.writeFileSync(
      hook,
      `#!/bin/sh\n[ "$1" = prepared ] || exit 0\ngrep -q ' ${MAIN}$' || exit 0\n${waitAt(hold)} && ${then || 'true'}\nexit 0\n`,
      { mode: 0o755 },
    );
  }

  for (const script of ['exec', 'no-exec'] as const) {
    test(`a revocation pushed meanwhile waits, and lands after (pre-receive script: ${script})`, async () => {
      const pre = path.join(forge.bare, 'hooks', 'pre-receive');
      const installed = fs.readFileSync(pre, 'utf8');
      // A script that keeps running around node (as one that turns a crash into one line must): node's parent is
      // the script, which exits before receive-pack writes a ref.
      if (script === 'no-exec') fs.writeFileSync(pre, installed.replace(/^exec (.*)$/m, '$1\nexit $?'));
      const hold = makeHold(forge.root, `ref-update-${script}`);
      holdMainUpdate(hold);
      try {
        const c = forge.clone(bob);
        const tip = forge.ref(MAIN);
        const work = c.commitTree({ 'f.txt': `${script}\n` }, tip ? [tip] : [], script);
        const logBefore = (await readLog(forge.bare, forge.env)).length;
        const admitted = c.pushAsync([`${work}:${MAIN}`]);
        await hold.ready(admitted); // pre-receive accepted and exited; git is about to write main

        const revocation = revokeBob(forge, bob);
        const revoking = revocation.owner.pushAsync([`${revocation.commit}:${POLICY}`]);
        await waitForLockWaiters(forge.bare, [revoking]);
        hold.release();

        const [r1, r2] = await Promise.all([admitted, revoking]);
        expect([r1.code, r1.remote]).toEqual([0, []]);
        expect([r2.code, r2.remote]).toEqual([0, []]);
        expect(forge.ref(MAIN)).toBe(work);
        expect(forge.ref(POLICY)).toBe(revocation.commit);
        const added = (await readLog(forge.bare, forge.env)).slice(logBefore);
        expect(added.map((e) => e.meta.pusher)).toEqual([bob.id, forge.owner.id]);
        expect(forge.acl(['verify'], { cwd: c.dir }).code).toBe(0);
        // Restore Bob for the next case.
        forge.setPolicy(bobOnMain(bob));
        forge.setPolicy({ ...bobOnMain(bob), [`keys/${bob.id}.asc`]: bob.key.publicArmored });
      } finally {
        fs.writeFileSync(pre, installed);
        fs.rmSync(hook, { force: true });
      }
    });
  }

  test('a receive-pack killed after pre-receive, before its refs: nothing lands, and the next push goes through', async () => {
    const hold = makeHold(forge.root, 'killed');
    holdMainUpdate(hold, 'kill -9 $PPID');
    try {
      const c = forge.clone(bob);
      const tip = forge.ref(MAIN);
      const work = c.commitTree({ 'k.txt': 'killed\n' }, tip ? [tip] : [], 'killed');
      const killed = c.pushAsync([`${work}:${MAIN}`]);
      await hold.ready(killed);
      hold.release();
      const r = await killed;
      expect(r.code).not.toBe(0);
      expect(forge.ref(MAIN)).toBe(tip);
      // The in-flight record of the dead receive-pack is left; the next push finds its holder gone and logs nothing of it.
      expect(fs.existsSync(path.join(forge.bare, 'git-acl', 'in-flight'))).toBe(true);
      fs.rmSync(hook, { force: true });
      // git's own locks on main (and HEAD, which names it) are left too: receive-pack died holding them, the operator removes them.
      const gitLocks = [path.join(forge.bare, 'refs', 'heads', 'main.lock'), path.join(forge.bare, 'HEAD.lock')];
      expect(gitLocks.filter((f) => fs.existsSync(f))).toContain(gitLocks[0]);
      const owner = forge.clone('owner');
      const other = owner.commitTree({ 'o.txt': 'other\n' }, [], 'other');
      expect(owner.push(`${other}:refs/heads/other`).remote).toEqual([]);
      for (const f of gitLocks) fs.rmSync(f, { force: true });
      const next = c.commitTree({ 'n.txt': 'next\n' }, tip ? [tip] : [], 'next');
      expect(c.push(`${next}:${MAIN}`).remote).toEqual([]);
      expect(forge.ref(MAIN)).toBe(next);
      expect(forge.acl(['verify'], { cwd: c.dir }).code).toBe(0);
    } finally {
      fs.rmSync(hook, { force: true });
    }
  });
});
