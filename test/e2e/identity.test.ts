/**
 * Who is pushing (docs/reference.md#identity), through real signed pushes: unsigned pushes,
 * unknown keys, self-registration and its abuses, nonces and broken
 * certificates fed to the installed hook.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Forge, ZERO_OID, type Clone } from '../support/forge.js';
import { exportSecret } from '../support/gpg.js';
import { cloneOver } from '../support/remote.js';

let forge: Forge;
let owner: Clone;

beforeAll(() => {
  forge = Forge.create({ presets: ['self-registration'] });
  owner = forge.clone('owner');
  const c = owner.commitTree({ README: 'hello\n' }, [], 'first');
  expect(owner.push(`${c}:refs/heads/main`).code).toBe(0);
});
afterAll(() => forge?.cleanup());

/** A new user with a key, not registered on the server, and a clone that signs with it. */
function newcomer(name: string): { clone: Clone; id: string } {
  const user = forge.addUser(name);
  return { clone: forge.clone(user), id: user.id };
}

/** A commit on the policy branch that adds `files` to its current tree. */
function policyCommit(c: Clone, files: Record<string, string>): string {
  const tip = c.fetchRef('refs/heads/apps/access-control')!;
  c.ok(['read-tree', tip]);
  for (const [p, content] of Object.entries(files)) {
    const oid = c.ok(['hash-object', '-w', '--stdin'], content);
    c.ok(['update-index', '--add', '--cacheinfo', `100644,${oid},${p}`]);
  }
  const tree = c.ok(['write-tree']);
  c.ok(['read-tree', '--empty']);
  return c.ok(['commit-tree', tree, '-p', tip, '-m', 'register']);
}

describe('signing', () => {
  test('an unsigned push is rejected with the command that signs it', () => {
    const c = owner.commitTree({ README: 'unsigned\n' }, [], 'x');
    const r = owner.pushUnsigned(`${c}:refs/heads/unsigned`);
    expect(r.code).not.toBe(0);
    expect(r.remote).toEqual([
      'git-acl: push rejected: unsigned push: this server accepts only signed pushes; push with `git push --signed` (or sign every push: `git config push.gpgSign true`), with `git config user.signingkey <your GPG key fingerprint>` set and your public key on the policy branch as keys/<FINGERPRINT>.asc',
    ]);
    expect(forge.ref('refs/heads/unsigned')).toBeNull();
  });

  test('a key the policy branch does not hold is refused', () => {
    const { clone, id } = newcomer('mallory');
    const c = clone.commitTree({ README: 'm\n' }, [], 'm');
    const r = clone.push(`${c}:refs/heads/mallory`);
    expect(r.code).not.toBe(0);
    expect(r.remote).toHaveLength(1);
    expect(r.remote[0]).toMatch(
      new RegExp(
        `^git-acl: push rejected: push certificate is signed by key ${id} \\(key ID ${id.slice(-16)}\\), which no key file of the policy branch holds`,
      ),
    );
  });
});

describe('acl.pushee', () => {
  test('a certificate made out to another server is refused; one made out to this one is accepted', () => {
    const c = owner.commitTree({ README: 'pushee\n' }, [], 'pushee');
    forge.server(['config', '--add', 'acl.pushee', 'https://git.example.org/project.git']);
    try {
      const r = owner.push(`${c}:refs/heads/pushee`);
      expect(r.code).not.toBe(0);
      expect(r.remote).toEqual([
        `git-acl: push rejected: push certificate is for ${forge.bare}, not this server (https://git.example.org/project.git)`,
      ]);
      forge.server(['config', '--add', 'acl.pushee', forge.bare]);
      expect(owner.push(`${c}:refs/heads/pushee`).remote).toEqual([]);
    } finally {
      forge.server(['config', '--unset-all', 'acl.pushee']);
    }
  });
});

