/** Help text, rendered from the command table (commands.ts). */
import { COMMANDS, findCommand, unknownCommand, usageLines, type CommandSpec } from './commands.js';
import { ExitCode, UsageError, type ParsedArgs } from './args.js';

export function generalHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'usage: git acl <command> [<options>]',
    '',
    'git-acl judges every signed push to a git server against the policy on the',
    "repository's branch refs/heads/apps/access-control.",
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Options:',
    "  -h, --help     show help (git acl <command> -h for a command's options)",
    '  --version      print the version of git-acl',
    '',
    'Examples:',
    '  git acl init /srv/git/project.git --owner-key alice.asc',
    '  git acl lint',
    '  git acl check --user me fast-forward heads/main',
    '  git acl preview origin main',
    '',
    'Exit status: 0 ok (allowed, clean), 1 denied or errors, 2 usage error.',
    'Colours only on a terminal; never with --json or when NO_COLOR is set.',
    'Note: git turns `git acl --help` into `man git-acl`, which npm installs; `git acl -h` always works.',
    '',
  ].join('\n');
}

export function commandHelp(c: CommandSpec): string {
  const optLabel = (o: CommandSpec['options'][number]) => `${o.short ? `-${o.short}, ` : '    '}--${o.name}${o.value ? ` ${o.value}` : ''}`;
  const width = Math.max(...c.options.map((o) => optLabel(o).length));
  return [
    ...usageLines(c),
    '',
    ...c.description.flatMap((p) => [...wrap(p, 78), '']),
    'Options:',
    ...c.options.map((o) => `  ${optLabel(o).padEnd(width)}  ${o.help}${o.multiple ? ' (repeatable)' : ''}`),
    '',
    'Examples:',
    ...c.examples.map((e) => `  ${e}`),
    '',
  ].join('\n');
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/** `git acl help [<command>]`. */
export async function run(args: ParsedArgs): Promise<number> {
  const [name, ...rest] = args.positionals;
  if (rest.length) throw new UsageError(`too many arguments: ${rest.join(' ')}`, 'help');
  if (!name) {
    process.stdout.write(generalHelp());
    return ExitCode.ok;
  }
  const c = findCommand(name);
  if (!c) throw unknownCommand(name);
  process.stdout.write(commandHelp(c));
  return ExitCode.ok;
}
