/**
 * Red team, second round on the warm judge (src/hook/warm.ts, start.ts judge/answerAtExit, hooks/pre-receive), through
 * real signed pushes: what the pusher sees for several kinds of rejection (warm against cold), peers that answer the
 * script with garbage, and odd entries in git-acl/warm/ (directories, regular files, symbolic links out of it, names
 * with spaces and newlines, hundreds of dead judges' files).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { remoteLines, run, type Clone, type Forge } from '../../support/forge.js';
import { forgeOnPrivateInstall } from '../../support/install.js';
import { wrapGit } from '../../support/git-wrapper.js';
import { warmTag } from '../../../src/server/warm-judge.js';
import { POLICY } from './support.js';

let forge: Forge;
let install: string;
let owner: Clone;
let alice: Clone;
let mallory: Clone;
let n = 0;

beforeAll(() => {
  ({ forge, install } = forgeOnPrivateInstall({ users: ['alice', 'mallory'] }));
  // alice's key is on the policy branch (mallory's is not); alice may not change the policy.
  forge.setPolicy({ [`keys/${forge.user('mallory').id}.asc`]: null });
  owner = forge.clone('owner');
  alice = forge.clone('alice');
  mallory = forge.clone('mallory');
});
afterAll(() => forge?.cleanup());

const warmDir = () => path.join(forge.bare, 'git-acl', 'warm');
const tag = () => warmTag(path.join(install, 'dist/hook/start.cjs'), process.execPath);
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const judges = (): number[] =>
  (fs.existsSync(warmDir()) ? fs.readdirSync(warmDir()) : []).flatMap((f) => {
    const m = /^[0-9a-f]{16}-([0-9]+)\.rq$/.exec(f);
    return m && alive(Number(m[1])) ? [Number(m[1])] : [];
  });
async function until(what: string, ok: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
const setWarm = (v: string | null) =>
  forge.server(v === null ? ['config', '--unset', 'acl.warmSeconds'] : ['config', 'acl.warmSeconds', v]);
const judgeProcesses = (): number[] =>
  run('pgrep', ['-f', `start\\.cjs judge ${forge.bare} `], {})
    .stdout.split('\n')
    .filter(Boolean)
    .map(Number);
async function noJudges(): Promise<void> {
  await until('no judge', () => {
    const pids = judgeProcesses();
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    return pids.length === 0;
  });
  for (const f of fs.existsSync(warmDir()) ? fs.readdirSync(warmDir()) : []) fs.rmSync(path.join(warmDir(), f), { recursive: true });
}
async function freshJudge(): Promise<number> {
  await noJudges();
  setWarm(null);
  const c = owner.commitTree({ [`w${++n}.txt`]: `${n}\n` }, [], `w${n}`);
  expect(owner.push(`${c}:refs/heads/w${n}`).code).toBe(0);
  await until('a judge', () => judges().length > 0);
  return judges()[0]!;
}

/** A push (same commit and ref each time it is given), every server git command logged with its parent's pid. */
function pushLogged(by: Clone, args: string[]) {
  const dir = fs.mkdtempSync(path.join(forge.root, 'watch-'));
  const log = path.join(dir, 'commands');
  fs.writeFileSync(log, '');
  const env = wrapGit(path.join(dir, 'exec'), `printf '%s %s %s\\n' "$PPID" "$1" "$2" >> '${log}'`);
  const r = run('git', ['push', '--porcelain', ...args], { cwd: by.dir, env: { ...forge.env, ...env }, timeout: 60_000 });
  const configBy = fs
    .readFileSync(log, 'utf8')
    .split('\n')
    .filter((l) => l.endsWith(' config -z'))
    .map((l) => Number(l.split(' ')[0]));
  return { ...r, remote: remoteLines(r.stderr), configBy };
}

