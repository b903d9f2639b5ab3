/**
 * Children started early (src/git/exec.ts EarlyChild; the hook's loader starts `git config` and `git cat-file`
 * before its code loads): taken only by a caller that would start exactly the same child, once; anything else
 * starts its own, and an early child nobody took is killed with the others.
 */
import { once } from 'node:events';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { BatchProcess, prestartBatch } from '../../src/git/cat-file.js';
import {
  adoptChild,
  childKey,
  killChildren,
  prestartCommand,
  registerEarlyChild,
  runCommand,
  runningChildren,
} from '../../src/git/exec.js';
import { cleanupTempDirs, initRepo, writeBlob } from '../support/git.js';
import { withoutGitVars } from '../support/env.js';

let repo: string;
let blob: string;

beforeAll(() => {
  repo = initRepo({ bare: true });
  blob = writeBlob(repo, 'early\n');
});
afterAll(() => {
  killChildren();
  cleanupTempDirs();
});

const pidOf = async (env: NodeJS.ProcessEnv, tag: string) =>
  (await runCommand('sh', ['-c', `echo $$ ${tag}`], { env })).stdout.toString().trim();

test('the same command with the same environment takes the early child, once', async () => {
  const env = { ...withoutGitVars(), EARLY_TEST: 'a' };
  prestartCommand('sh', ['-c', 'echo $$ same'], { env });
  expect(runningChildren()).toBeGreaterThan(0);
  const first = await pidOf({ ...env }, 'same'); // an equal environment, another object
  const second = await pidOf(env, 'same');
  expect(first).toMatch(/^\d+ same$/);
  expect(second).toMatch(/^\d+ same$/);
  expect(second).not.toBe(first); // taken once: the second call started its own
  expect(adoptChild(childKey('sh', ['-c', 'echo $$ same'], 'ignore', env))).toBeUndefined();
});

test('another environment, other arguments or an input start their own; the early child is killed at the end', async () => {
  const env = { ...withoutGitVars(), EARLY_TEST: 'b' };
  prestartCommand('sh', ['-c', 'exec sleep 30'], { env });
  const early = adoptChild(childKey('sh', ['-c', 'exec sleep 30'], 'ignore', env))!;
  expect(early).toBeDefined();
  // Put back, as if nobody had taken it yet.
  registerEarlyChild(early);
  // Each of these differs from the early one in one thing: none takes it.
  const r1 = await runCommand('sh', ['-c', 'echo other-env'], { env: { ...env, EARLY_TEST: 'c' } });
  const r2 = await runCommand('sh', ['-c', 'echo $0 input', 'x'], { env, input: 'in' });
  const r3 = await runCommand('sh', ['-c', 'echo cwd'], { env, cwd: repo });
  expect([r1.stdout.toString(), r2.stdout.toString(), r3.stdout.toString()]).toEqual(['other-env\n', 'x input\n', 'cwd\n']);
  expect(early.child.exitCode).toBeNull();
  const exited = once(early.child, 'exit');
  expect(killChildren()).toBeGreaterThan(0);
  const [code, signal] = await exited;
  expect([code, signal]).toEqual([null, 'SIGKILL']);
  // Its outcome goes to nobody: no unhandled rejection, and the registry forgot nothing it should keep.
  expect((await early.result!).signal).toBe('SIGKILL');
});

test('a cat-file started early serves the store that would start the same one', async () => {
  const env = { ...withoutGitVars(), GIT_DIR: repo };
  prestartBatch('git', env, 'command');
  const before = runningChildren();
  const batch = new BatchProcess('git', { ...env }, 'command');
  expect(runningChildren()).toBe(before); // no second process
  const o = await batch.read(blob);
  expect([o.type, Buffer.from(o.content).toString()]).toEqual(['blob', 'early\n']);
  await batch.close();
});

test('an early cat-file that already ended is not taken: the store starts its own and reads alike', async () => {
  const env = { ...withoutGitVars(), GIT_DIR: repo, EARLY_TEST: 'dead' };
  prestartBatch('git', env, 'command');
  const early = adoptChild(childKey('git', ['cat-file', '--batch-command'], 'pipe', env))!;
  early.child.kill('SIGKILL');
  await once(early.child, 'exit');
  registerEarlyChild(early);
  const batch = new BatchProcess('git', env, 'command');
  const o = await batch.read(blob);
  expect(Buffer.from(o.content).toString()).toBe('early\n');
  expect(adoptChild(early.key)).toBeUndefined(); // looked at and dropped
  await batch.close();
});

test('an early cat-file whose program cannot start is not taken; the store reports the failure as without it', async () => {
  const env = { ...withoutGitVars(), GIT_DIR: repo };
  prestartBatch('/nonexistent/git', env, 'command');
  const early = adoptChild(childKey('/nonexistent/git', ['cat-file', '--batch-command'], 'pipe', env))!;
  await once(early.child, 'error');
  expect(early.failed).toBe(true);
  registerEarlyChild(early);
  const batch = new BatchProcess('/nonexistent/git', env, 'command');
  await expect(batch.read(blob)).rejects.toThrow(/cannot run \/nonexistent\/git cat-file/);
});
