/**
 * `git acl init` points git's own OpenPGP program at `true` (src/server/git-signature-check.ts): git's receive-pack
 * no longer runs `gpg --verify` on each certificate before the hooks (a result git-acl never reads), while the hook
 * still judges every push by its own verification. Through real signed pushes, a `gpg` on PATH logs every call:
 * the client's signing calls are there, git's verifying call is not; with the setting removed, it is (the log can
 * tell the two apart).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Forge, type Clone } from '../support/forge.js';
import { findExecutable } from '../../src/server/git-signature-check.js';

let forge: Forge;
let owner: Clone;
let mallory: Clone;
let n = 0;
let bin: string;
let log: string;

beforeAll(() => {
  forge = Forge.create({ users: ['mallory'] });
  forge.setPolicy(); // mallory's key registered: the owner-only rules, not her identity, refuse her
  owner = forge.clone('owner');
  mallory = forge.clone('mallory');
  bin = path.join(forge.root, 'gpg-bin');
  log = path.join(forge.root, 'gpg-calls.log');
  fs.mkdirSync(bin);
  const real = findExecutable('gpg', process.env.PATH);
  if (!real) throw new Error('no gpg on PATH');
  fs.writeFileSync(path.join(bin, 'gpg'), `#!/bin/sh\necho "$*" >> '${log}'\nexec '${real}' "$@"\n`, { mode: 0o755 });
});
afterAll(() => forge?.cleanup());

async function push(who: Clone): Promise<{ code: number; remote: string[]; calls: string[] }> {
  fs.rmSync(log, { force: true });
  const c = who.commitTree({ [`f${++n}.txt`]: `${n}\n` }, [], `c${n}`);
  const r = await who.pushAsync([`${c}:refs/heads/b${n}`], { PATH: `${bin}${path.delimiter}${process.env.PATH}` });
  const calls = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n') : [];
  return { code: r.code, remote: r.remote, calls };
}

const verifies = (calls: string[]) => calls.filter((c) => / --verify /.test(` ${c} `));
const signs = (calls: string[]) => calls.filter((c) => /(^| )-[a-z]*s[a-z]*u( |$)|--sign/.test(c));

test("init sets git's OpenPGP program to `true`", () => {
  expect(forge.server(['config', '--local', 'gpg.openpgp.program']).stdout).toBe(`${findExecutable('true', process.env.PATH)}\n`);
});

test('git runs no gpg on the certificate; the hook still accepts the owner and refuses mallory', async () => {
  const ok = await push(owner);
  expect(ok.code, ok.remote.join('\n')).toBe(0);
  expect(signs(ok.calls)).toHaveLength(1);
  expect(verifies(ok.calls)).toEqual([]);

  const refused = await push(mallory);
  expect(refused.code).not.toBe(0);
  const who = forge.user('mallory').id;
  expect(refused.remote[0]).toBe(`git-acl: push rejected for user ${who}; no ref was changed`);
  expect(refused.remote[1]).toMatch(new RegExp(`^git-acl: denied: no rule lets ${who} create-branch heads/b${n}; `));
  expect(verifies(refused.calls)).toEqual([]);
});

test('without the setting, git runs gpg --verify before the hook (what the setting saves)', async () => {
  forge.server(['config', '--local', '--unset', 'gpg.openpgp.program']);
  try {
    const r = await push(owner);
    expect(r.code, r.remote.join('\n')).toBe(0);
    expect(verifies(r.calls)).toHaveLength(1);
  } finally {
    forge.server(['config', '--local', 'gpg.openpgp.program', findExecutable('true', process.env.PATH)!]);
  }
});
