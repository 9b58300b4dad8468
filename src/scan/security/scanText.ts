/**
 * One file's text in, its findings out: secrets (critical) and risky code. Everything a finding
 * carries is safe to store and show: secrets are masked, code snippets have any secret on their
 * line redacted, and the identity that feeds the fingerprint is a hash or redacted text.
 */
import { LineIndex } from '../common/lines';
import type { Severity } from '../../domain/ticket';
import { maskSecret, redactSecrets, secretDigest } from './mask';
import { languageOf, RISKY_RULES_VERSION, rulesFor, type RiskyRule } from './rules';
import { findSecrets, SECRETLINT_VERSION } from './secrets';

/** Anything that changes what a file yields; part of the scan cache's key. */
export const SECURITY_RULES_VERSION = `secretlint-${SECRETLINT_VERSION}+${RISKY_RULES_VERSION}+scan-1`;

export interface RawFinding {
  /** `secret/github`, `dynamic-eval`, ... */
  rule: string;
  kind: 'secret' | 'code';
  title: string;
  severity: Severity;
  /** 1-based. */
  line: number;
  /** 0-based. */
  column: number;
  /** What the thread and the diagnostic show: a masked secret or a redacted snippet of the line. */
  shown: string;
  /** Why it matters, one line. */
  message: string;
  /** What makes this finding the same finding after it moved: a secret's digest or the normalized, redacted line. */
  identity: string;
}

const SNIPPET_MAX = 120;

export async function scanText(path: string, text: string, rules?: readonly RiskyRule[]): Promise<RawFinding[]> {
  const secrets = await findSecrets(path, text);
  const lines = new LineIndex(text);
  const findings: RawFinding[] = secrets.map((s) => ({
    rule: s.rule,
    kind: 'secret',
    title: s.title,
    severity: 'critical',
    line: s.line,
    column: s.column,
    shown: maskSecret(s.raw),
    message: `${s.title} committed to the repository: revoke it, remove it from the history, and load it from the environment or a secret store.`,
    identity: secretDigest(s.raw),
  }));
  const rawSecrets = secrets.map((s) => s.raw);
  for (const rule of rulesFor(languageOf(path), rules)) {
    const global = new RegExp(rule.pattern.source, withFlags(rule.pattern.flags, 'gm'));
    for (const m of text.matchAll(global)) {
      const line = lines.lineAt(m.index);
      const lineText = lines.lineText(line);
      if (isCommentLine(lineText)) continue;
      const redacted = redactSecrets(lineText.trim(), rawSecrets).replace(/\s+/g, ' ');
      findings.push({
        rule: rule.id,
        kind: 'code',
        title: rule.title,
        severity: rule.severity,
        line,
        column: m.index - text.lastIndexOf('\n', m.index - 1) - 1,
        shown: redacted.length > SNIPPET_MAX ? `${redacted.slice(0, SNIPPET_MAX - 1)}…` : redacted,
        message: rule.message,
        identity: redacted,
      });
    }
  }
  return dedupe(findings);
}

/** One finding per rule and identity: the same secret pasted twice in a file is one thing to fix. */
function dedupe(findings: RawFinding[]): RawFinding[] {
  const seen = new Map<string, RawFinding>();
  for (const f of findings) {
    const key = `${f.rule}\0${f.identity}`;
    const first = seen.get(key);
    if (!first || f.line < first.line) seen.set(key, f);
  }
  return [...seen.values()].sort((a, b) => a.line - b.line || a.column - b.column || (a.rule < b.rule ? -1 : 1));
}

function withFlags(flags: string, extra: string): string {
  let out = flags;
  for (const f of extra) if (!out.includes(f)) out += f;
  return out;
}

/** A line that is only a comment documents the pattern; it does not run it. */
function isCommentLine(line: string): boolean {
  return /^\s*(?:\/\/|\/\*|\*|#(?!!)|--|<!--)/.test(line);
}
