/**
 * openpgp's verdict on a push certificate, the fast path's oracle in the fast-identity tests: what it accepts with
 * a key file of the policy is recorded in `cacheDir` when `record` is set, as the hook does.
 */
import { parsePushCert, verifyPushCert, type KeyFileRef, type VerifiedPusher } from '../../src/identity/index.js';
import { writeVerifiedKey } from '../../src/server/verify-cache.js';
import { finderOf } from '../identity/util.js';

export type Outcome = { ok: true; pusher: VerifiedPusher } | { ok: false; message: string };

export async function oracleIn(
  cacheDir: string,
  cert: string,
  files: Record<string, string>,
  date: Date,
  record = false,
): Promise<Outcome> {
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
