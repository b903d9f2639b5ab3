// What git-acl adds to a real signed push, side by side with gitolite3 in the same run, and what its hook
// process costs. `npm run bench:push` builds first. Options:
//   --quick         fewer runs (a CI-sized smoke test; the numbers are not the report's)
//   --keep          keep the temp directory (path printed)
//   --no-phases     skip the phase breakdown and the CPU profiles
//   --no-gitolite   git-acl and plain git only (gitolite3 is installed with apt-get when missing)
//   --no-startup    skip the start-path A/B (plain ES modules / bundle / bundle + code cache)
//
// Method (docs/performance.md says it in prose):
// - Four bare servers hold the same objects and refs: `plain.git` (no hook), `emptyhook.git` (a pre-receive
//   hook that only reads its input: what git itself does because a hook exists), `hook.git` (made by the real
//   `git acl init --preset shared-directory`: per-user directories shared/<user ID>/ on the shared branch
//   main) and gitolite3's `bench.git` (gitolite-shell and its update hook, with the equivalent rules: alice may
//   fast-forward main and change only shared/<alice's ID>/, through a VREF/NAME rule). Every push goes through
//   the same transport, `ext::` with a small sh wrapper that execs git-receive-pack (plain, hooks) or
//   gitolite-shell as sshd would (gitolite), so they differ only in the access control.
// - The pusher, alice, signs every push (`--signed`) to all of them; the same commit, never seen by any server
//   (file contents carry the run id), is pushed to each in rotating order, then main is put back with
//   `update-ref`, so every run makes the same ref update and sends the same new objects. Added cost = the
//   median over runs of (server push − plain push) of the same run: paired, so slow moments of a shared
//   machine fall on both sides of a difference.
// - Sizes: 10, 1,000 and 10,000 changed files in alice's directory of a 11,000-file main; then the owner
//   creating a 100,000-file branch (git-acl and plain only).
// - The hook's own time, CPU and memory: extra pushes with NODE_OPTIONS=--require=<reporter> (receive-pack
//   hands the client's environment to the hook on such a push; the hook script keeps NODE_OPTIONS), which
//   writes at exit the time since the Node process started, its CPU, the CPU of the git children it waited
//   for, and its peak RSS. The timed pushes run without it.
// - Start path A/B at 10 files: pushes with GIT_ACL_HOOK_START=plain (ES modules), =bundle (no cache) and the
//   default (bundle + V8 code cache), interleaved; and `node -e 0` with and without NODE_EXTRA_CA_CERTS.
// - The phase breakdown replays a landed push through the same library calls as runPreReceive, timing each
//   step, in fresh processes (bench/lib/hook-phases.mjs), then once under --cpu-prof.
// - The machine's load from OTHER processes during the run is printed; above 20 % the figures are noisy.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchEnv, notWarm } from './lib/env.mjs';
import { gpgKey } from './lib/gpg.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'dist/cli/main.js');
const OUT = path.join(ROOT, 'bench/out/push.json');
const ZERO = '0'.repeat(40);

const argv = new Set(process.argv.slice(2));
const QUICK = argv.has('--quick');
const KEEP = argv.has('--keep');
const PHASES = !argv.has('--no-phases');
const GITOLITE = !argv.has('--no-gitolite');
const STARTUP = !argv.has('--no-startup');

const SIZES = [10, 1000, 10000];
const RUNS = QUICK
  ? { 10: 3, 1000: 3, 10000: 2, wide: 1, instrumented: 2, startup: 3 }
  : { 10: 15, 1000: 11, 10000: 7, wide: 5, instrumented: 5, startup: 11 };
const BASE_DIRS = 100; // alice's directory: 10,000 files in 100 directories
const BASE_PER_DIR = 100;
const OTHER_FILES = 1000; // someone else's directory and a few top-level files: what alice must not touch
const WIDE_DIRS = 1000; // the created branch: 100,000 files in 1,000 directories
const WIDE_PER_DIR = 100;
const TARGETS = { ratio: { 10: 1, 1000: 1, 10000: 0.5 }, wide: { hookS: 1, rssMB: 300 } };

if (!fs.existsSync(CLI) || !fs.existsSync(path.join(ROOT, 'dist/hook/bundle.cjs'))) {
  console.error(`${CLI} or the hook bundle is missing: run \`npm run build\` first (npm run bench:push does)`);
  process.exit(2);
}

// ---------------------------------------------------------------- plumbing

