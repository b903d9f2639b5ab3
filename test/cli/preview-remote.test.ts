/**
 * Preview, check and the client hook in a clone whose remote is not a local
 * path (git's ssh transport), so nothing of the server's config is readable:
 * the owner comes from the policy branch's file `owner`, and where a policy
 * records none, an unknown owner never produces a denial the server would not
 * make. Also: a large denial ends with the same summary in the hook and in
 * preview.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Forge, type Clone } from '../support/forge.js';
import { cloneOver } from '../support/remote.js';
import { ensureBuilt } from './helpers.js';

const POLICY_REF = 'refs/heads/apps/access-control';
let forge: Forge;
let OWNER: string;

beforeAll(() => {
  ensureBuilt();
  forge = Forge.create({ presets: ['self-registration'], users: ['alice', 'bob'] });
  OWNER = forge.owner.id;
  const owner = cloneOver(forge, forge.owner, 'ssh');
  const first = owner.push(`${owner.commitTree({ 'README.md': 'hello\n' }, [], 'first')}:refs/heads/main`);
  if (first.code !== 0) throw new Error(`owner's first push failed: ${first.stderr}`);
});
afterAll(() => forge?.cleanup());

const lines = (s: string): string[] => s.split('\n').filter((l) => l.length > 0);

/** A commit on top of the remote's policy branch that adds the clone's user's key file (a registration). */
function registration(c: Clone): string {
  const tip = c.fetchRef(POLICY_REF)!;
  c.ok(['read-tree', tip]);
  const blob = c.ok(['hash-object', '-w', '--stdin'], c.user.key.publicArmored);
  c.ok(['update-index', '--add', '--cacheinfo', `100644,${blob},keys/${c.user.id}.asc`]);
  const tree = c.ok(['write-tree']);
  return c.ok(['commit-tree', tree, '-p', tip, '-m', `register ${c.user.name}`]);
}

describe('the owner comes from the policy branch', () => {
  test('a registration push with the client hook installed: no false denial, no warning, accepted by the server', () => {
    const alice = cloneOver(forge, 'alice', 'ssh');
    expect(alice.ok(['remote', 'get-url', 'origin'])).toBe(`ssh://git@127.0.0.1${forge.bare}`);
    expect(forge.acl(['install-client-hook'], { cwd: alice.dir }).code).toBe(0);
    const commit = registration(alice);

    const preview = forge.acl(['preview', 'origin', `${commit}:${POLICY_REF}`, '--json'], { cwd: alice.dir });
    expect(preview.stderr).toBe('');
    const doc = JSON.parse(preview.stdout);
    expect(doc).toMatchObject({ owner: OWNER, accepted: true, lines: [], warnings: [] });

    const push = alice.push(`${commit}:${POLICY_REF}`);
    expect(push.stderr).not.toMatch(/warning|lock the owner out|preview:/);
    expect(push.remote).toEqual([]);
    expect(push.code).toBe(0);
    expect(forge.ref(POLICY_REF)).toBe(commit);
  });

  test('check in such a clone knows the owner: no warning', () => {
    const bob = cloneOver(forge, 'bob', 'scp');
    const r = forge.acl(['check', '--user', OWNER, 'force', 'main'], { cwd: bob.dir });
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(`user:   ${OWNER} (the owner)\n`);
    expect(r.code).toBe(0);
    const asBob = forge.acl(['check', '--user', 'me', 'force', 'main'], { cwd: bob.dir });
    expect(asBob.stderr).toBe('');
    expect(asBob.code).toBe(1);
  });

  test('an owner push previewed over ext:: is accepted without a warning', () => {
    const owner = cloneOver(forge, forge.owner, 'ext');
    owner.ok(['fetch', '-q', 'origin']);
    owner.ok(['checkout', '-q', '-B', 'main', 'origin/main']);
    owner.write('NEWS', 'news\n').commit('news');
    const r = forge.acl(['preview', 'origin', 'main'], { cwd: owner.dir });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`preview: origin would accept this push of 1 ref (refs/heads/main) by ${OWNER}\n`);
    expect(r.code).toBe(0);
  });
});

