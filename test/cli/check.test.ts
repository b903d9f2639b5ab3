import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { acl, cleanEnv, cleanup, ensureBuilt, git, repoWithPolicy, tempDir, writeFiles } from './helpers.js';
import { genKey, makeGpgHome, type GpgHome } from '../support/gpg.js';

const ALICE = 'A'.repeat(40);
const BOB = 'B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0';
const OWNER = '0123456789ABCDEF0123456789ABCDEF01234567';

const POLICY = {
  'refs/owner.conf': 'owner create-branch,create-tag,fast-forward,force,delete ^.*$\n',
  'refs/users.conf': [
    'anyone create-branch,fast-forward,force,delete ^heads/$user_id/.*$',
    'maintainers fast-forward ^heads/main$',
    'deny anyone force ^heads/main$',
    '',
  ].join('\n'),
  'groups/maintainers.conf': `${ALICE}\n`,
  'branches/owner.conf': 'owner create-directory,create-file,create-symlink,create-submodule,modify,delete ^.*$\n',
  'branches/docs.conf': ['branch ^heads/main$', 'anyone create-file,modify glob:docs/**', 'deny anyone delete glob:docs/**', ''].join('\n'),
};

let policy: string;
beforeAll(() => {
  ensureBuilt();
  policy = tempDir();
  writeFiles(policy, POLICY);
});
afterAll(() => cleanup());

const check = (...args: string[]) => acl(['check', '--policy', policy, ...args]);

