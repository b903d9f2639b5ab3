/** `npm run demo` works: real keys, real signed pushes, each judged as the story expects. */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { expect, test } from 'vitest';
import { REPO_ROOT } from '../support/forge.js';

test('the demo plays its story and exits 0', () => {
  const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'dist/demo/main.js')], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    timeout: 120_000,
  });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toContain('Done: 6 pushes accepted, 6 rejected, each as the policy says.');
  expect(r.stdout).not.toContain('UNEXPECTED');
  // The users see why: unknown key, impersonation, another's namespace, sticky directory, policy tampering, unsigned.
  expect(r.stdout).toMatch(
    /remote: git-acl: push rejected: push certificate is signed by key [0-9A-F]{40} .*which no key file of the policy branch holds/,
  );
  expect(r.stdout).toMatch(
    /remote: git-acl: push rejected: keys\/([0-9A-F]{40})\.asc: holds the key ([0-9A-F]{40}), so it must be named \2\.asc/,
  );
  expect(r.stdout).toMatch(/remote: git-acl: denied: no rule lets [0-9A-F]{40} create-branch heads\/[0-9A-F]{40}\/from-bob; /);
  expect(r.stdout).toMatch(/remote: git-acl: denied: no rule lets [0-9A-F]{40} modify shared\/[0-9A-F]{40}\/notes\.txt on heads\/main; /);
  expect(r.stdout).toMatch(
    /remote: git-acl: denied: no rule lets [0-9A-F]{40} create-file refs\/bob\.conf on heads\/apps\/access-control; /,
  );
  expect(r.stdout).toContain('remote: git-acl: push rejected: unsigned push: this server accepts only signed pushes');
}, 180_000);
