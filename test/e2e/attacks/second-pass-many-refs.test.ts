/**
 * Second red-team pass on issue 7: a push of many refs. The post-receive
 * script read its input by appending line after line to one shell string,
 * which copies the whole string each time: 10,000 refs cost 25 s of
 * post-receive (measured once, loaded machine), 40,000 (what a 4 MiB
 * certificate can carry) minutes, with the admission lock held, so every
 * other push waited. Now it reads the first lines itself and the rest with
 * one `cat`. How fast is not for a test to say; this shows that a push of
 * hundreds of refs (past the lines read one by one) is logged whole and that
 * post-receive.local still gets the same input, byte for byte.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Forge, ZERO_OID as ZERO, type Clone } from '../../support/forge.js';
import { attempt, refChanges } from './support.js';

let forge: Forge;
let alice: Clone;
let A: string;

beforeAll(() => {
  forge = Forge.create({ presets: ['per-user-branches'], users: ['alice'] });
  forge.setPolicy(Forge.presetFiles('per-user-branches'));
  A = forge.user('alice').id;
  alice = forge.clone('alice');
});
afterAll(() => forge?.cleanup());

test('a push of 300 new refs is logged whole, and post-receive.local gets the same 300 lines', async () => {
  const seen = path.join(forge.root, 'post-receive-local-input');
  const local = path.join(forge.bare, 'hooks', 'post-receive.local');
  fs.writeFileSync(local, `#!/bin/sh\ncat > '${seen}'\n`, { mode: 0o755 });
  const c = alice.commitTree({ README: 'many\n' }, [], 'many refs');
  const refs = Array.from({ length: 300 }, (_, i) => `refs/heads/${A}/many/${String(i).padStart(3, '0')}`);
  const logBefore = forge.ref('refs/heads/apps/push-log');
  const a = await attempt(forge, () => alice.push(...refs.map((r) => `${c}:${r}`)));
  expect(a.remote).toEqual([]);
  expect(refChanges(a)).toHaveLength(300);
  const lines = refs.map((r) => `${ZERO} ${c} ${r}`);
  expect(fs.readFileSync(seen, 'utf8').split('\n').filter(Boolean).sort()).toEqual(lines);
  const log = forge.ref('refs/heads/apps/push-log')!;
  expect(log).not.toBe(logBefore);
  expect(
    forge
      .server(['show', `${log}:updates`])
      .stdout.split('\n')
      .filter(Boolean)
      .sort(),
  ).toEqual(lines);
});
