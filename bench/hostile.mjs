// Hostile input against the hook and against the client: what each costs before it is refused.
// Run `npm run build` first; `npm run bench:hostile` does. Option: --keep (keep the temp directory).
//
// The hook (real signed pushes through the installed pre-receive hook):
//   - an unregistered pusher's policy push holding a 400 MiB rule file (a ~1 MB pack);
//   - an unregistered pusher's policy push whose keys/ holds 20,000 entries (one blob);
//   - an unregistered pusher's policy push whose groups form a 6,000-group layered graph
//     (120 layers of 50, each group naming the whole next layer; each layer's files one blob);
//   - the same three by a registered user the policy gives no right to change the policy.
// The client (`git acl preview` against a hostile remote, as the pre-push hook runs it):
//   - the remote's policy holds a 50 MiB rule file;
//   - the remote's policy holds 100 costly rules (patterns of ~18,000 RE2 instructions each);
//   - the remote's policy holds 100 patterns of 800,000 instructions each.
// Each must be refused; the target is 2 s and 200 MB for the git-acl process.
//
// Method: the git-acl process (hook or CLI) is measured from inside, with NODE_OPTIONS=--import=<reporter>:
// at exit it writes the time since its process started and process.resourceUsage().maxRSS. The git
// children (cat-file, fetch, pack-objects, index-pack) are not included: they are git's cost, and with
// bounded reads cat-file never inflates the large blob (it is asked for its size only). The time to build
// and send the pack is not included either. Numbers from a shared machine are indicative; the script
// prints the load.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { benchEnv } from './lib/env.mjs';
import { gpgKey } from './lib/gpg.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'dist/cli/main.js');
const KEEP = process.argv.includes('--keep');
const TARGET = { s: 2, mb: 200 };
const MiB = 1024 * 1024;

if (!fs.existsSync(CLI)) {
  console.error(`${CLI} is missing: run \`npm run build\` first`);
  process.exit(2);
}

const root = fs.mkdtempSync('/tmp/gah-');
const gnupgHome = fs.mkdtempSync('/tmp/g');
fs.chmodSync(gnupgHome, 0o700);
fs.writeFileSync(path.join(gnupgHome, 'gpg-agent.conf'), 'allow-loopback-pinentry\n');
const env = benchEnv({ root, gnupgHome });
fs.writeFileSync(path.join(root, '.gitconfig'), '[init]\n\tdefaultBranch = main\n');
process.on('exit', () => {
  spawnSync('gpgconf', ['--kill', 'all'], { env, stdio: 'ignore' });
  fs.rmSync(gnupgHome, { recursive: true, force: true });
  if (KEEP) console.log(`kept ${root}`);
  else fs.rmSync(root, { recursive: true, force: true });
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: opts.cwd ?? root, env: opts.env ?? env, input: opts.input ?? '', maxBuffer: 1 << 30 });
  if (r.error) throw r.error;
  const out = { code: r.status ?? 1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
  if (opts.check !== false && out.code !== 0)
    throw new Error(`${cmd} ${args.join(' ')} failed (${out.code}): ${out.stderr}`.slice(0, 3000));
  return out;
}
const git = (dir, args, opts = {}) => run('git', args, { ...opts, cwd: dir });

const log = path.join(root, 'report.jsonl');
const reporter = path.join(root, 'reporter.mjs');
fs.writeFileSync(
  reporter,
  `import { appendFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
const file = process.env.GAH_LOG;
if (file) process.on('exit', (code) => {
  const ru = process.resourceUsage();
  appendFileSync(file, JSON.stringify({ argv: process.argv.slice(1).join(' '), code, wallS: performance.now() / 1000, cpuS: (ru.userCPUTime + ru.systemCPUTime) / 1e6, maxRssMB: ru.maxRSS / 1024 }) + '\\n');
});
`,
);
const measured = { ...env, NODE_OPTIONS: `--import=${pathToFileURL(reporter).href}`, GAH_LOG: log };
function reports() {
  const lines = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n').filter(Boolean) : [];
  fs.rmSync(log, { force: true });
  return lines.map((l) => JSON.parse(l));
}

const genKey = (name) => gpgKey(run, name);

