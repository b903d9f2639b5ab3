/**
 * The pre-receive hook's process: stdin and environment in, one report on
 * stderr and an exit code out. Anything that goes wrong, including a bug,
 * rejects the push (exit 1) with one line saying why.
 */
import { hookTimeoutMs, runPreReceive } from '../server/pre-receive.js';
import { formatFailure } from '../push/report.js';
import { errorMessage, oneLine } from '../core/messages.js';
import { killChildren } from '../git/exec.js';
import { abandonLocks } from '../server/log-lock.js';
import { readStdin } from './stdin.js';
import { hookIo } from './io.js';

/** git applies the push only when pre-receive exits 0. */
const ACCEPT = 0;
const REJECT = 1;

/**
 * Only an explicit process.exit(ACCEPT) accepts: were the process ever to end by itself (nothing left to wait for,
 * a promise that never settles), its status is a rejection, not Node's default 0.
 */
process.exitCode = REJECT;

/**
 * Every way out ends the git children the hook started (a wedged one would
 * otherwise outlive it, orphaned), and a refusal gives up the log's lock if
 * this process took it: git applies nothing, and the next push must not wait.
 * An accepted push keeps its lock: it is held until git has written the refs.
 */
process.on('exit', (code) => {
  killChildren();
  if (code !== ACCEPT) abandonLocks();
});

function stop(reason: string): never {
  hookIo.write(formatFailure(reason).join('\n') + '\n');
  process.exit(REJECT);
}

/**
 * hooks/pre-receive runs this process as a child of its shell and names the receive-pack (GIT_ACL_RECEIVE_PACK,
 * the script's parent): the push log's lock is held in its name. Without it, the nearest receive-pack among the
 * ancestors (findReceivePack).
 */
function receivePack(): { receivePackPid?: number } {
  const named = Number(process.env.GIT_ACL_RECEIVE_PACK);
  return Number.isInteger(named) && named > 0 ? { receivePackPid: named } : {};
}

async function main(): Promise<number> {
  try {
    const result = await runPreReceive({
      gitDir: process.env.GIT_DIR ?? '.',
      env: process.env,
      stdin: await readStdin(),
      onTimeLimit: arm,
      exitsAfter: true,
      ...receivePack(),
    });
    if (result.lines.length) hookIo.write(result.lines.join('\n') + '\n');
    return result.accepted ? ACCEPT : REJECT;
  } catch (e) {
    hookIo.write(formatFailure(`internal error: ${oneLine(errorMessage(e), 500)}`).join('\n') + '\n');
    return REJECT;
  }
}

/**
 * git waits for pre-receive as long as it runs; a hook stuck on a wedged child
 * process would hold the push (and the log's lock) for ever. The limit
 * (server/pre-receive.ts hookTimeoutMs: two minutes of judging plus the wait
 * for the log's lock) only ever cuts off a hang, and the push is rejected.
 * GIT_ACL_TEST_HOOK_TIMEOUT_MS, for tests, can only shorten it.
 */
const started = Date.now();
const testLimit = Number(process.env.GIT_ACL_TEST_HOOK_TIMEOUT_MS);
let timer: NodeJS.Timeout | undefined;

function arm(limitMs: number): void {
  const ms = Number.isFinite(testLimit) && testLimit > 0 ? Math.min(limitMs, testLimit) : limitMs;
  if (timer) clearTimeout(timer);
  timer = setTimeout(
    () => stop(`the access check took longer than ${duration(ms)} and was stopped`),
    Math.max(0, started + ms - Date.now()),
  );
  timer.unref();
}

function duration(ms: number): string {
  return ms >= 120_000 && ms % 60_000 === 0 ? `${ms / 60_000} minutes` : `${Math.round(ms / 1000)} s`;
}

arm(hookTimeoutMs());

// Fail closed even on errors that escape the promise chain, and when stopped by a signal.
process.on('uncaughtException', (e) => stop(`internal error: ${oneLine(errorMessage(e), 500)}`));
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => stop(`the access check was stopped (${signal})`));

main().then(
  (code) => {
    // What a warm judge reports as an acceptance (hook/start.ts answerAtExit): this line only, never an exit(0) from
    // anywhere else.
    if (code === ACCEPT) (globalThis as Record<symbol, unknown>)[Symbol.for('git-acl.accepted')] = true;
    process.exit(code);
  },
  () => process.exit(REJECT),
);