const root = fs.mkdtempSync('/tmp/gab-');
const gnupgHome = fs.mkdtempSync('/tmp/g'); // short: gpg-agent's sockets live here
fs.chmodSync(gnupgHome, 0o700);
fs.writeFileSync(path.join(gnupgHome, 'gpg-agent.conf'), 'allow-loopback-pinentry\n');

const env = benchEnv({ root, gnupgHome });
fs.writeFileSync(path.join(root, '.gitconfig'), '[init]\n\tdefaultBranch = main\n[protocol "ext"]\n\tallow = always\n');

function cleanup() {
  spawnSync('gpgconf', ['--kill', 'all'], { env, stdio: 'ignore' });
  fs.rmSync(gnupgHome, { recursive: true, force: true });
  if (KEEP) console.log(`kept ${root}`);
  else fs.rmSync(root, { recursive: true, force: true });
}
let cleaned = false;
process.on('exit', () => {
  if (!cleaned) {
    cleaned = true;
    cleanup();
  }
});
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => process.exit(130));
process.stdout.on('error', () => undefined); // a closed stdout (`| head`) must not skip the cleanup
process.on('uncaughtException', (e) => {
  console.error(e);
  process.exit(1);
});

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, {
    cwd: opts.cwd ?? root,
    env: opts.env ?? env,
    input: opts.input ?? '',
    maxBuffer: 1 << 30,
    stdio: opts.stdio,
  });
  if (r.error) throw r.error;
  const out = { code: r.status ?? 1, stdout: r.stdout ? r.stdout.toString() : '', stderr: r.stderr ? r.stderr.toString() : '' };
  if (opts.check !== false && out.code !== 0)
    throw new Error(`${cmd} ${args.join(' ')} failed (${out.code}): ${out.stderr}${out.stdout}`.slice(0, 4000));
  return out;
}

const now = () => Number(process.hrtime.bigint()) / 1e9;
function timed(fn) {
  const t = now();
  const r = fn();
  return { s: now() - t, r };
}
const quantile = (xs, q) => {
  const a = [...xs].sort((x, y) => x - y);
  if (!a.length) return NaN;
  const i = (a.length - 1) * q;
  const lo = Math.floor(i);
  return a[lo] + (a[Math.ceil(i)] - a[lo]) * (i - lo);
};
const median = (xs) => quantile(xs, 0.5);

// How busy the machine was with OTHER work: all CPU time the kernel counted minus this process tree's.
function cpuTicks() {
  try {
    const all = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const busy = all[0] + all[1] + all[2] + all[5] + all[6] + (all[7] ?? 0);
    const self = fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ').slice(11, 15).map(Number);
    return { busy, self: self.reduce((a, b) => a + b, 0) };
  } catch {
    return null;
  }
}
const t0 = now();
const LOAD0 = os.loadavg();
const CPU0 = cpuTicks();
console.log(
  `git-acl push bench — ${os.cpus().length} CPU(s), node ${process.version}, ${run('git', ['--version']).stdout.trim()}, temp ${root}${QUICK ? ' (--quick)' : ''}`,
);

// ---------------------------------------------------------------- gitolite3

const GL_SHELL = '/usr/share/gitolite3/gitolite-shell';
let gitolite = null;
if (GITOLITE) {
  if (!fs.existsSync(GL_SHELL)) {
    console.log('gitolite3 is not installed: apt-get install gitolite3 ...');
    const apt = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    let r = run('apt-get', ['install', '-y', '-q', 'gitolite3'], { env: apt, check: false });
    if (r.code !== 0) {
      run('apt-get', ['update', '-q'], { env: apt, check: false });
      r = run('apt-get', ['install', '-y', '-q', 'gitolite3'], { env: apt, check: false });
    }
    if (!fs.existsSync(GL_SHELL)) {
      console.error(
        `could not install gitolite3 (${r.stderr.trim().split('\n').at(-1)}); run with --no-gitolite to compare with plain git only`,
      );
      process.exit(2);
    }
  }
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format, not a template
  const versionFormat = '${Version}';
  gitolite = {
    home: path.join(root, 'gitolite'),
    version: run('dpkg-query', ['-W', '-f', versionFormat, 'gitolite3'], { check: false }).stdout.trim() || '?',
  };
}

// ---------------------------------------------------------------- servers, keys, client

const hook = path.join(root, 'hook.git');
const plain = path.join(root, 'plain.git');
const client = path.join(root, 'client');
const hookLog = path.join(root, 'hook-log.jsonl');
const reporter = path.join(root, 'reporter.cjs');
const via = path.join(root, 'via.sh');

