import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { acl, cleanEnv, cleanup, CLI, ensureBuilt, REPO_ROOT, run, tempDir } from './helpers.js';

beforeAll(() => ensureBuilt());
afterAll(() => cleanup());

const COMMANDS = ['init', 'lint', 'check', 'preview', 'install-client-hook', 'version', 'help'];

describe('git acl help and manners', () => {
  test('--help lists every command and exits 0', () => {
    const r = acl(['--help']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')[0]).toBe('usage: git acl <command> [<options>]');
    for (const c of COMMANDS) expect(r.stdout).toMatch(new RegExp(`^  ${c} +\\S`, 'm'));
    expect(acl(['-h']).stdout).toBe(r.stdout);
    expect(acl(['help']).stdout).toBe(r.stdout);
  });

  test('no command prints the help on stderr and exits 2', () => {
    const r = acl([]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('usage: git acl <command> [<options>]');
  });

  test.each(COMMANDS)('%s --help lists every option with an example', (name) => {
    const r = acl([name, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^usage: git acl ${name}`));
    expect(r.stdout).toContain('\nOptions:\n');
    expect(r.stdout).toMatch(/\nExamples:\n( {2}.*\n)* {2}git acl /);
    expect(r.stdout).toContain('-h, --help');
    expect(acl(['help', name]).stdout).toBe(r.stdout);
    expect(acl([name, '-h']).stdout).toBe(r.stdout);
  });

  test('each command documents its options', () => {
    const expected: Record<string, string[]> = {
      init: ['--owner-key <file>', '--preset <name>', '--list-presets'],
      lint: ['--ref <ref>', '--json'],
      check: ['--user <USER_ID|me>', '--branch <ref>', '--policy <dir>', '--ref <ref>', '--owner <USER_ID>', '--json'],
      preview: ['--user <USER_ID|me>', '--owner <USER_ID>', '--pre-push', '--json'],
    };
    for (const [name, options] of Object.entries(expected)) {
      const help = acl([name, '-h']).stdout;
      for (const o of options) expect(help, `${name} ${o}`).toContain(o);
    }
  });

  test('an unknown command suggests the closest one', () => {
    const r = acl(['lnit']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe("git acl: 'lnit' is not a git acl command; did you mean 'lint'? (see git acl -h)\n");
    expect(acl(['chekc']).stderr).toBe("git acl: 'chekc' is not a git acl command; did you mean 'check'? (see git acl -h)\n");
    expect(acl(['preveiw']).stderr).toContain("did you mean 'preview'?");
    expect(acl(['frobnicate']).stderr).toBe("git acl: 'frobnicate' is not a git acl command (see git acl -h)\n");
    expect(acl(['help', 'lnit']).stderr).toContain("did you mean 'lint'?");
  });

  test('an unknown option suggests the closest one and shows the usage', () => {
    const r = acl(['lint', '--jsno']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'git acl lint: unknown option --jsno; did you mean --json?\nusage: git acl lint [<dir> | --ref <ref>] [--json]\n(see git acl lint -h)\n',
    );
    expect(acl(['check', '--usr', 'me']).stderr).toMatch(/^git acl check: unknown option --usr; did you mean --user\?\n/);
    expect(acl(['check', '-user', 'me']).stderr).toMatch(/^git acl check: unknown option -u; did you mean --user\?\n/);
    expect(acl(['--verison']).stderr).toMatch(/^git acl: unknown option --verison; did you mean --version\?/);
  });

  test('an option that needs a value says so', () => {
    const r = acl(['lint', '--ref']);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe('git acl lint: option --ref needs a value: --ref <ref>');
  });

  test('prints the version', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const args of [['--version'], ['version']]) {
      const r = acl(args);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`git-acl ${pkg.version}\n`);
    }
  });

  test('works as a git subcommand (git-acl on PATH)', () => {
    const bin = tempDir();
    fs.writeFileSync(path.join(bin, 'git-acl'), `#!/bin/sh\nexec '${process.execPath}' '${CLI}' "$@"\n`, { mode: 0o755 });
    const env = cleanEnv({ PATH: `${bin}:${process.env.PATH}` });
    const r = run('git', ['acl', 'lnit'], { env, cwd: bin });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("did you mean 'lint'?");
    expect(run('git', ['acl', '-h'], { env, cwd: bin }).stdout).toContain('usage: git acl <command>');
  });

  test('main.js starts with a shebang', () => {
    expect(fs.readFileSync(CLI, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
  });

  test('colours only on a terminal, never with NO_COLOR or --json', () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'refs'));
    fs.writeFileSync(path.join(dir, 'refs/a.conf'), 'owner fast-foward ^.*$\n');
    const hasScript = run('sh', ['-c', 'command -v script'], {}).code === 0;
    if (!hasScript) return;
    const tty = (cmd: string, extra: NodeJS.ProcessEnv = {}) =>
      run('script', ['-qec', cmd, '/dev/null'], { env: cleanEnv({ TERM: 'xterm', ...extra }) }).stdout;
    const node = `'${process.execPath}' '${CLI}'`;
    expect(tty(`${node} lint ${dir}`)).toContain('\x1b[31merror\x1b[0m');
    expect(tty(`${node} lint ${dir}`, { NO_COLOR: '1' })).not.toContain('\x1b[');
    expect(tty(`${node} lint --json ${dir}`)).not.toContain('\x1b[');
    expect(acl(['lint', dir]).stdout).not.toContain('\x1b[');
  });
});
