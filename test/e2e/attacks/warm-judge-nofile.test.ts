/**
 * A judge refuses a push whose script runs under other resource limits than its own (hook/warm.ts: /proc/<pid>/limits
 * compared). But Node raises its own soft limit of open files to the hard limit at start (node.cc, PlatformInit), so
 * a judge (a Node started by a Node) always has soft = hard, while the hook script (sh, started by git) has the soft
 * limit the server gave it: on any server where they differ (the usual 1024 soft under a higher hard limit), every
 * judge refused every push. Nothing is accepted wrongly, but every push then costs two Node starts (the refused
 * judge's and the script's own) instead of none, and the judges never serve. A hook Node the script starts raises its
 * limit the same way, so the soft limit of open files is no difference between the two.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { run, type Clone, type Forge } from '../../support/forge.js';
import { forgeOnPrivateInstall } from '../../support/install.js';
import { wrapGit } from '../../support/git-wrapper.js';
import { judgesIn, until } from '../../support/warm.js';

let forge: Forge;
let owner: Clone;
let n = 0;

beforeAll(() => {
  ({ forge } = forgeOnPrivateInstall());
  owner = forge.clone('owner');
});
afterAll(() => forge?.cleanup());

const judges = () => judgesIn(forge.bare);

/** `git push` run with a soft limit of 1024 open files (the hard limit unchanged); the pids that ran the hook's `git config`. */
function pushLowSoftLimit(): { code: number; stderr: string; configBy: number[] } {
  const dir = fs.mkdtempSync(path.join(forge.root, 'watch-'));
  const log = path.join(dir, 'config-by');
  fs.writeFileSync(log, '');
  const env = wrapGit(path.join(dir, 'exec'), `[ "$1" = config ] && echo $PPID >> '${log}'`);
  const c = owner.commitTree({ [`f${++n}.txt`]: `${n}\n` }, [], `c${n}`);
  const r = run('sh', ['-c', 'ulimit -Sn 1024 && exec "$@"', 'sh', 'git', 'push', '--signed', 'origin', `${c}:refs/heads/b${n}`], {
    cwd: owner.dir,
    env: { ...forge.env, ...env },
  });
  return { code: r.code, stderr: r.stderr, configBy: fs.readFileSync(log, 'utf8').split('\n').filter(Boolean).map(Number) };
}

test('with a soft limit of open files below the hard limit, the judge takes the push', async (ctx) => {
  const hard = run('sh', ['-c', 'ulimit -Hn'], {}).stdout.trim();
  if (hard !== 'unlimited' && Number(hard) <= 1024) return ctx.skip();
  expect(pushLowSoftLimit().code).toBe(0);
  await until('a judge', () => judges().length > 0);
  const judge = judges()[0]!;
  const r = pushLowSoftLimit();
  expect(r.code, r.stderr).toBe(0);
  expect(r.configBy).toEqual([judge]);
}, 60_000);
