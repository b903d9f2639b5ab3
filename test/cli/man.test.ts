/** `git acl --help` becomes `git help acl`, which opens the git-acl(1) page the build renders from the help text. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect, test } from 'vitest';
import { CLI, REPO_ROOT } from './helpers.js';
import { COMMANDS } from '../../src/cli/commands.js';

const PAGE = path.join(REPO_ROOT, 'man/man1/git-acl.1');

test('the build writes a man page with every command', () => {
  const page = fs.readFileSync(PAGE, 'utf8');
  expect(page.startsWith('.TH GIT-ACL 1 ')).toBe(true);
  for (const c of COMMANDS) expect(page).toContain(`.SH ${c.name.toUpperCase()}\n.nf\nusage: git acl ${c.usage[0]}`);
});

test('git acl --help shows it when git-acl is on PATH and the page on MANPATH', () => {
  if (spawnSync('man', ['--version']).status !== 0) return; // no man(1) on this machine: the page itself is checked above
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'acl-bin-'));
  try {
    fs.symlinkSync(CLI, path.join(bin, 'git-acl'));
    const r = spawnSync('git', ['acl', '--help'], {
      encoding: 'utf8',
      env: {
        ...process.env,
        PATH: `${bin}:${process.env.PATH}`,
        MANPATH: `${path.join(REPO_ROOT, 'man')}:`,
        MANPAGER: 'cat',
        PAGER: 'cat',
        MANWIDTH: '80',
      },
    });
    expect(r.stdout).toMatch(/NAME\s+git-acl - access control for signed pushes to a git server/);
  } finally {
    fs.rmSync(bin, { recursive: true, force: true });
  }
});
