/**
 * Clones whose remote is not a local path, as a newcomer's are: git's ssh
 * transport with a stand-in for ssh (git runs it exactly as it runs ssh, with
 * the host and the remote command; the stand-in runs that command here, so no
 * sshd is needed), or git's `ext::` transport. Either way the clone cannot
 * read the server's config, and the pushee git writes into a push
 * certificate is the URL as git anonymizes it (the user part dropped).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Clone, type Forge, type ForgeUser } from './forge.js';

export type Transport = 'ssh' | 'scp' | 'ext';

/** Writes the ssh stand-in into `dir` (once) and returns its path. */
export function sshStandIn(dir: string): string {
  const file = path.join(dir, 'fake-ssh');
  if (!fs.existsSync(file)) {
    // git (ssh.variant=simple) runs: <ssh> <[user@]host> <command>. Run the command here, as sshd would there.
    fs.writeFileSync(file, '#!/bin/sh\nshift\nexec sh -c "$1"\n', { mode: 0o755 });
  }
  return file;
}

/** The URL of `bare` for `transport`, as a user would write it (with the `git@` user part for ssh). */
export function remoteUrl(bare: string, transport: Transport): string {
  if (transport === 'ssh') return `ssh://git@127.0.0.1${bare}`;
  if (transport === 'scp') return `git@127.0.0.1:${bare}`;
  return `ext::git %s ${bare}`;
}

/** `git clone -c` settings that make a clone reach the forge over `transport` (git clone stores them in the clone's config). */
export function transportConfig(forge: Forge): string[] {
  return ['-c', `core.sshCommand=${sshStandIn(forge.root)}`, '-c', 'ssh.variant=simple', '-c', 'protocol.ext.allow=always'];
}

let clones = 0;

/** A fresh clone of the forge's server over `transport`, signing as `user` (like Forge.clone). */
export function cloneOver(forge: Forge, user: ForgeUser | string, transport: Transport): Clone {
  const u = typeof user === 'string' ? forge.user(user) : user;
  const dir = path.join(forge.root, `remote-clone-${u.name}-${transport}-${++clones}`);
  forge.sh('git', ['clone', ...transportConfig(forge), '-q', remoteUrl(forge.bare, transport), dir]);
  const c = new Clone(forge, dir, u);
  c.ok(['config', 'user.signingkey', u.id]);
  c.ok(['config', 'user.name', u.name]);
  c.ok(['config', 'user.email', `${u.name}@example.org`]);
  return c;
}
