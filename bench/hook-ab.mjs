// Interleaved A/B of two git-acl installs on the same signed pushes: which start-up or judging change earns its
// keep, on a machine too busy for absolute figures. Each install gets a server (identical copies of one repository
// made by `git acl init --preset shared-directory`, alice registered, 2,200 files on main, with the hook scripts that
// install's own `git acl init` writes); every run pushes one new commit changing the first n of alice's files to
// both, in alternating order, and puts main back. Printed: medians of the push, of the hook process's wall time and CPU (an exit reporter
// loaded with NODE_OPTIONS=--require), and of the paired differences B - A.
//
//   node bench/hook-ab.mjs --a <install> [--b <install>] [--files 10,1000] [--runs 11] [--dir <reuse>]
//                          [--prof <dir>] [--children]
//
// An install is a directory holding package.json and a built dist/ (e.g. a copy of the worktree made with
// `git archive HEAD | tar -x -C <dir>`, then `cp -r dist <dir>` and a node_modules link). --prof writes a CPU
// profile of every hook process (inspector, 0.2 ms sampling) into <dir>; --children prints the git children of
// the last run with their start times (ms since the process started) and durations.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { benchEnv, notWarm } from './lib/env.mjs';
import { gpgKey } from './lib/gpg.mjs';
const args = process.argv.slice(2);
const opt = (k, d) => {
  const i = args.indexOf(k);
  return i >= 0 ? args[i + 1] : d;
};
const installs = { A: opt('--a'), B: opt('--b') };
if (!installs.B) delete installs.B;
if (!installs.A || Object.values(installs).some((d) => !fs.existsSync(path.join(d, 'dist/hook/start.cjs')))) {
  console.error('usage: node bench/hook-ab.mjs --a <install> [--b <install>] ...: each install needs a built dist/ (npm run build)');
  process.exit(2);
}
const SIZES = opt('--files', '10,1000').split(',').map(Number);
const RUNS = Number(opt('--runs', '11'));
const PROF = opt('--prof');
const KEEPDIR = opt('--dir');
const root = KEEPDIR ?? fs.mkdtempSync('/tmp/pab-');
fs.mkdirSync(root, { recursive: true });
const gnupg = path.join(root, 'g');
const fresh = !fs.existsSync(path.join(root, 'ready'));
const CHILDREN = args.includes('--children');
const profpre = path.join(root, 'profile.cjs');
if (fresh) {
  fs.mkdirSync(gnupg, { mode: 0o700 });
  fs.writeFileSync(path.join(gnupg, 'gpg-agent.conf'), 'allow-loopback-pinentry\n');
}
const env = benchEnv({ root, gnupgHome: gnupg, name: 'B', email: 'b@e.org' });
function run(cmd, a, o = {}) {
  const r = spawnSync(cmd, a, { cwd: o.cwd ?? root, env: o.env ?? env, input: o.input ?? '', maxBuffer: 1 << 30 });
  const out = { code: r.status, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
  if (o.check !== false && out.code !== 0) throw new Error(`${cmd} ${a.join(' ')}: ${out.stderr}${out.stdout}`);
  return out;
}
const now = () => Number(process.hrtime.bigint()) / 1e6;
const client = path.join(root, 'client');
const via = path.join(root, 'via.sh');
const reporter = path.join(root, 'rep.cjs');
const hookLog = path.join(root, 'hook.jsonl');
const pad = (n, w) => String(n).padStart(w, '0');
let keys;
const names = Object.keys(installs);
function makeCommit(ref, { parent, message, files }) {
  const parts = [
    `commit ${ref}\ncommitter B <b@e.org> 1767225600 +0000\ndata ${message.length}\n${message}\n`,
    parent ? `from ${parent}\n` : 'deleteall\n',
  ];
  for (const [p, c] of files) parts.push(`M 100644 inline ${p}\ndata ${Buffer.byteLength(c)}\n${c}\n`);
  parts.push('\n');
  run('git', ['fast-import', '--quiet', '--force'], { cwd: client, input: parts.join('') });
  return run('git', ['rev-parse', ref], { cwd: client }).stdout.trim();
}
const repo = (n) => path.join(root, `${n}.git`);
function push(remote, commit, ref, { as, extra } = {}) {
  const signing = as ? ['-c', `user.signingkey=${as}`] : [];
  const t = now();
  const r = run('git', [...signing, 'push', '--signed', '--porcelain', '--quiet', remote, `${commit}:${ref}`], {
    cwd: client,
    env: { ...env, ...extra },
    check: false,
  });
  const s = now() - t;
  if (r.code !== 0) throw new Error(`push ${remote}: ${r.stderr}`);
  return s;
}
if (fresh) {
  fs.writeFileSync(via, `#!/bin/sh\nexec $2 ${root}/$1.git\n`);
  fs.writeFileSync(
    reporter,
    `const { appendFileSync } = require('node:fs'); const { performance } = require('node:perf_hooks');
const cp = require('node:child_process'); const sp = cp.spawn; const kids = [];
cp.spawn = function (c, a, o) { const r = { c: [c, ...(a ?? [])].slice(0, 3).join(' '), t0: performance.now() }; kids.push(r); const ch = sp.call(this, c, a, o); ch.once('exit', () => { r.ms = performance.now() - r.t0; }); return ch; };
process.on('exit', (code) => { const t = globalThis[Symbol.for('git-acl.taken-at')]; if (process.argv[2] === 'judge' && t === undefined) return; const ru = process.resourceUsage(); appendFileSync(${JSON.stringify(hookLog)}, JSON.stringify({ code, wall: performance.now() - (t ?? 0), cpu: (ru.userCPUTime + ru.systemCPUTime) / 1000, rss: ru.maxRSS / 1024, kids }) + '\\n'); });\n`,
  );
  const owner = gpgKey(run, 'owner', 'owner@e.org');
  const alice = gpgKey(run, 'alice', 'alice@e.org');
  fs.writeFileSync(path.join(root, 'owner.asc'), owner.armored);
  run('git', ['init', '-q', '-b', 'main', client]);
  for (const [k, v] of [
    ['user.signingkey', alice.fpr],
    ['user.name', 'alice'],
    ['user.email', 'alice@e.org'],
    ['protocol.ext.allow', 'always'],
  ])
    run('git', ['config', k, v], { cwd: client });
  const first = names[0];
  run('git', ['init', '-q', '--bare', repo('srv')]);
  run(process.execPath, [
    path.join(installs[first], 'dist/cli/main.js'),
    'init',
    repo('srv'),
    '--owner-key',
    path.join(root, 'owner.asc'),
    '--preset',
    'shared-directory',
  ]);
  run('git', ['remote', 'add', 'srv', `ext::sh ${via} srv %S`], { cwd: client });
  run('git', ['fetch', '-q', 'srv', 'refs/heads/apps/access-control'], { cwd: client });
  const tip = run('git', ['rev-parse', 'FETCH_HEAD'], { cwd: client }).stdout.trim();
  const ienv = { ...env, GIT_INDEX_FILE: path.join(root, 'idx') };
  run('git', ['read-tree', tip], { cwd: client, env: ienv });
  const blob = run('git', ['hash-object', '-w', '--stdin'], { cwd: client, input: alice.armored }).stdout.trim();
  run('git', ['update-index', '--add', '--cacheinfo', `100644,${blob},keys/${alice.fpr}.asc`], { cwd: client, env: ienv });
  const tree = run('git', ['write-tree'], { cwd: client, env: ienv }).stdout.trim();
  const pc = run('git', ['commit-tree', tree, '-p', tip, '-m', 'reg'], { cwd: client }).stdout.trim();
  push('srv', pc, 'refs/heads/apps/access-control', { as: owner.fpr });
  const files = [];
  for (let d = 0; d < 100; d++)
    for (let f = 0; f < 20; f++) files.push([`shared/${alice.fpr}/d${pad(d, 3)}/f${pad(f, 3)}.txt`, `base ${d} ${f}\n`]);
  for (let i = 0; i < 200; i++) files.push([`shared/${owner.fpr}/o${i}.txt`, 'o\n']);
  const b = makeCommit('refs/heads/main', { message: 'base\n', files });
  push('srv', b, 'refs/heads/main', { as: owner.fpr });
  fs.writeFileSync(path.join(root, 'keys.json'), JSON.stringify({ owner: owner.fpr, alice: alice.fpr, base: b }));
  fs.writeFileSync(path.join(root, 'srv-install'), installs[first]);
  fs.writeFileSync(path.join(root, 'ready'), '');
}
keys = JSON.parse(fs.readFileSync(path.join(root, 'keys.json'), 'utf8'));
// One server per install: a copy of srv with the hooks of that install, as its own `git acl init` writes them (its
// hooks/ templates filled in by its hookScript), so that two builds whose hook scripts differ are compared whole.
// An install too old to have src/server/hook-template.js's hookScript gets srv's scripts with its path put in.
function hookText(install, h, f) {
  const template = path.join(install, 'dist/server/hook-template.js');
  if (fs.existsSync(template)) {
    const code = `import(${JSON.stringify(pathToFileURL(template).href)}).then((m) => process.stdout.write(m.hookScript(${JSON.stringify(h)}, process.execPath)))`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.startsWith('#!')) return r.stdout;
  }
  return fs.readFileSync(f, 'utf8').replaceAll(fs.readFileSync(path.join(root, 'srv-install'), 'utf8'), install);
}
for (const n of names) {
  const r = repo(n);
  fs.rmSync(r, { recursive: true, force: true });
  fs.cpSync(repo('srv'), r, { recursive: true, filter: notWarm });
  for (const h of ['pre-receive', 'post-receive']) {
    const f = path.join(r, 'hooks', h);
    fs.writeFileSync(f, hookText(installs[n], h, f), { mode: 0o755 });
  }
  fs.rmSync(path.join(r, 'git-acl', 'cache'), { recursive: true, force: true });
  run('git', ['remote', 'remove', n], { cwd: client, check: false });
  run('git', ['remote', 'add', n, `ext::sh ${via} ${n} %S`], { cwd: client });
}
const changeOrder = [];
for (let f = 0; f < 20; f++) for (let d = 0; d < 100; d++) changeOrder.push(`shared/${keys.alice}/d${pad(d, 3)}/f${pad(f, 3)}.txt`);
let tag = Date.now();
const med = (xs) => {
  const a = [...xs].sort((x, y) => x - y);
  const m = a.length >> 1;
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
};
fs.writeFileSync(
  profpre,
  `const inspector = require('node:inspector'); const fs = require('node:fs');
const s = new inspector.Session(); s.connect();
s.post('Profiler.enable'); s.post('Profiler.setSamplingInterval', { interval: 200 }); s.post('Profiler.start');
process.on('exit', () => s.post('Profiler.stop', (err, r) => { if (!err) fs.writeFileSync(\`\${process.env.PROFDIR}/\${process.pid}.cpuprofile\`, JSON.stringify(r.profile)); }));
`,
);
if (PROF) fs.mkdirSync(PROF, { recursive: true });
const extra = { NODE_OPTIONS: `--require=${reporter}${PROF ? ` --require=${profpre}` : ''}`, ...(PROF ? { PROFDIR: PROF } : {}) };
for (const n of SIZES) {
  const res = Object.fromEntries(names.map((x) => [x, { push: [], wall: [], cpu: [], rss: [] }]));
  for (let i = -2; i < RUNS; i++) {
    const c = makeCommit('refs/bench/c', {
      parent: keys.base,
      message: `c ${++tag}\n`,
      files: changeOrder.slice(0, n).map((p) => [p, `${tag} ${p}\n`]),
    });
    const order = i % 2 ? names : [...names].reverse();
    for (const x of order) {
      fs.rmSync(hookLog, { force: true });
      const s = push(x, c, 'refs/heads/main', { extra });
      const rep = fs
        .readFileSync(hookLog, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      if (CHILDREN && i === RUNS - 1) console.log(x, JSON.stringify(rep[0].kids));
      if (i >= 0) {
        res[x].push.push(s);
        res[x].wall.push(rep[0].wall);
        res[x].cpu.push(rep[0].cpu);
        res[x].rss.push(rep[0].rss);
      }
      run('git', ['--git-dir', repo(x), 'update-ref', 'refs/heads/main', keys.base]);
    }
  }
  for (const x of names)
    console.log(
      `${n} files ${x}: push ${med(res[x].push).toFixed(1)} hook wall ${med(res[x].wall).toFixed(1)} cpu ${med(res[x].cpu).toFixed(1)} rss ${Math.max(...res[x].rss).toFixed(0)}`,
    );
  if (names.length === 2)
    console.log(
      `${n} files B-A paired push diff median ${med(res.B.push.map((v, i) => v - res.A.push[i])).toFixed(1)} hookwall ${med(res.B.wall.map((v, i) => v - res.A.wall[i])).toFixed(1)} cpu ${med(res.B.cpu.map((v, i) => v - res.A.cpu[i])).toFixed(1)}`,
    );
}
if (KEEPDIR) console.log(`kept ${root} (pass --dir ${root} again to reuse its keys and servers)`);
else {
  spawnSync('gpgconf', ['--kill', 'all'], { env, stdio: 'ignore' });
  fs.rmSync(root, { recursive: true, force: true });
}
