/**
 * node:zlib, loaded on first use. A hook's usual push inflates and deflates nothing itself (git's cat-file reads
 * packed objects, the push log's small objects are stored zlib streams: loose-objects.ts zlibStored), and loading
 * the module costs a few ms of every hook's start (docs/performance.md).
 */
import { createRequire } from 'node:module';

let loaded: typeof import('node:zlib') | undefined;

export function zlib(): typeof import('node:zlib') {
  loaded ??= createRequire(import.meta.url)('node:zlib') as typeof import('node:zlib');
  return loaded;
}