// The transport of every push: `ext::sh via.sh <server> %S` (ssh without the network, and without its cost).
fs.writeFileSync(
  via,
  `#!/bin/sh
case $1 in
gitolite) SSH_CONNECTION='127.0.0.1 1 127.0.0.1 22' SSH_ORIGINAL_COMMAND="$2 'bench'" HOME=${JSON.stringify(path.join(root, 'gitolite'))} exec ${GL_SHELL} "\${GAB_GL_USER:-alice}" ;;
*) exec $2 ${JSON.stringify(root)}/$1.git ;;
esac
`,
);

// Loaded into the hook's Node process by the instrumented pushes; one JSON line at exit.
fs.writeFileSync(
  reporter,
  `const { appendFileSync, readFileSync } = require('node:fs');
const { performance } = require('node:perf_hooks');
const file = process.env.GAB_HOOK_LOG;
if (file) process.on('exit', (code) => {
  // A warm judge (docs/performance.md) reports the push it took, from when it took it; one that took none, nothing.
  const takenAt = globalThis[Symbol.for('git-acl.taken-at')];
  if (process.argv[2] === 'judge' && takenAt === undefined) return;
  const ru = process.resourceUsage();
  let children = 0;
  try { const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' '); children = (Number(f[13]) + Number(f[14])) / 100; } catch {}
  appendFileSync(file, JSON.stringify({
    code, wallS: (performance.now() - (takenAt ?? 0)) / 1000, bootS: performance.nodeTiming.bootstrapComplete / 1000, warm: takenAt !== undefined,
    cpuS: (ru.userCPUTime + ru.systemCPUTime) / 1e6, childrenCpuS: children, maxRssMB: ru.maxRSS / 1024,
    mode: process.env.GIT_ACL_HOOK_START || 'cached',
    cert: Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('GIT_PUSH_CERT'))),
  }) + '\\n');
});
`,
);

// fast-import spends most of a 100k-file import in brk() with glibc's default malloc trimming on this kind of VM.
const fastImportEnv = { ...env, MALLOC_TOP_PAD_: String(256 << 20), MALLOC_TRIM_THRESHOLD_: String(1 << 30) };

function makeCommit(ref, { parent, message, files }) {
  const parts = [`commit ${ref}\ncommitter Bench <bench@example.org> 1767225600 +0000\ndata ${Buffer.byteLength(message)}\n${message}\n`];
  parts.push(parent ? `from ${parent}\n` : `deleteall\n`);
  for (const [p, c] of files) parts.push(`M 100644 inline ${p}\ndata ${Buffer.byteLength(c)}\n${c}\n`);
  parts.push('\n');
  run('git', ['fast-import', '--quiet', '--force'], { cwd: client, env: fastImportEnv, input: parts.join('') });
  return run('git', ['rev-parse', ref], { cwd: client }).stdout.trim();
}

const serverGit = (repo, args, opts = {}) => run('git', ['--git-dir', repo, ...args], opts);
const emptyHook = path.join(root, 'emptyhook.git');
const repoOf = (remote) => ({ hook, plain, emptyhook: emptyHook })[remote] ?? path.join(gitolite.home, 'repositories/bench.git');

/** One signed push; checks it landed. `as` signs as someone else than alice (the owner, for setup and the 100k case). */
function push(remote, commit, ref, { as, extraEnv } = {}) {
  const e = { ...env, ...extraEnv, ...(as ? { GAB_GL_USER: as.name } : {}) };
  const signing = as ? ['-c', `user.signingkey=${as.fpr}`] : [];
  const { s, r } = timed(() =>
    run('git', [...signing, 'push', '--signed', '--porcelain', '--quiet', remote, `${commit}:${ref}`], {
      cwd: client,
      env: e,
      check: false,
    }),
  );
  const landed = serverGit(repoOf(remote), ['rev-parse', '--verify', '--quiet', ref], { check: false }).stdout.trim();
  if (r.code !== 0 || landed !== commit) throw new Error(`push to ${remote} of ${ref} failed (${r.code}):\n${r.stderr}${r.stdout}`);
  return s;
}

const owner = gpgKey(run, 'owner');
const alice = gpgKey(run, 'alice');
fs.writeFileSync(path.join(root, 'owner.asc'), owner.armored);

run('git', ['init', '-q', '--bare', hook]);
run(process.execPath, [CLI, 'init', hook, '--owner-key', path.join(root, 'owner.asc'), '--preset', 'shared-directory']);

