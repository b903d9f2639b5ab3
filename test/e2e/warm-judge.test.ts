/**
 * The warm judge (src/server/warm-judge.ts, src/hook/warm.ts): a hook process that the previous push started and that
 * waits in git-acl/warm/ for the next one. Through real signed pushes: the next push is judged by it (its git
 * children are the judge's) with the lines a started hook gives; one that cannot be the hook the script would start
 * (other code on disk, other Node settings) or that is gone leaves the push to the script, which starts the hook
 * itself; one that takes the push and ends without a status rejects it; acl.warmSeconds bounds the wait and 0 turns
 * judges off; a judge whose repository is removed ends.
 */
import { afterAll, beforeAll, beforeEach, expect, test } from 'vitest';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Forge, remoteLines, run, type Clone } from '../support/forge.js';
import { forgeOnPrivateInstall } from '../support/install.js';
import { wrapGit } from '../support/git-wrapper.js';
import { warmTag } from '../../src/server/warm-judge.js';
import { warmDirOf, judgesIn, until, noJudges as noJudgesOf, judgeProcesses as judgeProcessesOf, alive } from '../support/warm.js';

let forge: Forge;
let install: string;
let owner: Clone;
let mallory: Clone;
let n = 0;

beforeAll(() => {
  // mallory's key is not on the policy branch: her pushes are refused.
  ({ forge, install } = forgeOnPrivateInstall({ users: ['mallory'] }));
  owner = forge.clone('owner');
  mallory = forge.clone('mallory');
});
afterAll(() => forge?.cleanup());

const warmDir = () => warmDirOf(forge.bare);
const judges = () => judgesIn(forge.bare);
const noJudges = () => noJudgesOf(forge.bare);
const judgeProcesses = () => judgeProcessesOf(forge.bare);

beforeEach(() => setWarm(null));

async function oneJudge(): Promise<number> {
  await until('a waiting judge', () => judges().length > 0);
  return judges()[0]!;
}

/**
 * Pushes a new branch as `by`, every git command the server runs logged with the pid of the process that started it
 * (`<parent pid> <first two arguments>`); `configBy`: who ran the hook's `git config`.
 */
function pushWatched(extra: NodeJS.ProcessEnv = {}, by: Clone = owner) {
  const dir = fs.mkdtempSync(path.join(forge.root, 'watch-'));
  const log = path.join(dir, 'commands');
  fs.writeFileSync(log, '');
  const env = wrapGit(path.join(dir, 'exec'), `printf '%s %s %s\\n' "$PPID" "$1" "$2" >> '${log}'`);
  const c = by.commitTree({ [`f${++n}.txt`]: `${n}\n` }, [], `c${n}`);
  const ref = `refs/heads/b${n}`;
  const r = run('git', ['push', '--signed', '--porcelain', 'origin', `${c}:${ref}`], {
    cwd: by.dir,
    env: { ...forge.env, ...env, ...extra },
  });
  const commands = fs.readFileSync(log, 'utf8').split('\n').filter(Boolean);
  const configBy = commands.filter((l) => l.endsWith(' config -z')).map((l) => Number(l.split(' ')[0]));
  return { ...r, ref, commit: c, configBy };
}

const setWarm = (v: string | null) =>
  forge.server(v === null ? ['config', '--unset', 'acl.warmSeconds'] : ['config', 'acl.warmSeconds', v]);

test('the push after a push is judged by the judge the first one started, and accepted as a started hook accepts it', async () => {
  const first = pushWatched();
  expect(first.code, first.stderr).toBe(0);
  const judge = await oneJudge();
  const second = pushWatched();
  expect(second.code, second.stderr).toBe(0);
  expect(forge.ref(second.ref)).toBe(second.commit);
  // The judge ran git config: it judged this push, and ended.
  expect(second.configBy).toEqual([judge]);
  await until('the judge to end', () => !alive(judge));
  // It started the next one.
  const next = await oneJudge();
  expect(next).not.toBe(judge);
});

test('a rejected push: the judge gives exactly the lines a started hook gives', async () => {
  setWarm('0');
  await noJudges();
  const cold = pushWatched({}, mallory);
  expect(cold.code).not.toBe(0);
  expect(cold.configBy).toHaveLength(1);
  setWarm(null);
  expect(pushWatched().code).toBe(0); // started by the script; starts a judge
  const judge = await oneJudge();
  const warm = pushWatched({}, mallory);
  expect(warm.configBy).toEqual([judge]);
  expect(warm.code).toBe(cold.code);
  expect(forge.ref(warm.ref)).toBeNull();
  expect(remoteLines(warm.stderr)).toEqual(remoteLines(cold.stderr));
  expect(remoteLines(warm.stderr).join('\n')).toMatch(/git-acl: push rejected/);
});

