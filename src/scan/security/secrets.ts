/**
 * Secrets through secretlint's recommended preset, used as a library on one file's text at a time.
 * What comes back carries the raw value so the caller can mask it, hash it and redact it from
 * snippets; it must not be stored or logged as it is. secretlint's own `message` repeats the secret
 * and is never used.
 */
import type { lintSource as LintSource } from '@secretlint/core' with { 'resolution-mode': 'import' };
import { looksLikePlaceholder } from './placeholder';

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
  /** The secret itself. Mask or hash it; never store or log it. */
  raw: string;
}

interface Secretlint {
  lintSource: typeof LintSource;
  config: SecretLintCoreConfig;
}

let loading: Promise<Secretlint> | undefined;

/** secretlint ships as ES modules; load them once, on first use, from this CommonJS code. */
function secretlint(): Promise<Secretlint> {
  loading ??= (async () => {
    const [core, preset] = await Promise.all([import('@secretlint/core'), import('@secretlint/secretlint-rule-preset-recommend')]);
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
    return { lintSource: core.lintSource, config };
  })();
  return loading;
}

/** Secrets in `content`, placeholders left out. `path` lets rules that care about file names (.npmrc) apply. */
export async function findSecrets(path: string, content: string): Promise<SecretHit[]> {
  const { lintSource, config } = await secretlint();
  const result = await lintSource({
    source: { content, filePath: path, contentType: 'text' },
    // The data values are needed to tell the secret from its surroundings; see secretOf.
    options: { config, maskSecrets: false },
  });
  const hits: SecretHit[] = [];
  for (const m of result.messages) {
    const raw = secretOf(m, content);
    if (looksLikePlaceholder(raw)) continue;
    const rule = `secret/${m.ruleId.replace(/^@secretlint\/secretlint-rule-/, '')}`;
    hits.push({ rule, kind: m.messageId, title: secretTitle(rule, m.messageId), line: m.loc.start.line, column: m.loc.start.column, raw });
  }
  return hits;
}

/**
 * The secret a message is about. Some rules report a range that starts at the variable name
 * (`aws_secret_access_key = …`); the value they matched is in the message data, so the longest data
 * value found on the reported text wins, and the range is the fallback.
 */
function secretOf(m: SecretLintCoreResultMessage, content: string): string {
  const [start, end] = m.range;
  const lineStart = content.lastIndexOf('\n', start - 1) + 1;
  const window = content.slice(lineStart, Math.min(content.length, end + 256));
  let best = '';
  for (const value of Object.values(m.data ?? {})) {
    if (typeof value === 'string' && value.length >= 8 && value.length > best.length && window.includes(value)) best = value;
  }
  return best || content.slice(start, end);
}

const TITLES: Record<string, string> = {
  AWSAccessKeyID: 'AWS access key id',
  AWSSecretAccessKey: 'AWS secret access key',
  AWSAccountID: 'AWS account id',
  PrivateKey: 'Private key',
  GITHUB_TOKEN: 'GitHub token',
  IncomingWebhook: 'Slack incoming webhook',
  BasicAuth: 'Credentials in a URL',
};

function secretTitle(rule: string, messageId: string): string {
  const known = TITLES[messageId];
  if (known) return known;
  const service = rule.slice('secret/'.length).replace(/-/g, ' ');
  const detail = messageId.replace(/_/g, ' ').replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  return `Secret (${service}): ${detail}`;
}