describe('a policy from before owners were recorded (no file owner)', () => {
  let legacy: Forge;
  beforeAll(() => {
    legacy = Forge.create({ presets: ['self-registration'], users: ['carol'] });
    const owner = cloneOver(legacy, legacy.owner, 'ssh');
    expect(owner.push(`${owner.commitTree({ 'README.md': 'hello\n' }, [], 'first')}:refs/heads/main`).code).toBe(0);
    // The admin's old policy: the same files without `owner`, written on the server as an older git-acl left it.
    const tip = legacy.ref(POLICY_REF)!;
    const tree =
      legacy
        .server(['ls-tree', tip])
        .stdout.split('\n')
        .filter((l) => l && !l.endsWith('\towner'))
        .join('\n') + '\n';
    const newTree = legacy.server(['mktree'], tree).stdout.trim();
    const commit = legacy.server(['commit-tree', newTree, '-p', tip, '-m', 'legacy policy']).stdout.trim();
    legacy.server(['update-ref', POLICY_REF, commit, tip]);
  });
  afterAll(() => legacy?.cleanup());

  test("a non-owner's registration is not refused by the owner-lockout check; the warning says the owner is unknown", () => {
    const carol = cloneOver(legacy, 'carol', 'ssh');
    const commit = registration(carol);
    const preview = legacy.acl(['preview', 'origin', `${commit}:${POLICY_REF}`], { cwd: carol.dir });
    expect(preview.stderr).toBe(
      'warning: the owner of origin is unknown (its policy branch records no owner (no file owner), and neither --owner nor git config acl.owner names one): judged as a push by anyone but the owner\n',
    );
    expect(preview.stdout).toBe(`preview: origin would accept this push of 1 ref (${POLICY_REF}) by ${carol.user.id}\n`);
    expect(preview.code).toBe(0);
    const push = carol.push(`${commit}:${POLICY_REF}`);
    expect(push.remote).toEqual([]);
    expect(push.code).toBe(0);
  });

  test("the owner's own push is not refused either: accepted only if the pusher is the owner, and said so", () => {
    const owner = cloneOver(legacy, legacy.owner, 'ssh');
    owner.ok(['checkout', '-q', '-B', 'main', 'origin/main']);
    owner.write('NEWS', 'news\n').commit('news');
    const r = legacy.acl(['preview', 'origin', 'main'], { cwd: owner.dir });
    expect(r.stderr).toBe(
      `warning: the owner of origin is unknown (its policy branch records no owner (no file owner), and neither --owner nor git config acl.owner names one): this push is accepted only if ${legacy.owner.id} is the owner\n`,
    );
    expect(r.code).toBe(0);
    expect(owner.push('main').code).toBe(0);
  });

  test('what not even the owner may do is still refused, with the lines the server prints', () => {
    const carol = cloneOver(legacy, 'carol', 'ssh');
    const r = legacy.acl(['preview', 'origin', `:${POLICY_REF}`], { cwd: carol.dir });
    expect(r.code).toBe(1);
    const said = lines(r.stdout);
    expect(said.at(-1)).toBe('preview: origin would reject this push');
    // Carol's rules deny it (the policy branch's own checks run only for a push the rules allow), and judged as the
    // owner it is refused too (the policy branch cannot be deleted): preview says what the server says to carol.
    expect(said[0]).toMatch(/^git-acl: push rejected for user /);
    const push = carol.push('--no-verify', `:${POLICY_REF}`);
    expect(push.code).not.toBe(0);
    expect(said.slice(0, -1)).toEqual(push.remote);
  });
});

describe('a large denial', () => {
  test('the hook and preview print the same lines: the first 20, then counts per operation and directory', () => {
    const bob = cloneOver(forge, 'bob', 'ssh');
    const registered = bob.push(`${registration(bob)}:${POLICY_REF}`);
    expect(registered.code).toBe(0);
    const files: Record<string, string> = {};
    for (let i = 0; i < 30; i++) files[`docs/guide/page-${String(i).padStart(2, '0')}.md`] = `page ${i}\n`;
    for (let i = 0; i < 12; i++) files[`src/lib/mod-${String(i).padStart(2, '0')}.ts`] = `export const x = ${i};\n`;
    files['top.txt'] = 'top\n';
    const main = bob.fetchRef('refs/heads/main')!;
    const commit = bob.commitTree({ 'README.md': 'hello\n', ...files }, [main], 'many files');

    const preview = forge.acl(['preview', 'origin', `${commit}:refs/heads/main`, '--user', forge.user('alice').id], { cwd: bob.dir });
    expect(preview.code).toBe(1);
    const said = lines(preview.stdout);
    const push = bob.push('--no-verify', `${commit}:refs/heads/main`);
    expect(push.code).not.toBe(0);
    const B = bob.user.id;
    // Same lines as the hook's, as bob (preview's --user only changes who the lines are about).
    const asBob = lines(forge.acl(['preview', 'origin', `${commit}:refs/heads/main`], { cwd: bob.dir }).stdout);
    expect(asBob.slice(0, -1)).toEqual(push.remote);
    expect(said).toHaveLength(asBob.length);

    expect(push.remote[0]).toBe(`git-acl: push rejected for user ${B}; no ref was changed`);
    expect(push.remote).toHaveLength(1 + 20 + 1 + 5);
    // 1 fast-forward + 4 create-directory (docs, docs/guide, src, src/lib) + 43 create-file = 48 denials; 20 listed.
    expect(push.remote.slice(21)).toEqual([
      'git-acl: ... and 28 more denied operations (all of them: git acl preview --all):',
      'git-acl:   13 create-file in docs/guide/ on heads/main',
      'git-acl:   12 create-file in src/lib/ on heads/main',
      'git-acl:   1 create-directory in ./ on heads/main',
      'git-acl:   1 create-directory in src/ on heads/main',
      'git-acl:   1 create-file in ./ on heads/main',
    ]);
    const all = forge.acl(['preview', 'origin', `${commit}:refs/heads/main`, '--all'], { cwd: bob.dir });
    expect(lines(all.stdout)).toHaveLength(1 + 48 + 1);
    expect(all.stdout).not.toContain('more denied operations');
  });
});
