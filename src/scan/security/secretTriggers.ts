/**
 * What text must contain for a rule of secretlint's recommended preset to report anything: for
 * each rule, literals of which every match of every pattern it runs holds at least one, read off
 * the rules of the installed preset (secrets.ts pins its version). Text with none of them cannot
 * yield a secret, so it is not handed to secretlint at all: that is most files, and secretlint's
 * cost per file (setting up some thirty rules, their patterns over the whole text) is most of a
 * cold scan. The check is case-insensitive (a superset of what the patterns match, several of
 * which are case-insensitive themselves). A rule the table does not know turns the check off, so
 * a newer preset is never filtered with an older table. The literals are looked for in one pass
 * with the risky-code rules' (literalScan.ts).
 */

import { LiteralScan } from './literalScan';

const RULE_PREFIX = '@secretlint/secretlint-rule-';

/** Per rule (its id without the package prefix): literals, one of which any of its matches holds. */
export const SECRET_TRIGGERS: Readonly<Record<string, readonly string[]>> = {
  // Access key ids by prefix; secret keys after "(aws_)secret_access_key ="; account ids after "(aws_)account(_id) =".
  aws: ['A3T', 'AKIA', 'AGPA', 'AIDA', 'AROA', 'AIPA', 'ANPA', 'ANVA', 'ASIA', 'secret', 'account'],
  // A service-account JSON (parsed: names may be written with \u escapes) or a .p12 file (never filtered).
  gcp: ['private_key', '\\u'],
  npm: ['x-oauth-basic', '_authToken', 'npm_'],
  slack: ['xoxb-', 'xoxp-', 'xapp-', 'xoxa-', 'xoxo-', 'xoxr-', 'hooks.slack.com'],
  basicauth: ['://'],
  openai: ['T3BlbkFJ'],
  anthropic: ['sk-ant-api0'],
  groq: ['gsk_'],
  huggingface: ['hf_'],
  linear: ['lin_api_'],
  notion: ['ntn_'],
  privatekey: ['-----BEGIN'],
  sendgrid: ['SG.'],
  shopify: ['shppa_', 'shpca_', 'shpat_', 'shpss_'],
  stripe: ['sk_live_', 'sk_test_', 'rk_live_', 'rk_test_'],
  github: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_', 'github_pat_'],
  gitlab: ['glpat-'],
  grafana: ['glc_', 'glsa_'],
  '1password': ['ops_'],
  'database-connection-string': ['mongodb', 'mysql', 'postgres'],
  'hashicorp-vault': ['hvs.', 'hvb.', 'hvr.'],
  vercel: ['vcp_', 'vci_', 'vca_', 'vcr_', 'vck_'],
  databricks: ['dapi'],
  docker: ['dckr_pat_'],
  figma: ['figd_'],
  cloudflare: ['cfk_', 'cfut_', 'cfat_'],
  tailscale: ['tskey-'],
  // Only removes reports (secretlint-disable comments); never reports anything itself.
  'filter-comments': [],
};

/** Extensions whose rules read the file itself rather than its text: never filtered. */
const READS_FILE = new Set(['.p12']);

/** Whether files with this extension (lower case, with its dot) always go to secretlint. */
export function neverFiltered(ext: string): boolean {
  return READS_FILE.has(ext);
}

/**
 * Every literal the given preset rules' matches hold (matched ignoring case), or undefined when
 * some rule is not in the table (then every file goes to secretlint).
 */
export function secretTriggerLiterals(ruleIds: readonly string[]): string[] | undefined {
  const literals = new Set<string>();
  for (const id of ruleIds) {
    const known = SECRET_TRIGGERS[id.startsWith(RULE_PREFIX) ? id.slice(RULE_PREFIX.length) : id];
    if (known === undefined) return undefined;
    for (const literal of known) literals.add(literal);
  }
  return [...literals];
}

/**
 * A test of whether text may hold a secret for the given preset rules, or undefined when some
 * rule is not in the table (then every file goes to secretlint).
 */
export function secretTriggerTest(ruleIds: readonly string[]): ((ext: string, text: string) => boolean) | undefined {
  const literals = secretTriggerLiterals(ruleIds);
  if (literals === undefined) return undefined;
  const scan = new LiteralScan(literals.map((text) => ({ text, ignoreCase: true })));
  return (ext, text) => READS_FILE.has(ext) || scan.any(text);
}