run('git', ['init', '-q', client]);
for (const [k, v] of [
  ['user.signingkey', alice.fpr],
  ['user.name', 'alice'],
  ['user.email', 'alice@example.org'],
])
  run('git', ['config', k, v], { cwd: client });
for (const r of ['plain', 'emptyhook', 'hook', 'gitolite']) run('git', ['remote', 'add', r, `ext::sh ${via} ${r} %S`], { cwd: client });

// alice registers: the owner adds her key file to the policy branch, through the hook.
run('git', ['fetch', '-q', 'hook', 'refs/heads/apps/access-control'], { cwd: client });
const policyTip = run('git', ['rev-parse', 'FETCH_HEAD'], { cwd: client }).stdout.trim();
const index = path.join(root, 'policy-index');
const ienv = { ...env, GIT_INDEX_FILE: index };
run('git', ['read-tree', policyTip], { cwd: client, env: ienv });
const keyBlob = run('git', ['hash-object', '-w', '--stdin'], { cwd: client, input: alice.armored }).stdout.trim();
run('git', ['update-index', '--add', '--cacheinfo', `100644,${keyBlob},keys/${alice.fpr}.asc`], { cwd: client, env: ienv });
const policyTree = run('git', ['write-tree'], { cwd: client, env: ienv }).stdout.trim();
const policyCommit = run('git', ['commit-tree', policyTree, '-p', policyTip, '-m', 'register alice'], { cwd: client }).stdout.trim();
push('hook', policyCommit, 'refs/heads/apps/access-control', { as: owner });

const pad = (n, w) => String(n).padStart(w, '0');
const aliceDir = `shared/${alice.fpr}`;
const aliceFiles = [];
for (let d = 0; d < BASE_DIRS; d++) for (let f = 0; f < BASE_PER_DIR; f++) aliceFiles.push(`${aliceDir}/d${pad(d, 3)}/f${pad(f, 3)}.txt`);
// The first n changed files of a run are spread over the directories (file f of every directory first).
const changeOrder = [...aliceFiles.keys()].sort((a, b) => (a % BASE_PER_DIR) - (b % BASE_PER_DIR) || a - b).map((i) => aliceFiles[i]);
function* baseFiles() {
  for (const p of aliceFiles) yield [p, `base ${p}\n`];
  for (let i = 0; i < OTHER_FILES; i++) yield [`shared/${owner.fpr}/o${pad(i, 4)}.txt`, `other ${i}\n`];
  yield ['README', 'the shared branch\n'];
}
const base = makeCommit('refs/heads/main', { message: 'base\n', files: baseFiles() });
push('hook', base, 'refs/heads/main', { as: owner });

// plain.git: the same objects, config and refs, without hooks.
fs.cpSync(hook, plain, { recursive: true, filter: notWarm });
for (const h of ['pre-receive', 'post-receive']) fs.rmSync(path.join(plain, 'hooks', h));
// emptyhook.git: plain.git with a pre-receive hook that only reads its input. What git itself does because a
// pre-receive hook exists (it checks the certificate with the program `git acl init` set, `true` instead of gpg,
// to fill GIT_PUSH_CERT_STATUS, starts the hook, feeds it) is in its cost; the rest of git-acl's added cost is
// git-acl's own.
fs.cpSync(plain, emptyHook, { recursive: true, filter: notWarm });
fs.writeFileSync(path.join(emptyHook, 'hooks/pre-receive'), '#!/bin/sh\nexec cat >/dev/null\n', { mode: 0o755 });

