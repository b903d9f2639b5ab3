/**
 * RED TEAM (rt12) reproduction: a record made at one moment lets the fast path accept a certificate openpgp
 * refuses at a later moment inside the record's interval.
 *
 * Why: openpgp's verdict in identity/verify.ts is not a function of the judging date alone. One call judges the
 * key file at the judging moment D, at the signature's creation C (createVerificationObject's
 * getSigningKey(…, C)), then at D again; and openpgp caches what it found on the signature objects it walked
 * (`SignaturePacket.revoked` is sticky: once a self-certification was found revoked at C, it stays "revoked"
 * when the same key object is judged at D). getPrimaryUser prefers unrevoked users, so a user ID that a soft,
 * expiring revocation hid at C stays hidden at D, and another user ID (with other key flags) becomes primary.
 * The record's interval is built around D alone (keyInstants), although openpgp's verdict at D leaned on C, which
 * may lie outside it. A later certificate whose C and D both lie inside the interval is judged by openpgp
 * without that history, and refused; the fast path accepts it.
 *
 * Key: test/support/flip-key.ts (a real gpg key made 10 days ago, T0; U1 primary and certify-only, U2 can sign, U1
 * revoked softly from T0+1d to T0+2d). Certificates: real gpg signatures by the primary key.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { parsePushCert } from '../../src/identity/index.js';
import { fastPusher } from '../../src/server/fast-identity.js';
import { readVerifiedKeys } from '../../src/server/verify-cache.js';
import { gpg, makeGpgHome, type GpgHome } from '../support/gpg.js';
import { DAY, gpgTime, makeFlipKey } from '../support/flip-key.js';
import { realCertPayload } from '../identity/capture.js';
import { oracleIn, type Outcome } from './oracle.js';
import { finderOf } from '../identity/util.js';

const T0 = Math.floor((Date.now() - 10 * DAY) / 1000) * 1000;
let home: GpgHome;
let cacheDir: string;
let fpr = '';
let keyFile = '';
let payload = '';

function sign(text: string, at?: number): string {
  const file = path.join(home.dir, 'payload');
  fs.writeFileSync(file, text);
  const time = at === undefined ? [] : ['--faked-system-time', gpgTime(at)];
  return gpg(home, [...time, '--armor', '--detach-sign', '--digest-algo', 'SHA256', '-u', `${fpr}!`, '-o', '-', file]);
}

beforeAll(async () => {
  home = makeGpgHome();
  cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fasthist-'));
  ({ fingerprint: fpr, keyFile } = await makeFlipKey(home, 'Flip', T0));
  payload = realCertPayload(home, fpr);
}, 120_000);
afterAll(() => {
  home.cleanup();
  fs.rmSync(cacheDir, { recursive: true, force: true });
});

const oracle = (cert: string, files: Record<string, string>, date: Date, record = false): Promise<Outcome> =>
  oracleIn(cacheDir, cert, files, date, record);

test('DEFECT (failed before the fix in verify.ts): a record made at D1 from a backdated certificate lets the fast path accept at D2 what openpgp refuses', async () => {
  const files = { [`keys/${fpr}.asc`]: keyFile };
  // openpgp alone, fresh, at NOW: the key's primary user (U1) says "certify only": a certificate made now is refused.
  // NOW is taken once that certificate exists, so it is never judged before its own creation, however slow the setup.
  const now = certOf(sign(payload));
  const NOW = new Date();
  const refused = await oracle(now, files, NOW);
  const cannotSign = `bad push certificate signature (checked with keys/${fpr}.asc): Could not find valid signing key packet in key ${fpr.slice(-16).toLowerCase()}`;
  expect(refused).toEqual({ ok: false, message: cannotSign });

  // A certificate dated inside the revocation's window (T0+1.5d): openpgp judges the key at C (U1 hidden by the
  // revocation, U2 primary: can sign), and at D that finding sticks: accepted (openpgp's own verdict, which the
  // hook keeps), and offered for the record as the hook does. Its verdict at D leaned on C, outside the interval
  // around D: no record may be kept from it (with the defect one was, with the interval (T0+2d, ∞); checked last).
  const backdated = certOf(sign(payload, T0 + 1.5 * DAY));
  const first = await oracle(backdated, files, NOW, true);
  expect(first.ok).toBe(true);

  // An hour later, a certificate made now: openpgp (fresh) refuses it, as above. The fast path must not accept it.
  const later = new Date(NOW.getTime() + 3600_000);
  const o = await oracle(now, files, later);
  const f = await fastPusher(parsePushCert(now), finderOf(files), (ref) => readVerifiedKeys(cacheDir, ref), later);
  expect(o).toEqual({ ok: false, message: cannotSign });
  expect(f, 'the fast path accepted a certificate openpgp refuses').toBeNull();
  expect(readVerifiedKeys(cacheDir, { fileName: `keys/${fpr}.asc`, armored: keyFile })).toEqual([]);
});

const certOf = (signature: string) => payload + signature;
