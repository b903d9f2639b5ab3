/** The Node library entry (dist/index.js) judges a push as the hook would: examples/library/judge-push.mjs on a real repository. */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Forge, REPO_ROOT, ZERO_OID, type Clone } from '../support/forge.js';

let forge: Forge;
let alice: Clone;
let A: string;

beforeAll(() => {
  forge = Forge.create({ users: ['alice'] });
  forge.setPolicy(Forge.presetFiles('per-user-branches'));
  A = forge.user('alice').id;
  alice = forge.clone('alice');
});
afterAll(() => forge?.cleanup());

function judge(newOid: string, ref: string): { code: number; out: string } {
  const r = spawnSync(
    process.execPath,
    [path.join(REPO_ROOT, 'examples/library/judge-push.mjs'), path.join(alice.dir, '.git'), A, ZERO_OID, newOid, ref],
    { encoding: 'utf8' },
  );
  return { code: r.status ?? 1, out: r.stdout + r.stderr };
}

test('accepts what the policy allows, and the real push agrees', () => {
  const c = alice.commitTree({ 'notes/a.txt': 'a\n' }, [], 'mine');
  expect(judge(c, `refs/heads/${A}/notes`)).toEqual({ code: 0, out: 'accepted: 3 operations allowed\n' });
  expect(alice.push(`${c}:refs/heads/${A}/notes`).code).toBe(0);
});

test('prints exactly the lines the hook prints for a push it would reject', () => {
  const c = alice.commitTree({ 'x.txt': 'x\n' }, [], 'main');
  const predicted = judge(c, 'refs/heads/main');
  expect(predicted.code).toBe(1);
  const real = alice.push(`${c}:refs/heads/main`);
  expect(real.code).not.toBe(0);
  expect(predicted.out).toBe(real.remote.join('\n') + '\n');
  expect(real.remote[0]).toBe(`git-acl: push rejected for user ${A}; no ref was changed`);
});
