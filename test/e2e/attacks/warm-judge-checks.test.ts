/**
 * The warm judge (src/hook/warm.ts, start.ts judge()) under the things a push can meet while a judge holds it, through
 * real signed pushes: killed in the middle of a judgement, the time limit, what a judge that died leaves in
 * git-acl/warm/, which fds a waiting judge holds, many push options.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { remoteLines, run, type Clone, type Forge } from '../../support/forge.js';
import { forgeOnPrivateInstall } from '../../support/install.js';
import { wrapGit } from '../../support/git-wrapper.js';
import { warmDirOf, judgesIn, until, noJudges as noJudgesOf, judgeProcesses as judgeProcessesOf, alive } from '../../support/warm.js';
import { codeFiles, codeIdentity, identityHash } from '../../../src/server/warm-judge.js';

let forge: Forge;
let install: string;
let owner: Clone;
let n = 0;

beforeAll(() => {
  ({ forge, install } = forgeOnPrivateInstall());
  owner = forge.clone('owner');
});
afterAll(() => forge?.cleanup());

const warmDir = () => warmDirOf(forge.bare);
const judges = () => judgesIn(forge.bare);
const noJudges = () => noJudgesOf(forge.bare);
const judgeProcesses = () => judgeProcessesOf(forge.bare);

const setWarm = (v: string | null) =>
  forge.server(v === null ? ['config', '--unset', 'acl.warmSeconds'] : ['config', 'acl.warmSeconds', v]);
/** Every judge process of the forge's repository, waiting or still starting. */
async function freshJudge(): Promise<number> {
  await noJudges();
  const c = owner.commitTree({ [`w${++n}.txt`]: `${n}\n` }, [], `w${n}`);
  expect(owner.push(`${c}:refs/heads/w${n}`).code).toBe(0);
  await until('a judge', () => judges().length > 0);
  return judges()[0]!;
}

/** A git whose `git config` (the hook's first child) takes `seconds`, and which records the pid that ran it. */
function slowConfig(seconds: number) {
  const dir = fs.mkdtempSync(path.join(forge.root, 'slow-'));
  const log = path.join(dir, 'config-by');
  fs.writeFileSync(log, '');
  return { env: wrapGit(path.join(dir, 'exec'), `[ "$1" = config ] && { echo $PPID >> '${log}'; sleep ${seconds}; }`), log };
}

function pushAsync(ref: string, env: NodeJS.ProcessEnv, args: string[] = []) {
  const c = owner.commitTree({ [`p${++n}.txt`]: `${n}\n` }, [], `p${n}`);
  return { commit: c, done: owner.pushAsync([...args, `${c}:${ref}`], env) };
}

test('a judge killed (SIGKILL) in the middle of its judgement: the push is rejected, nothing changes, nothing hangs', async () => {
  setWarm(null);
  const judge = await freshJudge();
  const slow = slowConfig(30);
  const before = forge.refs();
  const p = pushAsync(`refs/heads/k${n}`, slow.env);
  await until('the judge to run git config', () => fs.readFileSync(slow.log, 'utf8').includes(String(judge)));
  process.kill(judge, 'SIGKILL');
  const r = await p.done;
  expect(r.code).not.toBe(0);
  expect(r.remote).toContain('git-acl: push rejected: the access check was killed');
  expect(forge.refs()).toEqual(before);
}, 90_000);

test('the time limit (GIT_ACL_TEST_HOOK_TIMEOUT_MS) holds in a judge, with the line a started hook gives', async () => {
  const slow = slowConfig(30);
  const env = { ...slow.env, GIT_ACL_TEST_HOOK_TIMEOUT_MS: '2000' };
  setWarm('0');
  await noJudges();
  const cold = await pushAsync(`refs/heads/t${n}`, env).done;
  setWarm(null);
  const judge = await freshJudge();
  const started = Date.now();
  const warm = await pushAsync(`refs/heads/t${n}`, env).done;
  expect(Date.now() - started).toBeLessThan(15_000);
  expect(fs.readFileSync(slow.log, 'utf8')).toContain(String(judge));
  expect(cold.code).not.toBe(0);
  expect(warm.code).not.toBe(0);
  expect(warm.remote).toEqual(cold.remote);
}, 90_000);

