/**
 * What the front ends need from the user's repository and keyring: where the
 * git directory is, config values, ref resolution, and the user's own key.
 */
import { answeredNo, exitStatus, failureLine, runCommand, runGit, succeeded } from '../git/exec.js';
import { CliError } from './args.js';
import { isQuietProgram } from '../server/git-signature-check.js';
import { normaliseUserId } from '../core/ids.js';
import { errorMessage } from '../core/messages.js';

/** The absolute git directory of the repository around the working directory, or null outside one. */
export async function findGitDir(cwd = process.cwd()): Promise<string | null> {
  const r = await runGit(['rev-parse', '--absolute-git-dir'], { cwd }).catch(() => null);
  if (!r || !succeeded(r)) return null;
  return r.stdout.toString('utf8').trim() || null;
}

export async function requireGitDir(what: string): Promise<string> {
  const dir = await findGitDir();
  if (!dir) throw new CliError(`${what}: not inside a git repository (${process.cwd()})`);
  return dir;
}

/** `git config --get <key>` in the current repository (or global config outside one); null when unset. */
export async function gitConfig(key: string, gitDir?: string): Promise<string | null> {
  const env = gitDir ? { ...process.env, GIT_DIR: gitDir } : process.env;
  const r = await runGit(['config', '--get', key], { env });
  if (answeredNo(r)) return null;
  if (!succeeded(r)) throw new CliError(`cannot read git config ${key}: ${r.stderr || exitStatus(r)}`);
  const v = r.stdout.toString('utf8').trim();
  return v === '' ? null : v;
}

/** The commit a ref (or any revision) names, and its full ref name when it is a ref. Throws a CliError naming the ref. */
export async function resolveCommit(gitDir: string, rev: string): Promise<{ commit: string; fullName: string | null }> {
  if (rev.startsWith('-')) throw new CliError(`invalid ref ${rev}`);
  const env = { ...process.env, GIT_DIR: gitDir };
  const r = await runGit(['rev-parse', '--verify', '--quiet', `${rev}^{commit}`], { env });
  if (!succeeded(r)) throw new CliError(`ref ${rev} does not exist in ${gitDir} (or is not a commit)`);
  const commit = r.stdout.toString('utf8').trim();
  const n = await runGit(['rev-parse', '--symbolic-full-name', rev], { env });
  const fullName = succeeded(n) ? n.stdout.toString('utf8').trim() || null : null;
  return { commit, fullName };
}

/** True when the full ref exists in the repository. */
export async function refExists(gitDir: string, ref: string): Promise<boolean> {
  const r = await runGit(['show-ref', '--verify', '--quiet', ref], { env: { ...process.env, GIT_DIR: gitDir } });
  return succeeded(r);
}

/**
 * Resolves `--user`: a fingerprint, or `me` (the primary key fingerprint of
 * `git config user.signingkey`, asked of gpg). Errors name the option, the
 * config key or the key involved.
 */
export async function resolveUser(
  value: string,
  option = '--user',
  opts: { byName?: boolean } = {},
): Promise<{ userId: string; from: string }> {
  if (value === 'me') {
    const key = await gitConfig('user.signingkey');
    if (!key) {
      // Like git: without user.signingkey, gpg picks the key by the committer identity.
      const ident = await runGit(['var', 'GIT_COMMITTER_IDENT']);
      const who = succeeded(ident)
        ? ident.stdout
            .toString('utf8')
            .trim()
            .replace(/\s+\d+\s+[+-]\d{4}$/, '')
        : '';
      const found = who ? await fingerprintOf(who).catch(() => null) : null;
      if (found) return { userId: found, from: `committer identity ${who}` };
      throw new CliError(
        `${option} me: git config user.signingkey is not set${who ? ` and gpg has no key for ${who}` : ''}; set it to your key (git config user.signingkey <FINGERPRINT>) or pass ${option} <USER_ID>`,
      );
    }
    const format = await gitConfig('gpg.format');
    if (format && format !== 'openpgp') {
      throw new CliError(`${option} me: gpg.format is ${format}; git-acl needs OpenPGP-signed pushes (git config gpg.format openpgp)`);
    }
    return { userId: await fingerprintOf(key), from: `user.signingkey ${key}` };
  }
  const id = normaliseUserId(value);
  if (id) return { userId: id, from: option };
  if (opts.byName && !value.startsWith('-') && value.trim() !== '') {
    // A name or e-mail address, found in the local keyring as `me` finds the signing key.
    const found = await fingerprintOf(value, option).catch((e: unknown) => {
      const why = errorMessage(e);
      if (!/gpg knows no such key/.test(why)) throw e;
      throw new CliError(
        `${option} ${value}: not a user ID (the key's full fingerprint, 40 hex digits) nor 'me', and no key in your gpg keyring matches it`,
      );
    });
    return { userId: found, from: `gpg key ${value}` };
  }
  throw new CliError(`${option} ${value}: not a user ID (the key's full fingerprint, 40 hex digits) nor 'me'`);
}

/**
 * The gpg that lists keys: git's OpenPGP program, unless that is a program named `true`, which `git acl init`
 * sets in a server repository so that git skips its own check of push certificates (docs/server.md, step 2):
 * it lists no keys, and `--user me` or a name run there would find none.
 */
async function keyListingProgram(): Promise<string> {
  const openpgp = await gitConfig('gpg.openpgp.program');
  if (openpgp !== null && !isQuietProgram(openpgp)) return openpgp;
  return (await gitConfig('gpg.program')) ?? 'gpg';
}

/** The primary key fingerprint of a gpg key spec, via `gpg --with-colons --fingerprint`. */
export async function fingerprintOf(key: string, what = 'user.signingkey'): Promise<string> {
  const program = await keyListingProgram();
  const r = await runCommand(program, ['--batch', '--with-colons', '--fingerprint', '--', key]).catch((e: Error) => {
    throw new CliError(`${what} ${key}: ${e.message}`);
  });
  if (!succeeded(r)) {
    const why = failureLine(r);
    throw new CliError(`${what} ${key}: gpg knows no such key (${why.trim()})`);
  }
  const fprs: string[] = [];
  let afterPub = false;
  for (const line of r.stdout.toString('utf8').split('\n')) {
    const f = line.split(':');
    if (f[0] === 'pub') afterPub = true;
    else if (f[0] === 'fpr' && afterPub) {
      fprs.push((f[9] ?? '').toUpperCase());
      afterPub = false;
    } else if (f[0] === 'sub' || f[0] === 'ssb') afterPub = false;
  }
  const unique = [...new Set(fprs)];
  if (unique.length === 0) throw new CliError(`${what} ${key}: gpg knows no such key`);
  if (unique.length > 1) {
    throw new CliError(
      `${what} ${key}: matches ${unique.length} keys (${unique.join(', ')}); ${what === 'user.signingkey' ? 'set it to' : 'give'} the full fingerprint`,
    );
  }
  return unique[0]!;
}
