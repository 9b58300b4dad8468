/**
 * How each language writes comments and strings, by file extension or name: enough to tell a tag
 * in a comment (`// TODO: x`) from one in a string (`"50% TODO done"`), a URL (`#TODO-list`) or
 * prose. Prose files (Markdown, plain text) have no comments to speak of: their tags count at the
 * start of a line or a list item, and inside HTML comments.
 */

export interface CommentSyntax {
  /** Line comment openers, longest first. */
  line: readonly string[];
  /** Block comment open/close pairs. */
  block: ReadonlyArray<readonly [string, string]>;
  /** String delimiters; a string ends at its closing delimiter, or at the line's end unless multi-line. */
  strings: ReadonlyArray<{ open: string; close: string; multiline: boolean; escapes: boolean }>;
  /** A line opener counts only at the start of a line or after whitespace (`#` in shell and YAML, `--` in SQL). */
  lineNeedsSpace?: boolean;
  /** Prose: tags count at the start of a line or list item, and in the block comments. */
  prose?: boolean;
}

const DQ = { open: '"', close: '"', multiline: false, escapes: true } as const;
const SQ = { open: "'", close: "'", multiline: false, escapes: true } as const;
const BT = { open: '`', close: '`', multiline: true, escapes: true } as const;
const TRIPLE_DQ = { open: '"""', close: '"""', multiline: true, escapes: true } as const;
const TRIPLE_SQ = { open: "'''", close: "'''", multiline: true, escapes: true } as const;

const C_LIKE: CommentSyntax = { line: ['//'], block: [['/*', '*/']], strings: [DQ, SQ, BT] };
const HASH: CommentSyntax = { line: ['#'], block: [], strings: [DQ, SQ], lineNeedsSpace: true };
const PYTHON: CommentSyntax = { line: ['#'], block: [], strings: [TRIPLE_DQ, TRIPLE_SQ, DQ, SQ] };
const SQL: CommentSyntax = { line: ['--'], block: [['/*', '*/']], strings: [SQ, DQ] };
const LUA: CommentSyntax = { line: ['--'], block: [['--[[', ']]']], strings: [DQ, SQ] };
const HASKELL: CommentSyntax = { line: ['--'], block: [['{-', '-}']], strings: [DQ] };
const MARKUP: CommentSyntax = { line: [], block: [['<!--', '-->']], strings: [] };
/** Markup with scripts and styles in it: both kinds of comment count. */
const MIXED_MARKUP: CommentSyntax = { line: ['//'], block: [['<!--', '-->'], ['/*', '*/']], strings: [DQ, SQ, BT], lineNeedsSpace: true };
const CSS: CommentSyntax = { line: [], block: [['/*', '*/']], strings: [DQ, SQ] };
const SCSS: CommentSyntax = { line: ['//'], block: [['/*', '*/']], strings: [DQ, SQ], lineNeedsSpace: true };
const LISP: CommentSyntax = { line: [';'], block: [], strings: [DQ] };
const INI: CommentSyntax = { line: [';', '#'], block: [], strings: [], lineNeedsSpace: true };
const TEX: CommentSyntax = { line: ['%'], block: [], strings: [] };
const ML: CommentSyntax = { line: [], block: [['(*', '*)']], strings: [DQ] };
const PHP: CommentSyntax = { line: ['//', '#'], block: [['/*', '*/']], strings: [DQ, SQ] };
const RUBY: CommentSyntax = { line: ['#'], block: [['=begin', '=end']], strings: [DQ, SQ] };
const HCL: CommentSyntax = { line: ['//', '#'], block: [['/*', '*/']], strings: [DQ], lineNeedsSpace: true };
const POWERSHELL: CommentSyntax = { line: ['#'], block: [['<#', '#>']], strings: [DQ, SQ], lineNeedsSpace: true };
const PROSE: CommentSyntax = { line: [], block: [['<!--', '-->']], strings: [], prose: true };
/** Unknown languages: the common line openers at the start of a line, and C block comments. */
const GENERIC: CommentSyntax = { line: ['//', '#', '--', ';'], block: [['/*', '*/']], strings: [DQ, SQ], lineNeedsSpace: true };

const BY_EXTENSION: Record<string, CommentSyntax> = {};
const add = (syntax: CommentSyntax, ...extensions: string[]): void => {
  for (const e of extensions) BY_EXTENSION[e] = syntax;
};
add(C_LIKE, 'js', 'jsx', 'mjs', 'cjs', 'ts', 'tsx', 'mts', 'cts', 'java', 'c', 'h', 'cc', 'cpp', 'cxx', 'hpp', 'hh', 'cs', 'go', 'rs', 'swift', 'kt', 'kts', 'scala', 'dart', 'groovy', 'gradle', 'proto', 'sol', 'zig', 'm', 'mm', 'fs', 'jsonc', 'json5');
add(PYTHON, 'py', 'pyi', 'pyx');
add(HASH, 'sh', 'bash', 'zsh', 'fish', 'pl', 'pm', 'r', 'yaml', 'yml', 'toml', 'cmake', 'mk', 'nix', 'ex', 'exs', 'jl', 'cr', 'tcl', 'conf', 'cfg', 'properties', 'dockerfile', 'makefile', 'gitignore', 'gitattributes', 'env', 'editorconfig');
add(RUBY, 'rb', 'rake', 'gemspec');
add(SQL, 'sql');
add(LUA, 'lua');
add(HASKELL, 'hs', 'elm');
add(MARKUP, 'xml', 'xsd', 'xsl', 'svg', 'plist', 'xaml', 'csproj');
add(MIXED_MARKUP, 'html', 'htm', 'vue', 'svelte', 'astro');
add(CSS, 'css');
add(SCSS, 'scss', 'sass', 'less', 'styl');
add(LISP, 'lisp', 'cl', 'el', 'clj', 'cljs', 'cljc', 'edn', 'scm', 'rkt', 'asm', 's');
add(INI, 'ini');
add(TEX, 'tex', 'sty', 'cls', 'erl', 'hrl');
add(ML, 'ml', 'mli', 'sml');
add(PHP, 'php');
add(HCL, 'tf', 'tfvars', 'hcl');
add(POWERSHELL, 'ps1', 'psm1');
add(PROSE, 'md', 'markdown', 'mdx', 'txt', 'rst', 'adoc', 'org');

/** Files known by their whole name. */
const BY_NAME: Record<string, string> = {
  dockerfile: 'dockerfile',
  containerfile: 'dockerfile',
  makefile: 'makefile',
  gnumakefile: 'makefile',
  'cmakelists.txt': 'cmake',
  '.gitignore': 'gitignore',
  '.gitattributes': 'gitattributes',
  '.dockerignore': 'gitignore',
  '.editorconfig': 'editorconfig',
  gemfile: 'rb',
  rakefile: 'rb',
  vagrantfile: 'rb',
  '.bashrc': 'sh',
  '.zshrc': 'sh',
  '.profile': 'sh',
};

export function commentSyntaxOf(path: string): CommentSyntax {
  const name = path.slice(path.lastIndexOf('/') + 1).toLowerCase();
  const byName = BY_NAME[name] ?? (name.startsWith('dockerfile.') ? 'dockerfile' : name.startsWith('.env') ? 'env' : undefined);
  if (byName !== undefined) return BY_EXTENSION[byName] ?? GENERIC;
  const dot = name.lastIndexOf('.');
  return (dot > 0 ? BY_EXTENSION[name.slice(dot + 1)] : undefined) ?? GENERIC;
}
