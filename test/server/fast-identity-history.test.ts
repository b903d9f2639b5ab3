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
 * Key: real gpg key (made 10 days ago with --faked-system-time); its user IDs and their signatures re-made with
 * openpgp's own packet API (gpg cannot put an expiry on a user ID revocation):
 *   U1 (primary user ID), key flags: certify only        (so "the primary key cannot sign")
 *   U2, key flags: certify + sign
 *   a soft revocation of U1 (reason 32, "user ID no longer valid"), made T0+1d, expiring T0+2d
 * Certificates: real gpg signatures by the primary key (gpg's own copy of the key can sign).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as openpgp from 'openpgp';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { parsePushCert, verifyPushCert, type KeyFileRef, type VerifiedPusher } from '../../src/identity/index.js';
import { fastPusher } from '../../src/server/fast-identity.js';
import { readVerifiedKeys, writeVerifiedKey } from '../../src/server/verify-cache.js';
import { exportSecret, gpg, makeGpgHome, type GpgHome } from '../support/gpg.js';
import { makePushRig } from '../identity/capture.js';
import { finderOf } from '../identity/util.js';

const NOW = new Date();
const DAY = 24 * 3600_000;
const T0 = Math.floor((NOW.getTime() - 10 * DAY) / 1000) * 1000;
let home: GpgHome;
let cacheDir: string;
let fpr = '';
let keyFile = '';
let payload = '';

const stamp = (ms: number): string => `${Math.floor(ms / 1000)}!`;

function sign(text: string, at?: number): string {
  const file = path.join(home.dir, 'payload');
  fs.writeFileSync(file, text);
  const time = at === undefined ? [] : ['--faked-system-time', stamp(at)];
  return gpg(home, [...time, '--armor', '--detach-sign', '--digest-algo', 'SHA256', '-u', `${fpr}!`, '-o', '-', file]);
}

async function craftedKeyFile(): Promise<string> {
  const sec = await openpgp.readPrivateKey({ armoredKey: exportSecret(home, fpr) });
  const pk = sec.keyPacket;
  const pub = sec.toPublic().keyPacket;
  const u1 = sec.users[0]!.userID!;
  const u2 = openpgp.UserIDPacket.fromObject({ name: 'Flip Two', email: 'two@example.org' });
  const sig = async (type: number, user: openpgp.UserIDPacket, props: Record<string, unknown>, at: number) => {
    const s = new openpgp.SignaturePacket();
    s.signatureType = type;
    s.publicKeyAlgorithm = pk.algorithm;
    s.hashAlgorithm = openpgp.enums.hash.sha256;
    Object.assign(s, props);
    await s.sign(pk as never, { userID: user, key: pk } as never, new Date(at), false, openpgp.config as never);
    return s;
  };
  const C = openpgp.enums.keyFlags.certifyKeys;
  const S = openpgp.enums.keyFlags.signData;
  const cert1 = await sig(openpgp.enums.signature.certPositive, u1, { keyFlags: [C], isPrimaryUserID: true }, T0 + 60_000);
  const rev1 = await sig(
    openpgp.enums.signature.certRevocation,
    u1,
    {
      reasonForRevocationFlag: openpgp.enums.reasonForRevocation.userIDInvalid,
      reasonForRevocationString: '',
      signatureNeverExpires: false,
      signatureExpirationTime: DAY / 1000,
    },
    T0 + DAY,
  );
  const cert2 = await sig(openpgp.enums.signature.certPositive, u2, { keyFlags: [C | S] }, T0 + 60_000);
  const list = new openpgp.PacketList<openpgp.AnyPacket>();
  list.push(pub, u1, cert1, rev1, u2, cert2);
  return new openpgp.PublicKey(list as never).armor();
}

beforeAll(async () => {
  home = makeGpgHome();
  cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fasthist-'));
  const uid = 'Flip <flip@example.org>';
  gpg(home, ['--faked-system-time', stamp(T0), '--quick-gen-key', uid, 'ed25519', 'sign', 'never']);
  fpr = /^fpr:+([0-9A-F]{40}):/m.exec(gpg(home, ['--with-colons', '--list-keys', `=${uid}`]))![1]!;
  keyFile = await craftedKeyFile();
  const rig = makePushRig(home, fpr);
  try {
    const c = rig.push();
    if (!c.cert) throw new Error(`no certificate: ${c.stderr}`);
    payload = parsePushCert(c.cert).payload;
  } finally {
    rig.cleanup();
  }
}, 120_000);
afterAll(() => {
  home.cleanup();
  fs.rmSync(cacheDir, { recursive: true, force: true });
});

type Outcome = { ok: true; pusher: VerifiedPusher } | { ok: false; message: string };

async function oracle(cert: string, files: Record<string, string>, date: Date, record = false): Promise<Outcome> {
  try {
    const pusher = await verifyPushCert({
      cert: parsePushCert(cert),
      findKey: finderOf(files),
      date,
      ...(record
        ? { onVerified: (ref: KeyFileRef, r: Parameters<typeof writeVerifiedKey>[2]) => void writeVerifiedKey(cacheDir, ref, r) }
        : {}),
    });
    return { ok: true, pusher };
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
}

test('DEFECT (failed before the fix in verify.ts): a record made at D1 from a backdated certificate lets the fast path accept at D2 what openpgp refuses', async () => {
  const files = { [`keys/${fpr}.asc`]: keyFile };
  // openpgp alone, fresh, at NOW: the key's primary user (U1) says "certify only": a certificate made now is refused.
  const now = certOf(sign(payload));
  const refused = await oracle(now, files, NOW);
  expect(refused).toMatchObject({ ok: false, message: expect.stringMatching(/cannot sign|signing key/i) });

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
  expect(o.ok).toBe(false);
  expect(f, 'the fast path accepted a certificate openpgp refuses').toBeNull();
  expect(readVerifiedKeys(cacheDir, { fileName: `keys/${fpr}.asc`, armored: keyFile })).toEqual([]);
});

const certOf = (signature: string) => payload + signature;