if (gitolite) {
  const glEnv = { ...env, HOME: gitolite.home };
  fs.mkdirSync(gitolite.home);
  run('gitolite', ['setup', '-a', 'admin'], { env: glEnv, cwd: gitolite.home });
  fs.writeFileSync(
    path.join(gitolite.home, '.gitolite/conf/gitolite.conf'),
    `repo gitolite-admin
    RW+     =   admin

# The shared-directory policy of hook.git: alice fast-forwards main and changes only her own directory.
repo bench
    RW+                                 =   owner
    RW      main                        =   alice
    RW      VREF/NAME/${aliceDir}/      =   alice
    -       VREF/NAME/                  =   alice
`,
  );
  run('gitolite', ['setup'], { env: glEnv, cwd: gitolite.home });
  const gl = repoOf('gitolite');
  serverGit(gl, ['fetch', '-q', plain, 'refs/heads/*:refs/heads/*']);
  serverGit(gl, ['config', 'receive.certNonceSeed', serverGit(hook, ['config', 'receive.certNonceSeed']).stdout.trim()]);
  // gitolite really judges: a change outside alice's directory is refused.
  const bad = makeCommit('refs/bench/bad', { parent: base, message: 'bad\n', files: [['README', 'not hers\n']] });
  const r = run('git', ['push', '--signed', '--porcelain', 'gitolite', `${bad}:refs/heads/main`], { cwd: client, check: false });
  if (r.code === 0) throw new Error("gitolite accepted a change outside alice's directory: its rules are not equivalent");
  const r2 = run('git', ['push', '--signed', '--porcelain', 'hook', `${bad}:refs/heads/main`], { cwd: client, check: false });
  if (r2.code === 0) throw new Error("git-acl accepted a change outside alice's directory");
}
const remotes = ['plain', 'emptyhook', 'hook', ...(gitolite ? ['gitolite'] : [])];
console.log(
  `setup: ${(now() - t0).toFixed(1)} s (keys, git acl init, alice registered, main with ${aliceFiles.length + OTHER_FILES + 1} files${gitolite ? `, gitolite ${gitolite.version}` : ''})\n`,
);

// ---------------------------------------------------------------- measured pushes

let tagNo = 0;
const resetMain = () => remotes.forEach((r) => serverGit(repoOf(r), ['update-ref', 'refs/heads/main', base]));
const changeCommit = (n, tag) =>
  makeCommit('refs/bench/change', {
    parent: base,
    message: `change ${n} ${tag}\n`,
    files: changeOrder.slice(0, n).map((p) => [p, `${tag} ${p}\n`]),
  });

function readReports() {
  const lines = fs.existsSync(hookLog) ? fs.readFileSync(hookLog, 'utf8').trim().split('\n').filter(Boolean) : [];
  fs.rmSync(hookLog, { force: true });
  if (lines.length !== 1) throw new Error(`expected one hook report, got ${lines.length}`);
  return JSON.parse(lines[0]);
}
const instrumented = (extra = {}) => ({ NODE_OPTIONS: `--require=${reporter}`, GAB_HOOK_LOG: hookLog, ...extra });

const results = {};
const lastPush = {};
for (const n of SIZES) {
  const tc = now();
  const s = Object.fromEntries(remotes.map((r) => [r, []]));
  const warm = 1;
  for (let i = -warm; i < RUNS[n]; i++) {
    const commit = changeCommit(n, `r${++tagNo}`);
    const k = i + warm;
    const order = remotes.map((_, j) => remotes[(j + k) % remotes.length]);
    for (const r of order) {
      const t = push(r, commit, 'refs/heads/main');
      if (i >= 0) s[r].push(t);
    }
    resetMain();
  }
  // The first instrumented push is started by the hook script (no judge runs with the reporter yet) and starts one
  // that does; each later one waits until a judge is ready, as the timed rounds above give it time to be.
  const reports = [];
  const cold = [];
  for (let i = 0; i <= RUNS.instrumented; i++) {
    const commit = changeCommit(n, `r${++tagNo}`);
    if (i > 0) waitForJudge(hook);
    push('hook', commit, 'refs/heads/main', { extraEnv: instrumented() });
    const report = readReports();
    (report.warm ? reports : cold).push(report);
    lastPush[n] = { commit, ref: 'refs/heads/main', old: base, cert: report.cert };
    resetMain();
  }
  const paired = (r) => s[r].map((x, i) => x - s.plain[i]);
  const res = {
    files: n,
    runs: RUNS[n],
    plainS: median(s.plain),
    hook: { addedS: median(paired('hook')), iqrS: [quantile(paired('hook'), 0.25), quantile(paired('hook'), 0.75)] },
    emptyHook: { addedS: median(paired('emptyhook')) },
    hookProcess: summarize(reports.length ? reports : cold),
    coldProcess: cold.length ? summarize(cold) : null,
    samples: s,
  };
  if (gitolite) {
    res.gitolite = { addedS: median(paired('gitolite')), iqrS: [quantile(paired('gitolite'), 0.25), quantile(paired('gitolite'), 0.75)] };
    res.ratio = res.hook.addedS / res.gitolite.addedS;
    res.target = { ratioBelow: TARGETS.ratio[n], pass: n === 10000 ? res.ratio < TARGETS.ratio[n] : res.ratio <= TARGETS.ratio[n] };
  }
  results[n] = res;
  console.log(
    `  ${n} changed files: ${RUNS[n] + warm} runs x ${remotes.length} servers + ${RUNS.instrumented} instrumented in ${(now() - tc).toFixed(1)} s`,
  );
}

