/**
 * The only forms in which a secret leaves the scanner. The raw value never reaches the store, a
 * log line, a bug, a thread or a diagnostic: the scanner keeps it in memory for the length of one
 * file and hands on the masked form and a hash.
 */
import { sha256Hex } from '../common/contentHash';

const SHORT = 16;

/** "AKIA…2K": enough to recognise the key in one's own files, too little to use it. */
export function maskSecret(raw: string): string {
  const firstLine = raw.split(/\r?\n/, 1)[0] ?? '';
  // A PEM block's header names the kind of key and is not secret; its body is.
  if (/^-----BEGIN [A-Z0-9 ]+-----$/.test(firstLine.trim())) return `${firstLine.trim()} …`;
  const value = raw.trim();
  if (value.length < SHORT) return '****';
  return `${value.slice(0, 4)}…${value.slice(-2)}`;
}

/** A stable identity for a secret that reveals nothing of it. */
export function secretDigest(raw: string): string {
  return sha256Hex(`agent-factory-secret\0${raw.trim()}`);
}

/** Replaces every occurrence of each secret in `text` by its masked form. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  // Longest first, so a secret that contains another is replaced whole.
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret.length === 0) continue;
    // Multi-line secrets (private keys) are matched line by line, since snippets are single lines.
    for (const part of secret.split(/\r?\n/)) {
      if (part.trim().length < 8) continue;
      out = out.split(part).join(maskSecret(part));
    }
  }
  return out;
}
