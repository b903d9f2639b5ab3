/** `git acl set-owner <bare-repo> --owner-key <file>`: argument handling around server/set-owner.ts. */
import { CliError, UsageError, str, type ParsedArgs } from './args.js';
import { makeOut } from './output.js';

export async function run(args: ParsedArgs): Promise<number> {
  const { setOwner, SetOwnerError } = await import('../server/set-owner.js');
  const out = makeOut(false);
  if (args.positionals.length === 0) throw new UsageError('missing <bare-repo>', 'set-owner');
  if (args.positionals.length > 1) throw new UsageError(`too many arguments: ${args.positionals.slice(1).join(' ')}`, 'set-owner');
  const ownerKeyFile = str(args, 'owner-key');
  if (ownerKeyFile === undefined) throw new UsageError("missing --owner-key <file> (the new owner's armored public key)", 'set-owner');
  try {
    const result = await setOwner({ repo: args.positionals[0]!, ownerKeyFile });
    for (const c of result.changes) out.line(c);
    out.line(`owner: ${result.owner}`);
    return 0;
  } catch (e) {
    if (e instanceof SetOwnerError) throw new CliError(e.message);
    if (e instanceof Error && e.name === 'LogBusyError') throw new CliError(e.message);
    throw e;
  }
}