/** Waits (up to 5 s) until a warm judge waits in `repo` (docs/performance.md, "The warm judge"). */
function waitForJudge(repo) {
  const dir = path.join(repo, 'git-acl', 'warm');
  const end = Date.now() + 5000;
  while (Date.now() < end) {
    if (fs.existsSync(dir) && fs.readdirSync(dir).some((f) => f.endsWith('.rq'))) return;
    spawnSync('sleep', ['0.02']);
  }
}

function summarize(reports) {
  return {
    wallS: median(reports.map((x) => x.wallS)),
    bootS: median(reports.map((x) => x.bootS)),
    cpuS: median(reports.map((x) => x.cpuS)),
    childrenCpuS: median(reports.map((x) => x.childrenCpuS)),
    maxRssMB: Math.max(...reports.map((x) => x.maxRssMB)),
  };
}

// The 100k-file branch creation, by the owner: git-acl and plain git.
{
  const tc = now();
  const wideFiles = function* (tag) {
    for (let d = 0; d < WIDE_DIRS; d++)
      for (let f = 0; f < WIDE_PER_DIR; f++) yield [`w/d${pad(d, 4)}/f${pad(f, 3)}.txt`, `${tag} wide ${d}/${f}\n`];
  };
  const s = { plain: [], hook: [] };
  const reports = [];
  for (let i = 0; i < RUNS.wide; i++) {
    const commit = makeCommit('refs/bench/wide', { message: `wide ${i}\n`, files: wideFiles(`w${++tagNo}`) });
    for (const r of i % 2 ? ['plain', 'hook'] : ['hook', 'plain']) {
      s[r].push(push(r, commit, 'refs/heads/wide', { as: owner, extraEnv: r === 'hook' ? instrumented() : {} }));
      if (r === 'hook') reports.push(readReports());
    }
    lastPush.wide = { commit, ref: 'refs/heads/wide', old: ZERO, cert: reports.at(-1).cert };
    for (const r of ['plain', 'hook']) serverGit(repoOf(r), ['update-ref', '-d', 'refs/heads/wide']);
  }
  const hp = summarize(reports);
  results.wide = {
    files: WIDE_DIRS * WIDE_PER_DIR,
    runs: RUNS.wide,
    plainS: median(s.plain),
    hook: { addedS: median(s.hook.map((x, i) => x - s.plain[i])) },
    hookProcess: hp,
    target: {
      hookS: TARGETS.wide.hookS,
      rssMB: TARGETS.wide.rssMB,
      pass: hp.wallS < TARGETS.wide.hookS && hp.maxRssMB < TARGETS.wide.rssMB,
    },
    samples: s,
  };
  console.log(`  100,000-file branch creation: ${RUNS.wide} runs in ${(now() - tc).toFixed(1)} s`);
}

// ---------------------------------------------------------------- start path A/B (10 files)

let startup = null;
if (STARTUP) {
  const tc = now();
  const modes = ['plain', 'bundle', 'cached'];
  const push10 = Object.fromEntries(modes.map((m) => [m, []]));
  const proc = Object.fromEntries(modes.map((m) => [m, []]));
  for (let i = 0; i < RUNS.startup; i++) {
    for (const m of modes.map((_, j) => modes[(j + i) % modes.length])) {
      // A commit per push: the same update signed twice within a second makes the same certificate, which the
      // push log accepts once.
      const commit = changeCommit(10, `s${++tagNo}`);
      push10[m].push(push('hook', commit, 'refs/heads/main', { extraEnv: instrumented(m === 'cached' ? {} : { GIT_ACL_HOOK_START: m }) }));
      proc[m].push(readReports());
      serverGit(hook, ['update-ref', 'refs/heads/main', base]);
    }
  }
  const nodeBare = { ca: [], clean: [] };
  const withCa = { ...env, NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS || '/etc/ssl/certs/ca-certificates.crt' };
  const clean = { ...env };
  delete clean.NODE_EXTRA_CA_CERTS;
  for (let i = 0; i < RUNS.startup; i++) {
    nodeBare.ca.push(timed(() => run(process.execPath, ['-e', '0'], { env: withCa })).s);
    nodeBare.clean.push(timed(() => run(process.execPath, ['-e', '0'], { env: clean })).s);
  }
  startup = {
    runs: RUNS.startup,
    modes: Object.fromEntries(modes.map((m) => [m, { pushS: median(push10[m]), ...summarize(proc[m]) }])),
    nodeE0: { withCaS: median(nodeBare.ca), cleanS: median(nodeBare.clean), caFile: withCa.NODE_EXTRA_CA_CERTS },
  };
  console.log(`  start path A/B at 10 files: ${RUNS.startup} rounds in ${(now() - tc).toFixed(1)} s`);
}

