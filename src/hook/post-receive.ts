/** The post-receive hook's process, for what the shell script leaves to git-acl (see post-receive.ts). */
import { runPostReceive } from '../server/post-receive.js';
import { findReceivePack } from '../server/inflight.js';
import { formatWarning } from '../push/report.js';
import { errorMessage, oneLine } from '../core/messages.js';
import { readStdin } from './stdin.js';

/** hooks/post-receive names the receive-pack (it may run this through a pipe, which makes it a grandchild). */
function receivePack(): number {
  const named = Number(process.env.GIT_ACL_RECEIVE_PACK);
  return Number.isInteger(named) && named > 0 ? named : findReceivePack();
}

async function main(): Promise<void> {
  const stdin = await readStdin();
  const lines = await runPostReceive({
    gitDir: process.env.GIT_DIR ?? '.',
    env: process.env,
    stdin,
    receivePackPid: receivePack(),
  });
  if (lines.length) process.stderr.write(`${lines.join('\n')}\n`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`${formatWarning(`post-receive failed: ${oneLine(errorMessage(e), Infinity)}`)}\n`);
    process.exit(0);
  },
);
