/** Tests drive the built binary and hook (dist/): build once before any test file runs, if src/ is newer. */
import { ensureBuilt } from './env.js';

export default function setup(): void {
  ensureBuilt();
}
