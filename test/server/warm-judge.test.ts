/**
 * The warm judge's pure parts (src/server/warm-judge.ts, src/hook/warm.ts sameStart): the setting, the environment a
 * judge takes from the script, when a push may not be judged by a judge that started with another environment, and
 * that the hook script clears what the code says it clears. The processes: test/e2e/warm-judge.test.ts.
 */
import { expect, test } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HOOK_CLEARED, judgeStartEnv, pushEnv, warmSeconds, WARM_SECONDS_DEFAULT } from '../../src/server/warm-judge.js';
import { sameStart } from '../../src/hook/warm.js';
import { REPO_ROOT } from '../support/forge.js';

test('acl.warmSeconds: default 60, 0 for none, capped at an hour, anything else the default', () => {
  expect(warmSeconds(undefined)).toBe(WARM_SECONDS_DEFAULT);
  expect(warmSeconds('0')).toBe(0);
  expect(warmSeconds('5')).toBe(5);
  expect(warmSeconds('99999')).toBe(3600);
  for (const bad of ['', '-1', '1.5', 'ten', '0x10', '07']) expect(warmSeconds(bad)).toBe(WARM_SECONDS_DEFAULT);
});

test("the push's environment: as git gave it to the script, changed as the script changes it for Node", () => {
  const environ = Buffer.from(
    ['GIT_DIR=.', 'A=b=c', 'NODE_EXTRA_CA_CERTS=/x', 'GIT_ACL_HOOK_CHILDREN=t:s', 'GIT_ACL_WARM=w', 'EMPTY=', 'noequals', ''].join('\0'),
  );
  expect(pushEnv(environ, 42)).toEqual({ GIT_DIR: '.', A: 'b=c', EMPTY: '', GIT_ACL_RECEIVE_PACK: '42', NODE_NO_WARNINGS: '1' });
});

test("a judge starts without the push's own variables, keeping the start path it was asked for", () => {
  expect(
    judgeStartEnv({
      PATH: '/bin',
      GIT_DIR: '.',
      GIT_QUARANTINE_PATH: '/q',
      GIT_ACL_HOOK_START: 'bundle',
      NODE_DEBUG: 'x',
      NODE_OPTIONS: '--a',
    }),
  ).toEqual({
    PATH: '/bin',
    GIT_ACL_HOOK_START: 'bundle',
    NODE_OPTIONS: '--a',
  });
});

test("a push whose Node settings, locale, time zone or start path differ from the judge's is not its to judge", () => {
  const own = { PATH: '/bin', NODE_OPTIONS: '--a', LANG: 'C.UTF-8' };
  expect(sameStart({ ...own, GIT_DIR: '.', PATH: '/other', NODE_NO_WARNINGS: '1' }, own)).toBe(true);
  for (const diff of [
    { NODE_OPTIONS: '--b' },
    { NODE_OPTIONS: undefined },
    { UV_THREADPOOL_SIZE: '1' },
    { LANG: 'tr_TR.UTF-8' },
    { LC_ALL: 'C' },
    { TZ: 'Asia/Tokyo' },
    { GIT_ACL_HOOK_START: 'plain' },
  ])
    expect(sameStart({ ...own, ...diff }, own), JSON.stringify(diff)).toBe(false);
});

test('the hook script clears, before Node, what HOOK_CLEARED says, and names the protocol in GIT_ACL_WARM', () => {
  const script = fs.readFileSync(path.join(REPO_ROOT, 'hooks/pre-receive'), 'utf8');
  const unset = /unset ((?:[A-Z0-9_]+[ \\\n\t]*)+)/
    .exec(script)![1]!
    .split(/[\s\\]+/)
    .filter(Boolean);
  expect(unset.filter((v) => !v.startsWith('GIT_ACL_')).sort()).toEqual([...HOOK_CLEARED].sort());
  expect(script).toContain('GIT_ACL_WARM=@WARM@');
  expect(script).toContain('"$warm"/@WARM@-*.rq');
});
