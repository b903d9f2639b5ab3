/**
 * What git runs on a signed push's certificate, set by `git acl init` (docs/server.md, step 2).
 *
 * Before it runs a `pre-receive` or `post-receive` hook, git's receive-pack checks the certificate's signature with
 * `gpg --verify` to fill `GIT_PUSH_CERT_STATUS` (and `_SIGNER`, `_KEY`). git-acl never reads those: the hook verifies
 * the signature itself against the keys on the policy branch (docs/security.md). That gpg run is ~10 ms of every
 * push (measured in `npm run bench:push`: it is most of what an empty hook adds), so init points git's OpenPGP
 * program at `true`: git's own check then ends in a millisecond with status `N` ("no signature"), nothing is
 * printed, and the certificate, its nonce check and `GIT_PUSH_CERT` are unchanged (the nonce is git's HMAC, not
 * gpg's). Only this repository's config is written, and an administrator's own `gpg.program` or
 * `gpg.openpgp.program` in it is kept (git then keeps running that program).
 */
import { accessSync, constants, statSync } from 'node:fs';
import { basename, delimiter, isAbsolute, join } from 'node:path';
import { gitText, runGit } from '../git/exec.js';

const SIGNATURE_PROGRAM_KEY = 'gpg.openpgp.program';

/** Whether a configured OpenPGP program is the `true` init sets (by any path): it checks nothing and lists no keys. */
export function isQuietProgram(program: string): boolean {
  return basename(program) === 'true';
}

/** Sets git's OpenPGP program to `true` unless the repository chose one; returns the line `init` reports. */
export async function quietGitSignatureCheck(env: NodeJS.ProcessEnv): Promise<string> {
  // --includes: git reads the files the repository's config includes as part of it (--local alone skips them).
  const own = await runGit(['config', '--local', '--includes', '--get-regexp', '^gpg\\.(openpgp\\.)?program$'], { env });
  const set = own.stdout.toString().trim();
  if (set) {
    // Ours, also when it is another `true` than PATH's now (init run again with another PATH): not an admin's gpg.
    const value = set.startsWith(`${SIGNATURE_PROGRAM_KEY} `) && !set.includes('\n') ? set.slice(SIGNATURE_PROGRAM_KEY.length + 1) : '';
    if (value !== '' && isQuietProgram(value)) return `${SIGNATURE_PROGRAM_KEY} already ${value}`;
    return `${set.split('\n')[0]!.split(' ')[0]} is set in this repository: git keeps checking certificates with it (git-acl does not read its result)`;
  }
  const program = findExecutable('true', env.PATH);
  if (!program) return `no \`true\` program on PATH: git keeps running gpg on every signed push (git-acl does not read its result)`;
  await gitText(['config', '--local', SIGNATURE_PROGRAM_KEY, program], { env });
  return `set ${SIGNATURE_PROGRAM_KEY} = ${program} (git's own check of the certificate, which git-acl does not read)`;
}

/** The first regular, executable `name` in the absolute directories of `path`; undefined when there is none. */
export function findExecutable(name: string, path: string | undefined): string | undefined {
  for (const dir of (path ?? '').split(delimiter)) {
    if (!isAbsolute(dir)) continue; // a relative PATH entry would name another file from another directory
    const file = join(dir, name);
    try {
      if (!statSync(file).isFile()) continue;
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not there, or not executable: the next directory
    }
  }
  return undefined;
}
