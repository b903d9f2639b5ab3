/**
 * Red-team pass on d3d6305 (pre-receive asks cat-file for the certificate before the config, refs and policy are
 * read): the line a refusal gives must be the one it gave when the certificate was read after the policy. An
 * oversize certificate now stops the hook's cat-file (the one the hook script started) before the policy is read,
 * so here the policy is read from git each time (its cache removed): from a new cat-file, sizes first. Each
 * failure combined with a later one in the old order: the earlier one is named.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Forge, ZERO_OID } from '../../support/forge.js';

const POLICY = 'refs/heads/apps/access-control';
const MiB = 1024 * 1024;
const BIG_LINE =
  "git-acl: push rejected: the push certificate is 5,242,905 bytes, more than 4 MiB (git-acl's limit, see docs/security.md#bounds-on-what-the-hook-reads); push fewer refs at once\n";

let forge: Forge;
let big: string;
beforeAll(() => {
  forge = Forge.create({ presets: ['per-user-branches'] });
  big = forge.serverBlob(`certificate version 0.1\n${'x'.repeat(5 * MiB)}\n`);
});
afterAll(() => forge?.cleanup());

function hook(cert: string): { code: number; stderr: string } {
  fs.rmSync(path.join(forge.bare, 'git-acl', 'cache'), { recursive: true, force: true });
  const r = forge.runHook({ GIT_PUSH_CERT: cert, GIT_PUSH_CERT_NONCE_STATUS: 'OK' }, `${ZERO_OID} ${'1'.repeat(40)} refs/heads/x\n`);
  return { code: r.code, stderr: r.stderr };
}

test('an oversize certificate with the policy read from git: the certificate is named', () => {
  expect(hook(big)).toEqual({ code: 1, stderr: BIG_LINE });
  expect(hook(big)).toEqual({ code: 1, stderr: BIG_LINE }); // and again, the hook's cat-file stopped as before
});

test('an oversize certificate and a broken acl.owner: the owner is named', () => {
  const owner = forge.server(['config', 'acl.owner']).stdout.trim();
  forge.server(['config', 'acl.owner', 'not-a-key']);
  try {
    expect(hook(big)).toEqual({
      code: 1,
      stderr: 'git-acl: push rejected: acl.owner is not a key fingerprint (40 upper-case hex): "not-a-key"\n',
    });
  } finally {
    forge.server(['config', 'acl.owner', owner]);
  }
});

test('an oversize or missing certificate and no policy branch: the policy branch is named', () => {
  const tip = forge.ref(POLICY)!;
  forge.server(['update-ref', '-d', POLICY]);
  try {
    const line = `git-acl: push rejected: the server has no policy branch ${POLICY}; run \`git acl init\`\n`;
    expect(hook(big)).toEqual({ code: 1, stderr: line });
    expect(hook('e'.repeat(40))).toEqual({ code: 1, stderr: line });
  } finally {
    forge.server(['update-ref', POLICY, tip]);
  }
});

test('a certificate object that is missing, the policy read from git: the certificate is named', () => {
  const r = hook('e'.repeat(40));
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(
    /^git-acl: push rejected: git stored this push's certificate as e{40} but it cannot be read: .*; the server admin must check the repository\n$/,
  );
});