test('a waiting judge holds no fd of the push that started it (pipes, FIFOs, the push log)', async () => {
  setWarm(null);
  const judge = await freshJudge();
  const fds = fs.readdirSync(`/proc/${judge}/fd`).map((fd) => {
    try {
      return `${fd} -> ${fs.readlinkSync(`/proc/${judge}/fd/${fd}`)}`;
    } catch {
      return `${fd} -> ?`;
    }
  });
  // Node's own pipes have both ends in the process; what the test runner itself holds is inherited by everything.
  const mine = new Set(
    fs.readdirSync('/proc/self/fd').map((fd) => {
      try {
        return fs.readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        return '';
      }
    }),
  );
  const target = (l: string) => l.slice(l.indexOf('-> ') + 3);
  const count = (t: string) => fds.filter((l) => target(l) === t).length;
  const foreign = fds.filter((l) => {
    const t = target(l);
    if (mine.has(t)) return false;
    if (t.startsWith('pipe:')) return count(t) !== 2;
    return !/^(\/dev\/null|anon_inode:.*|\/dev\/urandom)$/.test(t) && !t.includes('/git-acl/warm/');
  });
  expect(foreign, fds.join('\n')).toEqual([]);
}, 60_000);

test('many and large push options: judged by the judge as by a started hook', async () => {
  forge.server(['config', 'receive.advertisePushOptions', 'true']);
  const opts = Array.from({ length: 200 }, (_, i) => ['-o', `opt${i}=${'x'.repeat(2000)}`]).flat();
  setWarm('0');
  await noJudges();
  const cold = await pushAsync(`refs/heads/o${n}`, {}, opts).done;
  setWarm(null);
  await freshJudge();
  const warm = await pushAsync(`refs/heads/o${n}`, {}, opts).done;
  expect(cold.code, cold.stderr).toBe(0);
  expect(warm.code, warm.stderr).toBe(0);
  expect(warm.remote).toEqual(cold.remote);
}, 90_000);

test('a judge that died while it waited leaves nothing behind once a push found it dead', async () => {
  setWarm(null);
  const judge = await freshJudge();
  process.kill(judge, 'SIGKILL');
  await until('the judge to end', () => !alive(judge));
  for (let i = 0; i < 2; i++) {
    const c = owner.commitTree({ [`d${++n}.txt`]: `${n}\n` }, [], `d${n}`);
    expect(owner.push(`${c}:refs/heads/d${n}`).code).toBe(0);
  }
  const left = fs.readdirSync(warmDir()).filter((f) => f.includes(`-${judge}.`));
  expect(left).toEqual([]);
}, 90_000);

test('pushes at once, signed and unsigned, while judges boot: each judged as the cold path would, none hangs, judges do not pile up', async () => {
  setWarm(null);
  await freshJudge();
  const unsigned = (ref: string) => {
    const c = owner.commitTree({ [`u${++n}.txt`]: `${n}\n` }, [], `u${n}`);
    return new Promise<number>((resolve) => {
      const r = run('git', ['push', '--porcelain', 'origin', `${c}:${ref}`], { cwd: owner.dir, env: forge.env });
      resolve(r.code);
    });
  };
  for (let round = 0; round < 3; round++) {
    const before = forge.refs();
    const good = [0, 1, 2].map(() => pushAsync(`refs/heads/c${n}-${round}`, {}));
    const bad = unsigned(`refs/heads/bad${n}-${round}`);
    const results = await Promise.all(good.map((g) => g.done));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    expect(await bad).not.toBe(0);
    const after = forge.refs();
    expect(Object.keys(after).filter((k) => k.includes('/bad'))).toEqual([]);
    expect(Object.keys(after).length).toBe(Object.keys(before).length + 3);
  }
  await new Promise((r) => setTimeout(r, 3000));
  const running = run('pgrep', ['-f', `judge ${forge.bare}`], {})
    .stdout.trim()
    .split('\n')
    .filter(Boolean);
  expect(running.length).toBeLessThanOrEqual(4);
  expect(judges().filter((p) => !alive(p))).toEqual([]);
}, 120_000);

