import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { acl, cleanup, ensureBuilt, git, repoWithPolicy, tempDir, writeFiles } from './helpers.js';

beforeAll(() => ensureBuilt());
afterAll(() => cleanup());

const CLEAN = {
  'refs/owner.conf': '# owner may do anything\nowner create-branch,create-tag,fast-forward,force,delete ^.*$\n',
  'branches/owner.conf': 'owner create-directory,create-file,create-symlink,create-submodule,modify,delete ^.*$\n',
};
const BROKEN = {
  'refs/owner.conf': 'owner create-branch,fast-foward ^.*$\n',
  'branches/owner.conf': 'owner modify ^.*$\nowner modify ^.*$\n',
};
const TYPO = "refs/owner.conf:1:21: error: unknown operation 'fast-foward'; did you mean 'fast-forward'?";

function policyDir(files: Record<string, string>): string {
  const dir = tempDir();
  writeFiles(dir, files);
  return dir;
}

describe('git acl lint <dir>', () => {
  test('a clean policy: exit 0, says what it linted', () => {
    const dir = policyDir(CLEAN);
    const r = acl(['lint', dir]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`linting directory ${dir} (2 files)\n0 errors, 0 warnings\n`);
    expect(r.code).toBe(0);
  });

  test('errors: path:line:col: severity: message, a summary, exit 1', () => {
    const dir = policyDir(BROKEN);
    const r = acl(['lint', dir]);
    expect(r.code).toBe(1);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`linting directory ${dir} (2 files)`);
    expect(lines).toContain(TYPO);
    expect(lines.some((l) => /^branches\/owner\.conf:2:1: warning: /.test(l))).toBe(true);
    expect(lines.at(-1)).toBe('1 error, 1 warning');
  });

  test('warnings alone exit 0', () => {
    const dir = policyDir({ ...CLEAN, 'refs/README.md': 'notes\n' });
    const r = acl(['lint', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^refs\/README\.md:1:1: warning: /m);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('0 errors, 1 warning');
  });

  test('--json: source, diagnostics, counts; exit code as without', () => {
    const dir = policyDir(BROKEN);
    const r = acl(['lint', '--json', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    const doc = JSON.parse(r.stdout) as {
      source: unknown;
      diagnostics: Array<{ file: string; line: number; col: number; severity: string; code: string; message: string }>;
      errors: number;
      warnings: number;
    };
    expect(doc.source).toEqual({ type: 'directory', path: path.resolve(dir) });
    expect(doc.errors).toBe(1);
    expect(doc.warnings).toBe(1);
    expect(doc.diagnostics).toContainEqual(
      expect.objectContaining({
        file: 'refs/owner.conf',
        line: 1,
        col: 21,
        severity: 'error',
        message: "unknown operation 'fast-foward'; did you mean 'fast-forward'?",
      }),
    );
    const clean = acl(['lint', policyDir(CLEAN), '--json']);
    expect(clean.code).toBe(0);
    expect(JSON.parse(clean.stdout)).toMatchObject({ diagnostics: [], errors: 0, warnings: 0 });
    expect(clean.stdout).not.toContain('\x1b[');
  });

  test('a symlinked policy file is an error, not an empty file', () => {
    const dir = policyDir(CLEAN);
    fs.symlinkSync('owner.conf', path.join(dir, 'refs/alias.conf'));
    const r = acl(['lint', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      `linting directory ${dir} (3 files)\nrefs/alias.conf:1:1: error: is a symlink, not a regular file: policy files are read only as regular files (a symlink's target is never followed)\n1 error, 0 warnings\n`,
    );
  });

  test('a missing directory names it; exit 1', () => {
    const r = acl(['lint', '/nonexistent/policy']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('git acl lint: /nonexistent/policy: no such directory\n');
  });

  test('usage errors exit 2', () => {
    expect(acl(['lint', 'a', 'b']).code).toBe(2);
    const r = acl(['lint', 'a', '--ref', 'x']);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe('git acl lint: give a directory or --ref, not both (a, --ref x)');
  });
});

describe('git acl lint from git', () => {
  test('no arguments in a clone: lints the local policy branch', () => {
    const repo = repoWithPolicy(BROKEN);
    const commit = git(['rev-parse', 'apps/access-control'], repo);
    const r = acl(['lint'], { cwd: repo });
    expect(r.code).toBe(1);
    const gitDir = fs.realpathSync(path.join(repo, '.git'));
    expect(r.stdout.split('\n')[0]).toBe(`linting refs/heads/apps/access-control at ${commit.slice(0, 12)} in ${gitDir} (2 files)`);
    expect(r.stdout).toContain(TYPO);
  });

  test('no local branch: falls back to origin/apps/access-control', () => {
    const upstream = repoWithPolicy(CLEAN);
    const clone = path.join(tempDir(), 'clone');
    git(['clone', '-q', upstream, clone], upstream);
    const r = acl(['lint'], { cwd: clone });
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(
      /^linting refs\/remotes\/origin\/apps\/access-control at [0-9a-f]{12} in .*clone\/\.git \(2 files\)$/,
    );
  });

  test('in a bare repository', () => {
    const repo = repoWithPolicy(CLEAN);
    const bare = path.join(tempDir(), 'server.git');
    git(['clone', '-q', '--bare', repo, bare], repo);
    const r = acl(['lint'], { cwd: bare });
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^linting refs\/heads\/apps\/access-control at [0-9a-f]{12} in .*server\.git \(2 files\)$/);
  });

  test('--ref reads any ref or commit of the repository', () => {
    const repo = repoWithPolicy(CLEAN);
    git(['checkout', '-q', 'apps/access-control'], repo);
    writeFiles(repo, BROKEN);
    git(['commit', '-qam', 'break it'], repo);
    git(['checkout', '-q', 'main'], repo);
    expect(acl(['lint', '--ref', 'apps/access-control'], { cwd: repo }).code).toBe(1);
    const r = acl(['lint', '--ref', 'apps/access-control~1'], { cwd: repo });
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^linting apps\/access-control~1 at [0-9a-f]{12} in /);
  });

  test('an unknown --ref names it', () => {
    const repo = repoWithPolicy(CLEAN);
    const r = acl(['lint', '--ref', 'no-such-branch'], { cwd: repo });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `git acl lint: ref no-such-branch does not exist in ${fs.realpathSync(path.join(repo, '.git'))} (or is not a commit)\n`,
    );
  });

  test('a repository without a policy branch says which refs it looked for', () => {
    const dir = tempDir();
    git(['init', '-q', dir], dir);
    const r = acl(['lint'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^git acl lint: no policy branch in .*: neither refs\/heads\/apps\/access-control nor refs\/remotes\/origin\/apps\/access-control exists/,
    );
  });

  test('outside a repository without arguments says what to do', () => {
    const r = acl(['lint'], { cwd: tempDir() });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^git acl lint: not inside a git repository \(.*\): pass a checkout of the policy branch/);
  });
});

describe('lint warns about tree rules that let a non-owner change the policy branch', () => {
  const OPEN = { ...CLEAN, 'refs/register.conf': 'anyone fast-forward ^heads/apps/access-control$\n' };

  test('an unscoped rule: the warning names the rule and a policy file it reaches', () => {
    const dir = policyDir({
      ...OPEN,
      'branches/config.conf': '# config files, meant for main\nanyone create-file,modify glob:**/*.conf\n',
    });
    const r = acl(['lint', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').slice(1, -2)).toEqual([
      'branches/config.conf:2:1: warning: "anyone create-file,modify glob:**/*.conf" lets someone other than the owner change the policy itself (e.g. refs/x.conf on heads/apps/access-control): it has no branch line, so it applies to every branch; whoever may also move that branch could rewrite the policy. Put it under a branch line that leaves the policy branch out (branch ^heads/main$), or grant no more than ^keys/$user_id\\.asc$ there',
    ]);
  });

  test('a branch line that matches the policy branch, and a rule aimed at one policy file, a group and a delete of a policy directory', () => {
    const dir = policyDir({
      ...OPEN,
      'groups/maintainers.conf': `${'A'.repeat(40)}\n`,
      'branches/apps.conf': ['branch ^heads/apps/.*$', 'maintainers modify ^groups/maintainers\\.conf$', 'anyone delete ^refs$', ''].join(
        '\n',
      ),
    });
    const r = acl(['lint', '--json', dir]);
    const doc = JSON.parse(r.stdout) as { diagnostics: Array<{ file: string; line: number; code: string; message: string }> };
    expect(doc.diagnostics.map((d) => [d.file, d.line, d.code, d.message.slice(0, d.message.indexOf(':'))])).toEqual([
      [
        'branches/apps.conf',
        2,
        'policy-branch-grant',
        '"maintainers modify ^groups/maintainers\\.conf$" lets someone other than the owner change the policy itself (e.g. groups/maintainers.conf on heads/apps/access-control)',
      ],
      [
        'branches/apps.conf',
        3,
        'policy-branch-grant',
        '"anyone delete ^refs$" lets someone other than the owner change the policy itself (e.g. refs on heads/apps/access-control)',
      ],
    ]);
    expect(doc.diagnostics[0]!.message).toContain('its branch line ^heads/apps/.*$ matches heads/apps/access-control; ');
  });

  test('silent for the self-registration shape, for owner rules, for rules scoped elsewhere and for deny rules', () => {
    const O = '0123456789ABCDEF0123456789ABCDEF01234567';
    const dir = policyDir({
      ...OPEN,
      owner: `${O}\n`,
      [`keys/${O}.asc`]: '',
      'branches/fine.conf': [
        'anyone create-directory ^keys$',
        `${O} modify ^refs/owner\\.conf$`,
        'deny anyone modify glob:**',
        'branch ^heads/apps/access-control$',
        'anyone create-file,modify ^keys/$user_id\\.asc$',
        'branch ^heads/main$',
        'anyone create-file,modify glob:**/*.conf',
        '',
      ].join('\n'),
    });
    const doc = JSON.parse(acl(['lint', '--json', dir]).stdout) as { diagnostics: Array<{ code: string }> };
    expect(doc.diagnostics.filter((d) => d.code === 'policy-branch-grant')).toEqual([]);
  });
});