test('a judge of other code than the install holds now refuses the push: the script starts the hook, which accepts it', async () => {
  const judge = await oneJudge();
  // Any rebuild or reinstall changes a file's identity; the bytes are the same here, the file is not.
  const bundle = path.join(install, 'dist/hook/bundle.cjs');
  fs.copyFileSync(bundle, `${bundle}.new`);
  fs.renameSync(`${bundle}.new`, bundle);
  const r = pushWatched();
  expect(r.code, r.stderr).toBe(0);
  expect(forge.ref(r.ref)).toBe(r.commit);
  expect(r.configBy).toHaveLength(1);
  expect(r.configBy[0]).not.toBe(judge);
  await until('the stale judge to end', () => !alive(judge));
});

test("a push that asks for other Node settings or another start path is the script's to start", async () => {
  for (const extra of [{ NODE_OPTIONS: '--max-old-space-size=1024' }, { GIT_ACL_HOOK_START: 'bundle' }]) {
    await noJudges();
    expect(pushWatched().code).toBe(0); // started by the script, with the default settings: starts a judge
    const judge = await oneJudge();
    const r = pushWatched(extra);
    expect(r.code, r.stderr).toBe(0);
    expect(forge.ref(r.ref)).toBe(r.commit);
    expect(r.configBy).toHaveLength(1);
    expect(r.configBy).not.toContain(judge);
    await until('the judge to end', () => !alive(judge));
  }
  await noJudges();
  expect(pushWatched().code).toBe(0);
});

test('a judge killed while it waits: the script starts the hook, which accepts the push', async () => {
  const judge = await oneJudge();
  process.kill(judge, 'SIGKILL');
  await until('the judge to end', () => !alive(judge));
  expect(judges()).toContain(judge); // its FIFOs are left behind: the script must see that nobody holds them
  const r = pushWatched();
  expect(r.code, r.stderr).toBe(0);
  expect(forge.ref(r.ref)).toBe(r.commit);
  expect(r.configBy).not.toContain(judge);
});

test('a judge that takes the push and ends without a status: the push is rejected, nothing changes', async () => {
  await noJudges();
  setWarm('0');
  // A peer that speaks the protocol's first half only: says "taken", then ends.
  const peer = spawn(
    process.execPath,
    [
      '-e',
      `const fs = require('node:fs'); const { execFileSync } = require('node:child_process');
       const stem = process.argv[1] + '/' + process.argv[2] + '-' + process.pid;
       execFileSync('mkfifo', ['-m', '600', stem + '.st', stem + '.rq']);
       const st = fs.openSync(stem + '.st', 'r+'); const rq = fs.openSync(stem + '.rq', 'r+');
       process.stdout.write('ready\\n');
       const b = Buffer.alloc(100); fs.readSync(rq, b); fs.writeSync(st, 'taken\\n'); process.exit(0);`,
      warmDir(),
      warmTag(path.join(install, 'dist/hook/start.cjs'), process.execPath),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise((resolve) => peer.stdout.once('data', resolve));
  const before = forge.refs();
  const r = pushWatched();
  expect(r.code).not.toBe(0);
  expect(remoteLines(r.stderr)).toContain('git-acl: push rejected: the access check was killed');
  expect(forge.refs()).toEqual(before);
});

test('acl.warmSeconds = 0 starts no judge; a judge nobody takes ends after acl.warmSeconds and leaves nothing', async () => {
  setWarm('0');
  await noJudges();
  expect(pushWatched().code).toBe(0);
  // The hook starts the next judge before it ends, so by now one would be running.
  expect(judgeProcesses()).toEqual([]);
  setWarm('1');
  expect(pushWatched().code).toBe(0);
  const judge = await oneJudge();
  await until('the judge to end by itself', () => !alive(judge));
  expect(fs.readdirSync(warmDir())).toEqual([]);
});

test('two pushes at once are both judged, each by a judge or by a started hook', async () => {
  expect(pushWatched().code).toBe(0);
  await oneJudge();
  const a = owner.commitTree({ 'x.txt': 'x\n' }, [], 'x');
  const b = owner.commitTree({ 'y.txt': 'y\n' }, [], 'y');
  const [ra, rb] = await Promise.all([owner.pushAsync([`${a}:refs/heads/x`]), owner.pushAsync([`${b}:refs/heads/y`])]);
  expect(ra.code, ra.stderr).toBe(0);
  expect(rb.code, rb.stderr).toBe(0);
  expect(forge.ref('refs/heads/x')).toBe(a);
  expect(forge.ref('refs/heads/y')).toBe(b);
});

test('a judge whose repository is removed ends', async () => {
  const other = Forge.create({ users: [] });
  try {
    const clone = other.clone('owner');
    const c = clone.commitTree({ 'a.txt': 'a\n' }, [], 'a');
    expect(run('git', ['push', '--signed', 'origin', `${c}:refs/heads/a`], { cwd: clone.dir, env: other.env }).code).toBe(0);
    const dir = path.join(other.bare, 'git-acl', 'warm');
    await until('a judge', () => fs.existsSync(dir) && fs.readdirSync(dir).some((f) => f.endsWith('.rq')));
    const pid = Number(/-([0-9]+)\.rq$/.exec(fs.readdirSync(dir).find((f) => f.endsWith('.rq'))!)![1]);
    fs.rmSync(other.bare, { recursive: true, force: true });
    await until('the judge to end', () => !alive(pid));
  } finally {
    other.cleanup();
  }
});
