import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { IdentityError, parsePushCert, parseRefUpdates } from '../../src/identity/index.js';
import { genKey, makeGpgHome, type GpgHome } from '../support/gpg.js';
import { makePushRig } from './capture.js';
import { thrown } from './util.js';
import { ZERO_OID } from '../support/env.js';

const Z = ZERO_OID;
const A = 'a'.repeat(40);
const SIG = '-----BEGIN PGP SIGNATURE-----\n\niHUEABYIAB0WIQQ=\n=abcd\n-----END PGP SIGNATURE-----\n';

function cert(header: string, updates = `${Z} ${A} refs/heads/main\n`, sig = SIG): string {
  return `${header}\n${updates}${sig}`;
}
const HEADER = 'certificate version 0.1\npusher ABCDEF 1700000000 +0000\npushee /srv/r.git\nnonce 1700000000-abc\n';

function parseError(text: string): string {
  const e = thrown(() => parsePushCert(text));
  expect(e).toBeInstanceOf(IdentityError);
  return e.message;
}

describe('parsePushCert on a real certificate', () => {
  let home: GpgHome;
  let real: string;
  beforeAll(() => {
    home = makeGpgHome();
    const k = genKey(home, 'Parser');
    const rig = makePushRig(home, k.fingerprint);
    try {
      real = rig.push({ options: ['ci.skip', 'x=y z'], refspecs: ['main', 'main:refs/heads/other'] }).cert!;
    } finally {
      rig.cleanup();
    }
  });
  afterAll(() => home.cleanup());

  test('fields, payload and signature', () => {
    const c = parsePushCert(real);
    expect(c.version).toBe('0.1');
    expect(c.pusher).toMatch(/^[0-9A-F]{40} \d+ [+-]\d{4}$/);
    expect(c.pushee).toMatch(/server\.git$/);
    expect(c.nonce).toMatch(/^\d+-[0-9a-f]{40}$/);
    expect(c.pushOptions).toEqual(['ci.skip', 'x=y z']);
    expect(c.updates.map((u) => u.ref).sort()).toEqual(['refs/heads/main', 'refs/heads/other']);
    expect(c.updates.every((u) => u.oldOid === Z && /^[0-9a-f]{40}$/.test(u.newOid))).toBe(true);
    expect(c.payload + c.signature).toBe(real);
    expect(c.payload.endsWith('\n\n')).toBe(false);
    expect(c.payload.endsWith('refs/heads/other\n') || c.payload.endsWith('refs/heads/main\n')).toBe(true);
    expect(c.signature.startsWith('-----BEGIN PGP SIGNATURE-----\n')).toBe(true);
  });

  test('a real SSH-signed push certificate is refused with advice', () => {
    const rig = makePushRig(home, 'unused');
    try {
      const key = `${rig.dir}/id_ed25519`;
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'ssh-user', '-f', key]);
      const c = rig.push({ config: { 'gpg.format': 'ssh', 'user.signingkey': key } });
      expect(c.cert).toContain('-----BEGIN SSH SIGNATURE-----');
      expect(c.env['GIT_PUSH_CERT_NONCE_STATUS']).toBe('OK');
      const e = thrown(() => parsePushCert(c.cert!));
      expect(e.code).toBe('cert-ssh');
      expect(e.message).toBe(
        'push certificate is signed with an SSH key: SSH-signed pushes are not supported, sign with a GPG key (git config gpg.format openpgp; git config user.signingkey <GPG key fingerprint>)',
      );
    } finally {
      rig.cleanup();
    }
  });

  test('from bytes: payloadBytes are the signed bytes', () => {
    const bytes = new TextEncoder().encode(real);
    const c = parsePushCert(bytes);
    expect(new TextDecoder().decode(c.payloadBytes)).toBe(c.payload);
  });
});

