// Where the pre-receive hook's time goes: replays one push through the same
// library calls as src/server/pre-receive.ts (runPreReceive), in the same
// order, with a timer around each step. Each replay is a fresh Node process,
// like the real hook (cold module loading, cold openpgp).
//
// Used by bench/push.mjs after a push has landed and its ref was put back:
// the pushed objects and the certificate blob are then in the main object
// store, so the hook's inputs (GIT_PUSH_CERT* and the stdin line) are still
// valid. The result is checked against the real hook (must be accepted).
// There is no quarantine in a replay (the objects have landed), so the object
// checks see the trees the diff walks and the pushed tips, not a listing of
// every pushed object: the real hook lists the quarantine too (one more
// `cat-file --batch-all-objects`, overlapped with the certificate check).
//
// Every git child process the hook starts is timed from spawn to exit by
// wrapping child_process.spawn before dist/ is imported (node:child_process
// named imports follow syncBuiltinESMExports()).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';

const SELF = fileURLToPath(import.meta.url);

/** Runs `reps` fresh replays and returns median milliseconds per phase. */
export async function replayPhases({ gitDir, env, stdin, reps = 3 }) {
  const all = [];
  for (let i = 0; i < reps; i++) {
    const r = spawnSync(process.execPath, [SELF, '--child'], { cwd: gitDir, env, input: stdin, maxBuffer: 1 << 26 });
    const out = r.stdout.toString().trim().split('\n').at(-1);
    if (r.status !== 0 || !out) throw new Error(`phase replay failed (${r.status}): ${r.stderr}`);
    all.push(JSON.parse(out));
  }
  const keys = [...new Set(all.flatMap((x) => Object.keys(x.ms)))];
  const med = (xs) => {
    const a = [...xs].sort((p, q) => p - q);
    const m = a.length >> 1;
    return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
  };
  const ms = {};
  for (const k of keys) ms[k] = med(all.map((x) => x.ms[k] ?? 0));
  return { ms, ops: all[0].ops, spawns: all[0].spawns, samples: all };
}

async function child() {
  const { performance } = await import('node:perf_hooks');
  const cp = await import('node:child_process');
  const { createRequire, syncBuiltinESMExports } = await import('node:module');
  const cjs = createRequire(import.meta.url)('node:child_process');
  const spawns = [];
  const realSpawn = cjs.spawn;
  cjs.spawn = function (cmd, args, opts) {
    const rec = {
      cmd: [cmd, ...(args ?? [])]
        .filter((a) => !String(a).startsWith('--git-dir'))
        .slice(0, 3)
        .join(' '),
      start: performance.now(),
      ms: null,
    };
    spawns.push(rec);
    const ch = realSpawn.call(this, cmd, args, opts);
    ch.once('exit', () => (rec.ms = performance.now() - rec.start));
    return ch;
  };
  syncBuiltinESMExports();
  void cp;

  const ms = {};
  let t = performance.now();
  const lap = (name) => {
    const n = performance.now();
    ms[name] = (ms[name] ?? 0) + (n - t);
    t = n;
  };
  ms['node start (process start to first line)'] = performance.now();
  t = performance.now();

  const dist = new URL('../../dist/', import.meta.url);
  const [
    { readHookConfig },
    { locationFromEnv },
    { openCliStore },
    pf,
    ident,
    judge,
    { parseRefUpdates },
    core,
    ops,
    refNames,
    objectChecks,
  ] = await Promise.all([
    import(new URL('git/exec.js', dist)),
    import(new URL('git/location.js', dist)),
    import(new URL('git/cli-store.js', dist)),
    import(new URL('git/policy-files.js', dist)),
    import(new URL('identity/push-env.js', dist)).then(async (env) => ({
      ...env,
      ...(await import(new URL('identity/push-cert.js', dist))),
      ...(await import(new URL('identity/key-index.js', dist))),
    })),
    import(new URL('push/judge.js', dist)),
    import(new URL('git/ref-updates.js', dist)),
    import(new URL('core/index.js', dist)),
    import(new URL('git/operations.js', dist)),
    import(new URL('push/ref-names.js', dist)),
    import(new URL('push/object-checks.js', dist)),
  ]);
  lap('import modules (openpgp only if the fast path declines, below)');

  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  const updates = parseRefUpdates(Buffer.concat(chunks));
  const certBlob = ident.requireSignedPush(process.env);
  lap('stdin');

  const gitDir = process.env.GIT_DIR ?? '.';
  const config = await readHookConfig(gitDir, process.env);
  const ownerId = config.get('acl.owner')?.at(-1) ?? '';
  lap('git config (acl.*)');

  const store = openCliStore(locationFromEnv(gitDir, process.env), { env: process.env });
  const { listRefsFromFiles } = await import(new URL('server/ref-list.js', dist));
  const refs = listRefsFromFiles(gitDir, process.env) ?? (await store.listRefs());
  const policyTip = refs.get(pf.POLICY_REF)?.oid;
  lap("list refs (from git's files, else for-each-ref)");
  const policy = await pf.readPolicyTree(store, policyTip);
  lap('read policy tree (cat-file)');
  const compiled = judge.compileServerPolicy(policy);
  lap('lint + compile policy');

  const cert = ident.parsePushCert(await store.readBlob(certBlob));
  ident.checkPushEnv(process.env, cert, updates, { pushees: config.get('acl.pushee') ?? [] });
  lap('read + parse certificate');
  // As the hook does: the fast path from what openpgp recorded about the key file, openpgp only when it declines.
  const findKey = ident.createKeyFinder({ paths: policy.keyBlobs.keys(), read: (p) => pf.readKeyBlob(store, policy, p) });
  const { fastIdentify } = await import(new URL('server/fast-identity.js', dist));
  const { resolve } = await import('node:path');
  const fast = await fastIdentify({ cert, findKey, date: new Date(), cacheDir: resolve(gitDir, 'git-acl', 'cache') });
  const pusher = fast ?? (await (await import(new URL('identity/index.js', dist))).verifyPushCert({ cert, findKey, addedKeyFiles: [] }));
  lap(fast ? 'verify signature (fast path, node:crypto)' : 'verify signature (openpgp: the fast path declined)');

  const pushed = await store.pushedObjects();
  lap('list pushed objects (none in a replay)');
  if (refNames.refNameProblems(updates, refs).length) throw new Error('replay: ref name problems');
  lap('ref names');
  const checks = new objectChecks.ObjectChecks(store, pushed);
  const analyses = await ops.analyseUpdates(store, updates, { onTree: checks.onTree });
  lap('peel, is-ancestor, tree walk + checks of new trees');
  if ((await checks.finish(updates)).length) throw new Error('replay: object problems');
  lap('check the other pushed objects');
  const operations = ops.operationsOf(analyses);
  lap('collect operations');
  const decisions = core.evaluate(compiled, { userId: pusher.userId, ownerId }, operations);
  lap('evaluate');
  const accepted = decisions.every((d) => d.allowed);
  await store.close();
  lap('close store');
  if (!accepted) throw new Error('replay: the push was not accepted');
  ms.total = performance.now();
  await new Promise((r) => setTimeout(r, 50)); // let the batch children's exit events arrive

  // Spawn lifetimes overlap the phases above; reported separately.
  const byCmd = {};
  for (const s of spawns) {
    const k = s.cmd.replace(/^git /, '');
    byCmd[k] ??= { n: 0, ms: 0 };
    byCmd[k].n++;
    byCmd[k].ms += s.ms ?? NaN;
  }
  process.stdout.write(JSON.stringify({ ms, ops: operations.length, spawns: byCmd }) + '\n');
}

