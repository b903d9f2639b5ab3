/**
 * Test helpers: throw-away gpg homes, real keys, and real signed pushes.
 *
 * Every home starts its own gpg-agent; `cleanup()` stops it and removes the
 * directory, so no process outlives the test run. Homes live under /tmp with
 * a short name because the agent's sockets live inside them.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface GpgHome {
  dir: string;
  env: NodeJS.ProcessEnv;
  cleanup(): void;
}

export interface GpgKey {
  /** Primary key fingerprint, 40 upper-case hex. */
  fingerprint: string;
  /**
   * 16-hex key ID of the signing subkey added last, else the primary key's. gpg signs with it by default only
   * when it was created in a later second than the other signing subkeys (within one second gpg keeps the
   * older one): to be sure which key signs, give `<keyId>!` as user.signingkey.
   */
  keyId: string;
  /** Primary key ID (16 hex). */
  primaryKeyId: string;
  /** Fingerprints of the subkeys, in order. */
  subkeys: string[];
  publicArmored: string;
}

const homes = new Set<GpgHome>();
// Last resort: if a test file dies before its afterAll, still stop its agents.
process.once('exit', () => cleanupAllHomes());

export function makeGpgHome(): GpgHome {
  const dir = fs.mkdtempSync('/tmp/g');
  fs.chmodSync(dir, 0o700);
  const env: NodeJS.ProcessEnv = { ...process.env, GNUPGHOME: dir, LC_ALL: 'C' };
  fs.writeFileSync(path.join(dir, 'gpg-agent.conf'), 'allow-loopback-pinentry\n');
  const home: GpgHome = {
    dir,
    env,
    cleanup() {
      spawnSync('gpgconf', ['--kill', 'gpg-agent'], { env, stdio: 'ignore' });
      spawnSync('gpgconf', ['--kill', 'all'], { env, stdio: 'ignore' });
      fs.rmSync(dir, { recursive: true, force: true });
      homes.delete(home);
    },
  };
  homes.add(home);
  return home;
}

/** Stop every agent this module started (for a last-resort afterAll). */
export function cleanupAllHomes(): void {
  for (const h of [...homes]) h.cleanup();
}

export function gpg(home: GpgHome, args: string[], input?: string): string {
  return execFileSync('gpg', ['--batch', '--yes', '--pinentry-mode', 'loopback', '--passphrase', '', ...args], {
    env: home.env,
    input,
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

interface ColonKey {
  fingerprint: string;
  keyId: string;
  subkeys: Array<{ fingerprint: string; keyId: string; caps: string }>;
}

function listKey(home: GpgHome, selector: string): ColonKey {
  const out = gpg(home, ['--with-colons', '--with-subkey-fingerprints', '--list-keys', selector]);
  let primary: ColonKey | undefined;
  let pending: { keyId: string; caps: string } | undefined;
  let current: 'pub' | 'sub' | undefined;
  for (const line of out.split('\n')) {
    const f = line.split(':');
    if (f[0] === 'pub') {
      if (primary) throw new Error(`selector ${selector} matches more than one key`);
      primary = { fingerprint: '', keyId: f[4]!, subkeys: [] };
      current = 'pub';
    } else if (f[0] === 'sub') {
      pending = { keyId: f[4]!, caps: f[11] ?? '' };
      current = 'sub';
    } else if (f[0] === 'fpr' && primary) {
      if (current === 'pub' && primary.fingerprint === '') primary.fingerprint = f[9]!;
      else if (current === 'sub' && pending) {
        primary.subkeys.push({ fingerprint: f[9]!, ...pending });
        pending = undefined;
      }
    }
  }
  if (!primary || !primary.fingerprint) throw new Error(`no key for ${selector}`);
  return primary;
}

function describe(home: GpgHome, fingerprint: string): GpgKey {
  const k = listKey(home, fingerprint);
  const signing = k.subkeys.filter((s) => s.caps.includes('s'));
  return {
    fingerprint: k.fingerprint,
    primaryKeyId: k.keyId,
    keyId: signing.length > 0 ? signing[signing.length - 1]!.keyId : k.keyId,
    subkeys: k.subkeys.map((s) => s.fingerprint),
    publicArmored: exportPublic(home, k.fingerprint),
  };
}

/** Make an ed25519 signing key "Name <name@example.org>"; `expire` as gpg takes it (`never`, `1d`, `seconds=1`...). */
export function genKey(home: GpgHome, name: string, opts: { signingSubkey?: boolean; expire?: string } = {}): GpgKey {
  const uid = `${name} <${name.toLowerCase().replace(/[^a-z0-9]+/g, '.')}@example.org>`;
  gpg(home, ['--quick-gen-key', uid, 'ed25519', 'sign', opts.expire ?? 'never']);
  const k = listKey(home, `=${uid}`);
  if (opts.signingSubkey) addSigningSubkey(home, k.fingerprint);
  return describe(home, k.fingerprint);
}

/** Add an ed25519 signing subkey (see GpgKey.keyId for when gpg signs with it by default). */
export function addSigningSubkey(home: GpgHome, fingerprint: string, expire = 'never'): GpgKey {
  gpg(home, ['--quick-add-key', fingerprint, 'ed25519', 'sign', expire]);
  return describe(home, fingerprint);
}

export function exportPublic(home: GpgHome, fingerprint: string): string {
  return gpg(home, ['--armor', '--export', fingerprint]);
}

export function exportSecret(home: GpgHome, fingerprint: string): string {
  return gpg(home, ['--armor', '--export-secret-keys', fingerprint]);
}

/** Revoke the key in the home (imports gpg's own revocation certificate) and return the revoked public key. */
export function revokeKey(home: GpgHome, fingerprint: string): string {
  const rev = fs.readFileSync(path.join(home.dir, 'openpgp-revocs.d', `${fingerprint}.rev`), 'utf8');
  // gpg guards the certificate with a leading ':' on the armor line; remove it.
  gpg(home, ['--import'], rev.replace(/^:-----BEGIN/m, '-----BEGIN'));
  return exportPublic(home, fingerprint);
}

/** Set the primary key's expiry (e.g. `seconds=1`, `1d`, `never`) and return the public key. */
export function setExpiry(home: GpgHome, fingerprint: string, expire: string): string {
  gpg(home, ['--quick-set-expire', fingerprint, expire]);
  return exportPublic(home, fingerprint);
}

/**
 * `fingerprint`'s public key with its revocation applied, made in a scratch
 * home: the key's holder (`home`) can still sign with it, as a thief of a
 * revoked key could.
 */
export function revokedCopy(home: GpgHome, fingerprint: string): string {
  const scratch = makeGpgHome();
  try {
    gpg(scratch, ['--import'], exportPublic(home, fingerprint));
    const rev = fs.readFileSync(path.join(home.dir, 'openpgp-revocs.d', `${fingerprint}.rev`), 'utf8');
    gpg(scratch, ['--import'], rev.replace(/^:-----BEGIN/m, '-----BEGIN'));
    return exportPublic(scratch, fingerprint);
  } finally {
    scratch.cleanup();
  }
}
