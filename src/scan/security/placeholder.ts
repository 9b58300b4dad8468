/**
 * Values that only stand in for a secret: what `.env.example`, README snippets and docs carry.
 * secretlint already ignores the vendors' documented example keys; these heuristics cover the
 * hand-written placeholders it reports (`ghp_xxxx…`, `https://user:changeme@…`).
 */

/** Words that a generated credential practically never contains and placeholders nearly always do. */
const PLACEHOLDER_WORDS = [
  'example',
  'sample',
  'placeholder',
  'your',
  'changeme',
  'change_me',
  'change-me',
  'dummy',
  'redacted',
  'replace',
  'insert',
  'secret_here',
  'token_here',
  'key_here',
];

/** Passwords in URLs that are placeholders, compared case-insensitively and whole. */
const PLACEHOLDER_PASSWORDS = new Set(['password', 'pass', 'passwd', 'pwd', 'secret', 'changeme', 'user', 'username', 'admin', 'xxx', 'test', 'root', 'postgres', 'mysql']);

export function looksLikePlaceholder(value: string): boolean {
  const v = value.trim();
  if (v.length === 0) return true;
  // Multi-line values are key blocks, which secretlint validates itself; their encoded bodies can
  // legitimately hold long runs of one character.
  if (v.includes('\n')) return false;
  const lower = v.toLowerCase();
  if (PLACEHOLDER_WORDS.some((w) => lower.includes(w))) return true;
  // Template and shell substitutions: the real value comes from elsewhere.
  if (/\$\{[^}]*\}|\{\{[^}]*\}\}|<[^<>\s]{1,40}>|%[A-Z_]{2,}%|\$[A-Z_]{3,}/.test(v)) return true;
  // A run of one repeated character: xxxxxx, 000000, ******, ......
  if (/(.)\1{5,}/.test(v)) return true;
  const password = urlPassword(v);
  if (password !== undefined && (PLACEHOLDER_PASSWORDS.has(password.toLowerCase()) || looksLikePlaceholderWord(password))) return true;
  return false;
}

function looksLikePlaceholderWord(s: string): boolean {
  return /^(?:x+|\*+|\.+|-+|_+)$/i.test(s);
}

/** The password part of `scheme://user:password@host`, if any. */
function urlPassword(v: string): string | undefined {
  const m = /^[a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:([^@\s]*)@/i.exec(v);
  return m?.[1];
}
