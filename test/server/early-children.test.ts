/**
 * The hook script and the code that takes its children must agree on what the children are (src/server/
 * early-children.ts): the script's `git config` is the command readHookConfig runs, its cat-file environment is
 * what storeEnv gives a store's children, and the outcome the script writes parses to what runCommand would give.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { hookConfigCommand } from '../../src/git/exec.js';
import { storeEnv } from '../../src/git/location.js';
import { childrenTag, parseScriptConfig, SCRIPT_CAT_FILE_ARGS, SCRIPT_CAT_FILE_ENV } from '../../src/server/early-children.js';
import { hookScript } from '../../src/server/hook-template.js';
import { REPO_ROOT } from '../support/forge.js';

const script = readFileSync(join(REPO_ROOT, 'hooks', 'pre-receive'), 'utf8');

/** Undoes the script's single quotes and backslash escapes of one sh word (enough for the words used there). */
function shWord(w: string): string {
  return w.startsWith("'") && w.endsWith("'") ? w.slice(1, -1) : w.replace(/\\(.)/g, '$1');
}

test("the script's git config is readHookConfig's command, word for word", () => {
  const line = /err=\$\(git (config .*?) 2>&1 >&3\)/.exec(script);
  expect(line).not.toBeNull();
  const words = line![1]!.split(' ').map(shWord);
  expect(words).toEqual(hookConfigCommand('.', {})[0]);
});

test("the script's cat-file: the arguments and environment the tag names, and what storeEnv gives a store's children", () => {
  const line = /\n\t*(unset GIT_EXTERNAL_DIFF)\n\t*((?:[A-Z_]+=\S+ )+)exec git (cat-file \S+)\n/.exec(script);
  expect(line).not.toBeNull();
  expect(line![3]!.split(' ')).toEqual([...SCRIPT_CAT_FILE_ARGS]);
  const set = Object.fromEntries(
    line![2]!
      .trim()
      .split(' ')
      .map((a) => a.split('=') as [string, string]),
  );
  expect({ ...set, GIT_EXTERNAL_DIFF: undefined }).toEqual(SCRIPT_CAT_FILE_ENV);
  // What a store adds to an environment that already names the repository and its objects, as git's does in a hook.
  const base = { GIT_DIR: '.', GIT_OBJECT_DIRECTORY: '/q', GIT_EXTERNAL_DIFF: 'x', HOME: '/h' };
  const added = storeEnv({ gitDir: '.', objectDirectory: '/q' }, base);
  const byScript: Record<string, string | undefined> = { ...base };
  for (const [k, v] of Object.entries(SCRIPT_CAT_FILE_ENV)) byScript[k] = v;
  expect(added).toEqual(byScript);
});

test('the installed script carries the tag of this code; the tag changes with the commands it names', () => {
  expect(hookScript('pre-receive')).toContain(`export GIT_ACL_HOOK_CHILDREN='${childrenTag()}':$fifo`);
  expect(childrenTag()).toMatch(/^[0-9a-f]{16}$/);
});

test("parseScriptConfig: the script's outcome, whole, or null", () => {
  const b = (s: string) => Buffer.from(s, 'latin1');
  expect(parseScriptConfig(b('acl.owner\nABC\0acl.x\n\0\0exit 0\n'))).toEqual({
    code: 0,
    signal: null,
    stdout: b('acl.owner\nABC\0acl.x\n\0'),
    stderr: '',
  });
  expect(parseScriptConfig(b('\0exit 1\n'))).toEqual({ code: 1, signal: null, stdout: b(''), stderr: '' });
  expect(parseScriptConfig(b('\0exit 128\nfatal: bad config line 1\n'))).toEqual({
    code: 128,
    signal: null,
    stdout: b(''),
    stderr: 'fatal: bad config line 1',
  });
  for (const cut of [
    '',
    'acl.owner\nABC',
    'acl.owner\nABC\0',
    'acl.owner\nABC\0exit 0\n',
    '\0exit 0',
    '\0exit x\n',
    '\0exit 0123\n',
    '\0exit 1000\n',
  ]) {
    expect(parseScriptConfig(b(cut)), JSON.stringify(cut)).toBeNull();
  }
});
