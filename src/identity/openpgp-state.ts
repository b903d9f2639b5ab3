/**
 * Whether openpgp was loaded in this process (through src/identity/openpgp.ts, the one module that imports it).
 * Apart from it so that asking loads nothing: the hook writes its code cache only from a run that never loaded
 * openpgp (src/hook/start.ts), so the cache every push reads holds only what a push on the fast path runs.
 */
export const openpgpState = { loaded: false };
