/**
 * The pre-receive hook's process: stdin and environment in, one report on
 * stderr and an exit code out. Anything that goes wrong, including a bug,
 * rejects the push (exit 1) with one line saying why.
 */
import { runPreReceive } from '../server/pre-receive.js';
import { formatFailure } from '../push/report.js';
import { errorMessage, oneLine } from '../core/messages.js';

/** git applies the push only when pre-receive exits 0. */
const ACCEPT = 0;
const REJECT = 1;

async function readStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** hooks/pre-receive runs this process as a child of its shell and names the receive-pack (git's pid for the push log). */
function receivePack(): number {
  const named = Number(process.env.GIT_ACL_RECEIVE_PACK);
  return Number.isInteger(named) && named > 0 ? named : process.ppid;
}

async function main(): Promise<number> {
  try {
    const result = await runPreReceive({ gitDir: process.env.GIT_DIR ?? '.', env: process.env, stdin: await readStdin(), receivePackPid: receivePack() });
    if (result.lines.length) process.stderr.write(result.lines.join('\n') + '\n');
    return result.accepted ? ACCEPT : REJECT;
  } catch (e) {
    process.stderr.write(formatFailure(`internal error: ${oneLine(errorMessage(e), 500)}`).join('\n') + '\n');
    return REJECT;
  }
}

/**
 * git waits for pre-receive as long as it runs; a hook stuck on a wedged child
 * process would hold the push (and its ref locks) forever. Judging a
 * 100,000-file push takes about a second, so ten minutes only ever cuts off a
 * hang, and the push is rejected.
 */
const TIMEOUT_MS = 10 * 60 * 1000;
setTimeout(() => {
  process.stderr.write(formatFailure(`the access check took longer than ${TIMEOUT_MS / 60000} minutes and was stopped`).join('\n') + '\n');
  process.exit(REJECT);
}, TIMEOUT_MS).unref();

// Fail closed even on errors that escape the promise chain.
process.on('uncaughtException', (e) => {
  process.stderr.write(formatFailure(`internal error: ${oneLine(errorMessage(e), 500)}`).join('\n') + '\n');
  process.exit(REJECT);
});

main().then(
  (code) => process.exit(code),
  () => process.exit(REJECT),
);
