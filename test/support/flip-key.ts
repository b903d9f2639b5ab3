/**
 * A key file whose primary user ID flips with time, for the fast path's history reproduction
 * (test/server/fast-identity-history.test.ts, test/e2e/attacks/fast-path-backdated.test.ts): a real gpg key made at
 * `t0` (--faked-system-time), its user IDs and their signatures re-made with openpgp's packet API (gpg cannot put
 * an expiry on a user ID revocation):
 *   U1 (primary user ID), key flags: certify only        (so "the primary key cannot sign")
 *   U2, key flags: certify + sign
 *   a soft revocation of U1 (reason 32, "user ID no longer valid"), made t0+1d, expiring t0+2d
 * gpg's own copy of the key (in `home`) still signs: certificates are real gpg signatures.
 */
import * as openpgp from 'openpgp';
import { exportSecret, gpg, type GpgHome } from './gpg.js';

export const DAY = 24 * 3600_000;
export const gpgTime = (ms: number): string => `${Math.floor(ms / 1000)}!`;

export async function makeFlipKey(home: GpgHome, name: string, t0: number): Promise<{ fingerprint: string; keyFile: string }> {
  const uid = `${name} <${name.toLowerCase()}@example.org>`;
  gpg(home, ['--faked-system-time', gpgTime(t0), '--quick-gen-key', uid, 'ed25519', 'sign', 'never']);
  const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(gpg(home, ['--with-colons', '--list-keys', `=${uid}`]))![1]!;
  const sec = await openpgp.readPrivateKey({ armoredKey: exportSecret(home, fingerprint) });
  const pk = sec.keyPacket;
  const u1 = sec.users[0]!.userID!;
  const u2 = openpgp.UserIDPacket.fromObject({ name: `${name} Two`, email: 'two@example.org' });
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
  const cert1 = await sig(openpgp.enums.signature.certPositive, u1, { keyFlags: [C], isPrimaryUserID: true }, t0 + 60_000);
  const rev1 = await sig(
    openpgp.enums.signature.certRevocation,
    u1,
    {
      reasonForRevocationFlag: openpgp.enums.reasonForRevocation.userIDInvalid,
      reasonForRevocationString: '',
      signatureNeverExpires: false,
      signatureExpirationTime: DAY / 1000,
    },
    t0 + DAY,
  );
  const cert2 = await sig(openpgp.enums.signature.certPositive, u2, { keyFlags: [C | S] }, t0 + 60_000);
  const list = new openpgp.PacketList<openpgp.AnyPacket>();
  list.push(sec.toPublic().keyPacket, u1, cert1, rev1, u2, cert2);
  return { fingerprint, keyFile: new openpgp.PublicKey(list as never).armor() };
}
