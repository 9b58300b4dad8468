/**
 * Masks what looks like a secret in one line of agent output before it is quoted anywhere (a
 * run's attention, a check-in, a notification): known token shapes, and the value of an
 * assignment to a name like password, token, secret or key, the password of a web address. Run
 * logs are masked with it as the agent writes them (logMasker.ts). The scanner finds secrets in
 * files; this only keeps a line of output from carrying one further.
 */
import { maskSecret } from '../scan/security/mask';

const TOKEN_SHAPES: readonly RegExp[] = [
  /\b(sk|pk|rk)-[A-Za-z0-9_-]{16,}/g,
  /\bsk-ant-[A-Za-z0-9_-]{16,}/g,
  /\bgh[pousr]_[A-Za-z0-9]{20,}/g,
  /\bgithub_pat_[A-Za-z0-9_]{20,}/g,
  /\b(AKIA|ASIA)[A-Z0-9]{16}\b/g,
  /\bxox[abposr]-[A-Za-z0-9-]{10,}/g,
  /\bAIza[0-9A-Za-z_-]{30,}/g,
  /\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/g,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/g,
  /\bhttps:\/\/hooks\.slack\.com\/services\/[A-Za-z0-9/_-]{20,}/g,
];

/** The password of a web address that carries one: `scheme://user:password@host`. */
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)([^\s@/]{4,})@/gi;

const ASSIGNMENT = /\b([A-Za-z0-9_.-]*(password|passwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credential)s?)(\s*[:=]\s*)(["']?)([^\s"',;]{6,})\4/gi;
const BEARER = /\b(Bearer|Basic)\s+([A-Za-z0-9._~+/=-]{12,})/g;

export function maskEvidence(line: string): string {
  let out = line;
  for (const shape of TOKEN_SHAPES) out = out.replace(shape, (m) => maskSecret(m));
  out = out.replace(URL_PASSWORD, (_m, user: string, password: string) => `${user}${maskSecret(password)}@`);
  out = out.replace(BEARER, (_m, kind: string, value: string) => `${kind} ${maskSecret(value)}`);
  out = out.replace(ASSIGNMENT, (m, name: string, _n: string, sep: string, quote: string, value: string) =>
    // Already masked as a known shape above.
    value.includes('…') ? m : `${name}${sep}${quote}${maskSecret(value)}${quote}`,
  );
  return out;
}