describe('parsePushCert refuses malformed certificates', () => {
  test('minimal hand-made certificate parses', () => {
    const c = parsePushCert(cert(HEADER));
    expect(c.updates).toEqual([{ oldOid: Z, newOid: A, ref: 'refs/heads/main' }]);
    expect(c.pushOptions).toEqual([]);
  });

  test('SHA-256 object IDs', () => {
    const c = parsePushCert(cert(HEADER, `${'0'.repeat(64)} ${'b'.repeat(64)} refs/heads/main\n`));
    expect(c.updates[0]!.newOid).toBe('b'.repeat(64));
  });

  test('the split is at the LAST signature line', () => {
    // A signature line inside the header is not a signature; it is a bad header line.
    const text = cert(HEADER.replace('pushee', '-----BEGIN PGP SIGNATURE-----\npushee'));
    expect(parseError(text)).toBe('malformed push certificate: unknown header line "-----BEGIN PGP SIGNATURE-----"');
  });

  const cases: Array<[string, string, string]> = [
    ['empty', '', 'malformed push certificate: the certificate is empty'],
    [
      'no signature',
      `${HEADER}\n${Z} ${A} refs/heads/main\n`,
      'malformed push certificate: no PGP signature (no line starting "-----BEGIN PGP SIGNATURE-----")',
    ],
    ['signature only', SIG, 'malformed push certificate: nothing before the signature'],
    [
      'unknown version',
      cert(HEADER.replace('0.1', '0.2')),
      'malformed push certificate: unsupported version "0.2" (only 0.1 is supported)',
    ],
    [
      'not a certificate',
      cert(HEADER.replace('certificate version 0.1', 'hello')),
      'malformed push certificate: first line must be "certificate version 0.1", got "hello"',
    ],
    [
      'missing blank line',
      `${HEADER}${Z} ${A} refs/heads/main\n${SIG}`,
      'malformed push certificate: missing the empty line between the header and the ref updates',
    ],
    ['header only', `${HEADER}${SIG}`, 'malformed push certificate: missing the empty line between the header and the ref updates'],
    ['no updates', cert(HEADER, ''), 'malformed push certificate: no ref updates'],
    [
      'short oid',
      cert(HEADER, `${Z} abc refs/heads/main\n`),
      `malformed push certificate: bad ref update line "${Z} abc refs/heads/main" (expected "<old-oid> <new-oid> refs/...")`,
    ],
    [
      'upper-case oid',
      cert(HEADER, `${Z} ${'A'.repeat(40)} refs/heads/main\n`),
      `malformed push certificate: bad ref update line "${Z} ${'A'.repeat(40)} refs/heads/main" (expected "<old-oid> <new-oid> refs/...")`,
    ],
    [
      'ref outside refs/',
      cert(HEADER, `${Z} ${A} HEAD\n`),
      `malformed push certificate: bad ref update line "${Z} ${A} HEAD" (expected "<old-oid> <new-oid> refs/...")`,
    ],
    [
      'extra field',
      cert(HEADER, `${Z} ${A} refs/heads/main x\n`),
      `malformed push certificate: bad ref update line "${Z} ${A} refs/heads/main x" (expected "<old-oid> <new-oid> refs/...")`,
    ],
    [
      'blank update line',
      cert(HEADER, `${Z} ${A} refs/heads/main\n\n`),
      'malformed push certificate: bad ref update line "" (expected "<old-oid> <new-oid> refs/...")',
    ],
    [
      'mixed oid lengths',
      cert(HEADER, `${Z} ${A} refs/heads/main\n${'0'.repeat(64)} ${'b'.repeat(64)} refs/heads/x\n`),
      'malformed push certificate: ref updates mix SHA-1 and SHA-256 object IDs',
    ],
    ['duplicate pusher', cert(HEADER + 'pusher X 1 +0000\n'), 'malformed push certificate: duplicate "pusher" header'],
    ['duplicate nonce', cert(HEADER + 'nonce 2-x\n'), 'malformed push certificate: duplicate "nonce" header'],
    ['duplicate pushee', cert(HEADER + 'pushee /x\n'), 'malformed push certificate: duplicate "pushee" header'],
    ['no pusher', cert('certificate version 0.1\nnonce 1-a\n'), 'malformed push certificate: missing "pusher" header'],
    ['empty pusher', cert('certificate version 0.1\npusher \n'), 'malformed push certificate: empty "pusher" header'],
    ['unknown header', cert(HEADER + 'signer me\n'), 'malformed push certificate: unknown header line "signer me"'],
    [
      'CRLF',
      cert(HEADER.replace(/\n/g, '\r\n')),
      'malformed push certificate: carriage return in the certificate (git writes LF line endings)',
    ],
    [
      'truncated signature',
      cert(HEADER, undefined, SIG.slice(0, 60)),
      'malformed push certificate: the signature is truncated or has text after "-----END PGP SIGNATURE-----"',
    ],
    [
      'text after signature',
      cert(HEADER, undefined, SIG + 'more\n'),
      'malformed push certificate: the signature is truncated or has text after "-----END PGP SIGNATURE-----"',
    ],
    [
      'bad armor line',
      cert(HEADER, undefined, SIG.replace('SIGNATURE-----\n\n', 'SIGNATURE----- x\n\n')),
      'malformed push certificate: bad signature armor line "-----BEGIN PGP SIGNATURE----- x"',
    ],
  ];
  test.each(cases)('%s', (_name, text, message) => {
    expect(parseError(text)).toBe(message);
  });

  test('an SSH signature is refused with advice', () => {
    const ssh = '-----BEGIN SSH SIGNATURE-----\nU1NIU0lHAAAAAQAAADMAAAALc3NoLWVkMjU1MTk=\n-----END SSH SIGNATURE-----\n';
    const e = thrown(() => parsePushCert(cert(HEADER, undefined, ssh)));
    expect(e).toBeInstanceOf(IdentityError);
    expect(e.code).toBe('cert-ssh');
    expect(e.message).toBe(
      'push certificate is signed with an SSH key: SSH-signed pushes are not supported, sign with a GPG key (git config gpg.format openpgp; git config user.signingkey <GPG key fingerprint>)',
    );
  });

  test('a truncated real certificate is refused', () => {
    const full = cert(HEADER);
    for (const cut of [10, 40, HEADER.length, full.length - 30, full.length - 2]) {
      expect(() => parsePushCert(full.slice(0, cut))).toThrow(IdentityError);
    }
  });
});

describe('parseRefUpdates', () => {
  test('stdin lines', () => {
    expect(parseRefUpdates(`${Z} ${A} refs/heads/main\n${A} ${Z} refs/tags/v1\n`)).toEqual([
      { oldOid: Z, newOid: A, ref: 'refs/heads/main' },
      { oldOid: A, newOid: Z, ref: 'refs/tags/v1' },
    ]);
    expect(() => parseRefUpdates('garbage\n')).toThrow('bad ref update line on stdin: "garbage"');
  });
});