// ---------------------------------------------------------------- phases (in-process replay through the hook's library)

const hookEnvFor = (key) => {
  const e = { ...env, GIT_DIR: '.', ...lastPush[key].cert };
  delete e.NODE_EXTRA_CA_CERTS; // as the hook script does
  return e;
};
const stdinFor = (key) => `${lastPush[key].old} ${lastPush[key].commit} ${lastPush[key].ref}\n`;
let phases = null;
let profiles = null;
if (PHASES) {
  const { replayPhases, profileReplay } = await import('./lib/hook-phases.mjs');
  phases = {};
  profiles = {};
  for (const key of [...SIZES, 'wide']) {
    // The replays judge a landed push again (its ref was put back, its objects and certificate are stored).
    phases[key] = await replayPhases({ gitDir: hook, env: hookEnvFor(key), stdin: stdinFor(key), reps: QUICK ? 1 : 3 });
    if (key === 10 || key === 1000 || key === 'wide')
      profiles[key] = profileReplay({ gitDir: hook, env: hookEnvFor(key), stdin: stdinFor(key), outDir: path.join(root, `prof-${key}`) });
  }
}

// ---------------------------------------------------------------- report

const ms = (x) => (x == null || Number.isNaN(x) ? '-' : (x * 1000).toFixed(0));
const table = (rows, right = () => true) => {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => String(row[i]).length)));
  const line = (row) =>
    '| ' + row.map((c, i) => (right(i) ? String(c).padStart(widths[i]) : String(c).padEnd(widths[i]))).join(' | ') + ' |';
  console.log(line(rows[0]));
  console.log('|' + widths.map((w, i) => (right(i) ? '-'.repeat(w + 1) + ':' : '-'.repeat(w + 2))).join('|') + '|');
  for (const row of rows.slice(1)) console.log(line(row));
};

console.log(
  `\nSUMMARY: what each server adds to the same signed push (ms; median over runs of server − plain in the same run; [interquartile range])`,
);
const head = [
  'changed files',
  'runs',
  'plain push',
  'git-acl added',
  ...(gitolite ? ['gitolite added', 'git-acl / gitolite', 'target'] : []),
  'of which git',
  'hook wall',
  'hook CPU',
  'git children CPU',
  'hook RSS MB',
];
const rows = [head];
for (const n of [...SIZES, 'wide']) {
  const r = results[n];
  const hp = r.hookProcess;
  const gl = gitolite && r.gitolite;
  const target =
    n === 'wide'
      ? `hook < ${TARGETS.wide.hookS} s, < ${TARGETS.wide.rssMB} MB: ${r.target.pass ? 'PASS' : 'FAIL'}`
      : gl
        ? `${n === 10000 ? '<' : '<='} ${TARGETS.ratio[n]}x: ${r.target.pass ? 'PASS' : 'FAIL'}`
        : '-';
  rows.push([
    n === 'wide' ? '100,000 (new branch)' : n.toLocaleString('en'),
    r.runs,
    ms(r.plainS),
    `${ms(r.hook.addedS)}${r.hook.iqrS ? ` [${ms(r.hook.iqrS[0])}–${ms(r.hook.iqrS[1])}]` : ''}`,
    ...(gitolite ? [gl ? `${ms(gl.addedS)} [${ms(gl.iqrS[0])}–${ms(gl.iqrS[1])}]` : '-', gl ? `${r.ratio.toFixed(2)}x` : '-', target] : []),
    ms(r.emptyHook?.addedS),
    ms(hp.wallS),
    ms(hp.cpuS),
    ms(hp.childrenCpuS),
    hp.maxRssMB.toFixed(0),
  ]);
}
table(rows, (i) => i !== 0 && head[i] !== 'target');
if (!gitolite)
  console.log(
    `100,000-file creation: hook < ${TARGETS.wide.hookS} s and < ${TARGETS.wide.rssMB} MB: ${results.wide.target.pass ? 'PASS' : 'FAIL'}`,
  );
