/**
 * Red-team pass on the admission's own-ref reading (src/server/objects.ts
 * refFileReader): a ref this push updates, moved on the server while the push
 * is judged, where the new value is only in packed-refs, or is loose over a
 * stale packed value. The admission must see the value git would and refuse
 * with the "moved" line.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Forge, type ForgeUser } from '../../support/forge.js';
import { holdJudgement } from './hold.js';

let forge: Forge;
let bob: ForgeUser;
beforeAll(() => {
  forge = Forge.create({ users: ['bob'] });
  bob = forge.user('bob');
  forge.setPolicy({
    'refs/bob.conf': `${bob.id} create-branch,fast-forward ^heads/[A-Za-z]/.+$\n`,
    'branches/bob.conf': `branch ^heads/[A-Za-z]/.+$\n${bob.id} create-file,modify,delete ^.+$\n`,
  });
});
afterAll(() => forge?.cleanup());

test.each([
  ['packed-only', 'refs/heads/A/main', true],
  ['loose-over-stale-packed', 'refs/heads/B/main', false],
])('%s: a ref moved while the push is judged is refused at admission', async (tag, ref, packAfter) => {
  const c = forge.clone(bob);
  const p = c.commitTree({ 'm.txt': 'p\n' }, [], 'p');
  expect(c.push(`${p}:${ref}`).code).toBe(0);
  const r = c.commitTree({ 'm.txt': 'r\n' }, [p], 'r');
  expect(c.push(`${r}:refs/heads/${tag === 'packed-only' ? 'A' : 'B'}/side`).code).toBe(0);
  const q = c.commitTree({ 'm.txt': 'q\n' }, [p], 'q');
  if (!packAfter) forge.server(['pack-refs', '--all', '--prune']);
  const hold = holdJudgement(forge.root, tag);
  const slow = c.pushAsync([`${q}:${ref}`], hold.env);
  await hold.ready(slow);
  try {
    expect(forge.server(['update-ref', ref, r, p]).code).toBe(0);
    if (packAfter) {
      forge.server(['pack-refs', '--all', '--prune']);
      expect(fs.existsSync(path.join(forge.bare, ref))).toBe(false);
    } else {
      expect(fs.readFileSync(path.join(forge.bare, 'packed-refs'), 'utf8')).toContain(`${p} ${ref}\n`);
      expect(fs.readFileSync(path.join(forge.bare, ref), 'utf8')).toBe(`${r}\n`);
    }
  } finally {
    // Also when an assertion above failed: the held hook would otherwise wait on its FIFO forever.
    hold.release();
  }
  const res = await slow;
  expect(res.code).not.toBe(0);
  expect(res.remote).toEqual([
    `git-acl: push rejected: ${ref} is at ${r.slice(0, 12)}, but this push expects it at ${p.slice(0, 12)}; git would refuse this command after the others landed: fetch and push again (another push moved it while this one was being judged) (user ${bob.id})`,
  ]);
  expect(forge.ref(ref)).toBe(r);
});
