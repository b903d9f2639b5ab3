// The push log's costs: what logging adds to a push, and how long `git acl verify`
// takes on a 1,000-entry log from scratch and on 10 new entries.
// Run `npm run build` first; `npm run bench:log` does. Options:
//   --quick   fewer runs and a 200-entry log (smoke test, numbers are not the report's)
//   --keep    keep the temp directory (path printed)
//   --append  the append cost only (skips the verify part)
//
// Method (also in docs/performance.md, "The push log"):
// - Append cost: two servers made by the real `git acl init`, identical but for
//   logging: `nolog.git` is a copy of `log.git` with the log ref and the
//   post-receive hook removed, so its pre-receive admits nothing to a log. Every
//   run pushes a commit neither has seen (a 1-file change to main) to both, in
//   alternating order, then puts main back with update-ref. Each push runs with
//   GIT_TRACE2_EVENT: git itself reports how long each hook process ran
//   (child_exit t_rel), so the hooks' times carry none of the push's noise.
//   Added by the log = pre-receive(log) - pre-receive(nolog) + post-receive(log).
// - Verify: a server whose log is built directly (no hooks): `git acl init`
//   with per-user-branches, an owner-signed policy entry registering 4 users,
//   then N entries in which the users fast-forward their own branches in turn
//   (a 1-file change each). Every certificate is a real one: the payload git
//   would send, signed by gpg with that user's key. A fresh `git clone`, then
//   `git acl verify` (fetch included) from scratch, and again after 10 more
//   entries (incremental). The verify-only time is also measured with
//   `--no-fetch` after removing the checkpoint.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchEnv, notWarm } from './lib/env.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'dist/cli/main.js');
const OUT = path.join(ROOT, 'bench/out/push-log.json');
const argv = new Set(process.argv.slice(2));
const QUICK = argv.has('--quick');
const KEEP = argv.has('--keep');
const APPEND_ONLY = argv.has('--append');
const APPEND_RUNS = QUICK ? 5 : 25;
const ENTRIES = QUICK ? 200 : 1000;
const TARGETS = { appendMs: 20, fullS: 20, incrementalS: 2 };

if (!fs.existsSync(CLI)) {
  console.error(`${CLI} is missing: run \`npm run build\` first (npm run bench:log does)`);
  process.exit(2);
}
const { buildEntry, LOG_REF } = await import(path.join(ROOT, 'dist/push/log-format.js'));
const { writeLooseObjects } = await import(path.join(ROOT, 'dist/server/objects.js'));

const root = fs.mkdtempSync('/tmp/gal-');
const gnupgHome = fs.mkdtempSync('/tmp/g');
fs.chmodSync(gnupgHome, 0o700);
const env = benchEnv({ root, gnupgHome });
fs.writeFileSync(path.join(root, '.gitconfig'), '[init]\n\tdefaultBranch = main\n');
let cleaned = false;
function cleanup() {
  if (cleaned) return;
  cleaned = true;
  spawnSync('gpgconf', ['--kill', 'all'], { env, stdio: 'ignore' });
  if (KEEP) console.log(`kept ${root} (GnuPG home ${gnupgHome})`);
  else {
    fs.rmSync(gnupgHome, { recursive: true, force: true });
    fs.rmSync(root, { recursive: true, force: true });
  }
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => process.exit(130));
process.stdout.on('error', () => undefined);

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: opts.cwd ?? root, env: opts.env ?? env, input: opts.input ?? '', maxBuffer: 1 << 30 });
  if (r.error) throw r.error;
  const out = { code: r.status ?? 1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
  if (opts.check !== false && out.code !== 0)
    throw new Error(`${cmd} ${args.join(' ')} failed (${out.code}): ${out.stderr}${out.stdout}`.slice(0, 4000));
  return out;
}
const now = () => Number(process.hrtime.bigint()) / 1e9;
const median = (xs) => {
  const a = [...xs].sort((x, y) => x - y);
  const m = a.length >> 1;
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
};
const ms = (s) => (s * 1000).toFixed(1);

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
const CPU0 = cpuTicks();
const T0 = now();
console.log(
  `git-acl push-log bench — ${os.cpus().length} CPU(s), node ${process.version}, ${run('git', ['--version']).stdout.trim()}, temp ${root}`,
);

