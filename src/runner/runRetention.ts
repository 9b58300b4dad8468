/**
 * Keeps `.factory/runs/` bounded: the folder (prompt and log) of a run is removed once the run is
 * older than the retention period or no longer among the newest runs kept, and its row forgets the
 * log's path. A live run is never touched: each one is checked again right before its folder goes.
 * Folders no row knows (their ticket was deleted) go by age alone.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { ENTITY_ID_PATTERN } from '../domain/ids';
import { isLive } from '../domain/run';
import type { Board } from '../store/api';

export interface RunRetention {
  /** Runs that ended longer ago than this lose their folder. */
  retentionDays: number;
  /** Only the newest this many runs keep their folder. */
  retentionCount: number;
}

const DAY = 24 * 60 * 60_000;

/** Prunes what retention allows; returns how many run folders were removed. */
export async function pruneRunFolders(board: Board, retention: RunRetention, now: number, signal?: AbortSignal): Promise<number> {
  await board.refresh();
  const cutoff = now - retention.retentionDays * DAY;
  const runs = board.listRuns().sort((a, b) => b.startedAt - a.startedAt);
  const keep = new Set<string>();
  runs.forEach((run, i) => {
    if (isLive(run) || (i < retention.retentionCount && (run.endedAt ?? run.heartbeatAt) >= cutoff)) keep.add(run.id);
  });
  const root = path.join(board.dir, 'runs');
  let entries: string[];
  try {
    entries = await readdir(root);
  } catch {
    return 0;
  }
  const pruned: string[] = [];
  for (const name of entries) {
    signal?.throwIfAborted();
    if (!ENTITY_ID_PATTERN.test(name) || keep.has(name)) continue;
    const dir = path.join(root, name);
    const row = board.getRun(name);
    if (!row) {
      const modified = await stat(dir).then((s) => s.mtimeMs, () => now);
      if (modified >= cutoff) continue;
    }
    // Evidence re-checked at the moment it acts: a run that came to life meanwhile keeps its folder.
    const current = board.getRun(name);
    if (current && isLive(current)) continue;
    await rm(dir, { recursive: true, force: true });
    pruned.push(name);
  }
  if (pruned.length > 0) {
    await board.write((tx) => {
      for (const id of pruned) {
        const row = tx.getRun(id);
        if (row?.logFile !== undefined && !isLive(row)) tx.updateRun(id, { logFile: null });
      }
    });
  }
  return pruned.length;
}
