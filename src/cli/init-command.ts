/** `git acl init <bare-repo> --owner-key <file> [--preset <name>]...`: argument handling around init.ts. */
import { CliError, ExitCode, UsageError, flag, list, str, type ParsedArgs } from './args.js';
import { didYouMean } from '../core/suggest.js';
import { makeOut } from './output.js';

export async function run(args: ParsedArgs): Promise<number> {
  const { init, listPresets, InitError } = await import('../server/init.js');
  const out = makeOut(false);
  if (flag(args, 'list-presets')) {
    for (const p of await listPresets()) out.line(p);
    return ExitCode.ok;
  }
  if (args.positionals.length === 0) throw new UsageError('missing <bare-repo>', 'init');
  if (args.positionals.length > 1) throw new UsageError(`too many arguments: ${args.positionals.slice(1).join(' ')}`, 'init');
  const ownerKeyFile = str(args, 'owner-key');
  if (ownerKeyFile === undefined) throw new UsageError("missing --owner-key <file> (the owner's armored public key)", 'init');
  const presets = list(args, 'preset');
  const available = await listPresets();
  for (const p of presets) {
    if (!available.includes(p)) {
      const hint = didYouMean(p, available);
      throw new UsageError(`unknown preset '${p}'${hint ? `; did you mean '${hint}'?` : ''} (available: ${available.join(', ')})`, 'init');
    }
  }
  try {
    const result = await init({ repo: args.positionals[0]!, ownerKeyFile, presets });
    for (const c of result.changes) out.line(c);
    out.line(`owner: ${result.owner}`);
    return ExitCode.ok;
  } catch (e) {
    if (e instanceof InitError) throw new CliError(e.message);
    throw e;
  }
}
