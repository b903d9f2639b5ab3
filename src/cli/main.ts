#!/usr/bin/env node
/**
 * The `git-acl` binary (`git acl <command>` when on PATH). Parses the command
 * line against the command table and imports only the module of the command
 * that runs, so help and usage errors load nothing heavy.
 *
 * Exit codes: 0 ok, 1 denied / errors, 2 usage error.
 */
import { COMMANDS, findCommand, unknownCommand, usageLines } from './commands.js';
import { CliError, ExitCode, UsageError, parseArgs, type ParsedArgs } from './args.js';
import { didYouMean } from '../core/suggest.js';
import { errorMessage, oneLine } from '../core/messages.js';
import { escapeControls } from '../core/text.js';

export type CommandModule = { run(args: ParsedArgs): Promise<number> };

// `git acl ... | head -1`: a reader that stops early closes the pipe. What is left to print is dropped, never a stack
// trace, and the command still finishes its work (init must not stop half-way because nobody reads its report).
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED') throw e;
  });
}

async function main(argv: string[]): Promise<number> {
  const first = argv[0];
  if (first === undefined) {
    const { generalHelp } = await import('./help.js');
    process.stderr.write(generalHelp());
    return ExitCode.usage;
  }
  if (first === '-h' || first === '--help') {
    const { generalHelp } = await import('./help.js');
    process.stdout.write(generalHelp());
    return ExitCode.ok;
  }
  if (first === '--version' || first === '-V') argv = ['version', ...argv.slice(1)];
  else if (first.startsWith('-')) {
    const hint = didYouMean(first.replace(/^-+/, ''), ['help', 'version']);
    throw new UsageError(
      `unknown option ${first}${hint ? `; did you mean --${hint}?` : ''} (usage: git acl <command> [<options>]; see git acl -h)`,
    );
  }
  const name = argv[0]!;
  const spec = findCommand(name);
  if (!spec) throw unknownCommand(name);
  const rest = argv.slice(1);
  const end = rest.indexOf('--');
  const before = end < 0 ? rest : rest.slice(0, end);
  if (before.includes('--help') || before.includes('-h')) {
    const { commandHelp } = await import('./help.js');
    process.stdout.write(commandHelp(spec));
    return ExitCode.ok;
  }
  const args = parseArgs(rest, spec.options, spec.name);
  const mod = (await import(spec.module)) as CommandModule;
  return mod.run(args);
}

function fail(e: unknown): number {
  if (e instanceof UsageError) {
    const spec = e.command ? findCommand(e.command) : undefined;
    const who = spec ? `git acl ${spec.name}` : 'git acl';
    // Messages quote what the user or a repository gave (an argument, a remote's name, git's stderr): escaped, one line.
    let text = `${who}: ${escapeControls(oneLine(e.message, Infinity))}\n`;
    if (spec) {
      text += `${usageLines(spec).join('\n')}\n(see git acl ${spec.name} -h)\n`;
    }
    process.stderr.write(text);
    return ExitCode.usage;
  }
  const cmd = COMMANDS.some((c) => c.name === process.argv[2]) ? ` ${process.argv[2]}` : '';
  const message = errorMessage(e);
  process.stderr.write(`git acl${cmd}: ${e instanceof CliError ? '' : 'error: '}${escapeControls(oneLine(message, Infinity))}\n`);
  if (!(e instanceof CliError) && process.env.GIT_ACL_DEBUG && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
  return ExitCode.fail;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.exitCode = fail(e);
  },
);
