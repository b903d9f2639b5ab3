/** `git acl lint [<dir> | --ref <ref>] [--json]` */
import { formatDiagnostic, lintPolicy } from '../core/index.js';
import { ExitCode, UsageError, flag, str, type ParsedArgs } from './args.js';
import { makeOut, printJson } from './output.js';
import { loadPolicy } from './policy-source.js';

export async function run(args: ParsedArgs): Promise<number> {
  const json = flag(args, 'json');
  const ref = str(args, 'ref');
  if (args.positionals.length > 1) throw new UsageError(`too many arguments: ${args.positionals.join(' ')} (one directory at most)`, 'lint');
  const dir = args.positionals[0];
  if (dir !== undefined && ref !== undefined) throw new UsageError(`give a directory or --ref, not both (${dir}, --ref ${ref})`, 'lint');

  const policy = await loadPolicy({ dir, ref });
  const diagnostics = lintPolicy(policy.files);
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.length - errors;
  if (json) {
    printJson({ source: policy.source, diagnostics, errors, warnings });
    return errors ? ExitCode.fail : ExitCode.ok;
  }
  const out = makeOut(false);
  for (const n of policy.notes) out.err(n);
  out.line(`linting ${policy.description} (${policy.files.length} file${policy.files.length === 1 ? '' : 's'})`);
  for (const d of diagnostics) {
    const text = formatDiagnostic(d);
    const mark = d.severity === 'error' ? ': error: ' : ': warning: ';
    const at = text.indexOf(mark);
    out.line(at < 0 ? text : [text.slice(0, at + 2), d.severity === 'error' ? out.red('error') : out.yellow('warning'), text.slice(at + mark.length - 2)]);
  }
  const summary = `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`;
  out.line(errors ? out.red(summary) : diagnostics.length ? summary : out.green(summary));
  return errors ? ExitCode.fail : ExitCode.ok;
}