/** A blob of `bytes` bytes of `line` repeated, written without holding it in memory. */
function bigBlob(dir, bytes, line) {
  const r = spawnSync('sh', ['-c', `yes '${line}' | head -c ${bytes} | git hash-object -w --stdin`], { cwd: dir, env, maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`big blob: ${r.stderr}`);
  return r.stdout.toString().trim();
}

/** A tree from `<mode> <type> <oid>\t<name>` lines. */
function mktree(dir, lines) {
  return git(dir, ['mktree'], { input: `${lines.join('\n')}\n` }).stdout.trim();
}

/** A policy commit: the server's current policy tree with `dir/` replaced or added (its entries `extra`). */
function policyWith(dir, parent, top, extra) {
  const base = git(dir, ['ls-tree', parent])
    .stdout.trim()
    .split('\n')
    .filter((l) => !l.endsWith(`\t${top}`));
  const tree = mktree(dir, [...base, `040000 tree ${mktree(dir, extra)}\t${top}`]);
  return git(dir, ['commit-tree', tree, '-p', parent, '-m', `hostile ${top}`]).stdout.trim();
}

// ---------------------------------------------------------------- setup

const t0 = Date.now();
const load0 = os.loadavg();
console.log(
  `git-acl hostile-input bench — ${os.cpus().length} CPU(s), node ${process.version}, ${run('git', ['--version']).stdout.trim()}`,
);
const owner = genKey('owner');
const mallory = genKey('mallory'); // never registered
const bob = genKey('bob'); // registered, no rights on the policy
fs.writeFileSync(path.join(root, 'owner.asc'), owner.armored);
const server = path.join(root, 'server.git');
run('git', ['init', '-q', '--bare', server]);
run(process.execPath, [CLI, 'init', server, '--owner-key', path.join(root, 'owner.asc')]);

function clone(name, key) {
  const dir = path.join(root, name);
  run('git', ['clone', '-q', server, dir]);
  for (const [k, v] of [
    ['user.signingkey', key.fpr],
    ['user.name', name],
    ['user.email', `${name}@example.org`],
  ])
    git(dir, ['config', k, v]);
  return dir;
}
const ownerDir = clone('owner', owner);
// Register bob (the owner adds his key).
{
  const tip = git(ownerDir, ['rev-parse', 'origin/apps/access-control']).stdout.trim();
  const keys = git(ownerDir, ['ls-tree', `${tip}:keys`])
    .stdout.trim()
    .split('\n');
  const bobKey = git(ownerDir, ['hash-object', '-w', '--stdin'], { input: bob.armored }).stdout.trim();
  const c = policyWith(ownerDir, tip, 'keys', [...keys, `100644 blob ${bobKey}\t${bob.fpr}.asc`]);
  git(ownerDir, ['push', '--signed', '-q', 'origin', `${c}:refs/heads/apps/access-control`]);
}
const malloryDir = clone('mallory', mallory);
const bobDir = clone('bob', bob);
console.log(`setup ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);

// ---------------------------------------------------------------- the hook

function hostileCommits(dir) {
  const tip = git(dir, ['rev-parse', 'origin/apps/access-control']).stdout.trim();
  const huge = bigBlob(dir, 400 * MiB, '# a line of a policy file that is far too large to read');
  const junkKey = git(dir, ['hash-object', '-w', '--stdin'], {
    input: '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\njunk\n-----END PGP PUBLIC KEY BLOCK-----\n',
  }).stdout.trim();
  const keys = git(dir, ['ls-tree', `${tip}:keys`])
    .stdout.trim()
    .split('\n');
  const flood = Array.from(
    { length: 20_000 },
    (_, i) => `100644 blob ${junkKey}\t${(0x10000000 + i).toString(16).toUpperCase().padStart(40, 'F')}.asc`,
  );
  const layers = [];
  for (let l = 0; l < 120; l++) {
    const content = l < 119 ? Array.from({ length: 50 }, (_, x) => `g${l + 1}_${x}`).join('\n') + '\n' : `${owner.fpr}\n`;
    layers.push(git(dir, ['hash-object', '-w', '--stdin'], { input: content }).stdout.trim());
  }
  const groups = [];
  for (let l = 0; l < 120; l++) for (let w = 0; w < 50; w++) groups.push(`100644 blob ${layers[l]}\tg${l}_${w}.conf`);
  return {
    '400 MiB rule file': policyWith(dir, tip, 'refs', [
      ...git(dir, ['ls-tree', `${tip}:refs`])
        .stdout.trim()
        .split('\n'),
      `100644 blob ${huge}\thuge.conf`,
    ]),
    '20,000-entry keys/ flood': policyWith(dir, tip, 'keys', [...keys, ...flood]),
    '6,000-group graph': policyWith(dir, tip, 'groups', groups),
  };
}

const rows = [];
function record(where, name, r, rep) {
  const ok = rep && rep.wallS <= TARGET.s && rep.maxRssMB <= TARGET.mb;
  rows.push({
    where,
    case: name,
    refused: r.code !== 0 ? 'yes' : 'NO',
    's (git-acl)': rep ? rep.wallS.toFixed(2) : '?',
    'cpu s': rep ? rep.cpuS.toFixed(2) : '?',
    'max RSS MB': rep ? rep.maxRssMB.toFixed(0) : '?',
    [`within ${TARGET.s} s / ${TARGET.mb} MB`]: ok ? 'yes' : 'NO',
  });
  lines.push(`${where} / ${name}: ${r.line}`);
}
const lines = [];

for (const [who, dir] of [
  ['unregistered pusher', malloryDir],
  ['registered, no rights', bobDir],
]) {
  for (const [name, commit] of Object.entries(hostileCommits(dir))) {
    reports();
    const r = git(dir, ['push', '--signed', '--porcelain', 'origin', `${commit}:refs/heads/apps/access-control`], {
      env: measured,
      check: false,
    });
    // The hook runs as dist/hook/start.cjs (the bundle's loader), or dist/hook/main.js on the plain path.
    const hook = reports().find((x) => /hook\/(start\.cjs|main\.js)/.test(x.argv));
    const line = r.stderr
      .split('\n')
      .filter((l) => l.startsWith('remote: '))
      .slice(0, 2)
      .join(' | ')
      .slice(0, 300);
    record(`hook, ${who}`, name, { code: r.code, line }, hook);
  }
}

// ---------------------------------------------------------------- the client

function serve(commit, from) {
  git(server, ['fetch', '-q', from, `${commit}:refs/bench-staging`]);
  git(server, ['update-ref', 'refs/heads/apps/access-control', commit]);
  git(server, ['update-ref', '-d', 'refs/bench-staging']);
}
const goodPolicy = git(server, ['rev-parse', 'refs/heads/apps/access-control']).stdout.trim();
const work = (() => {
  const blob = git(bobDir, ['hash-object', '-w', '--stdin'], { input: 'work\n' }).stdout.trim();
  return git(bobDir, ['commit-tree', mktree(bobDir, [`100644 blob ${blob}\twork.txt`]), '-m', 'work']).stdout.trim();
})();
const costly = (size) => {
  const parts = Math.round(size / 1000);
  return Array.from({ length: 100 }, (_, i) => `anyone create-branch ^heads/k${i}/${'[ab]{1000}'.repeat(parts)}$`).join('\n') + '\n';
};
const clientCases = {
  '50 MiB rule file': () => bigBlob(ownerDir, 50 * MiB, '# a rule file far too large to read'),
  '100 costly rules (~18,000 instructions each)': () =>
    git(ownerDir, ['hash-object', '-w', '--stdin'], { input: costly(18_000) }).stdout.trim(),
  '100 rules of 800,000 instructions each': () => git(ownerDir, ['hash-object', '-w', '--stdin'], { input: costly(800_000) }).stdout.trim(),
};
git(ownerDir, ['fetch', '-q', 'origin']);
for (const [name, blob] of Object.entries(clientCases)) {
  const tip = git(ownerDir, ['rev-parse', 'origin/apps/access-control']).stdout.trim();
  const refs = git(ownerDir, ['ls-tree', `${tip}:refs`])
    .stdout.trim()
    .split('\n');
  serve(policyWith(ownerDir, tip, 'refs', [...refs, `100644 blob ${blob()}\thostile.conf`]), ownerDir);
  reports();
  const r = run(process.execPath, [CLI, 'preview', 'origin', `${work}:refs/heads/${bob.fpr}/x`], {
    cwd: bobDir,
    env: measured,
    check: false,
  });
  const rep = reports().find((x) => x.argv.includes('cli/main.js'));
  record('preview', name, { code: r.code, line: (r.stdout + r.stderr).split('\n')[0].slice(0, 300) }, rep);
  git(server, ['update-ref', 'refs/heads/apps/access-control', goodPolicy]);
}

const load1 = os.loadavg();
console.table(rows);
console.log('\nwhat each was told (first lines):');
for (const l of lines) console.log(`  ${l}`);
console.log(
  `\nload average (1 min) at start ${load0[0].toFixed(2)}, at end ${load1[0].toFixed(2)}; total ${((Date.now() - t0) / 1000).toFixed(0)} s`,
);
if (rows.some((r) => r.refused !== 'yes')) process.exitCode = 1;
