/**
 * `git acl preview [<remote>] [<refspec>...]` and its pre-push hook mode.
 *
 * Fetches the remote's policy branch, works out the `old new ref` updates that
 * `git push` would send, and judges them with push/preview.ts (the hook's own
 * judgePush and formatVerdict) on this clone's object store, so the lines
 * printed are the lines the server would print.
 *
 * The owner is --owner, else the one the remote's policy branch records (its
 * file `owner`, which the server's hook keeps equal to acl.owner). A policy
 * from before owners were recorded has none: then this clone's acl.owner, or
 * the remote's when the remote is a local path; failing those the owner is
 * unknown, and the preview refuses nothing the server could accept (see
 * push/preview.ts). The signature cannot be previewed: the push must still be
 * made with `git push --signed`.
 */
import { isZeroOid, ZERO_OID } from '../git/objects.js';
import { envWithoutGit, failureLine, runGit, succeeded } from '../git/exec.js';
import { openCliStore } from '../git/cli-store.js';
import type { RefUpdate } from '../git/ref-updates.js';
import { POLICY_REF, readPolicyOwner, trackingPolicyRef } from '../git/policy-files.js';
import { CliError, ExitCode, UsageError, flag, str, type ParsedArgs } from './args.js';
import { makeOut, printJson } from './output.js';
import { gitConfig, requireGitDir, resolveUser } from './repo.js';
import { normaliseUserId } from '../core/ids.js';

interface Target {
  /** The name to give git fetch / ls-remote: a remote's name or a URL. */
  remote: string;
  /** True when `remote` is a configured remote (so it has remote-tracking refs). */
  named: boolean;
  url: string | null;
}

interface PlannedUpdate extends RefUpdate {
  /** The refspec or pre-push line it came from. */
  from: string;
}