test("rejected pushes of four kinds: a judge gives the pusher exactly the cold path's lines, and nothing changes", async () => {
  const kinds: Array<[string, Clone, () => string[]]> = [
    ['unsigned', owner, () => ['origin', `${owner.commitTree({ 'u.txt': 'u\n' }, [], 'u')}:refs/heads/unsigned`]],
    ['unknown key', mallory, () => ['--signed', 'origin', `${mallory.commitTree({ 'm.txt': 'm\n' }, [], 'm')}:refs/heads/mallory`]],
    [
      'policy denial',
      alice,
      () => [
        '--signed',
        'origin',
        `${alice.commitTree(forge.policyFiles({ 'x.txt': 'x\n' }), [forge.ref(POLICY)!], 'by alice')}:${POLICY}`,
      ],
    ],
    [
      'broken policy push',
      owner,
      () => [
        '--signed',
        'origin',
        `${owner.commitTree(forge.policyFiles({ 'refs/bad.conf': 'this is not a rule\n' }), [forge.ref(POLICY)!], 'bad')}:${POLICY}`,
      ],
    ],
  ];
  for (const [kind, by, args] of kinds) {
    const a = args();
    await noJudges();
    setWarm('0');
    const before = forge.refs();
    const cold = pushLogged(by, a);
    expect(cold.code, kind).not.toBe(0);
    expect(forge.refs(), kind).toEqual(before);
    const judge = await freshJudge();
    const before2 = forge.refs();
    const warm = pushLogged(by, a);
    expect(warm.configBy, `${kind}: judged by the judge`).toEqual([judge]);
    expect(warm.code, kind).toBe(cold.code);
    expect(warm.remote, kind).toEqual(cold.remote);
    expect(forge.refs(), kind).toEqual(before2);
  }
}, 240_000);