describe('git acl check', () => {
  test('allowed: exit 0, the reason and the deciding rule', () => {
    const r = check('--user', ALICE, 'fast-forward', 'heads/main');
    expect(r.stderr).toBe(
      'warning: the owner is unknown (the policy records none; no --owner or git config acl.owner): judged as a user who is not the owner\n',
    );
    expect(r.stdout).toBe(
      [
        `policy: directory ${policy}`,
        `user:   ${ALICE}`,
        `allowed: ${ALICE} may fast-forward heads/main by refs/users.conf:2 "maintainers fast-forward ^heads/main$"`,
        '  rule: refs/users.conf:2: maintainers fast-forward ^heads/main$',
        '',
      ].join('\n'),
    );
    expect(r.code).toBe(0);
  });

  test('refs/heads/main and heads/main are the same ref', () => {
    const a = check('--user', ALICE, 'fast-forward', 'refs/heads/main', '--owner', OWNER);
    const b = check('--user', ALICE, 'fast-forward', 'heads/main', '--owner', OWNER);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
  });

  test('a short name resolves as git resolves it: main is heads/main, for --branch too; a tag for create-tag', () => {
    const short = check('--user', ALICE, 'fast-forward', 'main', '--owner', OWNER);
    expect(short.stderr).toBe('');
    expect(short.code).toBe(0);
    expect(short.stdout).toBe(check('--user', ALICE, 'fast-forward', 'heads/main', '--owner', OWNER).stdout);
    const tree = check('--user', BOB, 'create-file', 'docs/a.md', '--branch', 'main', '--owner', OWNER);
    expect(tree.code).toBe(0);
    expect(tree.stdout).toContain(`allowed: ${BOB} may create-file docs/a.md on heads/main by branches/docs.conf:2`);
    const nested = check('--user', BOB, 'create-branch', `${BOB}/topic`, '--owner', OWNER);
    expect(nested.code).toBe(0);
    expect(nested.stdout).toContain(`allowed: ${BOB} may create-branch heads/${BOB}/topic`);
    const tag = check('--user', OWNER, 'create-tag', 'v1.0', '--owner', OWNER);
    expect(tag.stdout).toContain(`allowed: ${OWNER} may create-tag tags/v1.0`);
  });

  test('the owner is the one the policy records in its file owner (no --owner, no acl.owner needed)', () => {
    const dir = tempDir();
    writeFiles(dir, { ...POLICY, owner: `# the owner\n${OWNER}\n`, [`keys/${OWNER}.asc`]: '' });
    const r = acl(['check', '--policy', dir, '--user', OWNER, 'force', 'heads/x']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`user:   ${OWNER} (the owner)\n`);
    const other = acl(['check', '--policy', dir, '--user', BOB, 'force', 'heads/x', '--json']);
    expect(other.stderr).toBe('');
    expect(JSON.parse(other.stdout)).toMatchObject({ owner: OWNER, allowed: false });
  });

  test('an unknown owner never denies what the owner could do: allowed only if the user is the owner, and said so', () => {
    const r = check('--user', BOB, 'force', 'heads/x');
    expect(r.stderr).toBe(
      `warning: the owner is unknown (the policy records none; no --owner or git config acl.owner): allowed only if ${BOB} is the owner\n`,
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`allowed: ${BOB} may force heads/x by refs/owner.conf:1`);
  });

  test('denied by a deny rule: exit 1, the deny rule shown', () => {
    const r = check('--user', ALICE, 'force', 'heads/main', '--owner', OWNER);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[2]).toMatch(new RegExp(`^denied: .*${ALICE}.*force heads/main`));
    expect(lines[3]).toBe('  rule: refs/users.conf:3: deny anyone force ^heads/main$');
  });

  test('denied by default: the reason names what would allow it, the nearest rules follow', () => {
    const r = check('--user', BOB, 'fast-forward', 'heads/main', '--owner', OWNER);
    expect(r.code).toBe(1);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[2]).toMatch(/^denied: no rule lets B0B0.* fast-forward heads\/main; nearest: /);
    expect(lines.slice(3)).toContain('  nearest: refs/users.conf:2: maintainers fast-forward ^heads/main$');
    expect(lines.some((l) => l.startsWith('  rule:'))).toBe(false);
  });

  test('owner rules match with --owner', () => {
    const r = check('--user', OWNER, 'force', 'heads/x', '--owner', OWNER);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`user:   ${OWNER} (the owner)\n`);
    expect(r.stdout).toContain('  rule: refs/owner.conf:1: owner create-branch,create-tag,fast-forward,force,delete ^.*$\n');
  });

  test('the owner comes from git config acl.owner of the repository', () => {
    const repo = repoWithPolicy(POLICY);
    git(['config', 'acl.owner', OWNER], repo);
    const r = acl(['check', '--user', OWNER, 'delete', 'heads/x'], { cwd: repo });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^policy: refs\/heads\/apps\/access-control at [0-9a-f]{12} in /);
  });

  test('tree ops need --branch and take a path', () => {
    const ok = check('--user', BOB, 'create-file', 'docs/a/b.md', '--branch', 'heads/main', '--owner', OWNER);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(`allowed: ${BOB} may create-file docs/a/b.md on heads/main by branches/docs.conf:2`);
    expect(ok.stdout).toContain('  rule: branches/docs.conf:2: anyone create-file,modify glob:docs/**\n');
    const scoped = check('--user', BOB, 'create-file', 'docs/a.md', '--branch', 'refs/heads/dev', '--owner', OWNER);
    expect(scoped.code).toBe(1);
    const r = check('--user', BOB, 'modify', 'docs/a.md');
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(
      'git acl check: modify is a tree operation: it needs --branch <ref> (the branch whose content changes)',
    );
  });

  test('aliases: each operation is checked and reported', () => {
    const del = check('--user', BOB, 'delete', 'docs/x', '--branch', 'heads/main', '--owner', OWNER);
    expect(del.code).toBe(1);
    const verdicts = del.stdout.split('\n').filter((l) => /^(allowed|denied):/.test(l));
    expect(verdicts).toHaveLength(4);
    for (const op of ['delete-file', 'delete-symlink', 'delete-submodule', 'delete-directory']) {
      expect(verdicts.some((l) => l.startsWith('denied:') && l.includes(` ${op} docs/x on heads/main`))).toBe(true);
    }
    const create = check('--user', BOB, 'create', `heads/${BOB}/topic`, '--owner', OWNER);
    expect(create.code).toBe(1);
    const cv = create.stdout.split('\n').filter((l) => /^(allowed|denied):/.test(l));
    expect(cv).toHaveLength(2);
    expect(cv[0]).toMatch(/^allowed: .* create-branch heads\/B0B0/);
    expect(cv[1]).toMatch(/^denied: .* create-tag heads\/B0B0/);
    // `delete` without --branch is the ref op.
    const refDelete = check('--user', BOB, 'delete', `heads/${BOB}/topic`, '--owner', OWNER);
    expect(refDelete.code).toBe(0);
    expect(refDelete.stdout.split('\n').filter((l) => /^(allowed|denied):/.test(l))).toHaveLength(1);
  });

  test('--json: the decisions as data', () => {
    const r = check('--user', BOB, 'fast-forward', 'heads/main', '--owner', OWNER, '--json');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    const doc = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(doc).toMatchObject({
      source: { type: 'directory', path: policy },
      user: BOB,
      owner: OWNER,
      allowed: false,
      decisions: [
        {
          operation: { type: 'ref', op: 'fast-forward', ref: 'refs/heads/main' },
          allowed: false,
          candidates: expect.arrayContaining([
            expect.objectContaining({ file: 'refs/users.conf', line: 2, text: 'maintainers fast-forward ^heads/main$' }),
          ]),
        },
      ],
    });
    const ok = JSON.parse(check('--user', ALICE, 'fast-forward', 'heads/main', '--json').stdout) as { owner: unknown; allowed: boolean };
    expect(ok.owner).toBeNull();
    expect(ok.allowed).toBe(true);
  });

  test('an unknown operation is a usage error with a did-you-mean', () => {
    const r = check('--user', BOB, 'fast-foward', 'heads/main');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toBe(
      "git acl check: unknown operation 'fast-foward'; did you mean 'fast-forward'? (ref operations: create-branch, create-tag, fast-forward, force, delete, create; tree operations, with --branch: create-directory, create-file, create-symlink, create-submodule, modify, delete-file, delete-symlink, delete-submodule, delete-directory, delete)",
    );
    expect(r.stderr).toContain('usage: git acl check --user <USER_ID|me> <ref-op> <ref>');
  });

  test('usage errors: missing --user, missing arguments, --branch on a ref op, bad user ID', () => {
    expect(check('fast-forward', 'heads/main').stderr.split('\n')[0]).toBe(
      'git acl check: missing --user <USER_ID|me> (whose push to check)',
    );
    expect(check('--user', BOB, 'fast-forward').stderr.split('\n')[0]).toBe('git acl check: missing the ref or path for fast-forward');
    expect(check('--user', BOB, 'force', 'heads/x', '--branch', 'heads/main').stderr.split('\n')[0]).toBe(
      'git acl check: --branch is for tree operations; force is a ref operation',
    );
    for (const args of [
      ['fast-forward', 'heads/main'],
      ['--user', BOB, 'fast-forward'],
      ['--user', BOB, 'force', 'heads/x', '--branch', 'heads/main'],
    ]) {
      expect(check(...args).code).toBe(2);
    }
    const bad = check('--user', 'alice', 'force', 'heads/x');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(
      "git acl check: --user alice: not a user ID (the key's full fingerprint, 40 hex digits) nor 'me', and no key in your gpg keyring matches it\n",
    );
  });

  test('a broken policy: exit 1, the first error named', () => {
    const dir = tempDir();
    writeFiles(dir, { 'refs/owner.conf': 'owner fast-foward ^.*$\n' });
    const r = acl(['check', '--policy', dir, '--user', BOB, 'force', 'heads/x']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `git acl check: the policy (directory ${dir}) has 1 error, first: refs/owner.conf:1:7: error: unknown operation 'fast-foward'; did you mean 'fast-forward'?; the server rejects every push while its policy is broken (see git acl lint)\n`,
    );
  });
});

