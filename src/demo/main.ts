/**
 * `npm run demo`: a throwaway forge with real keys and real signed pushes.
 *
 * Olivia owns a bare repository protected by git-acl; Alice and Bob register
 * their own keys, work on per-user branches and in a shared directory, and
 * try a few things the policy forbids. Every command is really run and
 * printed with what the server answered. The demo checks each outcome and
 * exits 1 if any push was not judged as the story expects.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI_ENTRY } from '../package-root.js';
import { errorMessage } from '../core/messages.js';

const tty = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: string) => (s: string) => (tty ? `\x1b[${code}m${s}\x1b[0m` : s);
const bold = paint('1');
const dim = paint('2');
const green = paint('32');
const red = paint('31');

interface Person {
  name: string;
  fpr: string;
  clone: string;
}

const root = mkdtempSync(join(tmpdir(), 'git-acl-demo-'));
const gnupg = mkdtempSync('/tmp/gd'); // short: gpg-agent's socket lives here
const env: NodeJS.ProcessEnv = { ...process.env, GNUPGHOME: gnupg, HOME: root, GIT_CONFIG_NOSYSTEM: '1', LC_ALL: 'C' };
for (const k of Object.keys(env)) if (k.startsWith('GIT_') && k !== 'GIT_CONFIG_NOSYSTEM') delete env[k];
const server = join(root, 'server.git');
let failures = 0;
let accepted = 0;
let rejected = 0;

function sh(cmd: string, args: string[], cwd = root, input?: string): { code: number; out: string; err: string } {
  const r = spawnSync(cmd, args, { cwd, env, input: input ?? '', encoding: 'utf8' });
  if (r.error) throw r.error;
  return { code: r.status ?? 1, out: r.stdout, err: r.stderr };
}

function must(cmd: string, args: string[], cwd = root, input?: string): string {
  const r = sh(cmd, args, cwd, input);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.err.trim()}`);
  return r.out.trim();
}

function say(text: string): void {
  process.stdout.write(`\n${bold(text)}\n`);
}

function show(who: string, cmd: string): void {
  process.stdout.write(`${dim(`${who.toLowerCase()}$`)} ${cmd}\n`);
}

/** Runs a signed push as `p`, prints what the server said, and checks the outcome the story expects. */
function push(p: Person, args: string[], expect: 'accepted' | 'rejected', opts: { unsigned?: boolean } = {}): void {
  const flag = opts.unsigned ? [] : ['--signed'];
  show(p.name, ['git', 'push', ...flag, 'origin', ...args].join(' '));
  const r = sh('git', ['push', ...flag, 'origin', ...args], p.clone);
  for (const line of r.err.split('\n')) {
    if (line.startsWith('remote: ')) process.stdout.write(`  ${line.trimEnd()}\n`);
  }
  const got = r.code === 0 ? 'accepted' : 'rejected';
  if (got === 'accepted') accepted++;
  else rejected++;
  const mark = got === 'accepted' ? green('  => accepted') : red('  => rejected');
  process.stdout.write(`${mark}${got === expect ? '' : red(`  (UNEXPECTED: the story expects ${expect})`)}\n`);
  if (got !== expect) failures++;
}

/** `p` commits their own public key as keys/<asFpr>.asc on top of the server's policy branch and pushes it. */
function register(p: Person, asFpr: string, message: string, expect: 'accepted' | 'rejected'): void {
  const own = `${p.name.toLowerCase()}.asc`;
  must('git', ['fetch', '-q', 'origin', 'apps/access-control'], p.clone);
  must('git', ['checkout', '-q', '-B', 'register', 'FETCH_HEAD'], p.clone);
  copyFileSync(join(root, own), join(p.clone, 'keys', `${asFpr}.asc`));
  show(p.name, `cp ${own} keys/${asFpr}.asc && git commit -am '${message}'`);
  commit(p, message);
  push(p, ['HEAD:refs/heads/apps/access-control'], expect);
}

