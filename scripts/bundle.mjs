// Builds the hooks' start path from tsc's output (`npm run build` runs it after tsc):
// - dist/hook/bundle.cjs: both hook processes and all they import (openpgp, re2js) as one CommonJS file, the
//   file src/hook/start.ts compiles with a V8 code cache;
// - dist/hook/start.cjs: that loader itself, as CommonJS (Node starts a CommonJS entry faster than an ES module).
// Both are made from dist/*.js, the very code the plain path (`node dist/hook/main.js`) runs.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // Minified: less source to read, hash and scan for the functions compiled lazily (~4 ms of CPU a push, measured
  // interleaved). keepNames would give that back; nothing in git-acl or its dependencies reads a function's or a
  // class's name (errors carry explicit names), and the messages pushers see are git-acl's own strings.
  minify: true,
  // openpgp calls createRequire(import.meta.url): give CommonJS code the URL of the file it runs from.
  define: { 'import.meta.url': '__gitAclFileUrl' },
  banner: { js: 'var __gitAclFileUrl = require("node:url").pathToFileURL(__filename).href;' },
  logLevel: 'warning',
  legalComments: 'none',
};
await build({ ...common, entryPoints: [join(root, 'dist/hook/bundle.js')], outfile: join(root, 'dist/hook/bundle.cjs') });
await build({ ...common, entryPoints: [join(root, 'dist/hook/start.js')], outfile: join(root, 'dist/hook/start.cjs') });
// Caches made from an earlier bundle would be refused anyway (their header names another bundle); drop them.
rmSync(join(root, 'dist/hook/cache'), { recursive: true, force: true });