describe('git acl check --trace', () => {
  test('a default denial: every ref rule in canonical order, and the tests each failed', () => {
    const r = check('--user', BOB, 'fast-forward', 'heads/main', '--owner', OWNER, '--trace');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n').slice(2)).toEqual([
      `denied: no rule lets ${BOB} fast-forward heads/main; nearest: refs/users.conf:2 "maintainers fast-forward ^heads/main$" (applies to group 'maintainers', which does not include ${BOB})`,
      '  nearest: refs/users.conf:2: maintainers fast-forward ^heads/main$',
      '  nearest: refs/users.conf:1: anyone create-branch,fast-forward,force,delete ^heads/$user_id/.*$',
      '  nearest: refs/owner.conf:1: owner create-branch,create-tag,fast-forward,force,delete ^.*$',
      '  trace: 4 ref rules, in canonical order:',
      '    skip  refs/owner.conf:1 "owner create-branch,create-tag,fast-forward,force,delete ^.*$": applies to the owner only',
      '    skip  refs/users.conf:1 "anyone create-branch,fast-forward,force,delete ^heads/$user_id/.*$": pattern does not match heads/main',
      `    skip  refs/users.conf:2 "maintainers fast-forward ^heads/main$": applies to group 'maintainers', which does not include ${BOB}`,
      '    skip  refs/users.conf:3 "deny anyone force ^heads/main$": denies force, not fast-forward',
      '',
    ]);
  });

  test('the deny rule that decides, an allow rule that also applies, and the owner', () => {
    const denied = check('--user', ALICE, 'force', 'heads/main', '--owner', OWNER, '--trace');
    expect(denied.code).toBe(1);
    expect(denied.stdout.split('\n').slice(4)).toEqual([
      '  trace: 4 ref rules, in canonical order:',
      '    skip  refs/owner.conf:1 "owner create-branch,create-tag,fast-forward,force,delete ^.*$": applies to the owner only',
      '    skip  refs/users.conf:1 "anyone create-branch,fast-forward,force,delete ^heads/$user_id/.*$": pattern does not match heads/main',
      '    skip  refs/users.conf:2 "maintainers fast-forward ^heads/main$": allows fast-forward, not force',
      '    DENY  refs/users.conf:3 "deny anyone force ^heads/main$": decides: deny rules always win',
      '',
    ]);
    const owner = check('--user', OWNER, 'force', 'heads/main', '--owner', OWNER, '--trace');
    expect(owner.code).toBe(1);
    expect(owner.stdout).toContain(
      '    allow refs/owner.conf:1 "owner create-branch,create-tag,fast-forward,force,delete ^.*$": applies, but a deny rule wins\n',
    );
    const allowed = check('--user', OWNER, 'fast-forward', 'heads/main', '--owner', OWNER, '--trace');
    expect(allowed.code).toBe(0);
    expect(allowed.stdout.split('\n').slice(4)).toEqual([
      '  trace: 4 ref rules, in canonical order:',
      '    ALLOW refs/owner.conf:1 "owner create-branch,create-tag,fast-forward,force,delete ^.*$": decides: the first allow rule that applies, and no deny rule applies',
      '    skip  refs/users.conf:1 "anyone create-branch,fast-forward,force,delete ^heads/$user_id/.*$": pattern does not match heads/main',
      '    skip  refs/users.conf:2 "maintainers fast-forward ^heads/main$": applies to group \'maintainers\', which does not include ' +
        OWNER,
      '    skip  refs/users.conf:3 "deny anyone force ^heads/main$": denies force, not fast-forward',
      '',
    ]);
  });

  test('tree rules: the branch scope is a test of its own', () => {
    const r = check('--user', BOB, 'delete-file', 'docs/a.md', '--branch', 'heads/dev', '--owner', OWNER, '--trace');
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('    ') || l.startsWith('  trace'))).toEqual([
      '  trace: 3 tree rules, in canonical order:',
      '    skip  branches/docs.conf:2 "anyone create-file,modify glob:docs/**": allows create-file,modify, not delete-file; only on branches matching ^heads/main$',
      '    skip  branches/docs.conf:3 "deny anyone delete glob:docs/**": only on branches matching ^heads/main$',
      '    skip  branches/owner.conf:1 "owner create-directory,create-file,create-symlink,create-submodule,modify,delete ^.*$": applies to the owner only',
    ]);
  });

  test('--json: each decision carries its trace as data', () => {
    const r = check('--user', ALICE, 'delete-file', 'docs/a.md', '--branch', 'heads/main', '--owner', OWNER, '--trace', '--json');
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as { decisions: Array<{ trace: unknown[] }> };
    expect(doc.decisions).toHaveLength(1);
    expect(doc.decisions[0]!.trace).toEqual([
      {
        rule: { file: 'branches/docs.conf', line: 2, text: 'anyone create-file,modify glob:docs/**', deny: false },
        subject: true,
        op: false,
        pattern: true,
        scope: true,
        effect: 'skip',
        decisive: false,
        note: 'allows create-file,modify, not delete-file',
      },
      {
        rule: { file: 'branches/docs.conf', line: 3, text: 'deny anyone delete glob:docs/**', deny: true },
        subject: true,
        op: true,
        pattern: true,
        scope: true,
        effect: 'deny',
        decisive: true,
        note: 'decides: deny rules always win',
      },
      {
        rule: {
          file: 'branches/owner.conf',
          line: 1,
          text: 'owner create-directory,create-file,create-symlink,create-submodule,modify,delete ^.*$',
          deny: false,
        },
        subject: false,
        op: true,
        pattern: true,
        effect: 'skip',
        decisive: false,
        note: 'applies to the owner only',
      },
    ]);
    // Without --trace, no trace.
    const plain = JSON.parse(
      check('--user', ALICE, 'delete-file', 'docs/a.md', '--branch', 'heads/main', '--owner', OWNER, '--json').stdout,
    ) as { decisions: object[] };
    expect(plain.decisions[0]).not.toHaveProperty('trace');
  });

  test('control characters from the policy and the name are escaped in every trace line', () => {
    const dir = tempDir();
    writeFiles(dir, {
      'refs/evil.conf': 'anyone create-branch ^heads/evil\x1b]0;pwned\x07\u202e$\n',
      'refs/ok.conf': 'anyone create-branch ^heads/ok$\n',
    });
    // The rule file holds a raw ESC, BEL and RIGHT-TO-LEFT OVERRIDE, which RE2 takes as literal characters.
    expect(acl(['lint', dir]).code).toBe(0);
    const r = acl(['check', '--policy', dir, '--user', BOB, 'create-branch', 'heads/x\x1b[2J', '--trace']);
    expect(r.code).toBe(1);
    const trace = r.stdout.split('\n').filter((l) => l.startsWith('    '));
    expect(trace).toEqual([
      '    skip  refs/evil.conf:1 "anyone create-branch ^heads/evil\\x1b]0;pwned\\x07\\u202e$": pattern does not match "heads/x\\u001b[2J"',
      '    skip  refs/ok.conf:1 "anyone create-branch ^heads/ok$": pattern does not match "heads/x\\u001b[2J"',
    ]);
    const reason = r.stdout.split('\n').find((l) => l.startsWith('denied:'))!;
    expect(reason).toBe(
      `denied: no rule lets ${BOB} create-branch "heads/x\\u001b[2J": the name holds a control character or invalid UTF-8, which only a rule whose pattern is exactly this name allows; nearest: refs/evil.conf:1 "anyone create-branch ^heads/evil\\x1b]0;pwned\\x07\\u202e$" (pattern does not match "heads/x\\u001b[2J")`,
    );
  });
});

