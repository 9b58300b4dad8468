/**
 * Secrets through secretlint's recommended preset, used as a library on one file's text at a time.
 * Every rule gets the file's real name and extension (secretlint's GCP key rule, `.npmrc` and
 * `package.json` rules look at them). What comes back carries the raw value so the caller can mask
 * it, hash it and redact it from snippets; it must not be stored or logged as it is. secretlint's
 * own `message` repeats the secret and is never used.
 */
import { extname } from 'node:path';
import type { lintSource as LintSource } from '@secretlint/core' with { 'resolution-mode': 'import' };
import { looksLikePlaceholder } from './placeholder';
import { neverFiltered, secretTriggerLiterals, secretTriggerTest } from './secretTriggers';

type SecretLintCoreConfig = Parameters<typeof LintSource>[0]['options']['config'];
type SecretLintCoreResultMessage = Awaited<ReturnType<typeof LintSource>>['messages'][number];

/** The installed secretlint; part of the rules version, so upgrading it invalidates the scan cache. */
export const SECRETLINT_VERSION = '13.0.7';

export interface SecretHit {
  /** `secret/aws`, `secret/github`, ...: secretlint's rule without its package prefix. */
  rule: string;
  /** secretlint's message id: which kind of secret the rule saw (`AWSAccessKeyID`). */
  kind: string;
  title: string;
  /** 1-based. */
  line: number;
  /** 0-based. */
  column: number;
  /** Offset of `raw` in the text. */
  offset: number;
  /** The secret itself. Mask or hash it; never store or log it. */
  raw: string;
  /**
   * A stand-in rather than a credential (see placeholder.ts): no finding, but still masked
   * wherever its line is shown.
   */
  placeholder: boolean;
}

interface Secretlint {
  lintSource: typeof LintSource;
  config: SecretLintCoreConfig;
  /** False when no rule of the preset can report anything in the text (see secretTriggers.ts); undefined when the preset has a rule the table does not know. */
  mayHoldSecret: ((ext: string, text: string) => boolean) | undefined;
  /** The literals `mayHoldSecret` looks for, for a caller that looks for them with others in one pass. */
  triggers: readonly string[] | undefined;
}

let loading: Promise<Secretlint> | undefined;

/** secretlint ships as ES modules; load them once, on first use, from this CommonJS code. */
function secretlint(): Promise<Secretlint> {
  loading ??= (async () => {
    const [core, preset, profiler] = await Promise.all([
      import('@secretlint/core'),
      import('@secretlint/secretlint-rule-preset-recommend'),
      import('@secretlint/profiler'),
    ]);
    // secretlint's profiler is on by default: a performance mark per rule and file, kept in the
    // process's timeline, for a report nothing here reads.
    profiler.secretLintProfiler.setEnabled(false);
    const config: SecretLintCoreConfig = {
      rules: [
        {
          id: '@secretlint/secretlint-rule-preset-recommend',
          rule: preset.creator,
          // Access key ids alone are off by default in the preset; an agent committing one is worth a bug.
          rules: [{ id: '@secretlint/secretlint-rule-aws', options: { enableIDScanRule: true } }],
        },
      ],
    };
    const ids = preset.rules.map((r) => r.meta.id);
    return { lintSource: core.lintSource, config, mayHoldSecret: secretTriggerTest(ids), triggers: secretTriggerLiterals(ids) };
  })();
  return loading;
}

/**
 * Rules that recognise any credential of a shape (a URL's password, a connection string) rather
 * than one vendor's token: when one overlaps a vendor rule's hit, the vendor's is the finding.
 */
const GENERIC_RULES = new Set(['secret/basicauth', 'secret/database-connection-string']);

export interface FindSecretsOptions {
  /** False runs secretlint on every text (see ScanTextOptions.prefilter). */
  prefilter?: boolean;
  /** Whether `content` holds one of {@link secretTriggers}, when the caller looked already. */
  triggered?: boolean;
}

/** The literals text must hold for the preset to report anything, or undefined when the prefilter is off for this preset. */
export async function secretTriggers(): Promise<readonly string[] | undefined> {
  return (await secretlint()).triggers;
}

/**
 * Every secret in `content`, placeholders included and marked. `path` is the file's real name
 * (absolute when known): its base name and extension decide which rules apply.
 */
export async function findSecrets(path: string, content: string, opts: FindSecretsOptions = {}): Promise<SecretHit[]> {
  const { lintSource, config, mayHoldSecret } = await secretlint();
  const ext = extname(path).toLowerCase();
  if (opts.prefilter !== false && mayHoldSecret !== undefined) {
    const may = opts.triggered === undefined ? mayHoldSecret(ext, content) : opts.triggered || neverFiltered(ext);
    if (!may) return [];
  }
  const result = await lintSource({
    source: { content, filePath: path, ext, contentType: 'text' },
    // The data values are needed to tell the secret from its surroundings; see secretOf.
    options: { config, maskSecrets: false },
  });
  return withoutOverlaps(result.messages.map((m) => toHit(m, content)));
}

