/**
 * Telling the pusher the real reason when the repository itself is at fault.
 * Two of git's failures look, from a hook, like something else:
 * - git could not store a signed push's certificate (a full disk, a
 *   read-only repository): receive-pack then sets no GIT_PUSH_CERT at all,
 *   exactly as for an unsigned push;
 * - git cannot read the repository's config (no repository at GIT_DIR, a
 *   config that is a dangling link): `git config` answers "no such key", and
 *   the hook would say acl.owner is not set.
 * These checks run only on those paths, after git's answer, to say which.
 */
import { mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';

const why = (e: unknown): string => {
  const err = e as NodeJS.ErrnoException;
  return err.code ? `${err.code}` : String(e);
};

/**
 * Why a new object cannot be written where git writes them (`objects/<xx>/`
 * of the repository, as receive-pack writes the certificate), or null when a
 * probe file can be created, written and removed there.
 */
export function objectStoreWriteProblem(gitDir: string): string | null {
  const dir = join(resolve(gitDir), 'objects', randomBytes(1).toString('hex'));
  const probe = join(dir, `tmp_obj_git_acl_probe_${process.pid}_${randomBytes(4).toString('hex')}`);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(probe, 'git-acl probe\n', { flag: 'wx' });
  } catch (e) {
    return `${dir}: ${why(e)}`;
  }
  try {
    unlinkSync(probe);
  } catch {
    // written, so the store is writable; a leftover probe is harmless (git ignores tmp_obj_* files and gc removes them)
  }
  return null;
}

/** Why the repository's config cannot be read (git reads a missing or unreadable config as empty), or null. */
export function unreadableConfig(gitDir: string): string | null {
  try {
    if (!statSync(gitDir).isDirectory()) return `${gitDir} is not a directory`;
  } catch (e) {
    return `${gitDir}: ${why(e)}`;
  }
  const config = join(gitDir, 'config');
  try {
    readFileSync(config);
  } catch (e) {
    return `${config}: ${why(e)}`;
  }
  return null;
}