describe('git acl check --user me', () => {
  let home: GpgHome;
  beforeAll(() => {
    home = makeGpgHome();
  });
  afterAll(() => home.cleanup());

  test('is the primary fingerprint of user.signingkey, also when it names a subkey', () => {
    const key = genKey(home, 'Carol', { signingSubkey: true });
    const repo = repoWithPolicy(POLICY);
    git(['config', 'user.signingkey', key.keyId], repo);
    const env = cleanEnv({ GNUPGHOME: home.dir });
    const r = acl(['check', '--user', 'me', 'create-branch', `heads/${key.fingerprint}/x`, '--owner', OWNER], { cwd: repo, env });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`user:   ${key.fingerprint}\n`);
  });

  test('names the config key when it is not set, and the key when gpg does not know it', () => {
    const repo = repoWithPolicy(POLICY);
    const env = cleanEnv({ GNUPGHOME: home.dir });
    const unset = acl(['check', '--user', 'me', 'force', 'heads/x'], { cwd: repo, env });
    expect(unset.code).toBe(1);
    expect(unset.stderr).toBe(
      'git acl check: --user me: git config user.signingkey is not set and gpg has no key for Test <test@example.com>; set it to your key (git config user.signingkey <FINGERPRINT>) or pass --user <USER_ID>\n',
    );
    git(['config', 'user.signingkey', 'DEADBEEFDEADBEEF'], repo);
    const unknown = acl(['check', '--user', 'me', 'force', 'heads/x'], { cwd: repo, env });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^git acl check: user\.signingkey DEADBEEFDEADBEEF: gpg knows no such key/);
  });

  test('--user takes a name or an e-mail address of a key in the keyring, as gpg finds it', () => {
    const key = genKey(home, 'Erin');
    const env = cleanEnv({ GNUPGHOME: home.dir });
    for (const who of ['Erin', 'erin@example.org']) {
      const r = acl(['check', '--policy', policy, '--user', who, 'create-branch', `heads/${key.fingerprint}/x`, '--owner', OWNER], { env });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`user:   ${key.fingerprint}\n`);
    }
    const none = acl(['check', '--policy', policy, '--user', 'nobody@example.org', 'force', 'heads/x'], { env });
    expect(none.code).toBe(1);
    expect(none.stderr).toBe(
      "git acl check: --user nobody@example.org: not a user ID (the key's full fingerprint, 40 hex digits) nor 'me', and no key in your gpg keyring matches it\n",
    );
  });

  test('in a server repository after git acl init (whose gpg.openpgp.program is `true`), gpg still finds the key', () => {
    // init points git's own certificate check at `true` (src/server/git-signature-check.ts); that program lists no
    // keys, so --user by name and --user me must still ask gpg.
    const key = genKey(home, 'Frank');
    const dir = tempDir();
    const server = `${dir}/server.git`;
    git(['init', '-q', '--bare', server], dir);
    writeFiles(dir, { 'frank.asc': key.publicArmored });
    const env = cleanEnv({ GNUPGHOME: home.dir });
    const init = acl(['init', server, '--owner-key', `${dir}/frank.asc`], { env });
    expect(init.code, init.stderr).toBe(0);
    expect(git(['config', '--local', 'gpg.openpgp.program'], server)).toMatch(/\/true$/);
    const byName = acl(['check', '--user', 'frank@example.org', 'create-branch', 'heads/x'], { cwd: server, env });
    expect(byName.stderr).toBe('');
    expect(byName.stdout).toContain(`user:   ${key.fingerprint} (the owner)\n`);
    expect(byName.code).toBe(0);
    git(['config', 'user.signingkey', key.fingerprint], server);
    const me = acl(['check', '--user', 'me', 'create-branch', 'heads/x'], { cwd: server, env });
    expect(me.stderr).toBe('');
    expect(me.stdout).toContain(`user:   ${key.fingerprint} (the owner)\n`);
    expect(me.code).toBe(0);
  });

  test('without user.signingkey, is the key of the committer identity (as git signs)', () => {
    const key = genKey(home, 'Dave');
    const repo = repoWithPolicy(POLICY);
    const env = cleanEnv({ GNUPGHOME: home.dir, GIT_COMMITTER_NAME: 'Dave', GIT_COMMITTER_EMAIL: 'dave@example.org' });
    const r = acl(['check', '--user', 'me', 'create-branch', `heads/${key.fingerprint}/x`, '--owner', OWNER], { cwd: repo, env });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`user:   ${key.fingerprint}\n`);
  });
});
