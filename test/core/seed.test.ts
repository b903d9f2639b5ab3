/**
 * The example policies of the seed post ("Building a git forge using git
 * apps"), verbatim in test/fixtures/policies/seed/, and corrected in
 * seed-corrected/.
 */
import { describe, expect, test } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { compilePolicy, evaluate, formatDiagnostic, lintPolicy, parsePolicy } from '../../src/core/index.js';
import type { PolicyFile } from '../../src/core/index.js';
import { ALICE, BOB, CAROL, OWNER, actor, ref, tree } from './helpers.js';

const FIXTURES = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../fixtures/policies');

function readDir(dir: string, base = dir): PolicyFile[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory()
      ? readDir(full, base)
      : [{ path: path.relative(base, full).split(path.sep).join('/'), content: fs.readFileSync(full, 'utf8') }];
  });
}

describe('the post, verbatim', () => {
  test('every problem is found, at its place', () => {
    expect(lintPolicy(readDir(path.join(FIXTURES, 'seed'))).map(formatDiagnostic)).toEqual([
      "branches/merge-reqs.conf:27:1: error: undefined group 'maintainers' (no file groups/maintainers.conf)",
      "branches/merge-reqs.conf:28:1: error: undefined group 'maintainers' (no file groups/maintainers.conf)",
      "branches/merge-reqs.conf:30:1: error: undefined group 'maintainers' (no file groups/maintainers.conf)",
      "refs/merge-reqs.conf:2:8: error: 'modify' is a tree operation (branches/*.conf); for refs use fast-forward or force",
      "refs/merge-reqs.conf:2:15: warning: '^apps/merge-reqs/data$' matches no branch or tag: ref names are matched as heads/<branch> or tags/<tag> (did you mean '^heads/apps/merge-reqs/data$'?)",
      "refs/merge-reqs.conf:5:19: warning: '^apps/merge-reqs/$user_id/[0-9]+-v[0-9]+$' matches no branch or tag: ref names are matched as heads/<branch> or tags/<tag> (did you mean '^tags/apps/merge-reqs/$user_id/[0-9]+-v[0-9]+$'?)",
      "refs/owner.conf:1:32: error: unknown operation 'fast-foward'; did you mean 'fast-forward'?",
    ]);
  });

  test('the first post example policies are fine on their own', () => {
    const lines = [
      ['refs/a.conf', 'anyone create,fast-forward ^heads/foo$'],
      ['refs/b.conf', 'anyone create-branch,fast-forward,force,delete ^heads/$user_id/.*$'],
      ['branches/a.conf', 'anyone create-file ^shared-dir/.*$'],
      ['branches/b.conf', 'anyone create-file,modify,delete-file ^$user_id/.*$'],
    ];
    expect(lintPolicy(lines.map(([p, c]) => ({ path: p!, content: `${c}\n` })))).toEqual([]);
  });
});

describe('the post, corrected', () => {
  const files = readDir(path.join(FIXTURES, 'seed-corrected'));
  const compiled = compilePolicy(parsePolicy(files));
  const DATA = 'refs/heads/apps/merge-reqs/data';
  const MAINTAINER = ALICE;

  test('lints clean', () => {
    expect(lintPolicy(files).map(formatDiagnostic)).toEqual([]);
  });

  test('the owner may do anything; others nothing outside the app', () => {
    const ops = [ref('force', 'heads/main'), ref('delete', 'tags/v1'), tree('delete-file', 'README'), tree('modify', 'src/x.c', DATA)];
    expect(evaluate(compiled, actor(OWNER), ops).map((d) => d.allowed)).toEqual([true, true, true, true]);
    expect(evaluate(compiled, actor(BOB), ops).map((d) => d.allowed)).toEqual([false, false, false, false]);
  });

  test('a user opens, titles, labels and comments on a merge request', () => {
    const ops = [
      ref('fast-forward', DATA),
      ref('force', DATA),
      ref('create-tag', `tags/apps/merge-reqs/${BOB}/1-v1`),
      ref('create-tag', `tags/apps/merge-reqs/${CAROL}/1-v1`),
      tree('create-directory', `merge-reqs/${BOB}/1`, DATA),
      tree('create-file', `merge-reqs/${BOB}/1/title`, DATA),
      tree('create-file', `merge-reqs/${BOB}/1/title`, 'refs/heads/main'),
      tree('modify', `merge-reqs/${CAROL}/1/title`, DATA),
      tree('create-directory', `merge-reqs/${BOB}/1/labels`, DATA),
      tree('create-symlink', `merge-reqs/${BOB}/1/labels/needs-review`, DATA),
      tree('delete-symlink', `merge-reqs/${BOB}/1/labels/needs-review`, DATA),
      tree('create-symlink', `labels/needs-review/${BOB}/1`, DATA),
      tree('create-directory', 'labels/needs-review', DATA),
      tree('create-directory', `merge-reqs/${CAROL}/7/comments/${BOB}`, DATA),
      tree('create-file', `merge-reqs/${CAROL}/7/comments/${BOB}/1670000000`, DATA),
      tree('modify', `merge-reqs/${CAROL}/7/comments/${CAROL}/1670000000`, DATA),
    ];
    expect(evaluate(compiled, actor(BOB), ops).map((d) => d.allowed)).toEqual([
      true,
      false,
      true,
      false,
      true,
      true,
      false,
      false,
      true,
      true,
      true,
      true,
      false,
      true,
      true,
      false,
    ]);
  });

  test('maintainers relabel anyone’s merge request', () => {
    const ops = [
      tree('create-symlink', `merge-reqs/${BOB}/1/labels/merged`, DATA),
      tree('delete-symlink', `labels/needs-review/${BOB}/1`, DATA),
      tree('create-directory', 'labels/merged', DATA),
      tree('modify', `merge-reqs/${BOB}/1/title`, DATA),
    ];
    expect(evaluate(compiled, actor(MAINTAINER), ops).map((d) => d.allowed)).toEqual([true, true, true, false]);
    const [d] = evaluate(compiled, actor(MAINTAINER), [ops[3]!]);
    expect(d!.reason).toBe(
      `denied: no rule lets ${MAINTAINER} modify merge-reqs/${BOB}/1/title on heads/apps/merge-reqs/data; nearest: branches/merge-reqs.conf:8 "anyone create-file,modify ^merge-reqs/$user_id/[0-9]+/title$" (pattern does not match merge-reqs/${BOB}/1/title)`,
    );
  });
});
