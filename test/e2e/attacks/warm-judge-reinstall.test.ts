/**
 * A warm judge must never judge with other code than the hook would load (docs/security.md, "The warm judge"). It
 * compares the identity of ITS OWN files (its dist/hook/*.cjs and its Node) before it takes a push; the script looks
 * for judges by the protocol's tag only. An upgrade that installs git-acl (or Node) in ANOTHER place and runs
 * `git acl init` there (a versioned prefix, another nvm Node, a new npx cache) changes the hook's @START@/@NODE@ but
 * neither the tag nor the old files: the old judge takes the next push and judges it with the old code, and starts
 * the next judge from the old install (startNextJudge spawns its own start.cjs), so the old code keeps judging as
 * long as pushes come within acl.warmSeconds of each other.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Clone, Forge } from '../../support/forge.js';
import { forgeOnPrivateInstall, privateInstall } from '../../support/install.js';
import { judgesIn, until } from '../../support/warm.js';

let forge: Forge;
let oldInstall: string;
let owner: Clone;

beforeAll(() => {
  ({ forge, install: oldInstall } = forgeOnPrivateInstall());
  owner = forge.clone('owner');
});
afterAll(() => forge?.cleanup());

const judges = () => judgesIn(forge.bare);

const cmdline = (pid: number): string => {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
};

let n = 0;
function push(): number {
  const c = owner.commitTree({ [`f${++n}.txt`]: `${n}\n` }, [], `c${n}`);
  return owner.push(`${c}:refs/heads/b${n}`).code;
}

test('after `git acl init` from another install, no push is judged by a judge of the old install', async () => {
  expect(push()).toBe(0);
  await until('a judge of the first install', () => judges().some((p) => cmdline(p).includes(oldInstall)));

  // The upgrade: git-acl installed elsewhere, `git acl init` run from there (the old install stays on disk).
  const newInstall = privateInstall();
  try {
    forge.cli = path.join(newInstall, 'dist/cli/main.js');
    const r = forge.acl(['init', forge.bare, '--owner-key', path.join(forge.root, 'owner.asc')]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(fs.readFileSync(path.join(forge.bare, 'hooks', 'pre-receive'), 'utf8')).toContain(newInstall);

    for (let i = 0; i < 2; i++) {
      const waiting = judges();
      expect(push()).toBe(0);
      await until('a judge started by this push', () => judges().some((p) => !waiting.includes(p)));
      const started = judges().filter((p) => !waiting.includes(p));
      // The push was judged by the new install (which started the next judge from there); the old judges were left
      // waiting (they end at their own timeout).
      expect(
        started.map(cmdline).filter((c) => c.includes(oldInstall)),
        'a judge of the old install judged the push',
      ).toEqual([]);
      expect(started.map(cmdline).every((c) => c.includes(newInstall))).toBe(true);
    }
  } finally {
    fs.rmSync(newInstall, { recursive: true, force: true });
  }
}, 120_000);
