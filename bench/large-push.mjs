// Wall time of real signed pushes through the installed git-acl pre-receive
// hook, against the same pushes into an identical repository without the hook.
// Run `npm run build` first; `npm run bench:large` does. Large and hostile pushes, and
// before/after comparisons with --baseline (the gitolite comparison is bench/push.mjs). Options:
//   --quick      fewer runs (smoke test, numbers are not the report's)
//   --keep       keep the temp directory (path printed) for poking around
//   --no-phases  skip the in-process phase breakdown of the hook
//   --baseline <dir>  also push to a third server whose hook is another
//                git-acl build (a checkout with dist/ built, e.g. the code
//                before a change): before/after in the same run, same load
//   --no-huge    skip the 250,000-file branch creation
//   --no-attacks skip the refused pushes (deep chain, fan-out)
//
// Method (also in docs/performance.md):
// - Two bare servers, `hook.git` (made by the real `git acl init`) and
//   `plain.git` (a byte-for-byte copy of hook.git taken after setup, with the
//   hook file removed): same config (receive.certNonceSeed, so `--signed`
//   works and the client signs with gpg on both sides), same packs, same refs.
// - One client repository, signing as the owner through user.signingkey, with
//   both servers as remotes (local paths: no ssh, no network).
// - Every measured run pushes a commit nobody has seen before, to BOTH servers
//   (the same commit id): the file contents carry the run id, so each push
//   sends and indexes the same number of brand-new objects (commit, trees,
//   blobs). Re-pushing objects a server already holds would make
//   `index-pack` run its collision check on every object, which is not the
//   work a real push does. After each run the ref is put back on the server
//   with `update-ref` (or deleted, for the branch creation), so every run makes
//   the same ref update. The order of the two servers alternates run to run.
//   Commits are generated with `git fast-import` (plumbing, no work tree).
// - The hook's own time and memory come from inside its process: pushes run
//   with NODE_OPTIONS=--import=<reporter> (receive-pack hands the client's
//   environment to the hook on a local push; the installed hook is untouched).
//   The reporter writes, at process exit, the time since the Node process
//   started (performance.now(), origin = process start), user/system CPU
//   and process.resourceUsage().maxRSS. The git children the hook spawns
//   (diff-tree, cat-file) are not in that maxRSS; one extra run of the hook
//   under /usr/bin/time -v (node plus its children: Linux reports the largest
//   single process) gives that figure for the 100k case.
// - The floor: `git diff-tree -r` (as typed by a person, output to /dev/null)
//   and the hook's own diff command, on the same commits, in plain.git.
// - The phase breakdown replays the last push of each case (its objects and
//   certificate are in the main store by then, the ref is back to its old
//   value) through the same library calls as runPreReceive, each replay a
//   fresh Node process like the real hook (bench/lib/hook-phases.mjs); then
//   once under `node --cpu-prof`, self time summed by area and by function.
// - It also prints how much CPU other processes used during the run: on a
//   shared machine the absolute numbers move with it.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { benchEnv, notWarm } from './lib/env.mjs';
import { gpgKey } from './lib/gpg.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'dist/cli/main.js');
const OUT = path.join(ROOT, 'bench/out/push.json');
const ZERO = '0'.repeat(40);
const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

const argv = new Set(process.argv.slice(2));
const QUICK = argv.has('--quick');
const KEEP = argv.has('--keep');
const PHASES = !argv.has('--no-phases');
const HUGE = !argv.has('--no-huge');
const ATTACKS = !argv.has('--no-attacks');
const baselineAt = process.argv.indexOf('--baseline');
const BASELINE = baselineAt > 0 ? path.resolve(process.argv[baselineAt + 1] ?? '') : null;
const BASELINE_CLI = BASELINE ? path.join(BASELINE, 'dist/cli/main.js') : null;

// Shapes of the three cases.
const BASE_DIRS = 100; // main: 10,000 files in 100 directories (the "modest" repository)
const BASE_PER_DIR = 100;
const WIDE_DIRS = 1000; // the created branch: 100,000 files in 1,000 directories
const WIDE_PER_DIR = 100;
const HUGE_DIRS = 2500; // the large creation: 250,000 files in 2,500 directories
const HUGE_PER_DIR = 100;
const RUNS = QUICK ? { one: 3, wide: 1, many: 1, huge: 1 } : { one: 15, wide: 5, many: 7, huge: 3 };

