import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  IdentityError,
  UNSIGNED_PUSH_MESSAGE,
  checkPushEnv,
  pusheeKey,
  parsePushCert,
  parseRefUpdates,
  requireSignedPush,
  type PushCertificate,
} from '../../src/identity/index.js';
import { genKey, makeGpgHome, type GpgHome } from '../support/gpg.js';
import { makePushRig, type Captured } from './capture.js';
import { thrown } from './util.js';

let home: GpgHome;
let signed: Captured; // two refs
let unsigned: Captured;
let cert: PushCertificate;

beforeAll(() => {
  home = makeGpgHome();
  const k = genKey(home, 'Env');
  const rig = makePushRig(home, k.fingerprint);
  try {
    signed = rig.push({ refspecs: ['main', 'main:refs/heads/second'] });
    unsigned = rig.push({ signed: false });
  } finally {
    rig.cleanup();
  }
  cert = parsePushCert(signed.cert!);
});
afterAll(() => home.cleanup());

function envError(fn: () => unknown, code: string): string {
  const e = thrown(fn);
  expect(e).toBeInstanceOf(IdentityError);
  expect(e.code).toBe(code);
  return e.message;
}

describe('requireSignedPush / checkPushEnv', () => {
  test('a real signed push passes', () => {
    expect(signed.env['GIT_PUSH_CERT_NONCE_STATUS']).toBe('OK');
    expect(requireSignedPush(signed.env)).toBe(signed.env['GIT_PUSH_CERT']);
    checkPushEnv(signed.env, cert, signed.stdin);
    checkPushEnv(signed.env, cert, parseRefUpdates(signed.stdin), { pushees: [cert.pushee!, 'https://example.org/r.git'] });
    expect(parseRefUpdates(signed.stdin)).toHaveLength(2);
  });

  test('an unsigned push gets the message that says how to sign', () => {
    expect(unsigned.cert).toBeUndefined();
    expect(Object.keys(unsigned.env)).toEqual([]); // git sets no GIT_PUSH_CERT* at all
    expect(envError(() => requireSignedPush(unsigned.env), 'unsigned-push')).toBe(UNSIGNED_PUSH_MESSAGE);
    expect(UNSIGNED_PUSH_MESSAGE).toBe(
      'unsigned push: this server accepts only signed pushes; push with `git push --signed` ' +
        '(or sign every push: `git config push.gpgSign true`), with `git config user.signingkey <your GPG key fingerprint>` set ' +
        'and your public key on the policy branch as keys/<FINGERPRINT>.asc',
    );
    expect(UNSIGNED_PUSH_MESSAGE).not.toContain('\n');
    expect(envError(() => checkPushEnv(unsigned.env, cert, signed.stdin), 'unsigned-push')).toBe(UNSIGNED_PUSH_MESSAGE);
    expect(envError(() => requireSignedPush({ GIT_PUSH_CERT: '' }), 'unsigned-push')).toBe(UNSIGNED_PUSH_MESSAGE);
  });

  test.each([
    ['BAD', 'push certificate nonce is BAD: it is not the nonce this server issued (a replayed or forged certificate); push again'],
    ['MISSING', 'push certificate nonce is MISSING: the certificate carries no nonce; push again with `git push --signed`'],
    [
      'SLOP',
      "push certificate nonce is SLOP: the server issued it in an earlier second than it checked it (usual over HTTP, where the push is a second request), and pushing again may fail the same way; the server's admin must set receive.certNonceSlop (git config receive.certNonceSlop 120 in the server's repository)",
    ],
    [
      'UNSOLICITED',
      'push certificate nonce is UNSOLICITED: the server did not ask for one; the server must set receive.certNonceSeed (git acl init does)',
    ],
    ['WEIRD', 'push certificate nonce status is "WEIRD": the server must set receive.certNonceSeed (git acl init does)'],
    [undefined, 'push certificate nonce status is not set: the server must set receive.certNonceSeed (git acl init does)'],
  ])('nonce status %s is refused', (status, message) => {
    const env = { ...signed.env, GIT_PUSH_CERT_NONCE_STATUS: status };
    expect(envError(() => requireSignedPush(env), 'nonce')).toBe(message);
    expect(envError(() => checkPushEnv(env, cert, signed.stdin), 'nonce')).toBe(message);
  });

  test("git's own GIT_PUSH_CERT_STATUS is not what decides", () => {
    // The rig's server skips its own gpg (status N); a "G" would change nothing either.
    expect(signed.env['GIT_PUSH_CERT_STATUS']).toBe('N');
    checkPushEnv({ ...signed.env, GIT_PUSH_CERT_STATUS: 'B' }, cert, signed.stdin);
    const env = { ...signed.env, GIT_PUSH_CERT_STATUS: 'G', GIT_PUSH_CERT_NONCE_STATUS: 'BAD' };
    expect(() => checkPushEnv(env, cert, signed.stdin)).toThrow(IdentityError);
  });

  test('the certificate must carry the nonce git checked', () => {
    const env = { ...signed.env, GIT_PUSH_CERT_NONCE: '1-other' };
    expect(envError(() => checkPushEnv(env, cert, signed.stdin), 'nonce')).toBe(
      'push certificate nonce does not match the nonce git checked; push again',
    );
  });

  test('every stdin update must be in the certificate', () => {
    const [first] = parseRefUpdates(signed.stdin);
    const extra = `${first!.oldOid} ${first!.newOid} refs/heads/unsigned\n`;
    expect(envError(() => checkPushEnv(signed.env, cert, signed.stdin + extra), 'update-not-signed')).toBe(
      `ref update not in the signed push certificate: ${extra.trim()}`,
    );
    const otherNew = `${first!.oldOid} ${'1'.repeat(40)} ${first!.ref}\n`;
    expect(envError(() => checkPushEnv(signed.env, cert, otherNew), 'update-not-signed')).toBe(
      `ref update not in the signed push certificate: ${otherNew.trim()}`,
    );
    const otherOld = `${'2'.repeat(40)} ${first!.newOid} ${first!.ref}\n`;
    expect(envError(() => checkPushEnv(signed.env, cert, otherOld), 'update-not-signed')).toBe(
      `ref update not in the signed push certificate: ${otherOld.trim()}`,
    );
    // A subset of the signed updates is fine (git may drop commands before pre-receive).
    checkPushEnv(signed.env, cert, `${first!.oldOid} ${first!.newOid} ${first!.ref}\n`);
  });

  test('pusheeKey: every spelling of one repository compares equal, other repositories do not', () => {
    const same = [
      'git@git.example.org:/srv/git/project.git',
      'git.example.org:/srv/git/project.git',
      'git.example.org:/srv/git/project',
      'ssh://git@git.example.org/srv/git/project.git',
      'ssh://git.example.org:22/srv/git/project/',
      'git+ssh://Git.Example.ORG/srv/git/project.git/',
    ];
    for (const u of same) expect(pusheeKey(u)).toBe('ssh://git.example.org/srv/git/project');
    expect(pusheeKey('git@host:project.git')).toBe('ssh://host/~/project');
    expect(pusheeKey('ssh://host/~/project.git')).toBe('ssh://host/~/project');
    expect(pusheeKey('https://user:secret@git.example.org:443/git/project.git')).toBe('https://git.example.org/git/project');
    expect(pusheeKey('/srv/git/project.git')).toBe('/srv/git/project');
    for (const other of [
      'ssh://git.example.org:2222/srv/git/project.git',
      'git.example.org:/srv/git/project2.git',
      'https://git.example.org/srv/git/project.git',
      'ssh://git.example.com/srv/git/project.git',
    ]) {
      expect(pusheeKey(other)).not.toBe('ssh://git.example.org/srv/git/project');
    }
  });

  test('pushee must be one of acl.pushee when set', () => {
    expect(
      envError(() => checkPushEnv(signed.env, cert, signed.stdin, { pushees: ['https://git.example.org/r.git'] }), 'pushee-mismatch'),
    ).toBe(`push certificate is for ${cert.pushee}, not this server (https://git.example.org/r.git)`);
    const { pushee: _drop, ...noPushee } = cert;
    expect(envError(() => checkPushEnv(signed.env, noPushee, signed.stdin, { pushees: ['a', 'b'] }), 'pushee-mismatch')).toBe(
      'push certificate names no pushee; this server is a or b',
    );
    checkPushEnv(signed.env, cert, signed.stdin, { pushees: [] }); // not configured
  });
});