console.log(
  "of which git: what an empty pre-receive hook adds (git checks the certificate with `true`, as git acl init set, and starts the hook); the rest is git-acl's",
);
console.log(
  "hook wall/CPU/RSS: the hook's Node process, from separate instrumented pushes, each judged by a warm judge (docs/performance.md): wall from when it took the push; CPU of its whole life (its start included) and of the git children it waited for",
);
console.log(
  `hook wall when no judge was ready (the script starts Node itself: a push within ~0.2 s of the last one to the same repository): ${SIZES.map((n) => `${n.toLocaleString('en')} files ${ms(results[n].coldProcess?.wallS)} ms`).join(', ')}`,
);

if (startup) {
  console.log(`\nstart path at 10 files (${startup.runs} interleaved rounds; medians, ms):`);
  const srows = [['path', 'push', 'hook wall', 'node bootstrap', 'hook CPU']];
  const label = { plain: 'ES modules (dist/hook/main.js)', bundle: 'bundle, no code cache', cached: 'bundle + V8 code cache (shipped)' };
  for (const [m, v] of Object.entries(startup.modes)) srows.push([label[m], ms(v.pushS), ms(v.wallS), ms(v.bootS), ms(v.cpuS)]);
  table(srows, (i) => i !== 0);
  console.log(
    `node -e 0: ${ms(startup.nodeE0.withCaS)} ms with NODE_EXTRA_CA_CERTS=${startup.nodeE0.caFile}, ${ms(startup.nodeE0.cleanS)} ms without (the hook script unsets it)`,
  );
}

if (phases) {
  console.log("\nwhere the hook's time goes (replay through dist/ ES modules, fresh process each, median ms):");
  const keys = Object.keys(phases);
  const names = [...new Set(keys.flatMap((k) => Object.keys(phases[k].ms)))];
  const prow = [['phase', ...keys.map((k) => (k === 'wide' ? '100k new' : `${k} files`))]];
  for (const nm of names) prow.push([nm, ...keys.map((k) => (phases[k].ms[nm] == null ? '-' : phases[k].ms[nm].toFixed(1)))]);
  table(prow, (i) => i !== 0);
}
if (profiles) {
  for (const [k, p] of Object.entries(profiles)) {
    console.log(
      `\nCPU profile of one replay, ${k === 'wide' ? '100k new' : `${k} files`} (${p.totalMs.toFixed(0)} ms): ${Object.entries(p.byArea)
        .slice(0, 8)
        .map(([a, v]) => `${a} ${v.toFixed(0)}`)
        .join(', ')}`,
    );
    for (const [fn, v] of p.topFunctions.slice(0, 8)) console.log(`    ${v.toFixed(0).padStart(5)} ms  ${fn}`);
  }
}

const LOAD1 = os.loadavg();
const CPU1 = cpuTicks();
let otherShare = null;
if (CPU0 && CPU1) otherShare = Math.max(0, CPU1.busy - CPU0.busy - (CPU1.self - CPU0.self)) / ((now() - t0) * 100 * os.cpus().length);
console.log(
  `\nload average at start ${LOAD0.map((x) => x.toFixed(1)).join(' ')}, at end ${LOAD1.map((x) => x.toFixed(1)).join(' ')} on ${os.cpus().length} CPUs` +
    (otherShare == null ? '' : `; other processes used ${(otherShare * 100).toFixed(0)}% of the machine's CPU during the run`),
);
if (otherShare != null && otherShare > 0.2)
  console.log(
    'warning: the machine was busy with other work during this run: absolute times are inflated and noisy; the paired differences and ratios less so',
  );
fs.mkdirSync(path.dirname(OUT), { recursive: true });
fs.writeFileSync(
  OUT,
  JSON.stringify(
    {
      date: new Date().toISOString(),
      machine: {
        cpus: os.cpus().length,
        cpu: os.cpus()[0]?.model,
        memMB: Math.round(os.totalmem() / 2 ** 20),
        node: process.version,
        git: run('git', ['--version']).stdout.trim(),
        gitolite: gitolite?.version,
      },
      quick: QUICK,
      results,
      startup,
      phases,
      profiles,
      load: { start: LOAD0, end: LOAD1, cpus: os.cpus().length, otherCpuShare: otherShare },
      totalS: now() - t0,
    },
    null,
    2,
  ) + '\n',
);
console.log(`wrote ${path.relative(process.cwd(), OUT)}; total ${(now() - t0).toFixed(0)} s`);