function makeKey(name: string): string {
  must(
    'gpg',
    ['--batch', '--passphrase', '', '--quick-gen-key', `${name} <${name.toLowerCase()}@example.org>`, 'ed25519', 'sign', 'never'],
    root,
  );
  const colons = must('gpg', ['--with-colons', '--list-keys', `${name.toLowerCase()}@example.org`], root);
  const fpr = colons
    .split('\n')
    .find((l) => l.startsWith('fpr:'))!
    .split(':')[9]!;
  writeFileSync(join(root, `${name.toLowerCase()}.asc`), must('gpg', ['--armor', '--export', fpr], root) + '\n');
  return fpr;
}

function person(name: string, fpr: string): Person {
  const clone = join(root, name.toLowerCase());
  must('git', ['clone', '-q', server, clone]);
  for (const [k, v] of [
    ['user.name', name],
    ['user.email', `${name.toLowerCase()}@example.org`],
    ['user.signingkey', fpr],
    ['init.defaultBranch', 'main'],
  ]) {
    must('git', ['config', k!, v!], clone);
  }
  return { name, fpr, clone };
}

function write(p: Person, file: string, content: string): void {
  mkdirSync(join(p.clone, file, '..'), { recursive: true });
  writeFileSync(join(p.clone, file), content);
}

function commit(p: Person, message: string): void {
  must('git', ['add', '-A'], p.clone);
  must('git', ['commit', '-q', '-m', message], p.clone);
}

