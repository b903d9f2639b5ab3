// Decisions per second of the core evaluator: 100,000 tree ops against
// policies of 10, 1,000 and 10,000 rules (mixed subjects, $user_id, globs,
// deny rules, branch scopes); then a 6,000-group layered graph (lint and membership) and a policy past the
// program budget. Run `npx tsc -p .` first; `npm run bench:core` does.
import { compilePolicy, evaluate, parsePolicy } from '../dist/core/index.js';

const OWNER = 'A'.repeat(40);
const USER = '3F2A9C0B7D1E5F4A8B6C2D0E9F1A3B5C7D9E0F12';
const OTHERS = Array.from({ length: 50 }, (_, i) => i.toString(16).toUpperCase().padStart(2, '0').repeat(20));
const OPS = ['create-file', 'modify', 'delete-file', 'create-directory'];
const BRANCHES = ['refs/heads/main', 'refs/heads/apps/merge-reqs/data', 'refs/heads/dev', `refs/heads/${USER}/wip`];

// A small deterministic PRNG, so every run measures the same policy and names.
function rng(seed) {
  let s = seed >>> 0;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}

function makePolicy(n) {
  const r = rng(n);
  const pick = (a) => a[Math.floor(r() * a.length)];
  const files = [];
  const groupMembers = [...OTHERS.slice(0, 10), USER];
  files.push({ path: 'groups/maintainers.conf', content: groupMembers.join('\n') + '\n' });
  files.push({ path: 'groups/bots.conf', content: OTHERS.slice(10, 20).join('\n') + '\nmaintainers\n' });
  const perFile = 500;
  for (let f = 0; f * perFile < n; f++) {
    const lines = [];
    for (let i = f * perFile; i < Math.min(n, (f + 1) * perFile); i++) {
      if (i % 100 === 0)
        lines.push(pick(['branch ^heads/main$', 'branch glob:heads/apps/**', `branch ^heads/$user_id/.*$`, 'branch ^heads/dev$']));
      const subject = pick(['anyone', 'anyone', 'owner', 'maintainers', 'bots', pick(OTHERS)]);
      const ops = [pick(OPS), r() < 0.3 ? pick(OPS) : null].filter(Boolean);
      const ops2 = [...new Set(ops)].join(',');
      const dir = `d${i}`;
      const pattern = pick([
        `^${dir}/$user_id/[0-9]+/title$`,
        `glob:${dir}/**/*.md`,
        `^${dir}/[^/]+/comments/$user_id/[0-9]+$`,
        `glob:${dir}/$user_id/*`,
        `^${dir}/(a|b|c)+/x$`,
      ]);
      lines.push(`${r() < 0.05 ? 'deny ' : ''}${subject} ${ops2} ${pattern}`);
    }
    files.push({ path: `branches/gen${String(f).padStart(3, '0')}.conf`, content: lines.join('\n') + '\n' });
  }
  return files;
}

function makeOps(n, ruleCount) {
  const r = rng(7);
  const ops = [];
  for (let i = 0; i < n; i++) {
    const d = `d${Math.floor(r() * ruleCount * 1.2)}`;
    const path = [
      `${d}/${USER}/${Math.floor(r() * 100)}/title`,
      `${d}/x/y/readme.md`,
      `${d}/abc/comments/${USER}/${i}`,
      `${d}/${USER}/file${i % 50}`,
      `${d}/${OTHERS[i % 50]}/1/title`,
      `other/${i}/deep/path/name.txt`,
    ][Math.floor(r() * 6)];
    ops.push({ type: 'tree', op: OPS[Math.floor(r() * OPS.length)], branch: BRANCHES[Math.floor(r() * BRANCHES.length)], path });
  }
  return ops;
}

const N_OPS = 100_000;
const rows = [];
for (const n of [10, 1_000, 10_000]) {
  const files = makePolicy(n);
  let t = performance.now();
  const policy = parsePolicy(files);
  const tParse = performance.now() - t;
  const errors = policy.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new Error(`generated policy has errors: ${errors[0].message}`);
  t = performance.now();
  const compiled = compilePolicy(policy);
  const tCompile = performance.now() - t;
  const ops = makeOps(N_OPS, n);
  t = performance.now();
  const decisions = evaluate(compiled, { userId: USER, ownerId: OWNER }, ops);
  const tEval = performance.now() - t;
  // A second push by the same user: the per-user binding and unions are cached.
  t = performance.now();
  evaluate(compiled, { userId: USER, ownerId: OWNER }, ops);
  const tWarm = performance.now() - t;
  const allowed = decisions.filter((d) => d.allowed).length;
  rows.push({
    rules: policy.rules.length,
    'parse ms': tParse.toFixed(0),
    'compile ms': tCompile.toFixed(0),
    'eval 100k ms': tEval.toFixed(0),
    'warm 100k ms': tWarm.toFixed(0),
    'decisions/s': Math.round(N_OPS / (tEval / 1000)).toLocaleString('en-US'),
    allowed,
    denied: N_OPS - allowed,
  });
}
console.log(`git-acl core: ${N_OPS.toLocaleString('en-US')} tree ops per policy (Node ${process.version})`);
console.table(rows);

