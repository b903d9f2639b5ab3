/**
 * The push environment of pre-receive: is the push signed, is its nonce
 * fresh, and is the push git will apply the push that was signed? Kept apart
 * from verify.ts so the hook can refuse an unsigned push, and start reading
 * git, before openpgp (the largest module it loads) is even imported.
 */
import { IdentityError } from './errors.js';
import { parseRefUpdates } from './push-cert.js';
import type { RefUpdate } from '../git/ref-updates.js';
import type { PushCertificate } from './types.js';

export type PushEnv = Record<string, string | undefined>;

export const UNSIGNED_PUSH_MESSAGE =
  'unsigned push: this server accepts only signed pushes; push with `git push --signed` ' +
  '(or sign every push: `git config push.gpgSign true`), with `git config user.signingkey <your GPG key fingerprint>` set ' +
  'and your public key on the policy branch as keys/<FINGERPRINT>.asc';

const NONCE_MESSAGES: Record<string, string> = {
  BAD: 'push certificate nonce is BAD: it is not the nonce this server issued (a replayed or forged certificate); push again',
  MISSING: 'push certificate nonce is MISSING: the certificate carries no nonce; push again with `git push --signed`',
  SLOP: "push certificate nonce is SLOP: the server issued it in an earlier second than it checked it (usual over HTTP, where the push is a second request), and pushing again may fail the same way; the server's admin must set receive.certNonceSlop (git config receive.certNonceSlop 120 in the server's repository)",
  UNSOLICITED:
    'push certificate nonce is UNSOLICITED: the server did not ask for one; the server must set receive.certNonceSeed (git acl init does)',
};

/**
 * Step one, before reading the certificate: the push must be signed and its
 * nonce fresh. Returns the certificate's blob ID (`GIT_PUSH_CERT`). Git's own
 * `GIT_PUSH_CERT_STATUS` is never looked at.
 */
export function requireSignedPush(env: PushEnv): string {
  const blob = env['GIT_PUSH_CERT'];
  if (blob === undefined || blob === '') throw new IdentityError('unsigned-push', UNSIGNED_PUSH_MESSAGE);
  const status = env['GIT_PUSH_CERT_NONCE_STATUS'];
  if (status !== 'OK') {
    throw new IdentityError(
      'nonce',
      NONCE_MESSAGES[status ?? ''] ??
        `push certificate nonce status is ${status ? JSON.stringify(status) : 'not set'}: the server must set receive.certNonceSeed (git acl init does)`,
    );
  }
  return blob;
}

export interface CheckPushEnvOptions {
  /** The server's `acl.pushee` values; when non-empty, the certificate's pushee must be one of them (compared as pusheeKey). */
  pushees?: string[];
}

/**
 * Check that git is about to apply the push that was signed: the push is
 * signed with a fresh nonce (see `requireSignedPush`), the certificate carries
 * that nonce, every update on pre-receive's stdin appears in the certificate
 * (same old, new and ref), and the pushee is this server when `pushees` is set.
 */
export function checkPushEnv(
  env: PushEnv,
  cert: PushCertificate,
  stdinUpdates: RefUpdate[] | string,
  opts: CheckPushEnvOptions = {},
): void {
  requireSignedPush(env);
  const envNonce = env['GIT_PUSH_CERT_NONCE'];
  if (cert.nonce === undefined || cert.nonce !== envNonce) {
    throw new IdentityError('nonce', 'push certificate nonce does not match the nonce git checked; push again');
  }
  const updates = typeof stdinUpdates === 'string' ? parseRefUpdates(stdinUpdates) : stdinUpdates;
  const signed = new Set(cert.updates.map((u) => `${u.oldOid} ${u.newOid} ${u.ref}`));
  for (const u of updates) {
    const line = `${u.oldOid} ${u.newOid} ${u.ref}`;
    if (!signed.has(line)) throw new IdentityError('update-not-signed', `ref update not in the signed push certificate: ${line}`);
  }
  const pushees = opts.pushees ?? [];
  if (pushees.length > 0) {
    if (cert.pushee === undefined) {
      throw new IdentityError('pushee-mismatch', `push certificate names no pushee; this server is ${pushees.join(' or ')}`);
    }
    const key = pusheeKey(cert.pushee);
    if (!pushees.some((p) => pusheeKey(p) === key)) {
      throw new IdentityError('pushee-mismatch', `push certificate is for ${cert.pushee}, not this server (${pushees.join(' or ')})`);
    }
  }
}

const DEFAULT_PORTS: Record<string, string> = { ssh: '22', git: '9418', http: '80', https: '443' };

/**
 * A pushee URL reduced to what names the repository, so that every spelling a
 * user may push to compares equal: git writes the pushee without the URL's
 * user part (`git@host:/srv/p.git` becomes `host:/srv/p.git`), an admin may
 * list it with one, and ssh has two forms. Dropped: the user (and password),
 * a default port, trailing `/` and `.git` (git's server finds `p.git` for
 * `p`); the scp form `host:/path` becomes `ssh://host/path` (`host:path`,
 * relative to the home directory, becomes `ssh://host/~/path`); scheme and
 * host are lower-cased.
 */
export function pusheeKey(url: string): string {
  let u = url.trim();
  const scp = /^[a-z][a-z0-9+.-]*:\/\//i.test(u) ? null : /^(?:[^@/]*@)?(\[[^\]/]*\]|[^:/]+):(.*)$/.exec(u);
  if (scp) {
    const rest = scp[2]!;
    u = `ssh://${scp[1]}${rest.startsWith('/') ? '' : rest.startsWith('~') ? '/' : '/~/'}${rest}`;
  }
  const m = /^([a-z][a-z0-9+.-]*):\/\/(?:[^@/]*@)?([^/]*)(.*)$/i.exec(u);
  if (m) {
    let scheme = m[1]!.toLowerCase();
    if (scheme === 'git+ssh' || scheme === 'ssh+git') scheme = 'ssh';
    let host = m[2]!.toLowerCase();
    const port = DEFAULT_PORTS[scheme];
    if (port && host.endsWith(`:${port}`)) host = host.slice(0, -port.length - 1);
    u = `${scheme}://${host}${m[3]}`;
  }
  return u
    .replace(/\/+$/, '')
    .replace(/\.git$/, '')
    .replace(/\/+$/, '');
}