test('a burst of pushes leaves at most one judge waiting per repository (not one per push)', async () => {
  setWarm(null);
  await noJudges();
  const burst = Array.from({ length: 6 }, (_, i) => pushAsync(`refs/heads/burst${n}-${i}`, {}));
  for (const r of await Promise.all(burst.map((b) => b.done))) expect(r.code, r.stderr).toBe(0);
  // Every push has started its successor by the time it returns: wait until the judges it started have booted and
  // all but one have ended, whatever the machine's load.
  await until('one judge, waiting', () => judgeProcesses().length === 1 && judges().filter(alive).length === 1, 30_000);
  const running = run('pgrep', ['-f', `judge ${forge.bare}`], {})
    .stdout.trim()
    .split('\n')
    .filter(Boolean);
  const rss = running.map((p) => /VmRSS:\s*(\d+)/.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'))?.[1]);
  expect(running.length, `judges waiting: ${running.length}, RSS kB: ${rss.join(' ')}`).toBeLessThanOrEqual(1);
}, 120_000);

test('a push whose commands are far more than a pipe holds (2,000 refs): the judge reads all of its stdin, as the cold path', async () => {
  const c = owner.commitTree({ [`m${++n}.txt`]: `${n}\n` }, [], `m${n}`);
  const specs = (tag: string) => Array.from({ length: 2000 }, (_, i) => `${c}:refs/heads/many-${tag}/${'x'.repeat(40)}-${i}`);
  const slow = slowConfig(0);
  const push = (tag: string) =>
    run('git', ['push', '--signed', '--porcelain', 'origin', ...specs(tag)], { cwd: owner.dir, env: { ...forge.env, ...slow.env } });
  setWarm('0');
  await noJudges();
  const cold = push('cold');
  setWarm(null);
  const waiting = [await freshJudge()];
  fs.writeFileSync(slow.log, '');
  const started = Date.now();
  const warm = push('warm');
  expect(fs.readFileSync(slow.log, 'utf8').trim().split('\n').map(Number)).toEqual(waiting);
  expect(Date.now() - started).toBeLessThan(60_000);
  expect(warm.code).toBe(cold.code);
  expect(remoteLines(warm.stderr).map((l) => l.replaceAll('warm', 'X'))).toEqual(
    remoteLines(cold.stderr).map((l) => l.replaceAll('cold', 'X')),
  );
  const refs = Object.keys(forge.refs());
  expect(refs.filter((r) => r.includes('many-warm/')).length).toBe(refs.filter((r) => r.includes('many-cold/')).length);
}, 180_000);

test('two judges started at once (pushes that ended together): one of them ends, the other waits and takes the next push', async () => {
  await noJudges();
  const start = path.join(install, 'dist/hook/start.cjs');
  const env = { ...forge.env }; // as the hook would start them: the pushes' locale and Node settings
  for (const k of Object.keys(env)) if (k.startsWith('GIT_') || k === 'NODE_EXTRA_CA_CERTS') delete env[k];
  const pids = [0, 1].map(
    () =>
      spawn(process.execPath, [start, 'judge', forge.bare, '60', identityHash(codeIdentity(codeFiles(path.dirname(start))))], {
        cwd: forge.bare,
        env,
        detached: true,
        stdio: 'ignore',
      }).pid!,
  );
  // Which one ends, and whether as it starts (another waits already) or while both wait (the later name), is the
  // race's to decide: either way one is left.
  await until('one judge left, waiting', () => pids.filter(alive).length === 1 && judges().includes(pids.find(alive)!), 20_000);
  expect(judges().filter(alive)).toHaveLength(1);
  // The one left takes the next push.
  const left = pids.find(alive)!;
  const slow = slowConfig(0);
  const r = await pushAsync(`refs/heads/two${n}`, slow.env).done;
  expect(r.code, r.stderr).toBe(0);
  expect(fs.readFileSync(slow.log, 'utf8').trim()).toBe(String(left));
}, 60_000);

test("a judge whose starter saw other code than the files now hold ends at once, and waits for no push (Node read start.cjs before the judge's first line)", async () => {
  await noJudges();
  const start = path.join(install, 'dist/hook/start.cjs');
  const env = { ...forge.env };
  for (const k of Object.keys(env)) if (k.startsWith('GIT_') || k === 'NODE_EXTRA_CA_CERTS') delete env[k];
  const wrong = identityHash(`${codeIdentity(codeFiles(path.dirname(start)))}\nreplaced since`);
  const judge = spawn(process.execPath, [start, 'judge', forge.bare, '60', wrong], { cwd: forge.bare, env, stdio: 'ignore' });
  const code = await new Promise((resolve) => judge.once('exit', resolve));
  expect(code).toBe(0);
  expect(judges()).toEqual([]);
});
