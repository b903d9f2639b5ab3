/**
 * Red-team pass on the push log's write path (src/server/objects.ts, admit.ts):
 * the pre-receive hook SIGKILLed once admission has written the entry's
 * objects and its in-flight record, before git hears its verdict. git then
 * refuses the push (a hook killed by a signal failed), the entry's objects
 * stay in the store unreferenced and the in-flight record stays. The next
 * push must log nothing of the dead one, `git acl verify` in a fresh clone
 * must pass and `git fsck --strict` be clean. (The in-flight record of a
 * logged push stays until the next push takes the lock: that is by design.)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Forge, ZERO_OID, type ForgeUser } from '../../support/forge.js';
import { readLog, updateLines } from '../../support/push-log.js';

const LOG = 'refs/heads/apps/push-log';

let forge: Forge;
let bob: ForgeUser;
beforeAll(() => {
  forge = Forge.create({ users: ['bob'] });
  forge.setPolicy(Forge.presetFiles('per-user-branches'));
  bob = forge.user('bob');
});
afterAll(() => forge?.cleanup());

test('pre-receive killed after admission: push refused, next push logged alone, verify and fsck clean', async () => {
  const c = forge.clone(bob);
  const w0 = c.commitTree({ 'a.txt': 'a\n' }, [], 'a');
  expect(c.push(`${w0}:refs/heads/${bob.id}/a`).code).toBe(0);
  const entries = (await readLog(forge.bare, forge.env)).length;
  const logBefore = forge.ref(LOG)!;

  const hook = path.join(forge.bare, 'hooks', 'pre-receive');
  const installed = fs.readFileSync(hook);
  const real = path.join(forge.bare, 'hooks', 'pre-receive.real');
  fs.writeFileSync(real, installed, { mode: 0o755 });
  // The whole hook runs (judgement and admission); then it dies by SIGKILL before git hears its exit status.
  fs.writeFileSync(hook, `#!/bin/sh\n'${real}' "$@" || exit $?\nkill -9 $$\n`, { mode: 0o755 });
  let killed;
  const w1 = c.commitTree({ 'k.txt': 'k\n' }, [], 'k');
  try {
    killed = c.push(`${w1}:refs/heads/${bob.id}/killed`);
  } finally {
    fs.writeFileSync(hook, installed, { mode: 0o755 });
    fs.rmSync(real);
  }
  expect(killed.code).not.toBe(0);
  expect(killed.stderr).toContain('hooks/pre-receive died of signal 9');
  expect(forge.ref(`refs/heads/${bob.id}/killed`)).toBeNull();
  expect(forge.ref(LOG)).toBe(logBefore);
  // The hook did get through admission: the in-flight record it left is the killed push's.
  const inflight = fs.readFileSync(path.join(forge.bare, 'git-acl', 'in-flight'), 'utf8');
  expect(inflight.split('\n\n')[1]).toBe(`${ZERO_OID} ${w1} refs/heads/${bob.id}/killed\n`);

  const w2 = c.commitTree({ 'n.txt': 'n\n' }, [], 'n');
  const next = c.push(`${w2}:refs/heads/${bob.id}/next`);
  expect([next.code, next.remote]).toEqual([0, []]);
  const log = await readLog(forge.bare, forge.env);
  expect(log.length).toBe(entries + 1);
  expect(forge.ref(`refs/heads/${bob.id}/next`)).toBe(w2);
  // The log holds the next push alone: nothing of the killed one (its entry objects stay unreferenced).
  expect(log.slice(-1).map(updateLines)).toEqual([[`${ZERO_OID} ${w2} refs/heads/${bob.id}/next`]]);
  expect(log.some((e) => updateLines(e).some((l) => l.endsWith('/killed')))).toBe(false);

  const dir = path.join(forge.root, 'fresh');
  forge.sh('git', ['clone', '-q', forge.bare, dir]);
  const v = forge.acl(['verify'], { cwd: dir });
  expect([v.code, v.stderr]).toEqual([0, '']);
  const f = forge.server(['fsck', '--strict', '--no-dangling']);
  expect([f.code, f.stdout, f.stderr.replace(/^notice: HEAD points to an unborn branch \(main\)\n/m, '')]).toEqual([0, '', '']);
});
