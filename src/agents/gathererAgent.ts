/**
 * The Gatherer: TODO-style comments in the main checkout and the editor's errors and warnings
 * become BACKLOG tickets, updated in place as the code moves, closed when the code resolves them,
 * and never more than the noise budget allows.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FactoryError } from '../domain/errors';
import { headCommit } from '../scan/common/head';
import { ParsedFileCache, scanCommentTags, type FileSkip } from '../scan/gatherer/commentScan';
import type { SecretFinder } from '../scan/gatherer/redact';
import { DEFAULT_TAGS, normalizeTags } from '../scan/gatherer/commentTags';
import { currentRepoFiles, groupDiagnostics, type DiagnosticsPort } from '../scan/gatherer/diagnostics';
import { DIAGNOSTICS_KIND, type GatheredItem } from '../scan/gatherer/item';
import { planMatch, reconcile, type ReconcileOutcome } from '../scan/gatherer/reconcile';
import { runIfReadOnly } from '../store/readOnlyRun';
import { detectRenames } from '../scan/gatherer/renames';
import { filesGitSees } from '../scan/gatherer/visibleFiles';
import type { BoardTx } from '../store/api';
import type { BackgroundAgent, CycleContext, CycleResult } from './agent';

export interface GathererSettings {
  /** `agentFactory.gatherer.tags` */
  tags: readonly string[];
  /** `agentFactory.gatherer.maxNewPerCycle` */
  maxNewPerCycle: number;
  /** `agentFactory.gatherer.maxOpen` */
  maxOpen: number;
  /** `agentFactory.gatherer.includeDiagnostics` */
  includeDiagnostics: boolean;
  /** `agentFactory.gatherer.exclude`: globs of files never gathered from (vendored, generated, built). */
  exclude: readonly string[];
}

/** Folders and files that hold other people's or a generator's code; package.json declares the same list as the setting's default. */
export const DEFAULT_GATHERER_EXCLUDE: readonly string[] = [
  '**/node_modules/**',
  '**/vendor/**',
  '**/third_party/**',
  '**/third-party/**',
  '**/bower_components/**',
  '**/dist/**',
  '**/build/**',
  '**/out/**',
  '**/target/**',
  '**/.next/**',
  '**/coverage/**',
  '**/__pycache__/**',
  '**/.venv/**',
  '**/venv/**',
  '**/Pods/**',
  '**/*.min.js',
  '**/*.min.css',
  '**/*.map',
  '**/*.lock',
  '**/package-lock.json',
  '**/pnpm-lock.yaml',
];

export const DEFAULT_GATHERER_SETTINGS: GathererSettings = {
  tags: DEFAULT_TAGS,
  maxNewPerCycle: 5,
  maxOpen: 50,
  includeDiagnostics: true,
  exclude: DEFAULT_GATHERER_EXCLUDE,
};

export interface GathererAgentOptions {
  /** Read at the start of every cycle, so a changed setting applies to the next one. */
  settings?: () => Partial<GathererSettings>;
  /** The editor's diagnostics; absent when running headless. */
  diagnostics?: DiagnosticsPort | undefined;
  /** Where secrets in gathered comments are found for masking (default: the Security scan's shared threads). */
  secrets?: SecretFinder | undefined;
}

/** Meta key holding the commit the last cycle saw, the base of the next cycle's rename detection. */
export const HEAD_META_KEY = 'gatherer.head';

export class GathererAgent implements BackgroundAgent {
  readonly name = 'Gatherer' as const;
  readonly defaultIntervalSeconds = 300;
  /** Parsed files per repository, so an unchanged file is not read again. */
  private readonly caches = new Map<string, ParsedFileCache>();

  constructor(private readonly options: GathererAgentOptions = {}) {}

