/**
 * The Gatherer: TODO-style comments in the main checkout and the editor's errors and warnings
 * become BACKLOG tickets, updated in place as the code moves, closed when the code resolves them,
 * and never more than the noise budget allows.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FactoryError } from '../domain/errors';
import { scanCommentTags } from '../scan/gatherer/commentScan';
import { DEFAULT_TAGS, normalizeTags } from '../scan/gatherer/commentTags';
import { currentRepoFiles, groupDiagnostics, type DiagnosticsPort } from '../scan/gatherer/diagnostics';
import { DIAGNOSTICS_KIND, type GatheredItem } from '../scan/gatherer/item';
import { needsRenameDetection, reconcile, type ReconcileOutcome } from '../scan/gatherer/reconcile';
import { runIfReadOnly } from '../scan/gatherer/readOnlyRun';
import { headCommit } from '../scan/common/head';
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
}

export const DEFAULT_GATHERER_SETTINGS: GathererSettings = {
  tags: DEFAULT_TAGS,
  maxNewPerCycle: 5,
  maxOpen: 50,
  includeDiagnostics: true,
};

export interface GathererAgentOptions {
  /** Read at the start of every cycle, so a changed setting applies to the next one. */
  settings?: () => Partial<GathererSettings>;
  /** The editor's diagnostics; absent when running headless. */
  diagnostics?: DiagnosticsPort | undefined;
}

/** Meta key holding the commit the last cycle saw, the base of the next cycle's rename detection. */
export const HEAD_META_KEY = 'gatherer.head';

export class GathererAgent implements BackgroundAgent {
  readonly name = 'Gatherer' as const;
  readonly defaultIntervalSeconds = 300;

  constructor(private readonly options: GathererAgentOptions = {}) {}

  async runCycle(ctx: CycleContext): Promise<CycleResult> {
    const settings = resolveSettings(this.options.settings?.());
    const { board, signal } = ctx;
    const repoRoot = board.repoRoot;
    const tags = normalizeTags(settings.tags);

    ctx.setActivity(tags.length > 0 ? `Scanning for ${tags.join(', ')}` : 'Reading diagnostics');
    const [commentItems, head] = await Promise.all([scanCommentTags(repoRoot, tags, signal), headCommit(repoRoot, signal)]);
    const observedKinds = new Set(tags.map((t) => t.toLowerCase()));
    const items: GatheredItem[] = commentItems;

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
    let renames = new Map<string, string>();
    let deletedUnstaged = new Set<string>();
    if (needsRenameDetection(board, items, observedKinds, fileExists)) {
      ctx.setActivity('Following renamed files');
      const report = await detectRenames(repoRoot, board.getMeta(HEAD_META_KEY), head, signal);
      if (report.warning !== undefined) ctx.log.warn(`Gatherer: ${report.warning}`);
      ({ renames, deletedUnstaged } = report);
    }
    if (signal.aborted) throw new FactoryError('cancelled', 'the Gatherer cycle was cancelled before writing to the board');

    ctx.setActivity(`Reconciling ${items.length} ${items.length === 1 ? 'item' : 'items'} with the board`);
    const apply = (tx: BoardTx): ReconcileOutcome => {
      const result = reconcile(tx, {
        items,
        observedKinds,
        diagnosticsCurrentFiles,
        fileExists,
        renames,
        deletedUnstaged,
        maxNewPerCycle: settings.maxNewPerCycle,
        maxOpen: settings.maxOpen,
      });
      if (head !== undefined && tx.getMeta(HEAD_META_KEY) !== head) tx.setMeta(HEAD_META_KEY, head);
      return result;
    };
    // Most cycles change nothing: find out on the reads alone, and write only when needed.
    const outcome = runIfReadOnly(board, apply)?.value ?? (await board.write(apply));
    const summary = summarize(outcome, items.length, settings.maxOpen);
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
  };
}

function wholeAtLeast(value: unknown, min: number, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? Math.max(min, Math.floor(value)) : fallback;
}

/** "3 new tickets, 1 updated, 2 resolved in code; 12 more items waiting". */
export function summarize(o: ReconcileOutcome, found: number, maxOpen: number): string {
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
  return text;
}

function count(n: number, word: string): string {
  return `${n} ${n === 1 ? word : `${word}s`}`;
}
