/**
 * One piece of text in, its findings out: secrets (critical) and risky code. Everything a finding
 * carries is safe to store and show: secrets are masked, and code snippets have every value any
 * secret rule matched on their lines redacted, placeholders included (a placeholder filter decides
 * what is worth a bug, never what may be shown). The identity that feeds the fingerprint is a
 * hash or redacted text.
 */
import { LineIndex } from '../common/lines';
import type { Severity } from '../../domain/ticket';
import { maskSecret, redactSecrets, secretDigest } from './mask';
import { LiteralScan, type Literal } from './literalScan';
import { languageOf, RISKY_RULES, RISKY_RULES_VERSION, rulesFor, type RiskyRule } from './rules';
import { findSecrets, SECRETLINT_VERSION, secretTriggers } from './secrets';

/** Anything that changes what a file yields; part of the scan cache's key. */
export const SECURITY_RULES_VERSION = `secretlint-${SECRETLINT_VERSION}+${RISKY_RULES_VERSION}+scan-2`;

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
  /** What the thread and the diagnostic show: a masked secret or a redacted snippet of the statement. */
  shown: string;
  /** Why it matters, one line. */
  message: string;
  /** What makes this finding the same finding after it moved: a secret's digest or the normalized, redacted statement. */
  identity: string;
}

export interface ScanTextOptions {
  /** The risky-code rules to apply (default: the built-in ones for the file's language). */
  rules?: readonly RiskyRule[];
  /** False for minified or generated text: secrets only. */
  riskyCode?: boolean;
  /**
   * Skip what cannot match (default true): secretlint for text holding none of its rules'
   * literals (secretTriggers.ts), a risky-code rule for text holding none of its `needs`. The
   * findings are the same either way; false runs everything, for the test that shows it.
   */
  prefilter?: boolean;
}

const SNIPPET_MAX = 120;
/** How far a risky call's statement is followed to its closing parenthesis. */
const STATEMENT_MAX_CHARS = 2000;
const STATEMENT_MAX_LINES = 20;

export async function scanText(path: string, text: string, opts: ScanTextOptions = {}): Promise<RawFinding[]> {
  const prefilter = opts.prefilter !== false;
  const allRules = opts.rules ?? RISKY_RULES;
  // Every literal the prefilter asks about, secretlint's and the rules', looked for in one pass.
  const literals = prefilter ? prefilterLiterals(allRules, await secretTriggers()) : undefined;
  const present = literals?.scan.find(text);
  const hits = await findSecrets(path, text, { prefilter, triggered: literals && present ? literals.triggers.some((i) => present[i]) : undefined });
  const findings: RawFinding[] = hits
    .filter((s) => !s.placeholder)
    .map((s) => ({
      rule: s.rule,
      kind: 'secret',
      title: s.title,
      severity: 'critical',
      line: s.line,
      column: s.column,
      shown: s.raw.length > 0 ? maskSecret(s.raw) : s.title,
      message: `${s.title} committed to the repository: revoke it, remove it from the history, and load it from the environment or a secret store.`,
      identity: secretDigest(s.raw),
    }));
  if (opts.riskyCode === false) return dedupe(findings);
  const rawSecrets = hits.map((s) => s.raw);
  let lines: LineIndex | undefined;
  const holds = (literal: string): boolean => {
    const i = literals?.needs.get(literal);
    return i === undefined || present === undefined ? text.includes(literal) : present[i];
  };
  for (const rule of rulesFor(languageOf(path), allRules)) {
    if (prefilter && rule.needs.length > 0 && !rule.needs.some(holds)) continue;
    lines ??= new LineIndex(text);
    const global = new RegExp(rule.pattern.source, withFlags(rule.pattern.flags, 'gm'));
    for (const m of text.matchAll(global)) {
      const line = lines.lineAt(m.index);
      if (isCommentLine(lines.lineText(line))) continue;
      const statement = redactSecrets(statementAt(text, m.index, m[0]), rawSecrets).replace(/\s+/g, ' ').trim();
      if (rule.unless?.test(statement)) continue;
      findings.push({
        rule: rule.id,
        kind: 'code',
        title: rule.title,
        severity: rule.severity,
        line,
        column: m.index - text.lastIndexOf('\n', m.index - 1) - 1,
        shown: statement.length > SNIPPET_MAX ? `${statement.slice(0, SNIPPET_MAX - 1)}…` : statement,
        message: rule.message,
        identity: statement,
      });
    }
  }
  return dedupe(findings);
}

/**
 * The statement a risky match belongs to, from the start of its line: through the parenthesis the
 * match opens, when it opens one, so that two multi-line calls in one file (`exec(\n  a\n)` and
 * `exec(\n  b\n)`) are two findings; otherwise through the end of the match's last line.
 */
export function statementAt(text: string, index: number, match: string): string {
  const start = text.lastIndexOf('\n', index - 1) + 1;
  const open = match.indexOf('(');
  let end = index + match.length;
  if (open !== -1) end = closingParen(text, index + open) ?? end;
  const lineEnd = text.indexOf('\n', end);
  return text.slice(start, lineEnd === -1 ? text.length : lineEnd).replace(/\r$/, '');
}

/** Just after the `)` that closes the `(` at `at`, within the statement bounds; undefined when not found. */
function closingParen(text: string, at: number): number | undefined {
  let depth = 0;
  let lines = 0;
  let quote: string | undefined;
  const limit = Math.min(text.length, at + STATEMENT_MAX_CHARS);
  for (let i = at; i < limit; i++) {
    const c = text[i];
    if (c === '\n' && ++lines > STATEMENT_MAX_LINES) return undefined;
    if (quote !== undefined) {
      if (c === '\\') i++;
      else if (c === quote || (c === '\n' && quote !== '`')) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') quote = c;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i + 1;
  }
  return undefined;
}

/** One finding per rule and identity: the same secret pasted twice in a file is one thing to fix. */
export function dedupe(findings: RawFinding[]): RawFinding[] {
  const seen = new Map<string, RawFinding>();
  for (const f of findings) {
    const key = `${f.rule}\0${f.identity}`;
    const first = seen.get(key);
    if (!first || f.line < first.line) seen.set(key, f);
  }
  return [...seen.values()].sort((a, b) => a.line - b.line || a.column - b.column || (a.rule < b.rule ? -1 : 1));
}

interface PrefilterLiterals {
  rules: readonly RiskyRule[];
  secretTriggers: readonly string[] | undefined;
  scan: LiteralScan;
  /** Indices in the scan of secretlint's literals (matched ignoring case). */
  triggers: number[];
  /** Index in the scan of each literal the rules need (matched as written). */
  needs: Map<string, number>;
}

/** The last scan built: the rules and the preset's literals rarely change within a process. */
let built: PrefilterLiterals | undefined;

function prefilterLiterals(rules: readonly RiskyRule[], secretTriggers: readonly string[] | undefined): PrefilterLiterals {
  if (built?.rules === rules && built.secretTriggers === secretTriggers) return built;
  const list: Literal[] = [];
  const triggers: number[] = [];
  const needs = new Map<string, number>();
  for (const text of secretTriggers ?? []) triggers.push(list.push({ text, ignoreCase: true }) - 1);
  for (const rule of rules) for (const text of rule.needs) if (!needs.has(text)) needs.set(text, list.push({ text, ignoreCase: false }) - 1);
  built = { rules, secretTriggers, scan: new LiteralScan(list), triggers, needs };
  return built;
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