describe('acl.pushee as docs/server.md writes it (with the git@ user) matches what git writes over ssh', () => {
  test.each(['ssh', 'scp'] as const)('a push over %s to a server that lists git@127.0.0.1:<path> is accepted', (transport) => {
    const c = cloneOver(forge, 'owner', transport);
    const commit = c.commitTree({ README: `pushee ${transport}\n` }, [], transport);
    // git drops the user part from the pushee it signs: 127.0.0.1:/path or ssh://127.0.0.1/path.
    forge.server(['config', '--add', 'acl.pushee', `git@127.0.0.1:${forge.bare}`]);
    forge.server(['config', '--add', 'acl.pushee', 'https://git.example.org/project.git']);
    try {
      const r = c.push(`${commit}:refs/heads/pushee-${transport}`);
      expect(r.remote).toEqual([]);
      expect(r.code).toBe(0);
      const signed = forge.certificates().map((x) => /^pushee (.*)$/m.exec(x.text)?.[1]);
      expect(signed).toContain(transport === 'ssh' ? `ssh://127.0.0.1${forge.bare}` : `127.0.0.1:${forge.bare}`);
    } finally {
      forge.server(['config', '--unset-all', 'acl.pushee']);
    }
  });

  test('another host, or another path, is still another server', () => {
    const c = cloneOver(forge, 'owner', 'ssh');
    const commit = c.commitTree({ README: 'pushee elsewhere\n' }, [], 'elsewhere');
    forge.server(['config', '--add', 'acl.pushee', `git@127.0.0.2:${forge.bare}`]);
    forge.server(['config', '--add', 'acl.pushee', `ssh://git@127.0.0.1${forge.bare}-other.git/`]);
    try {
      const r = c.push(`${commit}:refs/heads/pushee-elsewhere`);
      expect(r.code).not.toBe(0);
      expect(r.remote).toEqual([
        `git-acl: push rejected: push certificate is for ssh://127.0.0.1${forge.bare}, not this server (git@127.0.0.2:${forge.bare} or ssh://git@127.0.0.1${forge.bare}-other.git/)`,
      ]);
    } finally {
      forge.server(['config', '--unset-all', 'acl.pushee']);
    }
  });
});

describe('self-registration', () => {
  test('a user registers their own key with a push signed by it', () => {
    const { clone, id } = newcomer('carol');
    const r = clone.push(
      `${policyCommit(clone, { [`keys/${id}.asc`]: forge.user('carol').key.publicArmored })}:refs/heads/apps/access-control`,
    );
    expect(r.remote).toEqual([]);
    expect(r.code).toBe(0);
    // Registered, carol is now known: her next push is judged by the rules (and denied by them, not by identity).
    const c = clone.commitTree({ README: 'c\n' }, [], 'c');
    const r2 = clone.push(`${c}:refs/heads/carol`);
    expect(r2.remote[0]).toBe(`git-acl: push rejected for user ${id}; no ref was changed`);
  });

  test('a key file named after another fingerprint is refused', () => {
    const { clone, id } = newcomer('dave');
    const victim = forge.owner.id.replace(/^./, (ch) => (ch === 'A' ? 'B' : 'A'));
    const r = clone.push(
      `${policyCommit(clone, { [`keys/${victim}.asc`]: forge.user('dave').key.publicArmored })}:refs/heads/apps/access-control`,
    );
    expect(r.code).not.toBe(0);
    expect(r.remote).toHaveLength(1);
    expect(r.remote[0]).toContain(`keys/${victim}.asc`);
    expect(r.remote[0]).toContain(id);
    expect(r.remote[0]).toMatch(/^git-acl: push rejected: /);
  });

  test('a secret key is refused', () => {
    const { clone, id } = newcomer('erin');
    const secret = exportSecret(forge.gpgHome, id);
    const r = clone.push(`${policyCommit(clone, { [`keys/${id}.asc`]: secret })}:refs/heads/apps/access-control`);
    expect(r.code).not.toBe(0);
    expect(r.remote).toHaveLength(1);
    expect(r.remote[0]).toMatch(/^git-acl: push rejected: .*secret key/);
    expect(forge.ref('refs/heads/apps/access-control')).toBe(owner.fetchRef('refs/heads/apps/access-control'));
  });

  test('registration does not let a user change anything else on the policy branch', () => {
    const { clone, id } = newcomer('frank');
    const commit = policyCommit(clone, {
      [`keys/${id}.asc`]: forge.user('frank').key.publicArmored,
      'refs/frank.conf': `${id} create-branch,fast-forward,force,delete ^.*$\n`,
    });
    const r = clone.push(`${commit}:refs/heads/apps/access-control`);
    expect(r.code).not.toBe(0);
    expect(r.remote).toEqual([
      `git-acl: push rejected for user ${id}; no ref was changed`,
      `git-acl: denied: no rule lets ${id} create-file refs/frank.conf on heads/apps/access-control; nearest: branches/owner.conf:4 "owner create-directory,create-file,create-symlink,create-submodule,modify,delete ^.*$" (applies to the owner only)`,
    ]);
  });
});