const TARGETS = {
  one: { addedS: 0.25 },
  wide: { hookS: 1.5, rssMB: 500 },
  many: { hookS: 1 },
  huge: { hookS: 5, rssMB: 1000 },
};

if (!fs.existsSync(CLI)) {
  console.error(`${CLI} is missing: run \`npm run build\` first (npm run bench:push does)`);
  process.exit(2);
}
if (BASELINE_CLI && !fs.existsSync(BASELINE_CLI)) {
  console.error(`--baseline ${BASELINE}: ${BASELINE_CLI} is missing (build that checkout first)`);
  process.exit(2);
}

// ---------------------------------------------------------------- plumbing

const root = fs.mkdtempSync('/tmp/gab-');
const gnupgHome = fs.mkdtempSync('/tmp/g'); // short: gpg-agent's sockets live here
fs.chmodSync(gnupgHome, 0o700);
fs.writeFileSync(path.join(gnupgHome, 'gpg-agent.conf'), 'allow-loopback-pinentry\n');

const env = benchEnv({ root, gnupgHome, name: 'Bench Owner', email: 'owner@example.org' });
fs.writeFileSync(path.join(root, '.gitconfig'), '[init]\n\tdefaultBranch = main\n');

function cleanup() {
  spawnSync('gpgconf', ['--kill', 'gpg-agent'], { env, stdio: 'ignore' });
  spawnSync('gpgconf', ['--kill', 'all'], { env, stdio: 'ignore' });
  fs.rmSync(gnupgHome, { recursive: true, force: true });
  if (KEEP) console.log(`kept ${root}`);
  else fs.rmSync(root, { recursive: true, force: true });
}
let cleaned = false;
const cleanupOnce = () => {
  if (!cleaned) {
    cleaned = true;
    cleanup();
  }
};
process.on('exit', cleanupOnce);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => process.exit(130));
// A closed stdout (e.g. `| head`) must not skip the cleanup.
process.stdout.on('error', () => undefined);
process.on('uncaughtException', (e) => {
  console.error(e);
  cleanupOnce();
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
const median = (xs) => {
  const a = [...xs].sort((x, y) => x - y);
  const m = a.length >> 1;
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
};

const hook = path.join(root, 'hook.git');
const plain = path.join(root, 'plain.git');
const base = path.join(root, 'base.git');
const client = path.join(root, 'client');
const hookLog = path.join(root, 'hook-log.jsonl');
const reporter = path.join(root, 'reporter.mjs');

// Loaded into the hook's Node process through NODE_OPTIONS; writes one JSON line at exit.
fs.writeFileSync(
  reporter,
  `import { appendFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
const file = process.env.GAB_HOOK_LOG;
if (file) process.on('exit', (code) => {
  const ru = process.resourceUsage();
  appendFileSync(file, JSON.stringify({
    code, wallS: performance.now() / 1000, bootS: performance.nodeTiming.bootstrapComplete / 1000,
    userS: ru.userCPUTime / 1e6, sysS: ru.systemCPUTime / 1e6, maxRssMB: ru.maxRSS / 1024,
    cert: { GIT_PUSH_CERT: process.env.GIT_PUSH_CERT, GIT_PUSH_CERT_KEY: process.env.GIT_PUSH_CERT_KEY,
      GIT_PUSH_CERT_SIGNER: process.env.GIT_PUSH_CERT_SIGNER, GIT_PUSH_CERT_STATUS: process.env.GIT_PUSH_CERT_STATUS,
      GIT_PUSH_CERT_NONCE: process.env.GIT_PUSH_CERT_NONCE, GIT_PUSH_CERT_NONCE_STATUS: process.env.GIT_PUSH_CERT_NONCE_STATUS },
  }) + '\\n');
});
`,
);
const pushEnv = { ...env, NODE_OPTIONS: `--import=${pathToFileURL(reporter).href}`, GAB_HOOK_LOG: hookLog };

// fast-import spends most of its time in brk() with glibc's default malloc trimming on this kind of VM
// (100k files: 12 s instead of 2.4 s); a larger top pad only speeds up generating the commits.
const fastImportEnv = { ...env, MALLOC_TOP_PAD_: String(256 << 20), MALLOC_TRIM_THRESHOLD_: String(1 << 30) };

/** Writes a commit with fast-import into the client; `files` yields [path, content]. Returns the commit id. */
function makeCommit(ref, { parent, message, files }) {
  const parts = [
    `commit ${ref}\ncommitter Bench Owner <owner@example.org> 1767225600 +0000\ndata ${Buffer.byteLength(message)}\n${message}\n`,
  ];
  parts.push(parent ? `from ${parent}\n` : `deleteall\n`);
  for (const [p, c] of files) parts.push(`M 100644 inline ${p}\ndata ${Buffer.byteLength(c)}\n${c}\n`);
  parts.push('\n');
  run('git', ['fast-import', '--quiet', '--force'], { cwd: client, env: fastImportEnv, input: parts.join('') });
  return run('git', ['rev-parse', ref], { cwd: client }).stdout.trim();
}

const pad = (n, w) => String(n).padStart(w, '0');
function* baseFiles(tag) {
  for (let d = 0; d < BASE_DIRS; d++)
    for (let f = 0; f < BASE_PER_DIR; f++) yield [`src/d${pad(d, 3)}/f${pad(f, 3)}.txt`, `${tag} file ${d}/${f}\n`];
}
function* wideFiles(tag) {
  for (let d = 0; d < WIDE_DIRS; d++)
    for (let f = 0; f < WIDE_PER_DIR; f++) yield [`w/d${pad(d, 4)}/f${pad(f, 3)}.txt`, `${tag} wide ${d}/${f}\n`];
}
function* hugeFiles(tag) {
  for (let d = 0; d < HUGE_DIRS; d++)
    for (let f = 0; f < HUGE_PER_DIR; f++) yield [`h/d${pad(d, 4)}/f${pad(f, 3)}.txt`, `${tag} huge ${d}/${f}\n`];
}

function serverGit(repo, args, opts = {}) {
  return run('git', ['--git-dir', repo, ...args], opts);
}

/** One signed push of `commit` to `ref` on `remote`; checks it landed. Returns wall seconds and, for the hook, its report. */
function push(remote, commit, ref) {
  fs.rmSync(hookLog, { force: true });
  const { s, r } = timed(() =>
    run('git', ['push', '--signed', '--porcelain', '--quiet', remote, `${commit}:${ref}`], { cwd: client, env: pushEnv, check: false }),
  );
  const repo = SERVERS[remote];
  const landed = serverGit(repo, ['rev-parse', '--verify', '--quiet', ref], { check: false }).stdout.trim();
  if (r.code !== 0 || landed !== commit) throw new Error(`push to ${remote} of ${ref} failed (${r.code}):\n${r.stderr}${r.stdout}`);
  let report = null;
  if (remote !== 'plain') {
    const lines = fs.existsSync(hookLog) ? fs.readFileSync(hookLog, 'utf8').trim().split('\n') : [];
    if (lines.length !== 1) throw new Error(`expected one hook report, got ${lines.length} (is the reporter loading?)`);
    report = JSON.parse(lines[0]);
  }
  return { s, report };
}

// ---------------------------------------------------------------- setup

// How busy the machine was with OTHER work during the run: all CPU time the kernel counted (/proc/stat)
// minus this process and every child it waited for (/proc/self/stat utime+stime+cutime+cstime).
function cpuTicks() {
  try {
    const all = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const busy = all[0] + all[1] + all[2] + all[5] + all[6] + (all[7] ?? 0); // user nice system irq softirq steal
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
  `git-acl push bench — ${os.cpus().length} CPU(s), node ${process.version}, ${run('git', ['--version']).stdout.trim()}, temp ${root}`,
);

const { fpr: fingerprint, armored } = gpgKey(run, 'Bench Owner', 'owner@example.org');
fs.writeFileSync(path.join(root, 'owner.asc'), armored);

run('git', ['init', '-q', '--bare', hook]);
run(process.execPath, [CLI, 'init', hook, '--owner-key', path.join(root, 'owner.asc')]);

run('git', ['init', '-q', client]);
for (const [k, v] of [
  ['user.signingkey', fingerprint],
  ['user.name', 'Bench Owner'],
  ['user.email', 'owner@example.org'],
])
  run('git', ['config', k, v], { cwd: client });
run('git', ['remote', 'add', 'hook', hook], { cwd: client });
run('git', ['remote', 'add', 'plain', plain], { cwd: client });

const SERVERS = { hook, plain, base };
const mainBase = makeCommit('refs/heads/main', { message: 'base\n', files: baseFiles('base') });
push('hook', mainBase, 'refs/heads/main'); // through the hook: 10,000 files created by the owner
// The plain server: an exact copy of the hook server (config, packs, refs), minus the hook.
fs.cpSync(hook, plain, { recursive: true, filter: notWarm });
fs.rmSync(path.join(plain, 'hooks', 'pre-receive'));
// The baseline server: another copy, whose hook the baseline build's own `git acl init` rewrites.
if (BASELINE_CLI) {
  fs.cpSync(hook, base, { recursive: true, filter: notWarm });
  run(process.execPath, [BASELINE_CLI, 'init', base, '--owner-key', path.join(root, 'owner.asc')]);
  run('git', ['remote', 'add', 'base', base], { cwd: client });
  const installed = fs.readFileSync(path.join(base, 'hooks', 'pre-receive'), 'utf8');
  if (!installed.includes(BASELINE)) throw new Error(`the baseline's init did not install its own hook:\n${installed}`);
}
const REMOTES = BASELINE_CLI ? ['hook', 'plain', 'base'] : ['hook', 'plain'];
console.log(
  `setup: ${(now() - t0).toFixed(1)} s (owner key, git acl init, main with ${BASE_DIRS * BASE_PER_DIR} files pushed, plain.git copied` +
    `${BASELINE_CLI ? `, base.git with the hook of ${BASELINE}` : ''}); receive.fsckObjects=${serverGit(hook, ['config', '--get', 'receive.fsckObjects'], { check: false }).stdout.trim() || 'unset'} on every server\n`,
);

// ---------------------------------------------------------------- cases

const cases = [
  {
    key: 'one',
    title: '1-file change (fast-forward main, 10k-file repo)',
    ref: 'refs/heads/main',
    old: mainBase,
    runs: RUNS.one,
    warmup: 1,
    make: (tag) =>
      makeCommit('refs/bench/one', {
        parent: mainBase,
        message: `one ${tag}\n`,
        files: [[`src/d050/f050.txt`, `${tag} one-file change\n`]],
      }),
    reset: (repo) => serverGit(repo, ['update-ref', 'refs/heads/main', mainBase]),
  },
  {
    key: 'wide',
    title: 'create branch, 100k files in 1,000 dirs',
    ref: 'refs/heads/wide',
    old: null,
    runs: RUNS.wide,
    warmup: 0,
    make: (tag) => makeCommit('refs/bench/wide', { message: `wide ${tag}\n`, files: wideFiles(tag) }),
    reset: (repo) => serverGit(repo, ['update-ref', '-d', 'refs/heads/wide']),
  },
  {
    key: 'many',
    title: '10k-file modification (fast-forward main)',
    ref: 'refs/heads/main',
    old: mainBase,
    runs: RUNS.many,
    warmup: 1,
    make: (tag) => makeCommit('refs/bench/many', { parent: mainBase, message: `many ${tag}\n`, files: baseFiles(tag) }),
    reset: (repo) => serverGit(repo, ['update-ref', 'refs/heads/main', mainBase]),
  },
  ...(HUGE
    ? [
        {
          key: 'huge',
          title: 'create branch, 250k files in 2,500 dirs',
          ref: 'refs/heads/huge',
          old: null,
          runs: RUNS.huge,
          warmup: 0,
          make: (tag) => makeCommit('refs/bench/huge', { message: `huge ${tag}\n`, files: hugeFiles(tag) }),
          reset: (repo) => serverGit(repo, ['update-ref', '-d', 'refs/heads/huge']),
        },
      ]
    : []),
];
const CASE_KEYS = cases.map((c) => c.key);

const results = {};
const lastPush = {};
let tagNo = 0;
for (const c of cases) {
  const hookS = [];
  const plainS = [];
  const baseS = [];
  const reports = [];
  const baseReports = [];
  const diffS = [];
  const diffHookS = [];
  let commit = null;
  let ops = null;
  const tc = now();
  for (let i = -c.warmup; i < c.runs; i++) {
    const tag = `r${++tagNo}`;
    commit = c.make(tag);
    // Rotate the order of the servers run to run, so none is always first (cold) or last.
    const k = (i + c.warmup) % REMOTES.length;
    const order = [...REMOTES.slice(k), ...REMOTES.slice(0, k)];
    for (const remote of order) {
      const { s, report } = push(remote, commit, c.ref);
      if (i < 0) continue;
      if (remote === 'hook') {
        hookS.push(s);
        reports.push(report);
        lastPush[c.key] = { commit, report };
      } else if (remote === 'base') {
        baseS.push(s);
        baseReports.push(report);
      } else plainS.push(s);
    }
    if (i >= 0) {
      const from = c.old ?? EMPTY_TREE;
      diffS.push(timed(() => serverGit(plain, ['diff-tree', '-r', from, commit], { stdio: ['ignore', 'ignore', 'pipe'] })).s);
      const hookDiff = timed(() => serverGit(plain, ['diff-tree', '-r', '-t', '-z', '--no-renames', '--full-index', from, commit]));
      diffHookS.push(hookDiff.s);
      ops ??= hookDiff.r.stdout.split('\0').filter((x, k) => k % 2 === 0 && x.length > 0).length;
    }
    for (const remote of REMOTES) c.reset(SERVERS[remote]);
  }
  const r = {
    title: c.title,
    runs: c.runs,
    treeOps: ops, // changed entries incl. directories, as the hook's diff lists them (+1 ref op)
    plainS: median(plainS),
    hookS: median(hookS),
    addedS: median(hookS) - median(plainS),
    ratio: median(hookS) / median(plainS),
    hookProcessS: median(reports.map((x) => x.wallS)),
    hookCpuS: median(reports.map((x) => x.userS + x.sysS)),
    hookBootS: median(reports.map((x) => x.bootS)),
    hookMaxRssMB: Math.max(...reports.map((x) => x.maxRssMB)),
    diffTreeS: median(diffS),
    hookDiffCmdS: median(diffHookS),
    samples: { plainS, hookS, hookProcessS: reports.map((x) => x.wallS), diffTreeS: diffS },
  };
  if (BASELINE_CLI) {
    r.baseline = {
      hookS: median(baseS),
      addedS: median(baseS) - median(plainS),
      hookProcessS: median(baseReports.map((x) => x.wallS)),
      hookMaxRssMB: Math.max(...baseReports.map((x) => x.maxRssMB)),
      samples: { hookS: baseS, hookProcessS: baseReports.map((x) => x.wallS) },
    };
  }
  const t = TARGETS[c.key];
  r.targets = {};
  if (t.addedS !== undefined) r.targets.addedS = { limit: t.addedS, pass: r.addedS < t.addedS };
  if (t.hookS !== undefined) r.targets.hookS = { limit: t.hookS, pass: r.hookProcessS < t.hookS };
  if (t.rssMB !== undefined) r.targets.rssMB = { limit: t.rssMB, pass: r.hookMaxRssMB < t.rssMB };
  results[c.key] = r;
  console.log(`  ${c.title}: ${c.warmup + c.runs} runs in ${(now() - tc).toFixed(1)} s`);
}

// ---------------------------------------------------------------- refused pushes: small packs that describe enormous trees

// The hook must refuse them quickly and in bounded memory (docs/security.md, "Limits"). They run against a copy
// of the hook server whose pre-receive runs under /usr/bin/time, for the peak memory of the hook and its git
// children together; the objects are written straight into the client as loose objects.
const attacks = {};
if (ATTACKS) {
  const { createHash } = await import('node:crypto');
  const { deflateSync } = await import('node:zlib');
  const loose = (type, body) => {
    const full = Buffer.concat([Buffer.from(`${type} ${body.length}\0`), body]);
    const id = createHash('sha1').update(full).digest();
    const hex = id.toString('hex');
    fs.mkdirSync(path.join(client, '.git/objects', hex.slice(0, 2)), { recursive: true });
    fs.writeFileSync(path.join(client, '.git/objects', hex.slice(0, 2), hex.slice(2)), deflateSync(full));
    return id;
  };
  const tree = (entries) => loose('tree', Buffer.concat(entries.flatMap(([mode, name, id]) => [Buffer.from(`${mode} ${name}\0`), id])));
  const commitOf = (treeId, message) => run('git', ['commit-tree', treeId.toString('hex'), '-m', message], { cwd: client }).stdout.trim();

  const attackServer = path.join(root, 'attack.git');
  fs.cpSync(hook, attackServer, { recursive: true, filter: notWarm });
  const timeLog = path.join(root, 'attack-time.txt');
  const wrapped = path.join(attackServer, 'hooks', 'pre-receive');
  fs.renameSync(wrapped, `${wrapped}.real`);
  const timer = fs.existsSync('/usr/bin/time') ? `/usr/bin/time -f '%M %e' -o '${timeLog}' ` : '';
  fs.writeFileSync(wrapped, `#!/bin/sh\nexec ${timer}'${wrapped}.real'\n`, { mode: 0o755 });
  run('git', ['remote', 'add', 'attack', attackServer], { cwd: client });

  const name255 = 'a'.repeat(255);
  let deep = loose('blob', Buffer.from('deep\n'));
  for (let i = 0; i < 2500; i++) deep = tree([[i === 0 ? '100644' : '40000', name255, deep]]);
  const fanBlob = loose('blob', Buffer.from('x\n'));
  const names = Array.from({ length: 1000 }, (_, i) => `n${pad(i, 3)}`);
  let fan = tree(names.map((n) => ['100644', n, fanBlob]));
  for (let level = 0; level < 2; level++) fan = tree(names.map((n) => ['40000', n, fan]));

  for (const [key, title, treeId] of [
    ['deep', 'a chain of 2,500 nested 255-byte directory names', deep],
    ['fan', 'three trees naming one subtree 1,000 times each (10^9 paths)', fan],
  ]) {
    const commit = commitOf(treeId, key);
    const pack = spawnSync('git', ['pack-objects', '--stdout', '--revs', '-q'], {
      cwd: client,
      env,
      input: `${commit}\n`,
      maxBuffer: 1 << 30,
    }).stdout;
    fs.rmSync(hookLog, { force: true });
    fs.rmSync(timeLog, { force: true });
    const { s, r } = timed(() =>
      run('git', ['push', '--signed', '--porcelain', 'attack', `${commit}:refs/heads/${key}`], { cwd: client, env: pushEnv, check: false }),
    );
    const said = r.stderr
      .split('\n')
      .filter((l) => l.startsWith('remote: git-acl: '))
      .map((l) => l.slice(8));
    if (r.code === 0 || said.length === 0) throw new Error(`the ${key} push was not refused by the hook:\n${r.stderr}`);
    const report = JSON.parse(fs.readFileSync(hookLog, 'utf8').trim().split('\n').at(-1));
    const [maxKB, wallS] = fs.existsSync(timeLog)
      ? fs.readFileSync(timeLog, 'utf8').trim().split('\n').at(-1).split(' ').map(Number)
      : [null, null];
    attacks[key] = {
      title,
      packKB: pack.length / 1024,
      pushS: s,
      hookProcessS: report.wallS,
      hookCpuS: report.userS + report.sysS,
      hookMaxRssMB: report.maxRssMB,
      hookTreeMaxRssMB: maxKB == null ? null : maxKB / 1024,
      hookTreeWallS: wallS,
      said,
    };
  }
}

// ---------------------------------------------------------------- isolation: the hook alone, under /usr/bin/time -v

/** Re-runs the installed hook on the last push of a case (objects now in the main store, ref put back). */
function hookEnvFor(key) {
  const { report } = lastPush[key];
  return { ...env, GIT_DIR: '.', ...report.cert };
}
function stdinFor(key) {
  const c = cases.find((x) => x.key === key);
  return `${c.old ?? ZERO} ${lastPush[key].commit} ${c.ref}\n`;
}
if (KEEP) {
  for (const key of Object.keys(lastPush)) {
    fs.writeFileSync(
      path.join(root, `replay-${key}.json`),
      JSON.stringify({ env: lastPush[key].report.cert, stdin: stdinFor(key) }, null, 2),
    );
  }
}
const isolated = {};
if (!fs.existsSync('/usr/bin/time'))
  console.log('note: /usr/bin/time is missing (apt-get install time); skipping the node+git-children peak memory run');
else {
  const r = run('/usr/bin/time', ['-v', path.join(hook, 'hooks', 'pre-receive')], {
    cwd: hook,
    env: hookEnvFor('wide'),
    input: stdinFor('wide'),
    check: false,
  });
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(r.stderr);
  isolated.wide = {
    exit: r.code,
    maxRssMB: rss ? Number(rss[1]) / 1024 : null,
    wallS: wall ? Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]) : null,
    how: '/usr/bin/time -v around hooks/pre-receive (max RSS of the largest process: node or a git child)',
  };
  // The push landed already, so its certificate is in the push log: the isolated run judges it in full, then is
  // refused at admission as a replay. Its time and memory are the judging's all the same.
  if (r.code !== 0) console.log(`note: isolated hook run exited ${r.code}: ${r.stderr.split('\n').slice(0, 3).join(' | ')}`);
}

// ---------------------------------------------------------------- phases (in-process replay through the hook's library)

let phases = null;
let profiles = null;
if (PHASES) {
  const { replayPhases, profileReplay } = await import('./lib/hook-phases.mjs');
  phases = {};
  profiles = {};
  for (const key of CASE_KEYS) {
    phases[key] = await replayPhases({
      gitDir: hook,
      env: hookEnvFor(key),
      stdin: stdinFor(key),
      reps: key === 'one' ? 5 : key === 'huge' ? 1 : 3,
    });
    profiles[key] = profileReplay({
      gitDir: hook,
      env: hookEnvFor(key),
      stdin: stdinFor(key),
      outDir: path.join(root, `prof-${key}`),
    });
  }
}

// ---------------------------------------------------------------- report

const f3 = (x) => (x == null ? '-' : x.toFixed(3));
const mark = (t) => (t ? (t.pass ? 'PASS' : 'FAIL') : '');
const rows = [
  ['case', 'tree ops', 'runs', 'plain push s', 'hook push s', 'added s', 'ratio', 'hook proc s', 'hook RSS MB', 'diff-tree -r s', 'target'],
];
if (BASELINE_CLI) rows[0].splice(10, 0, 'baseline: added s', 'proc s', 'RSS MB');
for (const key of CASE_KEYS) {
  const r = results[key];
  const t = r.targets;
  const target = [
    t.addedS && `added < ${t.addedS.limit} s: ${mark(t.addedS)}`,
    t.hookS && `hook < ${t.hookS.limit} s: ${mark(t.hookS)}`,
    t.rssMB && `< ${t.rssMB.limit} MB: ${mark(t.rssMB)}`,
  ]
    .filter(Boolean)
    .join('; ');
  const row = [
    r.title,
    String(r.treeOps),
    String(r.runs),
    f3(r.plainS),
    f3(r.hookS),
    f3(r.addedS),
    `${r.ratio.toFixed(2)}x`,
    f3(r.hookProcessS),
    r.hookMaxRssMB.toFixed(0),
    f3(r.diffTreeS),
    target,
  ];
  if (BASELINE_CLI) row.splice(10, 0, f3(r.baseline.addedS), f3(r.baseline.hookProcessS), r.baseline.hookMaxRssMB.toFixed(0));
  rows.push(row);
}
const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
const line = (row) =>
  '| ' + row.map((c, i) => (i === 0 || i === row.length - 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ') + ' |';
console.log('\nmedians; "hook proc" = the hook process from Node start to exit; RSS = the hook\'s Node process (max over runs)');
console.log(line(rows[0]));
console.log('|' + widths.map((w, i) => (i === 0 || i === widths.length - 1 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|') + '|');
for (const row of rows.slice(1)) console.log(line(row));
if (BASELINE_CLI) console.log(`baseline: the same pushes, in the same runs, to a server whose hook is ${BASELINE}`);
for (const a of Object.values(attacks)) {
  console.log(
    `\nrefused: ${a.title} (${a.packKB.toFixed(0)} KB pack): push ${f3(a.pushS)} s; hook process ${f3(a.hookProcessS)} s, ${a.hookCpuS.toFixed(2)} s CPU, ` +
      `${a.hookMaxRssMB.toFixed(0)} MB` +
      (a.hookTreeMaxRssMB == null
        ? ''
        : `; hook and its git children (/usr/bin/time): ${a.hookTreeWallS} s, max RSS ${a.hookTreeMaxRssMB.toFixed(0)} MB`) +
      `\n  ${a.said.join('\n  ')}`,
  );
}
if (isolated.wide) {
  console.log(
    `\n100k creation, hook run alone under /usr/bin/time -v: ${f3(isolated.wide.wallS)} s wall, max RSS ${isolated.wide.maxRssMB?.toFixed(0)} MB (node or any git child)`,
  );
}
if (phases) {
  console.log("\nwhere the hook's time goes (in-process replay through dist/, median ms; one process, modules loaded once):");
  const names = [...new Set(Object.values(phases).flatMap((p) => Object.keys(p.ms)))];
  const prow = [['phase', ...Object.keys(phases).map((k) => results[k].title.split(' (')[0].split(',')[0])]];
  for (const n of names) prow.push([n, ...Object.values(phases).map((p) => (p.ms[n] == null ? '-' : p.ms[n].toFixed(1)))]);
  const pw = prow[0].map((_, i) => Math.max(...prow.map((row) => row[i].length)));
  for (const row of prow) console.log('  ' + row.map((c, i) => (i === 0 ? c.padEnd(pw[i]) : c.padStart(pw[i]))).join('  '));
}

if (profiles) {
  console.log(
    '\nCPU profile of one hook run (node --cpu-prof dist/hook/main.js, same env and stdin), self ms by area; "(idle)" = waiting on git children or I/O:',
  );
  const areas = [...new Set(Object.values(profiles).flatMap((p) => Object.keys(p.byArea)))];
  const keys = Object.keys(profiles);
  const prow = [['area', ...keys.map((k) => results[k].title.split(' (')[0].split(',')[0])]];
  prow.push(['total (profile span)', ...keys.map((k) => profiles[k].totalMs.toFixed(0))]);
  for (const a of areas) prow.push([a, ...keys.map((k) => (profiles[k].byArea[a] ?? 0).toFixed(0))]);
  const pw = prow[0].map((_, i) => Math.max(...prow.map((row) => row[i].length)));
  for (const row of prow) console.log('  ' + row.map((c, i) => (i === 0 ? c.padEnd(pw[i]) : c.padStart(pw[i]))).join('  '));
  for (const k of ['one', 'wide']) {
    console.log(`\n  top functions by self time, ${results[k].title}:`);
    for (const [fn, ms] of profiles[k].topFunctions.slice(0, 12)) console.log(`    ${ms.toFixed(0).padStart(6)} ms  ${fn}`);
  }
}

const LOAD1 = os.loadavg();
const CPU1 = cpuTicks();
const fmtLoad = (l) => l.map((x) => x.toFixed(1)).join(' ');
let otherShare = null;
if (CPU0 && CPU1) {
  const capacity = (now() - t0) * 100 * os.cpus().length; // USER_HZ ticks available
  otherShare = Math.max(0, CPU1.busy - CPU0.busy - (CPU1.self - CPU0.self)) / capacity;
}
console.log(
  `\nload average at start ${fmtLoad(LOAD0)}, at end ${fmtLoad(LOAD1)} on ${os.cpus().length} CPUs` +
    (otherShare == null ? '' : `; other processes used ${(otherShare * 100).toFixed(0)}% of the machine's CPU during the run`),
);
if (otherShare != null && otherShare > 0.2)
  console.log('warning: the machine was busy with other work during this run; absolute times are inflated (ratios less so)');
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
      },
      quick: QUICK,
      results,
      attacks,
      isolated,
      phases,
      profiles,
      load: { start: LOAD0, end: os.loadavg(), cpus: os.cpus().length, otherCpuShare: otherShare },
      totalS: now() - t0,
    },
    null,
    2,
  ) + '\n',
);
console.log(`\nwrote ${path.relative(process.cwd(), OUT)}; total ${(now() - t0).toFixed(0)} s`);