// ---------------------------------------------------------------- keys

function gpg(args, input) {
  return run('gpg', ['--batch', '--yes', '--pinentry-mode', 'loopback', '--passphrase', '', ...args], { input });
}
function newKey(name) {
  gpg(['--quick-gen-key', `${name} <${name}@example.org>`, 'ed25519', 'sign', 'never']);
  const fpr = gpg(['--with-colons', '--list-keys', `${name}@example.org`])
    .stdout.split('\n')
    .find((l) => l.startsWith('fpr:'))
    .split(':')[9];
  return { name, fpr, armored: gpg(['--armor', '--export', fpr]).stdout };
}
const owner = newKey('owner');
fs.writeFileSync(path.join(root, 'owner.asc'), owner.armored);

// ---------------------------------------------------------------- 1. append cost

function trace2Hooks(file) {
  // child_start names the hook; child_exit (same sid and child_id) says how long it ran.
  const starts = new Map();
  const out = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    const e = JSON.parse(line);
    if (e.event === 'child_start' && e.child_class === 'hook') starts.set(`${e.sid}/${e.child_id}`, e.hook_name);
    if (e.event === 'child_exit' && starts.has(`${e.sid}/${e.child_id}`)) out[starts.get(`${e.sid}/${e.child_id}`)] = e.t_rel;
  }
  return out;
}

const logRepo = path.join(root, 'log.git');
const nologRepo = path.join(root, 'nolog.git');
const client = path.join(root, 'client');
run('git', ['init', '-q', '--bare', logRepo]);
run(process.execPath, [CLI, 'init', logRepo, '--owner-key', path.join(root, 'owner.asc')]);
run('git', ['init', '-q', client]);
run('git', ['config', 'user.signingkey', owner.fpr], { cwd: client });
for (let i = 0; i < 100; i++) fs.writeFileSync(path.join(client, `f${i}.txt`), `file ${i}\n`);
run('git', ['add', '-A'], { cwd: client });
run('git', ['commit', '-q', '-m', 'base'], { cwd: client });
const base = run('git', ['rev-parse', 'HEAD'], { cwd: client }).stdout.trim();
run('git', ['push', '-q', '--signed', logRepo, 'HEAD:refs/heads/main'], { cwd: client });
fs.cpSync(logRepo, nologRepo, { recursive: true, filter: notWarm });
run('git', ['--git-dir', nologRepo, 'update-ref', '-d', LOG_REF]);
fs.rmSync(path.join(nologRepo, 'hooks', 'post-receive'));
fs.rmSync(path.join(nologRepo, 'git-acl'), { recursive: true, force: true });

