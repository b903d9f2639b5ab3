/** examples/library/evaluate.mjs runs against the built dist/ and prints what docs/library.md says it does. */
import { beforeAll, expect, test } from 'vitest';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../support/env.js';

const ROOT = REPO_ROOT;
const A = 'A1'.repeat(20);

beforeAll(() => {
  // `npm test` builds first; a bare `npx vitest run test/core` may find no dist/.
  if (!fs.existsSync(path.join(ROOT, 'dist/core/index.js'))) execFileSync('npx', ['tsc', '-p', '.'], { cwd: ROOT, stdio: 'inherit' });
}, 120_000);

test('the library example prints one reason per operation', () => {
  const out = execFileSync(process.execPath, ['examples/library/evaluate.mjs'], { cwd: ROOT, encoding: 'utf8' });
  expect(out.split('\n')).toEqual([
    `allowed: ${A} may create-branch heads/${A}/topic by refs/users.conf:2 "anyone create,fast-forward,force,delete ^heads/$user_id/.*$"`,
    `denied: no rule lets ${A} force heads/main; nearest: refs/users.conf:2 "anyone create,fast-forward,force,delete ^heads/$user_id/.*$" (pattern does not match heads/main)`,
    `allowed: ${A} may modify docs/guide/intro.md on heads/main by branches/docs.conf:2 "anyone create-file,modify glob:docs/**/*.md"`,
    `denied: ${A} may not modify docs/LICENSE.md on heads/main: branches/docs.conf:3 "deny anyone modify ^docs/LICENSE\\.md$" forbids it (deny rules always win)`,
    '',
  ]);
});
