/** `git acl version`: the package version, read from git-acl's own package.json. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode, UsageError, type ParsedArgs } from './args.js';
import { PACKAGE_ROOT } from '../package-root.js';

export function version(): string {
  const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}

export async function run(args: ParsedArgs): Promise<number> {
  if (args.positionals.length) throw new UsageError(`too many arguments: ${args.positionals.join(' ')}`, 'version');
  process.stdout.write(`git-acl ${version()}\n`);
  return ExitCode.ok;
}