const samples = { log: { wall: [], pre: [], post: [] }, nolog: { wall: [], pre: [] } };
const traceFile = path.join(root, 'trace2.json');
for (let i = -1; i < APPEND_RUNS; i++) {
  fs.writeFileSync(path.join(client, 'f0.txt'), `change ${i} ${Date.now()}\n`);
  run('git', ['commit', '-q', '-am', `change ${i}`], { cwd: client });
  const commit = run('git', ['rev-parse', 'HEAD'], { cwd: client }).stdout.trim();
  const order = i % 2 ? ['log', 'nolog'] : ['nolog', 'log'];
  for (const which of order) {
    const repo = which === 'log' ? logRepo : nologRepo;
    fs.rmSync(traceFile, { force: true });
    const t = now();
    const r = run('git', ['push', '-q', '--signed', repo, `${commit}:refs/heads/main`], {
      cwd: client,
      env: { ...env, GIT_TRACE2_EVENT: traceFile },
      check: false,
    });
    const wall = now() - t;
    if (r.code !== 0) throw new Error(`push to ${which} failed: ${r.stderr}`);
    const hooks = trace2Hooks(traceFile);
    if (i >= 0) {
      samples[which].wall.push(wall);
      samples[which].pre.push(hooks['pre-receive']);
      if (which === 'log') samples.log.post.push(hooks['post-receive']);
    }
  }
  for (const repo of [logRepo, nologRepo]) run('git', ['--git-dir', repo, 'update-ref', 'refs/heads/main', base]);
  run('git', ['reset', '-q', '--hard', base], { cwd: client });
}
// The same work without the push around it: admitPush (what pre-receive adds) called in this process, then the
// installed post-receive script run as receive-pack would run it (this process is its parent, as receive-pack
// is the hook's), each with a fresh real certificate, so nothing but the log's own work is timed.
const { admitPush } = await import(path.join(ROOT, 'dist/server/admit.js'));
const { parsePushCert } = await import(path.join(ROOT, 'dist/identity/push-cert.js'));
const { openCliStore } = await import(path.join(ROOT, 'dist/git/cli-store.js'));
const direct = { admitMs: [], postMs: [] };
{
  const store = openCliStore(logRepo, { env });
  const policy = run('git', ['--git-dir', logRepo, 'rev-parse', 'refs/heads/apps/access-control']).stdout.trim();
  for (let i = -2; i < APPEND_RUNS * 2; i++) {
    const stdin = `${'0'.repeat(40)} ${base} refs/heads/bench-${i + 2}\n`;
    // The usual case on a server: no other push was logged since this push's nonce was issued (this loop
    // logs several a second; a nonce from just after the previous entry keeps the replay check to one entry).
    const seconds = Math.floor(Date.now() / 1000) + 3;
    const payload = `certificate version 0.1\npusher ${owner.fpr} ${seconds} +0000\npushee ${logRepo}\nnonce ${seconds}-${(i + 3).toString(16).padStart(40, '0')}\n\n${stdin}`;
    const text = payload + gpg(['-bsa', '-u', `${owner.fpr}!`], payload).stdout;
    const certBlob = run('git', ['--git-dir', logRepo, 'hash-object', '-w', '--stdin'], { input: text }).stdout.trim();
    const t = now();
    const r = await admitPush({
      gitDir: logRepo,
      env,
      store,
      stdin: Buffer.from(stdin),
      certBlob,
      cert: parsePushCert(Buffer.from(text)),
      policy,
      owner: owner.fpr,
      pusher: owner.fpr,
      judgedAt: new Date(),
      receivePackPid: process.pid,
    });
    const admitS = now() - t;
    if (!r.ok) throw new Error(`admission refused: ${r.reason}`);
    const t2 = now();
    run(path.join(logRepo, 'hooks', 'post-receive'), [], {
      cwd: logRepo,
      env: { ...env, GIT_DIR: '.', GIT_PUSH_CERT: certBlob },
      input: stdin,
    });
    const postS = now() - t2;
    if (i >= 0) {
      direct.admitMs.push(admitS * 1000);
      direct.postMs.push(postS * 1000);
    }
  }
  await store.close();
}
const logged = run('git', ['--git-dir', logRepo, 'rev-list', '--first-parent', '--count', LOG_REF]).stdout.trim();
const append = {
  runs: APPEND_RUNS,
  preLogMs: median(samples.log.pre) * 1000,
  preNologMs: median(samples.nolog.pre) * 1000,
  postMs: median(samples.log.post) * 1000,
  wallLogMs: median(samples.log.wall) * 1000,
  wallNologMs: median(samples.nolog.wall) * 1000,
};
append.addedMs = append.preLogMs - append.preNologMs + append.postMs;
append.wallAddedMs = append.wallLogMs - append.wallNologMs;
append.direct = { runs: direct.admitMs.length, admitMs: median(direct.admitMs), postMs: median(direct.postMs) };
append.direct.addedMs = append.direct.admitMs + append.direct.postMs;
console.log(`append: ${APPEND_RUNS} pushes to each server (log has ${logged} entries)`);
console.log(
  `  the log's own work, ${append.direct.runs} times: admission ${append.direct.admitMs.toFixed(1)} ms + post-receive ${append.direct.postMs.toFixed(1)} ms = ${append.direct.addedMs.toFixed(1)} ms (target < ${TARGETS.appendMs} ms: ${append.direct.addedMs < TARGETS.appendMs ? 'PASS' : 'FAIL'})`,
);
console.log(
  `  pre-receive  median ${append.preLogMs.toFixed(1)} ms with the log, ${append.preNologMs.toFixed(1)} ms without (+${(append.preLogMs - append.preNologMs).toFixed(1)} ms: lock, checks, entry prepared)`,
);
console.log(`  post-receive median ${append.postMs.toFixed(1)} ms (sh + git update-ref)`);
console.log(
  `  through real pushes (trace2 hook times): +${append.addedMs.toFixed(1)} ms; whole push ${append.wallLogMs.toFixed(0)} vs ${append.wallNologMs.toFixed(0)} ms (wall, noisier: ${append.wallAddedMs >= 0 ? '+' : ''}${append.wallAddedMs.toFixed(1)} ms)\n`,
);

