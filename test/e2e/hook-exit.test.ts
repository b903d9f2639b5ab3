/**
 * The hook's time limit and its ways out (issue 8 point 5): stopped by its
 * limit, the hook kills the git children it started and leaves nothing of
 * the log's lock behind, and so does a signal. The limit is shortened for the test by
 * GIT_ACL_TEST_HOOK_TIMEOUT_MS (it can only shorten it); a git child that
 * hangs is a git of the test's (test/support/git-wrapper.ts) that never
 * answers.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Forge, remoteLines, run, type Clone } from '../support/forge.js';
import { wrapGit } from '../support/git-wrapper.js';
import { waitForLockWaiters } from '../support/push-log.js';
import { hookTimeoutMs, logWaitMs } from '../../src/server/pre-receive.js';
import { acquireLogLock } from '../../src/server/log-lock.js';
import { holderOf } from '../../src/server/inflight.js';

let forge: Forge;
let owner: Clone;
let n = 0;

beforeAll(() => {
  forge = Forge.create();
  owner = forge.clone('owner');
});
afterAll(() => forge?.cleanup());

/** Whether process `pid` still runs (a zombie, exited but not yet reaped, does not). */
function running(pid: number): boolean {
  try {
    const state = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

function push(env: NodeJS.ProcessEnv): { code: number; remote: string[] } {
  const c = owner.commitTree({ 't.txt': `${++n}\n` }, [], `t${n}`);
  const r = run('git', ['push', '--signed', '--porcelain', 'origin', `${c}:refs/heads/t${n}`], {
    cwd: owner.dir,
    env: { ...forge.env, ...env },
  });
  return { code: r.code, remote: remoteLines(r.stderr) };
}

const lockDir = () => path.join(forge.bare, 'git-acl');
const lockFiles = () => (fs.existsSync(lockDir()) ? fs.readdirSync(lockDir()).filter((f) => f.startsWith('in-flight')) : []);

describe('the time limit', () => {
  test('two minutes of judging plus the wait for the log, never more than ten minutes (verify bounds judged-at by 11)', () => {
    expect(hookTimeoutMs()).toBe(180_000);
    expect(logWaitMs(undefined)).toBe(60_000);
    expect(logWaitMs('5')).toBe(5_000);
    expect(logWaitMs('3600')).toBe(480_000);
    expect(hookTimeoutMs(logWaitMs('3600'))).toBe(600_000);
  });

  test('a hung git child: the push is refused at the limit and the child does not outlive the hook', () => {
    const dir = path.join(forge.root, 'hang');
    const pidFile = path.join(forge.root, 'hung-pid');
    // The hook's object reader (cat-file, inside the quarantine) never answers: as a wedged git would.
    const env = wrapGit(dir, `if [ "$1" = cat-file ] && [ -n "$GIT_QUARANTINE_PATH" ]; then echo $$ > '${pidFile}'; exec sleep 3600; fi`);
    const before = forge.refs();
    // Long enough that the hook reaches the hung child first on a loaded machine (the limit runs from the hook's start).
    const r = push({ ...env, GIT_ACL_TEST_HOOK_TIMEOUT_MS: '20000' });
    expect(r.code).not.toBe(0);
    expect(r.remote).toEqual(['git-acl: push rejected: the access check took longer than 20 s and was stopped']);
    expect(forge.refs()).toEqual(before);
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    expect(pid).toBeGreaterThan(1);
    expect(running(pid)).toBe(false);
    expect(lockFiles()).toEqual([]);
  });

  test('stopped by a signal while it waits for the log: its attempt at the lock is removed, the holder’s lock is left alone', async () => {
    forge.server(['config', 'acl.logWaitSeconds', '600']);
    const lock = await acquireLogLock({
      gitDir: forge.bare,
      record: { holder: await holderOf(process.pid), kind: 'admin', command: 'test: hold the log' },
      finished: async () => false,
      recover: async () => undefined,
    });
    try {
      const c = owner.commitTree({ 't.txt': `${++n}\n` }, [], `t${n}`);
      const pushed = owner.pushAsync([`${c}:refs/heads/t${n}`]);
      // The waiting hook keeps its record next to the lock, named after its pid.
      const [attempt] = await waitForLockWaiters(forge.bare, [pushed]);
      process.kill(Number(/^in-flight\.tmp-(\d+)-/.exec(attempt)![1]), 'SIGTERM');
      const r = await pushed;
      expect(r.remote).toEqual(['git-acl: push rejected: the access check was stopped (SIGTERM)']);
      expect(lockFiles()).toEqual(['in-flight']);
      expect(fs.readFileSync(path.join(lockDir(), 'in-flight'), 'utf8')).toContain('command test: hold the log');
    } finally {
      await lock.release();
      forge.server(['config', '--unset', 'acl.logWaitSeconds']);
    }
    expect(push({}).remote).toEqual([]);
  });
});
