/**
 * node:child_process, loaded on first use. A hook whose git children the hook script started (server/
 * early-children.ts) usually spawns nothing, and the module costs ~1 ms of a cold start (docs/performance.md).
 */
import { createRequire } from 'node:module';

let loaded: typeof import('node:child_process') | undefined;

export function childProcess(): typeof import('node:child_process') {
  loaded ??= createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
  return loaded;
}
