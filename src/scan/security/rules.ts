/**
 * The built-in risky-code rules, as data. Each pattern is matched per file over the whole text
 * (flags `g` and `m` are added), must stay within one line unless it says otherwise, and is
 * written to stay quiet on the safe form of the same call (a literal argument, a tagged SQL
 * template, an assignment of a constant string). Patterns keep to syntax PCRE shares (fixed-length
 * lookbehind branches), so `git grep -P` runs the same rules in the benchmark. Change a pattern,
 * add or remove a rule: bump RISKY_RULES_VERSION, which invalidates the scan cache.
 */
import type { Severity } from '../../domain/ticket';

export interface RiskyRule {
  id: string;
  /** Short name shown as the bug's title. */
  title: string;
  pattern: RegExp;
  /**
   * Literals of which every match of `pattern` holds at least one (case-sensitive): text with none
   * of them is not matched against the rule at all. Read off the pattern; the prefilter test checks
   * the rule's corpus against them.
   */
  needs: readonly string[];
  /** File extensions (lower case, no dot), special file names (`dockerfile`), or `*` for any text file. */
  languages: readonly string[];
  severity: Severity;
  /** One line: why it is risky and what to do instead. */
  message: string;
  /**
   * A match whose whole statement (whitespace collapsed) matches this is a safe form after all:
   * what a pattern alone cannot see, such as a method named `eval` being defined rather than
   * called. Not part of the `git grep -P` reference in the benchmark.
   */
  unless?: RegExp;
}

export const RISKY_RULES_VERSION = 'risky-3';

const JS = ['js', 'jsx', 'mjs', 'cjs', 'ts', 'tsx', 'mts', 'cts', 'vue', 'svelte'];
const PY = ['py'];
const SQL_HOSTS = [...JS, ...PY, 'java', 'kt', 'go', 'php', 'rb', 'cs', 'scala', 'rs'];

