/**
 * The git-acl(1) man page, rendered from the same command table as `-h`, so
 * the two never disagree. git turns `git acl --help` into `git help acl`,
 * which opens this page once it is installed (npm links `man/man1/git-acl.1`).
 *
 * Run as a script (`npm run build` does), it writes man/man1/git-acl.1.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { COMMANDS } from './commands.js';
import { commandHelp, generalHelp } from './help.js';

/** roff treats a leading `.` or `'` as a request and `\` as an escape. */
function roff(text: string): string {
  return text
    .split('\n')
    .map((l) => l.replace(/\\/g, '\\e').replace(/^([.'])/, '\\&$1'))
    .join('\n');
}

export function manPage(version: string): string {
  const out = [
    `.TH GIT-ACL 1 "" "git-acl ${version}" "Git Manual"`,
    '.SH NAME',
    'git-acl \\- access control for signed pushes to a git server',
    '.SH SYNOPSIS',
    '.nf',
    roff(generalHelp()),
    '.fi',
  ];
  for (const c of COMMANDS) {
    out.push(`.SH ${c.name.toUpperCase()}`, '.nf', roff(commandHelp(c)), '.fi');
  }
  out.push('.SH SEE ALSO', 'git-receive-pack(1), githooks(5), and the docs/ folder of git-acl', '');
  return out.join('\n');
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
  const { version } = (await import(resolve(root, 'package.json'), { with: { type: 'json' } })).default as { version: string };
  const file = resolve(root, 'man/man1/git-acl.1');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, manPage(version));
}
