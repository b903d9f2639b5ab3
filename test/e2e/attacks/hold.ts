/**
 * Holds for the tests that change the server while a push is under way (the attack files here and
 * test/e2e/concurrency.test.ts): FIFOs, no sleeps. A hold is a
 * directory with two FIFOs; the first process of the push that reaches it (a wrapped git, a hook) claims it, says
 * `ready` and waits for `go`. `holdJudgement` is the usual one: a git for one push's hook that stops at its first
 * object read inside the push's quarantine (judgement under way) until the test releases it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { run } from '../../support/forge.js';
import { wrapGit } from '../../support/git-wrapper.js';

export interface Hold {
  dir: string;
  /**
   * Resolves once the push reached the hold. Throws as soon as `push` ends first (it never reached the hold: a
   * refusal before any object read, say), with that push's result, so the test fails with the push's own lines
   * instead of a timeout; the pending read of the FIFO is then ended by opening its other side.
   */
  ready(push: Promise<unknown>): Promise<void>;
  release(): void;
}

export function makeHold(root: string, name: string): Hold {
  const dir = path.join(root, `hold-${name}`);
  const readyFifo = path.join(dir, 'ready');
  fs.mkdirSync(dir);
  run('mkfifo', [readyFifo, path.join(dir, 'go')]);
  return {
    dir,
    ready: async (push) => {
      let held = false;
      // Opening a FIFO blocks until the other end opens it: done on libuv's thread pool, the test's loop stays free.
      const reading = fs.promises.readFile(readyFifo).then(() => void (held = true));
      const ended = push.then((result) => {
        if (held) return;
        // Opening the FIFO read-write never blocks (Linux) and ends the pending open; closing it gives the reader EOF.
        fs.closeSync(fs.openSync(readyFifo, fs.constants.O_RDWR));
        throw new Error(`the push ended before it reached the hold ${name}: ${JSON.stringify(result)}`);
      });
      await Promise.race([reading, ended]);
      if (!held) await ended;
    },
    release: () => fs.writeFileSync(path.join(dir, 'go'), 'go\n'),
  };
}

/** The shell line that stops at `hold`: claim it (first comer only), say ready, wait for go. */
export const waitAt = (hold: Hold): string =>
  `mkdir '${hold.dir}/claimed' 2>/dev/null && { echo held > '${hold.dir}/ready'; read go < '${hold.dir}/go'; }`;

/**
 * The environment of a git for one push's hook that waits at `hold` at its first object read inside the quarantine.
 * The hook's loader starts its `cat-file` before the hook has read anything (src/server/early-children.ts), so
 * the wait is at the first request the hook writes to a cat-file, not at its start: the wrapper reads that line,
 * waits, then hands it and the rest of its input to git. A cat-file that is never asked anything (an early child
 * the hook does not take, `--batch-all-objects`) never claims the hold.
 */
export function judgementHeldAt(root: string, hold: Hold): NodeJS.ProcessEnv {
  return wrapGit(
    path.join(root, `git-${path.basename(hold.dir)}`),
    `if [ "$1" = cat-file ] && [ -n "$GIT_QUARANTINE_PATH" ]; then
  if IFS= read -r first; then
    ${waitAt(hold)}
    { printf '%s\n' "$first"; exec cat; } | exec "$REAL_GIT" "$@"
    exit
  fi
fi`,
  );
}

/** A hold inside the judgement of the push made with `env`. */
export function holdJudgement(root: string, name: string): Hold & { env: NodeJS.ProcessEnv } {
  const hold = makeHold(root, name);
  return { ...hold, env: judgementHeldAt(root, hold) };
}
