// Judge a few operations against a small policy with the git-acl core library.
// In a checkout of git-acl, run `npm run build` first (it builds dist/); then: node examples/library/evaluate.mjs
// ('git-acl/core' is this package itself, as it is for any project that installed it).
import { compilePolicy, evaluate, formatDiagnostic, lintPolicy, parsePolicy } from 'git-acl/core';

const OWNER = 'F'.repeat(40);
const ALICE = 'A1'.repeat(20);

// The files of the policy branch (refs/heads/apps/access-control), as path + content.
const files = [
  { path: 'refs/owner.conf', content: 'owner create-branch,create-tag,fast-forward,force,delete ^.*$\n' },
  { path: 'refs/users.conf', content: '# everyone has a namespace of their own\nanyone create,fast-forward,force,delete ^heads/$user_id/.*$\n' },
  { path: 'branches/docs.conf', content: 'branch ^heads/main$\nanyone create-file,modify glob:docs/**/*.md\ndeny anyone modify ^docs/LICENSE\\.md$\n' },
];

const problems = lintPolicy(files);
for (const d of problems) console.log(formatDiagnostic(d));
if (problems.some((d) => d.severity === 'error')) process.exit(1);

const compiled = compilePolicy(parsePolicy(files));
const decisions = evaluate(compiled, { userId: ALICE, ownerId: OWNER }, [
  { type: 'ref', op: 'create-branch', ref: `refs/heads/${ALICE}/topic` },
  { type: 'ref', op: 'force', ref: 'refs/heads/main' },
  { type: 'tree', op: 'modify', branch: 'refs/heads/main', path: 'docs/guide/intro.md' },
  { type: 'tree', op: 'modify', branch: 'refs/heads/main', path: 'docs/LICENSE.md' },
]);
for (const d of decisions) console.log(d.reason);