// The evaluator's part of the owner creating a 100,000-file branch (bench/push.mjs's 100k case): 101,001 allowed
// ops (the branch, 1,000 directories, 100,000 files) against the owner-only default policy, 7 rounds, median. Every
// decision is kept to the end, as the hook keeps them, so what each one holds is what the collector copies.
{
  const { readdirSync, readFileSync } = await import('node:fs');
  const root = new URL('../policies/default/', import.meta.url);
  const files = [];
  for (const dir of readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory())) {
    for (const f of readdirSync(new URL(`${dir.name}/`, root)))
      files.push({ path: `${dir.name}/${f}`, content: readFileSync(new URL(`${dir.name}/${f}`, root), 'utf8') });
  }
  const compiled = compilePolicy(parsePolicy(files));
  const pad = (n, w) => String(n).padStart(w, '0');
  const ops = [{ type: 'ref', op: 'create-branch', ref: 'refs/heads/wide' }];
  for (let d = 0; d < 1000; d++) {
    ops.push({ type: 'tree', op: 'create-directory', branch: 'refs/heads/wide', path: `w/d${pad(d, 4)}` });
    for (let f = 0; f < 100; f++)
      ops.push({ type: 'tree', op: 'create-file', branch: 'refs/heads/wide', path: `w/d${pad(d, 4)}/f${pad(f, 3)}.txt` });
  }
  const times = [];
  for (let i = 0; i < 7; i++) {
    const t = performance.now();
    const decisions = evaluate(compiled, { userId: OWNER, ownerId: OWNER }, ops);
    times.push(performance.now() - t);
    if (!decisions.every((d) => d.allowed)) throw new Error('owner-only policy: an op of the owner was denied');
  }
  const first = times[0];
  times.sort((a, b) => a - b);
  console.log(
    `\n${ops.length.toLocaleString('en-US')} allowed ops (the owner's 100,000-file branch, default policy): first ${first.toFixed(0)} ms, median of 7 ${times[3].toFixed(0)} ms`,
  );
}

// A layered group graph: 120 layers of 50 groups (6,000 groups), each group listing the whole next layer
// (297,500 member lines; 28 KB in git, where each layer's files share one blob). Flattening every group
// took ~50 s; lint and membership are linear in the graph now.
{
  const L = 120;
  const W = 50;
  const files = [];
  for (let l = 0; l < L; l++) {
    for (let w = 0; w < W; w++) {
      const content = l < L - 1 ? Array.from({ length: W }, (_, x) => `g${l + 1}_${x}`).join('\n') + '\n' : `${OTHERS[w]}\n`;
      files.push({ path: `groups/g${l}_${w}.conf`, content });
    }
  }
  files.push({ path: 'refs/a.conf', content: 'g0_0 create-branch ^heads/a$\n' });
  let t = performance.now();
  const policy = parsePolicy(files);
  const tParse = performance.now() - t;
  if (policy.diagnostics.length > 0) throw new Error(`group graph: ${policy.diagnostics[0].message}`);
  t = performance.now();
  const compiled = compilePolicy(policy);
  const tCompile = performance.now() - t;
  const op = [{ type: 'ref', op: 'create-branch', ref: 'refs/heads/a' }];
  t = performance.now();
  const member = evaluate(compiled, { userId: OTHERS[7], ownerId: OWNER }, op)[0].allowed;
  const stranger = evaluate(compiled, { userId: USER, ownerId: OWNER }, op)[0].allowed;
  const tEval = performance.now() - t;
  if (!member || stranger) throw new Error('group graph: wrong membership');
  console.log(
    `\n6,000-group layered graph (297,500 member lines): parse+lint ${tParse.toFixed(0)} ms, compile ${tCompile.toFixed(0)} ms, two pushers judged ${tEval.toFixed(0)} ms`,
  );
}

// A costly policy: 100 rules whose patterns each compile to ~18,000 RE2 instructions. The policy's program
// budget (1,000,000 instructions) stops parsing at the 56th, so a hostile policy costs bounded compile time.
{
  const lines = Array.from({ length: 100 }, (_, i) => `anyone create-branch ^heads/k${i}/${'[ab]{1000}'.repeat(18)}$`);
  const t = performance.now();
  const policy = parsePolicy([{ path: 'refs/costly.conf', content: lines.join('\n') + '\n' }]);
  const ms = performance.now() - t;
  const refused = policy.diagnostics.find((d) => d.code === 'policy-too-costly');
  if (refused === undefined) throw new Error('costly policy: not refused');
  console.log(
    `100 costly rules (~18,000 instructions each): refused (${refused.code} at line ${refused.line}) after ${ms.toFixed(0)} ms of parsing`,
  );
}
