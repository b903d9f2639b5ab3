/**
 * A git for one push's hook that stops at its first object read inside the
 * push's quarantine (judgement under way) until the test releases it: FIFOs,
 * no sleeps. The attack files that change the server between a push's
 * judgement and its admission share it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { run } from '../../support/forge.js';
import { wrapGit } from '../../support/git-wrapper.js';

export function holdJudgement(root: string, name: string) {
  const dir = path.join(root, `hold-${name}`);
  const readyFifo = path.join(dir, 'ready');
  fs.mkdirSync(dir);
  run('mkfifo', [readyFifo, path.join(dir, 'go')]);
  const wait = `mkdir '${dir}/claimed' 2>/dev/null && { echo held > '${dir}/ready'; read go < '${dir}/go'; }`;
  return {
    env: wrapGit(path.join(root, `git-${name}`), `if [ "$1" = cat-file ] && [ -n "$GIT_QUARANTINE_PATH" ]; then ${wait}; fi`),
    /**
     * Resolves once the push's hook is held. Throws as soon as `push` ends first (it never reached the hold: a
     * refusal before any object read, say), with that push's result, so the test fails with the push's own lines
     * instead of a timeout; the pending read of the FIFO is then ended by opening its other side.
     */
    ready: async (push: Promise<unknown>) => {
      let held = false;
      const reading = fs.promises.readFile(readyFifo).then(() => void (held = true));
      const ended = push.then((result) => {
        if (held) return;
        // Opening the FIFO read-write never blocks (Linux) and ends the pending open; closing it gives the reader EOF.
        fs.closeSync(fs.openSync(readyFifo, fs.constants.O_RDWR));
        throw new Error(`the push ended before its judgement was held: ${JSON.stringify(result)}`);
      });
      await Promise.race([reading, ended]);
      if (!held) await ended;
    },
    release: () => fs.writeFileSync(path.join(dir, 'go'), 'go\n'),
  };
}
