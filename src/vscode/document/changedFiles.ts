/**
 * The files each open ticket page lists as changed, read through the git port in the background:
 * a page renders with what is known and re-renders when a read brings something new. A read runs
 * at most once per `maxAgeMs` per ticket, and never where git may not run (Restricted Mode).
 * No `vscode` import.
 */
import type { Logger } from '../../agents/agent';
import { errorMessage } from '../../domain/errors';
import type { Ticket } from '../../domain/ticket';
import type { ChangedFile, GitPort } from '../../git/port';

interface Entry {
  /** Worktree and base the files were read for: another one starts over. */
  key: string;
  readAt: number;
  files?: readonly ChangedFile[] | undefined;
  error?: string | undefined;
  pending?: Promise<void> | undefined;
}

export interface ChangedFilesOptions {
  git: Pick<GitPort, 'changedFiles'>;
  /** Called when a ticket's list changed (its page re-renders). */
  onChange(ticketId: string): void;
  /** False where no git command may run. */
  mayRunGit(): boolean;
  log: Logger;
  maxAgeMs?: number;
  now?: () => number;
}

export class ChangedFilesCache {
  private readonly entries = new Map<string, Entry>();
  private disposed = false;

  constructor(private readonly opts: ChangedFilesOptions) {}

  /**
   * The files `ticket` changed as last read (undefined while unknown), or why they could not be
   * read; starts a new read when the last one is old.
   */
  get(ticket: Ticket): readonly ChangedFile[] | string | undefined {
    const worktree = ticket.worktree;
    if (!worktree) return undefined;
    const key = `${worktree.path}\0${worktree.base}`;
    let entry = this.entries.get(ticket.id);
    if (!entry || entry.key !== key) this.entries.set(ticket.id, (entry = { key, readAt: -Infinity }));
    const now = (this.opts.now ?? Date.now)();
    if (!entry.pending && now - entry.readAt >= (this.opts.maxAgeMs ?? 5000) && this.opts.mayRunGit()) {
      entry.pending = this.read(ticket.id, entry, worktree.path, worktree.base);
    }
    return entry.error ?? entry.files;
  }

  /** Resolves when the reads in flight have ended (tests, shutdown). */
  async settled(): Promise<void> {
    await Promise.all([...this.entries.values()].flatMap((e) => (e.pending ? [e.pending] : [])));
  }

  private async read(ticketId: string, entry: Entry, worktree: string, base: string): Promise<void> {
    let files: readonly ChangedFile[] | undefined;
    let error: string | undefined;
    try {
      files = [...(await this.opts.git.changedFiles(worktree, base))].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    } catch (err) {
      error = `could not be read: ${errorMessage(err)}`;
      this.opts.log.warn(`Changed files of ${ticketId}: ${errorMessage(err)}`);
    }
    entry.pending = undefined;
    entry.readAt = (this.opts.now ?? Date.now)();
    if (this.disposed || this.entries.get(ticketId) !== entry) return;
    const changed = JSON.stringify([files, error]) !== JSON.stringify([entry.files, entry.error]);
    entry.files = files;
    entry.error = error;
    if (changed) this.opts.onChange(ticketId);
  }

  dispose(): void {
    this.disposed = true;
    this.entries.clear();
  }
}
