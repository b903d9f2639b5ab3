// Paired A/B of the push log's own work (what bench/push-log.mjs times directly): admitPush called in this process,
// then the installed post-receive script run as receive-pack runs it, for two git-acl installs alternating push by
// push, each on its own server made by its own `git acl init`. On a busy machine the load moves both alike, so the
// paired differences are what to read.
//
//   node bench/push-log-ab.mjs --a <install> --b <install> [--runs 30] [--update]
//
// An install is a directory holding a built dist/ (see bench/hook-ab.mjs). Each push creates a ref (admission then
// lists every ref), or with --update moves the policy branch to where it is (only the named ref is read).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { benchEnv } from './lib/env.mjs';
const args = process.argv.slice(2);
const opt = (k, d) => {
  const i = args.indexOf(k);
  return i >= 0 ? args[i + 1] : d;
};
const INST = { A: opt('--a'), B: opt('--b') };
if (!INST.A || !INST.B || Object.values(INST).some((d) => !fs.existsSync(path.join(d, 'dist/server/admit.js')))) {
  console.error('usage: node bench/push-log-ab.mjs --a <install> --b <install> [--runs 30] [--update]: each install needs a built dist/');
  process.exit(2);
}
const RUNS = Number(opt('--runs', '30'));
const CREATE = !args.includes('--update');
const root = fs.mkdtempSync('/tmp/gal-ab-');
const gnupgHome = fs.mkdtempSync('/tmp/g');
fs.chmodSync(gnupgHome, 0o700);
const env = benchEnv({ root, gnupgHome });
process.on('exit', () => {
  spawnSync('gpgconf', ['--kill', 'all'], { env, stdio: 'ignore' });
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(gnupgHome, { recursive: true, force: true });
});
fs.writeFileSync(path.join(root, '.gitconfig'), '[init]\n\tdefaultBranch = main\n');
const run = (cmd, args, o = {}) => {
  const r = spawnSync(cmd, args, { cwd: o.cwd ?? root, env: o.env ?? env, input: o.input ?? '' });
  if (r.status !== 0) throw new Error(cmd + ' ' + args.join(' ') + r.stderr);
  return r.stdout.toString();
};
const gpg = (args, input) => run('gpg', ['--batch', '--yes', '--pinentry-mode', 'loopback', '--passphrase', '', ...args], { input });
gpg(['--quick-gen-key', 'o <o@e.org>', 'ed25519', 'sign', 'never']);
const fpr = gpg(['--with-colons', '--list-keys', 'o@e.org'])
  .split('\n')
  .find((l) => l.startsWith('fpr:'))
  .split(':')[9];
fs.writeFileSync(path.join(root, 'owner.asc'), gpg(['--armor', '--export', fpr]));
const S = {};
for (const [k, dir] of Object.entries(INST)) {
  const repo = path.join(root, `${k}.git`);
  run('git', ['init', '-q', '--bare', repo]);
  run(process.execPath, [path.join(dir, 'dist/cli/main.js'), 'init', repo, '--owner-key', path.join(root, 'owner.asc')]);
  const { admitPush } = await import(path.join(dir, 'dist/server/admit.js'));
  const { parsePushCert } = await import(path.join(dir, 'dist/identity/push-cert.js'));
  const { openCliStore } = await import(path.join(dir, 'dist/git/cli-store.js'));
  S[k] = {
    repo,
    admitPush,
    parsePushCert,
    store: openCliStore(repo, { env }),
    admit: [],
    post: [],
    policy: run('git', ['--git-dir', repo, 'rev-parse', 'refs/heads/apps/access-control']).trim(),
  };
}
for (let i = -3; i < RUNS; i++) {
  const order = i % 2 ? ['A', 'B'] : ['B', 'A'];
  for (const k of order) {
    const s = S[k];
    const tip = s.policy;
    const stdin = CREATE ? `${'0'.repeat(40)} ${tip} refs/heads/bench-${i + 3}\n` : `${tip} ${tip} refs/heads/apps/access-control\n`;
    const seconds = Math.floor(Date.now() / 1000) + 3;
    const payload = `certificate version 0.1\npusher ${fpr} ${seconds} +0000\npushee ${s.repo}\nnonce ${seconds}-${(i + 4).toString(16).padStart(40, '0')}\n\n${stdin}`;
    const text = payload + gpg(['-bsa', '-u', `${fpr}!`], payload);
    const certBlob = run('git', ['--git-dir', s.repo, 'hash-object', '-w', '--stdin'], { input: text }).trim();
    const t = performance.now();
    const r = await s.admitPush({
      gitDir: s.repo,
      env,
      store: s.store,
      stdin: Buffer.from(stdin),
      certBlob,
      cert: s.parsePushCert(Buffer.from(text)),
      policy: tip,
      owner: fpr,
      pusher: fpr,
      judgedAt: new Date(),
      receivePackPid: process.pid,
    });
    const a = performance.now() - t;
    if (!r.ok) throw new Error(r.reason);
    const t2 = performance.now();
    run(path.join(s.repo, 'hooks', 'post-receive'), [], {
      cwd: s.repo,
      env: { ...env, GIT_DIR: '.', GIT_PUSH_CERT: certBlob },
      input: stdin,
    });
    const p = performance.now() - t2;
    if (i >= 0) {
      s.admit.push(a);
      s.post.push(p);
    }
  }
}
const med = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
for (const k of ['A', 'B']) {
  const s = S[k];
  await s.store.close();
  console.log(
    `${k} ${INST[k]}: admission ${med(s.admit).toFixed(1)} ms + post-receive ${med(s.post).toFixed(1)} ms = ${med(s.admit.map((a, i) => a + s.post[i])).toFixed(1)} ms (${s.admit.length} pushes, ${CREATE ? 'each creating a ref' : 'each updating a ref'})`,
  );
}
const d = S.B.admit.map((a, i) => a + S.B.post[i] - S.A.admit[i] - S.A.post[i]);
console.log(
  `paired difference B - A: median ${med(d).toFixed(1)} ms; B faster in ${d.filter((x) => x < 0).length} of ${d.length}; admission alone ${med(S.B.admit.map((a, i) => a - S.A.admit[i])).toFixed(1)} ms`,
);
