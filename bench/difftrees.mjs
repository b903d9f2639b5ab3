// Measures both stores' diffTrees (and computeOperations) on a 100k-file tree:
// 100 files in each of 1,000 leaf dirs under 10 top dirs (1,011 trees), 1,000
// files modified (one per leaf dir). Not a test: run `npm run bench:trees`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const dist = new URL('../dist/git/', import.meta.url);
const { openCliStore } = await import(new URL('cli-store.js', dist).href);
const { openNodeIsoStore } = await import(new URL('node-fs.js', dist).href);
const { computeOperations } = await import(new URL('operations.js', dist).href);

const dir = mkdtempSync(join(tmpdir(), 'acl-bench-'));
const env = { ...process.env, GIT_DIR: dir, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
const git = (args, input) =>
  execFileSync('git', args, { env, input, maxBuffer: 1 << 30 })
    .toString()
    .trim();
git(['init', '-q', '--bare', dir]);

let fi = '';
const who = 'committer B <b@x> 1700000000 +0000\n';
const msg = (m) => `data ${m.length}\n${m}\n`;
fi += `commit refs/heads/main\nmark :1\n${who}${msg('base')}`;
for (let t = 0; t < 10; t++)
  for (let s = 0; s < 100; s++)
    for (let f = 0; f < 100; f++) {
      const c = `${t}/${s}/${f}\n`;
      fi += `M 100644 inline d${t}/s${s}/f${f}.txt\ndata ${c.length}\n${c}`;
    }
fi += `commit refs/heads/main\nmark :2\n${who}${msg('change')}from :1\n`;
for (let t = 0; t < 10; t++)
  for (let s = 0; s < 100; s++) {
    const c = `changed ${t}/${s}\n`;
    fi += `M 100644 inline d${t}/s${s}/f7.txt\ndata ${c.length}\n${c}`;
  }
const t0 = performance.now();
git(['fast-import', '--quiet'], fi);
console.log(`repo built (fast-import, one pack) in ${(performance.now() - t0).toFixed(0)} ms`);
const base = git(['rev-parse', 'main~1']);
const head = git(['rev-parse', 'main']);
const clean = { ...process.env };
for (const k of Object.keys(clean)) if (k.startsWith('GIT_')) delete clean[k];

async function time(label, open, f, runs = 5) {
  const times = [];
  let n = 0;
  for (let i = 0; i < runs; i++) {
    const s = open();
    const a = performance.now();
    n = (await f(s)).length;
    const cold = performance.now() - a;
    const b = performance.now();
    await f(s);
    const warm = performance.now() - b;
    await s.close();
    times.push([cold, warm]);
  }
  const med = (xs) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  console.log(
    `${label.padEnd(44)} ${String(n).padStart(6)} items  fresh store ${med(times.map((t) => t[0]))
      .toFixed(0)
      .padStart(5)} ms   same store again ${med(times.map((t) => t[1]))
      .toFixed(0)
      .padStart(5)} ms`,
  );
}

const openCli = () => openCliStore(dir, { env: clean });
const openIso = () => openNodeIsoStore({ gitDir: dir });
const diffModified = async (s) => s.diffTrees(await s.commitTree(base), await s.commitTree(head));
const diffCreated = async (s) => s.diffTrees(null, await s.commitTree(head));
const opsModified = (s) => computeOperations(s, [{ oldOid: base, newOid: head, ref: 'refs/heads/main' }]);
const opsCreated = (s) => computeOperations(s, [{ oldOid: '0'.repeat(40), newOid: head, ref: 'refs/heads/new' }]);

await time('git store: diffTrees, 1,000 modified', openCli, diffModified);
await time('iso store: diffTrees, 1,000 modified', openIso, diffModified);
await time('git store: computeOperations, fast-forward', openCli, opsModified);
await time('iso store: computeOperations, fast-forward', openIso, opsModified);
await time('git store: diffTrees from empty (100k created)', openCli, diffCreated, 3);
await time('iso store: diffTrees from empty (100k created)', openIso, diffCreated, 3);
await time('git store: computeOperations, create-branch', openCli, opsCreated, 3);
await time('iso store: computeOperations, create-branch', openIso, opsCreated, 3);
rmSync(dir, { recursive: true, force: true });
