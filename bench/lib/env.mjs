// The environment every bench runs git, gpg and git-acl in: this process's, minus what would change what git or
// Node do (GIT_*, gitolite's GL_*, NODE_OPTIONS), with a private GnuPG home and HOME, no system git config, and a
// fixed identity and locale.
export function benchEnv({ root, gnupgHome, name = 'Bench', email = 'bench@example.org' }) {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('GIT_') && !k.startsWith('GL_') && k !== 'NODE_OPTIONS'),
  );
  return {
    ...base,
    GNUPGHOME: gnupgHome,
    LC_ALL: 'C',
    HOME: root,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: name,
    GIT_AUTHOR_EMAIL: email,
    GIT_COMMITTER_NAME: name,
    GIT_COMMITTER_EMAIL: email,
    NO_COLOR: '1',
  };
}

/**
 * A filter for fs.cpSync copies of a served repository: leaves out git-acl/warm/, where a warm judge of the source
 * repository waits on FIFOs (docs/performance.md, "The warm judge"): they cannot be copied, and belong to that
 * repository only.
 */
export const notWarm = (src) => !/[\\/]git-acl[\\/]warm([\\/]|$)/.test(src);
