/**
 * The git-acl commands: names, options, help text, and the usage lines and
 * unknown-command error made from them. Imported by main.ts before anything
 * else, so `git acl --help` loads nothing heavy; each command's code is
 * imported only when that command runs.
 */
import { UsageError, type OptionSpec } from './args.js';
import { didYouMean } from '../core/suggest.js';

export interface CommandSpec {
  name: string;
  summary: string;
  /** Usage lines, without the leading `git acl `. */
  usage: string[];
  /** Paragraphs shown under the usage. */
  description: string[];
  options: OptionSpec[];
  /** Example command lines (full), each optionally followed by `  # comment`. */
  examples: string[];
  /** The module that runs it, relative to this file. */
  module: string;
}

const HELP: OptionSpec = { name: 'help', short: 'h', help: 'show this help and exit' };
const JSON_OPT: OptionSpec = { name: 'json', help: 'print one JSON document on stdout instead of text (never coloured)' };

export const COMMANDS: CommandSpec[] = [
  {
    name: 'init',
    summary: 'make a bare repository a git-acl server',
    usage: ['init <bare-repo> --owner-key <public-key.asc> [--preset <name>]...'],
    description: [
      "Installs the pre-receive hook, sets a random receive.certNonceSeed and acl.owner (the fingerprint of the owner key), and creates the policy branch refs/heads/apps/access-control with the owner-only default policy, the presets asked for, the owner's key and the file `owner`. Safe to run again: it says what it changed and never rewrites an existing policy branch.",
      'It also installs the post-receive hook and starts the push log refs/heads/apps/push-log (its first entry records every ref: the trusted starting state), which every clone can check with git acl verify; on an existing repository without a log, running init turns logging on.',
    ],
    options: [
      { name: 'owner-key', value: '<file>', help: "the owner's armored OpenPGP public key (exactly one key, no secret material)" },
      { name: 'preset', value: '<name>', multiple: true, help: 'also install this policy preset from policies/; see --list-presets' },
      { name: 'list-presets', help: 'print the available presets and exit' },
      HELP,
    ],
    examples: [
      'gpg --armor --export alice@example.org > alice.asc',
      'git init --bare /srv/git/project.git',
      'git acl init /srv/git/project.git --owner-key alice.asc',
      'git acl init /srv/git/project.git --owner-key alice.asc --preset self-registration --preset per-user-branches',
    ],
    module: './init-command.js',
  },
  {
    name: 'lint',
    summary: 'check policy files for errors',
    usage: ['lint [<dir> | --ref <ref>] [--json]'],
    description: [
      'Checks the policy files (refs/, branches/, groups/, keys/) of a checkout of the policy branch (<dir>), or of a commit of the current repository (--ref). Without either, inside a clone or a bare repository, lints the local refs/heads/apps/access-control, or refs/remotes/origin/apps/access-control when there is no local branch. Prints what it linted, then one line per finding: path:line:col: severity: message.',
      'Exit status: 0 when there is no error (warnings allowed), 1 on any error, 2 on a usage error.',
    ],
    options: [
      {
        name: 'ref',
        value: '<ref>',
        help: 'lint the policy files of this ref or commit of the current repository (e.g. origin/apps/access-control)',
      },
      JSON_OPT,
      HELP,
    ],
    examples: [
      'git acl lint                      # the policy branch of this repository',
      'git acl lint .                    # a checkout of the policy branch, as edited',
      'git acl lint --ref origin/apps/access-control',
      'git acl lint --json policy/',
    ],
    module: './lint.js',
  },
  {
    name: 'check',
    summary: 'would the policy allow one operation?',
    usage: [
      'check --user <USER_ID|me> <ref-op> <ref> [--policy <dir> | --ref <ref>] [--owner <USER_ID>] [--trace] [--json]',
      'check --user <USER_ID|me> <tree-op> <path> --branch <ref> [--policy <dir> | --ref <ref>] [--owner <USER_ID>] [--trace] [--json]',
    ],
    description: [
      'Evaluates one operation for one user against a policy, and prints allowed or denied, the rule that decided (path:line: text) and, for a denial, what would allow it.',
      'Ref ops: create-branch, create-tag, fast-forward, force, delete; create = create-branch and create-tag. Ref names as git resolves them: main, heads/main and refs/heads/main are the branch refs/heads/main (a short name is a tag for create-tag: v1.0 = refs/tags/v1.0). Tree ops (need --branch): create-directory, create-file, create-symlink, create-submodule, modify, delete-file, delete-symlink, delete-submodule, delete-directory; delete with --branch = every delete-* op. An alias checks, and reports, each operation it stands for.',
      "The policy is read as for lint (--policy <dir>, --ref <ref>, or the repository's policy branch). The owner is --owner, else the one the policy records in its file `owner`, else git config acl.owner; when none is known (a policy from before owners were recorded), an operation denied to a user who is not the owner is judged again as by the owner, and a warning says which answer applies.",
      "With --trace, each decision is followed by every rule of the operation's kind, in canonical order, and why it did or did not apply (subject, op, pattern, branch scope, deny), as the deciding code saw it: DENY or ALLOW marks the rule that decided, deny or allow another rule that applies, skip a rule that does not, with the tests it failed.",
      'Exit status: 0 allowed (every operation), 1 denied (any) or an error, 2 on a usage error.',
    ],
    options: [
      {
        name: 'user',
        value: '<USER_ID|me|name>',
        help: 'the pusher: a key fingerprint (40 hex digits), `me` for the key in git config user.signingkey, or a name or e-mail address of a key in your gpg keyring',
      },
      { name: 'branch', value: '<ref>', help: 'for a tree op: the branch whose content changes (main, heads/main or refs/heads/main)' },
      { name: 'policy', value: '<dir>', help: 'read the policy from a checkout of the policy branch' },
      { name: 'ref', value: '<ref>', help: 'read the policy from this ref or commit of the current repository' },
      {
        name: 'owner',
        value: '<USER_ID>',
        help: "the repository owner's fingerprint (default: the policy's file `owner`, else git config acl.owner)",
      },
      { name: 'trace', help: 'also print every rule considered and why it did or did not apply' },
      JSON_OPT,
      HELP,
    ],
    examples: [
      'git acl check --user me fast-forward heads/main',
      'git acl check --user me force heads/main --trace',
      'git acl check --user 0123456789ABCDEF0123456789ABCDEF01234567 create-file docs/x.md --branch main',
      'git acl check --user alice@example.org fast-forward main',
      'git acl check --user me create refs/tags/v1.0 --ref origin/apps/access-control',
      'git acl check --user me modify refs/owner.conf --branch heads/apps/access-control --policy policy/ --json',
    ],
    module: './check.js',
  },
  {
    name: 'preview',
    summary: 'would the server accept this push? (asks no server; fetches its policy)',
    usage: [
      'preview [<remote>] [<refspec>...] [--user <USER_ID|me>] [--owner <USER_ID>] [--all] [--json]',
      "preview --pre-push <remote> [<url>]   (reads git's pre-push lines on stdin)",
    ],
    description: [
      "Fetches the remote's policy branch into refs/remotes/<remote>/apps/access-control, works out what `git push <remote> <refspec>...` would send (each refspec's local object against the remote's current value, from git ls-remote; no refspec: the current branch to its upstream, or to the same name), and judges it exactly as the server's pre-receive hook would, printing the hook's own lines.",
      "The pusher is --user, default `me` (the key in git config user.signingkey, which signs the push). The owner is --owner, else the one the remote's policy branch records in its file `owner` (the server keeps it equal to its acl.owner). A policy from before owners were recorded names none: then git config acl.owner of this clone, or of the remote when it is a local path; otherwise the owner is unknown (a warning says so), and a push refused as by anyone else is judged again as by the owner, so the preview never refuses what the server could accept. The signature itself is not previewed: push with git push --signed.",
      'Like the hook, it lists the first 20 denied operations, then counts the rest per operation and directory; --all lists every one.',
      'Exit status: 0 the server would accept, 1 it would reject (or an error), 2 on a usage error.',
    ],
    options: [
      {
        name: 'user',
        value: '<USER_ID|me|name>',
        help: 'judge the push as this user: a fingerprint, `me` (the default) or a name or e-mail address of a key in your gpg keyring',
      },
      { name: 'owner', value: '<USER_ID>', help: "the repository owner's fingerprint (see above)" },
      { name: 'all', help: 'list every denied operation, not the first 20 and a summary' },
      { name: 'pre-push', help: "pre-push hook mode: arguments are git's <remote> <url>, the updates come on stdin" },
      JSON_OPT,
      HELP,
    ],
    examples: [
      'git acl preview                         # the current branch, to its upstream',
      'git acl preview origin main',
      'git acl preview origin HEAD:refs/heads/release :refs/heads/old-topic',
      'git acl preview origin v1.0 --json',
    ],
    module: './preview.js',
  },
  {
    name: 'install-client-hook',
    summary: "install `git acl preview` as this clone's pre-push hook",
    usage: ['install-client-hook'],
    description: [
      "Writes the clone's pre-push hook (in core.hooksPath when set), so that a push the server would reject stops before it leaves, with the hook's own messages. Refuses to overwrite a pre-push hook that git-acl did not install. Skip the check for one push with git push --no-verify. Pushes to a remote without a policy branch are let through.",
    ],
    options: [HELP],
    examples: [
      'git acl install-client-hook',
      'git push --signed origin main            # checked first',
      'git push --signed --no-verify origin main   # not checked',
    ],
    module: './client-hook.js',
  },
  {
    name: 'verify',
    summary: "replay a remote's push log: was every change made by someone the policy of its time allowed?",
    usage: ['verify [<remote>] [--no-fetch] [--full] [--json]'],
    description: [
      "Fetches every ref of <remote> (default origin), the push log refs/heads/apps/push-log included, into refs/git-acl/verify/<remote>/, then replays the log from its starting state: each push certificate must verify with the key files of the policy in force at its entry, cover every update of the entry, start from the replayed values and never have been used before; every update must be allowed by the policy and owner of its time, judged by the hook's own code; and the replay must end in exactly the remote's refs (a ref that moved without an entry is an unlogged update).",
      'The last verified entry is remembered (in .git/git-acl/verified/<remote>.json): the next run checks only newer entries, and refuses a log that does not descend from it (a log rewritten or rolled back by the server). Changes of the owner by the server admin are listed as notes.',
      'Exit status: 0 everything verifies, 1 a problem (each printed as: entry <n> (<commit>) <refs>: <reason>) or an error, 2 on a usage error.',
    ],
    options: [
      { name: 'no-fetch', help: 'verify what the last fetch brought, without contacting the remote (offline)' },
      {
        name: 'full',
        help: 'check every entry again, not only the new ones (still refusing a log that does not descend from the remembered one)',
      },
      JSON_OPT,
      HELP,
    ],
    examples: ['git acl verify', 'git acl verify upstream --json', 'git acl verify --no-fetch --full'],
    module: './verify.js',
  },
  {
    name: 'set-owner',
    summary: 'change the owner of a git-acl server (server admin)',
    usage: ['set-owner <bare-repo> --owner-key <public-key.asc>'],
    description: [
      "Sets the owner of a server repository in both places that hold it: the policy branch's file `owner` (a new policy commit that changes only that file, adding keys/<FINGERPRINT>.asc when it is missing) and the server's acl.owner, with an entry in the push log that every peer's git acl verify reports. Refuses when the new owner could not change the policy under its rules. Also records the owner on a policy branch from before owners were recorded (give the current owner's key).",
    ],
    options: [
      { name: 'owner-key', value: '<file>', help: "the new owner's armored OpenPGP public key (exactly one key, no secret material)" },
      HELP,
    ],
    examples: ['git acl set-owner /srv/git/project.git --owner-key bob.asc'],
    module: './set-owner-command.js',
  },
  {
    name: 'version',
    summary: 'print the version of git-acl',
    usage: ['version', '--version'],
    description: [],
    options: [HELP],
    examples: ['git acl version'],
    module: './version.js',
  },
  {
    name: 'help',
    summary: 'show help for git-acl or one command',
    usage: ['help [<command>]'],
    description: [
      '`git acl --help` is turned by git itself into `git help acl` (a manual page); use `git acl -h`, `git acl help`, or `git-acl --help`.',
    ],
    options: [HELP],
    examples: ['git acl help check', 'git acl check -h'],
    module: './help.js',
  },
];

export function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name);
}

/** The usage error for a command name that is not in the table, with the closest one. */
export function unknownCommand(name: string): UsageError {
  const hint = didYouMean(
    name,
    COMMANDS.map((c) => c.name),
  );
  return new UsageError(`'${name}' is not a git acl command${hint ? `; did you mean '${hint}'?` : ''} (see git acl -h)`);
}

/** `usage: git acl ...` and `   or: git acl ...` lines, as help and usage errors print them. */
export function usageLines(c: CommandSpec): string[] {
  return c.usage.map((u, i) => `${i === 0 ? 'usage: ' : '   or: '}git acl ${u}`);
}
