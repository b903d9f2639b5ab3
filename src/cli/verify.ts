/**
 * `git acl verify [<remote>] [--no-fetch] [--full] [--json]`: fetch the
 * remote's refs and push log into a private namespace, replay the log with
 * `verifyLog`, and remember the verified tip so the next run checks only new
 * entries and refuses a log that does not descend from it.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { failureLine, runGit, succeeded } from '../git/exec.js';
import { openCliStore } from '../git/cli-store.js';
import { LOG_REF } from '../push/log-format.js';
import { verifyLog, type LogCheckpoint, type LogProblem } from '../push/verify-log.js';
import { CliError, UsageError, flag, type ParsedArgs } from './args.js';
import { makeOut, printJson } from './output.js';
import { requireGitDir } from './repo.js';

export const VERIFY_NAMESPACE = 'refs/git-acl/verify';

export async function run(args: ParsedArgs): Promise<number> {
  if (args.positionals.length > 1) throw new UsageError(`too many arguments: ${args.positionals.slice(1).join(' ')}`, 'verify');
  const json = flag(args, 'json');
  const out = makeOut(json);
  const gitDir = await requireGitDir('git acl verify');
  const remote = args.positionals[0] ?? 'origin';
  if (remote.startsWith('-') || remote === '') throw new UsageError(`invalid remote ${JSON.stringify(remote)}`, 'verify');
  const env = { ...process.env, GIT_DIR: gitDir };
  const ns = await namespaceOf(gitDir, remote);
  const prefix = `${VERIFY_NAMESPACE}/${ns}/`;

  if (!flag(args, 'no-fetch')) {
    // Every ref, refs/git-acl/ included: no push may write there (log-format.ts), so a server's ref there moved
    // outside any push and is reported as an unlogged update.
    const r = await runGit(['fetch', '--quiet', '--prune', '--no-tags', '--no-write-fetch-head', remote, `+refs/*:${prefix}*`], { env });
    if (!succeeded(r)) throw new CliError(`cannot fetch from ${remote}: ${failureLine(r)}`);
  }
  const listed = await runGit(['for-each-ref', '--format=%(objectname) %(refname)', prefix], { env });
  if (!succeeded(listed)) throw new CliError(`cannot list ${prefix}: ${listed.stderr}`);
  const refs = new Map<string, string>();
  for (const line of listed.stdout.toString('utf8').split('\n')) {
    const sp = line.indexOf(' ');
    if (sp > 0) refs.set(`refs/${line.slice(sp + 1 + prefix.length)}`, line.slice(0, sp));
  }
  const tip = refs.get(LOG_REF);
  if (!tip) {
    throw new CliError(
      refs.size === 0 && flag(args, 'no-fetch')
        ? `nothing fetched from ${remote} yet: run git acl verify ${remote} without --no-fetch first`
        : `${remote} has no push log (${LOG_REF}): its server does not log pushes (git acl init turns logging on)`,
    );
  }
  if (await isShallow(gitDir)) throw new CliError('this clone is shallow: verifying needs every logged commit (git fetch --unshallow)');

  const checkpointFile = join(gitDir, 'git-acl', 'verified', `${ns}.json`);
  const since = await readCheckpoint(checkpointFile);
  // One `git diff-tree --stdin` for all the log's diffs: a process per logged push would cost more than the diff.
  const store = openCliStore(gitDir);
  let result;
  try {
    result = await verifyLog({ store, tip, refs, since, full: flag(args, 'full') });
  } finally {
    await store.close();
  }
  if (result.ok && result.checkpoint) await writeCheckpoint(checkpointFile, result.checkpoint);

  if (json) {
    printJson({
      remote,
      ok: result.ok,
      tip: result.tip,
      entries: result.entries,
      checked: result.checked,
      owner: result.owner,
      start: result.start,
      problems: result.problems,
      notices: result.notices,
      previous: since ? { tip: since.tip, entries: since.entries } : null,
      checkpoint: result.ok ? checkpointFile : null,
    });
    return result.ok ? 0 : 1;
  }
  for (const n of result.notices) out.line(`note: entry ${n.entry} (${n.commit.slice(0, 12)}): ${n.message}`);
  if (result.ok) {
    const fresh = since ? `${result.checked} new since entry ${since.entries}` : `all ${result.checked} checked`;
    out.line(
      out.green(
        `verified the push log of ${remote}: ${result.entries} entr${result.entries === 1 ? 'y' : 'ies'} (${fresh}), tip ${result.tip}`,
      ),
    );
    out.line(`owner: ${result.owner}`);
    return 0;
  }
  out.line(
    out.red(
      `the push log of ${remote} does not verify: ${result.problems.length} problem${result.problems.length === 1 ? '' : 's'} (tip ${result.tip})`,
    ),
  );
  for (const p of result.problems) out.line(formatProblem(p));
  return 1;
}

export function formatProblem(p: LogProblem): string {
  const where = p.entry === null ? `entry ? (${p.commit.slice(0, 12)})` : `entry ${p.entry} (${p.commit.slice(0, 12)})`;
  return `${where}${p.refs.length ? ` ${p.refs.join(', ')}` : ''}: ${p.reason}`;
}

/** A configured remote keeps its name; a URL or path gets a stable name of its own. */
async function namespaceOf(gitDir: string, remote: string): Promise<string> {
  const r = await runGit(['config', '--get', `remote.${remote}.url`], { env: { ...process.env, GIT_DIR: gitDir } });
  if (succeeded(r) && /^[A-Za-z0-9._-]+$/.test(remote) && !remote.startsWith('.')) return remote;
  return `url-${createHash('sha1').update(remote).digest('hex').slice(0, 16)}`;
}

async function isShallow(gitDir: string): Promise<boolean> {
  const r = await runGit(['rev-parse', '--is-shallow-repository'], { env: { ...process.env, GIT_DIR: gitDir } });
  return r.stdout.toString().trim() === 'true';
}

async function readCheckpoint(file: string): Promise<LogCheckpoint | null> {
  const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? null : Promise.reject(e)));
  if (text === null) return null;
  let cp: LogCheckpoint;
  try {
    cp = JSON.parse(text) as LogCheckpoint;
  } catch {
    throw new CliError(`${file}: not a verify checkpoint (JSON); remove it to verify from the start`);
  }
  if (
    cp.version !== 1 ||
    typeof cp.tip !== 'string' ||
    typeof cp.start?.commit !== 'string' ||
    typeof cp.entries !== 'number' ||
    typeof cp.state !== 'object' ||
    typeof cp.certificates !== 'object'
  ) {
    throw new CliError(`${file}: not a verify checkpoint this git-acl reads; remove it to verify from the start`);
  }
  return cp;
}

async function writeCheckpoint(file: string, cp: LogCheckpoint): Promise<void> {
  await mkdir(join(file, '..'), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, `${JSON.stringify(cp)}\n`);
  await rename(tmp, file);
}