  async runCycle(ctx: CycleContext): Promise<CycleResult> {
    const settings = resolveSettings(this.options.settings?.());
    const { board, signal } = ctx;
    const repoRoot = board.repoRoot;
    const tags = normalizeTags(settings.tags);
    let cache = this.caches.get(repoRoot);
    if (!cache) this.caches.set(repoRoot, (cache = new ParsedFileCache()));

    ctx.setActivity(tags.length > 0 ? `Scanning for ${tags.join(', ')}` : 'Reading diagnostics');
    const [scan, head] = await Promise.all([scanCommentTags(repoRoot, { tags, exclude: settings.exclude, signal, cache, secrets: this.options.secrets }), headCommit(repoRoot, signal)]);
    const observedKinds = new Set(tags.map((t) => t.toLowerCase()));
    const items: GatheredItem[] = scan.items;

    let diagnosticsCurrentFiles = new Set<string>();
    const port = settings.includeDiagnostics ? this.options.diagnostics : undefined;
    if (port !== undefined) {
      const snapshot = port.snapshot();
      const grouped = groupDiagnostics(repoRoot, snapshot.entries);
      const visible = grouped.length === 0 ? new Set<string>() : await filesGitSees(repoRoot, [...new Set(grouped.map((i) => i.file))], signal);
      items.push(...grouped.filter((i) => visible.has(i.file)));
      diagnosticsCurrentFiles = currentRepoFiles(repoRoot, snapshot);
      observedKinds.add(DIAGNOSTICS_KIND);
    }

    const fileExists = (file: string): boolean => existsSync(join(repoRoot, file));
    let deletedUnstaged = new Set<string>();
    const plan = await planMatch(board, items, observedKinds, fileExists, async () => {
      ctx.setActivity('Following renamed files');
      const report = await detectRenames(repoRoot, board.getMeta(HEAD_META_KEY), head, signal);
      if (report.warning !== undefined) ctx.log.warn(`Gatherer: ${report.warning}`);
      deletedUnstaged = report.deletedUnstaged;
      return report.renames;
    });
    if (signal.aborted) throw new FactoryError('cancelled', 'the Gatherer cycle was cancelled before writing to the board');

    ctx.setActivity(`Reconciling ${items.length} ${items.length === 1 ? 'item' : 'items'} with the board`);
    const apply = (tx: BoardTx): ReconcileOutcome => {
      const result = reconcile(tx, {
        items,
        plan,
        observedKinds,
        diagnosticsCurrentFiles,
        fileExists,
        renames: plan.renames,
        deletedUnstaged,
        maxNewPerCycle: settings.maxNewPerCycle,
        maxOpen: settings.maxOpen,
      });
      if (head !== undefined && tx.getMeta(HEAD_META_KEY) !== head) tx.setMeta(HEAD_META_KEY, head);
      return result;
    };
    // Most cycles change nothing: find out on the reads alone, and write only when needed.
    const outcome = runIfReadOnly(board, apply)?.value ?? (await board.write(apply));
    const summary = summarize(outcome, items.length, settings.maxOpen, scan.skipped);
    ctx.log.info(`Gatherer: ${summary}`);
    return { summary };
  }
}

export function resolveSettings(partial: Partial<GathererSettings> | undefined): GathererSettings {
  const s = { ...DEFAULT_GATHERER_SETTINGS, ...partial };
  return {
    tags: normalizeTags(s.tags),
    maxNewPerCycle: wholeAtLeast(s.maxNewPerCycle, 0, DEFAULT_GATHERER_SETTINGS.maxNewPerCycle),
    maxOpen: wholeAtLeast(s.maxOpen, 0, DEFAULT_GATHERER_SETTINGS.maxOpen),
    includeDiagnostics: s.includeDiagnostics !== false,
    exclude: Array.isArray(s.exclude) ? s.exclude.filter((g): g is string => typeof g === 'string') : DEFAULT_GATHERER_EXCLUDE,
  };
}

function wholeAtLeast(value: unknown, min: number, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? Math.max(min, Math.floor(value)) : fallback;
}

/** "3 new tickets, 1 updated, 2 resolved in code; 12 more items waiting; 40 files not read (38 vendored, 2 minified)". */
export function summarize(o: ReconcileOutcome, found: number, maxOpen: number, skipped?: Record<FileSkip, number>): string {
  const parts: string[] = [];
  if (o.created.length > 0) parts.push(count(o.created.length, 'new ticket'));
  if (o.updated > 0) parts.push(`${o.updated} updated`);
  if (o.closed > 0) parts.push(`${o.closed} resolved in code`);
  if (o.noted > 0) parts.push(`${o.noted} noted as gone from the code`);
  let text = parts.length > 0 ? parts.join(', ') : `No change (${count(found, 'item')} in the code)`;
  if (o.waiting > 0) {
    text += `; ${o.waiting} more ${o.waiting === 1 ? 'item' : 'items'} waiting`;
    if (o.open >= maxOpen) text += ` (${o.open} open gathered tickets, the limit is ${maxOpen})`;
  }
  const notRead = Object.entries(skipped ?? {}).filter(([, n]) => n > 0);
  if (notRead.length > 0) text += `; ${count(notRead.reduce((a, [, n]) => a + n, 0), 'file')} not read (${notRead.map(([why, n]) => `${n} ${why}`).join(', ')})`;
  return text;
}

function count(n: number, word: string): string {
  return `${n} ${n === 1 ? word : `${word}s`}`;
}
