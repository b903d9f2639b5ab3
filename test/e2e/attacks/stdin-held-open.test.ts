/**
 * The hook's time limit holds whatever it waits for (hook/main.ts: "a hook stuck ... would hold the push for ever"),
 * stdin included. A pre-receive whose stdin stays open (a wrapper or another process holding the pipe's writing end)
 * must be refused at the limit with one line. Blocking reads of stdin (readSync, tried for a few ms of start-up)
 * failed this: the process sat in the read, and neither the limit's timer nor a SIGTERM handler could run. stdin is
 * read as a stream (src/hook/stdin.ts). git itself closes the pipe once it wrote the commands, so a push through git
 * does not meet this; a hook run by anything else may.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Forge } from '../../support/forge.js';

let forge: Forge;

beforeAll(() => {
  forge = Forge.create();
});
afterAll(() => forge?.cleanup());

/** Runs the installed hook with one command on a stdin that is never closed; its exit, or null if it is still running after `patienceMs`. */
function runWithOpenStdin(patienceMs: number): Promise<{ code: number | null; stderr: string } | null> {
  return new Promise((resolve) => {
    const child = spawn(path.join(forge.bare, 'hooks', 'pre-receive'), [], {
      cwd: forge.bare,
      env: { ...forge.env, GIT_DIR: '.', GIT_ACL_TEST_HOOK_TIMEOUT_MS: '1000' },
      stdio: ['pipe', 'ignore', 'pipe'],
      detached: true, // its own process group, so that the shell and Node can be ended together
    });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b));
    child.stdin.write(`${'0'.repeat(40)} ${'1'.repeat(40)} refs/heads/x\n`);
    const watchdog = setTimeout(() => {
      process.kill(-child.pid!, 'SIGKILL');
      resolve(null);
    }, patienceMs);
    child.on('close', (code) => {
      clearTimeout(watchdog);
      child.stdin.destroy();
      resolve({ code, stderr });
    });
  });
}

test('a stdin that is never closed: the hook is refused at its time limit, with one line', async () => {
  // The limit is 1 s; the patience is only there to end the test when the hook never ends.
  const r = await runWithOpenStdin(30_000);
  expect(r, 'the hook was still running long after its time limit').not.toBeNull();
  expect(r!.code).toBe(1);
  expect(r!.stderr).toBe('git-acl: push rejected: the access check took longer than 1 s and was stopped\n');
}, 60_000);
