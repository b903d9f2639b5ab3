/**
 * RED TEAM (rt12), through the installed hook: one backdated certificate made the hook record a key for a moment
 * its openpgp verdict did not hold at, and every later push of that key was then accepted by the fast path, where
 * openpgp refuses it (test/server/fast-identity-history.test.ts explains the openpgp behaviour; the key is
 * test/support/flip-key.ts). Failed before the fix in identity/verify.ts: the second ordinary push was accepted.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Forge, type Clone, type PushResult } from '../../support/forge.js';
import { DAY, gpgTime, makeFlipKey } from '../../support/flip-key.js';
import type { GpgKey } from '../../support/gpg.js';

let forge: Forge;
let flip: Clone;
let n = 0;
let fpr = '';
const T0 = Date.now() - 10 * DAY;

beforeAll(async () => {
  forge = Forge.create();
  const { fingerprint, keyFile } = await makeFlipKey(forge.gpgHome, 'Flip', T0);
  fpr = fingerprint;
  const key: GpgKey = {
    fingerprint,
    keyId: fingerprint.slice(-16),
    primaryKeyId: fingerprint.slice(-16),
    subkeys: [],
    publicArmored: keyFile,
  };
  forge.users.set('flip', { name: 'flip', key, id: fingerprint });
  // flip may push branches flip/*.
  forge.setPolicy({
    'refs/flip.conf': `${fingerprint} create-branch ^heads/flip/.*$\n`,
    'branches/flip.conf': `branch ^heads/flip/.*$\n${fingerprint} create-file ^.*$\n`,
  });
  flip = forge.clone('flip');
}, 120_000);
afterAll(() => forge?.cleanup());

const lines = (r: PushResult) => ({ code: r.code, remote: r.remote.map((l) => l.replace(/\b[0-9a-f]{7,40}\b/g, '<oid>')) });

function push(gpgArgs: string[] = []): PushResult {
  const ref = `refs/heads/flip/t${++n}`;
  const wrapper = path.join(forge.root, `gpg-${n}`);
  fs.writeFileSync(wrapper, `#!/bin/sh\nexec gpg ${gpgArgs.join(' ')} "$@"\n`, { mode: 0o755 });
  flip.ok(['config', 'gpg.program', wrapper]);
  return flip.push(`${flip.commitTree({ README: `${n}\n` }, [], `c${n}`)}:${ref}`);
}

test('DEFECT (failed before the fix): after one backdated push, an ordinary push the hook refused is accepted', () => {
  const cold = push();
  const backdated = push(['--faked-system-time', gpgTime(T0 + 1.5 * DAY)]);
  const warm = push();
  // openpgp's own verdicts: a certificate made now is refused (the primary user ID cannot sign), the backdated one accepted.
  expect(lines(cold)).toEqual({
    code: 1,
    remote: [
      `git-acl: push rejected: bad push certificate signature (checked with keys/${fpr}.asc): Could not find valid signing key packet in key <oid>`,
    ],
  });
  expect(backdated.code, backdated.remote.join('\n')).toBe(0);
  // The same ordinary push after the backdated one: the same refusal, not the fast path's acceptance.
  expect(lines(warm)).toEqual(lines(cold));
});