/**
 * Secrets in a binary file, which only rules that read binary formats can see (secretlint's GCP
 * `.p12` key rule, which reads the file at `path` itself). Nothing here is text to show: the hit
 * names the file.
 */
export async function findBinarySecrets(path: string): Promise<SecretHit[]> {
  const { lintSource, config } = await secretlint();
  const result = await lintSource({
    source: { content: '', filePath: path, ext: extname(path).toLowerCase(), contentType: 'binary' },
    options: { config, maskSecrets: false },
  });
  return result.messages.map((m) => {
    const rule = ruleName(m);
    return { rule, kind: m.messageId, title: secretTitle(rule, m.messageId), line: 1, column: 0, offset: 0, raw: '', placeholder: false };
  });
}

function ruleName(m: SecretLintCoreResultMessage): string {
  return `secret/${m.ruleId.replace(/^@secretlint\/secretlint-rule-/, '')}`;
}

function toHit(m: SecretLintCoreResultMessage, content: string): SecretHit {
  const rule = ruleName(m);
  const title = secretTitle(rule, m.messageId);
  const key = m.messageId === 'PrivateKeyJSON' ? jsonPrivateKey(content) : undefined;
  if (key) {
    // The rule reports the whole file; the secret is its private_key field.
    const { line, column } = position(content, key.offset);
    return { rule, kind: m.messageId, title, line, column, offset: key.offset, raw: key.raw, placeholder: false };
  }
  const { raw, offset } = secretOf(m, content);
  return { rule, kind: m.messageId, title, line: m.loc.start.line, column: m.loc.start.column, offset, raw, placeholder: looksLikePlaceholder(raw) };
}

function jsonPrivateKey(content: string): { raw: string; offset: number } | undefined {
  const m = /"private_key"\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(content);
  return m ? { raw: m[1], offset: m.index + m[0].length - m[1].length - 1 } : undefined;
}

function position(content: string, offset: number): { line: number; column: number } {
  let line = 1;
  for (let i = content.indexOf('\n'); i !== -1 && i < offset; i = content.indexOf('\n', i + 1)) line++;
  return { line, column: offset - (content.lastIndexOf('\n', offset - 1) + 1) };
}

/**
 * One finding per secret: a token inside a URL is matched by the vendor's rule and by the URL
 * rule, and only the vendor's counts. Placeholders stay in the list (they are masked everywhere)
 * but never displace a real hit.
 */
function withoutOverlaps(hits: SecretHit[]): SecretHit[] {
  const real = hits.filter((h) => !h.placeholder).sort((a, b) => a.offset - b.offset || b.raw.length - a.raw.length);
  const kept: SecretHit[] = [];
  for (const hit of real) {
    const clash = kept.findIndex((k) => overlaps(k, hit));
    if (clash === -1) {
      kept.push(hit);
    } else if (GENERIC_RULES.has(kept[clash].rule) && !GENERIC_RULES.has(hit.rule)) {
      kept[clash] = hit;
    }
  }
  return [...kept, ...hits.filter((h) => h.placeholder)];
}

function overlaps(a: SecretHit, b: SecretHit): boolean {
  if (a.raw.length === 0 || b.raw.length === 0) return false;
  return a.offset < b.offset + b.raw.length && b.offset < a.offset + a.raw.length;
}

/**
 * The secret a message is about, and where it is. Some rules report a range that starts at the
 * variable name (`aws_secret_access_key = …`); the value they matched is in the message data, so
 * the longest data value found on the reported text wins, and the range is the fallback.
 */
function secretOf(m: SecretLintCoreResultMessage, content: string): { raw: string; offset: number } {
  const [start, end] = m.range;
  const lineStart = content.lastIndexOf('\n', start - 1) + 1;
  const windowEnd = Math.min(content.length, end + 256);
  let best = '';
  let at = -1;
  for (const value of Object.values(m.data ?? {})) {
    if (typeof value !== 'string' || value.length < 8 || value.length <= best.length) continue;
    const found = content.indexOf(value, lineStart);
    if (found !== -1 && found + value.length <= windowEnd) {
      best = value;
      at = found;
    }
  }
  return best ? { raw: best, offset: at } : { raw: content.slice(start, end), offset: start };
}

const TITLES: Record<string, string> = {
  AWSAccessKeyID: 'AWS access key id',
  AWSSecretAccessKey: 'AWS secret access key',
  AWSAccountID: 'AWS account id',
  PrivateKey: 'Private key',
  GITHUB_TOKEN: 'GitHub token',
  IncomingWebhook: 'Slack incoming webhook',
  BasicAuth: 'Credentials in a URL',
  PrivateKeyJSON: 'GCP service account key',
  PrivateKeyP12: 'GCP service account key',
};

function secretTitle(rule: string, messageId: string): string {
  const known = TITLES[messageId];
  if (known) return known;
  const service = rule.slice('secret/'.length).replace(/-/g, ' ');
  const detail = messageId.replace(/_/g, ' ').replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  return `Secret (${service}): ${detail}`;
}
