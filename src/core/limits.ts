/**
 * Bounds on policy input. A policy is data that others contribute (anyone the
 * rules let change the policy branch), and a client reads the remote's
 * policy: parse and compile must cost a bounded amount of time and memory
 * whatever the files say. Each bound is far above what a real policy needs
 * (the bench's 10,000-rule policy uses half of the rules and under half of
 * the program budget); past one, the policy has an error with its own code,
 * and the work that the bound protects is not done. docs/policy-language.md
 * lists them.
 */
export const LIMITS = {
  /** UTF-8 bytes of one rule or group file (`file-too-large`). */
  fileBytes: 1024 * 1024,
  /** UTF-8 bytes of all rule and group files together (`policy-too-large`). */
  policyBytes: 8 * 1024 * 1024,
  /** Rules in the whole policy (`too-many-rules`). */
  rules: 20_000,
  /** Group files (`too-many-groups`). */
  groups: 10_000,
  /** Member lines of all groups together (`too-many-members`). */
  members: 500_000,
  /** Characters (UTF-16 code units) of one pattern or branch scope (`pattern-too-long`). */
  patternLength: 8_192,
  /** RE2 instructions of one compiled pattern (`pattern-too-large`). */
  patternProgram: 20_000,
  /** RE2 instructions of all distinct patterns and scopes together (`policy-too-costly`). */
  policyProgram: 1_000_000,
  /**
   * Bytes of one key file (`keys/<FPR>.asc`). A minimal export of a key
   * with a few subkeys is a few kilobytes; one that carries many third-party
   * signatures can reach hundreds. Past it the key file is not read: it can
   * verify no push, and a push that adds or changes it is refused.
   */
  keyFileBytes: 1024 * 1024,
  /** Bytes of one tree object of the policy branch (a `keys/` tree of 100,000 key files is about 7 MiB). */
  policyTreeBytes: 8 * 1024 * 1024,
  /** Files and directories listed on the policy branch, all trees together. */
  policyEntries: 200_000,
} as const;

/** UTF-8 length of a string as git would store it (a lone surrogate counts as the 3 bytes of U+FFFD). */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 2;
      i++;
    } else n += 2;
  }
  return n;
}

/** 1048576 -> "1 MiB"; other numbers with thousands separators, the same on every machine. */
export function formatCount(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