/** A string literal on one line: '…' or "…". */
const LIT = String.raw`(?:'[^'\n]*'|"[^"\n]*")`;
/** A template literal without substitutions, on any number of lines. */
const CONST_TEMPLATE = String.raw`\x60[^\x60$]*\x60`;
/** Not the name in a definition: `def eval(`, `function exec(`, `async def exec(`. */
const NOT_DEFINED = String.raw`(?<!\bdef\s)(?<!\bfunction\s)`;
/** A class method definition (`eval(code) {`, `async exec(cmd: string): Promise<void> {`), as a whole statement. */
const METHOD_DEFINITION = /^(?:(?:public|private|protected|static|async|override)\s+)*(?:eval|exec)\s*\([^()]*\)\s*(?::[^{;]*)?\{/;
/** A statement that is SQL: keyword pairs, all upper case or all lower case ("Select a file" is not SQL). */
const sql = (gap: string): string =>
  String.raw`(?:SELECT\b${gap}\bFROM|INSERT\s+INTO|UPDATE\b${gap}\bSET|DELETE\s+FROM|select\b${gap}\bfrom|insert\s+into|update\b${gap}\bset|delete\s+from)\b`;
const SQL = sql(String.raw`[^'"\x60\n]*?`);
/** The same in a template literal, whose query usually spans lines. */
const SQL_ML = sql(String.raw`[^'"\x60]*?`);
/** The first keyword of every statement `sql` matches, in the two cases it accepts. */
const SQL_KEYWORDS = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'select', 'insert', 'update', 'delete'];

const re = (source: string): RegExp => new RegExp(source);

export const RISKY_RULES: readonly RiskyRule[] = [
  {
    id: 'dynamic-eval',
    title: 'Dynamic code evaluation',
    pattern: re(String.raw`(?<![\w$.])${NOT_DEFINED}eval\s*\((?!\s*${LIT}\s*\))\s*[^\s)]`),
    needs: ['eval'],
    languages: [...JS, ...PY],
    severity: 'high',
    message: 'eval() runs whatever text reaches it; parse the data (JSON.parse, a lookup table) instead of executing it.',
    unless: METHOD_DEFINITION,
  },
  {
    id: 'dynamic-function',
    title: 'Dynamic code evaluation',
    pattern: re(String.raw`\bnew\s+Function\s*\((?!\s*(?:${LIT}\s*,\s*)*(?:${LIT})?\s*\))`),
    needs: ['Function'],
    languages: JS,
    severity: 'high',
    message: 'new Function() with non-literal source compiles code at run time; write the function out instead.',
  },
  {
    id: 'python-exec',
    title: 'Dynamic code evaluation',
    pattern: re(String.raw`(?<![\w.])${NOT_DEFINED}exec\s*\((?!\s*${LIT}\s*\))\s*[^\s)]`),
    needs: ['exec'],
    languages: PY,
    severity: 'high',
    message: 'exec() runs whatever text reaches it; call the code directly instead.',
  },
  {
    id: 'shell-command-interpolation',
    title: 'Shell command built from variables',
    pattern: re(
      String.raw`(?:(?<![\w$.])|(?<=\bchild_process\.|\bchildProcess\.|\bcp\.|\bproc\.))(?:exec|execSync)\s*\(\s*(?:\x60[^\x60]*\$\{|${LIT}\s*\+|[A-Za-z_$][\w$.]*\s*\+)`,
    ),
    needs: ['exec'],
    languages: JS,
    severity: 'high',
    message: 'exec() hands the whole string to a shell, so a variable in it can run any command; use execFile/spawn with an argument array.',
  },
  {
    id: 'shell-true-interpolation',
    title: 'Shell command built from variables',
    pattern: re(String.raw`\b(?:spawn|spawnSync|execFile|execFileSync)\s*\(\s*\x60[^\x60\n]*\$\{[^\n]*\bshell\s*:\s*true`),
    needs: ['shell'],
    languages: JS,
    severity: 'high',
    message: 'shell: true with a command built from a template lets a variable run any command; pass arguments as an array without a shell.',
  },
  {
    id: 'python-shell-interpolation',
    title: 'Shell command built from variables',
    pattern: re(
      String.raw`\bos\.(?:system|popen)\s*\(\s*(?:f['"]|${LIT}\s*(?:\+|%|\.format\b)|[A-Za-z_][\w.]*\s*\+)|\bsubprocess\.(?:run|call|check_call|check_output|Popen)\s*\((?!\s*${LIT}\s*,)[^\n]*\bshell\s*=\s*True`,
    ),
    needs: ['os.', 'subprocess.'],
    languages: PY,
    severity: 'high',
    message: 'A shell command built from variables can run any command; pass a list of arguments to subprocess without shell=True.',
  },
  {
    id: 'tls-verification-disabled',
    title: 'TLS verification turned off',
    pattern: re(String.raw`\brejectUnauthorized\s*:\s*false\b`),
    needs: ['rejectUnauthorized'],
    languages: JS,
    severity: 'high',
    message: 'Turning off certificate checks lets anyone on the network read and change the traffic; trust the right CA instead.',
  },
  {
    id: 'tls-verification-disabled-env',
    title: 'TLS verification turned off',
    pattern: re(String.raw`\bNODE_TLS_REJECT_UNAUTHORIZED\b['"]?\]?\s*[:=]\s*['"]?0\b`),
    needs: ['NODE_TLS_REJECT_UNAUTHORIZED'],
    languages: ['*'],
    severity: 'high',
    message: 'This environment variable turns off certificate checks for the whole Node process; trust the right CA (NODE_EXTRA_CA_CERTS) instead.',
  },
  {
    id: 'tls-verification-disabled-python',
    title: 'TLS verification turned off',
    pattern: re(String.raw`\bverify\s*=\s*False\b`),
    needs: ['verify'],
    languages: PY,
    severity: 'high',
    message: 'verify=False turns off certificate checks; pass the CA bundle path to verify instead.',
  },
  {
    id: 'tls-verification-disabled-go',
    title: 'TLS verification turned off',
    pattern: re(String.raw`\bInsecureSkipVerify\s*:\s*true\b`),
    needs: ['InsecureSkipVerify'],
    languages: ['go'],
    severity: 'high',
    message: 'InsecureSkipVerify turns off certificate checks; add the CA to RootCAs instead.',
  },
  {
    id: 'world-writable-chmod',
    title: 'World-writable permissions',
    pattern: re(String.raw`\bchmod\s+(?:-[A-Za-z]+\s+)*(?:0?777|a\+rwx|o\+w)(?![\w+])`),
    needs: ['chmod'],
    languages: ['*'],
    severity: 'medium',
    message: 'Mode 777 lets every user on the machine change the file; grant only what the owner needs (755, 644, 600).',
  },
  {
    id: 'world-writable-mode',
    title: 'World-writable permissions',
    pattern: re(String.raw`\b0o777\b|\b(?:chmod|chmodSync|fchmod|fchmodSync|lchmod|lchmodSync|Chmod|Fchmod|Lchmod)\s*\([^)\n]*(?<![\w.])0?777\b`),
    needs: ['777'],
    languages: [...JS, ...PY, 'go', 'c', 'h', 'cc', 'cpp', 'rb', 'php', 'rs'],
    severity: 'medium',
    message: 'Mode 777 lets every user on the machine change the file; grant only what the owner needs (0o755, 0o644, 0o600).',
  },
  {
    id: 'sql-concatenation',
    title: 'SQL built by string concatenation',
    pattern: re(String.raw`(['"])\s*${SQL}(?:(?!\1)[^\n])*\1\s*(?:\+\s*[A-Za-z_$(]|%\s*[A-Za-z_(]|\.format\s*\()`),
    needs: SQL_KEYWORDS,
    languages: SQL_HOSTS,
    severity: 'high',
    message: 'A query glued together from strings is open to SQL injection; use placeholders and pass the values as parameters.',
  },
  {
    id: 'sql-template',
    title: 'SQL built by string concatenation',
    // A tagged template (sql`...${x}`) is how query builders take parameters safely, so only a bare template counts.
    pattern: re(String.raw`(?<![\w$.\x60])\x60\s*${SQL_ML}[^\x60]*?\$\{`),
    needs: SQL_KEYWORDS,
    languages: JS,
    severity: 'high',
    message: 'A query built from a template string is open to SQL injection; use placeholders and pass the values as parameters.',
  },
  {
    id: 'sql-fstring',
    title: 'SQL built by string concatenation',
    pattern: re(String.raw`\bf(['"])\s*${SQL}(?:(?!\1)[^\n])*?\{`),
    needs: SQL_KEYWORDS,
    languages: PY,
    severity: 'high',
    message: 'A query built from an f-string is open to SQL injection; use placeholders and pass the values as parameters.',
  },
  {
    id: 'inner-html',
    title: 'HTML built from non-literal values',
    // Constant markup (a literal, a template without substitutions, on one line or many), markup
    // copied from another element, and sanitized markup are the safe forms.
    pattern: re(
      String.raw`\.(?:innerHTML|outerHTML)\s*\+?=(?!\s*(?:(?:${LIT}|${CONST_TEMPLATE})\s*(?:[;,)}]|\/\/|$)|[\w$.]+\.(?:innerHTML|outerHTML)\s*(?:[;,)}]|$)|(?:DOMPurify\.)?sanitize\w*\s*\())\s*\S`,
    ),
    needs: ['HTML'],
    languages: JS,
    severity: 'medium',
    message: 'Assigning markup built from data to innerHTML runs any script in it; set textContent or build elements instead.',
  },
  {
    id: 'dangerously-set-inner-html',
    title: 'HTML built from non-literal values',
    pattern: re(String.raw`dangerouslySetInnerHTML\s*=\s*\{\s*\{\s*__html\s*:(?!\s*(?:(?:${LIT}|${CONST_TEMPLATE})\s*\}\s*\}|(?:DOMPurify\.)?sanitize\w*\s*\())`),
    needs: ['dangerouslySetInnerHTML'],
    languages: JS,
    severity: 'medium',
    message: 'dangerouslySetInnerHTML with data runs any script in it; render the data as text or sanitize it first.',
  },
];

/** The key rules are filtered by: the extension, or the whole name for files that have none. */
export function languageOf(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1).toLowerCase();
  if (name === 'dockerfile' || name.startsWith('dockerfile.')) return 'dockerfile';
  if (name === 'makefile' || name === 'gnumakefile') return 'makefile';
  const dot = name.lastIndexOf('.');
  return dot <= 0 ? name : name.slice(dot + 1);
}

export function rulesFor(language: string, rules: readonly RiskyRule[] = RISKY_RULES): RiskyRule[] {
  return rules.filter((r) => r.languages.includes('*') || r.languages.includes(language));
}
