/** Small pieces main.ts and help.ts share. */
import { COMMANDS } from './commands.js';
import { UsageError, didYouMean } from './args.js';

export function unknownCommand(name: string): UsageError {
  const hint = didYouMean(name, COMMANDS.map((c) => c.name));
  return new UsageError(`'${name}' is not a git acl command${hint ? `; did you mean '${hint}'?` : ''} (see git acl -h)`);
}