describe('certificates the hook checks itself', () => {
  /** The certificate of an accepted push, and its update lines. */
  function acceptedCert(): { oid: string; text: string; nonce: string; stdin: string } {
    const c = owner.commitTree({ README: 'for the cert\n' }, [], 'cert');
    expect(owner.push(`${c}:refs/heads/cert-source`).code).toBe(0);
    const cert = forge.certificates().find((x) => x.text.includes(` ${c} refs/heads/cert-source\n`))!;
    const nonce = /^nonce (.*)$/m.exec(cert.text)![1]!;
    const stdin = `${ZERO_OID} ${c} refs/heads/cert-source2\n`;
    return { ...cert, nonce, stdin };
  }

  test('a real certificate with a BAD nonce is refused (replay)', () => {
    const cert = acceptedCert();
    const r = forge.runHook(
      { GIT_PUSH_CERT: cert.oid, GIT_PUSH_CERT_NONCE: cert.nonce, GIT_PUSH_CERT_NONCE_STATUS: 'BAD', GIT_PUSH_CERT_STATUS: 'G' },
      cert.stdin,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'git-acl: push rejected: push certificate nonce is BAD: it is not the nonce this server issued (a replayed or forged certificate); push again\n',
    );
  });

  test('an update that the certificate does not sign is refused', () => {
    const cert = acceptedCert();
    const r = forge.runHook({ GIT_PUSH_CERT: cert.oid, GIT_PUSH_CERT_NONCE: cert.nonce, GIT_PUSH_CERT_NONCE_STATUS: 'OK' }, cert.stdin);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`git-acl: push rejected: ref update not in the signed push certificate: ${cert.stdin.trim()}\n`);
  });

  test('a corrupt certificate is refused, whatever git says of it', () => {
    const cert = acceptedCert();
    const line = cert.text.split('\n').find((l) => / refs\/heads\/cert-source$/.test(l))!;
    const tampered = cert.text.replace(line, line.replace('cert-source', 'cert-sourcf'));
    const r = forge.runHook(
      {
        GIT_PUSH_CERT: forge.serverBlob(tampered),
        GIT_PUSH_CERT_NONCE: cert.nonce,
        GIT_PUSH_CERT_NONCE_STATUS: 'OK',
        GIT_PUSH_CERT_STATUS: 'G',
      },
      `${line.replace('cert-source', 'cert-sourcf')}\n`,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^git-acl: push rejected: bad push certificate signature \(checked with keys\/[0-9A-F]{40}\.asc\): Signed digest did not match$/m,
    );

    const garbage = forge.runHook(
      {
        GIT_PUSH_CERT: forge.serverBlob('certificate version 0.1\ngarbage\n'),
        GIT_PUSH_CERT_NONCE: cert.nonce,
        GIT_PUSH_CERT_NONCE_STATUS: 'OK',
      },
      cert.stdin,
    );
    expect(garbage.code).toBe(1);
    expect(garbage.stderr).toMatch(/^git-acl: push rejected: .*certificate/);
    expect(garbage.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  });
});
