/** `git acl lint [<dir> | --ref <ref>] [--json]` */
import { escapeControls, formatDiagnostic, lintPolicy, type Diagnostic } from '../core/index.js';
import { KEY_FILE_PATH } from '../core/ids.js';
import { compareDiagnostics } from '../core/order.js';
import { ExitCode, UsageError, flag, str, type ParsedArgs } from './args.js';
import { makeOut, printJson } from './output.js';
import { loadPolicy, type LoadedPolicy } from './policy-source.js';
import { PolicyLimitError } from '../git/policy-files.js';

export async function run(args: ParsedArgs): Promise<number> {
  const json = flag(args, 'json');
  const ref = str(args, 'ref');
  if (args.positionals.length > 1)
    throw new UsageError(`too many arguments: ${args.positionals.join(' ')} (one directory at most)`, 'lint');
  const dir = args.positionals[0];
  if (dir !== undefined && ref !== undefined) throw new UsageError(`give a directory or --ref, not both (${dir}, --ref ${ref})`, 'lint');

  const policy = await loadPolicy({ dir, ref });
  const diagnostics = [...lintPolicy(policy.files), ...(await keyFileDiagnostics(policy))].sort(compareDiagnostics);
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
    out.line(
      at < 0
        ? text
        : [text.slice(0, at + 2), d.severity === 'error' ? out.red('error') : out.yellow('warning'), text.slice(at + mark.length - 2)],
    );
  }
  const summary = `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`;
  out.line(errors ? out.red(summary) : diagnostics.length ? summary : out.green(summary));
  return errors ? ExitCode.fail : ExitCode.ok;
}

/**
 * The server's own check of every key file a push adds or changes (a usable
 * public key, no secret material, named after its fingerprint), run here on
 * every key file the policy holds: lint passing must mean the server accepts
 * these files.
 */
async function keyFileDiagnostics(policy: LoadedPolicy): Promise<Diagnostic[]> {
  const named = policy.files.map((f) => ({ path: f.path, id: KEY_FILE_PATH.exec(f.path)?.[1] })).filter((k) => k.id !== undefined);
  if (named.length === 0) return [];
  const { pushedKeyFileProblem } = await import('../identity/keys.js');
  const out: Diagnostic[] = [];
  for (const { path, id } of named) {
    let armored: string | null;
    try {
      armored = await policy.readKeyFile(path);
    } catch (e) {
      // A key file past its bound is not read: the error the hook would refuse it with.
      if (!(e instanceof PolicyLimitError)) throw e;
      out.push({ file: path, line: 1, col: 1, severity: 'error', code: 'unusable-key-file', message: escapeControls(e.message) });
      continue;
    }
    const problem = await pushedKeyFileProblem(armored ?? '', id!);
    if (problem) out.push({ file: path, line: 1, col: 1, severity: 'error', code: 'unusable-key-file', message: escapeControls(problem) });
  }
  return out;
}
