/**
 * A newcomer's first try, as the README tells it: the package from `npm pack`,
 * installed into a fresh directory (dependencies from npm's cache, the
 * registry only for what is missing), `git acl init` on a server, and two
 * users who register their keys and push over a remote that is not a local
 * path (git's ssh transport), with the client hook installed and pushes
 * signed by `push.gpgSign if-asked`. Nothing may be refused that the server
 * accepts, and nothing may warn that the owner is unknown.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Forge, REPO_ROOT, run, type Clone } from '../support/forge.js';
import { cleanupTempDirs, ensureBuilt, tempDir } from '../support/env.js';
import { cloneOver } from '../support/remote.js';

const POLICY_REF = 'refs/heads/apps/access-control';
let forge: Forge;
let installed: string;

function sh(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): string {
  const r = spawnSync(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

beforeAll(() => {
  ensureBuilt();
  // The tarball as `npm publish` would make it. dist/ is built already (prepack would rebuild it under the feet of
  // other test files running in parallel), so scripts are skipped.
  const packDir = tempDir('acl-pack-');
  const tarball = path.join(
    packDir,
    sh('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', packDir], { cwd: REPO_ROOT }).trim().split('\n').at(-1)!,
  );
  const app = tempDir('acl-newcomer-');
  fs.writeFileSync(path.join(app, 'package.json'), '{ "name": "newcomer", "version": "1.0.0", "private": true }\n');
  const cache = sh('npm', ['config', 'get', 'cache'], { cwd: app }).trim();
  sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--cache', cache, tarball], { cwd: app });
  installed = path.join(app, 'node_modules', 'git-acl');

  forge = new Forge();
  // `git acl` is the installed package's binary, found on PATH as git finds subcommands.
  forge.env.PATH = `${path.join(app, 'node_modules', '.bin')}:${forge.env.PATH}`;
  forge.owner = forge.addUser('owner');
  forge.addUser('alice');
  forge.addUser('bob');
}, 300_000);
afterAll(() => {
  forge?.cleanup();
  cleanupTempDirs();
});

const git = (c: Clone, args: string[]) => run('git', args, { cwd: c.dir, env: forge.env });

test('npm pack, install, git acl init, two users register and push over ssh: no false denial, no unknown owner', () => {
  // The package as installed: the shipped files are there.
  for (const f of [
    'LICENSE',
    'README.md',
    'docs/reference.md',
    'examples/library/judge-push.mjs',
    'dist/browser.js',
    'hooks/pre-receive',
  ]) {
    expect(fs.existsSync(path.join(installed, f)), f).toBe(true);
  }
  const ownerKey = path.join(forge.root, 'owner.asc');
  fs.writeFileSync(ownerKey, forge.owner.key.publicArmored);
  forge.sh('git', ['init', '-q', '--bare', forge.bare]);
  const init = run(
    'git',
    ['acl', 'init', forge.bare, '--owner-key', ownerKey, '--preset', 'self-registration', '--preset', 'per-user-branches'],
    { cwd: forge.root, env: forge.env },
  );
  expect(init.stderr).toBe('');
  expect(init.code).toBe(0);
  // The hook runs the installed package, not the checkout the tests run from.
  expect(fs.readFileSync(path.join(forge.bare, 'hooks', 'pre-receive'), 'utf8')).toContain(fs.realpathSync(installed));

  const owner = cloneOver(forge, forge.owner, 'ssh');
  owner.ok(['config', 'push.gpgSign', 'if-asked']);
  const first = owner.commitTree({ 'README.md': 'hello\n' }, [], 'first');
  expect(git(owner, ['push', 'origin', `${first}:refs/heads/main`]).code).toBe(0);

  const everything: string[] = [];
  for (const name of ['alice', 'bob']) {
    const c = cloneOver(forge, name, 'scp');
    c.ok(['config', 'push.gpgSign', 'if-asked']);
    const hook = run('git', ['acl', 'install-client-hook'], { cwd: c.dir, env: forge.env });
    expect(hook.code).toBe(0);
    const id = c.user.id;

    // Register, the way policies/self-registration/README.md says.
    c.ok(['fetch', '-q', 'origin', 'apps/access-control']);
    c.ok(['switch', '-q', '-c', 'register', 'origin/apps/access-control']);
    c.write(`keys/${id}.asc`, c.user.key.publicArmored);
    c.ok(['add', `keys/${id}.asc`]);
    c.ok(['commit', '-q', '-m', `register ${name}`]);
    const check = run(
      'git',
      [
        'acl',
        'check',
        '--user',
        'me',
        'create-file',
        `keys/${id}.asc`,
        '--branch',
        'apps/access-control',
        '--ref',
        'origin/apps/access-control',
      ],
      { cwd: c.dir, env: forge.env },
    );
    expect(check.stderr).toBe('');
    expect(check.code).toBe(0);
    const register = git(c, ['push', 'origin', `HEAD:${POLICY_REF}`]);
    everything.push(check.stdout, check.stderr, register.stderr);
    expect(register.stderr).not.toMatch(/preview: |rejected/);
    expect(register.code).toBe(0);

    // Their own branch: allowed, previewed by the client hook, accepted by the server.
    c.ok(['switch', '-q', '-c', 'work', 'origin/main']);
    c.write('notes.txt', `${name}'s notes\n`).commit('notes');
    const own = git(c, ['push', 'origin', `HEAD:refs/heads/${id}/work`]);
    everything.push(own.stderr);
    expect(own.code).toBe(0);
    expect(forge.ref(`refs/heads/${id}/work`)).toBe(c.ok(['rev-parse', 'HEAD']));

    // main belongs to the owner: the client hook stops the push with the lines the server would print.
    const blocked = git(c, ['push', 'origin', 'HEAD:refs/heads/main']);
    expect(blocked.code).not.toBe(0);
    const said = blocked.stderr.split('\n').filter((l) => l.startsWith('git-acl: '));
    const server = git(c, ['push', '--no-verify', 'origin', 'HEAD:refs/heads/main']);
    const remote = server.stderr
      .split('\n')
      .filter((l) => l.startsWith('remote: '))
      .map((l) => l.slice('remote: '.length).trimEnd())
      .filter(Boolean);
    expect(server.code).not.toBe(0);
    expect(said).toEqual(remote);
    expect(said[0]).toBe(`git-acl: push rejected for user ${id}; no ref was changed`);
    everything.push(blocked.stderr);

    const verify = run('git', ['acl', 'verify'], { cwd: c.dir, env: forge.env });
    expect(verify.stderr).toBe('');
    expect(verify.code).toBe(0);
  }
  expect(everything.join('\n')).not.toMatch(/unknown|lock the owner out|warning/);
}, 300_000);