function main(): void {
  if (sh('gpg', ['--version']).code !== 0) {
    process.stderr.write(
      'The demo needs gpg (GnuPG 2) to make keys and sign pushes. Install it: `sudo apt-get install gnupg` (Debian/Ubuntu), `brew install gnupg` (macOS), then run `npm run demo` again.\n',
    );
    process.exitCode = 1;
    return;
  }
  process.stdout.write(`${bold('git-acl demo')}: a throwaway forge in ${root}\n`);
  process.stdout.write(dim('Every push below is a real `git push --signed` into a bare repository whose pre-receive hook is git-acl.\n'));

  say("1. Olivia, Alice and Bob each make a GPG key. A user ID is the key's fingerprint.");
  const olivia = makeKey('Olivia');
  const aliceFpr = makeKey('Alice');
  const bobFpr = makeKey('Bob');
  process.stdout.write(`  Olivia ${olivia}\n  Alice  ${aliceFpr}\n  Bob    ${bobFpr}\n`);

  say('2. Olivia creates the server and installs git-acl with three policy presets.');
  show('olivia', 'git init --bare server.git');
  must('git', ['init', '-q', '--bare', server]);
  const initArgs = [
    'init',
    'server.git',
    '--owner-key',
    'olivia.asc',
    '--preset',
    'self-registration',
    '--preset',
    'per-user-branches',
    '--preset',
    'shared-directory',
  ];
  show('olivia', `git acl ${initArgs.join(' ')}`);
  const init = sh(process.execPath, [CLI_ENTRY, ...initArgs]);
  process.stdout.write(init.out.replace(/^/gm, '  ').replace(/ +$/, ''));
  if (init.code !== 0) throw new Error(`git acl init failed: ${init.err}`);

  const o = person('Olivia', olivia);
  say('3. Olivia pushes main. The owner may do anything, except break the policy.');
  write(o, 'README.md', '# Demo project\n');
  commit(o, 'Start the project');
  push(o, ['HEAD:refs/heads/main'], 'accepted');

  const a = person('Alice', aliceFpr);
  say('4. Alice pushes before registering her key: the server does not know her.');
  must('git', ['checkout', '-q', '-b', 'alice-work'], a.clone);
  write(a, 'hello.txt', 'hello\n');
  commit(a, 'Say hello');
  push(a, [`HEAD:refs/heads/${aliceFpr}/hello`], 'rejected');

  const b = person('Bob', bobFpr);
  say("5. Bob tries to register under Alice's name: the file name must be the key's own fingerprint.");
  register(b, aliceFpr, 'Register Bob as Alice', 'rejected');

  say('6. Alice registers: she adds keys/<her fingerprint>.asc to the policy branch, signed by that key.');
  register(a, aliceFpr, 'Register Alice', 'accepted');

  say('7. Bob registers properly.');
  register(b, bobFpr, 'Register Bob', 'accepted');

  say('8. Each user has a branch namespace of their own: heads/<user ID>/...');
  must('git', ['checkout', '-q', 'alice-work'], a.clone);
  push(a, [`HEAD:refs/heads/${aliceFpr}/hello`], 'accepted');

  say("9. Bob tries to push into Alice's namespace.");
  must('git', ['checkout', '-q', '-b', 'bob-work', 'origin/main'], b.clone);
  write(b, 'bob.txt', 'bob was here\n');
  commit(b, 'Bob was here');
  push(b, [`HEAD:refs/heads/${aliceFpr}/from-bob`], 'rejected');

  say('10. main has a sticky shared/ directory: everyone owns shared/<their ID>/ and may add new top-level files.');
  must('git', ['checkout', '-q', '-b', 'shared', 'origin/main'], a.clone);
  write(a, `shared/${aliceFpr}/notes.txt`, "Alice's notes\n");
  commit(a, 'Alice: notes');
  push(a, ['HEAD:refs/heads/main'], 'accepted');

  must('git', ['fetch', '-q', 'origin'], b.clone);
  must('git', ['checkout', '-q', '-b', 'shared', 'origin/main'], b.clone);
  write(b, 'shared/ideas.txt', 'An idea from Bob\n');
  commit(b, 'Bob: an idea');
  push(b, ['HEAD:refs/heads/main'], 'accepted');

  say("11. Bob edits Alice's notes: her directory is hers.");
  write(b, `shared/${aliceFpr}/notes.txt`, 'Bob rewrote this\n');
  commit(b, "Bob: edit Alice's notes");
  push(b, ['HEAD:refs/heads/main'], 'rejected');

  say('12. Bob tries to grant himself everything through the policy branch.');
  must('git', ['fetch', '-q', 'origin', 'apps/access-control'], b.clone);
  must('git', ['checkout', '-q', '-B', 'register', 'FETCH_HEAD'], b.clone);
  write(b, 'refs/bob.conf', `${bobFpr} create-branch,fast-forward,force,delete ^.*$\n`);
  commit(b, 'Bob: all refs for me');
  push(b, ['HEAD:refs/heads/apps/access-control'], 'rejected');

  say('13. An unsigned push is refused, with the way to sign it.');
  must('git', ['checkout', '-q', 'alice-work'], a.clone);
  write(a, 'hello.txt', 'hello again\n');
  commit(a, 'Hello again');
  push(a, [`HEAD:refs/heads/${aliceFpr}/hello`], 'rejected', { unsigned: true });

  say(
    `Done: ${accepted} pushes accepted, ${rejected} rejected${failures ? red(`, ${failures} not as expected`) : ', each as the policy says'}.`,
  );
  process.stdout.write(dim('Try it yourself: git acl check, git acl lint and git acl preview (see docs/cli.md).\n'));
  if (failures) process.exitCode = 1;
}

try {
  main();
} catch (e) {
  process.stderr.write(`demo failed: ${errorMessage(e)}\n`);
  process.exitCode = 1;
} finally {
  spawnSync('gpgconf', ['--kill', 'gpg-agent'], { env, stdio: 'ignore' });
  if (!process.env.GIT_ACL_DEMO_KEEP) {
    rmSync(root, { recursive: true, force: true });
  } else process.stdout.write(dim(`(kept ${root})\n`));
  rmSync(gnupg, { recursive: true, force: true });
}