if (APPEND_ONLY) {
  // Its own file: bench/out/push-log.json stays the last full run's.
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  const out = OUT.replace(/\.json$/, '-append.json');
  fs.writeFileSync(
    out,
    JSON.stringify({ when: new Date().toISOString(), quick: QUICK, node: process.version, append: { ...append, samples } }, null, 2),
  );
  console.log(`wrote ${path.relative(ROOT, out)}`);
  process.exit(0);
}

// ---------------------------------------------------------------- 2. verify

const users = ['ann', 'ben', 'cat', 'dan'].map(newKey);
const server = path.join(root, 'server.git');
run('git', ['init', '-q', '--bare', server]);
run(process.execPath, [CLI, 'init', server, '--owner-key', path.join(root, 'owner.asc'), '--preset', 'per-user-branches']);
fs.rmSync(path.join(server, 'hooks'), { recursive: true }); // this server's log is written directly below
const sgit = (args, input) => run('git', ['--git-dir', server, ...args], { input }).stdout.trim();
const POLICY_REF = 'refs/heads/apps/access-control';

function signedCertificate(signer, updates, nonceSeconds) {
  const payload = `certificate version 0.1\npusher ${signer.fpr} ${nonceSeconds} +0000\npushee ${server}\nnonce ${nonceSeconds}-${Math.random().toString(16).slice(2).padEnd(13, '0')}${'0'.repeat(27)}\n\n${updates}`;
  const sig = gpg(['-bsa', '-u', `${signer.fpr}!`], payload).stdout;
  return payload + sig;
}

let logTip = sgit(['rev-parse', LOG_REF]);
// Entries follow the start entry (written by init just now) 50 ms apart: the log never goes back in time, nor
// more than a few minutes into the future, and the users' keys (made just before) are valid at every entry.
let clock = Number(sgit(['log', '-1', '--format=%ct', LOG_REF])) * 1000 + 1000;
const state = new Map([[POLICY_REF, sgit(['rev-parse', POLICY_REF])]]);
let entryCount = 1;

async function appendEntry(signer, ref, newOid) {
  clock += 50;
  const old = state.get(ref) ?? '0'.repeat(40);
  const updates = `${old} ${newOid} ${ref}\n`;
  const cert = signedCertificate(signer, updates, Math.floor(clock / 1000) - 1);
  const certBlob = sgit(['hash-object', '-w', '--stdin'], cert);
  const { commit, objects } = await buildEntry({
    meta: {
      version: 1,
      kind: 'push',
      previous: logTip,
      time: clock,
      judgedAt: clock,
      policy: state.get(POLICY_REF),
      owner: owner.fpr,
      pusher: signer.fpr,
      nonce: /^nonce (.*)$/m.exec(cert)[1],
    },
    certificate: certBlob,
    updates: new TextEncoder().encode(updates),
    extraParents: [newOid],
    summary: `push by ${signer.fpr}`,
    algo: 'sha1',
  });
  await writeLooseObjects(path.join(server, 'objects'), objects);
  state.set(ref, newOid);
  logTip = commit;
  entryCount++;
}

// The owner registers the four users (a real policy push: judged, key files checked).
const idx = path.join(root, 'idx');
const ienv = { ...env, GIT_DIR: server, GIT_INDEX_FILE: idx };
run('git', ['read-tree', state.get(POLICY_REF)], { env: ienv });
for (const u of users) {
  const blob = sgit(['hash-object', '-w', '--stdin'], u.armored);
  run('git', ['update-index', '--add', '--cacheinfo', `100644,${blob},keys/${u.fpr}.asc`], { env: ienv });
}
const policyTree = run('git', ['write-tree'], { env: ienv }).stdout.trim();
const policy2 = sgit(['commit-tree', policyTree, '-p', state.get(POLICY_REF), '-m', 'register users']);
await appendEntry(owner, POLICY_REF, policy2);
sgit(['update-ref', POLICY_REF, policy2]);

