/** What the Security agent reads from settings at the start of every cycle. */
import picomatch from 'picomatch';

export interface SecuritySettings {
  /** Files larger than this are skipped (`agentFactory.security.maxFileSizeKB`). */
  maxFileSizeKB: number;
  /** Globs over worktree-relative paths that are never scanned (`agentFactory.security.ignore`). */
  ignore: readonly string[];
}

/** Generated and vendored files: large, never hand-written, and full of hashes that look like keys. */
export const DEFAULT_SECURITY_IGNORE: readonly string[] = [
  '**/node_modules/**',
  '**/package-lock.json',
  '**/yarn.lock',
  '**/pnpm-lock.yaml',
  '**/*.lock',
  '**/*.min.js',
  '**/*.map',
];

export const DEFAULT_SECURITY_SETTINGS: SecuritySettings = { maxFileSizeKB: 32768, ignore: DEFAULT_SECURITY_IGNORE };

/** The last matcher compiled, by its globs: settings rarely change, and compiling them holds the thread for milliseconds each cycle. */
let compiled: { key: string; matcher: (path: string) => boolean } | undefined;

/** A predicate over worktree-relative, forward-slash paths; dot files match like any other. */
export function ignoreMatcher(globs: readonly string[]): (path: string) => boolean {
  const usable = globs.map((g) => g.trim()).filter((g) => g.length > 0);
  if (usable.length === 0) return () => false;
  const key = usable.join('\0');
  if (compiled?.key !== key) compiled = { key, matcher: picomatch(usable, { dot: true }) };
  return compiled.matcher;
}
