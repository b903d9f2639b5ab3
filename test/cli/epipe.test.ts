/**
 * `git acl ... | head -1`: the reader closes the pipe before the command has
 * printed everything. Every command must then end quietly, without a stack
 * trace, and still finish its work (init's report comes after its changes).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { CLI, Forge } from '../support/forge.js';

let forge: Forge;
let keyFile: string;

beforeAll(() => {
  forge = new Forge();
  forge.owner = forge.addUser('owner');
  keyFile = path.join(forge.root, 'owner.asc');
  fs.writeFileSync(keyFile, forge.owner.key.publicArmored);
});
afterAll(() => forge?.cleanup());

/** Runs the binary with a stdout pipe whose reading end is closed at once, as `| head -0` would; returns stderr and the exit status. */
function withClosedStdout(args: string[], cwd = forge.root): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: forge.env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

test('init with a closed stdout: no stack trace, and the repository is set up all the same', async () => {
  const repo = path.join(forge.root, 'server.git');
  forge.sh('git', ['init', '-q', '--bare', repo]);
  const r = await withClosedStdout(['init', repo, '--owner-key', keyFile, '--preset', 'per-user-branches']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(forge.sh('git', ['--git-dir', repo, 'config', 'acl.owner']).trim()).toBe(forge.owner.id);
  expect(forge.sh('git', ['--git-dir', repo, 'rev-parse', '--verify', '--quiet', 'refs/heads/apps/push-log']).trim()).toMatch(
    /^[0-9a-f]{40}$/,
  );
});

test.each([
  [['-h']],
  [['help', 'check']],
  [['version']],
  [['init', '--list-presets']],
  [['lint', path.join('policies', 'default')]],
  [
    [
      'check',
      '--user',
      'F'.repeat(40),
      '--policy',
      path.join('policies', 'default'),
      '--owner',
      'E'.repeat(40),
      'fast-forward',
      'heads/main',
      '--json',
    ],
  ],
])('git acl %j with a closed stdout ends without a stack trace', async (args) => {
  const r = await withClosedStdout(args, path.resolve(CLI, '../../..'));
  expect(r.stderr).not.toMatch(/EPIPE|at .*\.js:\d+|Error/);
  expect(r.stderr).toBe('');
  // The exit status is the command's own: check denies (1), the others succeed.
  expect(r.code).toBe(args[0] === 'check' ? 1 : 0);
});