/** Commits for `count` pushes, round robin over the users, each a 1-file change on the user's branch. */
function makeCommits(count, start) {
  const parts = [];
  for (let i = 0; i < count; i++) {
    const u = users[(start + i) % users.length];
    const ref = `refs/heads/${u.fpr}/work`;
    const from = start > 0 && i < users.length ? `from ${ref}^0\n` : '';
    parts.push(
      `commit ${ref}\nmark :${i + 1}\ncommitter Bench <bench@example.org> ${1767225600 + start + i} +0000\ndata 9\nwork ${String(start + i).padStart(4, '0')}\n${from}M 100644 inline f.txt\ndata ${String(start + i).length + 1}\n${start + i}\n\n`,
    );
  }
  const marks = path.join(root, `marks-${start}`);
  run('git', ['--git-dir', server, 'fast-import', '--quiet', `--export-marks=${marks}`], { input: parts.join('') });
  const byMark = new Map(
    fs
      .readFileSync(marks, 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(' ')),
  );
  return Array.from({ length: count }, (_, i) => ({ user: users[(start + i) % users.length], commit: byMark.get(`:${i + 1}`) }));
}

async function appendPushes(count, start) {
  const tg = now();
  for (const { user, commit } of makeCommits(count, start)) await appendEntry(user, `refs/heads/${user.fpr}/work`, commit);
  sgit(['update-ref', LOG_REF, logTip]);
  return now() - tg;
}

const genS = await appendPushes(ENTRIES - 2, 0); // + start entry + policy entry = ENTRIES
run('git', ['--git-dir', server, 'repack', '-adq']);
console.log(`verify: built a ${entryCount}-entry log (real gpg signatures) in ${genS.toFixed(1)} s`);

const clone = path.join(root, 'clone');
run('git', ['clone', '-q', server, clone]);
const checkpoint = path.join(clone, '.git', 'git-acl', 'verified', 'origin.json');
const timedVerify = (args) => {
  const t = now();
  const r = run(process.execPath, [CLI, 'verify', ...args], { cwd: clone, check: false });
  const s = now() - t;
  if (r.code !== 0) throw new Error(`verify failed (${r.code}): ${r.stdout}${r.stderr}`.slice(0, 3000));
  return { s, out: r.stdout.trim().split('\n')[0] };
};
const full = timedVerify([]);
console.log(`  from scratch, fetch included: ${full.s.toFixed(2)} s — ${full.out}`);
fs.rmSync(checkpoint);
const fullNoFetch = timedVerify(['--no-fetch']);
console.log(
  `  from scratch, --no-fetch:     ${fullNoFetch.s.toFixed(2)} s (${ms(fullNoFetch.s / entryCount)} ms an entry; target < ${TARGETS.fullS} s: ${fullNoFetch.s < TARGETS.fullS ? 'PASS' : 'FAIL'})`,
);

await appendPushes(10, ENTRIES);
const inc = timedVerify([]);
console.log(
  `  10 new entries, fetch included: ${inc.s.toFixed(2)} s (target < ${TARGETS.incrementalS} s: ${inc.s < TARGETS.incrementalS ? 'PASS' : 'FAIL'}) — ${inc.out}`,
);

const CPU1 = cpuTicks();
let others = null;
if (CPU0 && CPU1) {
  const hz = 100;
  const wall = now() - T0;
  others = Math.max(0, (CPU1.busy - CPU0.busy - (CPU1.self - CPU0.self)) / hz / (wall * os.cpus().length));
  console.log(`\nother processes used ${(others * 100).toFixed(0)}% of the machine's CPU during the run (absolute numbers move with it)`);
}
fs.mkdirSync(path.dirname(OUT), { recursive: true });
fs.writeFileSync(
  OUT,
  JSON.stringify(
    {
      when: new Date().toISOString(),
      quick: QUICK,
      node: process.version,
      cpus: os.cpus().length,
      othersCpuShare: others,
      append: { ...append, samples },
      verify: { entries: entryCount, generateS: genS, fullWithFetchS: full.s, fullNoFetchS: fullNoFetch.s, incremental10S: inc.s },
      targets: TARGETS,
    },
    null,
    2,
  ),
);
console.log(`wrote ${path.relative(ROOT, OUT)}`);