/** A peer in git-acl/warm/ that speaks the protocol as `answer` says: `<bytes to write>` then `die` or `stay`. */
async function peer(answer: string, then: 'die' | 'stay') {
  const p = spawn(
    process.execPath,
    [
      '-e',
      `const fs = require('node:fs'); const { execFileSync } = require('node:child_process');
       const [dir, tag, answer, then] = process.argv.slice(1);
       const stem = dir + '/' + tag + '-' + process.pid;
       execFileSync('mkfifo', ['-m', '600', stem + '.st', stem + '.rq']);
       const st = fs.openSync(stem + '.st', 'r+'); const rq = fs.openSync(stem + '.rq', 'r+');
       process.stdout.write('ready\\n');
       const b = Buffer.alloc(100); fs.readSync(rq, b); fs.writeSync(st, JSON.parse(answer));
       if (then === 'die') process.exit(0); else setTimeout(() => process.exit(0), 4000);`,
      warmDir(),
      tag(),
      JSON.stringify(answer),
      then,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise((resolve) => p.stdout!.once('data', resolve));
  return p;
}

test('peers that answer garbage: a push the cold path refuses is never accepted, and nothing hangs', async () => {
  await noJudges();
  setWarm('0');
  const cases: Array<[string, 'die' | 'stay']> = [
    ['exit 0\n', 'die'],
    ['exit 0\n', 'stay'],
    ['taken\nexit 0 junk\n', 'stay'],
    ['taken\ntaken\n', 'stay'],
    ['taken\nexit 0', 'die'],
    ['taken\nexit 0', 'stay'],
    ['taken\nexit 00\n', 'stay'],
    ['taken\n\nexit 0\n', 'stay'],
    ['taken\r\nexit 0\r\n', 'stay'],
    ['tak', 'die'],
    ['taken \nexit 0\n', 'stay'],
    [' exit 0\n', 'stay'],
  ];
  for (const [answer, then] of cases) {
    const p = await peer(answer, then);
    const before = forge.refs();
    const c = mallory.commitTree({ [`g${++n}.txt`]: `${n}\n` }, [], `g${n}`);
    const started = Date.now();
    const r = pushLogged(mallory, ['--signed', 'origin', `${c}:refs/heads/g${n}`]);
    expect(r.code, JSON.stringify(answer) + r.stderr).not.toBe(0);
    expect(forge.refs(), JSON.stringify(answer)).toEqual(before);
    expect(Date.now() - started, JSON.stringify(answer)).toBeLessThan(30_000);
    p.kill('SIGKILL');
    await noJudges();
  }
}, 240_000);

test('odd entries in git-acl/warm/ (a directory, regular files, symbolic links out of it, spaces, newlines, 300 dead judges): pushes judged as cold, nothing outside removed', async () => {
  const judge = await freshJudge();
  const t = tag();
  const w = warmDir();
  const outside = fs.mkdtempSync(path.join(forge.root, 'outside-'));
  const mkfifo = (...files: string[]) => run('mkfifo', ['-m', '600', ...files], {});
  fs.mkdirSync(path.join(w, `${t}-11.rq`));
  fs.writeFileSync(path.join(w, `${t}-12.rq`), '');
  fs.writeFileSync(path.join(w, `${t}-12.st`), 'taken\nexit 0\n');
  mkfifo(path.join(w, `${t}-13.rq`));
  fs.writeFileSync(path.join(w, `${t}-13.st`), 'taken\nexit 0\n');
  mkfifo(path.join(outside, 'a.rq'), path.join(outside, 'a.st'));
  fs.writeFileSync(path.join(outside, 'keep'), 'keep\n');
  fs.symlinkSync(path.join(outside, 'a.rq'), path.join(w, `${t}-14.rq`));
  fs.symlinkSync(path.join(outside, 'a.st'), path.join(w, `${t}-14.st`));
  fs.symlinkSync(path.join(outside, 'keep'), path.join(w, `${t}-14.claim.x`));
  fs.symlinkSync(outside, path.join(w, `${t}-4190001.st`));
  mkfifo(path.join(w, `${t}-1 5.rq`), path.join(w, `${t}-1 5.st`));
  mkfifo(path.join(w, `${t}-\n16.rq`), path.join(w, `${t}-\n16.st`));
  mkfifo(path.join(w, `${t}-*.rq`), path.join(w, `${t}-*.st`));
  const dead = Array.from({ length: 300 }, (_, i) => 4_190_100 + i);
  mkfifo(...dead.flatMap((p) => [path.join(w, `${t}-${p}.rq`), path.join(w, `${t}-${p}.st`)]));
  // a dead judge's stale claim whose FIFOs are left too
  fs.writeFileSync(path.join(w, `${t}-4190002.claim`), '');
  mkfifo(path.join(w, `${t}-4190002.rq`), path.join(w, `${t}-4190002.st`));

  const before = forge.refs();
  const c = mallory.commitTree({ [`o${++n}.txt`]: `${n}\n` }, [], `o${n}`);
  const bad = pushLogged(mallory, ['--signed', 'origin', `${c}:refs/heads/o${n}`]);
  expect(bad.code).not.toBe(0);
  expect(forge.refs()).toEqual(before);
  expect(bad.remote.join('\n')).toMatch(/git-acl: push rejected/);

  const c2 = owner.commitTree({ [`o${++n}.txt`]: `${n}\n` }, [], `o${n}`);
  const good = pushLogged(owner, ['--signed', 'origin', `${c2}:refs/heads/o${n}`]);
  expect(good.code, good.stderr).toBe(0);
  expect(forge.ref(`refs/heads/o${n}`)).toBe(c2);

  // Nothing outside git-acl/warm/ went away, through a link or otherwise.
  for (const f of ['a.rq', 'a.st', 'keep']) expect(fs.existsSync(path.join(outside, f)), f).toBe(true);
  expect(fs.readFileSync(path.join(outside, 'keep'), 'utf8')).toBe('keep\n');
  // The judge that waited took one of them.
  expect([...bad.configBy, ...good.configBy]).toContain(judge);
}, 180_000);

test('a push from another mount namespace (other files behind the same paths) is not judged by a judge outside it', async (ctx) => {
  if (run('unshare', ['-m', 'true'], {}).code !== 0) return ctx.skip();
  const judge = await freshJudge();
  const dir = fs.mkdtempSync(path.join(forge.root, 'watch-'));
  const log = path.join(dir, 'commands');
  fs.writeFileSync(log, '');
  const env = wrapGit(path.join(dir, 'exec'), `printf '%s %s %s\\n' "$PPID" "$1" "$2" >> '${log}'`);
  const c = owner.commitTree({ [`ns${++n}.txt`]: `${n}\n` }, [], `ns${n}`);
  // The same paths, another mount namespace: what the judge would read through an absolute path (the push's
  // quarantine, the install) may be other files there.
  const r = run(
    'unshare',
    ['-m', '--propagation', 'private', 'git', 'push', '--signed', '--porcelain', 'origin', `${c}:refs/heads/ns${n}`],
    {
      cwd: owner.dir,
      env: { ...forge.env, ...env },
    },
  );
  expect(r.code, r.stderr).toBe(0);
  const configBy = fs
    .readFileSync(log, 'utf8')
    .split('\n')
    .filter((l) => l.endsWith(' config -z'))
    .map((l) => Number(l.split(' ')[0]));
  expect(configBy).toHaveLength(1);
  expect(configBy).not.toContain(judge);
}, 60_000);

/**
 * Runs the installed hook with one command on a stdin held open for 6 s, through real pipes (as git gives them: a
 * socket, which is what Node's own `pipe` stdio is, cannot be opened through /proc); its status, lines and how long
 * it took.
 */
function hookWithOpenStdin(extra: NodeJS.ProcessEnv = {}) {
  const dir = fs.mkdtempSync(path.join(forge.root, 'open-stdin-'));
  const r = run(
    'sh',
    [
      '-c',
      `start=$(date +%s%N); { (printf '%s\\n' "$CMD"; sleep 6) | { "$HOOK"; echo $? > "$D/status"; echo $(( ($(date +%s%N) - start) / 1000000 )) > "$D/ms"; }; } 2>&1 | cat`,
    ],
    {
      cwd: forge.bare,
      env: {
        ...forge.env,
        ...extra,
        GIT_DIR: '.',
        GIT_ACL_TEST_HOOK_TIMEOUT_MS: '1000',
        HOOK: path.join(forge.bare, 'hooks', 'pre-receive'),
        CMD: `${'0'.repeat(40)} ${'1'.repeat(40)} refs/heads/x`,
        D: dir,
      },
    },
  );
  return {
    code: Number(fs.readFileSync(path.join(dir, 'status'), 'utf8')),
    ms: Number(fs.readFileSync(path.join(dir, 'ms'), 'utf8')),
    stderr: r.stdout,
  };
}

test('a stdin never closed, handed to a judge: refused at the time limit with the cold line, no hang', async () => {
  await noJudges();
  const cold = hookWithOpenStdin();
  const judge = await freshJudge();
  const dir = fs.mkdtempSync(path.join(forge.root, 'watch-'));
  const log = path.join(dir, 'commands');
  fs.writeFileSync(log, '');
  const wrapped = wrapGit(path.join(dir, 'exec'), `printf '%s %s\\n' "$PPID" "$1" >> '${log}'`);
  // As receive-pack runs a hook: git's exec path first in PATH.
  const warm = hookWithOpenStdin({ ...wrapped, PATH: `${wrapped.GIT_EXEC_PATH}:${forge.env.PATH ?? process.env.PATH}` });
  expect(fs.readFileSync(log, 'utf8')).toContain(`${judge} config`);
  expect(warm.code).toBe(1);
  expect(warm.ms).toBeLessThan(5000);
  expect(warm.stderr).toBe(cold.stderr);
  expect(cold.stderr).toBe('git-acl: push rejected: the access check took longer than 1 s and was stopped\n');
}, 90_000);

test('a peer that says "taken", reads the push\'s commands and answers an empty line: the push is rejected, not handed to a started hook that finds no commands', async () => {
  await noJudges();
  setWarm('0');
  const p = spawn(
    process.execPath,
    [
      '-e',
      `const fs = require('node:fs'); const { execFileSync } = require('node:child_process');
       const [dir, tag] = process.argv.slice(1);
       const stem = dir + '/' + tag + '-' + process.pid;
       execFileSync('mkfifo', ['-m', '600', stem + '.st', stem + '.rq']);
       const st = fs.openSync(stem + '.st', 'r+'); const rq = fs.openSync(stem + '.rq', 'r+');
       process.stdout.write('ready\\n');
       const b = Buffer.alloc(100); const n = fs.readSync(rq, b);
       const pid = b.toString('latin1', 0, n).split(' ')[0];
       const stdin = fs.openSync('/proc/' + pid + '/fd/3', 'r'); const c = Buffer.alloc(65536);
       while (fs.readSync(stdin, c) > 0);
       fs.writeSync(st, 'taken\\n\\n'); setTimeout(() => process.exit(0), 3000);`,
      warmDir(),
      tag(),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise((resolve) => p.stdout!.once('data', resolve));
  const before = forge.refs();
  const c = mallory.commitTree({ [`e${++n}.txt`]: `${n}\n` }, [], `e${n}`);
  const r = pushLogged(mallory, ['--signed', 'origin', `${c}:refs/heads/e${n}`]);
  p.kill('SIGKILL');
  expect(forge.refs()).toEqual(before);
  expect(r.code).not.toBe(0);
  expect(r.remote).toContain('git-acl: push rejected: the access check was killed');
}, 60_000);

test('a judge whose .claim exists, as anything (a symbolic link to /dev/null, a FIFO), is not claimed again', async () => {
  // dash's and bash's noclobber (set -C) refuses only an existing regular file: any other file is opened, so a second
  // script could claim a judge another one holds, and both read its answers (one push judged on the other's data).
  for (const make of ['symlink', 'fifo'] as const) {
    const judge = await freshJudge();
    const claim = path.join(warmDir(), `${tag()}-${judge}.claim`);
    if (make === 'symlink') fs.symlinkSync('/dev/null', claim);
    else run('mkfifo', ['-m', '600', claim], {});
    // A FIFO .claim with a reader, so that a script opening it for writing does not wait for one.
    const holder = make === 'fifo' ? fs.openSync(claim, fs.constants.O_RDWR) : null;
    const c = owner.commitTree({ [`cl${++n}.txt`]: `${n}\n` }, [], `cl${n}`);
    const r = pushLogged(owner, ['--signed', 'origin', `${c}:refs/heads/cl${n}`]);
    if (holder !== null) fs.closeSync(holder);
    expect(r.code, r.stderr).toBe(0);
    expect(r.configBy, make).not.toContain(judge);
  }
}, 90_000);

test("SIGTERM, SIGHUP, SIGINT to a judge in the middle of a push it would accept: rejected with the hook's line, nothing changes", async () => {
  for (const signal of ['SIGTERM', 'SIGHUP', 'SIGINT'] as const) {
    const judge = await freshJudge();
    const dir = fs.mkdtempSync(path.join(forge.root, 'slow-'));
    const log = path.join(dir, 'config-by');
    fs.writeFileSync(log, '');
    const env = wrapGit(path.join(dir, 'exec'), `[ "$1" = config ] && { echo $PPID >> '${log}'; sleep 30; }`);
    const c = owner.commitTree({ [`s${++n}.txt`]: `${n}\n` }, [], `s${n}`);
    const before = forge.refs();
    const done = owner.pushAsync([`${c}:refs/heads/s${n}`], env);
    await until('the judge to run git config', () => fs.readFileSync(log, 'utf8').includes(String(judge)));
    process.kill(judge, signal);
    const r = await done;
    expect(r.code, signal).not.toBe(0);
    // Once main.ts runs, its handler's line; before (the judge starts git's children as it takes the push, before the
    // hook's code is loaded), the signal ends it and the script says it was killed. A rejection either way.
    expect(r.remote.join('\n'), signal).toMatch(
      new RegExp(`^git-acl: push rejected: the access check was (stopped \\(${signal}\\)|killed)$`),
    );
    expect(forge.refs(), signal).toEqual(before);
  }
}, 120_000);
