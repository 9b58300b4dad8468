/**
 * Errors and warnings the editor already knows, behind a port so the headless core runs without
 * them. One item per file and source: a file with fifty TypeScript errors is one ticket.
 */
import { isAbsolute, relative, sep } from 'node:path';
import { assignFingerprints, normalizeText } from './fingerprint';
import { DIAGNOSTICS_KIND, type DiagnosticLine, type GatheredItem } from './item';

export interface DiagnosticEntry {
  /** Absolute path, or relative to the repository root. */
  file: string;
  severity: 'error' | 'warning';
  /** Who reported it ("ts", "eslint"); may be empty. */
  source: string;
  message: string;
  /** 1-based. */
  line: number;
}

export interface DiagnosticsSnapshot {
  entries: readonly DiagnosticEntry[];
  /**
   * Files whose diagnostics are current (open in the editor). Language servers often drop a
   * closed file's diagnostics, so only here does a missing group mean "fixed"; elsewhere it only
   * means "not known right now" and its ticket is left alone.
   */
  currentFiles: readonly string[];
}

export interface DiagnosticsPort {
  snapshot(): DiagnosticsSnapshot;
}

const SOURCE_NAMES: Record<string, string> = {
  ts: 'TypeScript',
  typescript: 'TypeScript',
  js: 'JavaScript',
  javascript: 'JavaScript',
  eslint: 'ESLint',
  pylance: 'Pylance',
  pyright: 'Pyright',
  'rust-analyzer': 'rust-analyzer',
  rustc: 'rustc',
  go: 'Go',
  gopls: 'gopls',
  css: 'CSS',
  json: 'JSON',
  markdownlint: 'markdownlint',
};

export function sourceDisplayName(source: string): string {
  return SOURCE_NAMES[source.toLowerCase()] ?? source;
}

/** The repository-relative `/` path of a file, or undefined when it lies outside or in `.factory/`. */
export function toRepoPath(repoRoot: string, file: string): string | undefined {
  const rel = isAbsolute(file) ? relative(repoRoot, file) : file;
  const posix = rel.split(sep).join('/').replace(/^\.\//, '');
  if (posix === '' || posix === '..' || posix.startsWith('../') || isAbsolute(posix)) return undefined;
  if (posix === '.factory' || posix.startsWith('.factory/')) return undefined;
  return posix;
}

/** Only errors and warnings count; the editor's hints and infos are not backlog material. */
export function groupDiagnostics(repoRoot: string, entries: readonly DiagnosticEntry[]): GatheredItem[] {
  const groups = new Map<string, { file: string; source: string; lines: DiagnosticLine[] }>();
  for (const e of entries) {
    if (e.severity !== 'error' && e.severity !== 'warning') continue;
    const file = toRepoPath(repoRoot, e.file);
    if (file === undefined) continue;
    const source = e.source.trim();
    const key = `${file}\0${source.toLowerCase()}`;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { file, source, lines: [] }));
    group.lines.push({ line: Math.max(1, Math.trunc(e.line) || 1), severity: e.severity, message: e.message });
  }
  const items: GatheredItem[] = [];
  for (const { file, source, lines } of groups.values()) {
    lines.sort((a, b) => a.line - b.line || (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1));
    const hasError = lines.some((l) => l.severity === 'error');
    items.push({
      kind: DIAGNOSTICS_KIND,
      tag: sourceDisplayName(source),
      file,
      line: lines[0].line,
      text: sourceDisplayName(source),
      normText: normalizeText(source),
      occurrence: 0,
      context: '',
      fingerprint: '',
      rank: hasError ? 0 : 2,
      diagnostics: lines,
    });
  }
  return assignFingerprints(items);
}

/** The files of a snapshot's current set, repository-relative. */
export function currentRepoFiles(repoRoot: string, snapshot: DiagnosticsSnapshot): Set<string> {
  const out = new Set<string>();
  for (const f of snapshot.currentFiles) {
    const rel = toRepoPath(repoRoot, f);
    if (rel !== undefined) out.add(rel);
  }
  return out;
}
