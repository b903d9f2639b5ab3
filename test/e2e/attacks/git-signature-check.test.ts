/**
 * Attacks on `git acl init` pointing git's own OpenPGP program at `true` (src/server/git-signature-check.ts).
 * git writes the certificate's payload to the program's stdin; `true` reads none of it. A certificate larger
 * than the pipe buffer (64 KiB) makes git's write fail with EPIPE (git ignores SIGPIPE there): the push must
 * still be accepted, with no line from git, and the certificate, the nonce check and `GIT_PUSH_CERT` unchanged
 * for the hooks; `GIT_PUSH_CERT_STATUS` becomes `N` (the documented change), seen here by a post-receive.local.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Forge, type Clone } from '../../support/forge.js';

let forge: Forge;
let owner: Clone;
let seen: string;

beforeAll(() => {
  forge = Forge.create();
  owner = forge.clone('owner');
  seen = path.join(forge.root, 'post-receive-env.txt');
  const local = path.join(forge.bare, 'hooks', 'post-receive.local');
  fs.writeFileSync(
    local,
    [
      '#!/bin/sh',
      `{ echo "status=$GIT_PUSH_CERT_STATUS nonce=$GIT_PUSH_CERT_NONCE_STATUS signer=$GIT_PUSH_CERT_SIGNER"`,
      `  git cat-file blob "$GIT_PUSH_CERT" | wc -c; } > '${seen}'`,
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
});
afterAll(() => forge?.cleanup());

test('a signed push of 1,500 refs (a certificate over 100 KB, more than the pipe holds) is accepted, git printing nothing new', async () => {
  const c = owner.commitTree({ 'a.txt': 'a\n' }, [], 'many');
  const refs = Array.from({ length: 1500 }, (_, i) => `refs/heads/many/branch-with-a-longer-name-${String(i).padStart(5, '0')}`);
  const r = await owner.pushAsync(refs.map((ref) => `${c}:${ref}`));
  expect(r.code, r.stderr).toBe(0);
  // Every line of stderr is git's progress, a remote line or the porcelain summary: none from git's check.
  const odd = r.stderr.split('\n').filter((l) => /^(error|fatal|warning|gpg)\b|^remote: (error|fatal|warning|gpg)\b/i.test(l));
  expect(odd).toEqual([]);
  expect(r.remote.filter((l) => !l.startsWith('git-acl: '))).toEqual([]);
  expect(forge.ref(refs[1499]!)).toBe(c);
  const [status, size] = fs.readFileSync(seen, 'utf8').trim().split('\n');
  expect(status).toBe('status=N nonce=OK signer=');
  expect(Number(size)).toBeGreaterThan(150_000);
  const cert = forge.certificates().find((x) => x.text.includes(refs[1499]!));
  expect(cert?.text.length).toBe(Number(size));
}, 240_000);