if (process.argv[2] === '--child') {
  child().then(
    () => process.exit(0),
    (e) => {
      process.stderr.write(String(e?.stack ?? e) + '\n');
      process.exit(1);
    },
  );
}

/**
 * Runs one replay (as replayPhases does) under `node --cpu-prof` with the given push environment and stdin,
 * and sums the profile's self time by area (openpgp, re2js, dist/<dir>, node internals, GC, idle = waiting on
 * git children or I/O) and by function (top `top`). A replay, not the hook itself: the hook would refuse the
 * landed push's certificate again (the push log has it), before the work worth profiling.
 */
export function profileReplay({ gitDir, env, stdin, outDir, top = 15 }) {
  fs.mkdirSync(outDir, { recursive: true });
  const r = spawnSync(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${outDir}`, SELF, '--child'], {
    cwd: gitDir,
    env,
    input: stdin,
    maxBuffer: 1 << 26,
  });
  if (r.status !== 0) throw new Error(`profiled replay exited ${r.status}: ${r.stderr}`);
  const file = fs
    .readdirSync(outDir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort()
    .at(-1);
  const prof = JSON.parse(fs.readFileSync(`${outDir}/${file}`, 'utf8'));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map();
  for (let i = 0; i < prof.samples.length; i++) {
    const dt = (prof.timeDeltas[i] ?? 0) / 1000;
    self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + dt);
  }
  const area = (url, name) => {
    if (!url) return name.startsWith('(') ? name : '(native/builtin)';
    if (url.includes('node_modules/')) return url.split('node_modules/')[1].split('/')[0];
    const m = /\/dist\/([^/]+)\//.exec(url);
    if (m) return `dist/${m[1]}`;
    if (url.startsWith('node:')) return 'node internals';
    return 'other';
  };
  const byArea = {};
  const byFn = new Map();
  for (const [id, ms] of self) {
    const n = byId.get(id);
    const cf = n.callFrame;
    const a = area(cf.url, cf.functionName);
    byArea[a] = (byArea[a] ?? 0) + ms;
    const key =
      `${cf.functionName || '(anonymous)'} ${cf.url ? cf.url.replace(/^.*\/(dist|node_modules)\//, '$1/') + ':' + (cf.lineNumber + 1) : ''}`.trim();
    byFn.set(key, (byFn.get(key) ?? 0) + ms);
  }
  const totalMs = (prof.endTime - prof.startTime) / 1000;
  const sorted = Object.fromEntries(Object.entries(byArea).sort((a, b) => b[1] - a[1]));
  const fns = [...byFn.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  return { totalMs, byArea: sorted, topFunctions: fns, file: `${outDir}/${file}` };
}
