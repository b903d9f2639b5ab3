/**
 * A hostile remote's policy, as `git acl preview` (and so the pre-push hook)
 * reads it: past a bound it is refused in one line, before the work the
 * bound protects (the bench, bench/hostile.mjs, shows the cost: a 50 MiB rule
 * file, 100 costly rules, 100 patterns of 800,000 instructions).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Forge, type Clone } from '../support/forge.js';

const POLICY = 'refs/heads/apps/access-control';
let forge: Forge;
let bob: Clone;
let owner: Clone;
let good: string;

beforeAll(() => {
  forge = Forge.create({ users: ['bob'] });
  bob = forge.clone('bob');
  owner = forge.clone('owner');
  good = forge.ref(POLICY)!;
});
afterAll(() => forge?.cleanup());

/** The server serves a policy with `extra` added, bypassing its own hook (it is the hostile one). */
function serve(extra: Record<string, string>): void {
  const c = owner.commitTree(forge.policyFiles(extra), [good], 'hostile');
  forge.sh('git', ['--git-dir', forge.bare, 'fetch', '-q', owner.dir, `${c}:refs/staging`]);
  forge.server(['update-ref', POLICY, c]);
  forge.server(['update-ref', '-d', 'refs/staging']);
}

function preview(): string[] {
  const work = bob.commitTree({ 'w.txt': 'w\n' }, [], 'w');
  const r = forge.acl(['preview', 'origin', `${work}:refs/heads/${forge.user('bob').id}/w`], { cwd: bob.dir });
  expect(r.code).toBe(1);
  return (r.stdout + r.stderr).trim().split('\n');
}

const broken = (first: string) => [
  `git-acl: push rejected: the policy on ${POLICY} is broken (${first}); the owner must fix it`,
  'preview: origin would reject this push',
];

describe('preview refuses a hostile remote policy in one line', () => {
  test('a rule file past 1 MiB is not read', () => {
    serve({ 'refs/big.conf': `# ${'b'.repeat(2 * 1024 * 1024)}\n` });
    expect(preview()).toEqual(
      broken('1 error, first: refs/big.conf:1:1: error: file is too large (2,097,155 bytes, limit 1 MiB); it is not read'),
    );
  });

  test('100 costly rules stop at the program budget, before the pattern that crosses it is compiled', () => {
    const rules = Array.from({ length: 100 }, (_, i) => `anyone create-branch ^heads/k${i}/${'[ab]{1000}'.repeat(18)}$`);
    serve({ 'refs/costly.conf': `${rules.join('\n')}\n` });
    expect(preview()).toEqual(
      broken(
        "1 error, first: refs/costly.conf:56:22: error: the policy's patterns compile to more than 1,000,000 RE2 instructions in all (this one: at least 18,010); rules from here on are not read",
      ),
    );
  });

  test('a pattern certainly past the per-pattern bound is refused without being compiled', () => {
    serve({ 'refs/huge.conf': `anyone create-branch ^${'[ab]{1000}'.repeat(800)}$\n` });
    expect(preview()).toEqual(
      broken(
        '1 error, first: refs/huge.conf:1:22: error: regex is too large (at least 800000 instructions, limit 20000); split it into several rules',
      ),
    );
  });
});