export async function run(args: ParsedArgs): Promise<number> {
  const json = flag(args, 'json');
  const prePush = flag(args, 'pre-push');
  const gitDir = await requireGitDir('preview');
  const env = { ...process.env, GIT_DIR: gitDir };
  // As a pre-push hook everything goes to stderr, where git's own messages are (git may pass a hook's stdout through to its own).
  const out = makeOut(json, prePush ? process.stderr : process.stdout);
  const warnings: string[] = [];

  // 1. Which remote, and what would be pushed.
  let target: Target;
  let planned: PlannedUpdate[];
  let remoteRefs: Map<string, string>;
  if (prePush) {
    if (args.positionals.length < 1 || args.positionals.length > 2) {
      throw new UsageError("--pre-push takes git's two hook arguments: <remote> <url>", 'preview');
    }
    target = await describeRemote(env, args.positionals[0]!, args.positionals[1]);
    planned = parsePrePush(await readStdin());
    remoteRefs = await lsRemote(env, target, [POLICY_REF]);
  } else {
    const [remoteArg, ...refspecs] = args.positionals;
    const remoteName = remoteArg ?? (await defaultRemote(env));
    target = await describeRemote(env, remoteName);
    remoteRefs = await lsRemote(env, target, []);
    planned = await planFromRefspecs(env, target, refspecs, remoteRefs);
  }

  // 2. The remote's policy branch.
  if (!remoteRefs.has(POLICY_REF)) {
    const msg = `${target.remote} has no ${POLICY_REF}: it is not protected by git-acl, nothing to preview`;
    if (prePush) {
      // Not a git-acl server: let the push go.
      if (!json) out.err(`note: ${msg}`);
      return ExitCode.ok;
    }
    throw new CliError(msg);
  }
  const policyCommit = await fetchPolicy(env, target);

  // 3. Who pushes, and who owns the repository.
  const { userId } = await resolveUser(str(args, 'user') ?? 'me', '--user', { byName: true });
  const owner = await findOwner(env, target, str(args, 'owner'), gitDir, policyCommit);

  const updates = planned.filter((u) => u.oldOid !== u.newOid);
  if (updates.length === 0) {
    if (json)
      printJson({
        remote: target.remote,
        policy: { ref: POLICY_REF, commit: policyCommit },
        user: userId,
        owner: owner.id ?? (await recordedOwner(gitDir, policyCommit)),
        updates: [],
        accepted: true,
        lines: [],
      });
    else if (!prePush) out.line(`preview: nothing to push to ${target.remote} (everything up to date)`);
    return ExitCode.ok;
  }

  // 4. Objects: the old values must be readable here to diff against them.
  for (const u of updates) {
    if (isZeroOid(u.oldOid) || (await hasObject(env, u.oldOid))) continue;
    await runGit(['fetch', '--quiet', '--no-write-fetch-head', target.remote, u.ref], { env });
    if (!(await hasObject(env, u.oldOid))) {
      throw new CliError(
        `${target.remote}'s ${u.ref} is at ${u.oldOid}, which this clone does not have (git fetch ${target.remote} first)`,
      );
    }
  }

  // 5. Judge, exactly as the hook does.
  const { previewPush } = await import('../push/preview.js');
  const store = openCliStore(gitDir);
  let preview;
  try {
    preview = await previewPush({
      store,
      policyCommit,
      updates: updates.map(({ from: _from, ...u }) => u),
      actor: { userId, ownerId: owner.id },
      maxDenied: flag(args, 'all') ? Infinity : undefined,
    });
  } finally {
    await store.close();
  }
  const { accepted, lines, verdict } = preview;
  if (preview.owner === null) {
    warnings.push(
      preview.onlyIfOwner
        ? `warning: the owner of ${target.remote} is unknown (${owner.why}): this push is accepted only if ${userId} is the owner`
        : `warning: the owner of ${target.remote} is unknown (${owner.why}): judged as a push by anyone but the owner`,
    );
  }
  if (preview.keyMissing) {
    warnings.push(
      `warning: ${target.remote}'s policy branch has no ${preview.keyFile}: the server cannot verify a push signed by ${userId} and will reject it (register the key first)`,
    );
  }

  if (json) {
    printJson({
      remote: target.remote,
      policy: { ref: POLICY_REF, commit: policyCommit },
      user: userId,
      owner: preview.owner,
      warnings,
      updates: updates.map(({ from: _from, ...u }) => u),
      accepted,
      lines,
      verdict,
    });
    return accepted ? ExitCode.ok : ExitCode.fail;
  }
  for (const w of warnings) out.err(w);
  for (const l of lines) out.line(accepted ? l : out.red(l));
  if (accepted) {
    if (!prePush) {
      out.line(
        `preview: ${target.remote} would accept this push of ${updates.length} ref${updates.length === 1 ? '' : 's'} (${updates.map((u) => u.ref).join(', ')}) by ${userId}`,
      );
    }
    return ExitCode.ok;
  }
  out.line(
    prePush
      ? `preview: ${target.remote} would reject this push, so it was not sent (git push --no-verify skips this check)`
      : `preview: ${target.remote} would reject this push`,
  );
  return ExitCode.fail;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** pre-push stdin: `<local ref> <local oid> <remote ref> <remote oid>` per line. */
export function parsePrePush(text: string): PlannedUpdate[] {
  const updates: PlannedUpdate[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    // `s`: a ref name may hold U+2028 and U+2029, which `.` would not match.
    const m = /^(\S.*) ([0-9a-f]{40}|[0-9a-f]{64}) (refs\/\S.*) ([0-9a-f]{40}|[0-9a-f]{64})$/s.exec(line);
    if (!m) throw new CliError(`unexpected pre-push line on stdin: ${JSON.stringify(line.slice(0, 200))}`);
    updates.push({ oldOid: m[4]!, newOid: m[2]!, ref: m[3]!, from: line });
  }
  return updates;
}

async function describeRemote(env: NodeJS.ProcessEnv, remote: string, url?: string): Promise<Target> {
  if (remote.startsWith('-')) throw new UsageError(`invalid remote ${remote}`, 'preview');
  const configured = await gitConfigEnv(env, `remote.${remote}.url`);
  if (configured) return { remote, named: true, url: url ?? configured };
  // Not a named remote: git accepts a URL or a path in its place.
  if (
    /^[a-z][a-z0-9+.-]*:\/\//i.test(remote) ||
    remote.includes('/') ||
    remote.includes(':') ||
    remote === '.' ||
    remote.endsWith('.git')
  ) {
    return { remote, named: false, url: url ?? remote };
  }
  const remotes = (await runGit(['remote'], { env })).stdout.toString('utf8').split('\n').filter(Boolean);
  const { didYouMean } = await import('../core/suggest.js');
  const hint = didYouMean(remote, remotes);
  throw new CliError(
    `no remote named ${remote}${hint ? `; did you mean ${hint}?` : ''} (remotes: ${remotes.length ? remotes.join(', ') : 'none'})`,
  );
}

async function gitConfigEnv(env: NodeJS.ProcessEnv, key: string): Promise<string | null> {
  const r = await runGit(['config', '--get', key], { env });
  const v = succeeded(r) ? r.stdout.toString('utf8').trim() : '';
  return v || null;
}

async function currentBranch(env: NodeJS.ProcessEnv): Promise<string | null> {
  const r = await runGit(['symbolic-ref', '--quiet', 'HEAD'], { env: { ...env } });
  return succeeded(r) ? r.stdout.toString('utf8').trim() : null;
}

async function defaultRemote(env: NodeJS.ProcessEnv): Promise<string> {
  const head = await currentBranch(env);
  if (head?.startsWith('refs/heads/')) {
    const b = head.slice('refs/heads/'.length);
    const r =
      (await gitConfigEnv(env, `branch.${b}.pushRemote`)) ??
      (await gitConfigEnv(env, 'remote.pushDefault')) ??
      (await gitConfigEnv(env, `branch.${b}.remote`));
    if (r) return r;
  }
  return 'origin';
}

async function lsRemote(env: NodeJS.ProcessEnv, target: Target, patterns: string[]): Promise<Map<string, string>> {
  const r = await runGit(['ls-remote', '--', target.remote, ...patterns], { env });
  if (!succeeded(r)) {
    const why = failureLine(r);
    throw new CliError(`cannot list the refs of ${target.remote}: ${why}`);
  }
  const map = new Map<string, string>();
  for (const line of r.stdout.toString('utf8').split('\n')) {
    const [oid, ref] = line.split('\t');
    if (oid && ref && !ref.endsWith('^{}')) map.set(ref, oid);
  }
  return map;
}

/** Fetches the policy branch; returns its commit. */
async function fetchPolicy(env: NodeJS.ProcessEnv, target: Target): Promise<string> {
  const tracking = trackingPolicyRef(target.remote);
  const args = target.named
    ? ['fetch', '--quiet', '--no-write-fetch-head', target.remote, `+${POLICY_REF}:${tracking}`]
    : ['fetch', '--quiet', target.remote, POLICY_REF];
  const r = await runGit(args, { env });
  if (!succeeded(r)) {
    const why = failureLine(r);
    throw new CliError(`cannot fetch ${POLICY_REF} from ${target.remote}: ${why}`);
  }
  const rev = await runGit(['rev-parse', '--verify', '--quiet', `${target.named ? tracking : 'FETCH_HEAD'}^{commit}`], { env });
  if (!succeeded(rev)) throw new CliError(`${target.remote}'s ${POLICY_REF} is not a commit`);
  return rev.stdout.toString('utf8').trim();
}

async function hasObject(env: NodeJS.ProcessEnv, oid: string): Promise<boolean> {
  return succeeded(await runGit(['cat-file', '-e', oid], { env }));
}

async function revParse(env: NodeJS.ProcessEnv, args: string[]): Promise<string | null> {
  const r = await runGit(['rev-parse', ...args], { env });
  const v = succeeded(r) ? r.stdout.toString('utf8').trim() : '';
  return v || null;
}

/**
 * What `git push <remote> <refspec>...` would send. Supports `[+]<src>[:<dst>]`
 * and `:<dst>` (delete); without a refspec, the current branch to its upstream
 * (when it tracks this remote) or to the same name.
 */
async function planFromRefspecs(
  env: NodeJS.ProcessEnv,
  target: Target,
  refspecs: string[],
  remoteRefs: Map<string, string>,
): Promise<PlannedUpdate[]> {
  if (refspecs.length === 0) {
    const head = await currentBranch(env);
    if (!head?.startsWith('refs/heads/'))
      throw new UsageError('HEAD is not on a branch: name what to push (e.g. git acl preview origin HEAD:refs/heads/topic)', 'preview');
    const b = head.slice('refs/heads/'.length);
    const upstreamRemote = await gitConfigEnv(env, `branch.${b}.remote`);
    const merge = upstreamRemote === target.remote ? await gitConfigEnv(env, `branch.${b}.merge`) : null;
    refspecs = [`${head}:${merge ?? head}`];
  }
  const out: PlannedUpdate[] = [];
  for (const spec of refspecs) {
    const body = spec.startsWith('+') ? spec.slice(1) : spec;
    const colon = body.indexOf(':');
    const src = colon < 0 ? body : body.slice(0, colon);
    let dst = colon < 0 ? '' : body.slice(colon + 1);
    if (src === '') {
      if (dst === '') throw new UsageError(`refspec ${spec}: nothing to push or delete`, 'preview');
      const ref = remoteDst(dst, remoteRefs, null);
      if (!ref) throw new CliError(`refspec ${spec}: ${target.remote} has no ref ${dst} to delete`);
      const old = remoteRefs.get(ref);
      if (!old) throw new CliError(`refspec ${spec}: ${target.remote} has no ref ${ref} to delete`);
      out.push({ oldOid: old, newOid: ZERO_OID, ref, from: spec });
      continue;
    }
    if (src.startsWith('-')) throw new UsageError(`invalid refspec ${spec}`, 'preview');
    const newOid = await revParse(env, ['--verify', '--quiet', src]);
    if (!newOid) throw new CliError(`refspec ${spec}: ${src} does not name anything in this repository`);
    const srcFull = await revParse(env, ['--symbolic-full-name', src]);
    if (dst === '') {
      if (!srcFull?.startsWith('refs/'))
        throw new UsageError(`refspec ${spec}: ${src} is not a branch or tag; say where to push it (${src}:refs/heads/<name>)`, 'preview');
      dst = srcFull;
    }
    const ref = remoteDst(dst, remoteRefs, srcFull);
    if (!ref) throw new UsageError(`refspec ${spec}: ${dst} is not a full ref name (refs/heads/${dst} or refs/tags/${dst}?)`, 'preview');
    out.push({ oldOid: remoteRefs.get(ref) ?? ZERO_OID, newOid, ref, from: spec });
  }
  return out;
}

/** git push's guess for a short destination: an existing remote ref of that name, else the source's kind. */
function remoteDst(dst: string, remoteRefs: Map<string, string>, srcFull: string | null): string | null {
  if (dst.startsWith('refs/')) return dst;
  const existing = [`refs/heads/${dst}`, `refs/tags/${dst}`].filter((r) => remoteRefs.has(r));
  if (existing.length === 1) return existing[0]!;
  if (existing.length > 1) return null;
  if (srcFull?.startsWith('refs/heads/')) return `refs/heads/${dst}`;
  if (srcFull?.startsWith('refs/tags/')) return `refs/tags/${dst}`;
  return null;
}

/**
 * The owner to judge with when the remote's policy records none (a policy from before owners were recorded), or
 * --owner. Null with the reason when the policy's own record is to be used, or nothing names an owner.
 */
async function findOwner(
  env: NodeJS.ProcessEnv,
  target: Target,
  option: string | undefined,
  gitDir: string,
  policyCommit: string,
): Promise<{ id: string | null; why: string }> {
  if (option !== undefined) {
    const id = normaliseUserId(option);
    if (!id) throw new CliError(`--owner ${option}: not a user ID (the key's full fingerprint, 40 hex digits)`);
    return { id, why: '--owner' };
  }
  if (await recordedOwner(gitDir, policyCommit)) return { id: null, why: 'recorded by the policy' };
  const mine = await gitConfig('acl.owner', env.GIT_DIR);
  if (mine) {
    const id = normaliseUserId(mine);
    if (!id) throw new CliError(`git config acl.owner is ${mine}: not a user ID (40 hex digits)`);
    return { id, why: 'git config acl.owner' };
  }
  const path = localPath(target.url);
  if (path) {
    const dir = await runGit(['rev-parse', '--absolute-git-dir'], { cwd: path, env: envWithoutGit() }).catch(() => null);
    if (dir && succeeded(dir)) {
      const v = await gitConfig('acl.owner', dir.stdout.toString('utf8').trim()).catch(() => null);
      const id = v ? normaliseUserId(v) : null;
      if (id) return { id, why: `acl.owner of ${path}` };
    }
  }
  return {
    id: null,
    why: `its policy branch records no owner (no file owner), and neither --owner nor git config acl.owner names one`,
  };
}

async function recordedOwner(gitDir: string, policyCommit: string): Promise<string | null> {
  const store = openCliStore(gitDir);
  try {
    return await readPolicyOwner(store, policyCommit);
  } finally {
    await store.close();
  }
}

function localPath(url: string | null): string | null {
  if (!url) return null;
  if (url.startsWith('file://')) return decodeURIComponent(url.slice('file://'.length));
  if (url.startsWith('/')) return url;
  return null;
}
