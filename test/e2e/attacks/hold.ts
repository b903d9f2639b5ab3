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
  fs.mkdirSync(dir);
  run('mkfifo', [path.join(dir, 'ready'), path.join(dir, 'go')]);
  const wait = `mkdir '${dir}/claimed' 2>/dev/null && { echo held > '${dir}/ready'; read go < '${dir}/go'; }`;
  return {
    env: wrapGit(path.join(root, `git-${name}`), `if [ "$1" = cat-file ] && [ -n "$GIT_QUARANTINE_PATH" ]; then ${wait}; fi`),
    ready: async () => void (await fs.promises.readFile(path.join(dir, 'ready'))),
    release: () => fs.writeFileSync(path.join(dir, 'go'), 'go\n'),
  };
}
