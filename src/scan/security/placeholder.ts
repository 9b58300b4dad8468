/**
 * Values that only stand in for a secret: what `.env.example`, README snippets and docs carry.
 * Only the credential itself is judged: for a URL that is its password, so a real password on a
 * host called `registry.example.com` is a finding like any other, while `https://user:pass@…` and
 * `postgres://user:password@localhost` stay quiet.
 */

/** Words a generated credential practically never contains and placeholders nearly always do. */
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

const URL_CREDENTIAL = /^[a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:([^@\s]*)@/i;

/**
 * True for a stand-in: a template or variable (`${TOKEN}`, `<your-token>`), a placeholder word
 * (`your-api-key`, a documented dummy ending in `EXAMPLE`), a run of one repeated character
 * (`ghp_xxxx…`, `sk_live_AAAA…`), or a URL whose password is one of those or a stock word.
 */
export function looksLikePlaceholder(value: string): boolean {
  const v = value.trim();
  if (v.length === 0) return true;
  // Multi-line values are key blocks, which secretlint validates itself; their encoded bodies can
  // legitimately hold long runs of one character.
  if (v.includes('\n')) return false;
  const password = URL_CREDENTIAL.exec(v)?.[1];
  if (password !== undefined) return password.length === 0 || PLACEHOLDER_PASSWORDS.has(password.toLowerCase()) || isStandIn(password) || /^(?:x+|\*+|\.+|-+|_+)$/i.test(password);
  return isStandIn(v);
}

function isStandIn(v: string): boolean {
  const lower = v.toLowerCase();
  if (PLACEHOLDER_WORDS.some((w) => lower.includes(w))) return true;
  // Template and shell substitutions: the real value comes from elsewhere.
  if (/\$\{[^}]*\}|\{\{[^}]*\}\}|<[^<>\s]{1,40}>|%[A-Z_]{2,}%|\$[A-Z_]{3,}/.test(v)) return true;
  // A run of one repeated character: xxxxxx, 000000, ******, AAAAAA.
  return /(.)\1{5,}/.test(v);
}
